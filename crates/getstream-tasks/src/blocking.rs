//! A blocking client, for programs without an async runtime (cargo feature
//! `blocking`, opt-in: `getstream-tasks = { version = "0.1", features = ["blocking"] }`).
//!
//! [`Client`] wraps the async [`crate::Client`] and runs it on a runtime thread of
//! its own (as `reqwest::blocking` does): same constructors, same defaults, same
//! errors. Clones share the thread and the connection pool; the thread ends when
//! the last clone is dropped.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! let client = getstream_tasks::blocking::Client::from_env()?;
//! let task = client
//!     .wait_for_task("task-id")
//!     .interval(Duration::from_secs(5))
//!     .timeout(Duration::from_secs(600))
//!     .send()?;
//! println!("{}", task.status);
//! # Ok::<(), getstream_tasks::Error>(())
//! ```
//!
//! Waits take the same knobs as the async ones — [`WaitForTask::policy`],
//! timeouts, `on_poll` — plus [`WaitForTask::cancel_on`] to stop a wait from
//! another thread (it ends with [`Error::Cancelled`], never a timeout) and
//! [`WaitForTask::watch`], an iterator of poll events for a progress display.
//!
//! # Panics
//!
//! Calling a blocking method ([`Client::get_task`], [`WaitForTask::send`],
//! iterating a [`WatchTask`]) on a thread that runs async tasks — inside an
//! `async fn` or a future polled by a tokio runtime — panics with a message
//! saying so, instead of stalling or deadlocking the runtime: use the async
//! [`crate::Client`] there. Blocking is allowed, and the blocking client works,
//! everywhere else: plain threads, `tokio::task::spawn_blocking` and
//! `tokio::task::block_in_place` (the distinction tokio's own `blocking_recv`
//! makes). Building, cloning and dropping the client are fine anywhere.
//! (Built with `panic = "abort"`, the refusal aborts the process.)

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, Result, TransportError};
use crate::models::Task;
use crate::transport::Response;

pub use crate::ops::blocking::{
    ChannelBatchUpdateResponse, Chat, DeleteChannelsResponse, TaskHandle, TaskStarted,
    UpdateUsersResponse,
};
pub use crate::ops::blocking::{DeleteCallResponse, Video};
pub use crate::ops::blocking::{Feeds, Moderation};

type Job = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A blocking client for Stream's server-side API. See the [module docs](self).
#[derive(Clone)]
pub struct Client {
    inner: crate::Client,
    jobs: Arc<mpsc::UnboundedSender<Job>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Client")
            .field(&self.inner)
            .finish()
    }
}

