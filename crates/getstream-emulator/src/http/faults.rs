//! Fault injection: make the next responses of a route fail, stall, hang or drop the connection.

use std::convert::Infallible;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tower::{Service, ServiceExt};

use crate::http::error::ApiError;
use crate::state::sync::lock;

/// What a fault does to a matching request.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FaultAction {
    /// Answer with this status and body instead of the real handler.
    Respond {
        /// HTTP status.
        status: u16,
        /// Body; `None` means Stream's error envelope for the status.
        body: Option<FaultBody>,
        /// `Retry-After` header value (seconds or an HTTP date), if any.
        retry_after: Option<String>,
    },
    /// Never answer (until the emulator shuts down, then drop the connection).
    Hang,
    /// Close the connection without an HTTP response.
    Drop,
    /// Run the real handler (after the fault's delay): a slow but correct response.
    PassThrough,
}

/// A fault response body.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultBody {
    /// A JSON body.
    Json(Value),
    /// A raw text body (`text/html` when it starts with `<`, else `text/plain`).
    Text(String),
}

/// A fault: which requests it matches, how many times, and what it does.
///
/// Routes are `"METHOD /path"` or `"/path"` (any method); the path is either the route
/// template (`/api/v2/tasks/{id}`) or a concrete path (`/api/v2/tasks/abc`).
///
/// ```
/// use std::time::Duration;
/// use getstream_emulator::Fault;
/// let f = Fault::respond("GET /api/v2/tasks/{id}", 503).times(2).retry_after("1");
/// assert_eq!(f.times, Some(2));
/// let slow = Fault::delay("/api/v2/tasks/{id}", Duration::from_secs(5));
/// assert!(slow.method.is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct Fault {
    /// Method to match (upper case); `None` matches any.
    pub method: Option<String>,
    /// Route template or concrete path to match.
    pub path: String,
    /// How many requests it applies to; `None` = until cleared. Default 1.
    pub times: Option<u32>,
    /// Wait before acting (on tokio's clock).
    pub delay: Duration,
    /// What to do.
    pub action: FaultAction,
}

impl Fault {
    fn with_action(route: &str, action: FaultAction) -> Self {
        let route = route.trim();
        let (method, path) = match route.split_once(' ') {
            Some((m, p)) if !m.starts_with('/') => {
                let m = m.trim().to_ascii_uppercase();
                ((m != "*").then_some(m), p.trim())
            }
            _ => (None, route),
        };
        Self {
            method,
            path: path.to_owned(),
            times: Some(1),
            delay: Duration::ZERO,
            action,
        }
    }

    /// Answer with `status` and Stream's error envelope.
    pub fn respond(route: &str, status: u16) -> Self {
        Self::with_action(
            route,
            FaultAction::Respond {
                status,
                body: None,
                retry_after: None,
            },
        )
    }

    /// Never answer.
    pub fn hang(route: &str) -> Self {
        Self::with_action(route, FaultAction::Hang)
    }

    /// Drop the connection without a response.
    pub fn drop_connection(route: &str) -> Self {
        Self::with_action(route, FaultAction::Drop)
    }

    /// Answer correctly, but only after `delay`.
    pub fn delay(route: &str, delay: Duration) -> Self {
        Self::with_action(route, FaultAction::PassThrough).after(delay)
    }

    /// Applies to the next `n` matching requests (`0` = until cleared).
    pub fn times(mut self, n: u32) -> Self {
        self.times = (n > 0).then_some(n);
        self
    }

    /// Waits `delay` before acting.
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Sets a JSON body (for [`Fault::respond`]).
    pub fn json_body(mut self, body: Value) -> Self {
        if let FaultAction::Respond { body: b, .. } = &mut self.action {
            *b = Some(FaultBody::Json(body));
        }
        self
    }

    /// Sets a raw text body, e.g. a proxy's HTML page (for [`Fault::respond`]).
    pub fn text_body(mut self, body: impl Into<String>) -> Self {
        if let FaultAction::Respond { body: b, .. } = &mut self.action {
            *b = Some(FaultBody::Text(body.into()));
        }
        self
    }

    /// Sets the `Retry-After` header (for [`Fault::respond`]).
    pub fn retry_after(mut self, value: impl Into<String>) -> Self {
        if let FaultAction::Respond { retry_after, .. } = &mut self.action {
            *retry_after = Some(value.into());
        }
        self
    }

    fn matches(&self, method: &str, template: Option<&str>, path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && (self.path == path || Some(self.path.as_str()) == template)
    }
}

/// The registry of active faults.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    active: AtomicBool,
    next_id: AtomicU64,
    rules: Mutex<Vec<(u64, Fault)>>,
}

