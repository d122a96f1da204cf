//! The one place HTTP requests are sent, and where failures become [`Error`]s.
//!
//! # Crate-internal API (build new operations on this)
//!
//! ```ignore
//! // 1. Describe the request: method + path segments (each percent-encoded on
//! //    its own, so an id like `../users?x=1` stays ONE segment), optional query
//! //    pairs, an optional JSON body, an optional deadline.
//! let request = Request::new(Method::POST, &["api", "v2", "chat", "channels", "delete"])?
//!     .json(&body)?                      // serde::Serialize; sets Content-Type
//!     .deadline(Some(deadline));         // caps the whole request (see below)
//! // 2. Send it through the client's transport and decode the 2xx body as T.
//! let response: Response<StartTaskResponse> = client.transport().send(request).await?;
//! let task_id = response.into_body().task_id;
//! ```
//!
//! * `Request::new(method, segments) -> Result<Request>`: rejects empty, `.` and
//!   `..` segments ([`Error::InvalidArgument`]) because no URL can carry them
//!   as one segment. `.query(name, value)`, `.json(&body) -> Result<Request>`,
//!   `.deadline(Option<tokio::time::Instant>)`, `.request_id(String)`.
//! * `Transport::send::<T: DeserializeOwned>(&self, Request) -> Result<Response<T>>`.
//!
//! Every request carries the `api_key` query parameter, `Authorization: <jwt>`
//! (no `Bearer`; the client's current server token, see `auth::tokens`),
//! `stream-auth-type: jwt`, `X-Stream-Client: getstream-tasks-<version>` and an
//! `x-client-request-id` (a fresh UUID unless the request sets one). A 401
//! with code 40 (token expired) renews the token and resends the request once.
//!
//! # Time limits
//!
//! The whole request — connect, send, and reading the complete body — runs under
//! `tokio::time::timeout_at(limit)`, where `limit` is the earlier of
//! `now + request timeout` and the request's deadline, never later. A server
//! that hangs cannot hold the caller past it.
//! Only tokio timers are used, so tests on tokio's paused clock are exact.
//!
//! # Failure mapping
//!
//! * non-2xx → [`Error::Api`], parsed leniently from Stream's `APIError` envelope
//!   (`StatusCode` is PascalCase on the wire); a body that is not the envelope
//!   gives code 0 and `failed to parse error response: unexpected server response
//!   code <status>`, the raw body kept (first 64 KiB). Rate-limit headers and
//!   `Retry-After` (seconds or HTTP date) are attached.
//! * 3xx → [`Error::Api`] naming the `Location`: Stream's API never redirects,
//!   so none is followed (the reqwest client has no redirect policy and sends
//!   no `Referer`), and the credentials never leave for another host.
//! * a 2xx body larger than the client's `max_response_size` (announced by
//!   `Content-Length` or found while reading) → [`Error::Transport`] naming the
//!   limit; bodies are read chunk by chunk into one buffer that never grows
//!   past the limit. A body decoded after the request's limit is a timeout.
//! * no complete response → [`Error::Transport`] (`connection_reset`, `timeout`,
//!   `dns_failure`, `tls_handshake_failed`, `unknown`); see [`TransportError`].
//! * 2xx with a body that does not decode as `T` → [`Error::Decode`] with the
//!   status, the start of the body and the serde error as source.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt as _;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use http::{Method, StatusCode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::auth::tokens::{ServerTokens, TOKEN_EXPIRED_CODE};
use crate::error::{DecodeError, Error, InvalidArgumentError, Result, TransportError, api_error};
use crate::models::RateLimitInfo;
use crate::sched::pacer::Observation;
use crate::sched::{Permit, Priority, Scheduler};
use crate::time::{Clock, far_future};

pub(crate) mod connect_gate;
mod reqwest_error;
#[cfg(test)]
mod tests;

use connect_gate::{ConnectGate, Exchange};

/// The `X-Stream-Client` header value.
pub(crate) const CLIENT_HEADER: &str = concat!("getstream-tasks-", env!("CARGO_PKG_VERSION"));

/// Error bodies are kept up to this many bytes.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Everything in a path segment except RFC 3986 unreserved characters is encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A decoded success response with its metadata.
#[derive(Debug, Clone)]
pub struct Response<T> {
    status: StatusCode,
    rate_limit: Option<RateLimitInfo>,
    body: T,
}