impl Client {
    /// A client with the default settings (see [`ClientBuilder`]).
    ///
    /// # Errors
    ///
    /// As [`crate::Client::new`], or [`Error::Transport`] if the runtime thread
    /// cannot be started.
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<String>) -> Result<Client> {
        Client::builder(api_key, api_secret).build()
    }

    /// A builder to change the base URL and time limits.
    pub fn builder(api_key: impl Into<String>, api_secret: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            inner: crate::Client::builder(api_key, api_secret),
        }
    }

    /// A client configured from `STREAM_API_KEY`, `STREAM_API_SECRET` and
    /// `STREAM_BASE_URL`, as [`crate::Client::from_env`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::from_env`].
    pub fn from_env() -> Result<Client> {
        ClientBuilder {
            inner: crate::ClientBuilder::from_env()?,
        }
        .build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.inner.base_url()
    }

    /// Verifies and decodes a webhook delivery with this client's secret;
    /// see [`crate::Client::verify_webhook`] (no request is made).
    ///
    /// # Errors
    ///
    /// As [`crate::webhook::verify_and_parse`].
    pub fn verify_webhook(
        &self,
        body: &[u8],
        signature: &str,
    ) -> Result<crate::webhook::WebhookEvent> {
        self.inner.verify_webhook(body, signature)
    }

    /// Reads a task's current status once; see [`crate::Client::get_task`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::get_task`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](self)).
    pub fn get_task(&self, task_id: &str) -> Result<Task> {
        let client = self.inner.clone();
        let task_id = task_id.to_owned();
        self.run(async move { client.get_task(&task_id).await })
    }

    /// Like [`get_task`](Self::get_task), with the response's status and
    /// rate-limit headers.
    ///
    /// # Errors
    ///
    /// As [`crate::Client::get_task`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](self)).
    pub fn get_task_response(&self, task_id: &str) -> Result<Response<Task>> {
        let client = self.inner.clone();
        let task_id = task_id.to_owned();
        self.run(async move { client.get_task_response(&task_id).await })
    }

    /// A wait on a task, run by [`WaitForTask::send`]; same knobs and defaults
    /// as [`crate::Client::wait_for_task`].
    pub fn wait_for_task(&self, task_id: impl Into<String>) -> WaitForTask {
        WaitForTask::typed(self, task_id, Ok)
    }

    /// The async client this one runs.
    pub(crate) fn async_client(&self) -> &crate::Client {
        &self.inner
    }

    /// Runs `future` on the runtime thread and blocks until it finishes.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        future: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        assert_blocking_allowed("Client was called");
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::pin(async move {
            // A panic (e.g. in an `on_poll` callback) is sent back and resumed on
            // the caller's thread, as if the code had run there.
            let outcome = AssertUnwindSafe(future).catch_unwind().await;
            // The caller may have gone away (a panic in its thread); nothing to do then.
            let _ = reply.send(outcome);
        });
        if self.jobs.send(job).is_err() {
            return Err(runtime_gone());
        }
        match answer.blocking_recv() {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => Err(runtime_gone()),
        }
    }
}

/// Panics when the current thread is driving async tasks (a runtime's worker
/// thread, or inside `block_on`), where blocking would stall or deadlock the
/// runtime. Blocking is allowed everywhere else, including on a runtime's
/// `spawn_blocking` threads and inside `block_in_place`, though a runtime
/// handle is current there.
///
/// Tokio keeps that distinction to itself; its blocking receivers apply it
/// (they panic in async context and work elsewhere), so a receiver whose
/// sender is already gone asks for us: it returns at once where blocking is
/// allowed. Without a runtime handle no thread can be driving tasks, and the
/// probe is skipped.
fn assert_blocking_allowed(what: &str) {
    if tokio::runtime::Handle::try_current().is_err() {
        return;
    }
    let (_, probe) = oneshot::channel::<()>();
    let allowed = std::panic::catch_unwind(AssertUnwindSafe(move || {
        let _ = probe.blocking_recv();
    }))
    .is_ok();
    assert!(
        allowed,
        "getstream_tasks::blocking::{what} inside an async runtime, on a thread running async tasks, \
         where blocking would stall or deadlock it; use the async getstream_tasks::Client there, or \
         call it through tokio::task::spawn_blocking or block_in_place"
    );
}

fn runtime_gone() -> Error {
    TransportError::unknown("the blocking client's runtime thread has stopped", None).into()
}

/// Builds a blocking [`Client`]; the same settings and defaults as
/// [`crate::ClientBuilder`].
#[must_use = "a builder does nothing until .build() is called"]
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    inner: crate::ClientBuilder,
}

