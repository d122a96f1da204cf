//! The client-wide request scheduler, in front of the transport: every
//! request of a client (and of its clones, and of the blocking client that
//! wraps it) is admitted here before it goes out.
//!
//! * **In-flight bound**: at most
//!   [`ClientBuilder::max_in_flight`](crate::ClientBuilder::max_in_flight)
//!   requests are in flight at once (default [`DEFAULT_MAX_IN_FLIGHT`]), and
//!   the client holds at most that many connections, however many waits run
//!   (a slot is freed after a yield, so the finished connection is usually
//!   back in the pool before the next request looks; the connect gate,
//!   `transport/connect_gate.rs`, covers the instant when it is not). The
//!   gate also has a wait's poll wait briefly for a busy connection rather
//!   than open one, so that a burst of polls does not open a connection
//!   each.
//! * **Request budget** ([`pacer`]): the rate-limit headers of every answer
//!   pace the next requests; a 429 pauses all of them; no answer pauses
//!   them for more than [`pacer::MAX_SERVER_PAUSE`].
//! * **Priority**: while requests are scarce (the bound is reached, or the
//!   budget paces or pauses), queued requests are admitted in order of
//!   [`Priority`]: a wait's final poll first, then fewer polls made before
//!   more (every waiting task gets a poll before any gets another), then the
//!   nearest deadline.
//! * **Deadlines**: a request waits for admission only until its deadline (a
//!   wait's own deadline, or the request timeout); then it fails with a
//!   timeout error instead of going late. Dropping the request's future while
//!   it is queued removes it from the queue.
//!
//! Duplicate polls of one task share one request ([`crate::tasks::shared`]).

pub(crate) mod pacer;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Mutex, MutexGuard};
use std::task::{Poll, Waker};
use std::time::SystemTime;

use tokio::time::Instant;

use pacer::{Observation, Pacer};

/// Default bound on a client's requests in flight (and so on its open
/// connections); see [`ClientBuilder::max_in_flight`](crate::ClientBuilder::max_in_flight).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 32;

/// How urgent a request is, when requests are scarce.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Priority {
    /// Polls the wait has made so far (0 for anything but a poll).
    pub(crate) polls: u32,
    /// From this instant on the request is a wait's final poll, which goes
    /// before everything else.
    pub(crate) final_at: Option<Instant>,
}

/// A place in the queue: lower goes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    /// 0 for final polls, 1 for everything else.
    class: u8,
    polls: u32,
    deadline: Instant,
    /// Arrival order among equals.
    seq: u64,
}

/// One client's scheduler; see the module docs.
#[derive(Debug)]
pub(crate) struct Scheduler {
    bound: usize,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    in_flight: usize,
    pacer: Pacer,
    /// Requests waiting for admission, each with the waker of its task: a
    /// queued request holds this entry and its admission's small state,
    /// nothing else (thousands may be queued while the server falls behind).
    queue: BTreeMap<Key, Waker>,
    seq: u64,
    /// The most requests in flight at once so far (for tests and benches).
    peak: usize,
}

impl State {
    /// Wakes the request at the head of the queue, so it checks its turn.
    fn wake_head(&self) {
        if let Some((_, waker)) = self.queue.first_key_value() {
            waker.wake_by_ref();
        }
    }
}

/// Holds one of the in-flight slots; dropping it frees the slot.
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    scheduler: &'a Scheduler,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut state = self.scheduler.lock();
        state.in_flight -= 1;
        state.wake_head();
    }
}

/// Takes a queued request out of the queue when its admission ends in any
/// way (admitted, timed out, or its future dropped).
struct Queued<'a> {
    scheduler: &'a Scheduler,
    key: Option<Key>,
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let mut state = self.scheduler.lock();
            state.queue.remove(&key);
            state.wake_head();
        }
    }
}

