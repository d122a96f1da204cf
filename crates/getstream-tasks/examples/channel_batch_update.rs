//! Adds two members to every channel of a type with one channel batch update,
//! then waits for the typed result. Runs against a small server on loopback
//! that answers as Stream does (no network, no credentials):
//!
//! ```sh
//! cargo run -p getstream-tasks --example channel_batch_update
//! ```
//!
//! Against Stream or the emulator, build the client with your key, secret and
//! base URL instead; the rest is the same.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use getstream_tasks::{
    ChannelBatchFilter, ChannelBatchMember, ChannelBatchOperation, ChannelBatchUpdateRequest,
    Client,
};
use serde_json::{Value, json};

/// Answers the batch update with a task id, then the task: running twice,
/// then completed with one channel that failed.
async fn serve() -> String {
    let polls = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new()
        .route(
            "/api/v2/chat/channels/batch",
            axum::routing::put(|Json(body): Json<Value>| async move {
                println!("server  PUT /api/v2/chat/channels/batch {body}");
                let started = json!({"duration": "0.8ms", "task_id": "batch-1"});
                (StatusCode::CREATED, Json(started))
            }),
        )
        .route(
            "/api/v2/tasks/{id}",
            axum::routing::get(move |Path(id): Path<String>| {
                let n = polls.fetch_add(1, Ordering::Relaxed);
                async move {
                    let mut task = json!({"task_id": id, "status": "running", "duration": "0.2ms"});
                    if n >= 2 {
                        task["status"] = json!("completed");
                        task["result"] = json!({
                            "operation": "addMembers", "status": "completed",
                            "success_channels_count": 41,
                            "failed_channels": [{"reason": "channel is frozen", "cids": ["team:archive"]}],
                        });
                    }
                    println!("server  GET /api/v2/tasks/{id} -> {}", task["status"]);
                    Json(task)
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
    let url = serve().await;
    let client = Client::builder("demo-key", "demo-secret")
        .base_url(url)
        .build()?;

    // Checked before any request: addMembers needs members.
    let empty = ChannelBatchUpdateRequest::new(
        ChannelBatchOperation::AddMembers,
        ChannelBatchFilter::types(["team"]),
    );
    let error = client.chat().channel_batch_update(empty).await.unwrap_err();
    println!("client  refused before sending: {error}");

    let request = ChannelBatchUpdateRequest::new(
        ChannelBatchOperation::AddMembers,
        ChannelBatchFilter::types(["team"]),
    )
    .members([
        ChannelBatchMember::new("ann"),
        ChannelBatchMember::new("bob").channel_role("channel_moderator"),
    ]);
    let answer = client.chat().channel_batch_update(request).await?;
    // Stream's schema makes the task id optional: the type says so.
    let Some(task) = answer.task() else {
        println!("client  the server started no task");
        return Ok(());
    };
    println!("client  started task {}", task.task_id());
    let result = task.wait().interval(Duration::from_millis(200)).await?;
    println!(
        "client  {} {}: {} channels, failed: {:?}",
        result.operation,
        result.status,
        result.success_channels_count,
        result.failed_cids().collect::<Vec<_>>()
    );
    Ok(())
}
