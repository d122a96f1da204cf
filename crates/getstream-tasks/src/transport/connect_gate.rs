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
//! The same race has a larger cousin. Timers fire together after the
//! process was descheduled for a few milliseconds, so a client whose
//! requests take a millisecond each can find a dozen of them admitted at
//! once, with one idle connection. Opening a connection for each costs some
//! 36 KiB of heap apiece on this side (hyper's read and write buffers and
//! its dispatch channel), a burst of handshakes on the server's, and the
//! connections then sit idle in the pool; yet the one busy connection would
//! have served them all within those same few milliseconds.
//!
//! reqwest cannot wrap its connections, so the gate cannot count the ones
//! alive. It works from what it can see instead: the requests in flight, the
//! connects under way, and how long requests take. A connect holds (for at
//! most [`CONNECT_GRACE`]) when a connection is likely to come back first:
//!
//! * **Reuse first, for polls.** The connect is for a wait's poll (not its
//!   final one: a poll is not late by a few milliseconds within its
//!   interval, while the application's own calls never pay this), some
//!   connections are busy, and they can serve this poll and the polls
//!   already holding within the grace: `(held + 1) × typical ≤ grace ×
//!   busy`. `busy` counts the requests in flight that are not themselves
//!   waiting for a connect, plus one if a request ended within the grace
//!   (its connection is on its way back to the pool). `typical` is a
//!   moving average of the time of requests that found a pooled connection
//!   (holding for one included), from admission to the end of the body.
//!   Polls that wait behind busy connections take longer, which raises
//!   `typical`: fewer polls hold, and the pool grows to the load; a held
//!   connect also goes ahead when the grace ends. Until a request has found
//!   a pooled connection, the first request's time (with its connect)
//!   stands in; before any, connects go at once.
//! * **The race.** Once the client has opened `bound` connections, a connect
//!   asked for within the grace of a request freeing its slot may be the
//!   race above: it holds until the grace has passed.
//!
//! If a pooled connection comes back meanwhile, the request takes it and
//! the HTTP client moves the pending connect to a task of its own; the gate
//! sees that it is now polled from another task and gives it up, so no
//! socket is opened. Otherwise (the connections were closed, e.g. by the
//! server's idle timeout, or the busy ones took longer than the grace) the
//! connect goes ahead when the grace ends, a delay paid only under load.
//! A connect asked for when nothing else is in flight and no slot was freed
//! within the grace (a quiet client whose idle connections were closed)
//! goes at once.
//!
//! So the bound holds whenever a connection is back in the pool within
//! [`CONNECT_GRACE`] of its request's end, which on a live process is a
//! matter of microseconds.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;
use tower_service::Service;

/// The longest a connect holds for a busy connection to come back to the
/// pool (see the module docs).
pub(crate) const CONNECT_GRACE: Duration = Duration::from_millis(50);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

tokio::task_local! {
    /// The exchange of a request in flight, as the connector (called from
    /// the request's own task, without the request) sees it.
    pub(crate) static EXCHANGE: Exchange;
}

/// What the gate knows of the request whose exchange asks for a connect.
#[derive(Debug, Default)]
pub(crate) struct Exchange {
    /// The request may wait for a busy connection rather than open one (a
    /// wait's poll).
    patient: bool,
    /// A connect went ahead for it: its time is not a connection's service
    /// time.
    connected: std::cell::Cell<bool>,
}

impl Exchange {
    /// The exchange of a request, `patient` for a wait's poll.
    pub(crate) fn new(patient: bool) -> Exchange {
        Exchange {
            patient,
            ..Exchange::default()
        }
    }