impl Faults {
    pub fn add(&self, fault: Fault) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut rules = lock(&self.rules);
        rules.push((id, fault));
        self.active.store(true, Ordering::Release);
        id
    }

    pub fn clear(&self) {
        let mut rules = lock(&self.rules);
        rules.clear();
        self.active.store(false, Ordering::Release);
    }

    pub fn list(&self) -> Vec<(u64, Fault)> {
        lock(&self.rules).clone()
    }

    /// Takes one use of the first fault matching the request (its method, route template and
    /// path).
    pub fn take(&self, method: &str, template: Option<&str>, path: &str) -> Option<Fault> {
        if !self.active.load(Ordering::Acquire) {
            return None;
        }
        let mut rules = lock(&self.rules);
        let idx = rules
            .iter()
            .position(|(_, f)| f.matches(method, template, path))?;
        let fault = rules[idx].1.clone();
        if let Some(n) = &mut rules[idx].1.times {
            *n = n.saturating_sub(1);
            if *n == 0 {
                let _ = rules.remove(idx);
            }
        }
        if rules.is_empty() {
            self.active.store(false, Ordering::Release);
        }
        Some(fault)
    }
}

fn default_code(status: u16) -> i32 {
    use crate::http::error::codes;
    match status {
        400 | 413 => codes::INPUT,
        401 => codes::AUTHENTICATION,
        403 => codes::NOT_ALLOWED,
        404 => codes::NOT_FOUND,
        429 => codes::RATE_LIMIT,
        _ => codes::INTERNAL,
    }
}

/// A response whose body fails at once, which makes the server close the connection.
fn dropped() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection dropped by an injected fault",
        ))
    });
    Response::new(Body::from_stream(stream))
}

fn respond(status: u16, body: Option<FaultBody>, retry_after: Option<String>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // These statuses have no body (RFC 9110): a configured one is not sent, and no
    // `Content-Length` announces it.
    let bodiless = matches!(
        status,
        StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED | StatusCode::RESET_CONTENT
    );
    let mut response = match body {
        _ if bodiless => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = status;
            r
        }
        None => ApiError::new(
            status,
            default_code(status.as_u16()),
            format!("injected fault: {status}"),
        )
        .into_response(),
        Some(FaultBody::Json(v)) => (status, axum::Json(v)).into_response(),
        Some(FaultBody::Text(t)) => {
            let ct = if t.trim_start().starts_with('<') {
                "text/html; charset=utf-8"
            } else {
                "text/plain; charset=utf-8"
            };
            (status, [(header::CONTENT_TYPE, ct)], t).into_response()
        }
    };
    if let Some(ra) = retry_after.and_then(|r| HeaderValue::from_str(&r).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, ra);
    }
    response
}

/// Acts out `fault` on `req`; `inner` serves the request when the fault passes it through.
/// Hangs and delays end when `shutdown` is cancelled.
pub(crate) async fn act<S>(
    shutdown: CancellationToken,
    fault: Fault,
    inner: S,
    req: Request,
) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    tracing::debug!(method = %req.method(), path = %req.uri().path(), action = ?fault.action, "injecting fault");
    if !fault.delay.is_zero() {
        tokio::select! {
            () = shutdown.cancelled() => return dropped(),
            () = tokio::time::sleep(fault.delay) => {}
        }
    }
    match fault.action {
        FaultAction::PassThrough => match inner.oneshot(req).await {
            Ok(response) => response,
            Err(never) => match never {},
        },
        FaultAction::Respond {
            status,
            body,
            retry_after,
        } => respond(status, body, retry_after),
        FaultAction::Hang => {
            shutdown.cancelled().await;
            dropped()
        }
        FaultAction::Drop => dropped(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse_and_match() {
        let f = Fault::respond("get /api/v2/tasks/{id}", 500);
        assert_eq!(f.method.as_deref(), Some("GET"));
        assert!(f.matches("GET", Some("/api/v2/tasks/{id}"), "/api/v2/tasks/x"));
        assert!(!f.matches("POST", Some("/api/v2/tasks/{id}"), "/api/v2/tasks/x"));
        let g = Fault::hang("* /api/v2/tasks/abc");
        assert!(g.method.is_none());
        assert!(g.matches("GET", Some("/api/v2/tasks/{id}"), "/api/v2/tasks/abc"));
        assert!(!g.matches("GET", Some("/api/v2/tasks/{id}"), "/api/v2/tasks/abd"));
    }

    #[test]
    fn counts_down_and_clears() {
        let faults = Faults::default();
        faults.add(Fault::respond("/x", 500).times(2));
        assert!(faults.take("GET", None, "/x").is_some());
        assert!(faults.take("GET", None, "/x").is_some());
        assert!(faults.take("GET", None, "/x").is_none());
        assert!(!faults.active.load(Ordering::Acquire));
        faults.add(Fault::respond("/x", 500).times(0));
        for _ in 0..5 {
            assert!(faults.take("GET", None, "/x").is_some());
        }
    }
}
