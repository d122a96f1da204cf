//! Handler tests through the router, without a socket.

use axum::body::Body;
use axum::http::Method;
use getstream_emulator::{EmulatorConfig, EmulatorState, Pace, RateLimits, app};
use serde_json::{Value, json};

use crate::support::*;

fn router() -> axum::Router {
    app(EmulatorState::new(config()))
}

async fn get_task(router: &axum::Router, query: &str, auth: Option<&str>) -> Reply {
    call(
        router,
        Method::GET,
        &format!("/api/v2/tasks/abc{query}"),
        auth,
        None,
    )
    .await
}

#[tokio::test]
async fn auth_failures_are_enveloped_401s() {
    let r = router();
    let good = token(SECRET);
    // No api_key / unknown api_key: code 2.
    get_task(&r, "", Some(&good)).await.assert_error(401, 2);
    get_task(&r, "?api_key=nope", Some(&good))
        .await
        .assert_error(401, 2);
    // Missing / empty / malformed token: code 5.
    get_task(&r, &format!("?api_key={KEY}"), None)
        .await
        .assert_error(401, 5);
    get_task(&r, &format!("?api_key={KEY}"), Some(""))
        .await
        .assert_error(401, 5);
    get_task(&r, &format!("?api_key={KEY}"), Some("not.a.jwt"))
        .await
        .assert_error(401, 5);
    get_task(&r, &format!("?api_key={KEY}"), Some("garbage"))
        .await
        .assert_error(401, 5);
    // Signed with another app's secret: code 43.
    get_task(&r, &format!("?api_key={KEY}"), Some(&token(SECRET_B)))
        .await
        .assert_error(401, 43);
    // alg none (header {"alg":"none"}, payload {}, empty signature).
    let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.e30.";
    get_task(&r, &format!("?api_key={KEY}"), Some(none))
        .await
        .assert_error(401, 5);
    // HS512 with the right secret: not HS256.
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &json!({}),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
    )
    .unwrap();
    get_task(&r, &format!("?api_key={KEY}"), Some(&hs512))
        .await
        .assert_error(401, 5);
    // Expired: code 40. Not valid yet: 41.
    let expired = token_with(&json!({"exp": 1_000_000_000}), SECRET);
    get_task(&r, &format!("?api_key={KEY}"), Some(&expired))
        .await
        .assert_error(401, 40);
    let future = token_with(&json!({"nbf": 4_000_000_000_u64}), SECRET);
    get_task(&r, &format!("?api_key={KEY}"), Some(&future))
        .await
        .assert_error(401, 41);
    // A user token is not server auth.
    let user = token_with(&json!({"user_id": "u1"}), SECRET);
    get_task(&r, &format!("?api_key={KEY}"), Some(&user))
        .await
        .assert_error(403, 17);
    // The wrong stream-auth-type.
    let req = axum::http::Request::get(format!("/api/v2/tasks/abc?api_key={KEY}"))
        .header("authorization", &good)
        .header("stream-auth-type", "anonymous")
        .body(Body::empty())
        .unwrap();
    let resp = tower::ServiceExt::oneshot(r.clone(), req).await.unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn errors_never_echo_the_token_or_secret() {
    let r = router();
    let bad = token(SECRET_B);
    let reply = get_task(&r, &format!("?api_key={KEY}"), Some(&bad)).await;
    let text = reply.body.to_string();
    assert!(!text.contains(&bad));
    assert!(!text.contains(SECRET) && !text.contains(SECRET_B));
}

#[tokio::test]
async fn valid_tokens_are_accepted_in_every_style() {
    let r = router();
    let claims = [
        json!({}),
        json!({"server": true}),
        json!({"server": true, "iat": 1_700_000_000}),
        json!({"iat": 1_700_000_000, "exp": 4_000_000_000_u64}),
    ];
    for c in claims {
        let t = token_with(&c, SECRET);
        // Authenticated: the unknown task is a 404, not a 401.
        get_task(&r, &format!("?api_key={KEY}"), Some(&t))
            .await
            .assert_error(404, 16);
        get_task(&r, &format!("?api_key={KEY}"), Some(&format!("Bearer {t}")))
            .await
            .assert_error(404, 16);
    }
}

#[tokio::test]
async fn unknown_task_is_404_code_16() {
    let r = router();
    let reply = api(&r, Method::GET, "/api/v2/tasks/a%2Fb%20c", None).await;
    reply.assert_error(404, 16);
    let msg = reply.body["message"].as_str().unwrap();
    assert!(msg.contains("Can't find task with id a/b c"), "{msg}");
}

