//! Blocking waits: [`WaitForTask`] and its [`WatchTask`] iterator.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::mpsc;

use crate::error::Result;
use crate::models::Task;

use super::client::{Client, Job, assert_blocking_allowed, runtime_gone};

impl Client {
    /// A wait on a task, run by [`WaitForTask::send`]; same knobs and defaults
    /// as [`crate::Client::wait_for_task`].
    pub fn wait_for_task(&self, task_id: impl Into<String>) -> WaitForTask {
        WaitForTask::typed(self, task_id, Ok)
    }
}

/// A blocking wait on a task; see [`crate::WaitForTask`] for the knobs,
/// defaults and errors. Its output `T` is [`Task`] for
/// [`Client::wait_for_task`], or an operation's result type for the waits of
/// task handles.
#[must_use = "a wait does nothing until .send() is called"]
pub struct WaitForTask<T = Task> {
    client: Client,
    inner: crate::WaitForTask<T>,
}

impl<T> Clone for WaitForTask<T> {
    fn clone(&self) -> Self {
        WaitForTask {
            client: self.client.clone(),
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for WaitForTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForTask")
            .field("client", &self.client)
            .field("inner", &self.inner)
            .finish()
    }
}

impl<T> WaitForTask<T> {
    /// A blocking wait whose output is `decode(completed task)`; see
    /// [`crate::WaitForTask`]'s typed waits.
    pub(crate) fn typed(
        client: &Client,
        task_id: impl Into<String>,
        decode: fn(Task) -> Result<T>,
    ) -> WaitForTask<T> {
        WaitForTask {
            client: client.clone(),
            inner: crate::WaitForTask::typed(&client.inner, task_id, decode),
        }
    }

    /// The blocking form of an async wait (keeping all its knobs).
    pub(crate) fn from_async(client: &Client, inner: crate::WaitForTask<T>) -> WaitForTask<T> {
        WaitForTask {
            client: client.clone(),
            inner,
        }
    }

    /// The id of the task this wait is on.
    pub fn task_id(&self) -> &str {
        self.inner.task_id()
    }

    /// Time between polls. Default: 1 s. Zero is an argument error.
    pub fn interval(self, interval: Duration) -> Self {
        WaitForTask {
            inner: self.inner.interval(interval),
            ..self
        }
    }

    /// How often to poll; see [`crate::WaitForTask::policy`]. Default: the
    /// client's policy (a poll every second unless changed).
    pub fn policy(self, policy: crate::PollPolicy) -> Self {
        WaitForTask {
            inner: self.inner.policy(policy),
            ..self
        }
    }

    /// Ends the wait with [`Error::Cancelled`](crate::Error::Cancelled) as soon as `token` is cancelled,
    /// e.g. from another thread or a Ctrl-C handler: [`send`](Self::send)
    /// returns at once, the request in flight is abandoned and no further
    /// request is made. See [`crate::WaitForTask::cancel_on`].
    ///
    /// ```no_run
    /// # fn main() -> Result<(), getstream_tasks::Error> {
    /// use getstream_tasks::CancellationToken;
    /// let client = getstream_tasks::blocking::Client::from_env()?;
    /// let token = CancellationToken::new();
    /// let stop = token.clone();
    /// std::thread::spawn(move || {
    ///     std::thread::sleep(std::time::Duration::from_secs(10));
    ///     stop.cancel();
    /// });
    /// match client.wait_for_task("task-id").cancel_on(token).send() {
    ///     Err(e) if e.is_cancelled() => eprintln!("stopped waiting"),
    ///     other => println!("{:?}", other?.status),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn cancel_on(self, token: crate::CancellationToken) -> Self {
        WaitForTask {
            inner: self.inner.cancel_on(token),
            ..self
        }
    }

    /// How long to wait in total. Default: 60 s, or the client's
    /// [`wait_timeout`](crate::ClientBuilder::wait_timeout) (when no deadline is set).
    /// Zero is an argument error.
    pub fn timeout(self, timeout: Duration) -> Self {
        WaitForTask {
            inner: self.inner.timeout(timeout),
            ..self
        }
    }

    /// An absolute deadline; see [`crate::WaitForTask::deadline`].
    pub fn deadline(self, deadline: std::time::Instant) -> Self {
        WaitForTask {
            inner: self.inner.deadline(deadline),
            ..self
        }
    }

    /// `true`: any poll error ends the wait (the official SDKs' behaviour).
    /// Default: `false`.
    pub fn abort_on_error(self, abort: bool) -> Self {
        WaitForTask {
            inner: self.inner.abort_on_error(abort),
            ..self
        }
    }