impl<T> Response<T> {
    /// The HTTP status (a 2xx).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response's rate-limit headers, if any were sent.
    pub fn rate_limit(&self) -> Option<&RateLimitInfo> {
        self.rate_limit.as_ref()
    }

    /// The decoded body.
    pub fn body(&self) -> &T {
        &self.body
    }

    pub(crate) fn body_mut(&mut self) -> &mut T {
        &mut self.body
    }

    /// Takes the decoded body.
    pub fn into_body(self) -> T {
        self.body
    }
}

/// One request to send; see the module docs.
#[derive(Debug)]
pub(crate) struct Request {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    // Bytes: a request resent with a renewed token shares the body.
    body: Option<bytes::Bytes>,
    deadline: Option<Instant>,
    request_id: Option<String>,
    headers: Vec<(&'static str, String)>,
    priority: Priority,
}

impl Request {
    /// A request for `/{segments[0]}/{segments[1]}/…`, each segment percent-encoded
    /// on its own.
    pub(crate) fn new(method: Method, segments: &[&str]) -> Result<Request> {
        let mut path = String::new();
        for segment in segments {
            if segment.is_empty() || *segment == "." || *segment == ".." {
                return Err(InvalidArgumentError::new(
                    "path",
                    format!("{segment:?} cannot be sent as one URL path segment"),
                )
                .into());
            }
            path.push('/');
            path.extend(utf8_percent_encode(segment, SEGMENT));
        }
        Ok(Request {
            method,
            path,
            query: Vec::new(),
            body: None,
            deadline: None,
            request_id: None,
            headers: Vec::new(),
            priority: Priority::default(),
        })
    }

    /// Adds a query parameter (besides `api_key`, which is always sent).
    pub(crate) fn query(mut self, name: &str, value: impl Into<String>) -> Request {
        self.query.push((name.to_owned(), value.into()));
        self
    }

    /// Sends `body` as JSON.
    pub(crate) fn json(mut self, body: &impl Serialize) -> Result<Request> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            InvalidArgumentError::new("body", format!("cannot be serialized as JSON: {e}"))
        })?;
        self.body = Some(bytes.into());
        Ok(self)
    }

    /// Caps the whole request at `deadline` (in addition to the request timeout).
    pub(crate) fn deadline(mut self, deadline: Option<Instant>) -> Request {
        self.deadline = deadline;
        self
    }

    /// Sets the `x-client-request-id` header (default: a fresh UUID v4).
    #[cfg_attr(not(test), allow(dead_code))] // internal API; no caller sets its own id yet
    pub(crate) fn request_id(mut self, id: impl Into<String>) -> Request {
        self.request_id = Some(id.into());
        self
    }

    /// Adds a header (`name` is a lowercase literal; `value` must be a valid
    /// header value, e.g. digits — an invalid one is left out).
    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Request {
        self.headers.push((name, value.into()));
        self
    }

    /// How urgent the request is when the client's requests are scarce
    /// (see [`crate::sched`]).
    pub(crate) fn priority(mut self, priority: Priority) -> Request {
        self.priority = priority;
        self
    }

    /// `METHOD /path` for messages (never the query, which holds the API key).
    fn describe(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Sends requests for one client; shared by all its clones.
pub(crate) struct Transport {
    http: reqwest::Client,
    base_url: reqwest::Url,
    api_key: String,
    tokens: ServerTokens,
    request_timeout: Duration,
    clock: Clock,
    /// Successful bodies larger than this are refused (see [`read_body`]).
    max_body: usize,
    scheduler: Scheduler,
    /// Told when requests start and end, so that a new connection can wait
    /// for a busy one to come back to the pool.
    connect_gate: Option<Arc<ConnectGate>>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("base_url", &self.base_url.as_str())
            .field("api_key", &self.api_key)
            .field("authorization", &"[redacted]")
            .field("request_timeout", &self.request_timeout)
            .field("max_body", &self.max_body)
            .field("max_in_flight", &self.scheduler.bound())
            .finish()
    }
}

