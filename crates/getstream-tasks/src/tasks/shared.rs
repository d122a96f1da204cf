//! Shared polls: duplicate waits on one task id in one client share their
//! status requests. A poll that finds a poll of the same task already queued
//! or in flight joins it instead of sending its own, and every wait gets the
//! one answer (each still applies its own deadline, policy, callbacks and
//! cancellation to it). Only successful answers are shared: a joiner whose
//! shared request failed makes its own, so each wait sees its own errors.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, WeakShared};
use tokio::time::Instant;

use super::get::fetch;
use crate::error::{Error, Result, TransportError};
use crate::models::Task;
use crate::sched::Priority;
use crate::transport::{Response, Transport};

/// What a shared poll hands to the waits that joined it. Both sides are
/// pointers: the shared future keeps room for its output from the start, so
/// a poll queued for admission would otherwise hold a whole `Response<Task>`.
type Answer = std::result::Result<Arc<Response<Task>>, Arc<Mutex<Option<Error>>>>;

/// One poll that others may join. Held weakly: when every wait that
/// awaits it is dropped, the request is dropped too (and its connection
/// closed), as a wait's own request would be.
struct Flight {
    id: u64,
    answer: WeakShared<BoxFuture<'static, Answer>>,
}

/// The polls of one client that are queued or in flight, by task id.
/// (Shared with the polls themselves, which remove their entry when done.)
#[derive(Default)]
pub(crate) struct SharedPolls {
    state: Arc<Mutex<Polls>>,
}

#[derive(Default)]
struct Polls {
    next_id: u64,
    flights: HashMap<String, Flight>,
}

impl std::fmt::Debug for SharedPolls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedPolls").finish_non_exhaustive()
    }
}

impl SharedPolls {
    fn lock(&self) -> std::sync::MutexGuard<'_, Polls> {
        lock(&self.state)
    }

    /// Polls `task_id` once for a wait, joining a poll of the same task that
    /// is already queued or in flight; never past `deadline`.
    // A plain fn returning an `async move` block: an `async fn` keeps its
    // arguments twice in its state, and every queued poll holds this one.
    #[allow(clippy::manual_async_fn)] // on purpose: see above
    pub(crate) fn poll<'a>(
        &'a self,
        transport: &'a Arc<Transport>,
        task_id: &'a str,
        deadline: Instant,
        attempt: Option<u32>,
        priority: Priority,
    ) -> impl Future<Output = Result<Response<Task>>> + 'a {
        async move {
            let (answer, leader) = {
                let mut polls = self.lock();
                match polls.flights.get(task_id).and_then(|f| f.answer.upgrade()) {
                    Some(answer) => (answer, None),
                    None => {
                        polls.next_id += 1;
                        let id = polls.next_id;
                        let owned = transport.clone();
                        let state = self.state.clone();
                        let key = task_id.to_owned();
                        let answer = async move {
                            let outcome =
                                fetch(&owned, &key, Some(deadline), attempt, priority).await;
                            // Later polls make a fresh request.
                            let mut polls = lock(&state);
                            if polls.flights.get(&key).is_some_and(|f| f.id == id) {
                                polls.flights.remove(&key);
                            }
                            outcome
                                .map(Arc::new)
                                .map_err(|e| Arc::new(Mutex::new(Some(e))))
                        }
                        .boxed()
                        .shared();
                        polls.flights.insert(
                            task_id.to_owned(),
                            Flight {
                                id,
                                answer: answer.downgrade().expect("not yet polled"),
                            },
                        );
                        (answer, Some(id))
                    }
                }
            };
            if leader.is_some() {
                return match answer.await {
                    Ok(response) => Ok(unshare(response)),
                    Err(error) => Err(take(&error, task_id)),
                };
            }
            match tokio::time::timeout_at(deadline, answer).await {
                Ok(Ok(response)) => Ok(unshare(response)),
                // The shared request failed: this wait asks for itself (boxed:
                // rare, and inline it would make every poll's state larger).
                Ok(Err(_)) => {
                    Box::pin(fetch(transport, task_id, Some(deadline), attempt, priority)).await
                }
                Err(_) => Err(TransportError::timeout(format!(
                    "GET /api/v2/tasks/{task_id}: no answer before the wait's deadline"
                ))
                .into()),
            }
        }
    }
}

fn lock(state: &Mutex<Polls>) -> std::sync::MutexGuard<'_, Polls> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// The answer itself when this wait is the last to hold it, else a copy.
fn unshare(response: Arc<Response<Task>>) -> Response<Task> {
    Arc::try_unwrap(response).unwrap_or_else(|shared| (*shared).clone())
}

/// The leader's own error (a leader awaits its answer once).
fn take(error: &Mutex<Option<Error>>, task_id: &str) -> Error {
    error
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
        .unwrap_or_else(|| {
            TransportError::unknown(format!("poll of task {task_id} failed"), None).into()
        })
}
