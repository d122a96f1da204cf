//! Authentication and rate limits at their edges: odd `exp` claims, who pays for a request
//! that fails authentication, export downloads' windows, and error messages that echo input.

use axum::http::Method;
use getstream_emulator::{EmulatorState, Pace, RateLimits, SeedSpec, app};
use serde_json::{Value, json};

use crate::support::*;

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn get_users(router: &axum::Router, token: &str) -> Reply {
    call(
        router,
        Method::GET,
        &format!("/api/v2/users?api_key={KEY}"),
        Some(token),
        None,
    )
    .await
}

#[tokio::test]
async fn fractional_and_huge_exp_claims_are_times() {
    let router = app(EmulatorState::new(config()));
    // A fraction of a second is still a NumericDate (RFC 7519), in the future or the past.
    let soon = token_with(&json!({"exp": (unix_now() + 600) as f64 + 0.5}), SECRET);
    let past = token_with(&json!({"exp": (unix_now() - 600) as f64 + 0.5}), SECRET);
    // A huge exp: "never", on first use and from the token cache alike.
    let huge = token_with(&json!({ "exp": u64::MAX }), SECRET);
    let huger = token_with(&json!({"exp": 1e300}), SECRET);
    for _ in 0..2 {
        for t in [&soon, &huge, &huger] {
            let r = get_users(&router, t).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        get_users(&router, &past).await.assert_error(401, 40);
    }
}

#[tokio::test(start_paused = true)]
async fn requests_failing_auth_do_not_spend_an_apps_window() {
    let limits = RateLimits::default().with_endpoint("GET /api/v2/users", 2);
    let router = app(EmulatorState::new(config().rate_limits(limits)));
    for bad in ["garbage", &token("not-the-secret")] {
        for _ in 0..5 {
            let r = get_users(&router, bad).await;
            assert!(
                r.status == 401 || r.status == 429,
                "{} {}",
                r.status,
                r.body
            );
        }
    }
    // The app's own window is untouched: both of its requests pass.
    for remaining in ["1", "0"] {
        let r = get_users(&router, &token(SECRET)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.headers["x-ratelimit-remaining"], remaining);
    }
    get_users(&router, &token(SECRET))
        .await
        .assert_error(429, 9);
    // Another app has its own window.
    let r = api_as(
        &router,
        (KEY_B, SECRET_B),
        Method::GET,
        "/api/v2/users",
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test(start_paused = true)]
async fn export_downloads_count_per_app_not_in_one_shared_window() {
    let limits = RateLimits::default().with_endpoint("GET /_emulator/exports/{file}", 1);
    let cfg = config().pace(Pace::instant()).rate_limits(limits);
    let (handle, a) = start(cfg).await;
    let b = Http::new(&handle, KEY_B, SECRET_B);
    let seed = SeedSpec {
        users: 2,
        channels: 1,
        messages: 1,
    };
    let mut urls = Vec::new();
    for (http, key) in [(&a, KEY), (&b, KEY_B)] {
        handle.state().seed(key, seed).unwrap();
        let (task, _) = http
            .run_task(
                "/api/v2/chat/export_channels",
                json!({"channels": [{"cid": "messaging:seed-1"}]}),
            )
            .await;
        urls.push(task["result"]["url"].as_str().unwrap().to_owned());
    }
    // Strangers asking for files that do not exist spend nothing of the apps' windows.
    for _ in 0..3 {
        let (s, _) = a
            .download(&format!("{}/_emulator/exports/nope.json", a.base))
            .await;
        assert!(s == 404 || s == 429, "{s}");
    }
    let (s, file) = a.download(&urls[0]).await;
    assert_eq!(s, 200, "{file}");
    let (s, file) = b.download(&urls[1]).await;
    assert_eq!(s, 200, "app B has its own window: {file}");
    let (s, _) = a.download(&urls[0]).await;
    assert_eq!(s, 429, "app A's window of 1 is spent");
    handle.shutdown().await;
}

#[tokio::test]
async fn messages_echo_at_most_a_short_prefix_of_the_input() {
    let router = app(EmulatorState::new(config().admin(true)));
    let long_key = "k".repeat(20_000);
    let r = call(
        &router,
        Method::GET,
        &format!("/api/v2/users?api_key={long_key}"),
        Some(&token(SECRET)),
        None,
    )
    .await;
    r.assert_error(401, 2);
    let message = r.body["message"].as_str().unwrap();
    assert!(message.len() < 200, "{message}");
    assert!(message.contains("kkkk…"), "{message}");
    // A path is echoed the same way by the "no route" answer.
    let long_path = format!("/nope/{}", "p".repeat(10_000));
    let r = call(&router, Method::GET, &long_path, None, None).await;
    r.assert_error(404, 16);
    assert!(
        r.body["message"].as_str().unwrap().len() < 200,
        "{}",
        r.body
    );
    // And by the admin API.
    let r = call(
        &router,
        Method::GET,
        &format!("/_emulator/webhooks?api_key={long_key}"),
        None,
        None,
    )
    .await;
    r.assert_error(400, 4);
    assert!(
        r.body["message"].as_str().unwrap().len() < 200,
        "{}",
        r.body
    );
    // A body whose JSON error would quote a long string is cut too.
    let big = Value::String("x".repeat(50_000));
    let r = api(
        &router,
        Method::POST,
        "/api/v2/users",
        Some(json!({ "users": big })),
    )
    .await;
    r.assert_error(400, 4);
    let message = r.body["message"].as_str().unwrap();
    assert!(
        message.chars().count() <= getstream_emulator::MAX_MESSAGE_CHARS + 1,
        "{}",
        message.len()
    );
}
