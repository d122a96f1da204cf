//! Video calls: get-or-create, get, soft and hard delete (the task, its result, the 404
//! after it), `call.deleted`, a data dir restart, and bad input as Stream's envelope.

use axum::http::Method;
use getstream_emulator::{EmulatorState, app};
use serde_json::{Value, json};

use crate::support::*;
use crate::webhooks::{next, receiver};

const CALL: &str = "/api/v2/video/call/default/abc";

fn create_body() -> Value {
    json!({"video": true, "data": {"created_by_id": "alice", "custom": {"topic": "standup"},
           "members": [{"user_id": "alice", "role": "host"}, {"user_id": "bob"}]}})
}

/// Creates `default:abc` (one recorded session) and opens a second, unrecorded session.
async fn make_call(http: &Http) -> Value {
    http.upsert_users(&["alice", "bob"]).await;
    let (s, b) = http.post(CALL, create_body()).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["created"], true);
    let (s, again) = http.post(CALL, json!({})).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["created"], false);
    b
}

#[tokio::test]
async fn a_call_is_created_read_and_hard_deleted_by_a_task() {
    let (_handle, http) = start(config()).await;
    let made = make_call(&http).await;
    let call = &made["call"];
    assert_eq!(call["cid"], "default:abc");
    assert_eq!(call["type"], "default");
    assert_eq!(call["id"], "abc");
    assert_eq!(call["custom"]["topic"], "standup");
    assert_eq!(call["created_by"]["id"], "alice");
    assert_eq!(call["created_by"]["name"], "User alice", "the app's user");
    assert!(call["created_at"].as_i64().unwrap() > 1_600_000_000_000_000_000);
    assert!(call.get("deleted_at").is_none());
    assert_eq!(made["own_capabilities"], json!([]));
    let members = made["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[0]["user_id"], "alice");
    assert_eq!(members[0]["role"], "host");
    assert_eq!(members[1]["role"], "user");

    let (s, got) = http.get(CALL).await;
    assert_eq!(s, 200, "{got}");
    assert_eq!(got["call"]["cid"], "default:abc");
    assert_eq!(got["members"].as_array().unwrap().len(), 2);
    assert!(got["duration"].is_string());

    let (s, deleted) = http
        .post(&format!("{CALL}/delete"), json!({"hard": true}))
        .await;
    assert_eq!(s, 200, "{deleted}");
    assert_eq!(deleted["call"]["cid"], "default:abc");
    assert!(deleted["call"]["deleted_at"].as_i64().is_some());
    let task_id = deleted["task_id"].as_str().unwrap();
    let (task, _) = http.wait(task_id).await;
    assert_eq!(task["status"], "completed", "{task}");
    assert_eq!(
        task["result"],
        json!({"cid": "default:abc", "deleted": {"sessions": 2, "recordings": 1, "members": 2}})
    );

    let r = http.get(CALL).await;
    assert_eq!(r.0, 404, "{}", r.1);
    assert_eq!(r.1["code"], 16);
    let r = http.post(&format!("{CALL}/delete"), json!({})).await;
    assert_eq!(r.0, 404, "{}", r.1);
    // The id is free again: a get-or-create makes a new call.
    let (s, b) = http.post(CALL, create_body()).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["created"], true);
}

#[tokio::test]
async fn a_soft_delete_marks_the_call_and_starts_no_task() {
    let (_handle, http) = start(config()).await;
    make_call(&http).await;
    let (s, b) = http.post(&format!("{CALL}/delete"), json!({})).await;
    assert_eq!(s, 200, "{b}");
    assert!(b.get("task_id").is_none(), "{b}");
    let at = b["call"]["deleted_at"].as_i64().unwrap();
    let (s, got) = http.get(CALL).await;
    assert_eq!(s, 200, "{got}");
    assert_eq!(got["call"]["deleted_at"], at);
    assert_eq!(
        got["members"].as_array().unwrap().len(),
        2,
        "nothing removed"
    );
    // Deleting again keeps the first time; a get-or-create answers the deleted call.
    let (_, again) = http
        .post(&format!("{CALL}/delete"), json!({"hard": false}))
        .await;
    assert_eq!(again["call"]["deleted_at"], at);
    let (_, goc) = http.post(CALL, create_body()).await;
    assert_eq!(goc["created"], false);
    assert_eq!(goc["call"]["deleted_at"], at);
}

