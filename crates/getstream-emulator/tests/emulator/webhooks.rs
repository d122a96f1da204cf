//! Webhooks end to end: jobs and data endpoints push signed events to a receiver on loopback;
//! `PATCH`/`GET /api/v2/app` configure them per app; the admin API lists the deliveries.

use std::io::Read;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use getstream_emulator::{
    DeliveryState, EmulatorConfig, EmulatorHandle, JobKind, TaskFailure, WebhookSettings,
};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::mpsc;

use crate::support::*;

/// One request a receiver got, already checked: `verified` tells whether its own HMAC of the
/// (gunzipped) body with the secret of the app in `X-Api-Key` matched `X-Signature`.
#[derive(Debug)]
pub struct Delivery {
    pub headers: HeaderMap,
    pub gzip: bool,
    pub verified: bool,
    pub event: Value,
}

impl Delivery {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).unwrap().to_str().unwrap()
    }
}

fn hex_hmac(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn receive(
    State(tx): State<mpsc::UnboundedSender<Delivery>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let gzip = body.starts_with(&[0x1f, 0x8b]);
    let plain = if gzip {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        body.to_vec()
    };
    let secret = match headers.get("x-api-key").and_then(|k| k.to_str().ok()) {
        Some(KEY) => SECRET,
        Some(KEY_B) => SECRET_B,
        _ => "",
    };
    let verified = headers
        .get("x-signature")
        .is_some_and(|s| s.as_bytes() == hex_hmac(secret, &plain).as_bytes());
    let event = serde_json::from_slice(&plain).unwrap_or(Value::Null);
    let _ = tx.send(Delivery {
        headers,
        gzip,
        verified,
        event,
    });
    if verified {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    }
}

/// A verifying receiver on 127.0.0.1:0: its URL and the deliveries it gets.
pub async fn receiver() -> (String, mpsc::UnboundedReceiver<Delivery>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

pub async fn next(rx: &mut mpsc::UnboundedReceiver<Delivery>) -> Delivery {
    tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("no webhook within 30 s")
        .unwrap()
}

async fn with_hook() -> (EmulatorHandle, Http, mpsc::UnboundedReceiver<Delivery>) {
    let (url, rx) = receiver().await;
    let (handle, http) = start(config().admin(true).webhook_url(url)).await;
    http.upsert_users(&["ann", "bob"]).await;
    http.create_channel("messaging", "general", &["ann", "bob"])
        .await;
    (handle, http, rx)
}

#[tokio::test]
async fn an_export_pushes_a_signed_success_event_once_the_task_reads_completed() {
    let (handle, http, mut rx) = with_hook().await;
    let (s, b) = http
        .post(
            "/api/v2/chat/export_channels",
            json!({"channels": [{"cid": "messaging:general"}]}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let task_id = b["task_id"].as_str().unwrap();

    let d = next(&mut rx).await;
    // Read at once: the event must not arrive before the task is finished.
    let task = http.task(task_id).await;
    assert_eq!(task["status"], "completed");
    assert!(d.verified, "{d:?}");
    assert!(!d.gzip);
    assert_eq!(d.header("content-type"), "application/json");
    assert_eq!(d.header("x-api-key"), KEY);
    assert_eq!(d.header("x-webhook-attempt"), "1");
    let e = &d.event;
    assert_eq!(e["type"], "export.channels.success");
    assert_eq!(e["task_id"], task_id);
    // The same file; each link is signed when it is handed out, so the two may expire a
    // second apart.
    let file = |url: &Value| url.as_str().unwrap().split('?').next().unwrap().to_owned();
    assert_eq!(file(&e["url"]), file(&task["result"]["url"]));
    assert!(e["url"].as_str().unwrap().contains("signature="), "{e}");
    assert_eq!(e["custom"], json!({}));
    let started = e["started_at"].as_i64().unwrap();
    let finished = e["finished_at"].as_i64().unwrap();
    assert!(started <= finished && finished <= e["created_at"].as_i64().unwrap());
    let file = reqwest::get(e["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(file.status(), 200);

    handle.state().webhooks_settled().await;
    let records = handle.state().webhook_deliveries();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.webhook_id, d.header("x-webhook-id"));
    assert_eq!(r.task_id.as_deref(), Some(task_id));
    assert_eq!(
        (r.state, r.attempts, r.last_status),
        (DeliveryState::Delivered, 1, Some(200))
    );
}

#[tokio::test]
async fn failed_exports_push_the_error_event() {
    let (handle, http, mut rx) = with_hook().await;
    handle
        .state()
        .fail_next_jobs(
            KEY,
            JobKind::ExportUsers,
            1,
            TaskFailure::new("ExportError", "disk full"),
        )
        .unwrap();
    let (s, b) = http
        .post("/api/v2/export/users", json!({"user_ids": ["ann"]}))
        .await;
    assert_eq!(s, 201, "{b}");
    let d = next(&mut rx).await;
    assert!(d.verified);
    assert_eq!(d.event["type"], "export.users.error");
    assert_eq!(d.event["task_id"], b["task_id"]);
    assert_eq!(d.event["error"], "disk full");
    assert!(d.event.get("url").is_none());

    // A channel export of a missing channel fails inside the job.
    let (_, b) = http
        .post(
            "/api/v2/chat/export_channels",
            json!({"channels": [{"cid": "messaging:nope"}]}),
        )
        .await;
    let d = next(&mut rx).await;
    assert_eq!(d.event["type"], "export.channels.error");
    assert_eq!(d.event["task_id"], b["task_id"]);
    assert!(
        d.event["error"]
            .as_str()
            .unwrap()
            .contains("messaging:nope")
    );
}

#[tokio::test]
async fn patch_app_configures_the_calling_app_only() {
    let (url, mut rx) = receiver().await;
    let (_handle, http) = start(config().admin(true)).await;
    let b_app = Http {
        key: KEY_B.to_owned(),
        secret: SECRET_B.to_owned(),
        ..http.clone()
    };
    let (s, b) = b_app.get("/api/v2/app").await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["app"]["webhook_url"], "");
    assert_eq!(b["app"]["webhook_events"], json!([]));
    assert_eq!(b["app"]["enable_hook_payload_compression"], false);

    let (s, b) = b_app
        .send(
            reqwest::Method::PATCH,
            "/api/v2/app",
            Some(json!({
                "webhook_url": url,
                "webhook_events": ["export.users.success"],
                "enable_hook_payload_compression": true,
            })),
        )
        .await
        .map(|(s, _, b)| (s, b))
        .unwrap();
    assert_eq!(s, 200, "{b}");
    assert!(b["duration"].is_string());
    let (_, b) = b_app.get("/api/v2/app").await;
    assert_eq!(b["app"]["webhook_url"], url);
    assert_eq!(b["app"]["webhook_events"], json!(["export.users.success"]));
    assert_eq!(b["app"]["enable_hook_payload_compression"], true);
    assert_eq!(b["app"]["name"], KEY_B);
    let (_, a) = http.get("/api/v2/app").await;
    assert_eq!(a["app"]["webhook_url"], "");

    // A PATCH without webhook fields keeps them.
    let (s, _, _) = b_app
        .send(
            reqwest::Method::PATCH,
            "/api/v2/app",
            Some(json!({"multi_tenant_enabled": false})),
        )
        .await
        .unwrap();
    assert_eq!(s, 200);

    // App B's export arrives gzip-compressed, signed with B's secret; app A's sends nothing.
    b_app.upsert_users(&["zed"]).await;
    http.upsert_users(&["ann"]).await;
    http.post("/api/v2/export/users", json!({"user_ids": ["ann"]}))
        .await;
    let (_, started) = b_app
        .post("/api/v2/export/users", json!({"user_ids": ["zed"]}))
        .await;
    let d = next(&mut rx).await;
    assert!(d.gzip && d.verified, "{d:?}");
    assert_eq!(d.header("x-api-key"), KEY_B);
    assert_eq!(d.event["type"], "export.users.success");
    assert_eq!(d.event["task_id"], started["task_id"]);

    // Clearing the URL stops the events.
    let (s, _, _) = b_app
        .send(
            reqwest::Method::PATCH,
            "/api/v2/app",
            Some(json!({"webhook_url": ""})),
        )
        .await
        .unwrap();
    assert_eq!(s, 200);
    let (_, b) = b_app.get("/api/v2/app").await;
    assert_eq!(b["app"]["webhook_url"], "");
}

#[tokio::test]
async fn patch_app_refuses_what_it_cannot_honour() {
    let router = getstream_emulator::app(getstream_emulator::EmulatorState::new(config()));
    let patch = |body: Value| {
        let router = router.clone();
        async move {
            api(
                &router,
                axum::http::Method::PATCH,
                "/api/v2/app",
                Some(body),
            )
            .await
        }
    };
    for (body, field) in [
        (json!({"webhook_url": "ftp://example.com"}), "webhook_url"),
        (json!({"webhook_url": "not a url"}), "webhook_url"),
        (json!({"webhook_url": 7}), "webhook_url"),
        (json!({"webhook_events": "all"}), "webhook_events"),
        (json!({"webhook_events": [1]}), "webhook_events"),
        (
            json!({"enable_hook_payload_compression": "yes"}),
            "enable_hook_payload_compression",
        ),
        (json!({"sqs_url": "https://sqs.example/q"}), "sqs_url"),
        (
            json!({"event_hooks": [{"hook_type": "kafka"}]}),
            "event_hooks[0].hook_type",
        ),
    ] {
        let r = patch(body.clone()).await;
        r.assert_error(400, 4);
        assert!(
            r.body["exception_fields"].get(field).is_some(),
            "{body} -> {}",
            r.body
        );
    }
    // Nothing was applied by the refused requests.
    let r = api(&router, axum::http::Method::GET, "/api/v2/app", None).await;
    assert_eq!(r.body["app"]["webhook_url"], "");
    // Empty push settings are fine (the Python SDK never sends null fields, others may).
    let r = patch(json!({"sqs_url": "", "event_hooks": [], "webhook_url": null})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // Stream's auth applies.
    let r = call(
        &router,
        axum::http::Method::GET,
        "/api/v2/app?api_key=nope",
        None,
        None,
    )
    .await;
    r.assert_error(401, 2);
}

#[tokio::test]
async fn the_admin_api_lists_and_clears_deliveries() {
    let (handle, http, mut rx) = with_hook().await;
    let (_, b) = http
        .post("/api/v2/export/users", json!({"user_ids": ["ann"]}))
        .await;
    next(&mut rx).await;
    handle.state().webhooks_settled().await;

    let admin = |path: &str| format!("{}{path}", handle.base_url());
    let client = reqwest::Client::new();
    let list: Value = client
        .get(admin("/_emulator/webhooks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let d = &list["deliveries"][0];
    assert_eq!(d["type"], "export.users.success");
    assert_eq!(d["task_id"], b["task_id"]);
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["last_status"], 200);
    assert_eq!(d["state"], "delivered");
    assert_eq!(d["api_key"], KEY);
    assert!(d["webhook_id"].as_str().is_some_and(|id| id.len() == 36));
    assert_eq!(d["payload"]["task_id"], b["task_id"]);
    assert_eq!(
        (list["dropped"].clone(), list["pending"].clone()),
        (json!(0), json!(0))
    );

    let other: Value = client
        .get(admin(&format!("/_emulator/webhooks?api_key={KEY_B}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(other["deliveries"], json!([]));
    let unknown = client
        .get(admin("/_emulator/webhooks?api_key=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);

    let cleared = client
        .delete(admin("/_emulator/webhooks"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 200);
    assert!(handle.state().webhook_deliveries().is_empty());
}

#[tokio::test]
async fn the_admin_routes_are_off_unless_enabled() {
    let router = getstream_emulator::app(getstream_emulator::EmulatorState::new(config()));
    let r = call(
        &router,
        axum::http::Method::GET,
        "/_emulator/webhooks",
        None,
        None,
    )
    .await;
    r.assert_error(404, 16);
    let r = call(
        &router,
        axum::http::Method::DELETE,
        "/_emulator/webhooks",
        None,
        None,
    )
    .await;
    r.assert_error(404, 16);
}

#[tokio::test]
async fn library_settings_are_checked_and_per_app() {
    let state =
        getstream_emulator::EmulatorState::new(config().webhook_url("http://127.0.0.1:9/h"));
    assert_eq!(
        state.webhook(KEY).unwrap().get_url(),
        Some("http://127.0.0.1:9/h")
    );
    assert_eq!(state.webhook(KEY_B).unwrap(), WebhookSettings::new());
    assert!(state.webhook("nope").is_err());
    assert!(state.set_webhook("nope", WebhookSettings::new()).is_err());
    assert!(
        state
            .set_webhook(KEY_B, WebhookSettings::new().url("mailto:x@example.com"))
            .is_err()
    );
    state
        .set_webhook(
            KEY_B,
            WebhookSettings::new()
                .url("https://example.com/h")
                .compression(true),
        )
        .unwrap();
    assert!(state.webhook(KEY_B).unwrap().get_compression());
    assert_eq!(state.webhooks_dropped(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_hanging_receiver_slows_neither_requests_nor_jobs() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let (handle, http) = start(config().webhook_url(url).webhook_queue(2)).await;
    http.upsert_users(&["ann"]).await;
    let start = tokio::time::Instant::now();
    let mut ids = Vec::new();
    for _ in 0..(getstream_emulator::MAX_WEBHOOKS_IN_FLIGHT + 5) {
        let (s, b) = http
            .post("/api/v2/export/users", json!({"user_ids": ["ann"]}))
            .await;
        assert_eq!(s, 201, "{b}");
        ids.push(b["task_id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        let (task, _) = http.wait(id).await;
        assert_eq!(task["status"], "completed");
    }
    // Instant pace: every job finished within the first polls although no event got through.
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    let state = handle.state();
    // Nothing is answered within 15 s, so at most the in-flight ones and the two queued
    // ones were taken: the rest were dropped, and counted. (How many more depends on how the
    // jobs' completions interleave with the sender, so only the bound is asserted.)
    let held = getstream_emulator::MAX_WEBHOOKS_IN_FLIGHT + 2;
    let dropped = state
        .webhook_deliveries()
        .iter()
        .filter(|d| d.state == DeliveryState::Dropped)
        .count();
    assert!(dropped >= ids.len() - held, "{dropped} dropped");
    assert_eq!(state.webhooks_dropped(), u64::try_from(dropped).unwrap());
    assert_eq!(state.webhook_deliveries().len(), ids.len());
    // The in-flight ones give up at the 15 s deadline, then the queued ones get theirs.
    state.webhooks_settled().await;
    let deadline = getstream_emulator::WEBHOOK_DELIVERY_DEADLINE;
    assert!(start.elapsed() >= deadline, "{:?}", start.elapsed());
    assert!(start.elapsed() < deadline * 2 + Duration::from_secs(1));
    assert!(
        state
            .webhook_deliveries()
            .iter()
            .all(|d| matches!(d.state, DeliveryState::Failed | DeliveryState::Dropped))
    );
}

#[tokio::test]
async fn config_built_with_a_webhook_keeps_other_apps_silent() {
    let (url, mut rx) = receiver().await;
    let config: EmulatorConfig = config().webhook_url(url);
    let (_handle, http) = start(config).await;
    let b_app = Http {
        key: KEY_B.to_owned(),
        secret: SECRET_B.to_owned(),
        ..http.clone()
    };
    b_app.upsert_users(&["zed"]).await;
    let (_, started) = b_app
        .post("/api/v2/export/users", json!({"user_ids": ["zed"]}))
        .await;
    b_app.wait(started["task_id"].as_str().unwrap()).await;
    http.upsert_users(&["ann"]).await;
    http.post("/api/v2/export/users", json!({"user_ids": ["ann"]}))
        .await;
    let d = next(&mut rx).await;
    assert_eq!(d.header("x-api-key"), KEY);
}

/// Collects deliveries until `n` arrived, sorted by type then by the entity they name.
async fn collect(rx: &mut mpsc::UnboundedReceiver<Delivery>, n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    while out.len() < n {
        let d = next(rx).await;
        assert!(d.verified, "{d:?}");
        out.push(d.event);
    }
    out.sort_by_key(|e| {
        let entity = e["cid"].as_str().or(e["user"]["id"].as_str()).unwrap_or("");
        (e["type"].as_str().unwrap().to_owned(), entity.to_owned())
    });
    out
}

#[tokio::test]
async fn delete_channels_announce_each_channel_once_when_it_is_deleted() {
    let (handle, http, mut rx) = with_hook().await;
    http.create_channel("messaging", "other", &["ann"]).await;
    // Soft: at once, one event per channel that existed and was not deleted yet.
    let (s, b) = http
        .post(
            "/api/v2/chat/channels/delete",
            json!({"cids": ["messaging:general", "messaging:missing"]}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let e = &collect(&mut rx, 1).await[0];
    assert_eq!(e["type"], "channel.deleted");
    assert_eq!(e["cid"], "messaging:general");
    assert_eq!(e["channel_type"], "messaging");
    assert_eq!(e["channel_id"], "general");
    assert_eq!(e["channel"]["cid"], "messaging:general");
    assert!(e["channel"]["deleted_at"].is_i64(), "{e}");
    assert!(e.get("task_id").is_none());

    // Hard: the task announces the channels it removes, after it reads completed.
    let (_, b) = http
        .post(
            "/api/v2/chat/channels/delete",
            json!({"cids": ["messaging:general", "messaging:other"], "hard_delete": true}),
        )
        .await;
    let events = collect(&mut rx, 2).await;
    let task = http.task(b["task_id"].as_str().unwrap()).await;
    assert_eq!(task["status"], "completed");
    let cids: Vec<&str> = events.iter().map(|e| e["cid"].as_str().unwrap()).collect();
    assert_eq!(cids, ["messaging:general", "messaging:other"]);

    // The single-channel endpoint announces too.
    http.create_channel("messaging", "third", &["ann"]).await;
    let (s, _, _) = http
        .send(
            reqwest::Method::DELETE,
            "/api/v2/chat/channels/messaging/third",
            None,
        )
        .await
        .unwrap();
    assert_eq!(s, 200);
    assert_eq!(collect(&mut rx, 1).await[0]["cid"], "messaging:third");

    handle.state().webhooks_settled().await;
    assert_eq!(handle.state().webhook_deliveries().len(), 4);
}

#[tokio::test]
async fn user_jobs_announce_each_user_after_the_task_completes() {
    let (handle, http, mut rx) = with_hook().await;
    http.upsert_users(&["cy", "dee"]).await;

    let (_, b) = http
        .post(
            "/api/v2/users/deactivate",
            json!({"user_ids": ["ann", "bob", "ghost"], "created_by_id": "cy"}),
        )
        .await;
    let events = collect(&mut rx, 2).await;
    assert_eq!(
        http.task(b["task_id"].as_str().unwrap()).await["status"],
        "completed"
    );
    for (e, id) in events.iter().zip(["ann", "bob"]) {
        assert_eq!(e["type"], "user.deactivated");
        assert_eq!(e["user"]["id"], id);
        assert!(e["user"]["deactivated_at"].is_i64(), "{e}");
        assert_eq!(e["created_by"]["id"], "cy");
    }

    http.post("/api/v2/users/reactivate", json!({"user_ids": ["ann"]}))
        .await;
    let e = &collect(&mut rx, 1).await[0];
    assert_eq!(e["type"], "user.reactivated");
    assert_eq!(e["user"]["id"], "ann");
    assert!(e["user"].get("deactivated_at").is_none(), "{e}");
    assert!(e.get("created_by").is_none());

    let (_, b) = http
        .post(
            "/api/v2/users/delete",
            json!({"user_ids": ["dee", "ghost"], "user": "hard", "messages": "soft"}),
        )
        .await;
    let e = &collect(&mut rx, 1).await[0];
    assert_eq!(
        http.task(b["task_id"].as_str().unwrap()).await["status"],
        "completed"
    );
    assert_eq!(e["type"], "user.deleted");
    assert_eq!(e["user"]["id"], "dee");
    assert_eq!(e["delete_user"], "hard");
    assert_eq!(e["delete_messages"], "soft");
    assert_eq!(e["delete_conversation"], "");
    assert_eq!(e["hard_delete"], true);
    assert_eq!(e["mark_messages_deleted"], true);
    assert_eq!(e["delete_conversation_channels"], false);

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
            "user.deactivated",
            "user.reactivated",
            "user.deleted"
        ]
    );
}

#[tokio::test]
async fn webhook_events_select_what_is_sent() {
    let (url, mut rx) = receiver().await;
    let (handle, http) = start(config()).await;
    handle
        .state()
        .set_webhook(
            KEY,
            WebhookSettings::new().url(url).events(["user.deleted"]),
        )
        .unwrap();
    http.upsert_users(&["ann", "bob"]).await;
    http.post("/api/v2/users/deactivate", json!({"user_ids": ["ann"]}))
        .await;
    let (_, b) = http
        .post("/api/v2/users/delete", json!({"user_ids": ["bob"]}))
        .await;
    http.wait(b["task_id"].as_str().unwrap()).await;
    let e = &collect(&mut rx, 1).await[0];
    assert_eq!(e["type"], "user.deleted");
    assert_eq!(e["delete_user"], "soft");
    handle.state().webhooks_settled().await;
    assert_eq!(handle.state().webhook_deliveries().len(), 1);
}

#[tokio::test]
async fn events_of_ones_own_go_through_the_same_signed_delivery() {
    let (handle, _http, mut rx) = with_hook().await;
    let client = reqwest::Client::new();
    let url = format!("{}/_emulator/webhooks", handle.base_url());
    let forged =
        json!({"type": "export.channels.success", "task_id": "forged-1", "url": "http://x/f"});
    let sent: Value = client
        .post(&url)
        .json(&json!({ "event": forged }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let d = next(&mut rx).await;
    assert!(d.verified);
    assert_eq!(d.event, forged);
    assert_eq!(d.header("x-webhook-id"), sent["webhook_id"]);

    // Unknown types are sent as they are.
    let id = handle
        .state()
        .send_webhook(KEY, json!({"type": "something.new", "n": 1}))
        .unwrap()
        .unwrap();
    let d = next(&mut rx).await;
    assert_eq!(d.event["type"], "something.new");
    assert_eq!(d.header("x-webhook-id"), id);
    handle.state().webhooks_settled().await;
    let records = handle.state().webhook_deliveries();
    assert_eq!(records[0].task_id.as_deref(), Some("forged-1"));
    assert_eq!(records[1].task_id, None);

    for bad in [
        json!({"event": {"no": "type"}}),
        json!({"event": {"type": ""}}),
        json!({}),
    ] {
        let r = client.post(&url).json(&bad).send().await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
    let r = client
        .post(format!("{url}?api_key=nope"))
        .json(&json!({"event": {"type": "x"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // An app without a URL sends nothing and says so.
    let r: Value = client
        .post(&url)
        .json(&json!({"api_key": KEY_B, "event": {"type": "x"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["webhook_id"], Value::Null);
}

#[tokio::test]
async fn the_legacy_app_path_serves_the_same_settings() {
    let router = getstream_emulator::app(getstream_emulator::EmulatorState::new(config()));
    let r = api(
        &router,
        axum::http::Method::PATCH,
        "/app",
        Some(
            json!({"webhook_url": "http://127.0.0.1:9/h", "enable_hook_payload_compression": true}),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = api(&router, axum::http::Method::GET, "/api/v2/app", None).await;
    assert_eq!(r.body["app"]["webhook_url"], "http://127.0.0.1:9/h");
    assert_eq!(r.body["app"]["enable_hook_payload_compression"], true);
    let r = api(&router, axum::http::Method::GET, "/app", None).await;
    assert_eq!(r.body["app"]["webhook_url"], "http://127.0.0.1:9/h");
}
