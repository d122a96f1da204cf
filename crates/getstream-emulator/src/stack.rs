//! The per-request layer of every route: the request clock (for `duration`), the request log,
//! rate limiting with its `X-RateLimit-*` headers, and fault injection.
//!
//! One hand-written [`tower::Service`] instead of a stack of `axum::middleware::from_fn`
//! layers: each of those boxes the inner service and a future per request, and every
//! `Router::layer` adds a boxed route that is cloned whole per request. The order of the
//! work: clock, rate limit (a refused request goes no further), fault, handler.
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
use axum::response::Response;
use tower::{Layer, Service};

use crate::error;
use crate::faults::{self, Fault};
use crate::ratelimit;
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

    fn call(&mut self, req: Request) -> Self::Future {
        let start = Instant::now();
        let log = RequestLog::start(&req);
        let decision = count_request(&self.state, &req);
        let step = if !decision.allowed() {
            Step::Refuse(ratelimit::endpoint_of(&req))
        } else {
            match take_fault(&self.state, &req) {
                None => Step::Serve(self.inner.call(req)),
                Some(fault) => Step::Fault(Box::pin(faults::act(
                    self.state.shutdown_token().clone(),
                    fault,
                    self.inner.clone(),
                    req,
                ))),
            }
        };
        Box::pin(error::clocked(start, async move {
            let mut response = match step {
                Step::Refuse(endpoint) => ratelimit::refusal(&decision, &endpoint),
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

/// Counts a request routed to a matched route (its endpoint is `"METHOD /template"`) for the
/// app its `api_key` names.
fn count_request(state: &EmulatorState, req: &Request) -> ratelimit::Decision {
    state.limiter().check_route(
        &bucket_of(state, req),
        req.method().as_str(),
        template_of(req),
    )
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
pub(crate) fn with_limit_headers(
    state: &EmulatorState,
    req: &Request,
    mut response: Response,
) -> Response {
    if !response.headers().contains_key("x-ratelimit-limit") {
        let decision = state.limiter().check(&bucket_of(state, req), "unmatched");
        decision.apply(response.headers_mut());
    }
    response
}
