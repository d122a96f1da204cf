//! `client.watch_task(id)`: a wait as a [`Stream`](futures_util::Stream) of
//! [`WatchEvent`]s, one per poll, driving the same
//! [`Poller`](super::poller::Poller) as the awaited wait.

use std::future::Future;
use std::pin::Pin;

use tokio::time::Instant;

use super::builder::WaitForTask;
use super::poller::Decode;
use super::poller::{Polled, Poller, Step};
use crate::error::Result;
use crate::models::Task;

impl<T> WaitForTask<T> {
    /// Watches this wait: a [`Stream`](futures_util::Stream) of [`WatchEvent`]s,
    /// one per poll, ending with the outcome. See [`Client::watch_task`](crate::Client::watch_task).
    pub fn watch(self) -> WatchTask<T> {
        WatchTask {
            state: WatchState::Ready(Box::new(self)),
        }
    }
}

/// An event of a [`WatchTask`] stream.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // handed over one at a time, never stored in bulk
pub enum WatchEvent<T = Task> {
    /// A poll that did not end the wait: the status it saw (or the transient
    /// error), the poll number, the elapsed time, when the next poll comes.
    Polled(Polled),
    /// The wait's outcome, exactly what awaiting the wait would return; always
    /// the last item.
    Finished(Result<T>),
}

impl<T> WatchEvent<T> {
    /// The outcome, if this is the last event.
    pub fn into_finished(self) -> Option<Result<T>> {
        match self {
            WatchEvent::Finished(outcome) => Some(outcome),
            WatchEvent::Polled(_) => None,
        }
    }
}

/// A watched wait: a [`Stream`](futures_util::Stream) of [`WatchEvent`]s, from
/// [`Client::watch_task`](crate::Client::watch_task) or [`WaitForTask::watch`].
///
/// It yields one [`WatchEvent::Polled`] per poll that does not end the wait,
/// then one [`WatchEvent::Finished`] with the outcome, then `None`. Nothing
/// happens until it is polled; dropping it cancels the wait (no further
/// request), as does the wait's [cancellation token](WaitForTask::cancel_on).
/// Set the knobs on the [`WaitForTask`] before calling
/// [`watch`](WaitForTask::watch), e.g.
/// `client.wait_for_task(id).timeout(d).watch()`.
#[must_use = "streams do nothing unless polled"]
pub struct WatchTask<T = Task> {
    state: WatchState<T>,
}

type StepFuture = Pin<Box<dyn Future<Output = (Poller, Step)> + Send + 'static>>;

enum WatchState<T> {
    Ready(Box<WaitForTask<T>>),
    Running { step: StepFuture, decode: Decode<T> },
    Finished,
}

impl<T> std::fmt::Debug for WatchTask<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            WatchState::Ready(_) => "ready",
            WatchState::Running { .. } => "running",
            WatchState::Finished => "finished",
        };
        f.debug_struct("WatchTask").field("state", &state).finish()
    }
}

fn step_future(mut poller: Poller, sleep: Option<Instant>) -> StepFuture {
    Box::pin(async move {
        let step = poller.advance(sleep).await;
        (poller, step)
    })
}

impl<T> futures_util::Stream for WatchTask<T> {
    type Item = WatchEvent<T>;

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<WatchEvent<T>>> {
        use std::task::Poll;
        let this = &mut *self;
        loop {
            match std::mem::replace(&mut this.state, WatchState::Finished) {
                WatchState::Finished => return Poll::Ready(None),
                WatchState::Ready(wait) => match wait.into_poller() {
                    Ok((poller, decode)) => {
                        this.state = WatchState::Running {
                            step: step_future(poller, None),
                            decode,
                        };
                    }
                    Err(e) => return Poll::Ready(Some(WatchEvent::Finished(Err(e)))),
                },
                WatchState::Running { mut step, decode } => match step.as_mut().poll(cx) {
                    Poll::Pending => {
                        this.state = WatchState::Running { step, decode };
                        return Poll::Pending;
                    }
                    Poll::Ready((poller, Step::Sleep { until, seen })) => {
                        this.state = WatchState::Running {
                            step: step_future(poller, Some(until)),
                            decode,
                        };
                        return Poll::Ready(Some(WatchEvent::Polled(*seen)));
                    }
                    Poll::Ready((_, Step::Done(result))) => {
                        return Poll::Ready(Some(WatchEvent::Finished((*result).and_then(decode))));
                    }
                },
            }
        }
    }
}
