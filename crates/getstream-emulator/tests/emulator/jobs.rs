//! End-to-end: jobs run over HTTP to completion, with their real effects checked.

use std::time::Duration;

use getstream_emulator::{EmulatorConfig, Pace, RateLimits};
use serde_json::{Value, json};

use crate::support::*;

/// The channel `cid` of the default app, as the state snapshot shows it.
fn channel(handle: &getstream_emulator::EmulatorHandle, cid: &str) -> Value {
    let snap = handle.state().snapshot(KEY).unwrap();
    snap["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cid"] == cid)
        .unwrap()
        .clone()
}

async fn seeded(config: EmulatorConfig) -> (getstream_emulator::EmulatorHandle, Http) {
    let (handle, http) = start(config).await;
    http.upsert_users(&["ann", "bob", "cid"]).await;
    http.create_channel("messaging", "general", &["ann", "bob"])
        .await;
    http.create_channel("messaging", "dm", &["ann", "cid"])
        .await;
    (handle, http)
}

fn texts(messages: &Value) -> Vec<String> {
    messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn export_channels_writes_a_downloadable_file_honouring_the_range() {
    let (handle, http) = seeded(config()).await;
    for (i, t) in [
        "2024-01-01T00:00:00Z",
        "2024-02-01T00:00:00Z",
        "2024-03-01T00:00:00Z",
    ]
    .iter()
    .enumerate()
    {
        let who = if i % 2 == 0 { "ann" } else { "bob" };
        http.send_message("messaging:general", who, &format!("msg-{i}"), Some(t))
            .await;
    }
    let (s, started) = http
        .post(
            "/api/v2/chat/export_channels",
            json!({"channels": [{"cid": "messaging:general",
                "messages_since": "2024-01-15T00:00:00+00:00",
                "messages_until": "2024-02-15T00:00:00"}], "export_users": true}),
        )
        .await;
    assert_eq!(s, 201, "{started}");
    let (task, _) = http.wait(started["task_id"].as_str().unwrap()).await;
    assert_eq!(task["status"], "completed", "{task}");
    let url = task["result"]["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/_emulator/exports/", handle.base_url())),
        "{url}"
    );
    let (status, file) = http.download(url).await;
    assert_eq!(status, 200);
    let ch = &file["channels"][0];
    assert_eq!(ch["channel"]["cid"], "messaging:general");
    assert_eq!(texts(&ch["messages"]), vec!["msg-1"]);
    let members: Vec<&str> = ch["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(members, vec!["ann", "bob"]);
    assert!(
        file["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == "bob")
    );
    // A wrong token is a 404, and another app cannot read the task.
    let (s, _) = http
        .download(&format!(
            "{}/_emulator/exports/deadbeef.json",
            handle.base_url()
        ))
        .await;
    assert_eq!(s, 404);
    let b = Http::new(&handle, KEY_B, SECRET_B);
    let (s, body) = b
        .get(&format!(
            "/api/v2/tasks/{}",
            started["task_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, 404, "{body}");
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn statuses_move_pending_running_completed_at_the_configured_pace() {
    let pace = Pace {
        pending: Duration::from_millis(500),
        min_task_duration: Duration::from_secs(2),
        per_item_cost: Duration::from_millis(10),
    };
    let (handle, http) = seeded(config().pace(pace)).await;
    let t0 = tokio::time::Instant::now();
    let (_, started) = http
        .post("/api/v2/export/users", json!({"user_ids": ["ann"]}))
        .await;
    let id = started["task_id"].as_str().unwrap();
    let (task, seen) = http.wait(id).await;
    let elapsed = t0.elapsed();
    assert_eq!(seen, vec!["pending", "running", "completed"]);
    assert!(elapsed >= Duration::from_millis(2500), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2700), "{elapsed:?}");
    let created = task["created_at"].as_u64().unwrap();
    assert!(task["updated_at"].as_u64().unwrap() >= created);
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_worker_pool_is_bounded() {
    let pace = Pace {
        pending: Duration::ZERO,
        min_task_duration: Duration::from_secs(1),
        per_item_cost: Duration::ZERO,
    };
    let (handle, http) = seeded(config().pace(pace).workers(1)).await;
    let (_, a) = http
        .post("/api/v2/export/users", json!({"user_ids": ["ann"]}))
        .await;
    let (_, b) = http
        .post("/api/v2/export/users", json!({"user_ids": ["bob"]}))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ta = http.task(a["task_id"].as_str().unwrap()).await;
    let tb = http.task(b["task_id"].as_str().unwrap()).await;
    assert_eq!(ta["status"], "running");
    assert_eq!(tb["status"], "pending", "one worker: the second job waits");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let ta = http.task(a["task_id"].as_str().unwrap()).await;
    let tb = http.task(b["task_id"].as_str().unwrap()).await;
    assert_eq!(ta["status"], "completed");
    assert_eq!(tb["status"], "running");
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn hard_delete_channels_removes_channel_and_messages() {
    let (handle, http) = seeded(config()).await;
    http.send_message("messaging:general", "ann", "bye", None)
        .await;
    let (s, resp) = http
        .post(
            "/api/v2/chat/channels/delete",
            json!({"cids": ["messaging:general", "messaging:ghost"], "hard_delete": true}),
        )
        .await;
    assert_eq!(s, 201, "{resp}");
    assert_eq!(resp["result"]["messaging:general"]["status"], "ok");
    assert_eq!(resp["result"]["messaging:ghost"]["status"], "error");
    let (task, _) = http.wait(resp["task_id"].as_str().unwrap()).await;
    assert_eq!(task["status"], "completed");
    assert_eq!(task["result"]["messaging:general"], json!({"status": "ok"}));
    let snap = handle.state().snapshot(KEY).unwrap();
    let cids: Vec<&str> = snap["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cid"].as_str().unwrap())
        .collect();
    assert_eq!(cids, vec!["messaging:dm"]);
    // Exporting it now fails; re-creating it gives an empty channel.
    let (t, _) = http
        .run_task(
            "/api/v2/chat/export_channels",
            json!({"channels": [{"type": "messaging", "id": "general"}]}),
        )
        .await;
    assert_eq!(t["status"], "failed");
    let again = http.create_channel("messaging", "general", &["ann"]).await;
    assert_eq!(again["messages"], json!([]));
    handle.shutdown().await;
}

/// A hard delete refused because the app's task store is full of unfinished tasks (429)
/// changes nothing: the channel is not soft-deleted either.
#[tokio::test(start_paused = true)]
async fn a_hard_delete_refused_for_a_full_task_store_leaves_the_channels_alone() {
    let pace = Pace {
        pending: Duration::from_secs(10),
        min_task_duration: Duration::ZERO,
        per_item_cost: Duration::ZERO,
    };
    let (handle, http) = seeded(config().pace(pace).max_tasks(1)).await;
    let (s, b) = http
        .post("/api/v2/users/deactivate", json!({"user_ids": ["ann"]}))
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = http
        .post(
            "/api/v2/chat/channels/delete",
            json!({"cids": ["messaging:dm"], "hard_delete": true}),
        )
        .await;
    assert_eq!(s, 429, "{b}");
    assert_eq!(b["code"], 9, "{b}");
    let dm = channel(&handle, "messaging:dm");
    assert!(dm.get("deleted_at").is_none_or(Value::is_null), "{dm}");
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn soft_delete_channels_answers_at_once_without_a_task() {
    let (handle, http) = seeded(config()).await;
    let (s, resp) = http
        .post(
            "/api/v2/chat/channels/delete",
            json!({"cids": ["messaging:dm"]}),
        )
        .await;
    assert_eq!(s, 201);
    assert!(resp.get("task_id").is_none(), "{resp}");
    assert_eq!(resp["result"]["messaging:dm"]["status"], "ok");
    let dm = channel(&handle, "messaging:dm");
    assert!(dm["deleted_at"].is_number(), "{dm}");
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn failed_job_carries_the_error_object() {
    let (handle, http) = seeded(config()).await;
    let (t, seen) = http
        .run_task(
            "/api/v2/chat/export_channels",
            json!({"channels": [{"cid": "messaging:never"}]}),
        )
        .await;
    assert_eq!(seen.last().unwrap(), "failed");
    let e = &t["error"];
    assert!(!e["type"].as_str().unwrap().is_empty());
    assert!(
        e["description"]
            .as_str()
            .unwrap()
            .contains("messaging:never")
    );
    assert!(e["stacktrace"].is_string());
    assert!(e["version"].is_string());
    assert!(t.get("result").is_none());
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn export_users_holds_the_users_and_their_messages() {
    let (handle, http) = seeded(config()).await;
    http.send_message("messaging:general", "ann", "from ann", None)
        .await;
    http.send_message("messaging:general", "bob", "from bob", None)
        .await;
    let (t, _) = http
        .run_task("/api/v2/export/users", json!({"user_ids": ["ann"]}))
        .await;
    assert_eq!(t["status"], "completed", "{t}");
    let (_, file) = http.download(t["result"]["url"].as_str().unwrap()).await;
    let users = file["users"].as_array().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["user"]["id"], "ann");
    assert_eq!(texts(&users[0]["messages"]), vec!["from ann"]);
    // Unknown users make the export fail.
    let (t, _) = http
        .run_task("/api/v2/export/users", json!({"user_ids": ["ghost"]}))
        .await;
    assert_eq!(t["status"], "failed");
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn delete_users_hard_and_soft() {
    let (handle, http) = seeded(config()).await;
    http.send_message("messaging:general", "ann", "ann says", None)
        .await;
    http.send_message("messaging:general", "bob", "bob says", None)
        .await;
    http.send_message("messaging:dm", "cid", "cid says", None)
        .await;
    let (t, _) = http
        .run_task(
            "/api/v2/users/delete",
            json!({"user_ids": ["bob", "nobody"], "user": "hard", "messages": "hard"}),
        )
        .await;
    assert_eq!(t["status"], "completed");
    assert_eq!(t["result"]["bob"], json!({"status": "ok"}));
    assert_eq!(t["result"]["nobody"]["status"], "error");
    http.run_task(
        "/api/v2/users/delete",
        json!({"user_ids": ["cid"], "user": "soft", "messages": "soft"}),
    )
    .await;
    let snap = handle.state().snapshot(KEY).unwrap();
    let users = snap["users"].as_array().unwrap();
    assert!(users.iter().all(|u| u["id"] != "bob"), "bob is gone");
    let cid = users.iter().find(|u| u["id"] == "cid").unwrap();
    assert!(cid["deleted_at"].is_number());
    let chans = snap["channels"].as_array().unwrap();
    let general = chans
        .iter()
        .find(|c| c["cid"] == "messaging:general")
        .unwrap();
    assert_eq!(texts(&general["messages"]), vec!["ann says"]);
    assert!(
        general["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["user_id"] != "bob")
    );
    let dm = chans.iter().find(|c| c["cid"] == "messaging:dm").unwrap();
    assert_eq!(dm["messages"][0]["type"], "deleted");
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn deactivate_then_reactivate() {
    let (handle, http) = seeded(config()).await;
    http.send_message("messaging:general", "bob", "hi", None)
        .await;
    let (t, _) = http
        .run_task(
            "/api/v2/users/deactivate",
            json!({"user_ids": ["bob"], "mark_messages_deleted": true}),
        )
        .await;
    assert_eq!(t["result"]["bob"], json!({"status": "ok"}));
    let user = |snap: &Value, id: &str| {
        snap["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == id)
            .cloned()
            .unwrap()
    };
    let snap = handle.state().snapshot(KEY).unwrap();
    assert!(user(&snap, "bob")["deactivated_at"].is_number());
    assert!(user(&snap, "ann").get("deactivated_at").is_none());
    let (t, _) = http
        .run_task(
            "/api/v2/users/reactivate",
            json!({"user_ids": ["bob"], "restore_messages": true}),
        )
        .await;
    assert_eq!(t["status"], "completed");
    let snap = handle.state().snapshot(KEY).unwrap();
    assert!(user(&snap, "bob").get("deactivated_at").is_none());
    let general = snap["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cid"] == "messaging:general")
        .cloned()
        .unwrap();
    assert_eq!(general["messages"][0]["type"], "regular");
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn seed_and_multi_app_over_http() {
    let config = config().seed(getstream_emulator::SeedSpec {
        users: 4,
        channels: 3,
        messages: 5,
    });
    let (handle, http) = start(config).await;
    let (t, _) = http
        .run_task(
            "/api/v2/chat/export_channels",
            json!({"channels": [{"cid": "messaging:seed-1"}, {"cid": "messaging:seed-3"}]}),
        )
        .await;
    assert_eq!(t["status"], "completed");
    let (_, file) = http.download(t["result"]["url"].as_str().unwrap()).await;
    assert_eq!(file["channels"].as_array().unwrap().len(), 2);
    assert_eq!(file["channels"][1]["messages"].as_array().unwrap().len(), 5);
    // The second app has none of the seed data.
    let b = Http::new(&handle, KEY_B, SECRET_B);
    let (t, _) = b
        .run_task(
            "/api/v2/chat/export_channels",
            json!({"channels": [{"cid": "messaging:seed-1"}]}),
        )
        .await;
    assert_eq!(t["status"], "failed");
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn rate_limited_job_endpoint_over_http() {
    let limits = RateLimits::default().with_endpoint("POST /api/v2/export/users", 1);
    let (handle, http) = seeded(config().rate_limits(limits)).await;
    let (s, _) = http
        .post("/api/v2/export/users", json!({"user_ids": ["ann"]}))
        .await;
    assert_eq!(s, 201);
    let (s, h, body) = http
        .send(
            reqwest::Method::POST,
            "/api/v2/export/users",
            Some(json!({"user_ids": ["ann"]})),
        )
        .await
        .unwrap();
    assert_eq!(s, 429, "{body}");
    assert_eq!(body["code"], 9);
    assert!(h.contains_key("retry-after"));
    handle.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let (handle, http) = start(config()).await;
    let (s, _) = http.get("/_emulator/health").await;
    assert_eq!(s, 200);
    let base = handle.base_url();
    handle.shutdown().await;
    let fresh = reqwest::Client::new();
    assert!(
        fresh
            .get(format!("{base}/_emulator/health"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn drop_stops_the_server_too() {
    let (handle, _) = start(config()).await;
    let base = handle.base_url();
    drop(handle);
    tokio::task::yield_now().await;
    let fresh = reqwest::Client::new();
    assert!(
        fresh
            .get(format!("{base}/_emulator/health"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test(start_paused = true)]
async fn legacy_v1_paths_run_the_same_jobs() {
    let (handle, http) = start(config()).await;
    let (s, _) = http
        .post("/users", json!({"users": {"ann": {"id": "ann"}}}))
        .await;
    assert_eq!(s, 201);
    let (s, _) = http
        .post(
            "/channels/messaging/v1/query",
            json!({"data": {"created_by_id": "ann", "members": ["ann"]}}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = http
        .post(
            "/channels/messaging/v1/message",
            json!({"message": {"text": "old", "user_id": "ann"}}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, ex) = http
        .post(
            "/export_channels",
            json!({"channels": [{"cid": "messaging:v1"}]}),
        )
        .await;
    assert_eq!(s, 201, "{ex}");
    let id = ex["task_id"].as_str().unwrap();
    http.wait(id).await;
    let (s, t) = http.get(&format!("/tasks/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(t["status"], "completed");
    let created = t["created_at"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{created}"
    );
    let (_, file) = http.download(t["result"]["url"].as_str().unwrap()).await;
    assert_eq!(texts(&file["channels"][0]["messages"]), vec!["old"]);
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn debug_output_never_shows_secrets_or_tokens() {
    let (handle, http) = seeded(config()).await;
    let (s, _) = http.get("/api/v2/tasks/x").await;
    assert_eq!(s, 404);
    let debug = format!("{handle:?} {:?}", handle.state());
    assert!(!debug.contains(SECRET), "{debug}");
    assert!(!debug.contains(SECRET_B), "{debug}");
    assert!(!debug.contains(&token(SECRET)), "{debug}");
    assert!(debug.contains(KEY));
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn query_users_single_channel_delete_and_admin_token() {
    let (handle, http) = seeded(config().admin(true)).await;
    let payload = serde_json::to_string(
        &json!({"filter_conditions": {"id": {"$in": ["ann", "bob", "zed"]}}}),
    )
    .unwrap();
    let enc: String = payload
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let (s, q) = http.get(&format!("/api/v2/users?payload={enc}")).await;
    assert_eq!(s, 200, "{q}");
    let ids: Vec<&str> = q["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["ann", "bob"]);
    let bad = serde_json::to_string(&json!({"filter_conditions": {"name": "x"}})).unwrap();
    let (s, body) = http
        .get(&format!(
            "/api/v2/users?payload={}",
            bad.replace('"', "%22").replace(' ', "%20")
        ))
        .await;
    assert_eq!(s, 400, "{body}");
    // Delete one channel, hard.
    let (s, _, body) = http
        .send(
            reqwest::Method::DELETE,
            "/api/v2/chat/channels/messaging/dm?hard_delete=true",
            None,
        )
        .await
        .unwrap();
    assert_eq!(s, 200, "{body}");
    let snap = handle.state().snapshot(KEY).unwrap();
    assert!(
        snap["channels"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["cid"] != "messaging:dm")
    );
    let (s, _, _) = http
        .send(
            reqwest::Method::DELETE,
            "/api/v2/chat/channels/messaging/dm",
            None,
        )
        .await
        .unwrap();
    assert_eq!(s, 404);
    // The admin token authenticates.
    let (s, t) = http.get("/_emulator/token").await;
    assert_eq!(s, 200);
    let resp = http
        .client
        .get(format!("{}/api/v2/tasks/x?api_key={KEY}", http.base))
        .header("authorization", t["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_jobs_and_polls_all_finish() {
    let (handle, http) = seeded(config().workers(3)).await;
    let mut joins = Vec::new();
    for i in 0..40 {
        let h = http.clone();
        joins.push(tokio::spawn(async move {
            let (s, started) = if i % 2 == 0 {
                h.post("/api/v2/export/users", json!({"user_ids": ["ann", "bob"]}))
                    .await
            } else {
                h.post(
                    "/api/v2/chat/export_channels",
                    json!({"channels": [{"cid": "messaging:general"}]}),
                )
                .await
            };
            assert_eq!(s, 201, "{started}");
            let (task, _) = h.wait(started["task_id"].as_str().unwrap()).await;
            assert_eq!(task["status"], "completed", "{task}");
            let (s, _) = h.download(task["result"]["url"].as_str().unwrap()).await;
            assert_eq!(s, 200);
        }));
    }
    for j in joins {
        j.await.unwrap();
    }
    handle.shutdown().await;
}
