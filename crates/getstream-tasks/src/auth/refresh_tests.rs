//! Server tokens on the wire, on a wall clock the test sets by hand: a
//! scripted server on 127.0.0.1:0 decodes each request's token, checks its
//! `exp` against its own clock (the test's, plus an offset) and refuses an
//! expired one as Stream does (401, code 40).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::tokens::tests::SetClock;
use crate::{Client, Error};

const SECRET: &str = "refresh-test-secret";
const T0: u64 = 1_700_000_000;

#[derive(Default)]
struct Seen {
    /// (iat, exp) of each request's token.
    tokens: Vec<(u64, u64)>,
    /// Seconds the server's clock runs ahead of the client's.
    ahead: u64,
    /// Answer every request with 401 and this code.
    always_refuse: Option<i64>,
}

struct Scripted {
    now: Arc<AtomicU64>,
    seen: Arc<Mutex<Seen>>,
    client: Client,
}

async fn answer(
    State((now, seen)): State<(Arc<AtomicU64>, Arc<Mutex<Seen>>)>,
    headers: HeaderMap,
) -> (StatusCode, Json<Value>) {
    let token = headers["authorization"].to_str().unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    // exp is checked below against the test's clock, not the system's.
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(SECRET.as_bytes()).unwrap(),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(claims["server"], true);
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    let mut seen = seen.lock().unwrap();
    seen.tokens.push((iat, exp));
    let server_now = now.load(Ordering::SeqCst) + seen.ahead;
    let refuse = |code: i64| {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"code": code, "message": "JWTAuth error", "StatusCode": 401})),
        )
    };
    if let Some(code) = seen.always_refuse {
        return refuse(code);
    }
    if exp < server_now {
        return refuse(40);
    }
    (
        StatusCode::OK,
        Json(json!({
            "task_id": "t1", "status": "running", "duration": "0.1ms",
            "created_at": 1_700_000_000_000_000_000_i64,
            "updated_at": 1_700_000_000_000_000_000_i64,
        })),
    )
}

async fn start(ttl: Option<Duration>) -> Scripted {
    let now = Arc::new(AtomicU64::new(T0));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = axum::Router::new()
        .route("/api/v2/tasks/{id}", axum::routing::get(answer))
        .with_state((now.clone(), seen.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let mut builder = Client::builder("key", SECRET)
        .base_url(url)
        .time_source(SetClock(now.clone()));
    if let Some(ttl) = ttl {
        builder = builder.token_ttl(ttl);
    }
    Scripted {
        now,
        seen,
        client: builder.build().unwrap(),
    }
}

impl Scripted {
    fn set_clock(&self, unix: u64) {
        self.now.store(unix, Ordering::SeqCst);
    }

    fn tokens(&self) -> Vec<(u64, u64)> {
        self.seen.lock().unwrap().tokens.clone()
    }
}

#[tokio::test]
async fn tokens_expire_in_an_hour_and_are_re_minted_five_minutes_before() {
    let s = start(None).await;
    s.client.get_task("t1").await.unwrap();
    s.set_clock(T0 + 3299);
    s.client.get_task("t1").await.unwrap();
    s.set_clock(T0 + 3300);
    s.client.get_task("t1").await.unwrap();
    s.client.clone().get_task("t1").await.unwrap();
    assert_eq!(
        s.tokens(),
        [
            (T0, T0 + 3600),
            (T0, T0 + 3600),
            (T0 + 3300, T0 + 6900),
            (T0 + 3300, T0 + 6900),
        ]
    );
}

#[tokio::test]
async fn no_request_leaves_with_a_token_about_to_expire() {
    let s = start(Some(Duration::from_secs(120))).await;
    // Three hours in 7-second steps: the server, on the same clock, never
    // sees a token with less than the margin (60 s for a 2-minute ttl) left.
    let mut minted = std::collections::BTreeSet::new();
    for step in 0..(3 * 3600 / 7) {
        let now = T0 + step * 7;
        s.set_clock(now);
        s.client.get_task("t1").await.unwrap();
        let (iat, exp) = *s.tokens().last().unwrap();
        assert_eq!(exp - iat, 120);
        assert!(exp >= now + 60, "now {now}: token ({iat}, {exp})");
        minted.insert(iat);
    }
    // ... and a new token about every minute, not one per request.
    assert!((170..=190).contains(&minted.len()), "{}", minted.len());
}

#[tokio::test]
async fn a_401_token_expired_renews_the_token_and_resends_once() {
    let s = start(None).await;
    // The server's clock runs 3500 s ahead: at our T0+200 it reads T0+3700,
    // past the first token's exp (T0+3600) but before the renewed one's.
    s.seen.lock().unwrap().ahead = 3500;
    s.set_clock(T0 + 200);
    let task = s.client.get_task("t1").await.unwrap();
    assert_eq!(task.task_id, "t1");
    assert_eq!(s.tokens(), [(T0, T0 + 3600), (T0 + 200, T0 + 3800)]);
    // The renewed token stays in use.
    s.client.get_task("t1").await.unwrap();
    assert_eq!(s.tokens()[2], (T0 + 200, T0 + 3800));
}

#[tokio::test]
async fn only_one_resend_and_only_for_an_expired_token() {
    let s = start(None).await;
    s.seen.lock().unwrap().always_refuse = Some(40);
    let e = s.client.get_task("t1").await.unwrap_err();
    let Error::Api(api) = e else { panic!("{e:?}") };
    assert_eq!((api.status_code().as_u16(), api.code()), (401, 40));
    assert_eq!(s.tokens().len(), 2, "one request and one resend");

    // Another auth error (a bad signature, code 43) is not retried.
    let s = start(None).await;
    s.seen.lock().unwrap().always_refuse = Some(43);
    let e = s.client.get_task("t1").await.unwrap_err();
    assert_eq!(e.status_code().map(|s| s.as_u16()), Some(401));
    assert_eq!(s.tokens().len(), 1);
}

#[tokio::test]
async fn the_emulator_accepts_our_tokens_and_refuses_expired_ones() {
    use getstream_emulator::{Emulator, EmulatorConfig};
    let emulator = Emulator::start(EmulatorConfig::new()).await.unwrap();
    let client = |builder: crate::ClientBuilder| builder.base_url(emulator.base_url()).build();
    let fresh = client(Client::builder(emulator.api_key(), emulator.api_secret())).unwrap();
    let e = fresh.get_task("no-such-task").await.unwrap_err();
    assert_eq!(e.status_code().map(|s| s.as_u16()), Some(404), "{e}");

    // A client whose clock runs two hours behind signs tokens that expired
    // an hour ago by the emulator's clock: refused (401, code 40), once
    // more after the renewal, then the error is returned.
    let behind = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 2 * 3600;
    let stale = client(
        Client::builder(emulator.api_key(), emulator.api_secret())
            .time_source(SetClock(Arc::new(AtomicU64::new(behind)))),
    )
    .unwrap();
    let Error::Api(e) = stale.get_task("no-such-task").await.unwrap_err() else {
        panic!("expected an API error")
    };
    assert_eq!((e.status_code().as_u16(), e.code()), (401, 40), "{e}");
    emulator.shutdown().await;
}
