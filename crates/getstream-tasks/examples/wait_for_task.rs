//! Serves a scripted task on loopback and waits on it with the SDK, printing
//! what happens. No network, no credentials:
//!
//! ```sh
//! cargo run -p getstream-tasks --example wait_for_task
//! ```
//!
//! Three waits: a task that goes waiting → running (with a 503 hiccup) →
//! completed; a task that fails; and a task that outlives the wait's timeout.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use getstream_tasks::{Client, Error};
use serde_json::json;

const API_KEY: &str = "demo-key";
const API_SECRET: &str = "demo-secret";

/// Seconds since the demo started (server and client print on one clock).
fn clock() -> f64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// The replies each task id gets, in order (the last one repeats).
fn script(id: &str) -> Vec<(u16, serde_json::Value)> {
    let task = |status: &str| {
        json!({"task_id": id, "status": status, "duration": "0.3ms",
               "created_at": 1_700_000_000_000_000_000_i64, "updated_at": 1_700_000_001_000_000_000_i64})
    };
    match id {
        "export-1" => vec![
            (200, task("waiting")),
            (200, task("running")),
            (
                503,
                json!({"code": -1, "message": "temporarily overloaded", "StatusCode": 503}),
            ),
            (200, task("running")),
            (200, {
                let mut t = task("completed");
                t["result"] = json!({"url": "https://example.invalid/exports/export-1.json"});
                t
            }),
        ],
        "delete-2" => vec![
            (200, task("running")),
            (200, {
                let mut t = task("failed");
                t["error"] = json!({"type": "internal", "description": "channel messaging:general is locked",
                                    "version": "demo"});
                t
            }),
        ],
        _ => vec![(200, task("running"))],
    }
}

async fn serve() -> String {
    let served: Arc<Mutex<std::collections::HashMap<String, usize>>> = Arc::default();
    let app = axum::Router::new().route(
        "/api/v2/tasks/{id}",
        axum::routing::get(move |Path(id): Path<String>| {
            let served = served.clone();
            async move {
                let replies = script(&id);
                let n = {
                    let mut served = served.lock().unwrap();
                    let n = served.entry(id.clone()).or_default();
                    *n += 1;
                    *n - 1
                };
                let (status, body) = replies[n.min(replies.len() - 1)].clone();
                let shown = body["status"]
                    .as_str()
                    .map_or_else(|| body["message"].to_string(), str::to_owned);
                println!(
                    "  {:>5.2}s  server  GET /api/v2/tasks/{id} -> {status} {shown}",
                    clock()
                );
                let response: Response =
                    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response();
                response
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    clock();
    let url = serve().await;
    println!("scripted task server on {url}\n");
    let client = Client::builder(API_KEY, API_SECRET).base_url(url).build()?;

    for (id, timeout) in [("export-1", 10), ("delete-2", 10), ("slow-3", 2)] {
        println!("wait_for_task({id:?}) every 0.5 s, timeout {timeout} s");
        let started = Instant::now();
        let outcome = client
            .wait_for_task(id)
            .interval(Duration::from_millis(500))
            .timeout(Duration::from_secs(timeout))
            .await;
        let took = started.elapsed().as_secs_f64();
        let now = clock();
        match outcome {
            Ok(task) => println!(
                "  {now:>5.2}s  client  completed after {took:.2}s: result = {}",
                task.result.unwrap_or_default()
            ),
            Err(Error::Task(e)) => println!(
                "  {now:>5.2}s  client  task {} failed after {took:.2}s: {} ({})",
                e.task_id(),
                e.description(),
                e.error_type()
            ),
            Err(Error::Transport(e)) if e.is_timeout() => println!(
                "  {now:>5.2}s  client  gave up after {took:.2}s: last status {} after {} polls; the task may still be running (wait again on the same id)",
                e.last_status()
                    .map_or_else(|| "none".to_owned(), ToString::to_string),
                e.polls().unwrap_or(0),
            ),
            Err(other) => return Err(other.into()),
        }
        println!();
    }
    Ok(())
}