#[tokio::test]
async fn unknown_route_and_method_are_enveloped() {
    let r = router();
    api(&r, Method::GET, "/api/v2/nothing-here", None)
        .await
        .assert_error(404, 16);
    api(&r, Method::DELETE, "/api/v2/users", None)
        .await
        .assert_error(405, 4);
}

/// (path, body, field expected in exception_fields)
fn bad_inputs() -> Vec<(&'static str, Value, Option<&'static str>)> {
    let many = |n: usize, f: &dyn Fn(usize) -> Value| (0..n).map(f).collect::<Vec<_>>();
    vec![
        ("/api/v2/chat/channels/delete", json!({}), Some("cids")),
        (
            "/api/v2/chat/channels/delete",
            json!({"cids": []}),
            Some("cids"),
        ),
        (
            "/api/v2/chat/channels/delete",
            json!({"cids": many(101, &|i| json!(format!("messaging:c{i}")))}),
            Some("cids"),
        ),
        (
            "/api/v2/chat/channels/delete",
            json!({"cids": ["no-colon"]}),
            Some("cids[0]"),
        ),
        (
            "/api/v2/chat/channels/delete",
            json!({"cids": "messaging:a"}),
            None,
        ),
        (
            "/api/v2/chat/channels/delete",
            json!({"cids": ["messaging:a"], "hard_delete": "yes"}),
            None,
        ),
        ("/api/v2/chat/export_channels", json!({}), Some("channels")),
        (
            "/api/v2/chat/export_channels",
            json!({"channels": []}),
            Some("channels"),
        ),
        (
            "/api/v2/chat/export_channels",
            json!({"channels": many(101, &|i| json!({"cid": format!("messaging:c{i}")}))}),
            Some("channels"),
        ),
        (
            "/api/v2/chat/export_channels",
            json!({"channels": [{}]}),
            Some("channels[0]"),
        ),
        (
            "/api/v2/chat/export_channels",
            json!({"channels": [{"cid": "bad cid"}]}),
            Some("channels[0].cid"),
        ),
        (
            "/api/v2/chat/export_channels",
            json!({"channels": [{"cid": "messaging:a", "messages_since": "yesterday"}]}),
            Some("channels[0].messages_since"),
        ),
        (
            "/api/v2/chat/export_channels",
            json!({"channels": [{"cid": "messaging:a", "messages_since": "2024-02-01T00:00:00Z", "messages_until": "2024-01-01T00:00:00Z"}]}),
            Some("channels[0].messages_since"),
        ),
        (
            "/api/v2/chat/export_channels",
            json!({"channels": [{"cid": "messaging:a"}], "format": "xml"}),
            Some("format"),
        ),
        ("/api/v2/export/users", json!({}), Some("user_ids")),
        (
            "/api/v2/export/users",
            json!({"user_ids": many(26, &|i| json!(format!("u{i}")))}),
            Some("user_ids"),
        ),
        (
            "/api/v2/export/users",
            json!({"user_ids": ["bad id"]}),
            Some("user_ids[0]"),
        ),
        ("/api/v2/export/users", json!({"user_ids": [1, 2]}), None),
        (
            "/api/v2/users/delete",
            json!({"user_ids": many(101, &|i| json!(format!("u{i}")))}),
            Some("user_ids"),
        ),
        (
            "/api/v2/users/delete",
            json!({"user_ids": ["u1"], "user": "obliterate"}),
            Some("user"),
        ),
        (
            "/api/v2/users/delete",
            json!({"user_ids": ["u1"], "messages": "forever"}),
            Some("messages"),
        ),
        (
            "/api/v2/users/delete",
            json!({"user_ids": ["u1"], "conversations": "pruning"}),
            Some("conversations"),
        ),
        (
            "/api/v2/users/deactivate",
            json!({"user_ids": []}),
            Some("user_ids"),
        ),
        ("/api/v2/users/reactivate", json!({}), Some("user_ids")),
        ("/api/v2/users", json!({}), Some("users")),
        ("/api/v2/users", json!({"users": {}}), Some("users")),
        (
            "/api/v2/users",
            json!({"users": {"a": {"id": "b"}}}),
            Some("users.a.id"),
        ),
        (
            "/api/v2/users",
            json!({"users": {"a b": {}}}),
            Some("users.a b.id"),
        ),
        ("/api/v2/users", json!({"users": {"a": 5}}), Some("users.a")),
        (
            "/api/v2/users",
            json!({"users": {"a": {"custom": []}}}),
            Some("users.a.custom"),
        ),
        ("/api/v2/users", json!({"users": []}), None),
        (
            "/api/v2/chat/channels/messaging/c1/query",
            json!({"data": {}}),
            Some("data.created_by"),
        ),
        (
            "/api/v2/chat/channels/messaging/c1/query",
            json!({"data": {"created_by_id": "u1", "members": "u1"}}),
            Some("data.members"),
        ),
        (
            "/api/v2/chat/channels/messaging/c1/query",
            json!({"data": {"created_by_id": "u1", "members": [{}]}}),
            Some("data.members[0]"),
        ),
        (
            "/api/v2/chat/channels/bad%20type/c1/query",
            json!({"data": {"created_by_id": "u1"}}),
            Some("type"),
        ),
        (
            "/api/v2/chat/channels/messaging/c1/message",
            json!({}),
            Some("message"),
        ),
        (
            "/api/v2/chat/channels/messaging/c1/message",
            json!({"message": {"text": "hi"}}),
            Some("message.user"),
        ),
        (
            "/api/v2/chat/channels/messaging/c1/message",
            json!({"message": {"text": 5, "user_id": "u1"}}),
            Some("message.text"),
        ),
        (
            "/api/v2/chat/channels/messaging/c1/message",
            json!({"message": {"text": "x".repeat(5001), "user_id": "u1"}}),
            Some("message.text"),
        ),
    ]
}

