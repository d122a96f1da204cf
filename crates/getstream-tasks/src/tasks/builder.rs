//! `client.wait_for_task(id)`: the [`WaitForTask`] builder (the knobs of one
//! wait) and its `.await`.
//!
//! Awaiting it validates the knobs, starts the clock and hands over to the
//! [`Poller`](super::poller::Poller), which does the polling; the
//! [`WatchTask`](super::watch::WatchTask) stream and the many-task wait drive
//! the same poller.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::get::validate_task_id;
use super::policy::{Policy, PollPolicy};
use super::poller::{Decode, Listening, OnPoll, Polled, Poller, run_poller};
use crate::client::Client;
use crate::error::{InvalidArgumentError, Result};
use crate::events::{Entities, WakeKey};
use crate::models::Task;
use crate::time::far_future;

/// A wait on a task, returned by [`Client::wait_for_task`]. Adjust it with the
/// builder methods, then `.await` it.
///
/// Resolves to the completed [`Task`], or:
/// * [`Error::Task`](crate::Error::Task) when the task failed;
/// * [`Error::Transport`](crate::Error::Transport) with `is_timeout()` at the deadline, when the
///   final poll (sent [`LAST_POLL_BUDGET`](crate::LAST_POLL_BUDGET) before it) saw the task unfinished
///   or got no answer — neither earlier nor later than the deadline (the task
///   may still be running: wait again on the same id to resume — the error
///   carries the id and the last status seen);
/// * [`Error::Cancelled`](crate::Error::Cancelled) when the wait's [cancellation token](Self::cancel_on)
///   was cancelled (never a timeout);
/// * the poll's own error when it is permanent (400, 401, 403, 404,
///   `unrecoverable`, an undecodable body, DNS/TLS failures), or any poll error
///   with [`abort_on_error(true)`](WaitForTask::abort_on_error);
/// * [`Error::InvalidArgument`](crate::Error::InvalidArgument) for an empty id, an invalid [`PollPolicy`], a
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
    /// Channels or users whose pushed events also wake this wait (typed
    /// waits of the jobs that send per-entity events).
    entities: Entities,
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
            entities: self.entities.clone(),
            decode: self.decode,
        }
    }
}

impl<T> std::fmt::Debug for WaitForTask<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitForTask")
            .field("client", &self.client)
            .field("task_id", &self.task_id)
            .field("policy", &self.policy)
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("abort_on_error", &self.abort_on_error)
            .field("on_poll", &self.on_poll.as_ref().map(|_| "Fn(&Polled)"))
            .field("cancel", &self.cancel)
            .finish_non_exhaustive()
    }
}

impl<T> WaitForTask<T> {
    /// A wait whose output is `decode(completed task)`: the typed waits of the
    /// task-starting operations. Every knob applies unchanged; `decode` runs
    /// once, on the completed task (a failed task is an [`Error::Task`](crate::Error::Task) before
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
            entities: None,
            decode,
        }
    }

    /// The id of the task this wait is on.
    pub fn task_id(&self) -> &str {
        &self.task_id
    }

    /// Time between polls: shorthand for
    /// [`.policy(PollPolicy::fixed(interval))`](Self::policy). Default:
    /// [`DEFAULT_POLL_INTERVAL`](crate::DEFAULT_POLL_INTERVAL) (1 s), or the client's policy. Longer when the
    /// server asks (`Retry-After`, a spent rate-limit window); never past the
    /// deadline. Zero is an [`Error::InvalidArgument`](crate::Error::InvalidArgument).
    pub fn interval(self, interval: Duration) -> Self {
        self.policy(PollPolicy::fixed(interval))
    }

    /// How long to sleep between polls: fixed, exponential backoff, jitter;
    /// see [`PollPolicy`]. Default: the client's
    /// [`poll_policy`](crate::ClientBuilder::poll_policy) (fixed 1 s unless
    /// changed). An invalid policy is an [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the
    /// wait starts.
    ///
    /// ```no_run
    /// # async fn demo(client: getstream_tasks::Client) -> getstream_tasks::Result<()> {
    /// use std::time::Duration;
    /// use getstream_tasks::PollPolicy;
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
    /// [`DEFAULT_WAIT_TIMEOUT`](crate::DEFAULT_WAIT_TIMEOUT) (60 s, or the client's
    /// [`wait_timeout`](crate::ClientBuilder::wait_timeout)) when no
    /// [`deadline`](Self::deadline) is set; with both, the earlier one wins.
    /// Zero is an [`Error::InvalidArgument`](crate::Error::InvalidArgument).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// An absolute deadline instead of (or with) a timeout. A
    /// `std::time::Instant` is the monotonic clock tokio's timers use, so it can
    /// be computed anywhere (`Instant::now() + d`); a deadline already passed is
    /// an [`Error::InvalidArgument`](crate::Error::InvalidArgument). On tokio's paused test clock, build it
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
    /// # async fn demo(client: getstream_tasks::Client) -> getstream_tasks::Result<()> {
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
    pub fn on_poll(mut self, callback: impl Fn(&Polled) + Send + Sync + 'static) -> Self {
        self.on_poll = Some(Arc::new(callback));
        self
    }

    /// Ends the wait with [`Error::Cancelled`](crate::Error::Cancelled) as soon as `token` is cancelled
    /// (from any task or thread): a sleep is cut short, a request in flight is
    /// abandoned, no further request is made. A token cancelled before the
    /// wait starts ends it before any request. Never reported as a timeout.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = doc_support::serve(&["running"]).await;
    /// # let client = getstream_tasks::Client::builder("api-key", "api-secret").base_url(server.as_str()).build()?;
    /// # tokio::time::pause();
    /// use getstream_tasks::CancellationToken;
    ///
    /// let token = CancellationToken::new();
    /// let wait = tokio::spawn(client.wait_for_task("task-id").cancel_on(token.clone()).into_future());
    /// // ... later, e.g. on Ctrl-C:
    /// token.cancel();
    /// let error = wait.await?.unwrap_err();
    /// assert!(error.is_cancelled() && !error.is_timeout());
    /// # Ok(()) }
    /// # use getstream_test_support as doc_support;
    /// # use std::future::IntoFuture;
    /// ```
    pub fn cancel_on(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(token);
        self
    }

    /// Pushed events naming one of `entities` (the channels or users of the
    /// job) wake this wait too, besides those naming its task.
    pub(crate) fn with_entities(mut self, entities: Entities) -> Self {
        self.entities = entities;
        self
    }

    /// Checks the knobs and starts the clock.
    pub(crate) fn into_poller(self) -> Result<(Poller, Decode<T>)> {
        validate_task_id(&self.task_id)?;
        let defaults = self.client.inner.wait_defaults;
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
        // Listening starts before the first poll, so an event that comes
        // while it is in flight is not lost.
        let wake = self.client.inner.events.as_ref().map(|events| {
            let mut keys = vec![WakeKey::Task(self.task_id.as_str().into())];
            keys.extend(self.entities.iter().flat_map(|e| e.iter().cloned()));
            Box::new(Listening {
                subscription: events.subscribe(keys),
                quiet_until: None,
                events_from: None,
                last_woken: None,
                missed: false,
            })
        });
        let poller = Poller {
            wake,
            client: self.client.inner,
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
            attempt_header: defaults.poll_attempt_header,
            span,
        };
        Ok((poller, self.decode))
    }
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
