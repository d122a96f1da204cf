//! Bulk image moderation end to end: a CSV and images served by an axum server on loopback,
//! the task's results file downloaded through its signed link, the events it sends, and a
//! restart on a data dir. The hostile inputs are in `moderation_hostile.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use getstream_emulator::{
    EXPORT_BULK_IMAGE_MODERATION_ERROR, EXPORT_BULK_IMAGE_MODERATION_SUCCESS, Emulator,
    EmulatorConfig, FetchLimits, JobKind, TaskFailure,
};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::support::*;
use crate::webhooks::{next, receiver};

pub const ROUTE: &str = "/api/v2/moderation/bulk_image_moderation";

/// What the test server saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Bytes of bodies streamed so far.
    pub streamed: AtomicU64,
    /// Requests for `/gate.csv`.
    pub gate_hits: AtomicUsize,
    /// Woken when `/gate.csv` is asked for the first time (it then stalls).
    pub gate_asked: Notify,
    /// CSV bodies by name, set by the test.
    pub csv: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

async fn csv(State(seen): State<Arc<Seen>>, Path(name): Path<String>) -> Response {
    let body = seen.csv.lock().unwrap().get(&name).cloned();
    match body {
        Some(b) => ([(header::CONTENT_TYPE, "text/csv")], b).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn image(Path(name): Path<String>) -> Response {
    match name.as_str() {
        "stall.png" => std::future::pending().await,
        "page.png" => ([(header::CONTENT_TYPE, "text/html")], "<html></html>").into_response(),
        "empty.png" => ([(header::CONTENT_TYPE, "image/png")], "").into_response(),
        "huge.png" => endless("image/png", false),
        n if n.starts_with("missing") => StatusCode::NOT_FOUND.into_response(),
        _ => (
            [(header::CONTENT_TYPE, "image/png")],
            Bytes::from_static(PNG),
        )
            .into_response(),
    }
}

/// A body that never ends (64 KiB chunks of `x`), or one that declares 1 GiB up front.
fn endless(content_type: &'static str, declared: bool) -> Response {
    let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
    let stream = futures::stream::repeat(chunk).map(Ok::<_, std::io::Error>);
    let mut r = Response::new(Body::from_stream(stream));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, content_type.parse().unwrap());
    if declared {
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, "1073741824".parse().unwrap());
    }
    r
}

use futures::StreamExt;

async fn huge_csv(State(seen): State<Arc<Seen>>) -> Response {
    // Counts what it streams, so the test can tell the emulator stopped reading.
    let chunk = Bytes::from("http://127.0.0.1:1/a.png\n".repeat(2700));
    let stream = futures::stream::repeat(chunk).map(move |c| {
        seen.streamed.fetch_add(c.len() as u64, Ordering::Relaxed);
        Ok::<_, std::io::Error>(c)
    });
    (
        [(header::CONTENT_TYPE, "text/csv")],
        Body::from_stream(stream),
    )
        .into_response()
}

async fn gate(State(seen): State<Arc<Seen>>) -> Response {
    if seen.gate_hits.fetch_add(1, Ordering::SeqCst) == 0 {
        seen.gate_asked.notify_one();
        std::future::pending::<()>().await;
    }
    let body = seen.csv.lock().unwrap().get("good").cloned().unwrap();
    ([(header::CONTENT_TYPE, "text/csv")], body).into_response()
}

/// The test server on 127.0.0.1:0: its base URL and what it saw.
pub async fn files() -> (String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let app = Router::new()
        .route("/csv/{name}", get(csv))
        .route("/img/{name}", get(image))
        .route("/huge.csv", get(huge_csv))
        .route(
            "/declared-huge.csv",
            get(|| async { endless("text/csv", true) }),
        )
        .route("/slow.csv", get(std::future::pending::<Response>))
        .route(
            "/page.html",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    "<!DOCTYPE html><html><body>Not a CSV</body></html>",
                )
            }),
        )
        .route(
            "/binary.csv",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/octet-stream")],
                    Bytes::from_static(PNG),
                )
            }),
        )
        .route(
            "/moved.csv",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/csv/good")]) }),
        )
        .route("/gate.csv", get(gate))
        .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

/// Small bounds, so the hostile cases finish fast.
pub fn limits() -> FetchLimits {
    FetchLimits {
        max_csv_bytes: 64 * 1024,
        max_csv_rows: 10,
        max_image_bytes: 256 * 1024,
        fetch_timeout: Duration::from_millis(400),
        task_timeout: Duration::from_secs(30),
        concurrency: 3,
    }
}

/// Starts a task on `csv_file` and waits for it to finish.
pub async fn moderate(http: &Http, csv_file: &str) -> Value {
    http.run_task(ROUTE, json!({ "csv_file": csv_file }))
        .await
        .0
}