#[tokio::test]
async fn every_validation_error_is_400_code_4() {
    let r = router();
    for (path, body, field) in bad_inputs() {
        let reply = api(&r, Method::POST, path, Some(body.clone())).await;
        assert_eq!(reply.status, 400, "{path} {body}: {}", reply.body);
        reply.assert_error(400, 4);
        if let Some(f) = field {
            assert!(
                reply.body["exception_fields"].get(f).is_some(),
                "{path} {body}: expected exception_fields.{f} in {}",
                reply.body
            );
        }
    }
}

#[tokio::test]
async fn malformed_bodies_are_400_never_500() {
    let r = router();
    let paths = [
        "/api/v2/users",
        "/api/v2/chat/channels/messaging/c1/query",
        "/api/v2/chat/channels/messaging/c1/message",
        "/api/v2/chat/channels/delete",
        "/api/v2/chat/export_channels",
        "/api/v2/export/users",
        "/api/v2/users/delete",
        "/api/v2/users/deactivate",
        "/api/v2/users/reactivate",
    ];
    let bodies: [&[u8]; 9] = [
        b"{",
        b"[]",
        b"null",
        b"\"text\"",
        b"42",
        b"{\"a\":}",
        b"\xff\xfe",
        b"{\"users\": {\"u\": {\"id\": 5}}, \"cids\": [null], \"channels\": [null], \"user_ids\": [null], \"message\": null, \"data\": []}",
        b"{\"data\": {\"members\": [[]], \"created_by\": 5}, \"message\": {\"user\": 5}}",
    ];
    for path in paths {
        for body in bodies {
            let reply = call(
                &r,
                Method::POST,
                &format!("{path}?api_key={KEY}"),
                Some(&token(SECRET)),
                Some(Body::from(body.to_vec())),
            )
            .await;
            assert!(
                reply.status.is_client_error(),
                "{path} {:?} -> {} {}",
                String::from_utf8_lossy(body),
                reply.status,
                reply.body
            );
            reply.assert_error(reply.status.as_u16(), reply.body["code"].as_i64().unwrap());
        }
    }
}

#[tokio::test]
async fn oversized_body_is_413() {
    let r = app(EmulatorState::new(config().body_limit(1024)));
    let ids: Vec<String> = (0..200)
        .map(|i| format!("user-with-a-long-id-{i}"))
        .collect();
    let reply = api(
        &r,
        Method::POST,
        "/api/v2/export/users",
        Some(json!({ "user_ids": ids })),
    )
    .await;
    reply.assert_error(413, 4);
}

