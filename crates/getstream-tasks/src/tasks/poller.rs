//! The polling loop of a wait: [`Poller`], a small state machine whose
//! `advance()` sleeps if it has to, makes one status request and asks the pure
//! [`Policy`] what to do next, and [`Polled`], what one poll saw.
//!
//! The async future ([`run_poller`]), the blocking client, the `on_poll`
//! callback, the [`WatchTask`](super::watch::WatchTask) stream and the
//! many-task wait are thin drivers around it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::policy::{ErrorDecision, Next, Policy, Push, TaskDecision};
use crate::client::ClientInner;
use crate::error::{CancelledError, Error, Result, TaskError, TransportError};
use crate::events::Subscription;
use crate::models::{Task, TaskStatus};
use crate::sched::Priority;
use crate::transport::Response;

/// The answer window of a wait's final poll: when the next poll would come
/// later than this before the deadline, the final poll is sent this long
/// before it instead, so that a prompt answer is still seen. Every request,
/// that one included, is cut off at the deadline: a wait never ends past its
/// deadline (a server that answers `running` and then stalls yields the
/// timeout error at the deadline itself). When a poll that ends less than this
/// before the deadline sees the task unfinished, no further poll is made and
/// the timeout error comes at the deadline: never before it, never after. A
/// timeout shorter than this still makes its one poll at once.
pub const LAST_POLL_BUDGET: Duration = Duration::from_millis(100);

/// The [`on_poll`](super::builder::WaitForTask::on_poll) callback.
pub(crate) type OnPoll = Arc<dyn Fn(&Polled) + Send + Sync + 'static>;

/// Turns a completed task into a wait's output.
pub(crate) type Decode<T> = fn(Task) -> Result<T>;

/// Events for a wait within this time of the poll an event caused are taken
/// as the same burst: they cause no further poll.
pub(crate) const EVENT_BURST: Duration = Duration::from_millis(50);

/// The shortest time between two polls that events cause for one wait: at
/// most one woken poll per second, however many events come.
pub const MIN_WOKEN_POLL_GAP: Duration = Duration::from_secs(1);

/// What a poll's answer means for the wait.
#[derive(Debug, Clone, Copy)]
enum Then {
    /// The poll's own outcome ends the wait: a completed task, or an error
    /// that is not retried.
    Return,
    /// The task failed: the wait ends with its error.
    Fail,
    /// The wait goes on (or gives up at the deadline).
    Next(Next),
}

/// What a poll's answer leads to.
enum Decided {
    Step(Step),
    /// No time left: sleep until the deadline, then time out (with the
    /// poll's error, if it failed).
    GiveUp(Option<Error>),
}

/// What the loop does after one poll.
#[derive(Debug)]
pub(crate) enum Step {
    /// The wait is over (boxed: a `Task` is large, and a `Step` slot is part
    /// of every sleeping wait's state).
    Done(Box<Result<Task>>),
    /// Sleep until this instant, then poll again.
    Sleep {
        until: Instant,
        /// What the poll saw (for the watch stream).
        seen: Box<Polled>,
    },
}

/// The state of a running wait.
pub(crate) struct Poller {
    /// The client's shared state: its transport and shared polls.
    pub(super) client: Arc<ClientInner>,
    pub(super) task_id: String,
    pub(super) policy: Policy,
    pub(super) rng: fastrand::Rng,
    pub(super) started: Instant,
    pub(super) deadline: Instant,
    pub(super) polls: u32,
    pub(super) last_status: Option<TaskStatus>,
    pub(super) on_poll: Option<OnPoll>,
    pub(super) cancel: Option<CancellationToken>,
    pub(super) attempt_header: bool,
    pub(super) span: tracing::Span,
    /// Pushed events naming this wait cut its sleep short (a client with a
    /// [`TaskEvents`](crate::TaskEvents) hub). Boxed: most waits have none,
    /// and every sleeping wait carries this field.
    pub(super) wake: Option<Box<Listening>>,
}

