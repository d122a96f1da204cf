//! `get_task`: the request on the wire, decoding, and error mapping.

use getstream_tasks::{Error, TaskStatus};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::json;

use crate::support::{
    API_KEY, API_SECRET, Reply, Server, WALL_START, builder, client_at, dropping_server,
    refusing_url, transport_error,
};

#[tokio::test(start_paused = true)]
async fn sends_stream_headers_and_a_jwt_that_verifies_with_the_secret() {
    let server = Server::with_task("t1", [Reply::task("t1", "running")]).await;
    let task = server.client().get_task("t1").await.unwrap();
    assert_eq!(task.status, TaskStatus::Running);

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, "/api/v2/tasks/t1");
    assert_eq!(
        r.query.as_deref(),
        Some(format!("api_key={API_KEY}").as_str())
    );
    let h = |name: &str| r.headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(h("stream-auth-type").as_deref(), Some("jwt"));
    assert_eq!(
        h("x-stream-client"),
        Some(format!("getstream-tasks-{}", env!("CARGO_PKG_VERSION")))
    );
    let request_id = h("x-client-request-id").unwrap();
    assert_eq!(request_id.len(), 36, "{request_id}");

    let token = h("authorization").unwrap();
    assert!(!token.starts_with("Bearer"), "{token}");
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<serde_json::Value>(
        &token,
        &DecodingKey::from_secret(API_SECRET.as_bytes()).unwrap(),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(claims["server"], true);
    let iat = claims["iat"].as_u64().unwrap();
    // Issued when the client was built, on its (test) wall clock.
    assert_eq!(iat, WALL_START);
    // A token signed with another secret would not verify.
    assert!(
        jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &DecodingKey::from_secret(b"another-secret").unwrap(),
            &validation
        )
        .is_err()
    );
}

#[tokio::test(start_paused = true)]
async fn one_connection_is_reused_across_polls_and_clones() {
    let server = Server::with_statuses("t1", &["waiting", "running", "completed"]).await;
    let client = server.client();
    client.wait_for_task("t1").await.unwrap();
    client.clone().get_task("t1").await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    assert!(
        requests.iter().all(|r| r.peer == requests[0].peer),
        "{requests:?}"
    );
    let ids: std::collections::HashSet<_> = requests
        .iter()
        .map(|r| r.headers["x-client-request-id"].clone())
        .collect();
    assert_eq!(ids.len(), 4, "a fresh request id per request");
}

