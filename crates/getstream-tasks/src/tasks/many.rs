//! `client.wait_for_tasks(ids)`: many waits at once, with bounded concurrency,
//! over the client's scheduler (its request budget slows every wait down when
//! the server pushes back, instead of failing them).

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio_util::sync::CancellationToken;

use super::builder::WaitForTask;
use super::policy::PollPolicy;
use crate::error::{InvalidArgumentError, Result};
use crate::models::Task;

/// Default number of waits of a [`WaitForTasks`] that run at once.
pub const DEFAULT_WAIT_CONCURRENCY: usize = 32;

/// The outcome of one wait of a [`WaitForTasks`].
#[derive(Debug)]
#[non_exhaustive]
pub struct TaskOutcome<T = Task> {
    /// The task waited on.
    pub task_id: String,
    /// What awaiting its [`WaitForTask`] returned.
    pub result: Result<T>,
}

/// Many waits at once, from [`Client::wait_for_tasks`](crate::Client::wait_for_tasks) or
/// [`WaitForTasks::from_waits`]: a [`Stream`](futures_util::Stream) of one
/// [`TaskOutcome`] per wait, in completion order.
///
/// * At most [`concurrency`](Self::concurrency) waits run at once, the
///   others start as they finish; the client's
///   [`max_in_flight`](crate::ClientBuilder::max_in_flight) bounds the
///   requests in flight of all its waits together;
/// * all share the client's one request budget (with every other wait and
///   operation of the client): the server's rate-limit headers pace the
///   requests so the window lasts until its reset, a 429 pauses every wait
///   until the server's `Retry-After`/`X-RateLimit-Reset`, and while requests
///   are scarce every waiting task gets a poll before any gets another —
///   throttling slows the waits down instead of failing them. Concurrency
///   beyond what the window allows buys nothing: size it for the waits you
///   want *started* (each costs under a kilobyte while it sleeps), not for
///   the request rate;
/// * each wait keeps its own knobs and timeout, counted from when it starts
///   (set an absolute [`deadline`](Self::deadline) to bound the whole batch);
/// * dropping the stream cancels every running wait.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let server = doc_support::serve(&["running", "completed"]).await;
/// # let client = getstream_tasks::Client::builder("api-key", "api-secret").base_url(server.as_str()).build()?;
/// # tokio::time::pause();
/// use futures::StreamExt;
///
/// let ids = ["task-1", "task-2", "task-3"];
/// let mut outcomes = client.wait_for_tasks(ids).concurrency(50);
/// while let Some(done) = outcomes.next().await {
///     match done.result {
///         Ok(task) => println!("{}: {}", done.task_id, task.status),
///         Err(e) => eprintln!("{}: {e}", done.task_id),
///     }
/// }
/// # Ok(()) }
/// # use getstream_test_support as doc_support;
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct WaitForTasks<T = Task> {
    state: ManyState<T>,
}

enum ManyState<T> {
    Ready {
        waits: Vec<WaitForTask<T>>,
        concurrency: usize,
    },
    Running(BoxStream<'static, TaskOutcome<T>>),
}

impl<T> std::fmt::Debug for WaitForTasks<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.state {
            ManyState::Ready { waits, concurrency } => f
                .debug_struct("WaitForTasks")
                .field("waits", &waits.len())
                .field("concurrency", concurrency)
                .finish(),
            ManyState::Running(_) => f
                .debug_struct("WaitForTasks")
                .field("state", &"running")
                .finish(),
        }
    }
}

impl<T> WaitForTasks<T> {
    /// Runs these waits together, e.g. the typed waits of task handles
    /// (`handles.iter().map(|h| h.wait())`), each with its own knobs.
    pub fn from_waits(waits: impl IntoIterator<Item = WaitForTask<T>>) -> WaitForTasks<T> {
        WaitForTasks {
            state: ManyState::Ready {
                waits: waits.into_iter().collect(),
                concurrency: DEFAULT_WAIT_CONCURRENCY,
            },
        }
    }

    fn map_waits(mut self, f: impl Fn(WaitForTask<T>) -> WaitForTask<T>) -> Self {
        if let ManyState::Ready { waits, .. } = &mut self.state {
            *waits = std::mem::take(waits).into_iter().map(f).collect();
        }
        self
    }

    /// How many waits run at once (the client's
    /// [`max_in_flight`](crate::ClientBuilder::max_in_flight) bounds their
    /// requests in flight).
    /// Default: [`DEFAULT_WAIT_CONCURRENCY`] (32). Zero makes every outcome an
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument), without any
    /// request.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        if let ManyState::Ready { concurrency: c, .. } = &mut self.state {
            *c = concurrency;
        }
        self
    }

    /// Sets [`WaitForTask::policy`] on every wait.
    pub fn policy(self, policy: PollPolicy) -> Self {
        self.map_waits(|w| w.policy(policy))
    }

    /// Sets [`WaitForTask::interval`] on every wait.
    pub fn interval(self, interval: Duration) -> Self {
        self.map_waits(|w| w.interval(interval))
    }

    /// Sets [`WaitForTask::timeout`] on every wait (each counts from its own
    /// start).
    pub fn timeout(self, timeout: Duration) -> Self {
        self.map_waits(|w| w.timeout(timeout))
    }

    /// Sets [`WaitForTask::deadline`] on every wait: one deadline for the
    /// whole batch.
    pub fn deadline(self, deadline: std::time::Instant) -> Self {
        self.map_waits(|w| w.deadline(deadline))
    }

    /// Sets [`WaitForTask::abort_on_error`] on every wait.
    pub fn abort_on_error(self, abort: bool) -> Self {
        self.map_waits(|w| w.abort_on_error(abort))
    }

    /// Sets [`WaitForTask::cancel_on`] on every wait: cancelling `token` ends
    /// every wait not yet finished with [`Error::Cancelled`](crate::Error::Cancelled).
    pub fn cancel_on(self, token: CancellationToken) -> Self {
        self.map_waits(|w| w.cancel_on(token.clone()))
    }

    /// How many waits this will run: `Some` before the stream starts, `None`
    /// once it runs (the waits then belong to the stream).
    pub fn wait_count(&self) -> Option<usize> {
        match &self.state {
            ManyState::Ready { waits, .. } => Some(waits.len()),
            ManyState::Running(_) => None,
        }
    }
}

fn start<T: Send + 'static>(
    waits: Vec<WaitForTask<T>>,
    concurrency: usize,
) -> BoxStream<'static, TaskOutcome<T>> {
    if concurrency == 0 {
        return futures_util::stream::iter(waits.into_iter().map(|w| TaskOutcome {
            task_id: w.task_id().to_owned(),
            result: Err(
                InvalidArgumentError::new("concurrency", "must be greater than zero").into(),
            ),
        }))
        .boxed();
    }
    futures_util::stream::iter(waits)
        .map(move |wait| {
            let task_id = wait.task_id().to_owned();
            async move {
                TaskOutcome {
                    task_id,
                    result: wait.await,
                }
            }
        })
        .buffer_unordered(concurrency)
        .boxed()
}

impl<T: Send + 'static> futures_util::Stream for WaitForTasks<T> {
    type Item = TaskOutcome<T>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<TaskOutcome<T>>> {
        let this = &mut *self;
        if let ManyState::Ready { waits, concurrency } = &mut this.state {
            let stream = start(std::mem::take(waits), *concurrency);
            this.state = ManyState::Running(stream);
        }
        match &mut this.state {
            ManyState::Running(stream) => stream.poll_next_unpin(cx),
            ManyState::Ready { .. } => std::task::Poll::Ready(None),
        }
    }
}
