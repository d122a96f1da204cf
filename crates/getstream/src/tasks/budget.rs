//! The request budget shared by the waits of one many-task wait: it paces
//! their requests from the server's rate-limit answers, so that throttling
//! slows the waits down instead of failing them.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::policy::server_hint;
use crate::error::Result;
use crate::models::{RateLimitInfo, Task};
use crate::transport::Response;

/// How long everyone holds off after a 429 that names no time.
const DEFAULT_THROTTLE_PAUSE: Duration = Duration::from_secs(1);

/// The request budget shared by the waits of one [`WaitForTasks`](crate::WaitForTasks): a pause
/// everyone honours (after a 429 or a spent window) and a spacing between
/// requests (when the window runs low), both set from the server's answers.
#[derive(Debug)]
pub(crate) struct Budget {
    state: Mutex<BudgetState>,
}

#[derive(Debug)]
struct BudgetState {
    /// No request before this instant (a 429 or a spent window).
    paused_until: Instant,
    /// The next free request slot, when requests are spaced out.
    next_slot: Instant,
    /// Time between two requests (zero while the window has room).
    spacing: Duration,
}

impl Budget {
    pub(crate) fn new() -> Budget {
        let now = Instant::now();
        Budget {
            state: Mutex::new(BudgetState {
                paused_until: now,
                next_slot: now,
                spacing: Duration::ZERO,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BudgetState> {
        // The state stays consistent even if a holder panicked: plain fields.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for this wait's turn to send a request, never past `deadline`
    /// (a wait's final poll slot: that poll is made then whatever the budget).
    pub(crate) async fn acquire(&self, deadline: Instant) {
        let slot = {
            let mut state = self.lock();
            let now = Instant::now();
            let slot = state.next_slot.max(now);
            state.next_slot = slot + state.spacing;
            slot
        };
        loop {
            let until = slot.max(self.lock().paused_until);
            let now = Instant::now();
            if until <= now || now >= deadline {
                return;
            }
            tokio::time::sleep_until(until.min(deadline)).await;
        }
    }

    /// Adjusts the budget to what a poll's answer says about the rate limit;
    /// `wall` is the wall-clock time (for `X-RateLimit-Reset`).
    pub(crate) fn observe(&self, outcome: &Result<Response<Task>>, wall: SystemTime) {
        let now = Instant::now();
        let mut state = self.lock();
        match outcome {
            Err(error) if error.is_rate_limited() => {
                let pause = server_hint(error, wall).unwrap_or(DEFAULT_THROTTLE_PAUSE);
                let pause = pause.max(Duration::from_millis(1));
                state.paused_until = state.paused_until.max(now + pause);
                tracing::debug!(?pause, "throttled: every wait holds off");
                if let Some(info) = error.rate_limit() {
                    state.spacing = spacing(info, wall);
                }
            }
            Err(error) => {
                if let Some(info) = error.rate_limit() {
                    state.apply(info, now, wall);
                }
            }
            Ok(response) => {
                if let Some(info) = response.rate_limit() {
                    state.apply(info, now, wall);
                }
            }
        }
    }
}

impl BudgetState {
    fn apply(&mut self, info: &RateLimitInfo, now: Instant, wall: SystemTime) {
        if info.is_exhausted() {
            let pause = info.reset_after(wall).unwrap_or(DEFAULT_THROTTLE_PAUSE);
            self.paused_until = self.paused_until.max(now + pause);
        }
        self.spacing = spacing(info, wall);
    }
}

/// Spreads the requests left in the window over the time until it resets,
/// once fewer than a tenth of the window (or 10 requests) remain.
fn spacing(info: &RateLimitInfo, wall: SystemTime) -> Duration {
    let (Some(remaining), Some(reset)) = (info.remaining, info.reset_after(wall)) else {
        return Duration::ZERO;
    };
    let low_water = info.limit.map_or(10, |limit| (limit / 10).max(10));
    if remaining >= low_water {
        return Duration::ZERO;
    }
    let slots = u32::try_from(remaining.saturating_add(1)).unwrap_or(u32::MAX);
    reset / slots
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn info(limit: u64, remaining: u64, reset_in: u64, wall: SystemTime) -> RateLimitInfo {
        RateLimitInfo {
            limit: Some(limit),
            remaining: Some(remaining),
            reset: Some(wall + S(reset_in)),
        }
    }

    #[test]
    fn spacing_kicks_in_only_when_the_window_runs_low() {
        let wall = SystemTime::UNIX_EPOCH + S(1_700_000_000);
        assert_eq!(spacing(&info(1000, 500, 60, wall), wall), Duration::ZERO);
        assert_eq!(spacing(&info(1000, 100, 60, wall), wall), Duration::ZERO);
        // 99 left of 1000, window resets in 60 s: one request every 0.6 s.
        assert_eq!(
            spacing(&info(1000, 99, 60, wall), wall),
            Duration::from_millis(600)
        );
        // Small windows: the low-water mark is 10 requests.
        assert_eq!(spacing(&info(20, 11, 6, wall), wall), Duration::ZERO);
        assert_eq!(spacing(&info(20, 2, 6, wall), wall), Duration::from_secs(2));
        // No reset time: nothing to spread over.
        let no_reset = RateLimitInfo {
            reset: None,
            ..info(20, 2, 6, wall)
        };
        assert_eq!(spacing(&no_reset, wall), Duration::ZERO);
    }
}
