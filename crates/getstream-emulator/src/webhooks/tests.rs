//! Deliveries to real receivers on loopback: signature, headers, gzip, retries, timeouts, a
//! closed port and the queue bound. Timing runs on tokio's paused clock (the receivers share
//! the test's runtime, so the clock only moves when everything waits).

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::payload::{self, Event, ExportKind};
use super::record::DeliveryState;
use super::settings::WebhookSettings;
use super::{WebhookHub, policy};
use crate::config::AppCredentials;

const SECRET: &str = "receiver-test-secret";

/// How a scripted receiver answers its n-th request (from 0).
#[derive(Clone, Copy)]
enum Answer {
    Status(u16),
    Hang,
}

/// One request a receiver saw.
#[derive(Clone)]
struct Seen {
    at: Instant,
    headers: HeaderMap,
    body: Bytes,
}

/// Decides the answer from the request's index, headers and body.
type Script = dyn Fn(usize, &HeaderMap, &[u8]) -> Answer + Send + Sync;

#[derive(Clone)]
struct Receiver {
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Script>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = {
        let mut seen = r.seen.lock().unwrap();
        seen.push(Seen {
            at: Instant::now(),
            headers: headers.clone(),
            body: body.clone(),
        });
        seen.len() - 1
    };
    match (r.script)(n, &headers, &body) {
        Answer::Status(s) => StatusCode::from_u16(s).unwrap(),
        Answer::Hang => std::future::pending().await,
    }
}

/// A receiver on 127.0.0.1:0 serving on this runtime; returns its URL and what it saw.
async fn receiver(
    script: impl Fn(usize, &HeaderMap, &[u8]) -> Answer + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let state = Receiver {
        seen: Arc::clone(&seen),
        script: Arc::new(script),
    };
    let app = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

/// The receiver's own check, as a user's handler would do it: gunzip when gzip-prefixed, then
/// HMAC-SHA256 with the secret over the raw bytes, compared as lowercase hex.
fn verifies(headers: &HeaderMap, body: &[u8]) -> bool {
    let plain = inflate(body);
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(&plain);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    headers
        .get("x-signature")
        .is_some_and(|s| s.as_bytes() == expected.as_bytes())
}

fn inflate(body: &[u8]) -> Vec<u8> {
    if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(body)
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        body.to_vec()
    }
}

fn hub_for(url: &str, settings: WebhookSettings, queue: usize) -> (WebhookHub, AppCredentials) {
    let hub = WebhookHub::new(queue, None, CancellationToken::new());
    hub.set_settings("app-key", settings.url(url));
    (hub, AppCredentials::new("app-key", SECRET))
}

fn header<'a>(s: &'a Seen, name: &str) -> &'a str {
    s.headers.get(name).unwrap().to_str().unwrap()
}

#[tokio::test]
async fn a_verifying_receiver_gets_a_signed_event_with_stream_headers() {
    let (url, seen) =
        receiver(|_, h, b| Answer::Status(if verifies(h, b) { 200 } else { 401 })).await;
    let (hub, app) = hub_for(&url, WebhookSettings::new(), 8);
    let event = payload::sample();
    let expected = event.body.clone();
    hub.emit(&app, event);
    hub.settled().await;

    let records = hub.deliveries();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.state, DeliveryState::Delivered, "{r:?}");
    assert_eq!((r.attempts, r.last_status), (1, Some(200)));
    assert_eq!(r.event_type, "export.channels.success");
    assert_eq!(r.task_id.as_deref(), Some("task-1"));
    let seen = seen.lock().unwrap();
    let s = &seen[0];
    assert_eq!(header(s, "content-type"), "application/json");
    assert_eq!(header(s, "x-webhook-id"), r.webhook_id);
    assert!(uuid::Uuid::parse_str(&r.webhook_id).is_ok());
    assert_eq!(header(s, "x-webhook-attempt"), "1");
    assert_eq!(header(s, "x-api-key"), "app-key");
    assert!(!s.body.starts_with(&[0x1f, 0x8b]));
    let body: serde_json::Value = serde_json::from_slice(&s.body).unwrap();
    assert_eq!(body, expected);
    assert_eq!(r.payload, expected);
}