impl Transport {
    /// A transport refusing successful bodies over `max_body` bytes, with
    /// at most `max_in_flight` requests in flight.
    #[allow(clippy::too_many_arguments)] // one call site: the client builder
    pub(crate) fn new(
        http: reqwest::Client,
        base_url: reqwest::Url,
        api_key: String,
        tokens: ServerTokens,
        request_timeout: Duration,
        clock: Clock,
        max_body: usize,
        max_in_flight: usize,
    ) -> Transport {
        Transport {
            http,
            base_url,
            api_key,
            tokens,
            request_timeout,
            clock,
            max_body,
            scheduler: Scheduler::new(max_in_flight),
            connect_gate: None,
        }
    }

    /// Tells `gate` (the HTTP client's connector layer) when slots are freed.
    pub(crate) fn with_connect_gate(mut self, gate: Arc<ConnectGate>) -> Transport {
        self.connect_gate = Some(gate);
        self
    }

    pub(crate) fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    pub(crate) fn base_url(&self) -> &reqwest::Url {
        &self.base_url
    }

    pub(crate) fn api_key(&self) -> &str {
        &self.api_key
    }

    pub(crate) fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    fn url(&self, request: &Request) -> Result<reqwest::Url> {
        let mut url = self.base_url.clone();
        let full = format!("{}{}", url.path().trim_end_matches('/'), request.path);
        url.set_path(&full);
        if url.path() != full {
            return Err(InvalidArgumentError::new(
                "path",
                format!("{} would be rewritten by URL normalisation", request.path),
            )
            .into());
        }
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("api_key", &self.api_key);
            for (name, value) in &request.query {
                pairs.append_pair(name, value);
            }
        }
        Ok(url)
    }

    /// Sends `request` and decodes a 2xx body as `T`; see the module docs.
    /// A 401 saying the token expired (the server's clock is ahead of ours)
    /// renews the token and resends the request once.
    pub(crate) fn send<T: DeserializeOwned>(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response<T>>> + '_ {
        // Everything but the decoding is one non-generic future: the exchange
        // is compiled once, not once per response type. A `map`, not an
        // `async` block: that would hold the exchange's future twice (before
        // and while it is awaited), and a queued request's state is held by
        // thousands of waits at once while the server falls behind.
        self.send_raw(request).map(|raw| decode(raw?))
    }

    /// Sends `request` and reads a 2xx body; see [`send`](Self::send).
    // A plain fn returning an `async move` block: an `async fn` keeps its
    // argument twice in its state (as the argument and as the moved local).
    #[allow(clippy::manual_async_fn)] // on purpose: see above
    fn send_raw(&self, request: Request) -> impl Future<Output = Result<RawResponse>> + '_ {
        async move {
            // Waiting for the scheduler's admission counts against the deadline
            // (or the request timeout): a request never goes late. Nothing is
            // built before admission (URL, token, the exchange's state): while
            // the server falls behind, thousands of requests may be queued here.
            let queued_at = Instant::now();
            let give_up = request.deadline.unwrap_or_else(|| {
                queued_at
                    .checked_add(self.request_timeout)
                    .unwrap_or_else(|| far_future(queued_at))
            });
            let Some(permit) = self.scheduler.admit(request.priority, give_up).await else {
                let what = request.describe();
                tracing::debug!(request = %what, "no slot before the deadline");
                return Err(TransportError::timeout(format!(
                    "{what}: not sent: no request slot free within {:.3}s (the client's requests \
                     in flight or its rate-limit budget were used up)",
                    give_up.saturating_duration_since(queued_at).as_secs_f64()
                ))
                .into());
            };
            // Boxed: a queued request holds only what admission needs.
            Box::pin(self.send_admitted(&request, permit)).await
        }
    }

    /// Sends an admitted request, then frees its slot.
    async fn send_admitted(&self, request: &Request, permit: Permit<'_>) -> Result<RawResponse> {
        // Counted by the connect gate until the slot is freed, or the
        // request cancelled.
        let in_flight = self.connect_gate.as_ref().map(ConnectGate::admitted);
        // A wait's poll, but not its final one, may wait a moment for a busy
        // connection instead of opening one (see the connect gate).
        let patient = request
            .priority
            .final_at
            .is_some_and(|final_at| Instant::now() < final_at);
        let (outcome, connected) = connect_gate::EXCHANGE
            .scope(Exchange::new(patient), async {
                let outcome = self.send_admitted_with_token(request).await;
                (outcome, Exchange::connected())
            })
            .await;
        // The body is read and the response dropped, but its connection may
        // go back to the pool from a task of the HTTP client's own, which the
        // runtime has only just woken. Freeing the slot at once would admit
        // the next request first (a woken task runs next on this worker): it
        // would find no idle connection and open one more. Yielding first
        // lets that task run (and the connect gate covers the rest).
        tokio::task::yield_now().await;
        drop(permit);
        if let Some(in_flight) = in_flight {
            in_flight.ended(connected);
        }
        outcome
    }

    /// Sends an admitted request with the current token, and once more with
    /// a renewed one if the server says it expired (one slot for both).
    async fn send_admitted_with_token(&self, request: &Request) -> Result<RawResponse> {
        let (authorization, sent) = self.tokens.authorization()?;
        match self.send_once(request, authorization).await {
            Err(Error::Api(e))
                if e.status_code() == StatusCode::UNAUTHORIZED
                    && e.code() == TOKEN_EXPIRED_CODE =>
            {
                tracing::debug!(request = %request.describe(), "token expired: renewing it and resending once");
                let authorization = self.tokens.renew(sent)?;
                self.send_once(request, authorization).await
            }
            other => other,
        }
    }

    async fn send_once(
        &self,
        request: &Request,
        authorization: HeaderValue,
    ) -> Result<RawResponse> {
        let what = request.describe();
        let url = self.url(request)?;
        self.exchange(request, authorization, what, url).await
    }

    /// Sends an admitted request; see [`send`](Self::send).
    async fn exchange(
        &self,
        request: &Request,
        authorization: HeaderValue,
        what: String,
        url: reqwest::Url,
    ) -> Result<RawResponse> {
        let request_id = request
            .request_id
            .clone()
            .unwrap_or_else(crate::request_id::new_v4);
        let mut builder = self
            .http
            .request(request.method.clone(), url)
            .header(AUTHORIZATION, authorization)
            .header("stream-auth-type", "jwt")
            .header("x-stream-client", CLIENT_HEADER)
            .header("x-client-request-id", request_id.as_str());
        for (name, value) in &request.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                builder = builder.header(*name, value);
            }
        }
        if let Some(body) = request.body.clone() {
            builder = builder.header(CONTENT_TYPE, "application/json").body(body);
        }

        let now = Instant::now();
        let mut limit = now
            .checked_add(self.request_timeout)
            .unwrap_or_else(|| far_future(now));
        if let Some(deadline) = request.deadline {
            limit = limit.min(deadline);
        }
        tracing::debug!(request = %what, %request_id, "sending");
        let exchange = async {
            let response = builder
                .send()
                .await
                .map_err(|e| TransportError::from_reqwest(&what, e.without_url()))?;
            let status = response.status();
            let headers = response.headers().clone();
            let success = status.is_success();
            // Announced too large: refused before reading a byte.
            if success
                && response
                    .content_length()
                    .is_some_and(|n| n > self.max_body as u64)
            {
                return Err(self.too_large(&what));
            }
            // Error bodies are only shown, so the start of one is enough.
            let cap = if success {
                self.max_body
            } else {
                MAX_ERROR_BODY
            };
            let body = match read_body(response, cap)
                .await
                .map_err(|e| TransportError::from_reqwest(&what, e.without_url()))?
            {
                Body::Complete(body) => body,
                Body::Truncated(_) if success => return Err(self.too_large(&what)),
                Body::Truncated(start) => start,
            };
            Ok::<_, TransportError>((status, headers, body))
        };
        let (status, headers, body) = match tokio::time::timeout_at(limit, exchange).await {
            Ok(result) => result?,
            Err(_) => return Err(request_timed_out(&what, &request_id, now, limit).into()),
        };
        tracing::debug!(request = %what, %request_id, status = status.as_u16(), "answered");
        let rate_limit = RateLimitInfo::from_headers(&headers);
        self.scheduler.observe(
            &Observation {
                throttled: status == StatusCode::TOO_MANY_REQUESTS,
                info: rate_limit,
                retry_after: crate::error::parse_retry_after(&headers, self.clock.now()),
            },
            self.clock.now(),
            &what,
        );
        if status.is_redirection() {
            let location = headers.get(http::header::LOCATION);
            return Err(redirect_error(status, location, what).into());
        }
        if !status.is_success() {
            return Err(
                api_error(status, &headers, &body, rate_limit, what, self.clock.now()).into(),
            );
        }
        Ok(RawResponse {
            status,
            rate_limit,
            body,
            what,
            request_id,
            started: now,
            limit,
        })
    }

    fn too_large(&self, what: &str) -> TransportError {
        let cap = self.max_body;
        TransportError::unknown(
            format!(
                "{what}: the response body is larger than the client's limit of {cap} bytes \
                 ({:.1} MiB; ClientBuilder::max_response_size); reading stopped there",
                cap as f64 / (1024.0 * 1024.0)
            ),
            None,
        )
    }
}