/// A wait's listening to pushed events.
pub(crate) struct Listening {
    pub(super) subscription: Subscription,
    /// After a poll woken by an event: until when further events are taken
    /// as the same burst (and dropped).
    pub(super) quiet_until: Option<Instant>,
    /// Events do not cut a sleep short before this instant; one that comes
    /// earlier is kept, and the wait polls at this instant (if its sleep
    /// lasts that long). See [`Listening::after_poll`].
    pub(super) events_from: Option<Instant>,
    /// When the last poll an event caused was sent.
    pub(super) last_woken: Option<Instant>,
    /// Whether an event caused a poll that found the task unfinished: from
    /// then on events only bring a poll forward to the schedule's pace.
    pub(super) missed: bool,
}

impl Listening {
    /// Sleeps until `until` or an event for the task, whichever comes
    /// first (true for an event), once the quiet time after the last woken
    /// poll has passed and the events of its burst are dropped.
    async fn sleep_until(&mut self, until: Instant) -> bool {
        if let Some(quiet) = self.quiet_until.take() {
            if quiet < until {
                tokio::time::sleep_until(quiet).await;
            }
            self.subscription.clear();
        }
        if let Some(from) = self.events_from {
            if from >= until {
                tokio::time::sleep_until(until).await;
                return false;
            }
            tokio::time::sleep_until(from).await;
        }
        self.subscription.sleep_until(until).await
    }

    /// Bounds what events can add after a poll that ended at `now`, sent at
    /// `polled_at`, `woken` by an event or not, with the schedule's delay
    /// after it being `schedule_delay`: at most one woken poll per
    /// [`MIN_WOKEN_POLL_GAP`]; and once an event has found the task
    /// unfinished, no poll sooner than the schedule's delay after the last
    /// one, so that no stream of events (genuine, replayed or forged) makes a
    /// wait poll faster than its own schedule.
    fn after_poll(
        &mut self,
        woken: bool,
        polled_at: Instant,
        now: Instant,
        schedule_delay: Duration,
    ) {
        if woken {
            self.last_woken = Some(polled_at);
            self.missed = true;
        }
        let gap = self.last_woken.map(|at| at + MIN_WOKEN_POLL_GAP);
        let pace = self.missed.then(|| now + schedule_delay);
        self.events_from = gap.max(pace);
    }
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("task_id", &self.task_id)
            .field("polls", &self.polls)
            .field("last_status", &self.last_status)
            .finish_non_exhaustive()
    }
}

/// What one poll of a wait saw: passed to [`WaitForTask::on_poll`], and the
/// item of a [`WatchEvent::Polled`].
///
/// [`WaitForTask::on_poll`]: super::builder::WaitForTask::on_poll
/// [`WatchEvent::Polled`]: super::watch::WatchEvent::Polled
#[derive(Debug)]
pub struct Polled {
    task_id: String,
    poll: u32,
    elapsed: Duration,
    outcome: std::result::Result<Task, Error>,
    last_status: Option<TaskStatus>,
    next_poll_in: Option<Duration>,
}

impl Polled {
    /// The task being waited on.
    pub fn task_id(&self) -> &str {
        &self.task_id
    }

    /// The poll's number, from 1.
    pub fn poll(&self) -> u32 {
        self.poll
    }

    /// Time since the wait started, when the poll was answered.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The task as this poll saw it (`None` if the poll failed).
    pub fn task(&self) -> Option<&Task> {
        self.outcome.as_ref().ok()
    }

    /// The status this poll saw (`None` if the poll failed).
    pub fn status(&self) -> Option<&TaskStatus> {
        self.task().map(|t| &t.status)
    }

    /// The most recent status seen by any poll of this wait (survives a
    /// failed poll).
    pub fn last_status(&self) -> Option<&TaskStatus> {
        self.last_status.as_ref()
    }

    /// The poll's error, if it failed (the wait may go on: see
    /// [`next_poll_in`](Self::next_poll_in)).
    pub fn error(&self) -> Option<&Error> {
        self.outcome.as_ref().err()
    }

    /// How long until the next poll; `None` when this poll ends the wait
    /// (never for the polls a [`WatchTask`](super::watch::WatchTask) yields).
    pub fn next_poll_in(&self) -> Option<Duration> {
        self.next_poll_in
    }

    /// The poll's own result: the task, or the error.
    pub fn into_outcome(self) -> std::result::Result<Task, Error> {
        self.outcome
    }
}

