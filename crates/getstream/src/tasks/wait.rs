//! `client.wait_for_task(id)`: poll until the task finishes, fails, or the
//! deadline passes.
//!
//! The loop is a small state machine ([`Poller`]): one `poll()` makes a status
//! request and asks the pure [`Policy`](super::policy::Policy) what to do next.
//! The async future, the blocking client, and later a progress callback or a
//! `Stream` of observations are thin drivers around it.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::get::{fetch, validate_task_id};
use super::policy::{Decision, Policy, Poll};
use crate::client::Client;
use crate::error::{Error, InvalidArgumentError, Result, TaskError, TransportError};
use crate::models::{Task, TaskStatus};
use crate::transport::Response;

/// Default time between polls.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Default time limit of a wait.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(60);
/// The answer window of the last poll, made at the deadline: a wait can end at
/// most this much after its deadline, and only when the server stalls on
/// exactly that last poll. Every earlier request is cut off at the deadline.
pub const LAST_POLL_BUDGET: Duration = Duration::from_millis(100);

/// A wait on a task, returned by [`Client::wait_for_task`]. Adjust it with the
/// builder methods, then `.await` it.
///
/// Resolves to the completed [`Task`], or:
/// * [`Error::Task`] when the task failed;
/// * [`Error::Transport`] with `is_timeout()` when the deadline passed (the
///   task may still be running: wait again on the same id to resume);
/// * the poll's own error when it is permanent (400, 401, 403, 404,
///   `unrecoverable`, an undecodable body, DNS/TLS failures), or any poll error
///   with [`abort_on_error(true)`](WaitForTask::abort_on_error);
/// * [`Error::InvalidArgument`] for an empty id, a zero interval or timeout, or a
///   deadline already passed — before any request.
///
/// Dropping the future cancels the wait.
///
/// The output type `T` is [`Task`] for [`Client::wait_for_task`]; waits on the
/// handle of a task-starting operation decode the completed task's result into
/// that operation's result type instead, with the same knobs.
#[must_use = "a wait does nothing until it is awaited"]
pub struct WaitForTask<T = Task> {
    client: Client,
    task_id: String,
    interval: Duration,
    timeout: Option<Duration>,
    deadline: Option<std::time::Instant>,
    abort_on_error: bool,
    on_poll: Option<OnPoll>,
    /// Turns the completed task into the wait's output.
    decode: fn(Task) -> Result<T>,
}

impl<T> Clone for WaitForTask<T> {
    fn clone(&self) -> Self {
        WaitForTask {
            client: self.client.clone(),
            task_id: self.task_id.clone(),
            interval: self.interval,
            timeout: self.timeout,
            deadline: self.deadline,
            abort_on_error: self.abort_on_error,
            on_poll: self.on_poll.clone(),
            decode: self.decode,
        }
    }
}

type OnPoll = Arc<dyn Fn(&Observation<'_>) + Send + Sync + 'static>;

impl<T> std::fmt::Debug for WaitForTask<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitForTask")
            .field("client", &self.client)
            .field("task_id", &self.task_id)
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("abort_on_error", &self.abort_on_error)
            .field(
                "on_poll",
                &self.on_poll.as_ref().map(|_| "Fn(&Observation)"),
            )
            .finish()
    }
}

impl Client {
    /// Waits for a task to finish, polling `GET /api/v2/tasks/{id}`.
    ///
    /// Polls at once, then every `interval` (default 1 s) until the task
    /// completes or fails or the `timeout` (default 60 s) passes. Transient poll
    /// errors (connection refused or reset, a request cut off by its timeout,
    /// 5xx, 429) do not end the wait; see [`WaitForTask`].
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
            interval: DEFAULT_POLL_INTERVAL,
            timeout: None,
            deadline: None,
            abort_on_error: false,
            on_poll: None,
            decode,
        }
    }

    /// The id of the task this wait is on.
    pub fn task_id(&self) -> &str {
        &self.task_id
    }

    /// Time between polls. Default: [`DEFAULT_POLL_INTERVAL`] (1 s). Longer
    /// when the server asks (`Retry-After`, a spent rate-limit window); never
    /// past the deadline. Zero is an [`Error::InvalidArgument`].
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// How long to wait in total, from the first poll. Default:
    /// [`DEFAULT_WAIT_TIMEOUT`] (60 s) when no [`deadline`](Self::deadline) is
    /// set; with both, the earlier one wins. Zero is an
    /// [`Error::InvalidArgument`].
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

    /// Checks the knobs and starts the clock.
    pub(crate) fn into_poller(self) -> Result<Poller> {
        validate_task_id(&self.task_id)?;
        if self.interval.is_zero() {
            return Err(InvalidArgumentError::new("interval", "must be greater than zero").into());
        }
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
            (None, None) => after(DEFAULT_WAIT_TIMEOUT),
            (Some(t), None) => after(t),
            (None, Some(d)) => d,
            (Some(t), Some(d)) => after(t).min(d),
        };
        Ok(Poller {
            client: self.client,
            task_id: self.task_id,
            policy: Policy {
                interval: self.interval,
                abort_on_error: self.abort_on_error,
            },
            started,
            deadline,
            polls: 0,
            last_status: None,
            on_poll: self.on_poll,
        })
    }

    /// Runs the wait to its end.
    async fn run(self) -> Result<T> {
        let decode = self.decode;
        let mut poller = self.into_poller()?;
        let task = loop {
            match poller.poll().await {
                Step::Done(result) => break result?,
                Step::Sleep(until) => tokio::time::sleep_until(until).await,
            }
        };
        decode(task)
    }
}