#[tokio::test]
async fn with_compression_the_body_is_gzip_and_the_signature_covers_the_plain_json() {
    let (url, seen) =
        receiver(|_, h, b| Answer::Status(if verifies(h, b) { 200 } else { 401 })).await;
    let (hub, app) = hub_for(&url, WebhookSettings::new().compression(true), 8);
    hub.emit(&app, payload::sample());
    hub.settled().await;
    assert_eq!(hub.deliveries()[0].state, DeliveryState::Delivered);
    let seen = seen.lock().unwrap();
    assert_eq!(&seen[0].body[..2], &[0x1f, 0x8b]);
    assert!(seen[0].headers.get("content-encoding").is_none());
    let plain: serde_json::Value = serde_json::from_slice(&inflate(&seen[0].body)).unwrap();
    assert_eq!(plain["type"], "export.channels.success");
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_the_receiver_and_not_retried() {
    let (url, seen) =
        receiver(|_, h, b| Answer::Status(if verifies(h, b) { 200 } else { 401 })).await;
    let hub = WebhookHub::new(8, None, CancellationToken::new());
    hub.set_settings("app-key", WebhookSettings::new().url(&url));
    hub.emit(
        &AppCredentials::new("app-key", "another-secret"),
        payload::sample(),
    );
    hub.settled().await;
    let r = &hub.deliveries()[0];
    assert_eq!(
        (r.state, r.attempts, r.last_status),
        (DeliveryState::Failed, 1, Some(401))
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_500_is_retried_with_the_same_id_and_the_next_attempt_number() {
    let (url, seen) = receiver(|n, _, _| Answer::Status(if n == 0 { 500 } else { 200 })).await;
    let (hub, app) = hub_for(&url, WebhookSettings::new(), 8);
    hub.emit(&app, payload::sample());
    hub.settled().await;

    let r = &hub.deliveries()[0];
    assert_eq!(
        (r.state, r.attempts, r.last_status),
        (DeliveryState::Delivered, 2, Some(200))
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(header(&seen[0], "x-webhook-attempt"), "1");
    assert_eq!(header(&seen[1], "x-webhook-attempt"), "2");
    assert_eq!(
        header(&seen[0], "x-webhook-id"),
        header(&seen[1], "x-webhook-id")
    );
    assert_eq!(seen[0].body, seen[1].body);
    assert_eq!(seen[1].at - seen[0].at, Duration::from_millis(250));
}

#[tokio::test(start_paused = true)]
async fn a_hanging_receiver_gets_three_attempts_within_fifteen_seconds() {
    let (url, seen) = receiver(|_, _, _| Answer::Hang).await;
    let (hub, app) = hub_for(&url, WebhookSettings::new(), 8);
    let start = Instant::now();
    hub.emit(&app, payload::sample());
    hub.settled().await;

    assert_eq!(start.elapsed(), policy::DELIVERY_DEADLINE);
    let r = &hub.deliveries()[0];
    assert_eq!(
        (r.state, r.attempts, r.last_status),
        (DeliveryState::Failed, 3, None)
    );
    assert_eq!(r.last_error.as_deref(), Some("timeout"));
    let at: Vec<Duration> = seen.lock().unwrap().iter().map(|s| s.at - start).collect();
    assert_eq!(
        at,
        [
            Duration::ZERO,
            Duration::from_millis(6250),
            Duration::from_millis(12_750)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_closed_port_gets_two_attempts() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    drop(listener);
    let (hub, app) = hub_for(&url, WebhookSettings::new(), 8);
    let start = Instant::now();
    hub.emit(&app, payload::sample());
    hub.settled().await;
    let r = &hub.deliveries()[0];
    assert_eq!(
        (r.state, r.attempts, r.last_status),
        (DeliveryState::Failed, 2, None)
    );
    assert!(
        r.last_error.as_deref().is_some_and(|e| e != "timeout"),
        "{r:?}"
    );
    assert_eq!(start.elapsed(), Duration::from_millis(250));
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_drops_and_counts_without_waiting() {
    let (url, seen) = receiver(|_, _, _| Answer::Hang).await;
    let (hub, app) = hub_for(&url, WebhookSettings::new(), 2);
    let start = Instant::now();
    // Emitting never awaits: on this single-threaded runtime the worker cannot take an event
    // before all five are offered, so exactly two fit.
    for _ in 0..5 {
        hub.emit(&app, payload::sample());
    }
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(hub.dropped(), 3);
    assert_eq!(hub.pending(), 2);
    let states: Vec<_> = hub.deliveries().iter().map(|r| r.state).collect();
    assert_eq!(
        states,
        [
            DeliveryState::Queued,
            DeliveryState::Queued,
            DeliveryState::Dropped,
            DeliveryState::Dropped,
            DeliveryState::Dropped
        ]
    );
    hub.settled().await;
    assert_eq!(seen.lock().unwrap().len(), 2 * 3);
    hub.clear();
    assert_eq!((hub.dropped(), hub.deliveries().len()), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn a_hanging_receiver_holds_at_most_the_in_flight_limit() {
    let (url, seen) = receiver(|_, _, _| Answer::Hang).await;
    let n = super::delivery::MAX_IN_FLIGHT + 3;
    let (hub, app) = hub_for(&url, WebhookSettings::new(), n);
    for _ in 0..n {
        hub.emit(&app, payload::sample());
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(seen.lock().unwrap().len(), super::delivery::MAX_IN_FLIGHT);
    hub.settled().await;
    assert!(
        hub.deliveries()
            .iter()
            .all(|r| r.state == DeliveryState::Failed)
    );
}

#[tokio::test]
async fn unselected_types_and_apps_without_a_url_send_nothing() {
    let (url, seen) = receiver(|_, _, _| Answer::Status(200)).await;
    let (hub, app) = hub_for(&url, WebhookSettings::new().events(["user.deleted"]), 8);
    hub.emit(&app, payload::sample());
    hub.emit(&AppCredentials::new("other", "s"), payload::sample());
    hub.settled().await;
    assert!(hub.deliveries().is_empty());
    let wanted: Event = payload::export_finished(ExportKind::Users, "t", Err("x"), 1, 2);
    hub.set_settings(
        "app-key",
        WebhookSettings::new()
            .url(&url)
            .events(["export.users.error"]),
    );
    hub.emit(&app, wanted);
    hub.settled().await;
    assert_eq!(hub.deliveries().len(), 1);
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn shutdown_ends_deliveries_and_settles() {
    let (url, _seen) = receiver(|_, _, _| Answer::Hang).await;
    let shutdown = CancellationToken::new();
    let hub = WebhookHub::new(8, None, shutdown.clone());
    hub.set_settings("app-key", WebhookSettings::new().url(&url));
    hub.emit(&AppCredentials::new("app-key", SECRET), payload::sample());
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), hub.settled())
        .await
        .unwrap();
}

#[test]
fn export_urls_use_the_public_url_or_the_bound_address() {
    let hub = WebhookHub::new(1, None, CancellationToken::new());
    assert_eq!(
        hub.export_url("t"),
        "http://localhost/_emulator/exports/t.json"
    );
    hub.set_local_addr(([127, 0, 0, 1], 4000).into());
    assert_eq!(
        hub.export_url("t"),
        "http://127.0.0.1:4000/_emulator/exports/t.json"
    );
    let public = WebhookHub::new(
        1,
        Some("https://emu.example".into()),
        CancellationToken::new(),
    );
    assert_eq!(
        public.export_url("t"),
        "https://emu.example/_emulator/exports/t.json"
    );
}

#[test]
fn the_secret_never_shows_in_debug() {
    let hub = WebhookHub::new(1, None, CancellationToken::new());
    hub.set_settings("k", WebhookSettings::new().url("http://127.0.0.1:1/"));
    assert!(!format!("{hub:?}").contains(SECRET));
    let job = super::delivery::Outgoing {
        webhook_id: "id".into(),
        api_key: "k".into(),
        secret: SECRET.into(),
        url: "http://h/".into(),
        body: bytes::Bytes::new(),
        compress: false,
        timeout: None,
    };
    assert!(!format!("{job:?}").contains(SECRET));
}

#[tokio::test(start_paused = true)]
async fn a_hooks_timeout_ms_bounds_each_attempt() {
    let (url, seen) = receiver(|_, _, _| Answer::Hang).await;
    let (hub, app) = hub_for(&url, WebhookSettings::new(), 8);
    let hooks = super::hooks::parse_hooks(&serde_json::json!([
        {"hook_type": "webhook", "webhook_url": url, "timeout_ms": 1000},
    ]))
    .unwrap();
    // The hook only: no legacy URL.
    hub.update_settings("app-key", |s| {
        *s = WebhookSettings::new();
        s.set_hooks(hooks);
    });
    let start = Instant::now();
    hub.emit(&app, payload::sample());
    hub.settled().await;
    let r = &hub.deliveries();
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].state, r[0].attempts), (DeliveryState::Failed, 3));
    let at: Vec<Duration> = seen.lock().unwrap().iter().map(|s| s.at - start).collect();
    assert_eq!(
        at,
        [
            Duration::ZERO,
            Duration::from_millis(1250),
            Duration::from_millis(2750)
        ]
    );
}
