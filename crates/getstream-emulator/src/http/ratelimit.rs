//! One-minute rate-limit windows per app and endpoint, and the `X-RateLimit-*` headers.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use crate::config::RateLimits;
use crate::http::error::ApiError;
use crate::state::sync::lock;

const WINDOW: Duration = Duration::from_secs(60);
/// The bucket of requests whose `api_key` names no app.
pub(crate) const ANONYMOUS: &str = "";

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

/// The header names, built once (a `&str` name is parsed on every insert).
const X_RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const X_RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const X_RATELIMIT_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// The cached `X-RateLimit-*` headers, slot by slot.
const LIMIT: usize = 0;
const RESET: usize = 1;

thread_local! {
    /// The last value written to `X-RateLimit-Limit` and `X-RateLimit-Reset` by this
    /// thread, and its header value: the same numbers repeat request after request, and a
    /// cached value is a reference-count increment where a fresh one is a formatted
    /// allocation.
    static LAST_HEADERS: RefCell<[Option<(u64, HeaderValue)>; 2]> = const { RefCell::new([None, None]) };
}

/// `n` as a header value, from the slot's cache when it repeats.
fn number_header(slot: usize, n: u64) -> HeaderValue {
    LAST_HEADERS.with_borrow_mut(|cache| match &cache[slot] {
        Some((last, value)) if *last == n => value.clone(),
        _ => {
            let value = HeaderValue::from(n);
            cache[slot] = Some((n, value.clone()));
            value
        }
    })
}

impl Decision {
    /// Whether the request may go on.
    pub(crate) fn allowed(&self) -> bool {
        self.allowed
    }

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
        let limit = number_header(LIMIT, u64::from(self.limit));
        // A window that is not counted down (limits off, or a fresh one) reports the limit.
        let remaining = if self.remaining == self.limit {
            limit.clone()
        } else {
            HeaderValue::from(self.remaining)
        };
        headers.insert(X_RATELIMIT_LIMIT, limit);
        headers.insert(X_RATELIMIT_REMAINING, remaining);
        headers.insert(X_RATELIMIT_RESET, number_header(RESET, self.reset_unix()));
    }
}

/// The windows of every app, and a buffer for building endpoint keys without allocating.
#[derive(Debug, Default)]
struct Windows {
    by_app: HashMap<String, HashMap<String, Window>>,
    endpoint: String,
}

/// Counters for every (app, endpoint) pair.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limits: RateLimits,
    windows: Mutex<Windows>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            windows: Mutex::default(),
        }
    }

    pub fn reset(&self) {
        lock(&self.windows).by_app.clear();
    }

    /// Counts a request of `app` to `endpoint` (`"METHOD /template"`).
    pub fn check(&self, app: &str, endpoint: &str) -> Decision {
        let mut windows = lock(&self.windows);
        self.count(&mut windows.by_app, app, endpoint)
    }

    /// Counts a request of `app` to the endpoint `"{method} {template}"`.
    pub fn check_route(&self, app: &str, method: &str, template: &str) -> Decision {
        let mut windows = lock(&self.windows);
        let Windows { by_app, endpoint } = &mut *windows;
        endpoint.clear();
        endpoint.push_str(method);
        endpoint.push(' ');
        endpoint.push_str(template);
        self.count(by_app, app, endpoint)
    }

    fn count(
        &self,
        all: &mut HashMap<String, HashMap<String, Window>>,
        app: &str,
        endpoint: &str,
    ) -> Decision {
        let limit = self.limits.limit_for(endpoint);
        let now = Instant::now();
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

/// The `api_key` query parameter of a request, if present exactly once (decoded as a form
/// value; borrowed from the URI when it needs no decoding).
pub(crate) fn api_key_of(uri: &axum::http::Uri) -> Option<Cow<'_, str>> {
    let mut found = None;
    for (name, value) in form_urlencoded::parse(uri.query()?.as_bytes()) {
        if name == "api_key" {
            if found.is_some() {
                // A repeated `api_key` is ambiguous: none is taken.
                return None;
            }
            found = Some(value);
        }
    }
    found
}

/// The 429 answer of a refused request (`endpoint` is for the log).
pub(crate) fn refusal(decision: &Decision, endpoint: &str) -> Response {
    tracing::debug!(%endpoint, "rate limited");
    ApiError::rate_limited(decision.retry_after_secs()).into_response()
}

/// The endpoint of a request, as the rate limiter names it (for logs).
pub(crate) fn endpoint_of(req: &Request) -> String {
    match req.extensions().get::<MatchedPath>() {
        Some(p) => format!("{} {}", req.method(), p.as_str()),
        None => format!("{} {}", req.method(), req.uri().path()),
    }
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

    #[tokio::test(start_paused = true)]
    async fn a_route_counts_in_the_window_of_its_endpoint_name() {
        let rl = RateLimiter::new(RateLimits::default().with_endpoint("GET /x/{id}", 3));
        assert_eq!(rl.check_route("app", "GET", "/x/{id}").remaining, 2);
        assert_eq!(rl.check("app", "GET /x/{id}").remaining, 1);
        // The endpoint buffer is rebuilt per call: another route is another window.
        let other = rl.check_route("app", "POST", "/x/{id}");
        assert_eq!((other.limit, other.remaining), (10_000, 9_999));
        assert_eq!(rl.check_route("app", "GET", "/x/{id}").remaining, 0);
    }

    fn header_values(d: &Decision) -> [String; 3] {
        let mut headers = HeaderMap::new();
        d.apply(&mut headers);
        [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
        ]
        .map(|h| headers[h].to_str().unwrap().to_owned())
    }

    #[test]
    fn cached_header_values_follow_the_numbers() {
        let decision = |limit, remaining, reset_in| Decision {
            limit,
            remaining,
            reset_in: Duration::from_secs(reset_in),
            allowed: true,
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let [limit, remaining, reset] = header_values(&decision(10, 10, 30));
        assert_eq!((limit.as_str(), remaining.as_str()), ("10", "10"));
        let reset: u64 = reset.parse().unwrap();
        assert!((now + 30..=now + 32).contains(&reset), "{reset} vs {now}");
        let [limit, remaining, _] = header_values(&decision(10, 4, 30));
        assert_eq!((limit.as_str(), remaining.as_str()), ("10", "4"));
        let [limit, remaining, reset] = header_values(&decision(60, 60, 3000));
        assert_eq!((limit.as_str(), remaining.as_str()), ("60", "60"));
        let reset: u64 = reset.parse().unwrap();
        assert!(
            (now + 3000..=now + 3002).contains(&reset),
            "{reset} vs {now}"
        );
    }

    fn key(pq: &str) -> Option<Cow<'static, str>> {
        let uri: axum::http::Uri = pq.parse().unwrap();
        api_key_of(&uri).map(|k| Cow::Owned(k.into_owned()))
    }

    #[test]
    fn api_key_is_the_one_form_decoded_query_value() {
        let uri: axum::http::Uri = "/t?x=1&api_key=abc".parse().unwrap();
        assert!(matches!(api_key_of(&uri), Some(Cow::Borrowed("abc"))));
        assert_eq!(key("/t?api_key=a+b%21").as_deref(), Some("a b!"));
        assert_eq!(key("/t?api%5Fkey=k").as_deref(), Some("k"));
        assert_eq!(key("/t?api_key=").as_deref(), Some(""));
        assert_eq!(
            key("/t?api_key=a&api_key=a"),
            None,
            "a repeated key is ambiguous"
        );
        assert_eq!(key("/t?apikey=a"), None);
        assert_eq!(key("/t"), None);
    }
}
