//! Where a receiver verifies large bodies: a 16 MiB HMAC (or an inflation to
//! 16 MiB) would hold up the other connections of an async thread, so it runs
//! on tokio's blocking pool, one body at a time (one thread's worth of large
//! buffers, not one per connection). At most [`QUEUE`] bodies wait for their
//! turn (a body sent while they do is refused), and a body whose request has
//! gone before its turn is dropped unread.
//!
//! The blocking pool rather than a thread of our own: tokio knows its work is
//! running, so a runtime on a paused clock (an application's tests) does not
//! jump its timers forward while a body is being verified.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// How many large bodies may wait for their turn, besides the one verified.
pub(crate) const QUEUE: usize = 2;

/// The turn-taking of a receiver's large bodies, shared by its clones.
#[derive(Clone)]
pub(crate) struct Worker {
    /// One permit per body verified or waiting.
    admitted: Arc<Semaphore>,
    /// One permit: the body being verified.
    running: Arc<Semaphore>,
}

impl Default for Worker {
    fn default() -> Self {
        Worker {
            admitted: Arc::new(Semaphore::new(QUEUE + 1)),
            running: Arc::new(Semaphore::new(1)),
        }
    }
}

impl Worker {
    /// Runs `work` on the blocking pool once the bodies before it are done;
    /// `None` if [`QUEUE`] bodies wait already (or the pool has shut down).
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let admitted = Arc::clone(&self.admitted).try_acquire_owned().ok()?;
        // Dropping this future while it waits here drops the body unread.
        let running = Arc::clone(&self.running).acquire_owned().await.ok()?;
        tokio::task::spawn_blocking(move || {
            let out = work();
            drop((running, admitted));
            out
        })
        .await
        .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One body at a time, [`QUEUE`] more waiting, the next refused at once.
    #[tokio::test]
    async fn one_runs_queue_wait_and_the_next_is_refused() {
        let worker = Worker::default();
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let first = tokio::spawn({
            let worker = worker.clone();
            async move { worker.run(move || gate.recv().is_ok()).await }
        });
        while worker.running.available_permits() == 1 {
            tokio::task::yield_now().await;
        }
        let waiting: Vec<_> = (0..QUEUE)
            .map(|i| {
                let worker = worker.clone();
                tokio::spawn(async move { worker.run(move || i).await })
            })
            .collect();
        while worker.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(worker.run(|| 99).await, None, "past the queue: refused");
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap(), Some(true));
        for (i, w) in waiting.into_iter().enumerate() {
            assert_eq!(w.await.unwrap(), Some(i));
        }
        assert_eq!(worker.run(|| 7).await, Some(7), "room again");
    }
}
