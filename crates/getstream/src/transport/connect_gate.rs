//! A gate in front of the HTTP client's connector, so that a client holds no
//! more connections than its bound on requests in flight.
//!
//! The scheduler admits at most `max_in_flight` requests at once, but that
//! alone does not bound connections. A finished request frees its slot as
//! soon as its body is read, while its connection goes back to the pool a
//! moment later, from a task of the HTTP client's own. A request admitted in
//! that moment finds no idle connection, and hyper-util's pool then races
//! two things: waiting for a connection to come back, and opening a new one.
//! The old connection comes back first, the request takes it, and the new
//! one is finished in the background and kept: one connection more than the
//! bound (35 at a bound of 32 in bench `scale`).
//!
//! reqwest cannot wrap its connections, so the gate cannot count the ones
//! alive. It works from what it can see instead:
//!
//! * Until the client has opened `bound` connections, a connect goes at once
//!   (fewer than `bound` can be alive).
//! * After that, a connect asked for within [`CONNECT_GRACE`] of a request
//!   freeing its slot may be that race: it holds until the grace has passed.
//!   If a pooled connection comes back meanwhile, the request takes it and
//!   the HTTP client moves the pending connect to a task of its own; the gate
//!   sees that it is now polled from another task and gives it up, so no
//!   socket is opened. Otherwise (the pool's connections were closed, e.g.
//!   by the server's idle timeout) the connect goes ahead when the grace
//!   ends, a delay paid only under load and only when a connection is
//!   really replaced.
//! * A connect asked for when no slot was freed within the grace (a quiet
//!   client whose idle connections were closed) goes at once.
//!
//! So the bound holds whenever a connection is back in the pool within
//! [`CONNECT_GRACE`] of its request's end, which on a live process is a
//! matter of microseconds.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;
use tower_service::Service;

/// How long after a request frees its slot a new connection waits for a
/// pooled one to come back (see the module docs).
pub(crate) const CONNECT_GRACE: Duration = Duration::from_millis(50);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The gate's state, shared by the connector layer and the transport.
#[derive(Debug)]
pub(crate) struct ConnectGate {
    bound: usize,
    grace: Duration,
    /// Connects let through so far (never decremented: reqwest does not say
    /// when a connection closes).
    opened: AtomicUsize,
    origin: Instant,
    /// When a request last freed its slot: nanoseconds after `origin`, plus
    /// one; 0 for never.
    last_release: AtomicU64,
}

impl ConnectGate {
    /// A gate for a client of at most `bound` requests in flight.
    pub(crate) fn new(bound: usize, grace: Duration) -> Arc<ConnectGate> {
        Arc::new(ConnectGate {
            bound,
            grace,
            opened: AtomicUsize::new(0),
            origin: Instant::now(),
            last_release: AtomicU64::new(0),
        })
    }

    /// Records that a request has just freed its slot.
    pub(crate) fn released(&self) {
        let since = self.origin.elapsed().as_nanos();
        let at = u64::try_from(since).unwrap_or(u64::MAX - 1) + 1;
        self.last_release.fetch_max(at, Ordering::Relaxed);
    }

    /// Connects let through so far.
    pub(crate) fn opened(&self) -> usize {
        self.opened.load(Ordering::Relaxed)
    }

    /// The layer to give reqwest's `ClientBuilder::connector_layer`.
    pub(crate) fn layer(self: &Arc<Self>) -> GateLayer {
        GateLayer(self.clone())
    }

    /// Until when a connect asked for now holds, if it must (module docs).
    fn hold_until(&self) -> Option<Instant> {
        if self.opened() < self.bound {
            return None;
        }
        let last = self.last_release.load(Ordering::Relaxed);
        let released = self
            .origin
            .checked_add(Duration::from_nanos(last.checked_sub(1)?))?;
        let until = released.checked_add(self.grace)?;
        (until > Instant::now()).then_some(until)
    }
}

/// The connector layer (a `tower` layer over reqwest's connector service).
#[derive(Debug, Clone)]
pub(crate) struct GateLayer(Arc<ConnectGate>);

impl<S> tower_layer::Layer<S> for GateLayer {
    type Service = Gated<S>;

    fn layer(&self, inner: S) -> Gated<S> {
        Gated {
            inner,
            gate: self.0.clone(),
        }
    }
}

/// The connector service behind the gate.
#[derive(Debug, Clone)]
pub(crate) struct Gated<S> {
    inner: S,
    gate: Arc<ConnectGate>,
}

