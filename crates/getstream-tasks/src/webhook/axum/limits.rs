//! [`ReceiverLimits`]: what a webhook receiver facing the internet bounds.

use std::time::Duration;

use crate::webhook::DEFAULT_MAX_PAYLOAD_SIZE;

/// The bounds of a webhook receiver that faces the internet, with defaults
/// that fit Stream's sender (a request of a few KiB, answered within 6 s,
/// a handful at once). [`BodyLimitLayer`](super::BodyLimitLayer) applies the
/// body bounds to any axum router; [`serve`](super::serve) applies them all.
///
/// ```
/// use std::time::Duration;
/// use getstream_tasks::webhook::axum::ReceiverLimits;
/// let limits = ReceiverLimits::default()
///     .max_connections(64)
///     .body_budget(8 << 20);
/// assert_eq!(limits.header_timeout, Duration::from_secs(5));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiverLimits {
    /// Longest time from the first byte of a request head to its end; a
    /// slower client's connection is closed. Default 5 s.
    pub header_timeout: Duration,
    /// Longest time to read a request body; a slower one is answered `408`.
    /// Default 6 s (Stream's sender gives up on a request after 6 s).
    pub body_timeout: Duration,
    /// Longest time a connection stays open with no request and no traffic.
    /// Default 30 s.
    pub idle_timeout: Duration,
    /// Most connections open at once (at least 1). At the cap, connections
    /// that have waited a second without a request (idle, or a slow head)
    /// are closed to make room, and new ones wait in the listen queue (no
    /// file descriptor spent). Default 256.
    pub max_connections: usize,
    /// Largest body of one request, as sent; a larger one is answered `413`
    /// (at once when its `Content-Length` says so). Default
    /// [`DEFAULT_MAX_PAYLOAD_SIZE`] (16 MiB).
    pub max_body_bytes: usize,
    /// Most body bytes held at once by all requests together; a request whose
    /// body would take more is answered `503` (Stream retries it). Default
    /// 64 MiB.
    pub body_budget: usize,
    /// Refusals are logged once, then summarised (counts by reason) in one
    /// line per this interval at most. Default 10 s.
    pub log_interval: Duration,
}

impl Default for ReceiverLimits {
    fn default() -> Self {
        ReceiverLimits {
            header_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(6),
            idle_timeout: Duration::from_secs(30),
            max_connections: 256,
            max_body_bytes: DEFAULT_MAX_PAYLOAD_SIZE,
            body_budget: 64 << 20,
            log_interval: Duration::from_secs(10),
        }
    }
}

impl ReceiverLimits {
    /// Sets [`header_timeout`](Self::header_timeout).
    #[must_use]
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// Sets [`body_timeout`](Self::body_timeout).
    #[must_use]
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Sets [`idle_timeout`](Self::idle_timeout).
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets [`max_connections`](Self::max_connections) (at least 1).
    #[must_use]
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// Sets [`max_body_bytes`](Self::max_body_bytes).
    #[must_use]
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets [`body_budget`](Self::body_budget).
    #[must_use]
    pub fn body_budget(mut self, bytes: usize) -> Self {
        self.body_budget = bytes;
        self
    }

    /// Sets [`log_interval`](Self::log_interval).
    #[must_use]
    pub fn log_interval(mut self, interval: Duration) -> Self {
        self.log_interval = interval;
        self
    }
}