/// The good CSV: safe, flagged, missing, not allowed, stalled, too large, HTML, empty.
fn good_csv(base: &str) -> String {
    format!(
        "url,comment\n\
         {base}/img/cat.png,a cat\n\
         \n\
         \"{base}/img/nsfw-1.png\",flagged by path\n\
         {base}/img/missing.png\n\
         http://192.0.2.1/img/cat.png\n\
         {base}/img/stall.png\n\
         {base}/img/huge.png\n\
         {base}/img/page.png\n\
         {base}/img/empty.png\n\
         http://localhost:{port}/img/FLAG.png\n",
        port = base.rsplit(':').next().unwrap()
    )
}

#[tokio::test]
async fn a_csv_of_images_leaves_a_results_file_and_sends_the_success_event() {
    let (base, seen) = files().await;
    seen.csv
        .lock()
        .unwrap()
        .insert("good".into(), good_csv(&base));
    let (hook, mut events) = receiver().await;
    let (handle, http) = start(config().fetch_limits(limits()).webhook_url(hook)).await;

    let (s, started) = http
        .post(ROUTE, json!({"csv_file": format!("{base}/csv/good")}))
        .await;
    assert_eq!(s, 201, "{started}");
    assert!(started["duration"].is_string(), "{started}");
    let id = started["task_id"].as_str().unwrap();
    let (task, _) = http.wait(id).await;
    assert_eq!(task["status"], "completed", "{task}");
    let result = &task["result"];
    assert_eq!(result["total"], 9, "{task}");
    assert_eq!(result["flagged"], 2, "{task}");
    assert_eq!(result["failed"], 6, "{task}");
    let url = result["url"].as_str().unwrap();
    assert!(
        url.contains("/_emulator/exports/") && url.contains(".csv?"),
        "{url}"
    );

    let resp = reqwest::get(url).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/csv");
    let text = resp.text().await.unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "url,status,verdict,reason");
    assert_eq!(rows.len(), 10, "{text}");
    assert_eq!(rows[1], format!("{base}/img/cat.png,ok,safe,"));
    assert_eq!(rows[2], format!("{base}/img/nsfw-1.png,ok,flagged,"));
    assert_eq!(
        rows[3],
        format!("{base}/img/missing.png,error,,answered HTTP 404")
    );
    assert!(
        rows[4].starts_with("http://192.0.2.1/img/cat.png,error,,")
            && rows[4].contains("not loopback")
            && rows[4].contains("--allow-remote-fetch"),
        "{}",
        rows[4]
    );
    assert!(
        rows[5].contains("error,,took longer than 400ms"),
        "{}",
        rows[5]
    );
    assert!(
        rows[6].contains("error,,is larger than 262144 bytes"),
        "{}",
        rows[6]
    );
    assert!(
        rows[7].ends_with("error,,is not an image (Content-Type text/html)"),
        "{}",
        rows[7]
    );
    assert!(rows[8].ends_with("error,,is empty"), "{}", rows[8]);
    assert!(
        rows[9].ends_with("/img/FLAG.png,ok,flagged,"),
        "{}",
        rows[9]
    );

    // The link is signed: without its signature the file is refused.
    let unsigned = url.split('?').next().unwrap();
    assert_eq!(reqwest::get(unsigned).await.unwrap().status(), 403);

    let event = next(&mut events).await;
    assert!(event.verified);
    assert_eq!(event.event["type"], EXPORT_BULK_IMAGE_MODERATION_SUCCESS);
    assert_eq!(event.event["task_id"], id);
    let pushed = event.event["url"].as_str().unwrap();
    assert!(pushed.contains(".csv?"), "{pushed}");
    assert_eq!(
        reqwest::get(pushed).await.unwrap().text().await.unwrap(),
        text
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn a_failed_task_sends_the_error_event() {
    let (hook, mut events) = receiver().await;
    let (handle, http) = start(config().admin(true).webhook_url(hook)).await;
    // A URL off loopback: refused, with no network access.
    let task = moderate(&http, "http://192.0.2.1/images.csv").await;
    assert_eq!(task["status"], "failed", "{task}");
    let why = task["error"]["description"].as_str().unwrap();
    assert!(why.contains("not loopback"), "{why}");
    assert_eq!(task["error"]["type"], "BulkImageModerationError");
    let event = next(&mut events).await;
    assert_eq!(event.event["type"], EXPORT_BULK_IMAGE_MODERATION_ERROR);
    assert_eq!(event.event["task_id"], task["task_id"]);
    assert_eq!(event.event["error"], why);

    // An injected failure goes the same way.
    handle
        .state()
        .fail_next_jobs(
            KEY,
            JobKind::BulkImageModeration,
            1,
            TaskFailure::new("BulkImageModerationError", "injected"),
        )
        .unwrap();
    let task = moderate(&http, "http://127.0.0.1:1/a.csv").await;
    assert_eq!(task["error"]["description"], "injected", "{task}");
    let event = next(&mut events).await;
    assert_eq!(event.event["type"], EXPORT_BULK_IMAGE_MODERATION_ERROR);
    assert_eq!(event.event["task_id"], task["task_id"]);
    handle.shutdown().await;
}

#[tokio::test]
async fn bad_csv_file_values_are_refused_before_a_task() {
    let (handle, http) = start(config()).await;
    let long = format!("http://127.0.0.1/{}", "a".repeat(2100));
    for body in [
        json!({}),
        json!({"csv_file": ""}),
        json!({"csv_file": "   "}),
        json!({"csv_file": "images.csv"}),
        json!({"csv_file": "/tmp/images.csv"}),
        json!({"csv_file": "ftp://127.0.0.1/images.csv"}),
        json!({"csv_file": "file:///etc/passwd"}),
        json!({"csv_file": long}),
    ] {
        let (s, b) = http.post(ROUTE, body.clone()).await;
        assert_eq!(s, 400, "{body}: {b}");
        assert_eq!(b["code"], 4, "{b}");
        assert!(b["exception_fields"]["csv_file"].is_string(), "{b}");
    }
    let (s, b) = http.post(ROUTE, json!({"csv_file": 7})).await;
    assert_eq!(s, 400, "{b}");
    handle.shutdown().await;
}

/// Starts an emulator on `cfg`'s data dir once the one before has let go of it (a job's
/// thread does as soon as it sees the shutdown).
async fn restart(cfg: &EmulatorConfig) -> getstream_emulator::EmulatorHandle {
    for _ in 0..200 {
        if let Ok(h) = Emulator::start(cfg.clone()).await {
            return h;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the data dir stayed held");
}

#[tokio::test]
async fn a_task_cut_by_a_restart_runs_again_on_the_data_dir() {
    let (base, seen) = files().await;
    seen.csv.lock().unwrap().insert(
        "good".into(),
        format!("{base}/img/cat.png\n{base}/img/nsfw.png\n"),
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = config().data_dir(dir.path());
    let (handle, http) = start(cfg.clone()).await;
    let (s, started) = http
        .post(ROUTE, json!({"csv_file": format!("{base}/gate.csv")}))
        .await;
    assert_eq!(s, 201, "{started}");
    let id = started["task_id"].as_str().unwrap().to_owned();
    // The CSV was asked for; the server holds it back; the emulator stops mid-task.
    tokio::time::timeout(Duration::from_secs(30), seen.gate_asked.notified())
        .await
        .unwrap();
    assert_eq!(http.task(&id).await["status"], "running");
    handle.shutdown().await;

    let again = restart(&cfg).await;
    let http = Http::new(&again, KEY, SECRET);
    let (task, _) = http.wait(&id).await;
    assert_eq!(task["status"], "completed", "{task}");
    assert_eq!(task["result"]["total"], 2, "{task}");
    assert_eq!(task["result"]["flagged"], 1, "{task}");
    assert_eq!(seen.gate_hits.load(Ordering::SeqCst), 2);
    let text = reqwest::get(task["result"]["url"].as_str().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    again.shutdown().await;

    // Finished, the task keeps its result and its file across one more restart.
    let third = restart(&cfg).await;
    let http = Http::new(&third, KEY, SECRET);
    let stored = http.task(&id).await;
    assert_eq!(stored["result"]["total"], 2, "{stored}");
    let link = stored["result"]["url"].as_str().unwrap();
    assert!(link.contains(".csv?"), "{link}");
    let again_text = reqwest::get(link).await.unwrap().text().await.unwrap();
    assert_eq!(again_text, text);
    third.shutdown().await;
}

#[tokio::test]
async fn the_library_and_the_command_line_set_the_policy() {
    use clap::Parser;
    let args = getstream_emulator::cli::Args::parse_from([
        "getstream-emulator",
        "--allow-remote-fetch",
        "--fetch-max-csv-bytes",
        "1000",
        "--fetch-max-rows",
        "5",
        "--fetch-max-image-bytes",
        "2000",
        "--fetch-timeout",
        "3s",
        "--fetch-task-timeout",
        "1m",
        "--fetch-concurrency",
        "2",
    ]);
    let config = args.config();
    assert!(config.allows_remote_fetch());
    assert_eq!(
        config.current_fetch_limits(),
        FetchLimits {
            max_csv_bytes: 1000,
            max_csv_rows: 5,
            max_image_bytes: 2000,
            fetch_timeout: Duration::from_secs(3),
            task_timeout: Duration::from_secs(60),
            concurrency: 2,
        }
    );
    let defaults = getstream_emulator::cli::Args::parse_from(["getstream-emulator"]).config();
    assert!(!defaults.allows_remote_fetch());
    assert_eq!(defaults.current_fetch_limits(), FetchLimits::default());
    assert_eq!(
        EmulatorConfig::new()
            .fetch_limits(FetchLimits {
                concurrency: 0,
                ..FetchLimits::default()
            })
            .current_fetch_limits()
            .concurrency,
        1
    );
}