/// Decodes a 2xx answer's body as `T`.
fn decode<T: DeserializeOwned>(raw: RawResponse) -> Result<Response<T>> {
    let decoded = serde_json::from_slice::<T>(&raw.body);
    // Decoding cannot be interrupted, but the body is capped, and a response
    // decoded past the deadline is not returned: nothing of a request (nor of
    // a wait, whose deadline caps it) outlasts its limit.
    if Instant::now() > raw.limit {
        return Err(raw.timed_out().into());
    }
    match decoded {
        Ok(body) => Ok(Response {
            status: raw.status,
            rate_limit: raw.rate_limit,
            body,
        }),
        Err(e) => Err(DecodeError::new(raw.status, &raw.body, e)
            .with_request(raw.what)
            .into()),
    }
}

/// A 2xx answer before decoding, with what decoding needs to report.
struct RawResponse {
    status: StatusCode,
    rate_limit: Option<RateLimitInfo>,
    body: Vec<u8>,
    what: String,
    request_id: String,
    started: Instant,
    limit: Instant,
}

impl RawResponse {
    fn timed_out(&self) -> TransportError {
        request_timed_out(&self.what, &self.request_id, self.started, self.limit)
    }
}

/// The error of a request with no complete (decoded) response by `limit`.
fn request_timed_out(
    what: &str,
    request_id: &str,
    started: Instant,
    limit: Instant,
) -> TransportError {
    let allowed = limit.saturating_duration_since(started);
    tracing::debug!(request = %what, %request_id, "timed out");
    TransportError::timeout(format!(
        "{what}: no complete response within {:.3}s",
        allowed.as_secs_f64()
    ))
}