#[tokio::test(start_paused = true)]
async fn path_unsafe_ids_stay_one_segment() {
    let server = Server::start().await;
    let cases = [
        ("../users?x=1", "/api/v2/tasks/..%2Fusers%3Fx%3D1"),
        ("a/b", "/api/v2/tasks/a%2Fb"),
        ("100%", "/api/v2/tasks/100%25"),
        ("#frag ment", "/api/v2/tasks/%23frag%20ment"),
        ("ünï", "/api/v2/tasks/%C3%BCn%C3%AF"),
        ("%2e%2e", "/api/v2/tasks/%252e%252e"),
    ];
    for (id, path) in cases {
        server.script(path, [Reply::task(id, "completed")]);
        let task = server.client().get_task(id).await.unwrap();
        assert_eq!(task.task_id, id);
    }
    let requests = server.requests();
    assert_eq!(requests.len(), cases.len());
    for (r, (_, path)) in requests.iter().zip(cases) {
        assert_eq!(r.path, path);
        assert_eq!(
            r.query.as_deref(),
            Some(format!("api_key={API_KEY}").as_str())
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_base_url_path_prefix_is_kept() {
    let server = Server::start().await;
    server.script(
        "/proxy/stream/api/v2/tasks/t1",
        [Reply::task("t1", "completed")],
    );
    let client = client_at(&format!("{}/proxy/stream/", server.url));
    assert!(client.get_task("t1").await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn empty_dot_and_huge_ids_are_argument_errors_before_any_request() {
    let server = Server::start().await;
    let huge = "a".repeat(100_000);
    for id in ["", "   ", ".", "..", &huge] {
        let e = server.client().get_task(id).await.unwrap_err();
        assert!(e.is_invalid_argument(), "{id:?}: {e}");
        assert!(e.to_string().contains("task_id"), "{e}");
    }
    assert!(server.requests().is_empty());
}

#[tokio::test(start_paused = true)]
async fn timestamps_in_nanoseconds_and_rfc3339_decode() {
    let server = Server::with_task(
        "ns",
        [Reply::task("ns", "completed").with(json!({
            "created_at": 1_700_000_000_123_456_789_i64,
            "updated_at": 1.7000000015e18,
            "result": {"url": "https://example.invalid/x"},
        }))],
    )
    .await;
    server.task(
        "rfc",
        [Reply::task("rfc", "completed").with(json!({
            "created_at": "2023-11-14T22:13:20.123456789Z",
            "updated_at": "1700000001500000000",
        }))],
    );
    server.task(
        "junk",
        [Reply::task("junk", "completed").with(json!({
            "created_at": "last tuesday",
            "updated_at": {"nested": true},
            "duration": null,
            "brand_new_field": [1, 2, 3],
        }))],
    );
    let client = server.client();
    let ns = client.get_task("ns").await.unwrap();
    let rfc = client.get_task("rfc").await.unwrap();
    assert_eq!(
        ns.created_at.unwrap().unix_nanos(),
        1_700_000_000_123_456_789
    );
    assert_eq!(ns.created_at, rfc.created_at);
    assert_eq!(
        ns.updated_at.unwrap().unix_nanos(),
        1_700_000_001_500_000_000
    );
    assert_eq!(ns.updated_at, rfc.updated_at);
    assert_eq!(
        ns.created_at.unwrap().to_string(),
        "2023-11-14T22:13:20.123456789Z"
    );
    assert_eq!(ns.result.unwrap()["url"], "https://example.invalid/x");
    let junk = client.get_task("junk").await.unwrap();
    assert_eq!(
        (junk.created_at, junk.updated_at, junk.duration),
        (None, None, None)
    );
}

#[tokio::test(start_paused = true)]
async fn rate_limit_headers_are_on_responses() {
    let server = Server::with_task(
        "t1",
        [Reply::task("t1", "running")
            .header("x-ratelimit-limit", "60")
            .header("x-ratelimit-remaining", ", 59")
            .header("x-ratelimit-reset", "1700000060")],
    )
    .await;
    let response = server.client().get_task_response("t1").await.unwrap();
    assert_eq!(response.status(), http::StatusCode::OK);
    let rl = response.rate_limit().unwrap();
    assert_eq!((rl.limit, rl.remaining), (Some(60), Some(59)));
    assert_eq!(
        rl.reset,
        Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_060))
    );
    assert_eq!(response.into_body().task_id, "t1");
}

#[tokio::test(start_paused = true)]
async fn not_found_is_an_api_error_with_the_envelope_fields() {
    let server = Server::with_task(
        "nope",
        [Reply::api_error(404, 16, "Can't find task with id nope")
            .with(json!({"exception_fields": {"id": "unknown"}, "details": [4, 16]}))
            .header("x-ratelimit-remaining", "10")],
    )
    .await;
    let e = server.client().get_task("nope").await.unwrap_err();
    assert!(e.is_api() && e.is_not_found() && !e.is_retryable(), "{e}");
    let Error::Api(api) = &e else { unreachable!() };
    assert_eq!(api.status_code(), http::StatusCode::NOT_FOUND);
    assert_eq!(api.code(), 16);
    assert_eq!(api.message(), "Can't find task with id nope");
    assert_eq!(api.exception_fields()["id"], "unknown");
    assert_eq!(api.details(), &[4, 16]);
    assert_eq!(
        api.more_info(),
        Some("https://getstream.io/chat/docs/api_errors_response")
    );
    assert!(!api.unrecoverable());
    assert_eq!(api.rate_limit().unwrap().remaining, Some(10));
    assert!(api.raw_body().contains("Can't find task"));
    let text = e.to_string();
    assert!(
        text.contains("404") && text.contains("code 16") && text.contains("/api/v2/tasks/nope"),
        "{text}"
    );
    assert!(
        !text.contains(API_KEY),
        "the query (api_key) stays out of messages: {text}"
    );
}

#[tokio::test(start_paused = true)]
async fn html_502_and_empty_500_become_api_errors_with_code_0() {
    let server = Server::start().await;
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    server.task("html", [Reply::text(502, html)]);
    server.task("empty", [Reply::text(500, "")]);
    let client = server.client();
    for (id, status, body) in [("html", 502, html), ("empty", 500, "")] {
        let e = client.get_task(id).await.unwrap_err();
        let Error::Api(api) = &e else { panic!("{e}") };
        assert_eq!(api.status_code().as_u16(), status);
        assert_eq!(api.code(), 0);
        assert_eq!(
            api.message(),
            format!("failed to parse error response: unexpected server response code {status}")
        );
        assert_eq!(api.raw_body(), body);
        assert!(e.is_retryable());
    }
}

#[tokio::test(start_paused = true)]
async fn a_malformed_200_body_is_a_decode_error() {
    let server = Server::with_task(
        "bad",
        [Reply::text(200, "<html>definitely not json</html>")],
    )
    .await;
    server.task("shape", [Reply::json(200, json!({"tasks": []}))]);
    for id in ["bad", "shape"] {
        let e = server.client().get_task(id).await.unwrap_err();
        let Error::Decode(decode) = &e else {
            panic!("{e}")
        };
        assert_eq!(decode.status_code(), http::StatusCode::OK);
        assert!(std::error::Error::source(decode).is_some());
        assert!(!e.to_string().contains('\n'));
    }
    let e = server.client().get_task("bad").await.unwrap_err();
    let Error::Decode(decode) = &e else {
        unreachable!()
    };
    assert_eq!(decode.body_snippet(), "<html>definitely not json</html>");
}

#[tokio::test(start_paused = true)]
async fn a_dropped_connection_is_a_connection_reset() {
    let url = dropping_server().await;
    let client = client_at(&url);
    let e = client.get_task("t1").await.unwrap_err();
    let t = transport_error(&e);
    assert_eq!(t.error_type(), "connection_reset", "{e}");
    assert!(!t.is_timeout() && e.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn a_refused_connection_is_a_connection_error() {
    let url = refusing_url().await;
    let client = client_at(&url);
    let e = client.get_task("t1").await.unwrap_err();
    let t = transport_error(&e);
    assert_eq!(t.error_type(), "connection_reset", "{e}");
    assert!(t.is_connect() && e.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn a_hung_server_is_cut_off_by_the_request_timeout() {
    let server = Server::with_task("t1", [Reply::hang()]).await;
    let client = builder(&server.url)
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let e = client.get_task("t1").await.unwrap_err();
    assert_eq!(start.elapsed(), std::time::Duration::from_secs(5));
    assert!(e.is_timeout() && e.is_retryable(), "{e}");
    let t = transport_error(&e);
    assert!(!t.is_wait_timeout());
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_a_tls_handshake_failure() {
    let server = Server::with_task("t1", [Reply::task("t1", "completed")]).await;
    let url = server.url.replace("http://", "https://");
    let client = client_at(&url);
    let e = client.get_task("t1").await.unwrap_err();
    let t = transport_error(&e);
    assert_eq!(t.error_type(), "tls_handshake_failed", "{e}");
    assert!(t.is_connect() && !e.is_retryable());
    // A wait ends at once on it: a TLS failure is configuration, not a blip.
    let start = std::time::Instant::now();
    let e = client.wait_for_task("t1").await.unwrap_err();
    assert!(!e.is_timeout(), "{e}");
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}
