//! The one thread a receiver verifies large bodies on: a 16 MiB HMAC (or an
//! inflation to 16 MiB) would hold up the other connections of an async
//! thread, and on ever new threads (the blocking pool, `block_in_place`) the
//! allocator keeps freed large buffers in each thread's own arena. One thread
//! keeps that memory to one arena. At most [`QUEUE`] bodies wait for it (a
//! body sent while it is full is refused), and a body whose request has gone
//! is dropped unread.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// How many large bodies may wait for the worker, besides the one it works on.
pub(crate) const QUEUE: usize = 2;

/// A lazily started worker thread, shared by the clones of a receiver; it
/// ends when the last clone is dropped.
#[derive(Clone, Default)]
pub(crate) struct Worker {
    jobs: Arc<OnceLock<Option<Mutex<mpsc::SyncSender<Job>>>>>,
}

impl Worker {
    /// Runs `work` on the worker thread; `None` if [`QUEUE`] bodies wait
    /// already, or the thread could not be started or has gone.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let jobs = self.jobs.get_or_init(|| {
            let (tx, rx) = mpsc::sync_channel::<Job>(QUEUE);
            std::thread::Builder::new()
                .name("webhook-verify".into())
                .spawn(move || {
                    while let Ok(job) = rx.recv() {
                        job();
                    }
                })
                .ok()
                .map(|_| Mutex::new(tx))
        });
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            if !done.is_closed() {
                let _ = done.send(work());
            }
        });
        jobs.as_ref()?
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .try_send(job)
            .ok()?;
        result.await.ok()
    }
}