    /// Calls `callback` after every poll; see [`crate::WaitForTask::on_poll`].
    /// It runs on the client's runtime thread; a panic in it is resumed in the
    /// thread that called [`send`](Self::send).
    pub fn on_poll(self, callback: impl Fn(&crate::Polled) + Send + Sync + 'static) -> Self {
        WaitForTask {
            inner: self.inner.on_poll(callback),
            ..self
        }
    }

    /// Runs the wait and blocks until it ends.
    ///
    /// # Errors
    ///
    /// As awaiting [`crate::WaitForTask`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn send(self) -> Result<T>
    where
        T: Send + 'static,
    {
        let wait = self.inner;
        self.client.run(async move { wait.await })
    }

    /// Watches the wait: an [`Iterator`] of [`crate::WatchEvent`]s, one per
    /// poll, ending with [`crate::WatchEvent::Finished`] — the blocking twin
    /// of [`crate::WaitForTask::watch`]. The wait runs on the client's runtime
    /// thread; dropping the iterator cancels it (no further request).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), getstream_tasks::Error> {
    /// use getstream_tasks::WatchEvent;
    /// let client = getstream_tasks::blocking::Client::from_env()?;
    /// for event in client.wait_for_task("task-id").watch() {
    ///     match event {
    ///         WatchEvent::Polled(seen) => eprintln!("poll {}: {:?}", seen.poll(), seen.status()),
    ///         WatchEvent::Finished(outcome) => println!("{}", outcome?.status),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Panics
    ///
    /// [`next`](Iterator::next) panics when called on a thread running async tasks
    /// (see the [module docs](crate::blocking)), and resumes a panic of an `on_poll`
    /// callback.
    pub fn watch(self) -> WatchTask<T>
    where
        T: Send + 'static,
    {
        let (events, receiver) = mpsc::channel(1);
        let stream = self.inner.watch();
        let job: Job = Box::pin(async move {
            use futures_util::StreamExt;
            let mut stream = stream;
            loop {
                // The iterator was dropped: stop at once (dropping the stream
                // cancels the wait, and the request in flight with it).
                // `select` polls its first future first (biased), without
                // tokio's macros feature.
                let closed = std::pin::pin!(events.closed());
                let polled = std::pin::pin!(AssertUnwindSafe(stream.next()).catch_unwind());
                let next = match futures_util::future::select(closed, polled).await {
                    futures_util::future::Either::Left(((), _)) => return,
                    futures_util::future::Either::Right((next, _)) => next,
                };
                let (item, last) = match next {
                    Ok(Some(event)) => {
                        let last = matches!(event, crate::WatchEvent::Finished(_));
                        (WatchItem::Event(event), last)
                    }
                    Ok(None) => return,
                    Err(panic) => (WatchItem::Panic(panic), true),
                };
                if events.send(item).await.is_err() || last {
                    return;
                }
            }
        });
        let started = self.client.jobs.send(job).is_ok();
        WatchTask {
            events: receiver,
            started,
            done: false,
            _client: self.client,
        }
    }
}

#[allow(clippy::large_enum_variant)] // one item in a channel of one
enum WatchItem<T> {
    Event(crate::WatchEvent<T>),
    Panic(Box<dyn std::any::Any + Send>),
}

/// A blocking watched wait, from [`WaitForTask::watch`]: an iterator of
/// [`crate::WatchEvent`]s ending with the outcome.
#[must_use = "iterators do nothing unless iterated"]
pub struct WatchTask<T = Task> {
    events: mpsc::Receiver<WatchItem<T>>,
    started: bool,
    done: bool,
    /// Keeps the runtime thread alive while the iterator lives.
    _client: Client,
}

impl<T> fmt::Debug for WatchTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::WatchTask")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<T> Iterator for WatchTask<T> {
    type Item = crate::WatchEvent<T>;

    fn next(&mut self) -> Option<crate::WatchEvent<T>> {
        if self.done {
            return None;
        }
        assert_blocking_allowed("WatchTask was iterated");
        if !self.started {
            self.done = true;
            return Some(crate::WatchEvent::Finished(Err(runtime_gone())));
        }
        match self.events.blocking_recv() {
            Some(WatchItem::Event(event)) => {
                self.done = matches!(event, crate::WatchEvent::Finished(_));
                Some(event)
            }
            Some(WatchItem::Panic(panic)) => {
                self.done = true;
                std::panic::resume_unwind(panic)
            }
            None => {
                self.done = true;
                Some(crate::WatchEvent::Finished(Err(runtime_gone())))
            }
        }
    }
}
