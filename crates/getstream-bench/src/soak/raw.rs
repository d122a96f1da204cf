//! Plain HTTP to the emulator (reqwest, no SDK): the timed task polls, the
//! final check, the export downloads and the setup calls — where the soak
//! needs to see each answer as sent.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::BoxError;

/// The marker in every injected fault's body, so that an answer can be told
/// apart from the emulator's own.
pub const FAULT_MARKER: &str = "soak_fault";

/// One answer: status, body, and how long the exchange took.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: StatusCode,
    /// The body (capped by [`MAX_BODY`]).
    pub body: Vec<u8>,
    /// From sending the request to the last byte of the body.
    pub elapsed: Duration,
}

/// The largest body read; an export file of the soak is far smaller.
pub const MAX_BODY: usize = 64 * 1024 * 1024;

impl Answer {
    /// The body as JSON (`Null` when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// Whether an injected fault answered (its marked body).
    pub fn is_fault(&self) -> bool {
        self.json().get(FAULT_MARKER).is_some()
            || String::from_utf8_lossy(&self.body).contains(FAULT_MARKER)
    }
}

/// A reqwest client with the app's credentials.
#[derive(Debug, Clone)]
pub struct Raw {
    /// The client (its own connection pool).
    pub http: reqwest::Client,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The app's key.
    pub api_key: String,
    /// A server token of the app.
    pub token: String,
}

impl Raw {
    /// A client whose every exchange is bounded by `timeout`.
    pub fn new(
        base_url: &str,
        api_key: &str,
        token: &str,
        timeout: Duration,
    ) -> Result<Raw, BoxError> {
        Ok(Raw {
            http: reqwest::Client::builder().timeout(timeout).build()?,
            base_url: base_url.to_owned(),
            api_key: api_key.to_owned(),
            token: token.to_owned(),
        })
    }

    /// An authenticated request to `path` (which may carry a query).
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.request_as(method, path, &self.token)
    }

    /// A request to `path` with the app's key and `token` as its one
    /// `Authorization` header (reqwest's `header` adds, never replaces).
    pub fn request_as(&self, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        let sep = if path.contains('?') { '&' } else { '?' };
        self.http
            .request(
                method,
                format!("{}{path}{sep}api_key={}", self.base_url, self.api_key),
            )
            .header("Authorization", token)
            .header("stream-auth-type", "jwt")
    }

    /// Sends `request` and reads the whole answer (up to [`MAX_BODY`]).
    pub async fn send(request: reqwest::RequestBuilder) -> Result<Answer, reqwest::Error> {
        let started = Instant::now();
        let mut response = request.send().await?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BODY {
                break;
            }
        }
        Ok(Answer {
            status,
            body,
            elapsed: started.elapsed(),
        })
    }

    /// `GET /api/v2/tasks/{id}`.
    pub async fn get_task(&self, id: &str) -> Result<Answer, reqwest::Error> {
        Raw::send(self.request(Method::GET, &format!("/api/v2/tasks/{id}"))).await
    }

    /// An authenticated `POST` of JSON that must answer 2xx.
    pub async fn post_ok(&self, path: &str, body: &Value) -> Result<Value, BoxError> {
        let answer = Raw::send(self.request(Method::POST, path).json(body)).await?;
        if !answer.status.is_success() {
            return Err(format!(
                "POST {path}: {}: {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            )
            .into());
        }
        Ok(answer.json())
    }
}
