//! Shared helpers: tokens, router calls, an HTTP client for a running emulator.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use getstream_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Fault, Pace, RateLimits};
use http_body_util::BodyExt;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const KEY: &str = "test-key";
pub const SECRET: &str = "test-secret-of-at-least-32-bytes!!";
pub const KEY_B: &str = "other-key";
pub const SECRET_B: &str = "other-secret-of-at-least-32-bytes!";

pub fn token_with(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

/// A server token as the official Python SDK mints it: `{}` claims.
pub fn token(secret: &str) -> String {
    token_with(&json!({}), secret)
}

pub fn config() -> EmulatorConfig {
    EmulatorConfig::new()
        .app(KEY, SECRET)
        .app(KEY_B, SECRET_B)
        .pace(Pace::instant())
        .rate_limits(RateLimits::disabled())
}

/// A response read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// Asserts the APIError envelope with this status and code.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: i64) {
        assert_eq!(self.status.as_u16(), status, "{:?}", self.body);
        let b = &self.body;
        assert_eq!(b["code"], code, "{b}");
        assert_eq!(b["StatusCode"], status, "{b}");
        assert!(b["message"].as_str().is_some_and(|m| !m.is_empty()), "{b}");
        assert!(
            b["duration"].as_str().is_some_and(|d| d.ends_with("ms")),
            "{b}"
        );
        assert!(b["more_info"].is_string(), "{b}");
        assert_eq!(b["details"], json!([]), "{b}");
        for h in [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
        ] {
            assert!(self.headers.contains_key(h), "missing {h}");
        }
    }
}

/// Sends one request through the router, no socket.
pub async fn call(
    router: &axum::Router,
    method: Method,
    path_and_query: &str,
    auth: Option<&str>,
    body: Option<Body>,
) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(path_and_query)
        .header("stream-auth-type", "jwt")
        .header("content-type", "application/json");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let response = router
        .clone()
        .oneshot(req.body(body.unwrap_or_else(Body::empty)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// Calls the router as the default test app.
pub async fn api(router: &axum::Router, method: Method, path: &str, body: Option<Value>) -> Reply {
    api_as(router, (KEY, SECRET), method, path, body).await
}

/// Calls the router as the app with this key and secret.
pub async fn api_as(
    router: &axum::Router,
    (key, secret): (&str, &str),
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let sep = if path.contains('?') { '&' } else { '?' };
    call(
        router,
        method,
        &format!("{path}{sep}api_key={key}"),
        Some(&token(secret)),
        body.map(|b| Body::from(b.to_string())),
    )
    .await
}

/// An HTTP client of a running emulator, for one app.
#[derive(Debug, Clone)]
pub struct Http {
    pub base: String,
    pub key: String,
    pub secret: String,
    pub client: reqwest::Client,
}

impl Http {
    pub fn new(handle: &EmulatorHandle, key: &str, secret: &str) -> Self {
        Self {
            base: handle.base_url(),
            key: key.to_owned(),
            secret: secret.to_owned(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Result<(u16, HeaderMap, Value)> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut req = self
            .client
            .request(
                method,
                format!("{}{path}{sep}api_key={}", self.base, self.key),
            )
            .header("authorization", token(&self.secret))
            .header("stream-auth-type", "jwt");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await?;
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Ok((status, headers, body))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, _, b) = self
            .send(reqwest::Method::POST, path, Some(body))
            .await
            .unwrap();
        (s, b)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let (s, _, b) = self.send(reqwest::Method::GET, path, None).await.unwrap();
        (s, b)
    }

    pub async fn task(&self, id: &str) -> Value {
        let (s, b) = self.get(&format!("/api/v2/tasks/{id}")).await;
        assert_eq!(s, 200, "{b}");
        b
    }

    /// Polls a task every 50 ms (on the test's clock) until it is terminal; returns it and
    /// the statuses seen, in order, without repeats.
    pub async fn wait(&self, id: &str) -> (Value, Vec<String>) {
        let mut seen: Vec<String> = Vec::new();
        for _ in 0..10_000 {
            let t = self.task(id).await;
            let status = t["status"].as_str().unwrap().to_owned();
            if seen.last() != Some(&status) {
                seen.push(status.clone());
            }
            if status == "completed" || status == "failed" {
                return (t, seen);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("task {id} never finished; seen {seen:?}");
    }

    /// Starts a task with `POST path` (asserting the `201`) and waits until it is terminal;
    /// returns it and the statuses seen, as [`Http::wait`] does.
    pub async fn run_task(&self, path: &str, body: Value) -> (Value, Vec<String>) {
        let (s, started) = self.post(path, body).await;
        assert_eq!(s, 201, "{started}");
        self.wait(started["task_id"].as_str().unwrap()).await
    }

    pub async fn upsert_users(&self, ids: &[&str]) {
        let users: serde_json::Map<String, Value> = ids
            .iter()
            .map(|id| {
                (
                    (*id).to_owned(),
                    json!({"id": id, "name": format!("User {id}")}),
                )
            })
            .collect();
        let (s, b) = self.post("/api/v2/users", json!({ "users": users })).await;
        assert_eq!(s, 201, "{b}");
    }

    pub async fn create_channel(&self, kind: &str, id: &str, members: &[&str]) -> Value {
        let members: Vec<Value> = members.iter().map(|m| json!({"user_id": m})).collect();
        let (s, b) = self
            .post(
                &format!("/api/v2/chat/channels/{kind}/{id}/query"),
                json!({"data": {"created_by_id": members[0]["user_id"], "members": members}}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        b
    }

    pub async fn send_message(
        &self,
        cid: &str,
        user: &str,
        text: &str,
        created_at: Option<&str>,
    ) -> Value {
        let (kind, id) = cid.split_once(':').unwrap();
        let mut message = json!({"text": text, "user_id": user});
        if let Some(t) = created_at {
            message["created_at"] = json!(t);
        }
        let (s, b) = self
            .post(
                &format!("/api/v2/chat/channels/{kind}/{id}/message"),
                json!({ "message": message }),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        b
    }

    /// Downloads a URL with no credentials at all.
    pub async fn download(&self, url: &str) -> (u16, Value) {
        let resp = self.client.get(url).send().await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.json().await.unwrap_or(Value::Null);
        (status, body)
    }
}

pub async fn start(config: EmulatorConfig) -> (EmulatorHandle, Http) {
    let handle = Emulator::start(config).await.unwrap();
    let http = Http::new(&handle, KEY, SECRET);
    (handle, http)
}

/// [`start`] with the test [`config`], with `fault` active from the first request.
pub async fn start_with_fault(fault: Fault) -> (EmulatorHandle, Http) {
    let (handle, http) = start(config()).await;
    handle.state().add_fault(fault);
    (handle, http)
}
