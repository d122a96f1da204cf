//! One connection's life: how long a client may take to send a request head, how long an
//! idle connection stays open, and when it may be closed to make room. The same approach as
//! the emulator's connection watch.
//!
//! Hyper's own `header_read_timeout` also runs while a keep-alive connection waits for its
//! next request, so it cannot tell a slow head from an idle connection; this watch can. It
//! sees the connection's bytes (through [`Tracked`], the socket wrapper) and its requests
//! (through [`Activity::begin`]): while a request is being served nothing is closed; a head
//! that started must be complete within the header timeout; a connection with nothing to do
//! is closed after the idle timeout; and while the server is short of connections, those
//! that have waited [`RECLAIM_GRACE`] for a request close (Stream's sender sends its request
//! as soon as it connects).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::limits::ReceiverLimits;

/// How long a connection may wait for a complete request head while the server is short of
/// connections before it is closed to make room.
pub(crate) const RECLAIM_GRACE: Duration = Duration::from_secs(1);

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
    /// Milliseconds since `epoch` of the end of the last request (0: the
    /// connection's opening): how long it has waited for a request.
    waiting_since: AtomicU64,
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
            waiting_since: AtomicU64::new(0),
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
        if !read {
            // The answer goes out after the request's end: the wait for the
            // next request starts when the client has it.
            self.waiting_since.store(now, Ordering::Relaxed);
        }
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
        self.head_started.store(NONE, Ordering::Release);
        self.wake.notify_one();
        RequestGuard(Arc::clone(self))
    }

    /// When the connection may be closed to make room while the server is short of
    /// connections: once it has waited [`RECLAIM_GRACE`] for a request (since it opened or
    /// its last request ended) — an idle keep-alive connection, a slow or empty head; never
    /// while a request is in progress. Not at once even when idle: a client may be sending
    /// its next request on a kept-alive connection right now.
    pub(crate) fn reclaimable_at(&self) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        Some(self.at(self.waiting_since.load(Ordering::Relaxed)) + RECLAIM_GRACE)
    }

    /// When the connection is to be closed, and why, as things stand.
    pub(crate) fn deadline(&self, limits: &ReceiverLimits) -> Option<(Instant, Close)> {
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
        let now = a.now_ms();
        a.last_io.store(now, Ordering::Relaxed);
        a.waiting_since.store(now, Ordering::Relaxed);
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
    async fn deadlines_and_reclaiming_follow_heads_and_requests() {
        let limits = ReceiverLimits::default()
            .header_timeout(Duration::from_secs(2))
            .idle_timeout(Duration::from_secs(30));
        let a = Activity::new();
        let start = Instant::now();
        assert_eq!(
            a.deadline(&limits),
            Some((start + Duration::from_secs(30), Close::Idle))
        );
        assert_eq!(a.reclaimable_at(), Some(start + RECLAIM_GRACE));
        tokio::time::advance(Duration::from_secs(5)).await;
        a.saw_bytes(true);
        a.saw_bytes(true);
        assert_eq!(
            a.deadline(&limits),
            Some((start + Duration::from_secs(7), Close::SlowHead)),
            "a trickle of head bytes does not move the deadline"
        );
        let guard = a.begin();
        assert_eq!(a.deadline(&limits), None, "never closed mid-request");
        assert_eq!(a.reclaimable_at(), None);
        tokio::time::advance(Duration::from_secs(3)).await;
        drop(guard);
        assert_eq!(
            a.reclaimable_at(),
            Some(start + Duration::from_secs(8) + RECLAIM_GRACE),
            "a kept-alive connection has its grace from the request's end"
        );
        tokio::time::advance(Duration::from_millis(300)).await;
        a.saw_bytes(false);
        assert_eq!(
            a.reclaimable_at(),
            Some(start + Duration::from_millis(8_300) + RECLAIM_GRACE),
            "… or from the answer's last bytes"
        );
    }
}
