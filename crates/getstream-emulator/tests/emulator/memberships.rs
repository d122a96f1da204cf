//! Teams and membership deletion: an upsert or partial update of users that takes a team
//! from a member of that team's channels answers `membership_deletion_task_id`, and the task
//! removes those memberships and sends `member.removed`; with nothing to remove the field is
//! `""`, as Stream sends it.

use std::time::Duration;

use getstream_emulator::EmulatorHandle;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::support::*;
use crate::webhooks::{Delivery, next, receiver};

/// ann (red, blue) and bob (red); `messaging:r1` (red: ann, bob), `messaging:b1` (blue: ann),
/// `messaging:plain` (no team: ann, bob). Webhooks go to the returned receiver.
async fn teams() -> (EmulatorHandle, Http, mpsc::UnboundedReceiver<Delivery>) {
    let (url, rx) = receiver().await;
    let (handle, http) = start(config().webhook_url(url)).await;
    let (s, b) = http
        .post(
            "/api/v2/users",
            json!({"users": {
                "ann": {"id": "ann", "teams": ["red", "blue"]},
                "bob": {"id": "bob", "teams": ["red"]},
            }}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["users"]["ann"]["teams"], json!(["red", "blue"]));
    for (id, team, members) in [
        ("r1", Some("red"), vec!["ann", "bob"]),
        ("b1", Some("blue"), vec!["ann"]),
        ("plain", None, vec!["ann", "bob"]),
    ] {
        let members: Vec<Value> = members.iter().map(|m| json!({"user_id": m})).collect();
        let (s, b) = http
            .post(
                &format!("/api/v2/chat/channels/messaging/{id}/query"),
                json!({"data": {"created_by_id": "ann", "members": members, "team": team}}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        assert_eq!(b["channel"].get("team").and_then(Value::as_str), team);
    }
    (handle, http, rx)
}

async fn members(http: &Http, id: &str) -> Vec<String> {
    let (s, b) = http
        .post(
            &format!("/api/v2/chat/channels/messaging/{id}/query"),
            json!({}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn taking_a_team_removes_the_memberships_of_its_channels_in_a_task() {
    let (handle, http, mut rx) = teams().await;
    // An upsert keeps ann in blue only.
    let (s, b) = http
        .post(
            "/api/v2/users",
            json!({"users": {"ann": {"id": "ann", "teams": ["blue"]}}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["users"]["ann"]["teams"], json!(["blue"]));
    let id = b["membership_deletion_task_id"].as_str().unwrap();
    let (task, _) = http.wait(id).await;
    assert_eq!(task["status"], "completed", "{task}");
    assert_eq!(
        task["result"],
        json!({"removed_memberships": [{"user_id": "ann", "cids": ["messaging:r1"]}],
               "removed_count": 1})
    );
    assert_eq!(members(&http, "r1").await, ["bob"]);
    assert_eq!(members(&http, "b1").await, ["ann"]);
    assert_eq!(members(&http, "plain").await, ["ann", "bob"]);
    let d = next(&mut rx).await;
    assert!(d.verified);
    let e = &d.event;
    assert_eq!(e["type"], "member.removed", "{e}");
    assert_eq!(e["cid"], "messaging:r1");
    assert_eq!(e["channel_type"], "messaging");
    assert_eq!(e["channel_id"], "r1");
    assert_eq!(e["team"], "red");
    assert_eq!(e["channel_member_count"], 1);
    assert_eq!(e["member"]["user_id"], "ann");
    assert_eq!(e["user"]["id"], "ann");
    assert_eq!(e["channel"]["cid"], "messaging:r1");
    assert!(e.get("task_id").is_none());

    // A partial update that unsets bob's teams, and sets ann's to none: one task for both.
    let (s, _, b) = http
        .send(
            reqwest::Method::PATCH,
            "/api/v2/users",
            Some(json!({"users": [
                {"id": "bob", "unset": ["teams"]},
                {"id": "ann", "set": {"teams": [], "name": "Ann"}},
            ]})),
        )
        .await
        .unwrap();
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["users"]["bob"]["teams"], json!([]));
    assert_eq!(b["users"]["ann"]["name"], "Ann");
    let (task, _) = http
        .wait(b["membership_deletion_task_id"].as_str().unwrap())
        .await;
    assert_eq!(
        task["result"],
        json!({"removed_memberships": [
                  {"user_id": "ann", "cids": ["messaging:b1"]},
                  {"user_id": "bob", "cids": ["messaging:r1"]}],
               "removed_count": 2})
    );
    assert!(members(&http, "r1").await.is_empty());
    assert!(members(&http, "b1").await.is_empty());
    assert_eq!(members(&http, "plain").await, ["ann", "bob"]);
    let mut removed: Vec<(String, String)> = Vec::new();
    for _ in 0..2 {
        let e = next(&mut rx).await.event;
        assert_eq!(e["type"], "member.removed", "{e}");
        removed.push((
            e["cid"].as_str().unwrap().to_owned(),
            e["member"]["user_id"].as_str().unwrap().to_owned(),
        ));
    }
    removed.sort();
    assert_eq!(
        removed,
        [
            ("messaging:b1".to_owned(), "ann".to_owned()),
            ("messaging:r1".to_owned(), "bob".to_owned())
        ]
    );
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn nothing_is_removed_when_no_team_with_memberships_is_taken() {
    let (handle, http, mut rx) = teams().await;
    let no_task = |b: &Value| {
        assert_eq!(b["membership_deletion_task_id"], "", "{b}");
    };
    // The same teams; no `teams` at all (kept); teams added; a new user with teams.
    for users in [
        json!({"ann": {"id": "ann", "teams": ["blue", "red"]}}),
        json!({"ann": {"id": "ann", "name": "Ann"}, "bob": {"id": "bob", "teams": null}}),
        json!({"bob": {"id": "bob", "teams": ["red", "green"]}}),
        json!({"cy": {"id": "cy", "teams": ["red"]}}),
    ] {
        let (s, b) = http.post("/api/v2/users", json!({ "users": users })).await;
        assert_eq!(s, 201, "{b}");
        no_task(&b);
    }
    let (_, _, b) = http
        .send(
            reqwest::Method::GET,
            "/api/v2/users?payload=%7B%22filter_conditions%22%3A%7B%22id%22%3A%22ann%22%7D%7D",
            None,
        )
        .await
        .unwrap();
    assert_eq!(b["users"][0]["teams"], json!(["blue", "red"]), "{b}");
    // Taking a team whose channels cy is not a member of; a partial update of other fields.
    for update in [
        json!({"id": "cy", "set": {"teams": []}}),
        json!({"id": "bob", "set": {"name": "Bob"}}),
        json!({"id": "bob", "set": {"teams": ["red"]}}),
    ] {
        let (s, _, b) = http
            .send(
                reqwest::Method::PATCH,
                "/api/v2/users",
                Some(json!({ "users": [update] })),
            )
            .await
            .unwrap();
        assert_eq!(s, 200, "{b}");
        no_task(&b);
    }
    assert_eq!(members(&http, "r1").await, ["ann", "bob"]);
    assert_eq!(members(&http, "b1").await, ["ann"]);
    // Nothing was sent.
    tokio::time::sleep(Duration::from_secs(1)).await;
    handle.state().webhooks_settled().await;
    assert!(rx.try_recv().is_err());
    handle.shutdown().await;
}

#[tokio::test]
async fn bad_teams_are_a_400_envelope() {
    let (handle, http) = start(config()).await;
    http.upsert_users(&["ann"]).await;
    for users in [
        json!({"ann": {"id": "ann", "teams": "red"}}),
        json!({"ann": {"id": "ann", "teams": [1]}}),
        json!({"ann": {"id": "ann", "teams": [""]}}),
        json!({"ann": {"id": "ann", "teams": vec!["t"; 101].iter().enumerate().map(|(i, _)| format!("t{i}")).collect::<Vec<_>>()}}),
    ] {
        let (s, b) = http.post("/api/v2/users", json!({ "users": users })).await;
        assert_eq!(s, 400, "{b}");
        assert_eq!(b["code"], 4, "{b}");
    }
    for update in [
        json!({"id": "ann", "set": {"teams": "red"}}),
        json!({"id": "ann", "set": {"teams": ["red"]}, "unset": ["teams"]}),
    ] {
        let (s, _, b) = http
            .send(
                reqwest::Method::PATCH,
                "/api/v2/users",
                Some(json!({ "users": [update] })),
            )
            .await
            .unwrap();
        assert_eq!(s, 400, "{b}");
        assert_eq!(b["code"], 4, "{b}");
    }
    let (s, b) = http
        .post(
            "/api/v2/chat/channels/messaging/x/query",
            json!({"data": {"created_by_id": "ann", "team": 5}}),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["code"], 4, "{b}");
    handle.shutdown().await;
}