    /// Whether a connect went ahead for the exchange running now.
    pub(crate) fn connected() -> bool {
        EXCHANGE
            .try_with(|exchange| exchange.connected.get())
            .unwrap_or(false)
    }
}

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
    /// Requests admitted and not finished yet.
    in_flight: AtomicUsize,
    /// Connects asked for and not done yet (held or under way).
    connecting: AtomicUsize,
    /// Of those, the ones holding for a busy connection to come back.
    held: AtomicUsize,
    /// How long a busy connection takes to come back, in nanoseconds: a
    /// moving average of the time of requests that did not open a
    /// connection, from their admission (holds included) to the end of the
    /// body. Until one of those ends, the first request's time stands in;
    /// 0 until a request has finished.
    typical: AtomicU64,
    /// `typical` is a request's time that included opening a connection.
    stand_in: AtomicBool,
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
            in_flight: AtomicUsize::new(0),
            connecting: AtomicUsize::new(0),
            held: AtomicUsize::new(0),
            typical: AtomicU64::new(0),
            stand_in: AtomicBool::new(false),
        })
    }

    /// Records that a request was admitted; the guard records its end (and
    /// frees nothing else: the scheduler's permit is separate). A request
    /// cancelled before [`InFlight::ended`] leaves no sample.
    pub(crate) fn admitted(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight {
            gate: self.clone(),
            since: Instant::now(),
            connected: None,
        }
    }

    /// Records that a request has just freed its slot.
    fn released(&self) {
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

    /// Folds the time of a request that found a pooled connection into the
    /// moving average (weight 1/8; the first one replaces a stand-in).
    fn took(&self, took: Duration) {
        let took = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX).max(1);
        // Updates racing each other may lose one sample: an average.
        let old = self.typical.load(Ordering::Relaxed);
        let new = if old == 0 || self.stand_in.swap(false, Ordering::Relaxed) {
            took
        } else {
            old - old / 8 + took / 8
        };
        self.typical.store(new, Ordering::Relaxed);
    }

    /// Until a request has found a pooled connection, the time of one that
    /// opened a connection stands in (an overestimate: fewer connects hold).
    fn took_with_connect(&self, took: Duration) {
        let took = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX).max(1);
        if self
            .typical
            .compare_exchange(0, took, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            self.stand_in.store(true, Ordering::Relaxed);
        }
    }

    /// Until when a connect asked for now holds, if it must (module docs):
    /// `patient` for a wait's poll. Called before this connect counts itself
    /// as connecting.
    fn hold_until(&self, patient: bool) -> Option<Instant> {
        let now = Instant::now();
        // A connection whose request freed its slot within the grace is on
        // its way back to the pool (unless it was closed).
        let released_until = self
            .last_release
            .load(Ordering::Relaxed)
            .checked_sub(1)
            .and_then(|nanos| self.origin.checked_add(Duration::from_nanos(nanos)))
            .and_then(|released| released.checked_add(self.grace))
            .filter(|&until| until > now);
        let busy = self
            .in_flight
            .load(Ordering::Relaxed)
            .saturating_sub(1 + self.connecting.load(Ordering::Relaxed))
            + usize::from(released_until.is_some());
        let typical = u128::from(self.typical.load(Ordering::Relaxed));
        let held = self.held.load(Ordering::Relaxed) as u128;
        let served_in_time = typical != 0
            && (held + 1).saturating_mul(typical)
                <= self.grace.as_nanos().saturating_mul(busy as u128);
        if patient && busy > 0 && served_in_time {
            return now.checked_add(self.grace);
        }
        if self.opened() < self.bound {
            return None;
        }
        released_until
    }
}

/// A request in flight, as the gate counts it; dropped when the request
/// ends (or is cancelled).
#[derive(Debug)]
pub(crate) struct InFlight {
    gate: Arc<ConnectGate>,
    since: Instant,
    /// Set when the request ended: whether a connect went ahead for it.
    connected: Option<bool>,
}

impl InFlight {
    /// The request ended; `connected` if a connect went ahead for it.
    pub(crate) fn ended(mut self, connected: bool) {
        self.connected = Some(connected);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        // A request's time from its admission, holds included: when polls
        // queue behind busy connections, the estimate grows and fewer
        // hold, which is how the pool grows to the load. A cancelled
        // request is no sample.
        let took = self.since.elapsed();
        match self.connected {
            Some(false) => self.gate.took(took),
            Some(true) => self.gate.took_with_connect(took),
            None => {}
        }
        self.gate.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.gate.released();
    }
}

