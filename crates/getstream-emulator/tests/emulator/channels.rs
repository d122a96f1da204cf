//! The channel data calls: update, partial update, query channels, hide/show; and deleted
//! users vanishing from query users as soon as the delete call answers.

use std::time::Duration;

use getstream_emulator::Pace;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;
use crate::webhooks::{next, receiver};

async fn send(http: &Http, method: Method, path: &str, body: Value) -> (u16, Value) {
    let (s, _, b) = http.send(method, path, Some(body)).await.unwrap();
    (s, b)
}

#[track_caller]
fn assert_400(s: u16, b: &Value) {
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["code"], 4, "{b}");
    assert_eq!(b["StatusCode"], 400, "{b}");
}

fn member<'a>(members: &'a Value, id: &str) -> Option<&'a Value> {
    members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == id)
}

pub async fn query(http: &Http, body: Value) -> Vec<Value> {
    let (s, b) = http.post("/api/v2/chat/channels", body).await;
    assert_eq!(s, 200, "{b}");
    b["channels"].as_array().unwrap().clone()
}

fn cids(found: &[Value]) -> Vec<String> {
    found
        .iter()
        .map(|c| c["channel"]["cid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_update_adds_invites_and_promotes_members_and_replaces_the_data() {
    let (handle, http) = start(config()).await;
    http.upsert_users(&["ann", "bob", "cat", "dan"]).await;
    http.create_channel("messaging", "c1", &["ann", "bob"])
        .await;
    let path = "/api/v2/chat/channels/messaging/c1";
    let (s, b) = http
        .post(
            path,
            json!({
                "add_members": [{"user_id": "cat", "channel_role": "channel_moderator"}],
                "invites": ["dan"],
                "data": {"custom": {"topic": "x"}, "frozen": true, "team": "red", "color": "blue"},
                "message": {"text": "welcome", "user_id": "ann"},
                "user_id": "ann",
            }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["channel"]["frozen"], true, "{b}");
    assert_eq!(b["channel"]["team"], "red");
    assert_eq!(
        b["channel"]["custom"],
        json!({"topic": "x", "color": "blue"})
    );
    assert_eq!(b["message"]["text"], "welcome");
    assert_eq!(b["channel"]["member_count"], 4);
    let cat = member(&b["members"], "cat").unwrap();
    assert_eq!(cat["channel_role"], "channel_moderator");
    assert_eq!(cat["is_moderator"], true);
    assert_eq!(member(&b["members"], "dan").unwrap()["invited"], true);

    let (s, b) = http
        .post(
            path,
            json!({
                "remove_members": ["bob"],
                "assign_roles": [{"user_id": "cat", "channel_role": "channel_member"}],
                "add_moderators": ["dan"],
            }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert!(member(&b["members"], "bob").is_none(), "{b}");
    assert_eq!(
        member(&b["members"], "cat").unwrap()["channel_role"],
        "channel_member"
    );
    let dan = member(&b["members"], "dan").unwrap();
    assert_eq!(
        (&dan["channel_role"], &dan["role"]),
        (&json!("channel_moderator"), &json!("moderator"))
    );
    // The data is kept when an update does not send it.
    assert_eq!(b["channel"]["custom"]["topic"], "x");

    let (s, b) = http
        .post(path, json!({"accept_invite": true, "user_id": "dan"}))
        .await;
    assert_eq!(s, 200, "{b}");
    let dan = member(&b["members"], "dan").unwrap();
    assert!(
        dan.get("invited").is_none() && dan["invite_accepted_at"].is_i64(),
        "{dan}"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn an_update_is_all_or_nothing_and_refuses_bad_input() {
    let (handle, http) = start(config()).await;
    http.upsert_users(&["ann", "bob", "cat"]).await;
    http.create_channel("messaging", "c1", &["ann", "bob"])
        .await;
    let path = "/api/v2/chat/channels/messaging/c1";
    // cat would be added, but assigning a role to a non-member fails: nothing changes.
    let (s, b) = http
        .post(
            path,
            json!({
                "add_members": ["cat"],
                "assign_roles": [{"user_id": "ann", "channel_role": "channel_member"}, {"user_id": "zed", "channel_role": "x"}],
            }),
        )
        .await;
    assert_400(s, &b);
    assert!(b["message"].as_str().unwrap().contains("zed"), "{b}");
    let found = query(&http, json!({"filter_conditions": {"cid": "messaging:c1"}})).await;
    assert_eq!(
        found[0]["members"].as_array().unwrap().len(),
        2,
        "{found:?}"
    );
    for body in [
        json!({"add_members": "cat"}),
        json!({"add_members": [{"channel_role": "x"}]}),
        json!({"add_members": ["bad id!"]}),
        json!({"assign_roles": [{"user_id": "bob"}]}),
        json!({"data": {"frozen": "yes"}}),
        json!({"data": {"cooldown": 500}}),
        json!({"add_members": ["nobody"]}),
        json!({"accept_invite": true}),
        json!({"hide_history_before": "yesterday"}),
        json!({"add_filter_tags": ["x"]}),
    ] {
        let (s, b) = http.post(path, body.clone()).await;
        assert_400(s, &b);
    }
    let (s, b) = http
        .post(
            "/api/v2/chat/channels/messaging/nope",
            json!({"add_members": ["cat"]}),
        )
        .await;
    assert_eq!((s, &b["code"]), (404, &json!(16)), "{b}");
    handle.shutdown().await;
}

#[tokio::test]
async fn a_partial_update_sets_and_unsets_fields() {
    let (handle, http) = start(config()).await;
    http.upsert_users(&["ann", "bob"]).await;
    http.create_channel("messaging", "c1", &["ann", "bob"])
        .await;
    let path = "/api/v2/chat/channels/messaging/c1";
    let (s, b) = send(
        &http,
        Method::PATCH,
        path,
        json!({"set": {"topic": "t", "color": "red", "frozen": true, "team": "a"}}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["channel"]["custom"],
        json!({"topic": "t", "color": "red"})
    );
    assert_eq!(
        (&b["channel"]["frozen"], &b["channel"]["team"]),
        (&json!(true), &json!("a"))
    );
    assert_eq!(b["members"].as_array().unwrap().len(), 2);
    let (s, b) = send(
        &http,
        Method::PATCH,
        path,
        json!({"unset": ["topic", "frozen", "team"]}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["channel"]["custom"], json!({"color": "red"}));
    assert_eq!(b["channel"]["frozen"], false);
    assert!(b["channel"].get("team").is_none(), "{b}");
    for body in [
        json!({}),
        json!({"set": {"cid": "x:y"}}),
        json!({"unset": ["created_at"]}),
        json!({"set": {"disabled": 1}}),
        json!({"set": "x"}),
        json!({"unset": [1]}),
    ] {
        let (s, b) = send(&http, Method::PATCH, path, body).await;
        assert_400(s, &b);
    }
    let (s, _) = send(
        &http,
        Method::PATCH,
        "/api/v2/chat/channels/messaging/nope",
        json!({"set": {"a": 1}}),
    )
    .await;
    assert_eq!(s, 404);
    handle.shutdown().await;
}

#[tokio::test]
async fn query_channels_filters_sorts_and_pages() {
    let (handle, http) = start(config()).await;
    http.upsert_users(&["ann", "bob", "cat"]).await;
    for (i, (kind, id, members)) in [
        ("messaging", "a", vec!["ann", "bob"]),
        ("messaging", "b", vec!["bob", "cat"]),
        ("team", "c", vec!["ann", "cat"]),
        ("team", "d", vec!["cat"]),
    ]
    .into_iter()
    .enumerate()
    {
        http.create_channel(kind, id, &members).await;
        let (s, b) = send(
            &http,
            Method::PATCH,
            &format!("/api/v2/chat/channels/{kind}/{id}"),
            json!({"set": {"rank": i, "team": if i % 2 == 0 { "red" } else { "blue" }}}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
    }
    let q = |filter: Value| json!({"filter_conditions": filter, "sort": [{"field": "rank", "direction": 1}]});
    assert_eq!(
        cids(&query(&http, q(json!({"type": "messaging"}))).await),
        ["messaging:a", "messaging:b"]
    );
    assert_eq!(
        cids(&query(&http, q(json!({"cid": {"$in": ["team:c", "messaging:a"]}}))).await),
        ["messaging:a", "team:c"]
    );
    assert_eq!(
        cids(&query(&http, q(json!({"members": {"$in": ["ann"]}}))).await),
        ["messaging:a", "team:c"]
    );
    assert_eq!(
        cids(&query(&http, q(json!({"team": "blue"}))).await),
        ["messaging:b", "team:d"]
    );
    assert_eq!(
        cids(&query(&http, q(json!({"rank": {"$gte": 2}}))).await),
        ["team:c", "team:d"]
    );
    assert_eq!(
        cids(&query(&http, q(json!({"$or": [{"id": "a"}, {"id": "d"}]}))).await),
        ["messaging:a", "team:d"]
    );
    assert_eq!(
        cids(
            &query(
                &http,
                q(json!({"created_at": {"$gt": "2000-01-01T00:00:00Z"}, "frozen": false}))
            )
            .await
        )
        .len(),
        4
    );
    let desc = json!({"filter_conditions": {}, "sort": [{"field": "rank", "direction": -1}], "limit": 2, "offset": 1});
    assert_eq!(cids(&query(&http, desc).await), ["team:c", "messaging:b"]);
    // Default: at most 10, most recently active first.
    assert_eq!(query(&http, json!({})).await.len(), 4);
    let found = query(
        &http,
        json!({"filter_conditions": {"id": "a"}, "user_id": "ann"}),
    )
    .await;
    assert_eq!(found[0]["membership"]["user_id"], "ann", "{found:?}");
    assert_eq!(found[0]["members"].as_array().unwrap().len(), 2);
    for body in [
        json!({"limit": 31}),
        json!({"filter_conditions": {"type": {"$regex": "x"}}}),
        json!({"filter_conditions": {"cid": {"$in": "x"}}}),
        json!({"filter_conditions": {"hidden": true}}),
        json!({"sort": [{"field": "rank", "direction": 2}]}),
        json!({"filter_conditions": "x"}),
    ] {
        let (s, b) = http.post("/api/v2/chat/channels", body).await;
        assert_400(s, &b);
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn a_hidden_channel_leaves_the_members_queries_until_shown() {
    let (handle, http) = start(config()).await;
    http.upsert_users(&["ann", "bob", "cat"]).await;
    http.create_channel("messaging", "a", &["ann", "bob"]).await;
    http.create_channel("messaging", "b", &["ann", "bob"]).await;
    let (s, b) = http
        .post(
            "/api/v2/chat/channels/messaging/a/hide",
            json!({"user_id": "bob"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let as_bob = |filter: Value| json!({"filter_conditions": filter, "user_id": "bob"});
    assert_eq!(
        cids(&query(&http, as_bob(json!({"type": "messaging"}))).await),
        ["messaging:b"]
    );
    let hidden = query(&http, as_bob(json!({"hidden": true}))).await;
    assert_eq!(cids(&hidden), ["messaging:a"]);
    assert_eq!(hidden[0]["hidden"], true);
    // Ann still sees both.
    assert_eq!(query(&http, json!({"user_id": "ann"})).await.len(), 2);
    let (s, b) = http
        .post(
            "/api/v2/chat/channels/messaging/a/show",
            json!({"user": {"id": "bob"}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(query(&http, as_bob(json!({}))).await.len(), 2);
    let (s, b) = http
        .post(
            "/api/v2/chat/channels/messaging/a/hide",
            json!({"user_id": "cat"}),
        )
        .await;
    assert_400(s, &b);
    let (s, b) = http
        .post("/api/v2/chat/channels/messaging/a/hide", json!({}))
        .await;
    assert_400(s, &b);
    let (s, b) = http
        .post(
            "/api/v2/chat/channels/messaging/a/hide",
            json!({"user_id": "bob", "clear_history": true}),
        )
        .await;
    assert_400(s, &b);
    let (s, _) = http
        .post(
            "/api/v2/chat/channels/messaging/zz/show",
            json!({"user_id": "bob"}),
        )
        .await;
    assert_eq!(s, 404);
    handle.shutdown().await;
}

async fn user_ids(http: &Http, payload: Value) -> Vec<String> {
    let q = urlencode(&payload.to_string());
    let (s, b) = http.get(&format!("/api/v2/users?payload={q}")).await;
    assert_eq!(s, 200, "{b}");
    b["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn deleted_users_vanish_from_query_users_as_soon_as_the_delete_call_answers() {
    // Tasks take an hour: the deletes below are still pending while we look.
    let slow = Pace {
        pending: Duration::from_secs(3600),
        min_task_duration: Duration::from_secs(3600),
        per_item_cost: Duration::ZERO,
    };
    let (handle, http) = start(config().pace(slow)).await;
    http.upsert_users(&["ann", "bob", "cat", "dan"]).await;
    let (s, b) = http
        .post("/api/v2/users/delete", json!({"user_ids": ["ann"]}))
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = http
        .post(
            "/api/v2/users/delete",
            json!({"user_ids": ["bob"], "user": "hard"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        http.task(b["task_id"].as_str().unwrap()).await["status"],
        "pending"
    );
    assert_eq!(user_ids(&http, json!({})).await, ["cat", "dan"]);
    assert_eq!(
        user_ids(
            &http,
            json!({"filter_conditions": {"id": {"$in": ["ann", "cat"]}}})
        )
        .await,
        ["cat"]
    );
    let deleted = json!({"filter_conditions": {"deleted_at": {"$exists": true}}});
    assert_eq!(user_ids(&http, deleted).await, ["ann", "bob"]);
    let (s, b) = http
        .get(&format!(
            "/api/v2/users?payload={}",
            urlencode(r#"{"filter_conditions":{"deleted_at":"x"}}"#)
        ))
        .await;
    assert_400(s, &b);
    handle.shutdown().await;
}

#[tokio::test]
async fn updates_send_member_and_channel_events_and_hide_history_hides_the_past() {
    let (url, mut rx) = receiver().await;
    let (handle, http) = start(config().webhook_url(url)).await;
    http.upsert_users(&["ann", "bob", "cat"]).await;
    http.create_channel("messaging", "c1", &["ann", "bob"])
        .await;
    http.send_message("messaging:c1", "ann", "before cat", None)
        .await;
    let path = "/api/v2/chat/channels/messaging/c1";
    let (s, b) = http
        .post(
            path,
            json!({"add_members": ["cat"], "hide_history": true, "data": {"frozen": true}, "user_id": "ann"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let mut seen = Vec::new();
    for _ in 0..3 {
        let e = next(&mut rx).await.event;
        assert_eq!(e["cid"], "messaging:c1", "{e}");
        seen.push(e["type"].as_str().unwrap().to_owned());
        if e["type"] == "member.added" {
            assert_eq!(e["member"]["user_id"], "cat", "{e}");
        } else {
            assert_eq!(
                (&e["channel"]["frozen"], &e["user"]["id"]),
                (&json!(true), &json!("ann")),
                "{e}"
            );
        }
    }
    assert_eq!(seen, ["member.added", "channel.updated", "channel.frozen"]);
    http.post(&format!("{path}/hide"), json!({"user_id": "bob"}))
        .await;
    http.post(&format!("{path}/show"), json!({"user_id": "bob"}))
        .await;
    for kind in ["channel.hidden", "channel.visible"] {
        let e = next(&mut rx).await.event;
        assert_eq!(
            (&e["type"], &e["user"]["id"]),
            (&json!(kind), &json!("bob")),
            "{e}"
        );
    }
    // cat joined with hide_history: the earlier message is not theirs to see; ann's view has it.
    let texts = |found: &[Value]| -> Vec<Value> {
        found[0]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["text"].clone())
            .collect()
    };
    let as_cat = query(
        &http,
        json!({"filter_conditions": {"id": "c1"}, "user_id": "cat"}),
    )
    .await;
    assert!(texts(&as_cat).is_empty(), "{as_cat:?}");
    assert!(as_cat[0]["hide_messages_before"].is_i64(), "{as_cat:?}");
    let as_ann = query(
        &http,
        json!({"filter_conditions": {"id": "c1"}, "user_id": "ann"}),
    )
    .await;
    assert_eq!(texts(&as_ann), [json!("before cat")]);
    handle.shutdown().await;
}