impl Scheduler {
    /// A scheduler admitting at most `bound` (≥ 1) requests at once.
    pub(crate) fn new(bound: usize) -> Scheduler {
        Scheduler {
            bound: bound.max(1),
            state: Mutex::new(State {
                in_flight: 0,
                pacer: Pacer::new(Instant::now()),
                queue: BTreeMap::new(),
                seq: 0,
                peak: 0,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Plain counters and maps: consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The bound on requests in flight.
    pub(crate) fn bound(&self) -> usize {
        self.bound
    }

    /// The most requests that were in flight at once.
    pub(crate) fn peak_in_flight(&self) -> usize {
        self.lock().peak
    }

    /// Waits until the request may go: `None` if `give_up` comes first.
    // A plain fn returning an `async move` block: an `async fn` keeps its
    // arguments twice in its state, and every queued request holds this one.
    #[allow(clippy::manual_async_fn)] // on purpose: see above
    pub(crate) fn admit(
        &self,
        priority: Priority,
        give_up: Instant,
    ) -> impl Future<Output = Option<Permit<'_>>> + '_ {
        async move {
            let mut queued = Queued {
                scheduler: self,
                key: None,
            };
            // One timer, moved as the time to wake changes.
            let mut sleep = std::pin::pin!(tokio::time::sleep_until(give_up));
            std::future::poll_fn(|cx| {
                loop {
                    let now = Instant::now();
                    let class = u8::from(priority.final_at.is_none_or(|at| now < at));
                    let wake_at = {
                        let mut state = self.lock();
                        let key = match queued.key {
                            Some(key) if key.class == class => {
                                // Checked under the lock that wakes it: no
                                // wake-up is lost between two polls.
                                if let Some(waker) = state.queue.get_mut(&key)
                                    && !waker.will_wake(cx.waker())
                                {
                                    waker.clone_from(cx.waker());
                                }
                                key
                            }
                            old => {
                                // First arrival, or promoted to a final poll.
                                let seq = old.map_or_else(
                                    || {
                                        state.seq += 1;
                                        state.seq
                                    },
                                    |k| k.seq,
                                );
                                if let Some(old) = old {
                                    state.queue.remove(&old);
                                }
                                let key = Key {
                                    class,
                                    polls: priority.polls,
                                    deadline: give_up,
                                    seq,
                                };
                                state.queue.insert(key, cx.waker().clone());
                                queued.key = Some(key);
                                key
                            }
                        };
                        let is_head = state.queue.first_key_value().map(|(k, _)| *k) == Some(key);
                        if is_head && state.in_flight < self.bound {
                            let ready = state.pacer.ready_at(now);
                            if ready <= now {
                                state.pacer.take(now);
                                state.in_flight += 1;
                                state.peak = state.peak.max(state.in_flight);
                                state.queue.remove(&key);
                                queued.key = None;
                                // The next in line may be able to go too.
                                state.wake_head();
                                return Poll::Ready(Some(Permit { scheduler: self }));
                            }
                            Some(ready)
                        } else {
                            None
                        }
                    };
                    if now >= give_up {
                        return Poll::Ready(None);
                    }
                    let mut until = wake_at.map_or(give_up, |at| at.min(give_up));
                    if let Some(at) = priority.final_at.filter(|&at| class == 1 && at > now) {
                        until = until.min(at);
                    }
                    // Whichever comes first: a wake-up from the queue (a slot
                    // or the budget changed), or the time.
                    if sleep.deadline() != until {
                        sleep.as_mut().reset(until);
                    }
                    if sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
            })
            .await
        }
    }

    /// Lets the budget learn from an answer to `request`.
    pub(crate) fn observe(&self, seen: &Observation, wall: SystemTime, request: &str) {
        if seen.info.is_none() && !seen.throttled {
            return;
        }
        let mut state = self.lock();
        let now = Instant::now();
        let excess = state.pacer.observe(seen, now, wall);
        // The head may sleep for a time that just changed.
        state.wake_head();
        drop(state);
        if let Some(asked) = excess {
            // Once per client: an answer that keeps asking would flood the log.
            tracing::warn!(
                request,
                asked_secs = asked.as_secs(),
                most_secs = pacer::MAX_SERVER_PAUSE.as_secs(),
                "the server's rate-limit headers ask to hold requests back for longer than \
                 one window; the client holds them back for at most one window (reported \
                 once per client)"
            );
        }
    }

    /// Whether the budget is pacing or pausing requests right now.
    #[cfg(test)]
    pub(crate) fn is_limiting(&self) -> bool {
        self.lock().pacer.is_limiting(Instant::now())
    }
}

#[cfg(test)]
mod tests;
