//! `client.wait_for_task(id)`: poll until the task finishes, fails, or the
//! deadline passes.
//!
//! The loop is a small state machine ([`Poller`]): one `advance()` sleeps if it
//! has to, makes a status request and asks the pure
//! [`Policy`](super::policy::Policy) what to do next. The async future, the
//! blocking client, the `on_poll` callback, the [`WatchTask`] stream and the
//! many-task wait are thin drivers around it.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::get::{fetch, validate_task_id};
use super::many::Budget;
use super::policy::{Decision, Policy, PollPolicy};
use crate::client::Client;
use crate::error::{
    CancelledError, Error, InvalidArgumentError, Result, TaskError, TransportError,
};
use crate::models::{Task, TaskStatus};
use crate::transport::Response;

/// Default time between polls.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Default time limit of a wait.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(60);
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

/// A client's defaults for every wait (set on its builder).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct WaitDefaults {
    pub(crate) policy: PollPolicy,
    pub(crate) timeout: Duration,
    pub(crate) poll_attempt_header: bool,
}

impl Default for WaitDefaults {
    fn default() -> Self {
        WaitDefaults {
            policy: PollPolicy::default(),
            timeout: DEFAULT_WAIT_TIMEOUT,
            poll_attempt_header: false,
        }
    }
}

impl WaitDefaults {
    pub(crate) fn validate(&self) -> Result<()> {
        self.policy.validate()?;
        if self.timeout.is_zero() {
            return Err(
                InvalidArgumentError::new("wait_timeout", "must be greater than zero").into(),
            );
        }
        Ok(())
    }
}

/// A wait on a task, returned by [`Client::wait_for_task`]. Adjust it with the
/// builder methods, then `.await` it.
///
/// Resolves to the completed [`Task`], or:
/// * [`Error::Task`] when the task failed;
/// * [`Error::Transport`] with `is_timeout()` at the deadline, when the
///   final poll (sent [`LAST_POLL_BUDGET`] before it) saw the task unfinished
///   or got no answer — neither earlier nor later than the deadline (the task
///   may still be running: wait again on the same id to resume — the error
///   carries the id and the last status seen);
/// * [`Error::Cancelled`] when the wait's [cancellation token](Self::cancel_on)
///   was cancelled (never a timeout);
/// * the poll's own error when it is permanent (400, 401, 403, 404,
///   `unrecoverable`, an undecodable body, DNS/TLS failures), or any poll error
///   with [`abort_on_error(true)`](WaitForTask::abort_on_error);
/// * [`Error::InvalidArgument`] for an empty id, an invalid [`PollPolicy`], a
///   zero timeout, or a deadline already passed — before any request.
///
/// Dropping the future cancels the wait: the request in flight (if any) is
/// abandoned, its connection closed, and no further request is made.
///
/// The output type `T` is [`Task`] for [`Client::wait_for_task`]; waits on the
/// handle of a task-starting operation decode the completed task's result into
/// that operation's result type instead, with the same knobs.
#[must_use = "a wait does nothing until it is awaited"]
pub struct WaitForTask<T = Task> {
    client: Client,
    task_id: String,
    policy: Option<PollPolicy>,
    timeout: Option<Duration>,
    deadline: Option<std::time::Instant>,
    abort_on_error: bool,
    on_poll: Option<OnPoll>,
    cancel: Option<CancellationToken>,
    budget: Option<Arc<Budget>>,
    /// Turns the completed task into the wait's output.
    decode: Decode<T>,
}

impl<T> Clone for WaitForTask<T> {
    fn clone(&self) -> Self {
        WaitForTask {
            client: self.client.clone(),
            task_id: self.task_id.clone(),
            policy: self.policy,
            timeout: self.timeout,
            deadline: self.deadline,
            abort_on_error: self.abort_on_error,
            on_poll: self.on_poll.clone(),
            cancel: self.cancel.clone(),
            budget: self.budget.clone(),
            decode: self.decode,
        }
    }
}

