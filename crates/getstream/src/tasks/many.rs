//! `client.wait_for_tasks(ids)`: many waits at once, with bounded concurrency
//! and one request budget that slows every wait down when the server pushes
//! back (429, a low `X-RateLimit-Remaining`) instead of failing them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::policy::{PollPolicy, server_hint};
use super::wait::WaitForTask;
use crate::client::Client;
use crate::error::{InvalidArgumentError, Result};
use crate::models::{RateLimitInfo, Task};
use crate::transport::Response;

/// Default number of waits of a [`WaitForTasks`] that run at once.
pub const DEFAULT_WAIT_CONCURRENCY: usize = 32;

/// How long everyone holds off after a 429 that names no time.
const DEFAULT_THROTTLE_PAUSE: Duration = Duration::from_secs(1);

/// The request budget shared by the waits of one [`WaitForTasks`]: a pause
/// everyone honours (after a 429 or a spent window) and a spacing between
/// requests (when the window runs low), both set from the server's answers.
#[derive(Debug)]
pub(crate) struct Budget {
    state: Mutex<BudgetState>,
}

#[derive(Debug)]
struct BudgetState {
    /// No request before this instant (a 429 or a spent window).
    paused_until: Instant,
    /// The next free request slot, when requests are spaced out.
    next_slot: Instant,
    /// Time between two requests (zero while the window has room).
    spacing: Duration,
}

