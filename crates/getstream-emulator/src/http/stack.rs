//! The per-request layer of every route: the request clock (for `duration`), the request log,
//! rate limiting with its `X-RateLimit-*` headers, and fault injection.
//!
//! One hand-written [`tower::Service`] instead of a stack of `axum::middleware::from_fn`
//! layers: each of those boxes the inner service and a future per request, and every
//! `Router::layer` adds a boxed route that is cloned whole per request. The order of the
//! work: clock; the admin gate (admin routes) or authentication (Stream's API routes);
//! rate limit, counted for the app the request authenticated as (a request that failed
//! authentication counts in the anonymous window, never in an app's); fault (never on admin
//! routes; it takes over whatever the credentials, as the failure it stands for would); the
//! gate's or authentication's refusal; handler. A request refused on the way goes no further
//! (its body is not read).
//!
//! The glue between the request and the state lives here, so that `faults` and `ratelimit`
//! are leaves that know nothing of [`EmulatorState`].

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use crate::http::admin_guard;
use crate::http::error::{self, ApiError};
use crate::http::extract::{self, Authed};
use crate::http::faults::{self, Fault};
use crate::http::ratelimit;
use crate::state::EmulatorState;

/// The layer of [`Guard`]; apply it with `Router::route_layer` (the route template is then
/// known).
#[derive(Debug, Clone)]
pub(crate) struct GuardLayer {
    state: EmulatorState,
}

impl GuardLayer {
    pub(crate) fn new(state: EmulatorState) -> Self {
        Self { state }
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Guard<S> {
        Guard {
            inner,
            state: self.state.clone(),
        }
    }
}

/// Clock, log, rate limit and faults around one route's handler.
#[derive(Debug, Clone)]
pub(crate) struct Guard<S> {
    inner: S,
    state: EmulatorState,
}

/// The method and path of a request, kept for its log line when debug logging is on.
#[derive(Debug)]
pub(crate) struct RequestLog(Option<(Method, String)>);

impl RequestLog {
    pub(crate) fn start(req: &Request) -> Self {
        if tracing::enabled!(target: "getstream_emulator", tracing::Level::DEBUG) {
            Self(Some((req.method().clone(), req.uri().path().to_owned())))
        } else {
            Self(None)
        }
    }

    /// Logs the request (never its headers or query); call it inside the request clock.
    pub(crate) fn finish(self, response: &Response) {
        if let Some((method, path)) = self.0 {
            tracing::debug!(target: "getstream_emulator", %method, %path, status = response.status().as_u16(), duration = %error::duration(), "request");
        }
    }
}

type BoxResponseFuture = Pin<Box<dyn Future<Output = Response> + Send>>;

/// What a counted request does next.
enum Step<F> {
    /// Refused by the rate limiter; the endpoint is for the log.
    Refuse(String),
    /// Refused before its handler: admin gate or authentication.
    Reject(ApiError),
    /// Served by the handler.
    Serve(F),
    /// Taken over by a fault.
    Fault(BoxResponseFuture),
}

impl<S> Service<Request> for Guard<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let start = Instant::now();
        let log = RequestLog::start(&req);
        let admin = admin_guard::is_admin_request(&req);
        let (bucket, early) = if admin {
            let gate = admin_guard::check(&self.state, &req).err();
            (bucket_of(&self.state, &req).into_owned(), gate)
        } else {
            open_or_api_bucket(&self.state, &mut req)
        };
        let decision =
            self.state
                .limiter()
                .check_route(&bucket, req.method().as_str(), template_of(&req));
        // A fault takes over a request whatever its credentials (as the failure it stands
        // for would), but never an admin one: a hang there would lock the admin out.
        let fault = if decision.allowed() && !admin {
            take_fault(&self.state, &req)
        } else {
            None
        };
        let step = match (decision.allowed(), fault, early) {
            (false, _, _) => Step::Refuse(ratelimit::endpoint_of(&req)),
            (true, Some(fault), _) => Step::Fault(Box::pin(faults::act(
                self.state.shutdown_token().clone(),
                fault,
                self.inner.clone(),
                req,
            ))),
            (true, None, Some(e)) => Step::Reject(e),
            (true, None, None) => Step::Serve(self.inner.call(req)),
        };
        Box::pin(error::clocked(start, async move {
            let mut response = match step {
                Step::Refuse(endpoint) => ratelimit::refusal(&decision, &endpoint),
                Step::Reject(e) => e.into_response(),
                Step::Serve(future) => match future.await {
                    Ok(response) => response,
                    Err(never) => match never {},
                },
                Step::Fault(future) => future.await,
            };
            decision.apply(response.headers_mut());
            log.finish(&response);
            Ok(response)
        }))
    }
}

/// The rate-limit bucket of a request that is not for the admin API, and the error that
/// refuses it early, if any. Stream's API routes are authenticated here: the app goes into
/// the request's extensions (for [`Authed`]) and names the bucket; a request that fails
/// counts in the anonymous bucket. An export download counts for the app whose file it
/// names; health and unknown files in the anonymous bucket.
fn open_or_api_bucket(state: &EmulatorState, req: &mut Request) -> (String, Option<ApiError>) {
    let template = template_of(req);
    if template == EXPORTS_ROUTE {
        let owner = req
            .uri()
            .path()
            .rsplit('/')
            .next()
            .map(|f| f.strip_suffix(".json").unwrap_or(f))
            .and_then(|token| state.export_app(token));
        return (owner.unwrap_or_default(), None);
    }
    if template.starts_with("/_emulator/") {
        return (ratelimit::ANONYMOUS.to_owned(), None);
    }
    match extract::authenticate(state, req.uri(), req.headers()) {
        Ok(app) => {
            let key = app.creds.key().to_owned();
            req.extensions_mut().insert(Authed(app));
            (key, None)
        }
        Err(e) => (ratelimit::ANONYMOUS.to_owned(), Some(e)),
    }
}

/// The route of export downloads (no API auth).
const EXPORTS_ROUTE: &str = "/_emulator/exports/{file}";

/// The template of the route `req` matched, else its path.
fn template_of(req: &Request) -> &str {
    match req.extensions().get::<MatchedPath>() {
        Some(p) => p.as_str(),
        None => req.uri().path(),
    }
}

/// The rate-limit bucket of `req`: the app its `api_key` names, else the anonymous one.
fn bucket_of<'r>(state: &EmulatorState, req: &'r Request) -> std::borrow::Cow<'r, str> {
    ratelimit::api_key_of(req.uri())
        .filter(|k| state.app(k).is_some())
        .unwrap_or(std::borrow::Cow::Borrowed(ratelimit::ANONYMOUS))
}

/// Takes one use of the first active fault matching `req`, if any.
fn take_fault(state: &EmulatorState, req: &Request) -> Option<Fault> {
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    state
        .faults_registry()
        .take(req.method().as_str(), template, req.uri().path())
}

/// Adds the `X-RateLimit-*` headers to a response no route layer saw (no route, or a method
/// the route lacks), counting it in the window of the unmatched requests.
/// Such a request is not authenticated, so it never counts in an app's window.
pub(crate) fn with_limit_headers(state: &EmulatorState, mut response: Response) -> Response {
    if !response.headers().contains_key("x-ratelimit-limit") {
        let decision = state.limiter().check(ratelimit::ANONYMOUS, "unmatched");
        decision.apply(response.headers_mut());
    }
    response
}
