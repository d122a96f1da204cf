//! A tiny task server for the SDK docs' examples.

/// Serves `GET /api/v2/tasks/{id}` on 127.0.0.1:0, answering with `statuses` in turn (the
/// last one repeats); returns the base URL. The doc examples run against it (with a hidden
/// `use getstream_test_support as doc_support;`), not the scripted server of the SDK's
/// `support.rs`: a doctest is a crate of its own.
///
/// # Panics
/// When `statuses` is empty or no loopback port can be bound (a test helper).
pub async fn serve(statuses: &[&str]) -> String {
    use std::sync::{Arc, Mutex};
    let statuses: Vec<String> = statuses.iter().map(|s| s.to_string()).collect();
    let next = Arc::new(Mutex::new(0usize));
    let app = axum::Router::new().route(
        "/api/v2/tasks/{id}",
        axum::routing::get(move |axum::extract::Path(id): axum::extract::Path<String>| {
            let statuses = statuses.clone();
            let next = next.clone();
            async move {
                let mut n = next.lock().unwrap();
                let status = statuses[(*n).min(statuses.len() - 1)].clone();
                *n += 1;
                axum::Json(serde_json::json!({
                    "task_id": id,
                    "status": status,
                    "created_at": 1_700_000_000_000_000_000_i64,
                    "updated_at": 1_700_000_001_000_000_000_i64,
                    "duration": "0.10ms",
                    "result": if status == "completed" { serde_json::json!({"url": "https://example.invalid/export.json"}) } else { serde_json::Value::Null },
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}
