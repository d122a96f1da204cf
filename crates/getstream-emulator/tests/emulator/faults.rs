//! Fault injection and the admin API, over HTTP.

use std::time::Duration;

use getstream_emulator::{Fault, JobKind, ScriptedTask, TaskFailure};
use serde_json::json;

use crate::support::*;

#[tokio::test(start_paused = true)]
async fn respond_faults_fail_the_next_n_then_stop() {
    let (handle, http) = start_with_fault(
        Fault::respond("GET /api/v2/tasks/{id}", 503)
            .times(2)
            .retry_after("3"),
    )
    .await;
    for _ in 0..2 {
        let (s, h, body) = http
            .send(reqwest::Method::GET, "/api/v2/tasks/x", None)
            .await
            .unwrap();
        assert_eq!(s, 503);
        assert_eq!(body["StatusCode"], 503);
        assert_eq!(h["retry-after"], "3");
        assert!(h.contains_key("x-ratelimit-limit"));
    }
    let (s, body) = http.get("/api/v2/tasks/x").await;
    assert_eq!(s, 404, "{body}");
    assert!(handle.state().faults().is_empty());
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn html_bodies_and_concrete_paths() {
    let (handle, http) = start_with_fault(
        Fault::respond("/api/v2/tasks/only-this", 502).text_body("<html>bad gateway</html>"),
    )
    .await;
    let (s, body) = http.get("/api/v2/tasks/other").await;
    assert_eq!(s, 404, "{body}");
    let resp = http
        .client
        .get(format!("{}/api/v2/tasks/only-this", http.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(resp.text().await.unwrap(), "<html>bad gateway</html>");
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn dropped_connections_give_no_response() {
    let (handle, http) = start_with_fault(Fault::drop_connection("GET /api/v2/tasks/{id}")).await;
    let err = http
        .send(reqwest::Method::GET, "/api/v2/tasks/x", None)
        .await
        .unwrap_err();
    assert!(!err.is_timeout(), "{err:?}");
    // The next request is served again.
    let (s, _) = http.get("/api/v2/tasks/x").await;
    assert_eq!(s, 404);
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn hangs_last_until_the_client_gives_up_and_delays_are_exact() {
    let (handle, http) = start_with_fault(Fault::hang("GET /api/v2/tasks/{id}")).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let err = client
        .get(format!("{}/api/v2/tasks/x?api_key={KEY}", http.base))
        .header("authorization", token(SECRET))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() >= Duration::from_secs(5));

    handle.state().add_fault(Fault::delay(
        "GET /api/v2/tasks/{id}",
        Duration::from_secs(3),
    ));
    let started = tokio::time::Instant::now();
    let (s, _) = http.get("/api/v2/tasks/x").await;
    assert_eq!(s, 404, "a delay passes through to the real handler");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_millis(3100),
        "{took:?}"
    );
    // Shutdown is not held by a hung request.
    handle.state().add_fault(Fault::hang("/api/v2/tasks/{id}"));
    let h2 = http.clone();
    let pending =
        tokio::spawn(async move { h2.send(reqwest::Method::GET, "/api/v2/tasks/y", None).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    handle.shutdown().await;
    assert!(pending.await.unwrap().is_err());
}

#[tokio::test(start_paused = true)]
async fn scripted_tasks_follow_their_script() {
    let (handle, http) = start(config()).await;
    let id = handle
        .state()
        .script_task(
            KEY,
            ScriptedTask::new()
                .task_id("scripted-1")
                .step("waiting", Duration::from_secs(1))
                .step("running", Duration::from_secs(1))
                .step("failed", Duration::ZERO)
                .error(TaskFailure::new("HardDeleteError", "boom")),
        )
        .unwrap();
    assert_eq!(id, "scripted-1");
    let (t, seen) = http.wait(&id).await;
    assert_eq!(seen, vec!["waiting", "running", "failed"]);
    assert_eq!(t["error"]["type"], "HardDeleteError");
    assert_eq!(t["error"]["description"], "boom");
    // Task ids are per app; a duplicate is refused.
    assert!(
        handle
            .state()
            .script_task(KEY, ScriptedTask::new().task_id("scripted-1"))
            .is_err()
    );
    assert!(
        handle
            .state()
            .script_task(KEY_B, ScriptedTask::new().task_id("scripted-1"))
            .is_ok()
    );
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn injected_job_failures_fail_the_next_job_of_that_kind() {
    let (handle, http) = start(config()).await;
    http.upsert_users(&["ann"]).await;
    handle
        .state()
        .fail_next_jobs(
            KEY,
            JobKind::ExportUsers,
            1,
            TaskFailure::new("S3Error", "bucket gone"),
        )
        .unwrap();
    let (t, _) = http
        .run_task("/api/v2/export/users", json!({"user_ids": ["ann"]}))
        .await;
    assert_eq!(t["status"], "failed");
    assert_eq!(t["error"]["type"], "S3Error");
    let (t, _) = http
        .run_task("/api/v2/export/users", json!({"user_ids": ["ann"]}))
        .await;
    assert_eq!(t["status"], "completed");
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn admin_api_is_off_by_default() {
    let (handle, http) = start(config()).await;
    let (s, body) = http.post("/_emulator/reset", json!({})).await;
    assert_eq!(s, 404, "{body}");
    assert_eq!(body["code"], 16);
    let (s, _) = http
        .post(
            "/_emulator/faults",
            json!({"route": "GET /x", "status": 500}),
        )
        .await;
    assert_eq!(s, 404);
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn admin_api_controls_everything() {
    let (handle, http) = start(config().admin(true)).await;
    // Seed, then look.
    let (s, body) = http
        .post(
            "/_emulator/seed",
            json!({"users": 3, "channels": 2, "messages": 4}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, snap) = http.get("/_emulator/state").await;
    assert_eq!(s, 200);
    assert_eq!(snap["channels"].as_array().unwrap().len(), 2);
    // Faults: add, list, hit, clear.
    let (s, f) = http
        .post(
            "/_emulator/faults",
            json!({"route": "GET /api/v2/tasks/{id}", "status": 429, "retry_after": 7, "times": 0}),
        )
        .await;
    assert_eq!(s, 200, "{f}");
    let (_, list) = http.get("/_emulator/faults").await;
    assert_eq!(list["faults"].as_array().unwrap().len(), 1);
    let (s, h, body) = http
        .send(reqwest::Method::GET, "/api/v2/tasks/x", None)
        .await
        .unwrap();
    assert_eq!(s, 429);
    assert_eq!(body["code"], 9);
    assert_eq!(h["retry-after"], "7");
    let (s, _, _) = http
        .send(reqwest::Method::DELETE, "/_emulator/faults", None)
        .await
        .unwrap();
    assert_eq!(s, 200);
    let (s, _) = http.get("/api/v2/tasks/x").await;
    assert_eq!(s, 404);
    // Bad admin input is an enveloped 400.
    let (s, body) = http
        .post(
            "/_emulator/faults",
            json!({"route": "GET /x", "action": "explode"}),
        )
        .await;
    assert_eq!(s, 400);
    assert!(body["exception_fields"].get("action").is_some());
    let (s, _) = http.post("/_emulator/faults", json!({"status": 500})).await;
    assert_eq!(s, 400);
    let (s, body) = http
        .post(
            "/_emulator/faults",
            json!({"route": "GET /api/v2/tasks/{id}", "status": 503, "retry_after": "1\r\nX-Injected: 1"}),
        )
        .await;
    assert_eq!(
        s, 400,
        "a Retry-After that cannot be a header is refused: {body}"
    );
    assert!(body["exception_fields"].get("retry_after").is_some());
    let (s, _) = http
        .post("/_emulator/job-failures", json!({"job": "nope"}))
        .await;
    assert_eq!(s, 400);
    // A scripted task over HTTP.
    let (s, t) = http
        .post(
            "/_emulator/tasks",
            json!({"task_id": "t-1", "steps": [{"status": "pending", "duration_ms": 200}, {"status": "completed"}], "result": {"url": "http://x"}}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    let (task, seen) = http.wait("t-1").await;
    assert_eq!(seen, vec!["pending", "completed"]);
    assert_eq!(task["result"]["url"], "http://x");
    // A job failure over HTTP.
    let (s, _) = http
        .post(
            "/_emulator/job-failures",
            json!({"job": "export_channels", "error": {"type": "X", "description": "y"}}),
        )
        .await;
    assert_eq!(s, 200);
    let (t, _) = http
        .run_task(
            "/api/v2/chat/export_channels",
            json!({"channels": [{"cid": "messaging:seed-1"}]}),
        )
        .await;
    assert_eq!(t["error"]["type"], "X");
    // Reset forgets everything.
    let (s, _) = http.post("/_emulator/reset", json!({})).await;
    assert_eq!(s, 200);
    let (_, snap) = http.get("/_emulator/state").await;
    assert_eq!(snap["users"], json!([]));
    let (s, _) = http.get("/api/v2/tasks/t-1").await;
    assert_eq!(s, 404);
    handle.shutdown().await;
}
