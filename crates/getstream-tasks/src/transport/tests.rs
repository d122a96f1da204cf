//! The transport against a loopback server, and how paths are built.

use super::*;
use http::HeaderMap;

/// The internal API the task-starting operations build on: a POST with a
/// JSON body, extra query pairs and a request id, against a loopback server.
#[tokio::test(start_paused = true)]
async fn posts_json_with_query_and_request_id() {
    use axum::extract::{Json, RawQuery};
    let app =
        axum::Router::new().route(
            "/api/v2/chat/channels/delete",
            axum::routing::post(
                |RawQuery(query): RawQuery,
                 headers: HeaderMap,
                 Json(body): Json<serde_json::Value>| async move {
                    let header = |n: &str| headers.get(n).map(|v| v.to_str().unwrap().to_owned());
                    (
                        axum::http::StatusCode::CREATED,
                        Json(serde_json::json!({
                            "task_id": "t-1",
                            "echo": body,
                            "query": query,
                            "content_type": header("content-type"),
                            "request_id": header("x-client-request-id"),
                        })),
                    )
                },
            ),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let client = crate::Client::builder("key", "secret")
        .base_url(url)
        .build()
        .unwrap();
    let request = Request::new(Method::POST, &["api", "v2", "chat", "channels", "delete"])
        .unwrap()
        .query("dry run", "a&b")
        .request_id("req-42")
        .json(&serde_json::json!({"cids": ["messaging:general"], "hard_delete": true}))
        .unwrap()
        .deadline(Some(Instant::now() + Duration::from_secs(5)));
    let response: Response<serde_json::Value> = client.transport().send(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body = response.into_body();
    assert_eq!(body["echo"]["cids"][0], "messaging:general");
    assert_eq!(body["query"], "api_key=key&dry+run=a%26b");
    assert_eq!(body["content_type"], "application/json");
    assert_eq!(body["request_id"], "req-42");
}

#[test]
fn segments_are_encoded_one_by_one_and_dot_segments_rejected() {
    let r = Request::new(Method::GET, &["api", "v2", "tasks", "../users?x=1#f g/%2e"]).unwrap();
    assert_eq!(r.path, "/api/v2/tasks/..%2Fusers%3Fx%3D1%23f%20g%2F%252e");
    for bad in ["", ".", ".."] {
        let e = Request::new(Method::GET, &["tasks", bad]).unwrap_err();
        assert!(e.is_invalid_argument(), "{bad:?}");
    }
}