impl Budget {
    pub(crate) fn new() -> Budget {
        let now = Instant::now();
        Budget {
            state: Mutex::new(BudgetState {
                paused_until: now,
                next_slot: now,
                spacing: Duration::ZERO,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BudgetState> {
        // The state stays consistent even if a holder panicked: plain fields.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for this wait's turn to send a request, never past `deadline`
    /// (a wait's final poll slot: that poll is made then whatever the budget).
    pub(crate) async fn acquire(&self, deadline: Instant) {
        let slot = {
            let mut state = self.lock();
            let now = Instant::now();
            let slot = state.next_slot.max(now);
            state.next_slot = slot + state.spacing;
            slot
        };
        loop {
            let until = slot.max(self.lock().paused_until);
            let now = Instant::now();
            if until <= now || now >= deadline {
                return;
            }
            tokio::time::sleep_until(until.min(deadline)).await;
        }
    }

    /// Adjusts the budget to what a poll's answer says about the rate limit.
    pub(crate) fn observe(&self, outcome: &Result<Response<Task>>) {
        let now = Instant::now();
        let wall = SystemTime::now();
        let mut state = self.lock();
        match outcome {
            Err(error) if error.is_rate_limited() => {
                let pause = server_hint(error, wall).unwrap_or(DEFAULT_THROTTLE_PAUSE);
                let pause = pause.max(Duration::from_millis(1));
                state.paused_until = state.paused_until.max(now + pause);
                tracing::debug!(?pause, "throttled: every wait holds off");
                if let Some(info) = error.rate_limit() {
                    state.spacing = spacing(info, wall);
                }
            }
            Err(error) => {
                if let Some(info) = error.rate_limit() {
                    state.apply(info, now, wall);
                }
            }
            Ok(response) => {
                if let Some(info) = response.rate_limit() {
                    state.apply(info, now, wall);
                }
            }
        }
    }
}

impl BudgetState {
    fn apply(&mut self, info: &RateLimitInfo, now: Instant, wall: SystemTime) {
        if info.is_exhausted() {
            let pause = info.reset_after(wall).unwrap_or(DEFAULT_THROTTLE_PAUSE);
            self.paused_until = self.paused_until.max(now + pause);
        }
        self.spacing = spacing(info, wall);
    }
}

/// Spreads the requests left in the window over the time until it resets,
/// once fewer than a tenth of the window (or 10 requests) remain.
fn spacing(info: &RateLimitInfo, wall: SystemTime) -> Duration {
    let (Some(remaining), Some(reset)) = (info.remaining, info.reset_after(wall)) else {
        return Duration::ZERO;
    };
    let low_water = info.limit.map_or(10, |limit| (limit / 10).max(10));
    if remaining >= low_water {
        return Duration::ZERO;
    }
    let slots = u32::try_from(remaining.saturating_add(1)).unwrap_or(u32::MAX);
    reset / slots
}

/// The outcome of one wait of a [`WaitForTasks`].
#[derive(Debug)]
#[non_exhaustive]
pub struct TaskOutcome<T = Task> {
    /// The task waited on.
    pub task_id: String,
    /// What awaiting its [`WaitForTask`] returned.
    pub result: Result<T>,
}

/// Many waits at once, from [`Client::wait_for_tasks`] or
/// [`WaitForTasks::from_waits`]: a [`Stream`](futures::Stream) of one
/// [`TaskOutcome`] per wait, in completion order.
///
/// * At most [`concurrency`](Self::concurrency) waits run at once (so at most
///   that many requests are in flight), the others start as they finish;
/// * all share the client's connection pool and one request budget: a 429 (or
///   a spent `X-RateLimit-Remaining`) pauses every wait until the server's
///   `Retry-After`/`X-RateLimit-Reset`, and a window running low spaces the
///   requests out until it resets — throttling slows the waits down instead of
///   failing them (each wait retries a 429 within its own deadline);
/// * each wait keeps its own knobs and timeout, counted from when it starts
///   (set an absolute [`deadline`](Self::deadline) to bound the whole batch);
/// * dropping the stream cancels every running wait.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let server = doc_support::serve(&["running", "completed"]).await;
/// # let client = getstream::Client::builder("api-key", "api-secret").base_url(server.as_str()).build()?;
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
/// # mod doc_support { include!("../../tests/sdk/doc_server.rs"); }
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

impl Client {
    /// Waits on many tasks at once; see [`WaitForTasks`]. Each id gets a
    /// [`wait_for_task`](Self::wait_for_task) with the client's defaults;
    /// the builder methods of [`WaitForTasks`] change them for all.
    pub fn wait_for_tasks<I>(&self, task_ids: I) -> WaitForTasks
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        WaitForTasks::from_waits(task_ids.into_iter().map(|id| self.wait_for_task(id)))
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

    /// How many waits run at once (and so how many requests can be in flight).
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

    /// The number of waits, before the stream starts (`None` once it runs).
    pub fn len(&self) -> Option<usize> {
        match &self.state {
            ManyState::Ready { waits, .. } => Some(waits.len()),
            ManyState::Running(_) => None,
        }
    }

    /// Whether there is no wait at all (before the stream starts).
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
}

fn start<T: Send + 'static>(
    waits: Vec<WaitForTask<T>>,
    concurrency: usize,
) -> BoxStream<'static, TaskOutcome<T>> {
    if concurrency == 0 {
        return futures::stream::iter(waits.into_iter().map(|w| TaskOutcome {
            task_id: w.task_id().to_owned(),
            result: Err(
                InvalidArgumentError::new("concurrency", "must be greater than zero").into(),
            ),
        }))
        .boxed();
    }
    let budget = Arc::new(Budget::new());
    futures::stream::iter(waits)
        .map(move |wait| {
            let task_id = wait.task_id().to_owned();
            let wait = wait.with_budget(budget.clone());
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

impl<T: Send + 'static> futures::Stream for WaitForTasks<T> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn info(limit: u64, remaining: u64, reset_in: u64, wall: SystemTime) -> RateLimitInfo {
        RateLimitInfo {
            limit: Some(limit),
            remaining: Some(remaining),
            reset: Some(wall + S(reset_in)),
        }
    }

    #[test]
    fn spacing_kicks_in_only_when_the_window_runs_low() {
        let wall = SystemTime::UNIX_EPOCH + S(1_700_000_000);
        assert_eq!(spacing(&info(1000, 500, 60, wall), wall), Duration::ZERO);
        assert_eq!(spacing(&info(1000, 100, 60, wall), wall), Duration::ZERO);
        // 99 left of 1000, window resets in 60 s: one request every 0.6 s.
        assert_eq!(
            spacing(&info(1000, 99, 60, wall), wall),
            Duration::from_millis(600)
        );
        // Small windows: the low-water mark is 10 requests.
        assert_eq!(spacing(&info(20, 11, 6, wall), wall), Duration::ZERO);
        assert_eq!(spacing(&info(20, 2, 6, wall), wall), Duration::from_secs(2));
        // No reset time: nothing to spread over.
        let no_reset = RateLimitInfo {
            reset: None,
            ..info(20, 2, 6, wall)
        };
        assert_eq!(spacing(&no_reset, wall), Duration::ZERO);
    }
}