impl Poller {
    /// Sleeps until `sleep_until` (if any), polls once, and decides what next;
    /// a cancelled token turns any of it into `Step::Done(Err(Cancelled))`.
    pub(crate) async fn advance(&mut self, sleep_until: Option<Instant>) -> Step {
        // The work future is built inside each arm, never held in a local: a
        // local moved into an awaited future keeps its own slot in this
        // future's state, doubling what every sleeping wait holds.
        match self.cancel.clone() {
            None => self.sleep_then_poll(sleep_until).await,
            Some(token) => {
                // Not `token.run_until_cancelled(work)`: that future keeps
                // `work` twice (its argument and its pinned copy), some
                // 300 bytes more in every sleeping wait. Cancellation is
                // polled first, as there. Boxed, so that the waits without
                // a token do not carry this arm's larger state.
                let step = Box::pin(async {
                    let cancelled = std::pin::pin!(token.cancelled());
                    let work = std::pin::pin!(self.sleep_then_poll(sleep_until));
                    match futures_util::future::select(cancelled, work).await {
                        futures_util::future::Either::Left(_) => None,
                        futures_util::future::Either::Right((step, _)) => Some(step),
                    }
                })
                .await;
                match step {
                    Some(step) => step,
                    None => {
                        let _entered = self.span.enter();
                        tracing::debug!(polls = self.polls, "wait cancelled");
                        Step::Done(Box::new(Err(CancelledError::new(Some(
                            self.task_id.clone(),
                        ))
                        .into())))
                    }
                }
            }
        }
    }

    async fn sleep_then_poll(&mut self, sleep_until: Option<Instant>) -> Step {
        let woken = match (sleep_until, self.wake.as_deref_mut()) {
            (None, _) => false,
            (Some(until), None) => {
                tokio::time::sleep_until(until).await;
                false
            }
            // Boxed: the waits without push do not carry its state.
            (Some(until), Some(listening)) => Box::pin(listening.sleep_until(until)).await,
        };
        let polled_at = Instant::now();
        if woken {
            let _entered = self.span.enter();
            tracing::debug!(polls = self.polls, "woken by a pushed event");
        }
        let push = match (&self.wake, woken) {
            (None, _) => Push::Off,
            (Some(_), false) => Push::Listening,
            (Some(_), true) => Push::Woken,
        };
        // Boxed: the poll's state (the request, the final wait) lives on the
        // heap only while it runs, so a sleeping wait stays small (thousands
        // of waits at once). The wait's span covers its polls; a sleeping
        // wait holds no instrumented copy of it.
        let span = self.span.clone();
        let step = Box::pin(self.poll(push).instrument(span)).await;
        let schedule_delay = self.policy.poll.delay_after(self.polls);
        if let Some(listening) = self.wake.as_deref_mut() {
            let now = Instant::now();
            if woken {
                // Events that come while this poll runs, or soon after it
                // started, are the burst that woke it (duplicates, SQS and
                // webhook both): the poll has answered them.
                listening.quiet_until = Some(now.max(polled_at + EVENT_BURST));
            }
            listening.after_poll(woken, polled_at, now, schedule_delay);
        }
        step
    }

    /// Makes one status request (capped by the deadline) and decides what next:
    /// after a poll ending at `t` whose policy delay gives the next poll at
    /// `n`, sleep until `n` if that is before the final poll slot
    /// ([`LAST_POLL_BUDGET`] before the deadline), else until that slot if `t`
    /// is before it, else give up.
    async fn poll(&mut self, push: Push) -> Step {
        let attempt = self.polls + 1;
        // Through the client's scheduler, sharing the request with any other
        // wait on this task id that polls now.
        let priority = Priority {
            polls: self.polls,
            final_at: Some(self.last_poll_at()),
        };
        let outcome = self
            .client
            .shared_polls
            .poll(
                &self.client.transport,
                &self.task_id,
                self.deadline,
                self.attempt_header.then_some(attempt),
                priority,
            )
            .await;
        // Decided in a plain function: its locals (the answer, what the
        // poll saw) are not kept in this future's state, which every queued
        // poll holds.
        match self.after_poll(outcome, attempt, push) {
            Decided::Step(step) => step,
            Decided::GiveUp(last_error) => {
                // The final poll was answered before the deadline: the wait
                // still lasts its whole time (giving up early would break the
                // promise the other way), then reports the timeout.
                tokio::time::sleep_until(self.deadline).await;
                Step::Done(Box::new(
                    Err(self.timeout_error(Instant::now(), last_error)),
                ))
            }
        }
    }

