//! [`Deliveries`]: which webhook deliveries were already handled, so that a
//! retry or a replay of one is answered without being handled again.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::time::Instant;

/// The header Stream names each delivery in; its retries carry the same id.
pub const WEBHOOK_ID_HEADER: &str = "x-webhook-id";

/// How long [`Deliveries`] remembers a delivery by default: 10 minutes
/// (Stream's retries of one delivery all come within 15 s).
pub const DEFAULT_REPLAY_WINDOW: Duration = Duration::from_secs(600);

/// How many deliveries [`Deliveries`] remembers at most by default (some 80
/// bytes each).
pub const DEFAULT_REPLAY_CAPACITY: usize = 20_000;

/// The deliveries seen recently, by `X-Webhook-Id`: a delivery seen again
/// within the window (Stream's own retry, or a captured delivery replayed)
/// is a duplicate, to answer `200` without handling it again.
///
/// Memory is bounded: it keeps a 32-byte digest per delivery (never the id
/// itself, whatever its length), for at most the window and at most the
/// capacity (the oldest is forgotten first). Record only verified
/// deliveries, so that unsigned requests cannot fill it. The id is not
/// covered by Stream's signature: a replay under a fresh id is not caught
/// here, but the polls events add to a wait are bounded anyway (see
/// [`TaskEvents`](crate::TaskEvents)).
///
/// Cheap to clone: clones share one record.
///
/// ```
/// use getstream_tasks::webhook::Deliveries;
/// let seen = Deliveries::new();
/// assert!(seen.first_time("7d1c…"));
/// assert!(!seen.first_time("7d1c…"), "a retry or replay");
/// assert!(seen.first_time("another"));
/// ```
#[derive(Clone)]
#[must_use]
pub struct Deliveries {
    window: Duration,
    capacity: usize,
    seen: Arc<Mutex<Seen>>,
}

#[derive(Default)]
struct Seen {
    digests: HashSet<[u8; 32]>,
    /// Oldest first.
    order: VecDeque<(Instant, [u8; 32])>,
}

impl fmt::Debug for Deliveries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deliveries")
            .field("window", &self.window)
            .field("capacity", &self.capacity)
            .field("remembered", &self.len())
            .finish()
    }
}

impl Default for Deliveries {
    fn default() -> Self {
        Deliveries {
            window: DEFAULT_REPLAY_WINDOW,
            capacity: DEFAULT_REPLAY_CAPACITY,
            seen: Arc::default(),
        }
    }
}

impl Deliveries {
    /// An empty record with the default window ([`DEFAULT_REPLAY_WINDOW`])
    /// and capacity ([`DEFAULT_REPLAY_CAPACITY`]).
    pub fn new() -> Self {
        Deliveries::default()
    }

    /// How long a delivery is remembered. Zero remembers none.
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// How many deliveries are remembered at most. Zero remembers none.
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// Whether `id` is seen for the first time within the window; it is
    /// remembered from now on.
    pub fn first_time(&self, id: &str) -> bool {
        if self.window.is_zero() || self.capacity == 0 {
            return true;
        }
        let digest: [u8; 32] = Sha256::digest(id.as_bytes()).into();
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(&(at, old)) = seen.order.front() {
            if now.saturating_duration_since(at) < self.window && seen.order.len() < self.capacity {
                break;
            }
            seen.order.pop_front();
            seen.digests.remove(&old);
        }
        if !seen.digests.insert(digest) {
            return false;
        }
        seen.order.push_back((now, digest));
        true
    }

    /// How many deliveries are remembered now.
    pub fn len(&self) -> usize {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .order
            .len()
    }

    /// Whether none is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn duplicates_within_the_window_and_the_capacity_are_caught() {
        let seen = Deliveries::new()
            .window(Duration::from_secs(60))
            .capacity(3);
        assert!(seen.first_time("a"));
        assert!(!seen.first_time("a"));
        tokio::time::advance(Duration::from_secs(59)).await;
        assert!(!seen.first_time("a"), "still within the window");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(seen.first_time("a"), "the window has passed");
        assert_eq!(seen.len(), 1);
        // At the capacity the oldest is forgotten first; memory stays bounded.
        for id in ["b", "c", "d"] {
            assert!(seen.first_time(id));
        }
        assert_eq!(seen.len(), 3);
        assert!(seen.first_time("a"), "forgotten to make room");
        assert!(!seen.first_time("d"));
        // Long ids cost a digest each, not their length.
        let long = "x".repeat(1 << 20);
        assert!(seen.first_time(&long));
        assert!(!seen.clone().first_time(&long), "clones share the record");
        assert!(Deliveries::new().window(Duration::ZERO).first_time("a"));
    }
}
