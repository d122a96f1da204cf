//! The wall clock the server tokens' `iat` and `exp` are read from.
//!
//! Tokens need Unix time (the server compares `exp` with its own wall clock),
//! which tokio's paused clock does not move; so the token code reads this
//! clock, and tests replace it with one they set by hand.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, from the system clock or a test's function.
#[derive(Clone, Default)]
pub(crate) struct WallClock(Option<Arc<dyn Fn() -> SystemTime + Send + Sync>>);

impl WallClock {
    /// A clock that reads `now()` instead of the system clock.
    #[cfg_attr(not(test), allow(dead_code))] // tests set it through ClientBuilder::wall_clock
    pub(crate) fn from_fn(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        WallClock(Some(Arc::new(now)))
    }

    /// Whole seconds since the Unix epoch (0 for a clock set before 1970).
    pub(crate) fn unix_secs(&self) -> u64 {
        let now = match &self.0 {
            Some(now) => now(),
            None => SystemTime::now(),
        };
        now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
    }
}

impl fmt::Debug for WallClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "WallClock(custom)"
        } else {
            "WallClock(system)"
        })
    }
}