    /// What follows a poll's `outcome`: the policy's decision, the
    /// `on_poll` callback, the step.
    fn after_poll(&mut self, outcome: Result<Response<Task>>, attempt: u32, push: Push) -> Decided {
        self.polls = attempt;
        let now = Instant::now();
        // The time left until the final poll slot: zero once it has come, so
        // that a poll ending then (or later) ends the wait.
        let time_left = self.last_poll_at().saturating_duration_since(now);
        let wall = self.client.transport.clock().now();
        let sample = self.rng.f64();
        let then = match &outcome {
            Ok(response) => {
                let task = response.body();
                self.last_status = Some(task.status.clone());
                let decision = self.policy.on_task(
                    task,
                    response.rate_limit(),
                    attempt,
                    push,
                    time_left,
                    wall,
                    sample,
                );
                match decision {
                    TaskDecision::Complete => Then::Return,
                    TaskDecision::Failed => Then::Fail,
                    TaskDecision::Next(next) => Then::Next(next),
                }
            }
            Err(error) => {
                match self
                    .policy
                    .on_error(error, attempt, time_left, wall, sample)
                {
                    ErrorDecision::Abort => Then::Return,
                    ErrorDecision::Next(next) => Then::Next(next),
                }
            }
        };
        let next_poll_in = match then {
            Then::Next(Next::Sleep(after)) => Some(after),
            _ => None,
        };
        match &outcome {
            Ok(response) => {
                let status = &response.body().status;
                tracing::debug!(attempt, %status, delay = ?next_poll_in, ?then, "polled task");
            }
            Err(error) => {
                tracing::debug!(attempt, %error, delay = ?next_poll_in, ?then, "poll failed")
            }
        }
        let seen = Polled {
            task_id: self.task_id.clone(),
            poll: attempt,
            elapsed: now.saturating_duration_since(self.started),
            outcome: outcome.map(Response::into_body),
            last_status: self.last_status.clone(),
            next_poll_in,
        };
        if let Some(callback) = &self.on_poll {
            callback(&seen);
        }
        match then {
            Then::Return => Decided::Step(Step::Done(Box::new(seen.outcome))),
            Then::Fail => Decided::Step(Step::Done(Box::new(
                seen.outcome
                    .and_then(|task| Err(TaskError::from_task(task).into())),
            ))),
            Then::Next(Next::Sleep(after)) => Decided::Step(Step::Sleep {
                until: now + after,
                seen: Box::new(seen),
            }),
            Then::Next(Next::GiveUp) => Decided::GiveUp(seen.into_outcome().err()),
        }
    }

    /// When the final poll is sent: [`LAST_POLL_BUDGET`] before the deadline
    /// (the start, for a timeout shorter than that).
    fn last_poll_at(&self) -> Instant {
        self.deadline
            .checked_sub(LAST_POLL_BUDGET)
            .unwrap_or(self.started)
            .max(self.started)
    }

    fn timeout_error(&self, now: Instant, last_error: Option<Error>) -> Error {
        TransportError::wait_timeout(
            &self.task_id,
            self.last_status.clone(),
            self.polls,
            now.saturating_duration_since(self.started),
            last_error,
        )
        .into()
    }
}

/// Polls until the wait is over, then decodes its outcome. (A plain `fn`
/// returning an `async move` block that uses `poller` in place: an `async fn`
/// would keep its argument twice, as the argument and as the moved local.)
#[allow(clippy::manual_async_fn)] // on purpose: see above
pub(super) fn run_poller<T>(
    mut poller: Poller,
    decode: Decode<T>,
) -> impl Future<Output = Result<T>> {
    async move {
        let mut sleep = None;
        loop {
            match poller.advance(sleep.take()).await {
                Step::Done(result) => return decode((*result)?),
                Step::Sleep { until, .. } => sleep = Some(until),
            }
        }
    }
}