impl ClientBuilder {
    /// See [`crate::ClientBuilder::base_url`]. Default: `https://chat.stream-io-api.com`.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        ClientBuilder {
            inner: self.inner.base_url(url),
        }
    }

    /// See [`crate::ClientBuilder::timeout`]. Default: 30 s per request.
    pub fn timeout(self, timeout: Duration) -> Self {
        ClientBuilder {
            inner: self.inner.timeout(timeout),
        }
    }

    /// See [`crate::ClientBuilder::connect_timeout`]. Default: 10 s.
    pub fn connect_timeout(self, timeout: Duration) -> Self {
        ClientBuilder {
            inner: self.inner.connect_timeout(timeout),
        }
    }

    /// See [`crate::ClientBuilder::max_response_size`]. Default: 32 MiB.
    pub fn max_response_size(self, bytes: usize) -> Self {
        ClientBuilder {
            inner: self.inner.max_response_size(bytes),
        }
    }

    /// See [`crate::ClientBuilder::poll_policy`]. Default: a poll every second.
    pub fn poll_policy(self, policy: crate::PollPolicy) -> Self {
        ClientBuilder {
            inner: self.inner.poll_policy(policy),
        }
    }

    /// See [`crate::ClientBuilder::time_source`]. Default: the system clock.
    pub fn time_source(self, source: impl crate::TimeSource + 'static) -> Self {
        ClientBuilder {
            inner: self.inner.time_source(source),
        }
    }

    /// See [`crate::ClientBuilder::wait_timeout`]. Default: 60 s.
    pub fn wait_timeout(self, timeout: Duration) -> Self {
        ClientBuilder {
            inner: self.inner.wait_timeout(timeout),
        }
    }

    /// See [`crate::ClientBuilder::poll_attempt_header`]. Default: `false`.
    pub fn poll_attempt_header(self, send: bool) -> Self {
        ClientBuilder {
            inner: self.inner.poll_attempt_header(send),
        }
    }

    /// See [`crate::ClientBuilder::task_events`]: pushed events published to
    /// `events` (from any thread) wake this client's waits. Default: none.
    pub fn task_events(self, events: crate::TaskEvents) -> Self {
        ClientBuilder {
            inner: self.inner.task_events(events),
        }
    }

    /// The bound on requests in flight; see
    /// [`crate::ClientBuilder::max_in_flight`].
    pub fn max_in_flight(self, max: usize) -> Self {
        ClientBuilder {
            inner: self.inner.max_in_flight(max),
        }
    }

    /// See [`crate::ClientBuilder::user_agent`]. Default: `getstream-tasks/<version>`.
    pub fn user_agent(self, user_agent: impl Into<String>) -> Self {
        ClientBuilder {
            inner: self.inner.user_agent(user_agent),
        }
    }

    /// See [`crate::ClientBuilder::token_ttl`]. Default: 1 hour.
    pub fn token_ttl(self, ttl: Duration) -> Self {
        ClientBuilder {
            inner: self.inner.token_ttl(ttl),
        }
    }

    /// **Dangerous**; see [`crate::ClientBuilder::allow_insecure_http`].
    /// Default: `false` (`http://` only to this machine).
    pub fn allow_insecure_http(self, allow: bool) -> Self {
        ClientBuilder {
            inner: self.inner.allow_insecure_http(allow),
        }
    }

    /// Builds the client and starts its runtime thread.
    ///
    /// # Errors
    ///
    /// As [`crate::ClientBuilder::build`], or [`Error::Transport`] if the runtime
    /// thread cannot be started.
    pub fn build(self) -> Result<Client> {
        let inner = self.inner.build()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| TransportError::unknown("cannot start a runtime", Some(Box::new(e))))?;
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
        std::thread::Builder::new()
            .name("getstream-blocking".into())
            .spawn(move || {
                runtime.block_on(async move {
                    while let Some(job) = queue.recv().await {
                        tokio::spawn(job);
                    }
                });
            })
            .map_err(|e| {
                TransportError::unknown("cannot start the runtime thread", Some(Box::new(e)))
            })?;
        Ok(Client {
            inner,
            jobs: Arc::new(jobs),
        })
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

    /// Ends the wait with [`Error::Cancelled`] as soon as `token` is cancelled,
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
    /// [`wait_timeout`](ClientBuilder::wait_timeout) (when no deadline is set).
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
    /// When called on a thread running async tasks (see the [module docs](self)).
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
    /// (see the [module docs](self)), and resumes a panic of an `on_poll`
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