/// A body read up to a cap.
enum Body {
    /// The whole body, no larger than the cap.
    Complete(Vec<u8>),
    /// The first `cap` bytes of a longer body (the rest is not read).
    Truncated(Vec<u8>),
}

/// Reads the body chunk by chunk into one buffer, never holding more than
/// `cap` bytes (plus one chunk in flight): reading stops at the cap.
async fn read_body(mut response: reqwest::Response, cap: usize) -> reqwest::Result<Body> {
    let announced = response.content_length();
    // Trust the announced length for the first allocation only up to the cap
    // (and a modest size: the server may lie).
    let first = announced
        .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX))
        .min(cap)
        .min(1 << 20);
    let mut body = Vec::with_capacity(first);
    while let Some(chunk) = response.chunk().await? {
        let room = cap - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok(Body::Truncated(body));
        }
        if body.len() + chunk.len() > body.capacity() {
            // Grow by doubling, but never past the cap.
            let want = (body.capacity() * 2).max(body.len() + chunk.len()).min(cap);
            body.reserve_exact(want - body.len());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Body::Complete(body))
}

/// Stream's API never redirects: a 3xx means a wrong base URL or something
/// in between, and following it would send the credentials elsewhere. The
/// error names where it pointed.
fn redirect_error(
    status: StatusCode,
    location: Option<&HeaderValue>,
    request: String,
) -> crate::error::ApiError {
    let target = match location {
        Some(value) => format!("{:?}", String::from_utf8_lossy(value.as_bytes())),
        None => "nowhere (no Location header)".to_owned(),
    };
    let mut error = crate::error::ApiError::new(
        status,
        0,
        format!(
            "unexpected redirect (HTTP {}) to {target}; Stream's API does not redirect, so it \
             was not followed: check the base URL",
            status.as_u16()
        ),
    );
    error.0.request = Some(request);
    error
}
