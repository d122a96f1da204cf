//! Time helpers: "no deadline" for monotonic instants, and the client's wall
//! clock.
//!
//! The wall clock is read here and nowhere else: for `X-RateLimit-Reset`
//! (Unix seconds), `Retry-After` dates and the server tokens' `iat` and `exp`. A client
//! reads it through its [`TimeSource`] (set with
//! [`ClientBuilder::time_source`](crate::ClientBuilder::time_source)), so that
//! tests, which run on tokio's paused clock, can pin the wall clock too and
//! assert exact times. Monotonic time (sleeps, deadlines, request limits) is
//! always tokio's clock.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

/// About 30 years from `from`: "no deadline" without overflowing the clock.
pub(crate) fn far_future(from: Instant) -> Instant {
    from + Duration::from_secs(86_400 * 365 * 30)
}

/// Where a client reads the wall-clock time (the time of day, as opposed to
/// the monotonic clock of its timers).
///
/// The default is [`SystemTimeSource`]. Tests give the client a clock they
/// control, e.g. one that starts at a fixed time and follows tokio's paused
/// clock:
///
/// ```
/// use std::time::{Duration, SystemTime};
///
/// #[derive(Debug)]
/// struct TestClock { epoch: SystemTime, start: tokio::time::Instant }
///
/// impl getstream_tasks::TimeSource for TestClock {
///     fn now(&self) -> SystemTime {
///         self.epoch + self.start.elapsed()
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> getstream_tasks::Result<()> {
/// let clock = TestClock {
///     epoch: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
///     start: tokio::time::Instant::now(),
/// };
/// let client = getstream_tasks::Client::builder("api-key", "api-secret")
///     .time_source(clock)
///     .build()?;
/// # drop(client);
/// # Ok(()) }
/// ```
pub trait TimeSource: fmt::Debug + Send + Sync {
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;
}

/// The operating system's wall clock: the default [`TimeSource`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemTimeSource;

impl TimeSource for SystemTimeSource {
    fn now(&self) -> SystemTime {
        // The one read of the system's wall clock in the crate.
        SystemTime::now()
    }
}

/// A client's wall clock, shared by its clones.
#[derive(Debug, Clone)]
pub(crate) struct Clock(Arc<dyn TimeSource>);

impl Clock {
    pub(crate) fn new(source: Arc<dyn TimeSource>) -> Clock {
        Clock(source)
    }

    /// The current wall-clock time.
    pub(crate) fn now(&self) -> SystemTime {
        self.0.now()
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock(Arc::new(SystemTimeSource))
    }
}