impl<S, R> Service<R> for Gated<S>
where
    S: Service<R, Error = BoxError> + Clone + Send + 'static,
    S::Future: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        // The service polled ready is the one to call; a clone takes its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let gate = self.gate.clone();
        let hold = gate.hold_until();
        // The request's own task asks for the connect; a connect the pool no
        // longer needs is finished from another task (see the module docs).
        let asked_from = tokio::task::try_id();
        Box::pin(async move {
            if let Some(until) = hold {
                let sleep = tokio::time::sleep_until(until);
                let mut sleep = std::pin::pin!(sleep);
                std::future::poll_fn(|cx| {
                    if tokio::task::try_id() != asked_from {
                        return Poll::Ready(Err(not_needed()));
                    }
                    sleep.as_mut().poll(cx).map(Ok)
                })
                .await?;
                tracing::debug!("a new connection after the connect grace");
            }
            gate.opened.fetch_add(1, Ordering::Relaxed);
            inner.call(request).await
        })
    }
}

/// The error of a connect given up because a pooled connection served its
/// request (only the HTTP client's background task sees it).
fn not_needed() -> BoxError {
    "connect given up: a pooled connection came back for its request".into()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use tower_layer::Layer as _;

    use super::*;

    /// A connector that counts the connects it is asked to make.
    #[derive(Clone, Default)]
    struct Counting(Arc<AtomicUsize>);

    impl Service<()> for Counting {
        type Response = ();
        type Error = BoxError;
        type Future = std::future::Ready<Result<(), BoxError>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, (): ()) -> Self::Future {
            self.0.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Ok(()))
        }
    }

    fn gated(bound: usize) -> (Arc<ConnectGate>, Gated<Counting>, Arc<AtomicUsize>) {
        let gate = ConnectGate::new(bound, CONNECT_GRACE);
        let counting = Counting::default();
        let connects = counting.0.clone();
        (gate.clone(), gate.layer().layer(counting), connects)
    }

    #[tokio::test(start_paused = true)]
    async fn below_the_bound_connects_go_at_once_even_right_after_a_release() {
        let (gate, mut service, connects) = gated(2);
        gate.released();
        let started = Instant::now();
        service.call(()).await.unwrap();
        service.call(()).await.unwrap();
        assert_eq!(connects.load(Ordering::SeqCst), 2);
        assert_eq!(gate.opened(), 2);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn at_the_bound_a_connect_right_after_a_release_holds_for_the_grace() {
        let (gate, mut service, connects) = gated(1);
        service.call(()).await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        gate.released();
        tokio::time::sleep(Duration::from_millis(10)).await;
        let started = Instant::now();
        let mut held = std::pin::pin!(service.call(()));
        // Still held 1 ms before the grace ends (40 ms from now), then done.
        assert!(
            tokio::time::timeout(Duration::from_millis(39), held.as_mut())
                .await
                .is_err()
        );
        assert_eq!(connects.load(Ordering::SeqCst), 1);
        held.await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_millis(40));
        assert_eq!(connects.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn at_the_bound_a_connect_long_after_the_last_release_goes_at_once() {
        let (gate, mut service, connects) = gated(1);
        service.call(()).await.unwrap();
        gate.released();
        tokio::time::sleep(CONNECT_GRACE).await;
        let started = Instant::now();
        service.call(()).await.unwrap();
        assert_eq!(started.elapsed(), Duration::ZERO);
        // And with no release ever recorded.
        let (_, mut fresh, fresh_connects) = gated(1);
        fresh.call(()).await.unwrap();
        fresh.call(()).await.unwrap();
        assert_eq!(fresh_connects.load(Ordering::SeqCst), 2);
        assert_eq!(connects.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_held_connect_finished_from_another_task_is_given_up() {
        let (gate, mut service, connects) = gated(1);
        service.call(()).await.unwrap();
        gate.released();
        // Asked for from this task, left pending, then moved to a task of
        // its own: what hyper-util does when a pooled connection wins.
        let mut held = Box::pin(service.call(()));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(held.as_mut().poll(&mut cx).is_pending());
        let outcome = tokio::spawn(held).await.unwrap();
        let error = outcome.unwrap_err();
        assert!(error.to_string().contains("pooled connection"), "{error}");
        assert_eq!(connects.load(Ordering::SeqCst), 1);
        assert_eq!(gate.opened(), 1);
    }
}