type OnPoll = Arc<dyn Fn(&Observation<'_>) + Send + Sync + 'static>;

/// Turns a completed task into a wait's output.
pub(crate) type Decode<T> = fn(Task) -> Result<T>;

impl<T> std::fmt::Debug for WaitForTask<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitForTask")
            .field("client", &self.client)
            .field("task_id", &self.task_id)
            .field("policy", &self.policy)
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("abort_on_error", &self.abort_on_error)
            .field(
                "on_poll",
                &self.on_poll.as_ref().map(|_| "Fn(&Observation)"),
            )
            .field("cancel", &self.cancel)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Waits for a task to finish, polling `GET /api/v2/tasks/{id}`.
    ///
    /// Polls at once, then every `interval` (default 1 s, or the client's
    /// [`poll_policy`](crate::ClientBuilder::poll_policy)) until the task
    /// completes or fails or the `timeout` (default 60 s, or the client's
    /// [`wait_timeout`](crate::ClientBuilder::wait_timeout)) passes. Transient
    /// poll errors (connection refused or reset, a request cut off by its
    /// timeout, 5xx, 429) do not end the wait; see [`WaitForTask`].
    ///
    /// ```no_run
    /// # async fn demo(client: getstream::Client) -> Result<(), getstream::Error> {
    /// use std::time::Duration;
    /// let task = client
    ///     .wait_for_task("task-id")
    ///     .interval(Duration::from_secs(5))
    ///     .timeout(Duration::from_secs(600))
    ///     .await?;
    /// println!("{:?}", task.result);
    /// # Ok(()) }
    /// ```
    pub fn wait_for_task(&self, task_id: impl Into<String>) -> WaitForTask {
        WaitForTask::typed(self, task_id, Ok)
    }

    /// Watches a task: a [`Stream`](futures::Stream) of
    /// [`WatchEvent`]s, one per poll, ending with the wait's outcome. Same
    /// knobs, defaults and errors as [`wait_for_task`](Self::wait_for_task).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = doc_support::serve(&["waiting", "running", "completed"]).await;
    /// # let client = getstream::Client::builder("api-key", "api-secret").base_url(server.as_str()).build()?;
    /// # tokio::time::pause();
    /// use futures::StreamExt;
    /// use getstream::WatchEvent;
    ///
    /// let mut events = client.watch_task("task-id");
    /// while let Some(event) = events.next().await {
    ///     match event {
    ///         WatchEvent::Polled(seen) => eprintln!(
    ///             "poll {} after {:?}: {}",
    ///             seen.poll(),
    ///             seen.elapsed(),
    ///             seen.status().map_or("no answer".into(), |s| s.to_string()),
    ///         ),
    ///         WatchEvent::Finished(outcome) => {
    ///             let task = outcome?;
    ///             println!("done: {}", task.status);
    ///         }
    ///     }
    /// }
    /// # Ok(()) }
    /// # mod doc_support { include!("../../tests/sdk/doc_server.rs"); }
    /// ```
    pub fn watch_task(&self, task_id: impl Into<String>) -> WatchTask {
        self.wait_for_task(task_id).watch()
    }
}

impl<T> WaitForTask<T> {
    /// A wait whose output is `decode(completed task)`: the typed waits of the
    /// task-starting operations. Every knob applies unchanged; `decode` runs
    /// once, on the completed task (a failed task is an [`Error::Task`] before
    /// it).
    pub(crate) fn typed(
        client: &Client,
        task_id: impl Into<String>,
        decode: fn(Task) -> Result<T>,
    ) -> WaitForTask<T> {
        WaitForTask {
            client: client.clone(),
            task_id: task_id.into(),
            policy: None,
            timeout: None,
            deadline: None,
            abort_on_error: false,
            on_poll: None,
            cancel: None,
            budget: None,
            decode,
        }
    }

    /// The id of the task this wait is on.
    pub fn task_id(&self) -> &str {
        &self.task_id
    }

    /// Time between polls: shorthand for
    /// [`.policy(PollPolicy::fixed(interval))`](Self::policy). Default:
    /// [`DEFAULT_POLL_INTERVAL`] (1 s), or the client's policy. Longer when the
    /// server asks (`Retry-After`, a spent rate-limit window); never past the
    /// deadline. Zero is an [`Error::InvalidArgument`].
    pub fn interval(self, interval: Duration) -> Self {
        self.policy(PollPolicy::fixed(interval))
    }

