//! One connection's life: how long a client may take to send a request head, how long an
//! idle keep-alive connection stays open, and the watch that enforces both.
//!
//! Hyper's own `header_read_timeout` also runs while a keep-alive connection waits for its
//! next request, so it cannot tell a slow head from an idle connection; the watch here can.
//! It sees the connection's bytes (through [`Tracked`], the socket wrapper) and its requests
//! (through [`Activity::begin`]): while a request is being served nothing is closed; a head
//! that started must be complete within [`ConnectionLimits::header_timeout`]; a connection
//! with nothing to do is closed after [`ConnectionLimits::idle_timeout`], and an idle
//! keep-alive connection at once while the server is short of connections (at the cap, or
//! out of file descriptors).
//!
//! On an HTTP/2 connection any frame read while no request is in progress (a `PING`)
//! counts as the start of a head, so such a connection is closed after the header timeout
//! rather than the idle timeout.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Connection timeouts, the connection cap and the shutdown grace of a running emulator
/// (`EmulatorConfig::connections`; `--header-timeout`, `--idle-timeout`,
/// `--max-connections`, `--shutdown-grace` on the command line).
///
/// ```
/// use std::time::Duration;
/// use getstream_emulator::ConnectionLimits;
/// let limits = ConnectionLimits::default()
///     .header_timeout(Duration::from_secs(5))
///     .max_connections(200);
/// assert_eq!(limits.idle_timeout, Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionLimits {
    /// Longest time from the first byte of a request head to its end; a slower client's
    /// connection is closed (no answer: it never sent a request). Default 10 s.
    pub header_timeout: Duration,
    /// Longest time a keep-alive connection stays open with no request and no traffic.
    /// Default 60 s.
    pub idle_timeout: Duration,
    /// Most connections open at once (at least 1). Past it, new connections wait in the
    /// listen queue until one closes, and idle ones are closed to make room. Default 1,024.
    pub max_connections: usize,
    /// How long a graceful shutdown lets requests in progress finish before it closes their
    /// connections. Idle connections close at once. Default 1 s.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(1),
        }
    }
}

impl ConnectionLimits {
    /// Sets [`header_timeout`](Self::header_timeout).
    #[must_use]
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
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

    /// Sets [`shutdown_grace`](Self::shutdown_grace).
    #[must_use]
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }
}

/// "No time": no head has started.
const NONE: u64 = u64::MAX;

/// What one connection is doing, shared by its socket wrapper, its requests and its watch.
#[derive(Debug)]
pub(crate) struct Activity {
    epoch: Instant,
    /// Milliseconds since `epoch` of the last bytes read or written, or of the last request's end.
    last_io: AtomicU64,
    /// Milliseconds since `epoch` of the first byte read since the last request ended ([`NONE`]
    /// while idle).
    head_started: AtomicU64,
    in_flight: AtomicUsize,
    /// Whether a request was served: only keep-alive connections are closed to make room (a
    /// new one gets its chance to send its first request).
    served: AtomicBool,
    /// Wakes the watch when a request begins or ends, or a head starts.
    wake: Notify,
}

/// Why the watch closes a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Close {
    /// A request head took longer than the header timeout.
    SlowHead,
    /// No request and no traffic for the idle timeout.
    Idle,
}

impl Activity {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            epoch: Instant::now(),
            last_io: AtomicU64::new(0),
            head_started: AtomicU64::new(NONE),
            in_flight: AtomicUsize::new(0),
            served: AtomicBool::new(false),
            wake: Notify::new(),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(NONE - 1)
    }

    fn at(&self, ms: u64) -> Instant {
        self.epoch + Duration::from_millis(ms)
    }

    fn saw_bytes(&self, read: bool) {
        let now = self.now_ms();
        self.last_io.store(now, Ordering::Relaxed);
        if read
            && self.in_flight.load(Ordering::Acquire) == 0
            && self
                .head_started
                .compare_exchange(NONE, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            self.wake.notify_one();
        }
    }

    /// A request's head was read: nothing is closed until the returned guard drops.
    pub(crate) fn begin(self: &Arc<Self>) -> RequestGuard {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.served.store(true, Ordering::Release);
        self.head_started.store(NONE, Ordering::Release);
        self.wake.notify_one();
        RequestGuard(Arc::clone(self))
    }

    /// Whether the connection has nothing to do: no request in progress, no head started.
    pub(crate) fn is_idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
            && self.head_started.load(Ordering::Acquire) == NONE
    }

    /// Whether the connection is idle after serving a request: the one to close when the
    /// server is short of connections.
    pub(crate) fn is_idle_keep_alive(&self) -> bool {
        self.served.load(Ordering::Acquire) && self.is_idle()
    }

    /// When the connection is to be closed, and why, as things stand.
    pub(crate) fn deadline(&self, limits: &ConnectionLimits) -> Option<(Instant, Close)> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        match self.head_started.load(Ordering::Acquire) {
            NONE => Some((
                self.at(self.last_io.load(Ordering::Relaxed)) + limits.idle_timeout,
                Close::Idle,
            )),
            started => Some((self.at(started) + limits.header_timeout, Close::SlowHead)),
        }
    }

    /// Resolves when a request begins or ends or a head starts (the deadline moved).
    pub(crate) async fn changed(&self) {
        self.wake.notified().await;
    }
}

/// Marks a request in progress on its connection.
#[derive(Debug)]
pub(crate) struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let a = &self.0;
        a.last_io.store(a.now_ms(), Ordering::Relaxed);
        a.in_flight.fetch_sub(1, Ordering::AcqRel);
        a.wake.notify_one();
    }
}

/// A socket that reports its traffic to the connection's [`Activity`].
#[derive(Debug)]
pub(crate) struct Tracked<T> {
    io: T,
    activity: Arc<Activity>,
}

impl<T> Tracked<T> {
    pub(crate) fn new(io: T, activity: Arc<Activity>) -> Self {
        Self { io, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.saw_bytes(true);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.saw_bytes(false);
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.saw_bytes(false);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn deadlines_follow_heads_requests_and_traffic() {
        let limits = ConnectionLimits::default()
            .header_timeout(Duration::from_secs(2))
            .idle_timeout(Duration::from_secs(30));
        let a = Activity::new();
        let start = Instant::now();
        assert_eq!(
            a.deadline(&limits),
            Some((start + Duration::from_secs(30), Close::Idle))
        );
        tokio::time::advance(Duration::from_secs(5)).await;
        a.saw_bytes(true);
        assert!(!a.is_idle());
        assert_eq!(
            a.deadline(&limits),
            Some((start + Duration::from_secs(7), Close::SlowHead))
        );
        // More bytes of the same head do not move its deadline (a trickle is still slow).
        tokio::time::advance(Duration::from_secs(1)).await;
        a.saw_bytes(true);
        assert_eq!(
            a.deadline(&limits).unwrap().0,
            start + Duration::from_secs(7)
        );
        let guard = a.begin();
        assert_eq!(a.deadline(&limits), None, "never closed mid-request");
        tokio::time::advance(Duration::from_secs(100)).await;
        a.saw_bytes(true); // the body
        drop(guard);
        assert!(a.is_idle());
        assert_eq!(
            a.deadline(&limits),
            Some((start + Duration::from_secs(136), Close::Idle))
        );
        // Writing a long answer is traffic: the idle clock restarts.
        tokio::time::advance(Duration::from_secs(10)).await;
        a.saw_bytes(false);
        assert_eq!(
            a.deadline(&limits).unwrap().0,
            start + Duration::from_secs(146)
        );
    }
}
