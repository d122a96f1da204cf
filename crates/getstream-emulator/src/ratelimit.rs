//! One-minute rate-limit windows per app and endpoint, and the `X-RateLimit-*` headers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use crate::config::RateLimits;
use crate::error::ApiError;
use crate::state::{EmulatorState, lock};

const WINDOW: Duration = Duration::from_secs(60);
/// The bucket of requests whose `api_key` names no app.
const ANONYMOUS: &str = "";

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    count: u32,
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decision {
    limit: u32,
    remaining: u32,
    /// Time left in the window.
    reset_in: Duration,
    allowed: bool,
}

impl Decision {
    fn reset_unix(&self) -> u64 {
        let end = SystemTime::now() + self.reset_in;
        let d = end.duration_since(UNIX_EPOCH).unwrap_or_default();
        // Round up: the window is not over before this second.
        d.as_secs() + u64::from(d.subsec_nanos() > 0)
    }

    fn retry_after_secs(&self) -> u64 {
        (self.reset_in.as_secs() + u64::from(self.reset_in.subsec_nanos() > 0)).max(1)
    }

    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset_unix()));
    }
}

/// Counters for every (app, endpoint) pair.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limits: RateLimits,
    windows: Mutex<HashMap<String, HashMap<String, Window>>>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            windows: Mutex::default(),
        }
    }

    pub fn reset(&self) {
        lock(&self.windows).clear();
    }

    /// Counts a request of `app` to `endpoint` (`"METHOD /template"`).
    pub fn check(&self, app: &str, endpoint: &str) -> Decision {
        let limit = self.limits.limit_for(endpoint);
        let now = Instant::now();
        let mut all = lock(&self.windows);
        let per_app = match all.get_mut(app) {
            Some(m) => m,
            None => all.entry(app.to_owned()).or_default(),
        };
        let window = match per_app.get_mut(endpoint) {
            Some(w) => w,
            None => per_app.entry(endpoint.to_owned()).or_insert(Window {
                start: now,
                count: 0,
            }),
        };
        if now.duration_since(window.start) >= WINDOW {
            *window = Window {
                start: now,
                count: 0,
            };
        }
        let allowed = !self.limits.enabled || window.count < limit;
        if allowed {
            window.count = window.count.saturating_add(1);
        }
        // With limits off nothing is ever refused, so the window is never
        // reported as spent either (a client that honours
        // `X-RateLimit-Remaining: 0` would otherwise slow down for nothing).
        let remaining = if self.limits.enabled {
            limit.saturating_sub(window.count)
        } else {
            limit
        };
        Decision {
            limit,
            remaining,
            reset_in: (window.start + WINDOW).saturating_duration_since(now),
            allowed,
        }
    }
}

/// The `api_key` query parameter of a request, if present.
pub(crate) fn api_key_of(uri: &axum::http::Uri) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Q {
        api_key: Option<String>,
    }
    axum::extract::Query::<Q>::try_from_uri(uri)
        .ok()
        .and_then(|q| q.0.api_key)
}

/// Counts the request, refuses it with 429 past the limit, and adds the headers to the response.
pub(crate) async fn middleware(
    State(state): State<EmulatorState>,
    req: Request,
    next: Next,
) -> Response {
    let endpoint = match req.extensions().get::<MatchedPath>() {
        Some(p) => format!("{} {}", req.method(), p.as_str()),
        None => format!("{} {}", req.method(), req.uri().path()),
    };
    let key = api_key_of(req.uri()).filter(|k| state.app(k).is_some());
    let decision = state
        .limiter()
        .check(key.as_deref().unwrap_or(ANONYMOUS), &endpoint);
    let mut response = if decision.allowed {
        next.run(req).await
    } else {
        tracing::debug!(%endpoint, "rate limited");
        ApiError::rate_limited(decision.retry_after_secs()).into_response()
    };
    decision.apply(response.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn window_counts_and_resets() {
        let rl = RateLimiter::new(RateLimits::default().with_endpoint("GET /x", 2));
        let a = rl.check("app", "GET /x");
        assert!(a.allowed);
        assert_eq!(a.remaining, 1);
        assert!(rl.check("app", "GET /x").allowed);
        let c = rl.check("app", "GET /x");
        assert!(!c.allowed);
        assert_eq!(c.remaining, 0);
        assert_eq!(c.retry_after_secs(), 60);
        // Another app has its own window.
        assert!(rl.check("other", "GET /x").allowed);
        tokio::time::advance(Duration::from_secs(45)).await;
        assert_eq!(rl.check("app", "GET /x").retry_after_secs(), 15);
        tokio::time::advance(Duration::from_secs(15)).await;
        assert!(rl.check("app", "GET /x").allowed);
    }

    #[tokio::test(start_paused = true)]
    async fn disabled_never_refuses() {
        let rl = RateLimiter::new(RateLimits::disabled().with_endpoint("GET /x", 1));
        for _ in 0..5 {
            let d = rl.check("app", "GET /x");
            assert!(d.allowed);
            assert_eq!(d.remaining, 1, "a window that never refuses is never spent");
        }
    }
}