    /// How long to sleep between polls: fixed, exponential backoff, jitter;
    /// see [`PollPolicy`]. Default: the client's
    /// [`poll_policy`](crate::ClientBuilder::poll_policy) (fixed 1 s unless
    /// changed). An invalid policy is an [`Error::InvalidArgument`] when the
    /// wait starts.
    ///
    /// ```no_run
    /// # async fn demo(client: getstream::Client) -> getstream::Result<()> {
    /// use std::time::Duration;
    /// use getstream::PollPolicy;
    /// let task = client
    ///     .wait_for_task("task-id")
    ///     .policy(PollPolicy::backoff(Duration::from_millis(500), 2.0, Duration::from_secs(10)))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn policy(mut self, policy: PollPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// How long to wait in total, from the first poll. Default:
    /// [`DEFAULT_WAIT_TIMEOUT`] (60 s, or the client's
    /// [`wait_timeout`](crate::ClientBuilder::wait_timeout)) when no
    /// [`deadline`](Self::deadline) is set; with both, the earlier one wins.
    /// Zero is an [`Error::InvalidArgument`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// An absolute deadline instead of (or with) a timeout. A
    /// `std::time::Instant` is the monotonic clock tokio's timers use, so it can
    /// be computed anywhere (`Instant::now() + d`); a deadline already passed is
    /// an [`Error::InvalidArgument`]. On tokio's paused test clock, build it
    /// from `tokio::time::Instant::now().into_std()`.
    pub fn deadline(mut self, deadline: std::time::Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// `true` restores the official SDKs' behaviour: any poll error ends the wait
    /// at once. Default: `false` (transient errors are retried within the
    /// deadline).
    pub fn abort_on_error(mut self, abort: bool) -> Self {
        self.abort_on_error = abort;
        self
    }

    /// Calls `callback` after every poll with what it saw (status or error, poll
    /// number, elapsed time, when the next poll comes), e.g. to show progress.
    /// It runs on the polling task: keep it short and non-blocking.
    ///
    /// ```no_run
    /// # async fn demo(client: getstream::Client) -> getstream::Result<()> {
    /// let task = client
    ///     .wait_for_task("task-id")
    ///     .on_poll(|seen| {
    ///         eprintln!(
    ///             "poll {} at {:.1}s: {}",
    ///             seen.poll(),
    ///             seen.elapsed().as_secs_f64(),
    ///             seen.status().map_or("no answer".to_owned(), |s| s.to_string()),
    ///         )
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn on_poll(mut self, callback: impl Fn(&Observation<'_>) + Send + Sync + 'static) -> Self {
        self.on_poll = Some(Arc::new(callback));
        self
    }

    /// Ends the wait with [`Error::Cancelled`] as soon as `token` is cancelled
    /// (from any task or thread): a sleep is cut short, a request in flight is
    /// abandoned, no further request is made. A token cancelled before the
    /// wait starts ends it before any request. Never reported as a timeout.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = doc_support::serve(&["running"]).await;
    /// # let client = getstream::Client::builder("api-key", "api-secret").base_url(server.as_str()).build()?;
    /// # tokio::time::pause();
    /// use getstream::CancellationToken;
    ///
    /// let token = CancellationToken::new();
    /// let wait = tokio::spawn(client.wait_for_task("task-id").cancel_on(token.clone()).into_future());
    /// // ... later, e.g. on Ctrl-C:
    /// token.cancel();
    /// let error = wait.await?.unwrap_err();
    /// assert!(error.is_cancelled() && !error.is_timeout());
    /// # Ok(()) }
    /// # mod doc_support { include!("../../tests/sdk/doc_server.rs"); }
    /// # use std::future::IntoFuture;
    /// ```
    pub fn cancel_on(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(token);
        self
    }

    /// Watches this wait: a [`Stream`](futures::Stream) of [`WatchEvent`]s,
    /// one per poll, ending with the outcome. See [`Client::watch_task`].
    pub fn watch(self) -> WatchTask<T> {
        WatchTask {
            state: WatchState::Ready(Box::new(self)),
        }
    }

    /// Shares `budget` (a many-task wait's request pacing) with this wait.
    pub(crate) fn with_budget(mut self, budget: Arc<Budget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Checks the knobs and starts the clock.
    pub(crate) fn into_poller(self) -> Result<(Poller, Decode<T>)> {
        validate_task_id(&self.task_id)?;
        let defaults = self.client.wait_defaults;
        let policy = self.policy.unwrap_or(defaults.policy);
        policy.validate()?;
        if self.timeout.is_some_and(|t| t.is_zero()) {
            return Err(InvalidArgumentError::new("timeout", "must be greater than zero").into());
        }
        let started = Instant::now();
        let after = |t: Duration| {
            started
                .checked_add(t)
                .unwrap_or_else(|| far_future(started))
        };
        let deadline = match (self.timeout, self.deadline.map(Instant::from_std)) {
            (_, Some(d)) if d <= started => {
                return Err(InvalidArgumentError::new("deadline", "is already past").into());
            }
            (None, None) => after(defaults.timeout),
            (Some(t), None) => after(t),
            (None, Some(d)) => d,
            (Some(t), Some(d)) => after(t).min(d),
        };
        let span = tracing::info_span!("wait_for_task", task_id = %self.task_id);
        let rng = policy.rng(&self.task_id);
        let poller = Poller {
            client: self.client,
            task_id: self.task_id,
            policy: Policy {
                poll: policy,
                abort_on_error: self.abort_on_error,
            },
            rng,
            started,
            deadline,
            polls: 0,
            last_status: None,
            on_poll: self.on_poll,
            cancel: self.cancel,
            budget: self.budget,
            attempt_header: defaults.poll_attempt_header,
            span,
        };
        Ok((poller, self.decode))
    }
}

/// Polls until the wait is over, then decodes its outcome. (A plain `fn`
/// returning an `async move` block that uses `poller` in place: an `async fn`
/// would keep its argument twice, as the argument and as the moved local.)
#[allow(clippy::manual_async_fn)] // on purpose: see above
fn run_poller<T>(mut poller: Poller, decode: Decode<T>) -> impl Future<Output = Result<T>> {
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

/// About 30 years from `from`: "no deadline" without overflowing the clock.
pub(crate) fn far_future(from: Instant) -> Instant {
    from + Duration::from_secs(86_400 * 365 * 30)
}

impl<T: Send + 'static> IntoFuture for WaitForTask<T> {
    type Output = Result<T>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T>> + Send + 'static>>;

    /// Builds the poller before the future, so that the future does not
    /// also keep the builder's fields (a sleeping wait stays small).
    fn into_future(self) -> Self::IntoFuture {
        match self.into_poller() {
            Ok((poller, decode)) => Box::pin(run_poller(poller, decode)),
            Err(error) => Box::pin(async move { Err(error) }),
        }
    }
}

/// What the loop does after one poll.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // a short-lived return value, never stored
pub(crate) enum Step {
    /// The wait is over (boxed: a `Task` is large, and a `Step` slot is part
    /// of every sleeping wait's state).
    Done(Box<Result<Task>>),
    /// Sleep until this instant, then poll again.
    Sleep {
        until: Instant,
        /// What the poll saw, owned (for [`WatchTask`]).
        seen: Box<Polled>,
    },
}

/// The state of a running wait.
pub(crate) struct Poller {
    client: Client,
    task_id: String,
    policy: Policy,
    rng: fastrand::Rng,
    started: Instant,
    deadline: Instant,
    polls: u32,
    last_status: Option<TaskStatus>,
    on_poll: Option<OnPoll>,
    cancel: Option<CancellationToken>,
    budget: Option<Arc<Budget>>,
    attempt_header: bool,
    span: tracing::Span,
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

/// What one poll of a wait saw; passed to [`WaitForTask::on_poll`].
#[derive(Debug)]
pub struct Observation<'a> {
    task_id: &'a str,
    poll: u32,
    elapsed: Duration,
    outcome: std::result::Result<&'a Task, &'a Error>,
    last_status: Option<&'a TaskStatus>,
    next_poll_in: Option<Duration>,
}

impl Observation<'_> {
    /// The task being waited on.
    pub fn task_id(&self) -> &str {
        self.task_id
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
        self.outcome.ok()
    }

    /// The status this poll saw (`None` if the poll failed).
    pub fn status(&self) -> Option<&TaskStatus> {
        self.task().map(|t| &t.status)
    }

    /// The most recent status seen by any poll of this wait.
    pub fn last_status(&self) -> Option<&TaskStatus> {
        self.last_status
    }

    /// The poll's error, if it failed (the wait may go on: see
    /// [`next_poll_in`](Self::next_poll_in)).
    pub fn error(&self) -> Option<&Error> {
        self.outcome.err()
    }

    /// How long until the next poll; `None` when this poll ends the wait.
    pub fn next_poll_in(&self) -> Option<Duration> {
        self.next_poll_in
    }
}

/// What one poll that did not end the wait saw, owned: an item of a
/// [`WatchTask`] stream.
#[derive(Debug)]
pub struct Polled {
    task_id: String,
    poll: u32,
    elapsed: Duration,
    outcome: std::result::Result<Task, Error>,
    last_status: Option<TaskStatus>,
    next_poll_in: Duration,
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

    /// The poll's error, if it failed; the wait goes on (transient errors only
    /// reach here).
    pub fn error(&self) -> Option<&Error> {
        self.outcome.as_ref().err()
    }

    /// How long until the next poll.
    pub fn next_poll_in(&self) -> Duration {
        self.next_poll_in
    }

    /// The poll's own result: the task, or the (transient) error.
    pub fn into_outcome(self) -> std::result::Result<Task, Error> {
        self.outcome
    }
}

impl Poller {
    /// Sleeps until `sleep_until` (if any), polls once, and decides what next;
    /// a cancelled token turns any of it into `Step::Done(Err(Cancelled))`.
    pub(crate) async fn advance(&mut self, sleep_until: Option<Instant>) -> Step {
        let span = self.span.clone();
        // The work future is built inside each arm, never held in a local: a
        // local moved into an awaited future keeps its own slot in this
        // future's state, doubling what every sleeping wait holds.
        match self.cancel.clone() {
            None => self.sleep_then_poll(sleep_until).instrument(span).await,
            Some(token) => match token
                .run_until_cancelled(self.sleep_then_poll(sleep_until).instrument(span))
                .await
            {
                Some(step) => step,
                None => {
                    let _entered = self.span.enter();
                    tracing::debug!(polls = self.polls, "wait cancelled");
                    Step::Done(Box::new(Err(CancelledError::new(Some(
                        self.task_id.clone(),
                    ))
                    .into())))
                }
            },
        }
    }

    async fn sleep_then_poll(&mut self, sleep_until: Option<Instant>) -> Step {
        if let Some(until) = sleep_until {
            tokio::time::sleep_until(until).await;
        }
        // Boxed: the poll's state (the request, the final wait) lives on the
        // heap only while it runs, so a sleeping wait stays small (thousands
        // of waits at once).
        Box::pin(self.poll()).await
    }

    /// Makes one status request (capped by the deadline) and decides what next:
    /// after a poll ending at `t` whose policy delay gives the next poll at
    /// `n`, sleep until `n` if that is before the final poll slot
    /// ([`LAST_POLL_BUDGET`] before the deadline), else until that slot if `t`
    /// is before it, else give up.
    async fn poll(&mut self) -> Step {
        if let Some(budget) = &self.budget {
            budget.acquire(self.last_poll_at()).await;
        }
        let attempt = self.polls + 1;
        let outcome = fetch(
            &self.client,
            &self.task_id,
            Some(self.deadline),
            self.attempt_header.then_some(attempt),
        )
        .await;
        self.polls = attempt;
        if let Some(budget) = &self.budget {
            budget.observe(&outcome);
        }
        let now = Instant::now();
        // The time left until the final poll slot: zero once it has come, so
        // that a poll ending then (or later) ends the wait.
        let time_left = self.last_poll_at().saturating_duration_since(now);
        let decision = {
            let poll = match &outcome {
                Ok(response) => super::policy::Poll::Task {
                    task: response.body(),
                    rate_limit: response.rate_limit(),
                },
                Err(error) => super::policy::Poll::Error(error),
            };
            let sample = self.rng.f64();
            self.policy
                .decide(poll, attempt, time_left, SystemTime::now(), sample)
        };
        // The policy returns Abort only for errors; should it ever abort on a
        // task, poll again rather than return an unfinished task.
        let decision = match (decision, &outcome) {
            (Decision::Abort, Ok(_)) if time_left.is_zero() => Decision::GiveUp,
            (Decision::Abort, Ok(_)) => {
                Decision::Sleep(self.policy.poll.delay_after(attempt).min(time_left))
            }
            (decision, _) => decision,
        };
        let delay = match decision {
            Decision::Sleep(after) => Some(after),
            _ => None,
        };
        match &outcome {
            Ok(response) => {
                let status = &response.body().status;
                tracing::debug!(attempt, %status, ?delay, ?decision, "polled task");
                self.last_status = Some(status.clone());
            }
            Err(error) => {
                tracing::debug!(attempt, %error, ?delay, ?decision, "poll failed");
            }
        }
        let elapsed = now.saturating_duration_since(self.started);
        if let Some(callback) = &self.on_poll {
            callback(&Observation {
                task_id: &self.task_id,
                poll: attempt,
                elapsed,
                outcome: outcome.as_ref().map(Response::body),
                last_status: self.last_status.as_ref(),
                next_poll_in: delay,
            });
        }
        match (decision, outcome) {
            (Decision::Complete, Ok(response)) => Step::Done(Box::new(Ok(response.into_body()))),
            (Decision::TaskFailed, Ok(response)) => Step::Done(Box::new(Err(
                TaskError::from_task(response.into_body()).into(),
            ))),
            (Decision::Sleep(after), outcome) => Step::Sleep {
                until: now + after,
                seen: Box::new(Polled {
                    task_id: self.task_id.clone(),
                    poll: attempt,
                    elapsed,
                    outcome: outcome.map(Response::into_body),
                    last_status: self.last_status.clone(),
                    next_poll_in: after,
                }),
            },
            (Decision::GiveUp, outcome) => {
                // The final poll was answered before the deadline: the wait
                // still lasts its whole time (giving up early would break the
                // promise the other way), then reports the timeout.
                tokio::time::sleep_until(self.deadline).await;
                Step::Done(Box::new(Err(
                    self.timeout_error(Instant::now(), outcome.err())
                )))
            }
            // Complete/TaskFailed come only with tasks, and Abort on a task is
            // rewritten above; these arms keep the match total without a panic.
            (_, Err(error)) => Step::Done(Box::new(Err(error))),
            (Decision::Abort, Ok(_)) => Step::Done(Box::new(Err(self.timeout_error(now, None)))),
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

/// An event of a [`WatchTask`] stream.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // handed over one at a time, never stored in bulk
pub enum WatchEvent<T = Task> {
    /// A poll that did not end the wait: the status it saw (or the transient
    /// error), the poll number, the elapsed time, when the next poll comes.
    Polled(Polled),
    /// The wait's outcome, exactly what awaiting the wait would return; always
    /// the last item.
    Finished(Result<T>),
}

impl<T> WatchEvent<T> {
    /// The outcome, if this is the last event.
    pub fn into_finished(self) -> Option<Result<T>> {
        match self {
            WatchEvent::Finished(outcome) => Some(outcome),
            WatchEvent::Polled(_) => None,
        }
    }
}

/// A watched wait: a [`Stream`](futures::Stream) of [`WatchEvent`]s, from
/// [`Client::watch_task`] or [`WaitForTask::watch`].
///
/// It yields one [`WatchEvent::Polled`] per poll that does not end the wait,
/// then one [`WatchEvent::Finished`] with the outcome, then `None`. Nothing
/// happens until it is polled; dropping it cancels the wait (no further
/// request), as does the wait's [cancellation token](WaitForTask::cancel_on).
/// Set the knobs on the [`WaitForTask`] before calling
/// [`watch`](WaitForTask::watch), e.g.
/// `client.wait_for_task(id).timeout(d).watch()`.
#[must_use = "streams do nothing unless polled"]
pub struct WatchTask<T = Task> {
    state: WatchState<T>,
}

type StepFuture = Pin<Box<dyn Future<Output = (Poller, Step)> + Send + 'static>>;

enum WatchState<T> {
    Ready(Box<WaitForTask<T>>),
    Running { step: StepFuture, decode: Decode<T> },
    Finished,
}

impl<T> std::fmt::Debug for WatchTask<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            WatchState::Ready(_) => "ready",
            WatchState::Running { .. } => "running",
            WatchState::Finished => "finished",
        };
        f.debug_struct("WatchTask").field("state", &state).finish()
    }
}

fn step_future(mut poller: Poller, sleep: Option<Instant>) -> StepFuture {
    Box::pin(async move {
        let step = poller.advance(sleep).await;
        (poller, step)
    })
}

impl<T> futures::Stream for WatchTask<T> {
    type Item = WatchEvent<T>;

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<WatchEvent<T>>> {
        use std::task::Poll;
        let this = &mut *self;
        loop {
            match std::mem::replace(&mut this.state, WatchState::Finished) {
                WatchState::Finished => return Poll::Ready(None),
                WatchState::Ready(wait) => match wait.into_poller() {
                    Ok((poller, decode)) => {
                        this.state = WatchState::Running {
                            step: step_future(poller, None),
                            decode,
                        };
                    }
                    Err(e) => return Poll::Ready(Some(WatchEvent::Finished(Err(e)))),
                },
                WatchState::Running { mut step, decode } => match step.as_mut().poll(cx) {
                    Poll::Pending => {
                        this.state = WatchState::Running { step, decode };
                        return Poll::Pending;
                    }
                    Poll::Ready((poller, Step::Sleep { until, seen })) => {
                        this.state = WatchState::Running {
                            step: step_future(poller, Some(until)),
                            decode,
                        };
                        return Poll::Ready(Some(WatchEvent::Polled(*seen)));
                    }
                    Poll::Ready((_, Step::Done(result))) => {
                        return Poll::Ready(Some(WatchEvent::Finished((*result).and_then(decode))));
                    }
                },
            }
        }
    }
}
