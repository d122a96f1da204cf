//! The unprefixed (v1) paths of the `stream-chat` SDKs: the v1 dialect of their answers, the
//! calls only they make, and the calls the emulator answers as out of scope.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

/// An RFC 3339 timestamp as the v1 dialect writes it (UTC, `Z`).
#[track_caller]
fn assert_rfc3339(v: &Value) {
    let s = v.as_str().unwrap_or_else(|| panic!("not a string: {v}"));
    assert!(
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
            && s.ends_with('Z'),
        "not RFC 3339: {s}"
    );
}

async fn send(http: &Http, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let (s, _, b) = http.send(method, path, body).await.unwrap();
    (s, b)
}

#[tokio::test]
async fn v1_answers_have_rfc3339_times_and_top_level_custom_fields_v2_keeps_its_own() {
    let (_h, http) = start(config()).await;
    let (s, b) = http
        .post(
            "/users",
            json!({"users": {"ann": {"id": "ann", "name": "Ann", "team": "blue"}, "bob": {"id": "bob"}}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let ann = &b["users"]["ann"];
    assert_eq!(
        (&ann["name"], &ann["team"]),
        (&json!("Ann"), &json!("blue"))
    );
    assert!(ann.get("custom").is_none(), "{ann}");
    assert_rfc3339(&ann["created_at"]);
    assert_rfc3339(&ann["updated_at"]);

    // Channel data: custom fields at the top level of `data`, bare member ids.
    let (s, b) = http
        .post(
            "/channels/messaging/c1/query",
            json!({"data": {"created_by_id": "ann", "members": ["ann", "bob"], "color": "red"}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["channel"]["color"], "red", "{b}");
    assert_rfc3339(&b["channel"]["created_at"]);
    assert_rfc3339(&b["channel"]["created_by"]["created_at"]);
    assert_rfc3339(&b["members"][0]["created_at"]);
    let (s, b) = http
        .post(
            "/channels/messaging/c1/message",
            json!({"message": {"text": "hi", "user_id": "ann", "mood": "ok"}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["message"]["mood"], "ok", "{b}");
    assert_rfc3339(&b["message"]["created_at"]);
    let (s, b) = http
        .get(r#"/users?payload={"filter_conditions":{"id":"ann"}}"#)
        .await;
    assert_eq!(s, 200, "{b}");
    assert_rfc3339(&b["users"][0]["created_at"]);
    assert_eq!(b["users"][0]["team"], "blue");

    // The v2 paths are unchanged: nanoseconds, `custom` objects.
    let (s, b) = http
        .post(
            "/api/v2/chat/channels/messaging/c1/query",
            json!({"messages": {"limit": 10}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert!(b["channel"]["created_at"].is_i64(), "{b}");
    assert_eq!(b["channel"]["custom"]["color"], "red");
    assert_eq!(b["messages"][0]["custom"]["mood"], "ok");
    assert!(b["messages"][0]["created_at"].is_i64());
}

#[tokio::test]
async fn v1_errors_keep_the_envelope() {
    let (_h, http) = start(config()).await;
    let (s, b) = http
        .post("/channels/messaging/c1/query", json!({"data": {}}))
        .await;
    assert_eq!(
        (s, &b["code"], &b["StatusCode"]),
        (400, &json!(4), &json!(400)),
        "{b}"
    );
    assert_eq!(b["details"], json!([]));
}

#[tokio::test]
async fn export_channel_status_and_export_users_on_the_v1_paths() {
    let (_h, http) = start(config()).await;
    http.upsert_users(&["ann"]).await;
    http.create_channel("messaging", "c1", &["ann"]).await;
    http.send_message("messaging:c1", "ann", "hello", None)
        .await;
    let (s, started) = http
        .post(
            "/export_channels",
            json!({"channels": [{"cid": "messaging:c1"}]}),
        )
        .await;
    assert_eq!(s, 201, "{started}");
    let id = started["task_id"].as_str().unwrap();
    http.wait(id).await;
    let (s, t) = http.get(&format!("/export_channels/{id}")).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(
        (&t["task_id"], &t["status"]),
        (&json!(id), &json!("completed"))
    );
    assert_rfc3339(&t["created_at"]);
    assert!(t["result"]["url"].is_string(), "{t}");
    let (s, b) = http.get("/export_channels/nope").await;
    assert_eq!((s, &b["code"]), (404, &json!(16)), "{b}");

    let (s, started) = http
        .post("/export/users", json!({"user_ids": ["ann"]}))
        .await;
    assert_eq!(s, 201, "{started}");
    let (done, _) = http.wait(started["task_id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done}");
    let (s, file) = http.download(done["result"]["url"].as_str().unwrap()).await;
    assert_eq!(s, 200);
    assert_eq!(file["users"][0]["user"]["id"], "ann", "{file}");
}

#[tokio::test]
async fn delete_user_answers_the_user_and_a_task_that_deletes_them() {
    let (_h, http) = start(config()).await;
    http.upsert_users(&["ann", "bob"]).await;
    http.create_channel("messaging", "c1", &["ann", "bob"])
        .await;
    http.send_message("messaging:c1", "ann", "gone", None).await;
    http.send_message("messaging:c1", "bob", "kept", None).await;
    let (s, b) = send(&http, Method::DELETE, "/users/ann?hard_delete=true", None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["user"]["id"], "ann");
    assert_rfc3339(&b["user"]["created_at"]);
    let (done, _) = http.wait(b["task_id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"]["ann"]["status"], "ok", "{done}");
    let (_, q) = http
        .get(r#"/api/v2/users?payload={"filter_conditions":{"id":{"$in":["ann","bob"]}}}"#)
        .await;
    let ids: Vec<&str> = q["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert_eq!(ids, ["bob"], "{q}");
    let (_, c) = http
        .post("/api/v2/chat/channels/messaging/c1/query", json!({}))
        .await;
    let texts: Vec<&str> = c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(texts, ["kept"], "{c}");

    let (s, b) = send(&http, Method::DELETE, "/users/nobody", None).await;
    assert_eq!((s, &b["code"]), (404, &json!(16)), "{b}");
}

#[tokio::test]
async fn soft_delete_user_keeps_messages_unless_marked() {
    let (_h, http) = start(config()).await;
    http.upsert_users(&["ann", "bob"]).await;
    http.create_channel("messaging", "c1", &["ann", "bob"])
        .await;
    http.send_message("messaging:c1", "ann", "mine", None).await;
    http.send_message("messaging:c1", "bob", "his", None).await;
    for path in ["/users/ann", "/users/bob?mark_messages_deleted=true"] {
        let (s, b) = send(&http, Method::DELETE, path, None).await;
        assert_eq!(s, 200, "{b}");
        let (done, _) = http.wait(b["task_id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "completed", "{done}");
    }
    let (_, c) = http
        .post("/api/v2/chat/channels/messaging/c1/query", json!({}))
        .await;
    let kinds: Vec<(&str, &str)> = c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user"]["id"].as_str().unwrap(),
                m["type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(kinds, [("ann", "regular"), ("bob", "deleted")], "{c}");
}

#[tokio::test]
async fn single_user_deactivate_and_reactivate_are_synchronous() {
    let (_h, http) = start(config()).await;
    http.upsert_users(&["ann"]).await;
    let (s, b) = http
        .post(
            "/users/ann/deactivate",
            json!({"mark_messages_deleted": false}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["user"]["id"], "ann");
    assert_rfc3339(&b["user"]["deactivated_at"]);
    let (_, q) = http
        .get(r#"/users?payload={"filter_conditions":{"id":"ann"}}"#)
        .await;
    assert_eq!(q["users"], json!([]), "{q}");
    let (s, b) = http
        .post("/users/ann/reactivate", json!({"name": "Ann B"}))
        .await;
    assert_eq!(s, 201, "{b}");
    assert!(b["user"].get("deactivated_at").is_none(), "{b}");
    assert_eq!(b["user"]["name"], "Ann B");
    let (s, b) = http.post("/users/nobody/deactivate", json!({})).await;
    assert_eq!((s, &b["code"]), (404, &json!(16)), "{b}");
}

#[tokio::test]
async fn the_calls_around_the_jobs_are_served_on_the_v1_paths_too() {
    // Once out of scope (501), now served (issue 18): the same handlers as v2, in the v1
    // dialect.
    let (_h, http) = start(config()).await;
    http.upsert_users(&["ann"]).await;
    http.create_channel("messaging", "c1", &["ann"]).await;
    let (s, b) = send(
        &http,
        Method::POST,
        "/users/restore",
        Some(json!({"user_ids": ["ann"]})),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = send(
        &http,
        Method::POST,
        "/channels/messaging/c1/truncate",
        Some(json!({})),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    assert!(
        b["channel"]["truncated_at"].is_string(),
        "v1 times are RFC 3339: {b}"
    );
    let (s, b) = send(&http, Method::GET, "/users/ann/export", None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["user"]["id"], "ann", "{b}");
}

#[tokio::test]
async fn single_user_calls_send_their_signed_events() {
    let (url, mut rx) = crate::webhooks::receiver().await;
    let (_h, http) = start(config().webhook_url(url)).await;
    http.upsert_users(&["ann", "bob"]).await;
    let (s, b) = http.post("/users/ann/deactivate", json!({})).await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = http
        .post("/users/ann/reactivate", json!({"created_by_id": "bob"}))
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = send(&http, Method::DELETE, "/users/bob?hard_delete=true", None).await;
    assert_eq!(s, 200, "{b}");
    let mut got = Vec::new();
    for _ in 0..3 {
        let d = crate::webhooks::next(&mut rx).await;
        assert!(d.verified, "{}", d.event);
        got.push((
            d.event["type"].as_str().unwrap().to_owned(),
            d.event["user"]["id"].as_str().unwrap().to_owned(),
        ));
    }
    got.sort();
    assert_eq!(
        got,
        [
            ("user.deactivated".to_owned(), "ann".to_owned()),
            ("user.deleted".to_owned(), "bob".to_owned()),
            ("user.reactivated".to_owned(), "ann".to_owned()),
        ]
    );
}
