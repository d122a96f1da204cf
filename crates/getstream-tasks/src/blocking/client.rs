//! The blocking [`Client`]: an async client run on a runtime thread of its own.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, Result, TransportError};
use crate::models::Task;
use crate::transport::Response;

pub(super) type Job = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A blocking client for Stream's server-side API. See the [module docs](crate::blocking).
#[derive(Clone)]
pub struct Client {
    pub(super) inner: crate::Client,
    pub(super) jobs: Arc<mpsc::UnboundedSender<Job>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Client")
            .field(&self.inner)
            .finish()
    }
}

impl Client {
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
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
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
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn get_task_response(&self, task_id: &str) -> Result<Response<Task>> {
        let client = self.inner.clone();
        let task_id = task_id.to_owned();
        self.run(async move { client.get_task_response(&task_id).await })
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
pub(super) fn assert_blocking_allowed(what: &str) {
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

pub(super) fn runtime_gone() -> Error {
    TransportError::unknown("the blocking client's runtime thread has stopped", None).into()
}
