//! [`BodyLimitLayer`]: the body bounds of a webhook receiver as a tower layer
//! — a size cap per request, a read timeout, and a byte budget shared by all
//! requests, so that many large or slow unsigned bodies cannot take the
//! memory of the process.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use futures_util::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tower_layer::Layer;
use tower_service::Service;

use super::limits::ReceiverLimits;
use super::refusals::Refusals;

/// The largest body that is held in the reserve for small bodies: Stream's
/// deliveries are a few KiB, so large bodies (a flood) cannot crowd them out
/// of the budget.
pub const SMALL_BODY: usize = 64 * 1024;

/// Reads each request body whole before the inner service sees it, within
/// [`ReceiverLimits::max_body_bytes`] (else `413`, at once when
/// `Content-Length` says so), [`ReceiverLimits::body_timeout`] (else `408`)
/// and [`ReceiverLimits::body_budget`], the bytes held by all requests in
/// progress together (else `503` with `Retry-After: 1`; Stream retries it).
/// Bodies that announce at most [`SMALL_BODY`] bytes are held in a reserve
/// of their own, [`SMALL_BODY`] per connection of
/// [`ReceiverLimits::max_connections`] (16 MiB by default), so that a flood
/// of large bodies cannot make a genuine delivery wait. The bytes stay
/// counted until the inner service has answered.
///
/// [`Receiver::router`](super::Receiver::router) has this layer already; add
/// it to a router of your own:
///
/// ```
/// use getstream_tasks::webhook::axum::{BodyLimitLayer, ReceiverLimits};
/// let app: axum::Router = axum::Router::new()
///     .route("/hooks", axum::routing::post(|| async { "ok" }))
///     .layer(BodyLimitLayer::new(&ReceiverLimits::default()));
/// ```
#[derive(Clone)]
pub struct BodyLimitLayer {
    shared: Arc<Shared>,
}

struct Shared {
    budget: Arc<Semaphore>,
    /// The reserve for small bodies.
    small: Arc<Semaphore>,
    total: usize,
    max_body: usize,
    timeout: Duration,
    refusals: Refusals,
}

impl fmt::Debug for BodyLimitLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyLimitLayer")
            .field("max_body", &self.shared.max_body)
            .field("budget", &self.shared.total)
            .field("held", &self.held())
            .field("timeout", &self.shared.timeout)
            .finish()
    }
}

impl BodyLimitLayer {
    /// The body bounds of `limits`.
    pub fn new(limits: &ReceiverLimits) -> Self {
        Self::with_refusals(limits, Refusals::new(limits.log_interval))
    }

    pub(crate) fn with_refusals(limits: &ReceiverLimits, refusals: Refusals) -> Self {
        let total = limits.body_budget.min(Semaphore::MAX_PERMITS);
        BodyLimitLayer {
            shared: Arc::new(Shared {
                budget: Arc::new(Semaphore::new(total)),
                small: Arc::new(Semaphore::new(
                    limits
                        .max_connections
                        .max(1)
                        .saturating_mul(SMALL_BODY)
                        .min(Semaphore::MAX_PERMITS),
                )),
                total,
                max_body: limits.max_body_bytes,
                timeout: limits.body_timeout,
                refusals,
            }),
        }
    }

    /// The body bytes held right now in the budget by the requests in
    /// progress (not counting the reserve for small bodies).
    pub fn held(&self) -> usize {
        self.shared.total - self.shared.budget.available_permits()
    }
}

impl<S> Layer<S> for BodyLimitLayer {
    type Service = BodyLimit<S>;

    fn layer(&self, inner: S) -> BodyLimit<S> {
        BodyLimit {
            inner,
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The service of [`BodyLimitLayer`].
#[derive(Clone)]
pub struct BodyLimit<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> fmt::Debug for BodyLimit<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyLimit").finish_non_exhaustive()
    }
}

impl<S> Service<Request<Body>> for BodyLimit<S>
where
    S: Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        // The clone that was made ready is the one to call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            match shared.read(request).await {
                Ok((request, held)) => {
                    let answer = inner.call(request).await;
                    drop(held);
                    answer
                }
                Err(refusal) => Ok(refusal),
            }
        })
    }
}

/// A refusal: the status, and the reason counted in the summary log.
fn refuse(refusals: &Refusals, status: StatusCode, why: &'static str) -> Response {
    refusals.note(why);
    let mut response = (status, why).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

impl Shared {
    /// Takes `bytes` more from `pool` into `held`; false when it has no room.
    fn take(pool: &Arc<Semaphore>, held: &mut Option<OwnedSemaphorePermit>, bytes: usize) -> bool {
        let Ok(n) = u32::try_from(bytes) else {
            return false;
        };
        match Arc::clone(pool).try_acquire_many_owned(n) {
            Ok(permit) => {
                match held {
                    Some(h) => h.merge(permit),
                    None => *held = Some(permit),
                }
                true
            }
            Err(_) => false,
        }
    }

    /// The request with its body read whole, and the budget it holds; or
    /// the refusal to answer.
    async fn read(
        &self,
        request: Request<Body>,
    ) -> Result<(Request<Body>, Option<OwnedSemaphorePermit>), Response> {
        let (parts, body) = request.into_parts();
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let too_large = || refuse(&self.refusals, StatusCode::PAYLOAD_TOO_LARGE, "too large");
        let busy = || {
            refuse(
                &self.refusals,
                StatusCode::SERVICE_UNAVAILABLE,
                "body budget spent",
            )
        };
        let mut held = None;
        let mut buffer = BytesMut::new();
        // A declared length is taken from the budget whole before any byte is
        // read, and the buffer is allocated once at that size.
        match declared {
            Some(n) if n > self.max_body as u64 => return Err(too_large()),
            Some(n) => {
                let n = n as usize;
                let small = n <= SMALL_BODY && Self::take(&self.small, &mut held, n);
                if !small && !Self::take(&self.budget, &mut held, n) {
                    return Err(busy());
                }
                buffer.reserve(n);
            }
            None => {}
        }
        let deadline = Instant::now() + self.timeout;
        let mut stream = body.into_data_stream();
        loop {
            let next = match tokio::time::timeout_at(deadline, stream.next()).await {
                Ok(next) => next,
                Err(_) => {
                    return Err(refuse(
                        &self.refusals,
                        StatusCode::REQUEST_TIMEOUT,
                        "slow body",
                    ));
                }
            };
            let chunk = match next {
                None => break,
                Some(Ok(chunk)) => chunk,
                Some(Err(_)) => {
                    return Err(refuse(
                        &self.refusals,
                        StatusCode::BAD_REQUEST,
                        "unreadable body",
                    ));
                }
            };
            let len = buffer.len() + chunk.len();
            if len > self.max_body {
                return Err(too_large());
            }
            // Without a declared length the body is taken from the budget as
            // it comes (hyper never reads past a declared one).
            if declared.is_none() && !Self::take(&self.budget, &mut held, chunk.len()) {
                return Err(busy());
            }
            buffer.extend_from_slice(&chunk);
        }
        Ok((
            Request::from_parts(parts, Body::from(buffer.freeze())),
            held,
        ))
    }
}