/// About 30 years from `from`: "no deadline" without overflowing the clock.
pub(crate) fn far_future(from: Instant) -> Instant {
    from + Duration::from_secs(86_400 * 365 * 30)
}

impl<T: Send + 'static> IntoFuture for WaitForTask<T> {
    type Output = Result<T>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T>> + Send + 'static>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// What the loop does after one poll.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // a short-lived return value, never stored
pub(crate) enum Step {
    /// The wait is over.
    Done(Result<Task>),
    /// Sleep until this instant, then poll again.
    Sleep(Instant),
}

/// The state of a running wait.
pub(crate) struct Poller {
    client: Client,
    task_id: String,
    policy: Policy,
    started: Instant,
    deadline: Instant,
    polls: u32,
    last_status: Option<TaskStatus>,
    on_poll: Option<OnPoll>,
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

impl Poller {
    /// Makes one status request (capped by the deadline) and decides what next.
    pub(crate) async fn poll(&mut self) -> Step {
        // Polls before the deadline are capped by it; the last poll, made at the
        // deadline, gets a short window to be answered.
        let budget = if Instant::now() >= self.deadline {
            LAST_POLL_BUDGET
        } else {
            Duration::ZERO
        };
        let outcome = fetch(&self.client, &self.task_id, Some(self.deadline), budget).await;
        self.polls += 1;
        let now = Instant::now();
        let time_left = self.deadline.saturating_duration_since(now);
        let decision = {
            let poll = match &outcome {
                Ok(response) => Poll::Task {
                    task: response.body(),
                    rate_limit: response.rate_limit(),
                },
                Err(error) => Poll::Error(error),
            };
            self.policy.decide(poll, time_left, SystemTime::now())
        };
        match &outcome {
            Ok(response) => {
                let status = &response.body().status;
                tracing::debug!(task_id = %self.task_id, poll = self.polls, %status, ?decision, "polled task");
                self.last_status = Some(status.clone());
            }
            Err(error) => {
                tracing::debug!(task_id = %self.task_id, poll = self.polls, %error, ?decision, "poll failed");
            }
        }
        if let Some(callback) = &self.on_poll {
            callback(&Observation {
                task_id: &self.task_id,
                poll: self.polls,
                elapsed: now.saturating_duration_since(self.started),
                outcome: outcome.as_ref().map(Response::body),
                last_status: self.last_status.as_ref(),
                next_poll_in: match decision {
                    Decision::Sleep(after) => Some(after),
                    _ => None,
                },
            });
        }
        match (decision, outcome) {
            (Decision::Complete, Ok(response)) => Step::Done(Ok(response.into_body())),
            (Decision::TaskFailed, Ok(response)) => {
                Step::Done(Err(TaskError::from_task(response.into_body()).into()))
            }
            (Decision::Sleep(after), _) => Step::Sleep(now + after),
            (Decision::GiveUp, outcome) => Step::Done(Err(self.timeout_error(now, outcome.err()))),
            // The policy returns Abort only for errors, and Complete/TaskFailed
            // only for tasks; these arms keep the match total without a panic.
            (_, Err(error)) => Step::Done(Err(error)),
            (Decision::Abort, Ok(_)) => Step::Sleep(now + self.policy.interval.min(time_left)),
        }
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