#[tokio::test]
async fn call_deleted_goes_out_once_for_a_soft_and_from_the_hard_delete_task() {
    let (url, mut rx) = receiver().await;
    let (_handle, http) = start(config().webhook_url(url)).await;
    make_call(&http).await;
    http.post(&format!("{CALL}/delete"), json!({})).await;
    let d = next(&mut rx).await;
    assert!(d.verified);
    assert_eq!(d.event["type"], "call.deleted");
    assert_eq!(d.event["call_cid"], "default:abc");
    assert_eq!(d.event["call"]["cid"], "default:abc");
    assert!(d.event.get("task_id").is_none());

    let (_, b) = http
        .post(&format!("{CALL}/delete"), json!({"hard": true}))
        .await;
    let (task, _) = http.wait(b["task_id"].as_str().unwrap()).await;
    assert_eq!(task["status"], "completed");
    let d = next(&mut rx).await;
    assert_eq!(d.event["type"], "call.deleted");
    assert_eq!(d.event["call_cid"], "default:abc");
    assert!(d.event["call"]["deleted_at"].as_i64().is_some());
}

#[tokio::test]
async fn calls_survive_a_data_dir_restart_and_a_hard_delete_sticks() {
    let dir = tempfile::tempdir().unwrap();
    let (handle, http) = start(config().data_dir(dir.path())).await;
    make_call(&http).await;
    http.post("/api/v2/video/call/livestream/gone", create_body())
        .await;
    handle.shutdown().await;

    let (handle, http) = start(config().data_dir(dir.path())).await;
    let (s, got) = http.get(CALL).await;
    assert_eq!(s, 200, "{got}");
    assert_eq!(got["call"]["custom"]["topic"], "standup");
    assert_eq!(got["members"].as_array().unwrap().len(), 2);
    let (_, b) = http
        .post(
            "/api/v2/video/call/livestream/gone/delete",
            json!({"hard": true}),
        )
        .await;
    let (task, _) = http.wait(b["task_id"].as_str().unwrap()).await;
    assert_eq!(task["result"]["deleted"]["sessions"], 1);
    handle.shutdown().await;

    let (_handle, http) = start(config().data_dir(dir.path())).await;
    assert_eq!(http.get("/api/v2/video/call/livestream/gone").await.0, 404);
    assert_eq!(http.get(CALL).await.0, 200);
}

#[tokio::test]
async fn bad_input_is_an_error_envelope() {
    let r = app(EmulatorState::new(config()));
    let post = |path: &'static str, body: Value| {
        let r = r.clone();
        async move { api(&r, Method::POST, path, Some(body)).await }
    };
    post("/api/v2/video/call/de:fault/abc", json!({}))
        .await
        .assert_error(400, 4);
    post("/api/v2/video/call/default/a%2Fb", json!({}))
        .await
        .assert_error(400, 4);
    let long = format!("/api/v2/video/call/default/{}", "x".repeat(65));
    api(&r, Method::POST, &long, Some(json!({})))
        .await
        .assert_error(400, 4);
    // No creator for a new call.
    post(CALL, json!({"data": {}})).await.assert_error(400, 4);
    // Wrong JSON shapes.
    post(
        CALL,
        json!({"data": {"created_by_id": "alice", "members": "bob"}}),
    )
    .await
    .assert_error(400, 4);
    post(
        CALL,
        json!({"data": {"created_by_id": "alice", "members": [{"role": "x"}]}}),
    )
    .await
    .assert_error(400, 4);
    let many: Vec<Value> = (0..101)
        .map(|i| json!({"user_id": format!("u{i}")}))
        .collect();
    post(
        CALL,
        json!({"data": {"created_by_id": "alice", "members": many}}),
    )
    .await
    .assert_error(400, 4);
    post(
        "/api/v2/video/call/default/abc/delete",
        json!({"hard": "yes"}),
    )
    .await
    .assert_error(400, 4);
    // Unknown call.
    post(
        "/api/v2/video/call/default/abc/delete",
        json!({"hard": true}),
    )
    .await
    .assert_error(404, 16);
    api(&r, Method::GET, CALL, None).await.assert_error(404, 16);
}