#[tokio::test(start_paused = true)]
async fn rate_limit_429_with_headers_per_app_and_endpoint() {
    let limits = RateLimits::default().with_endpoint("GET /api/v2/tasks/{id}", 2);
    let r = app(EmulatorState::new(
        EmulatorConfig::new()
            .app(KEY, SECRET)
            .app(KEY_B, SECRET_B)
            .pace(Pace::instant())
            .rate_limits(limits),
    ));
    let first = api(&r, Method::GET, "/api/v2/tasks/x", None).await;
    assert_eq!(first.headers["x-ratelimit-limit"], "2");
    assert_eq!(first.headers["x-ratelimit-remaining"], "1");
    let reset: u64 = first.headers["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(reset > now && reset <= now + 61, "reset {reset} now {now}");
    let second = api(&r, Method::GET, "/api/v2/tasks/x", None).await;
    assert_eq!(second.headers["x-ratelimit-remaining"], "0");
    let third = api(&r, Method::GET, "/api/v2/tasks/x", None).await;
    third.assert_error(429, 9);
    assert_eq!(third.headers["retry-after"], "60");
    assert_eq!(third.headers["x-ratelimit-remaining"], "0");
    // Another endpoint of the same app has its own window.
    let other = api(
        &r,
        Method::POST,
        "/api/v2/export/users",
        Some(json!({"user_ids": ["u1"]})),
    )
    .await;
    assert_eq!(other.status, 201, "{:?}", other.body);
    assert_eq!(other.headers["x-ratelimit-limit"], "60");
    // Another app has its own window.
    let b = api_as(&r, (KEY_B, SECRET_B), Method::GET, "/api/v2/tasks/x", None).await;
    b.assert_error(404, 16);
    // The window ends after a minute.
    tokio::time::advance(std::time::Duration::from_secs(60)).await;
    api(&r, Method::GET, "/api/v2/tasks/x", None)
        .await
        .assert_error(404, 16);
}

#[tokio::test]
async fn apps_are_isolated() {
    let state = EmulatorState::new(config());
    let r = app(state.clone());
    let up = api(
        &r,
        Method::POST,
        "/api/v2/users",
        Some(json!({"users": {"u1": {"id": "u1"}}})),
    )
    .await;
    assert_eq!(up.status, 201);
    let started = api(
        &r,
        Method::POST,
        "/api/v2/export/users",
        Some(json!({"user_ids": ["u1"]})),
    )
    .await;
    let task_id = started.body["task_id"].as_str().unwrap().to_owned();
    // App A sees its task; app B does not.
    let a = api(&r, Method::GET, &format!("/api/v2/tasks/{task_id}"), None).await;
    assert_eq!(a.status, 200);
    let b = api_as(
        &r,
        (KEY_B, SECRET_B),
        Method::GET,
        &format!("/api/v2/tasks/{task_id}"),
        None,
    )
    .await;
    b.assert_error(404, 16);
    // App B does not see app A's users.
    let q = api_as(
        &r,
        (KEY_B, SECRET_B),
        Method::POST,
        "/api/v2/chat/channels/messaging/c1/query",
        Some(json!({"data": {"created_by_id": "u1", "members": ["u1"]}})),
    )
    .await;
    q.assert_error(400, 4);
    assert!(q.body["message"].as_str().unwrap().contains("u1"));
    assert_eq!(state.snapshot(KEY_B).unwrap()["users"], json!([]));
    assert_eq!(
        state.snapshot(KEY).unwrap()["users"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn data_endpoints_return_stream_shapes() {
    let r = router();
    let up = api(
        &r,
        Method::POST,
        "/api/v2/users",
        Some(json!({"users": {"u1": {"id": "u1", "name": "Ann", "role": "admin", "custom": {"color": "red"}}, "u2": {"id": "u2", "team": "x"}}})),
    )
    .await;
    assert_eq!(up.status, 201, "{:?}", up.body);
    let u1 = &up.body["users"]["u1"];
    assert_eq!(u1["name"], "Ann");
    assert_eq!(u1["role"], "admin");
    assert_eq!(u1["custom"]["color"], "red");
    assert_eq!(up.body["users"]["u2"]["custom"]["team"], "x");
    for f in [
        "banned",
        "online",
        "invisible",
        "shadow_banned",
        "language",
        "teams",
        "blocked_user_ids",
        "total_unread_count",
        "devices",
    ] {
        assert!(u1.get(f).is_some(), "user lacks {f}");
    }
    assert!(u1["created_at"].as_i64().unwrap() > 1_600_000_000_000_000_000);
    // No team was taken from anyone: no membership deletion.
    assert_eq!(up.body["membership_deletion_task_id"], "");

    let ch = api(
        &r,
        Method::POST,
        "/api/v2/chat/channels/messaging/c1/query",
        Some(json!({"data": {"created_by_id": "u1", "members": [{"user_id": "u1"}, "u2"]}})),
    )
    .await;
    assert_eq!(ch.status, 201, "{:?}", ch.body);
    assert_eq!(ch.body["channel"]["cid"], "messaging:c1");
    assert_eq!(ch.body["members"].as_array().unwrap().len(), 2);
    for f in ["messages", "pinned_messages", "threads", "duration"] {
        assert!(ch.body.get(f).is_some(), "channel state lacks {f}");
    }
    // Members must exist.
    let bad = api(
        &r,
        Method::POST,
        "/api/v2/chat/channels/messaging/c2/query",
        Some(json!({"data": {"created_by_id": "u1", "members": ["ghost"]}})),
    )
    .await;
    bad.assert_error(400, 4);

    let msg = api(
        &r,
        Method::POST,
        "/api/v2/chat/channels/messaging/c1/message",
        Some(json!({"message": {"text": "hello <b>", "user_id": "u2"}})),
    )
    .await;
    assert_eq!(msg.status, 201, "{:?}", msg.body);
    let m = &msg.body["message"];
    assert_eq!(m["text"], "hello <b>");
    assert_eq!(m["user"]["id"], "u2");
    assert_eq!(m["cid"], "messaging:c1");
    assert_eq!(m["type"], "regular");
    for f in [
        "mentioned_channel",
        "mentioned_here",
        "reaction_counts",
        "restricted_visibility",
        "html",
    ] {
        assert!(m.get(f).is_some(), "message lacks {f}");
    }
    // Unknown channel: 404; unknown user: 400.
    api(
        &r,
        Method::POST,
        "/api/v2/chat/channels/messaging/nope/message",
        Some(json!({"message": {"text": "x", "user_id": "u1"}})),
    )
    .await
    .assert_error(404, 16);
    api(
        &r,
        Method::POST,
        "/api/v2/chat/channels/messaging/c1/message",
        Some(json!({"message": {"text": "x", "user_id": "ghost"}})),
    )
    .await
    .assert_error(400, 4);
    // Re-query lists the message.
    let again = api(
        &r,
        Method::POST,
        "/api/v2/chat/channels/messaging/c1/query",
        Some(json!({})),
    )
    .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body["messages"][0]["text"], "hello <b>");
    assert_eq!(
        again.body["channel"]["created_at"],
        ch.body["channel"]["created_at"]
    );
}

#[tokio::test]
async fn task_response_has_the_exact_shape() {
    let r = router();
    api(
        &r,
        Method::POST,
        "/api/v2/users",
        Some(json!({"users": {"u1": {}}})),
    )
    .await;
    let started = api(
        &r,
        Method::POST,
        "/api/v2/export/users",
        Some(json!({"user_ids": ["u1"]})),
    )
    .await;
    assert_eq!(started.status, 201);
    assert!(started.body["duration"].is_string());
    let id = started.body["task_id"].as_str().unwrap();
    let t = api(&r, Method::GET, &format!("/api/v2/tasks/{id}"), None).await;
    assert_eq!(t.status, 200);
    assert_eq!(t.body["task_id"], id);
    let status = t.body["status"].as_str().unwrap();
    assert!(
        ["pending", "running", "completed"].contains(&status),
        "{status}"
    );
    let created = t.body["created_at"].as_u64().unwrap();
    assert!(
        created > 1_600_000_000_000_000_000,
        "ns expected: {created}"
    );
    assert!(t.body["updated_at"].as_u64().unwrap() >= created);
    assert!(t.body["duration"].as_str().unwrap().ends_with("ms"));
    assert!(t.body.get("error").is_none());
}

#[tokio::test]
async fn stream_auth_type_may_be_omitted_but_not_wrong() {
    let r = router();
    let req = |auth_type: Option<&str>| {
        let mut b = axum::http::Request::get(format!("/api/v2/tasks/abc?api_key={KEY}"))
            .header("authorization", token(SECRET));
        if let Some(t) = auth_type {
            b = b.header("stream-auth-type", t);
        }
        b.body(Body::empty()).unwrap()
    };
    let omitted = tower::ServiceExt::oneshot(r.clone(), req(None))
        .await
        .unwrap();
    assert_eq!(omitted.status(), 404);
    let upper = tower::ServiceExt::oneshot(r.clone(), req(Some("JWT")))
        .await
        .unwrap();
    assert_eq!(upper.status(), 404);
    let wrong = tower::ServiceExt::oneshot(r.clone(), req(Some("anonymous")))
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
}

#[tokio::test]
async fn a_cached_token_is_still_checked_per_app() {
    let r = router();
    // The same token verifies for its app again and again (from the cache) ...
    for _ in 0..3 {
        get_task(&r, &format!("?api_key={KEY}"), Some(&token(SECRET)))
            .await
            .assert_error(404, 16);
    }
    // ... and is still refused by the other app, whose secret differs.
    get_task(&r, &format!("?api_key={KEY_B}"), Some(&token(SECRET)))
        .await
        .assert_error(401, 43);
}