/// A connect counted as under way (and as held, while it holds) until
/// dropped.
struct Connecting {
    gate: Arc<ConnectGate>,
    holding: bool,
}

impl Connecting {
    fn new(gate: &Arc<ConnectGate>, holding: bool) -> Connecting {
        gate.connecting.fetch_add(1, Ordering::Relaxed);
        if holding {
            gate.held.fetch_add(1, Ordering::Relaxed);
        }
        Connecting {
            gate: gate.clone(),
            holding,
        }
    }

    /// The hold is over: the connect goes ahead.
    fn hold_ended(&mut self) {
        if std::mem::take(&mut self.holding) {
            self.gate.held.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Drop for Connecting {
    fn drop(&mut self) {
        self.hold_ended();
        self.gate.connecting.fetch_sub(1, Ordering::Relaxed);
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
        let patient = EXCHANGE
            .try_with(|exchange| exchange.patient)
            .unwrap_or(false);
        let hold = gate.hold_until(patient);
        let mut connecting = Connecting::new(&gate, hold.is_some());
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
                connecting.hold_ended();
                tracing::debug!("a new connection after the connect grace");
            }
            gate.opened.fetch_add(1, Ordering::Relaxed);
            // Polled from the request's own task, until given up.
            let _ = EXCHANGE.try_with(|exchange| exchange.connected.set(true));
            let connected = inner.call(request).await;
            drop(connecting);
            connected
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

    /// Folds one request of `took` into the gate's average (a request that
    /// found a pooled connection).
    async fn finished_request(gate: &Arc<ConnectGate>, took: Duration) {
        let request = gate.admitted();
        tokio::time::sleep(took).await;
        request.ended(false);
    }

    /// A gate whose client has opened one connection and seen a request of
    /// 2 ms on it, which ended a grace ago.
    async fn warm_gate() -> (Arc<ConnectGate>, Gated<Counting>, Arc<AtomicUsize>) {
        let (gate, mut service, connects) = gated(32);
        service.call(()).await.unwrap();
        finished_request(&gate, Duration::from_millis(2)).await;
        tokio::time::sleep(CONNECT_GRACE).await;
        (gate, service, connects)
    }

    /// A connect asked for from a wait's poll (`patient`) or an application
    /// call: the connector is called inside the exchange, as the HTTP
    /// client calls it.
    fn connect_from(
        service: &Gated<Counting>,
        patient: bool,
    ) -> Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>> {
        let mut service = service.clone();
        Box::pin(EXCHANGE.scope(
            Exchange::new(patient),
            async move { service.call(()).await },
        ))
    }

    /// Asks for a connect as [`connect_from`] does, and returns how long it
    /// held.
    async fn connect_as(service: &Gated<Counting>, patient: bool) -> Duration {
        let started = Instant::now();
        connect_from(service, patient).await.unwrap();
        started.elapsed()
    }

    /// Polls a connect once, from this task: it holds.
    fn start_holding(connect: &mut Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>) {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(connect.as_mut().poll(&mut cx).is_pending());
    }

    #[tokio::test(start_paused = true)]
    async fn a_poll_waits_for_a_busy_connection_when_requests_are_short() {
        let (gate, service, connects) = warm_gate().await;
        // One request on the connection, and this poll's own.
        let _busy = gate.admitted();
        let _this = gate.admitted();
        // No busy connection came back: the connect goes when the grace ends.
        assert_eq!(connect_as(&service, true).await, CONNECT_GRACE);
        assert_eq!(connects.load(Ordering::SeqCst), 2);
        // The application's own call connects at once.
        assert_eq!(connect_as(&service, false).await, Duration::ZERO);
        assert_eq!(connects.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_poll_waits_for_the_connection_of_a_request_that_just_ended() {
        let (gate, service, connects) = gated(32);
        finished_request(&gate, Duration::from_millis(2)).await;
        // Nothing else in flight, but a request ended 10 ms ago: its
        // connection is on its way back to the pool.
        tokio::time::sleep(Duration::from_millis(10)).await;
        let _this = gate.admitted();
        assert_eq!(connect_as(&service, true).await, CONNECT_GRACE);
        // Not so an application call (below the bound).
        assert_eq!(connect_as(&service, false).await, Duration::ZERO);
        assert_eq!(connects.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_held_poll_connect_is_given_up_when_a_busy_connection_comes_back() {
        let (gate, service, connects) = warm_gate().await;
        let busy = gate.admitted();
        let _this = gate.admitted();
        let mut held = connect_from(&service, true);
        start_holding(&mut held);
        assert_eq!(gate.held.load(Ordering::SeqCst), 1);
        busy.ended(false);
        // The pooled connection served the poll: the HTTP client finishes
        // the connect from a task of its own.
        tokio::time::sleep(Duration::from_millis(7)).await;
        let error = tokio::spawn(held).await.unwrap().unwrap_err();
        assert!(error.to_string().contains("pooled connection"), "{error}");
        assert_eq!(connects.load(Ordering::SeqCst), 1);
        assert_eq!(gate.held.load(Ordering::SeqCst), 0);
        assert_eq!(gate.connecting.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_poll_connects_at_once_when_no_connection_can_serve_it_within_the_grace() {
        let (gate, mut service, connects) = gated(32);
        service.call(()).await.unwrap();
        // Not known yet how long requests take: at once.
        let _busy = gate.admitted();
        let _this = gate.admitted();
        assert_eq!(connect_as(&service, true).await, Duration::ZERO);
        // Requests of 20 ms: one busy connection serves two polls within
        // the 50 ms grace, not three.
        finished_request(&gate, Duration::from_millis(20)).await;
        tokio::time::sleep(CONNECT_GRACE).await;
        let mut first = connect_from(&service, true);
        start_holding(&mut first);
        let _next = gate.admitted();
        let mut second = connect_from(&service, true);
        start_holding(&mut second);
        let _third = gate.admitted();
        assert_eq!(connect_as(&service, true).await, Duration::ZERO);
        assert_eq!(gate.held.load(Ordering::SeqCst), 2);
        assert_eq!(connects.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_poll_connects_at_once_when_the_others_in_flight_wait_for_connects_too() {
        let (gate, service, connects) = warm_gate().await;
        // Another poll holds for the one busy connection, which then
        // closes with its request (ended, never back in the pool).
        let busy = gate.admitted();
        let _other = gate.admitted();
        let mut other = connect_from(&service, true);
        start_holding(&mut other);
        busy.ended(false);
        tokio::time::sleep(CONNECT_GRACE).await;
        // The only other request in flight is itself connecting, and no
        // request ended within the grace: nothing will come back for this
        // one.
        let _this = gate.admitted();
        assert_eq!(connect_as(&service, true).await, Duration::ZERO);
        assert_eq!(connects.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn requests_that_opened_a_connection_stand_in_only_until_others_end() {
        let (gate, ..) = gated(4);
        let cancelled = gate.admitted();
        tokio::time::sleep(Duration::from_millis(30)).await;
        drop(cancelled);
        assert_eq!(gate.typical.load(Ordering::SeqCst), 0);
        assert_eq!(gate.in_flight.load(Ordering::SeqCst), 0);
        // The first request's time, though it opened a connection.
        let opened_one = gate.admitted();
        tokio::time::sleep(Duration::from_millis(24)).await;
        opened_one.ended(true);
        assert_eq!(gate.typical.load(Ordering::SeqCst), 24_000_000);
        // Replaced by the first request that found a pooled connection,
        // then averaged.
        finished_request(&gate, Duration::from_millis(8)).await;
        assert_eq!(gate.typical.load(Ordering::SeqCst), 8_000_000);
        finished_request(&gate, Duration::from_millis(16)).await;
        assert_eq!(gate.typical.load(Ordering::SeqCst), 9_000_000);
        // Later ones that opened a connection are no samples.
        let opened_another = gate.admitted();
        tokio::time::sleep(Duration::from_millis(30)).await;
        opened_another.ended(true);
        assert_eq!(gate.typical.load(Ordering::SeqCst), 9_000_000);
        assert_eq!(gate.in_flight.load(Ordering::SeqCst), 0);
    }
}
