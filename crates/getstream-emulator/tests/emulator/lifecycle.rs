//! The calls around the jobs, over HTTP: single-user deactivate/reactivate/export/delete,
//! restore users, partial user updates, channel truncation (v2 and the unprefixed paths).

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

fn texts(state: &Value) -> Vec<String> {
    state["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect()
}

async fn query(http: &Http, prefix: &str, cid: &str) -> Value {
    let (kind, id) = cid.split_once(':').unwrap();
    let (s, b) = http
        .post(&format!("{prefix}/channels/{kind}/{id}/query"), json!({}))
        .await;
    assert_eq!(s, 201, "{b}");
    b
}

async fn export_texts(http: &Http, user: &str) -> Vec<String> {
    let (s, b) = http.get(&format!("/api/v2/users/{user}/export")).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["user"]["id"], user, "{b}");
    texts(&b)
}

#[tokio::test]
async fn single_user_deactivate_reactivate_answer_the_user_at_once() {
    let (_h, http) = start(config()).await;
    http.upsert_users(&["ann", "bob"]).await;
    http.create_channel("messaging", "c1", &["ann", "bob"])
        .await;
    http.send_message("messaging:c1", "ann", "hi", None).await;
    // The v2 paths (the unprefixed ones answer in the v1 dialect; tests in v1.rs).
    for prefix in ["/api/v2"] {
        let (s, b) = http
            .post(
                &format!("{prefix}/users/ann/deactivate"),
                json!({"created_by_id": "bob", "mark_messages_deleted": true}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        assert_eq!(b["user"]["id"], "ann");
        assert!(b["user"]["deactivated_at"].is_i64(), "{b}");
        // Hidden from queries unless asked for.
        let payload = r#"{"filter_conditions":{"id":"ann"}}"#;
        let (_, q) = http.get(&format!("/api/v2/users?payload={payload}")).await;
        assert_eq!(q["users"], json!([]), "{q}");
        let payload = r#"{"filter_conditions":{"id":"ann"},"include_deactivated_users":true}"#;
        let (_, q) = http.get(&format!("/api/v2/users?payload={payload}")).await;
        assert_eq!(q["users"][0]["id"], "ann", "{q}");
        let state = query(&http, "/api/v2/chat", "messaging:c1").await;
        assert_eq!(state["messages"][0]["type"], "deleted", "{state}");

        let (s, b) = http
            .post(
                &format!("{prefix}/users/ann/reactivate"),
                json!({"restore_messages": true, "name": "Ann Again"}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        assert!(b["user"].get("deactivated_at").is_none(), "{b}");
        assert_eq!(b["user"]["name"], "Ann Again");
        let state = query(&http, "/api/v2/chat", "messaging:c1").await;
        assert_eq!(state["messages"][0]["type"], "regular", "{state}");
    }
    let (s, b) = http.post("/api/v2/users/ghost/deactivate", json!({})).await;
    assert_eq!((s, b["code"].as_i64()), (404, Some(16)), "{b}");
    let (s, b) = http.post("/api/v2/users/ghost/reactivate", json!({})).await;
    assert_eq!((s, b["code"].as_i64()), (404, Some(16)), "{b}");
    let (s, b) = http
        .post("/api/v2/users/ann/deactivate", json!({"created_by_id": ""}))
        .await;
    assert_eq!((s, b["code"].as_i64()), (400, Some(4)), "{b}");
    let (s, b) = http.get("/api/v2/users/ghost/export").await;
    assert_eq!((s, b["code"].as_i64()), (404, Some(16)), "{b}");
}

#[tokio::test]
async fn restore_undoes_a_soft_delete_and_refuses_a_hard_one() {
    let (_h, http) = start(config()).await;
    http.upsert_users(&["soft", "hard", "alive"]).await;
    let (t, _) = http
        .run_task("/api/v2/users/delete", json!({"user_ids": ["soft"]}))
        .await;
    assert_eq!(t["status"], "completed", "{t}");
    let (t, _) = http
        .run_task(
            "/api/v2/users/delete",
            json!({"user_ids": ["hard"], "user": "hard"}),
        )
        .await;
    assert_eq!(t["status"], "completed", "{t}");
    let (s, b) = http.get("/api/v2/users/soft/export").await;
    assert_eq!(s, 200, "{b}");
    assert!(b["user"]["deleted_at"].is_i64(), "{b}");

    // All or nothing: the hard-deleted id fails the call and nothing is restored.
    let (s, b) = http
        .post(
            "/api/v2/users/restore",
            json!({"user_ids": ["soft", "hard"]}),
        )
        .await;
    assert_eq!((s, b["code"].as_i64()), (400, Some(4)), "{b}");
    assert!(b["message"].as_str().unwrap().contains("hard"), "{b}");
    let (_, b) = http.get("/api/v2/users/soft/export").await;
    assert!(b["user"]["deleted_at"].is_i64(), "{b}");

    for prefix in ["/api/v2", ""] {
        let (s, b) = http
            .post(
                &format!("{prefix}/users/restore"),
                json!({"user_ids": ["soft", "alive"]}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        assert!(b["duration"].is_string(), "{b}");
    }
    let (_, b) = http.get("/api/v2/users/soft/export").await;
    assert!(b["user"].get("deleted_at").is_none(), "{b}");
    for bad in [
        json!({}),
        json!({"user_ids": []}),
        json!({"user_ids": ["a b"]}),
        json!({"user_ids": ["ghost"]}),
    ] {
        let (s, b) = http.post("/api/v2/users/restore", bad.clone()).await;
        assert_eq!((s, b["code"].as_i64()), (400, Some(4)), "{bad}: {b}");
    }
}

#[tokio::test]
async fn partial_update_sets_and_unsets_fields() {
    let (_h, http) = start(config()).await;
    http.upsert_users(&["ann"]).await;
    for prefix in ["/api/v2", ""] {
        let (s, _, b) = http
            .send(
                Method::PATCH,
                &format!("{prefix}/users"),
                Some(json!({"users": [
                    {"id": "ann", "set": {"role": "admin", "team": "blue", "name": "Ann"}}
                ]})),
            )
            .await
            .unwrap();
        assert_eq!(s, 200, "{b}");
        let ann = &b["users"]["ann"];
        assert_eq!(ann["role"], "admin", "{b}");
        assert_eq!(ann["name"], "Ann", "{b}");
        // v2 nests custom fields; the v1 dialect puts them at the top level.
        let team = if prefix.is_empty() {
            &ann["team"]
        } else {
            &ann["custom"]["team"]
        };
        assert_eq!(team, "blue", "{b}");
        assert_eq!(b["membership_deletion_task_id"], "", "{b}");
    }
    let (s, _, b) = http
        .send(
            Method::PATCH,
            "/api/v2/users",
            Some(json!({"users": [{"id": "ann", "unset": ["team"]}]})),
        )
        .await
        .unwrap();
    assert_eq!(s, 200, "{b}");
    assert!(b["users"]["ann"]["custom"].get("team").is_none(), "{b}");
    let (s, _, b) = http
        .send(
            Method::PATCH,
            "/api/v2/users",
            Some(json!({"users": [{"id": "ann", "set": {"custom": {"level": 3}}}]})),
        )
        .await
        .unwrap();
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["users"]["ann"]["custom"]["level"], 3, "{b}");
    assert_eq!(b["users"]["ann"]["role"], "admin", "{b}");
    for bad in [
        json!({}),
        json!({"users": []}),
        json!({"users": [{"id": "ghost", "set": {"a": 1}}]}),
        json!({"users": [{"id": "ann"}]}),
        json!({"users": [{"id": "ann", "set": {"created_at": 1}}]}),
        json!({"users": [{"id": "ann", "set": {"a": 1}, "unset": ["a"]}]}),
        json!({"users": [{"id": "ann", "set": {"role": ""}}]}),
        json!({"users": [{"set": {"a": 1}}]}),
        json!({"users": [{"id": "ann", "unset": "a"}]}),
        json!({"users": [{"id": "ann", "unset": ["custom"]}]}),
        json!({"users": [{"id": "ann", "set": {"custom": 1}}]}),
    ] {
        let (s, _, b) = http
            .send(Method::PATCH, "/api/v2/users", Some(bad.clone()))
            .await
            .unwrap();
        assert_eq!((s, b["code"].as_i64()), (400, Some(4)), "{bad}: {b}");
    }
}

#[tokio::test]
async fn soft_truncate_hides_hard_truncate_removes_for_good() {
    let (_h, http) = start(config()).await;
    http.upsert_users(&["ann", "bob"]).await;
    for c in ["soft", "hard", "v1"] {
        http.create_channel("messaging", c, &["ann", "bob"]).await;
        http.send_message(&format!("messaging:{c}"), "ann", &format!("{c} 1"), None)
            .await;
        http.send_message(&format!("messaging:{c}"), "bob", &format!("{c} 2"), None)
            .await;
    }
    // Soft, with a system message: the query shows only the system message; the user
    // export still has the hidden messages.
    let (s, b) = http
        .post(
            "/api/v2/chat/channels/messaging/soft/truncate",
            json!({"user_id": "ann", "skip_push": true,
                   "message": {"text": "history cleared", "user_id": "bob"}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert!(b["channel"]["truncated_at"].is_i64(), "{b}");
    assert_eq!(b["channel"]["truncated_by"]["id"], "ann", "{b}");
    assert_eq!(b["message"]["type"], "system", "{b}");
    assert_eq!(b["message"]["user"]["id"], "bob", "{b}");
    assert!(b["message"]["created_at"].as_i64() > b["channel"]["truncated_at"].as_i64());
    let state = query(&http, "/api/v2/chat", "messaging:soft").await;
    assert_eq!(texts(&state), ["history cleared"]);
    assert!(
        export_texts(&http, "ann")
            .await
            .contains(&"soft 1".to_owned())
    );

    // Hard: gone from the channel and from the user's export.
    let (s, b) = http
        .post(
            "/api/v2/chat/channels/messaging/hard/truncate",
            json!({"hard_delete": true}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert!(b.get("message").is_none(), "{b}");
    let state = query(&http, "/api/v2/chat", "messaging:hard").await;
    assert_eq!(texts(&state), Vec::<String>::new());
    assert_eq!(state["channel"]["member_count"], 2, "members stay: {state}");
    assert!(
        !export_texts(&http, "ann")
            .await
            .contains(&"hard 1".to_owned())
    );
    assert!(
        !export_texts(&http, "bob")
            .await
            .contains(&"hard 2".to_owned())
    );

    // The unprefixed path, up to a time: a message sent later stays.
    let cut = time::OffsetDateTime::now_utc();
    let later = (cut + time::Duration::milliseconds(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    http.send_message("messaging:v1", "ann", "v1 3", Some(&later))
        .await;
    let cut = cut
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (s, b) = http
        .post(
            "/channels/messaging/v1/truncate",
            json!({"truncated_at": cut, "hard_delete": true}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(texts(&query(&http, "", "messaging:v1").await), ["v1 3"]);

    for (path, bad, status) in [
        ("messaging/nope", json!({}), 404),
        (
            "messaging/hard",
            json!({"truncated_at": "2999-01-01T00:00:00Z"}),
            400,
        ),
        ("messaging/hard", json!({"truncated_at": "yesterday"}), 400),
        ("messaging/hard", json!({"member_ids": ["ann"]}), 400),
        ("messaging/hard", json!({"message": {"text": "x"}}), 400),
        (
            "messaging/hard",
            json!({"message": {"user_id": "ann"}}),
            400,
        ),
        ("messaging/hard", json!({"user_id": "ghost"}), 400),
        ("messaging/hard", json!({"hard_delete": "yes"}), 400),
        ("bad type!/x", json!({}), 400),
    ] {
        let (s, b) = http
            .post(
                &format!("/api/v2/chat/channels/{path}/truncate"),
                bad.clone(),
            )
            .await;
        assert_eq!(s, status, "{path} {bad}: {b}");
    }
}

#[tokio::test]
async fn channel_export_leaves_out_soft_truncated_messages_unless_asked() {
    let (_h, http) = start(config()).await;
    http.upsert_users(&["ann"]).await;
    http.create_channel("messaging", "c", &["ann"]).await;
    http.send_message("messaging:c", "ann", "old", None).await;
    let (s, b) = http
        .post("/api/v2/chat/channels/messaging/c/truncate", json!({}))
        .await;
    assert_eq!(s, 201, "{b}");
    http.send_message("messaging:c", "ann", "new", None).await;
    for (include, want) in [(false, vec!["new"]), (true, vec!["old", "new"])] {
        let (t, _) = http
            .run_task(
                "/api/v2/chat/export_channels",
                json!({"channels": [{"cid": "messaging:c"}], "include_truncated_messages": include}),
            )
            .await;
        let (s, file) = http.download(t["result"]["url"].as_str().unwrap()).await;
        assert_eq!(s, 200);
        assert_eq!(texts(&file["channels"][0]), want, "{file}");
    }
}

#[tokio::test]
async fn legacy_single_user_delete_starts_a_task() {
    let (_h, http) = start(config()).await;
    http.upsert_users(&["ann", "bob"]).await;
    http.create_channel("messaging", "c", &["ann", "bob"]).await;
    http.send_message("messaging:c", "ann", "mine", None).await;
    let (s, _, b) = http
        .send(
            Method::DELETE,
            "/users/ann?hard_delete=true&mark_messages_deleted=true",
            None,
        )
        .await
        .unwrap();
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["user"]["id"], "ann", "{b}");
    let (t, _) = http.wait(b["task_id"].as_str().unwrap()).await;
    assert_eq!(t["status"], "completed", "{t}");
    assert_eq!(
        texts(&query(&http, "/api/v2/chat", "messaging:c").await),
        Vec::<String>::new()
    );
    let (s, b) = http
        .post("/api/v2/users/restore", json!({"user_ids": ["ann"]}))
        .await;
    assert_eq!(s, 400, "{b}");
    let (s, _, b) = http
        .send(Method::DELETE, "/users/ghost", None)
        .await
        .unwrap();
    assert_eq!(s, 404, "{b}");
}

#[tokio::test]
async fn single_user_calls_and_truncate_send_webhook_events() {
    let (url, mut rx) = crate::webhooks::receiver().await;
    let (handle, http) = start(config().webhook_url(url)).await;
    http.upsert_users(&["ann", "bob"]).await;
    http.create_channel("messaging", "c", &["ann", "bob"]).await;
    http.send_message("messaging:c", "ann", "hi", None).await;

    http.post(
        "/api/v2/users/ann/deactivate",
        json!({"created_by_id": "bob"}),
    )
    .await;
    let d = crate::webhooks::next(&mut rx).await;
    assert!(d.verified, "{:?}", d.event);
    assert_eq!(d.event["type"], "user.deactivated", "{}", d.event);
    assert_eq!(d.event["user"]["id"], "ann");
    assert!(d.event["user"]["deactivated_at"].is_i64(), "{}", d.event);
    assert_eq!(d.event["created_by"]["id"], "bob");

    http.post("/users/ann/reactivate", json!({})).await;
    let e = crate::webhooks::next(&mut rx).await.event;
    assert_eq!(e["type"], "user.reactivated", "{e}");
    assert!(e["user"].get("deactivated_at").is_none(), "{e}");

    http.post(
        "/api/v2/chat/channels/messaging/c/truncate",
        json!({"hard_delete": true, "user_id": "bob", "message": {"text": "gone"}}),
    )
    .await;
    let e = crate::webhooks::next(&mut rx).await.event;
    assert_eq!(e["type"], "channel.truncated", "{e}");
    assert_eq!(e["cid"], "messaging:c");
    assert_eq!(
        (e["channel_type"].as_str(), e["channel_id"].as_str()),
        (Some("messaging"), Some("c"))
    );
    assert!(e["channel"]["truncated_at"].is_i64(), "{e}");
    assert_eq!(e["message"]["text"], "gone");
    assert_eq!(e["message_id"], e["message"]["id"]);
    assert_eq!(e["user"]["id"], "bob");
    assert!(e["created_at"].is_i64(), "{e}");

    http.send(Method::DELETE, "/users/ann", None).await.unwrap();
    let e = crate::webhooks::next(&mut rx).await.event;
    assert_eq!(e["type"], "user.deleted", "{e}");
    assert_eq!(e["user"]["id"], "ann");

    handle.state().webhooks_settled().await;
    let types: Vec<String> = handle
        .state()
        .webhook_deliveries()
        .iter()
        .map(|d| d.event_type.clone())
        .collect();
    assert_eq!(
        types,
        [
            "user.deactivated",
            "user.reactivated",
            "channel.truncated",
            "user.deleted"
        ]
    );
}
