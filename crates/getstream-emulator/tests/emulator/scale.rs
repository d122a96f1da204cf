//! Jobs at scale: request handling while big exports run, the bounded task queue, export links
//! (expiry, app scoping), state paging and seed bounds.

use std::time::Duration;

use getstream_emulator::{EmulatorConfig, Pace, ScriptedTask, SeedSpec, StateError};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::{Http, KEY, KEY_B, SECRET, SECRET_B, config, start};

fn hex_hmac(secret: &str, payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(payload.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The URL without its query, and the export token in it.
fn split_link(url: &str) -> (&str, &str) {
    let (path, _) = url.split_once('?').expect("a signed link has a query");
    let token = path
        .rsplit('/')
        .next()
        .unwrap()
        .strip_suffix(".json")
        .unwrap();
    (path, token)
}

async fn export(http: &Http, cid: &str) -> String {
    let (t, _) = http
        .run_task(
            "/api/v2/chat/export_channels",
            json!({"channels": [{"cid": cid}]}),
        )
        .await;
    assert_eq!(t["status"], "completed", "{t}");
    t["result"]["url"].as_str().unwrap().to_owned()
}

/// Two exports of 100 channels × 1,000 messages on a runtime with two worker threads (the
/// setting where job work on the runtime's threads starved every request): task polls and
/// health checks are answered, round after round, while both exports are still running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_answered_while_big_exports_run() {
    let cfg = config().workers(4).seed(SeedSpec {
        users: 10,
        channels: 100,
        messages: 1_000,
    });
    // The seed goes to the default (first) app.
    let (handle, http) = start(cfg).await;
    let channels: Vec<Value> = (1..=100)
        .map(|i| json!({"cid": format!("messaging:seed-{i}")}))
        .collect();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (s, b) = http
            .post(
                "/api/v2/chat/export_channels",
                json!({ "channels": channels }),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        ids.push(b["task_id"].as_str().unwrap().to_owned());
    }
    let mut rounds_while_both_ran = 0;
    loop {
        let a = http.task(&ids[0]).await["status"].clone();
        let b = http.task(&ids[1]).await["status"].clone();
        let (health, _) = http.get("/_emulator/health").await;
        assert_eq!(health, 200);
        let finished = |s: &Value| s == "completed" || s == "failed";
        if finished(&a) && finished(&b) {
            assert_eq!((&a, &b), (&json!("completed"), &json!("completed")));
            break;
        }
        if !finished(&a) && !finished(&b) {
            rounds_while_both_ran += 1;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        rounds_while_both_ran >= 3,
        "only {rounds_while_both_ran} rounds of requests were answered while both exports ran"
    );
    let t = http.task(&ids[0]).await;
    let (status, file) = http.download(t["result"]["url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let chans = file["channels"].as_array().unwrap();
    assert_eq!(chans.len(), 100);
    assert!(
        chans
            .iter()
            .all(|c| c["messages"].as_array().unwrap().len() == 1_000)
    );
    handle.shutdown().await;
}

/// A store full of unfinished tasks refuses the next job with Stream's 429 envelope; once
/// tasks finish, new ones are taken and the oldest finished ones forgotten, never past the cap.
#[tokio::test(start_paused = true)]
async fn a_full_task_queue_answers_429_and_the_cap_holds() {
    let pace = Pace {
        pending: Duration::from_secs(10),
        min_task_duration: Duration::ZERO,
        per_item_cost: Duration::ZERO,
    };
    let (handle, http) = start(config().pace(pace).max_tasks(3).admin(true)).await;
    http.upsert_users(&["ann"]).await;
    let body = json!({"user_ids": ["ann"]});
    let mut first = Vec::new();
    for _ in 0..3 {
        let (s, b) = http.post("/api/v2/users/deactivate", body.clone()).await;
        assert_eq!(s, 201, "{b}");
        first.push(b["task_id"].as_str().unwrap().to_owned());
    }
    let (status, headers, b) = http
        .send(
            reqwest::Method::POST,
            "/api/v2/users/deactivate",
            Some(body.clone()),
        )
        .await
        .unwrap();
    assert_eq!(status, 429, "{b}");
    assert_eq!(b["code"], 9, "{b}");
    assert_eq!(b["StatusCode"], 429, "{b}");
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("3 unfinished tasks"),
        "{b}"
    );
    assert_eq!(headers["retry-after"], "1");
    // A scripted task is refused alike, through the library and the admin API.
    assert_eq!(
        handle
            .state()
            .script_task(KEY, ScriptedTask::new().task_id("one-too-many")),
        Err(StateError::TooManyTasks { cap: 3 })
    );
    let (s, b) = http
        .post("/_emulator/tasks", json!({"task_id": "one-too-many"}))
        .await;
    assert_eq!(s, 429, "{b}");
    assert_eq!(b["code"], 9, "{b}");
    // Another app has its own queue.
    let other = Http::new(&handle, KEY_B, SECRET_B);
    other.upsert_users(&["bob"]).await;
    let (s, _) = other
        .post("/api/v2/users/deactivate", json!({"user_ids": ["bob"]}))
        .await;
    assert_eq!(s, 201);

    for id in &first {
        assert_eq!(http.wait(id).await.0["status"], "completed");
    }
    // Three more: each forgets one finished task, oldest first.
    let mut second = Vec::new();
    for _ in 0..3 {
        let (s, b) = http.post("/api/v2/users/deactivate", body.clone()).await;
        assert_eq!(s, 201, "{b}");
        second.push(b["task_id"].as_str().unwrap().to_owned());
    }
    for id in &first {
        let (s, b) = http.get(&format!("/api/v2/tasks/{id}")).await;
        assert_eq!(s, 404, "{b}");
    }
    for id in &second {
        assert_eq!(http.task(id).await["status"], "pending");
    }
    let (s, _) = http.post("/api/v2/users/deactivate", body).await;
    assert_eq!(s, 429);
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn export_links_are_signed_expire_and_serve_only_their_app() {
    let (handle, http) = start(config()).await;
    http.upsert_users(&["ann", "bob"]).await;
    http.create_channel("messaging", "a", &["ann", "bob"]).await;
    let b = Http::new(&handle, KEY_B, SECRET_B);
    b.upsert_users(&["ann", "bob"]).await;
    b.create_channel("messaging", "b", &["ann", "bob"]).await;

    let url_a = export(&http, "messaging:a").await;
    let url_b = export(&b, "messaging:b").await;
    assert!(url_a.contains(&format!("api_key={KEY}")), "{url_a}");
    assert_eq!(http.download(&url_a).await.0, 200);
    assert_eq!(b.download(&url_b).await.0, 200);

    let (path_a, token_a) = split_link(&url_a);
    let expires = now_unix() + 3_600;
    let link = |key: &str, secret: &str, expires: u64| {
        let sig = hex_hmac(secret, &format!("{token_a}\n{key}\n{expires}"));
        format!("{path_a}?api_key={key}&expires={expires}&signature={sig}")
    };
    // A link we sign the documented way with A's secret works...
    assert_eq!(http.download(&link(KEY, SECRET, expires)).await.0, 200);
    // ...but not once expired,
    let (s, body) = http.download(&link(KEY, SECRET, now_unix() - 1)).await;
    assert_eq!((s, body["code"].clone()), (403, json!(17)), "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    // nor signed by app B, with B's key or A's,
    assert_eq!(http.download(&link(KEY_B, SECRET_B, expires)).await.0, 403);
    assert_eq!(http.download(&link(KEY, SECRET_B, expires)).await.0, 403);
    // nor without its signature, nor with B's valid query on A's file.
    assert_eq!(http.download(path_a).await.0, 403);
    let (_, query_b) = url_b.split_once('?').unwrap();
    assert_eq!(http.download(&format!("{path_a}?{query_b}")).await.0, 403);
    // An unknown token is a 404.
    let unknown = path_a.replace(token_a, &"0".repeat(64));
    assert_eq!(http.download(&unknown).await.0, 404);
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn each_task_read_signs_a_link_valid_for_the_configured_ttl() {
    let ttl = Duration::from_secs(600);
    let (handle, http) = start(config().export_link_ttl(ttl)).await;
    http.upsert_users(&["ann", "bob"]).await;
    http.create_channel("messaging", "a", &["ann", "bob"]).await;
    let before = now_unix();
    let url = export(&http, "messaging:a").await;
    let after = now_unix();
    let expires: u64 = url
        .split("expires=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (before + 600..=after + 600).contains(&expires),
        "{expires} not in {before}+600..={after}+600"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn a_seed_too_big_for_the_limits_is_refused_with_the_limit() {
    let err = "channels=2000,messages=1000"
        .parse::<SeedSpec>()
        .unwrap_err()
        .to_string();
    assert!(err.contains("1000000"), "{err}");
    let (handle, http) = start(config().admin(true)).await;
    let (s, b) = http
        .post(
            "/_emulator/seed",
            json!({"channels": 2000, "messages": 1000}),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    assert!(b["message"].as_str().unwrap().contains("1000000"), "{b}");
    let _ = EmulatorConfig::new();
    let _ = SECRET;
    let _ = KEY;
    handle.shutdown().await;
}

#[tokio::test]
async fn the_state_view_pages_users_channels_and_messages() {
    let cfg = config().admin(true).seed(SeedSpec {
        users: 5,
        channels: 7,
        messages: 30,
    });
    let (handle, http) = start(cfg).await;
    let (s, page) = http.get("/_emulator/state").await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["users_total"], 5);
    assert_eq!(page["channels_total"], 7);
    assert_eq!(page["limit"], 100);
    assert_eq!(page["next_offset"], Value::Null);
    assert_eq!(
        page["channels"][0]["messages"].as_array().unwrap().len(),
        30
    );

    let (_, page) = http
        .get("/_emulator/state?offset=2&limit=3&messages_offset=25&messages_limit=10")
        .await;
    let users: Vec<&str> = page["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["user-3", "user-4", "user-5"]);
    let chans = page["channels"].as_array().unwrap();
    assert_eq!(chans.len(), 3);
    assert_eq!(chans[0]["cid"], "messaging:seed-3");
    assert_eq!(chans[0]["messages_total"], 30);
    let texts: Vec<&str> = chans[0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts.len(), 5);
    assert!(texts[0].starts_with("seed message 26 "), "{texts:?}");
    assert_eq!(page["next_offset"], 5);

    // Past the bounds: the envelope names the field and the limit.
    let (s, b) = http.get("/_emulator/state?limit=1001").await;
    assert_eq!(s, 400, "{b}");
    assert!(b["message"].as_str().unwrap().contains("1000"), "{b}");
    let (s, b) = http
        .get("/_emulator/state?limit=1000&messages_limit=1000")
        .await;
    assert_eq!(s, 400, "{b}");
    assert!(b["message"].as_str().unwrap().contains("20000"), "{b}");
    handle.shutdown().await;
}
