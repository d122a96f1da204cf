//! The client's request budget, as pure decisions: from the rate-limit
//! headers of each answer, when may the next request go?
//!
//! * From the first answer that carries `X-RateLimit-Limit`, `-Remaining` and
//!   `-Reset`, what remains of the window is spread evenly over the time left
//!   until it resets, with a small burst allowance, so the window is never
//!   spent early (a generic cell rate: one request per `interval`, up to
//!   [`BURST`] at once after a quiet spell, and no more than a tenth of what
//!   remains).
//! * A spent window (`remaining == 0`) pauses every request until the reset.
//! * A 429 pauses every request until its `Retry-After`, else the window's
//!   reset, else for [`DEFAULT_THROTTLE_PAUSE`].
//! * A reset time already past means the window has renewed: requests go
//!   freely until the next answer tells the new window.
//! * No answer can hold requests back for more than [`MAX_SERVER_PAUSE`]
//!   (Stream's windows last a minute): a `Retry-After` or a reset further
//!   away counts as that much (and the first such answer is reported, once
//!   per client, so a proxy's bug or a hostile server cannot silence the
//!   client). A window that allows no request (`X-RateLimit-Limit: 0`) is
//!   read as spent until its reset, and what remains never counts as more
//!   than the limit.
//!
//! No clock is read here: every decision takes `now` (tokio's clock) and
//! `wall` (the client's wall clock, for `X-RateLimit-Reset`), so tests script
//! the headers and the times exactly.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::models::RateLimitInfo;

/// How long every request holds off after a 429 that names no time.
pub(crate) const DEFAULT_THROTTLE_PAUSE: Duration = Duration::from_secs(1);

/// The longest any one answer's headers may hold requests back
/// (`Retry-After`, or the time to `X-RateLimit-Reset`).
pub(crate) const MAX_SERVER_PAUSE: Duration = Duration::from_secs(60);

/// How far past [`MAX_SERVER_PAUSE`] an answer may ask before it is reported:
/// `X-RateLimit-Reset` is stamped in whole seconds, so a full one-minute window
/// read just after it opened asks for up to a second more than the minute (the
/// emulator's and Stream's own windows do); that is no hostile header.
const REPORT_SLACK: Duration = Duration::from_secs(2);

/// The most requests that may go back to back after a quiet spell while the
/// window is paced (and never more than a tenth of what remains).
pub(crate) const BURST: u32 = 4;

/// What one answer said about the rate limit.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Observation {
    /// The answer was a 429.
    pub(crate) throttled: bool,
    /// Its `X-RateLimit-*` headers.
    pub(crate) info: Option<RateLimitInfo>,
    /// Its `Retry-After`.
    pub(crate) retry_after: Option<Duration>,
}

/// Requests spread over what is left of a window.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Pace {
    /// Time between two requests.
    interval: Duration,
    /// Requests that may go back to back.
    burst: u32,
    /// When the window resets (pacing ends then).
    window_end: Instant,
}

/// The request budget's state; see the module docs.
#[derive(Debug, Clone)]
pub(crate) struct Pacer {
    /// No request before this instant (a 429 or a spent window).
    paused_until: Option<Instant>,
    /// The current pace, while a window is known.
    pace: Option<Pace>,
    /// The theoretical time of the next request at the pace (the cell rate
    /// algorithm's "arrival time"): a request may go `interval * (burst - 1)`
    /// before it.
    next_at: Instant,
    /// An answer already asked for more than [`MAX_SERVER_PAUSE`] (it is
    /// reported once).
    capped_once: bool,
}

impl Pacer {
    /// A budget that knows nothing yet: requests go freely.
    pub(crate) fn new(now: Instant) -> Pacer {
        Pacer {
            paused_until: None,
            pace: None,
            next_at: now,
            capped_once: false,
        }
    }

    /// The earliest instant a request may go (`<= now`: at once).
    pub(crate) fn ready_at(&self, now: Instant) -> Instant {
        let mut at = now;
        if let Some(pace) = self.pace.filter(|p| now < p.window_end) {
            let early = pace.interval * pace.burst.saturating_sub(1);
            let paced = self.next_at.checked_sub(early).unwrap_or(now);
            // Pacing never holds a request past the window's reset.
            at = at.max(paced.min(pace.window_end));
        }
        if let Some(until) = self.paused_until {
            at = at.max(until);
        }
        at
    }

    /// Records that a request goes at `now` (which must be `>= ready_at`).
    pub(crate) fn take(&mut self, now: Instant) {
        match self.pace.filter(|p| now < p.window_end) {
            Some(pace) => self.next_at = self.next_at.max(now) + pace.interval,
            None => self.next_at = now,
        }
    }

    /// Whether requests are scarce right now (paced or paused): the scheduler
    /// then hands them out by priority.
    #[cfg(test)]
    pub(crate) fn is_limiting(&self, now: Instant) -> bool {
        self.paused_until.is_some_and(|u| u > now) || self.pace.is_some_and(|p| now < p.window_end)
    }

    /// Adjusts the budget to an answer that arrived at `now` (`wall` on the
    /// client's wall clock). Returns what the answer asked for, the first
    /// time an answer asks for more than [`MAX_SERVER_PAUSE`], to be
    /// reported.
    pub(crate) fn observe(
        &mut self,
        seen: &Observation,
        now: Instant,
        wall: SystemTime,
    ) -> Option<Duration> {
        let reset_in = seen
            .info
            .and_then(|info| info.reset_after(wall))
            .filter(|d| !d.is_zero());
        let asked = reset_in.max(seen.retry_after.filter(|_| seen.throttled));
        let report = match asked {
            Some(asked) if asked > MAX_SERVER_PAUSE + REPORT_SLACK && !self.capped_once => {
                self.capped_once = true;
                Some(asked)
            }
            _ => None,
        };
        self.adjust(seen, reset_in.map(cap), now);
        report
    }

    fn adjust(&mut self, seen: &Observation, reset_in: Option<Duration>, now: Instant) {
        if seen.throttled {
            let pause = seen
                .retry_after
                .map(cap)
                .or(reset_in)
                .unwrap_or(DEFAULT_THROTTLE_PAUSE)
                .max(Duration::from_millis(1));
            self.pause_until(now + pause);
        }
        let Some(info) = seen.info else {
            return;
        };
        // No more remains than the window allows; a window that allows
        // nothing is spent (until its reset, like any other).
        let remaining = match (info.remaining, info.limit) {
            (Some(remaining), Some(limit)) => remaining.min(limit),
            (Some(remaining), None) => remaining,
            (None, Some(0)) => 0,
            (None, _) => return,
        };
        let Some(reset_in) = reset_in else {
            // The reset is past (or unknown): the window has renewed, and
            // what it allows is not known until the next answer.
            if info.reset.is_some() {
                self.pace = None;
            }
            return;
        };
        let window_end = now + reset_in;
        if remaining == 0 {
            self.pause_until(window_end);
            self.pace = None;
            return;
        }
        let slots = u32::try_from(remaining).unwrap_or(u32::MAX);
        let burst = (slots / 10).clamp(1, BURST);
        self.pace = Some(Pace {
            interval: reset_in / slots,
            burst,
            window_end,
        });
        // A new pace keeps the credit already used (next_at), so a burst is
        // not granted twice; but never more than one burst ahead of now.
        let ahead = now + reset_in / slots * burst;
        self.next_at = self.next_at.min(ahead);
    }

    fn pause_until(&mut self, until: Instant) {
        self.paused_until = Some(self.paused_until.map_or(until, |u| u.max(until)));
    }
}

/// A pause the server asked for, as the client takes it: at most
/// [`MAX_SERVER_PAUSE`].
pub(crate) fn cap(asked: Duration) -> Duration {
    asked.min(MAX_SERVER_PAUSE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    const EPOCH: u64 = 1_700_000_000;

    /// Headers of an answer: `limit`, `remaining`, reset at `reset` wall seconds.
    fn headers(limit: u64, remaining: u64, reset: u64) -> Observation {
        Observation {
            throttled: false,
            info: Some(RateLimitInfo {
                limit: Some(limit),
                remaining: Some(remaining),
                reset: Some(SystemTime::UNIX_EPOCH + secs(reset)),
            }),
            retry_after: None,
        }
    }

    fn wall(t0: Instant, now: Instant) -> SystemTime {
        SystemTime::UNIX_EPOCH + secs(EPOCH) + (now - t0)
    }

    /// Sends as fast as the pacer allows from `from` until `until`; the send times.
    fn drain(pacer: &mut Pacer, from: Instant, until: Instant) -> Vec<Instant> {
        let mut sent = Vec::new();
        let mut now = from;
        loop {
            now = pacer.ready_at(now).max(now);
            if now >= until {
                return sent;
            }
            pacer.take(now);
            sent.push(now);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn knows_nothing_then_requests_go_freely() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(t0);
        assert_eq!(pacer.ready_at(t0), t0);
        pacer.take(t0);
        assert_eq!(pacer.ready_at(t0), t0);
        assert!(!pacer.is_limiting(t0));
        // An answer without rate-limit headers changes nothing.
        pacer.observe(&Observation::default(), t0, wall(t0, t0));
        assert_eq!(pacer.ready_at(t0), t0);
    }

    #[tokio::test(start_paused = true)]
    async fn what_remains_is_spread_over_the_time_to_reset_with_a_small_burst() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(t0);
        // 1,200 a minute, 1,199 left, reset in 60 s: about 20 a second.
        pacer.observe(&headers(1200, 1199, EPOCH + 60), t0, wall(t0, t0));
        assert!(pacer.is_limiting(t0));
        let sent = drain(&mut pacer, t0, t0 + secs(10));
        let interval = secs(60) / 1199;
        // The burst goes at once, then one per interval.
        assert_eq!(&sent[..BURST as usize], &[t0; BURST as usize]);
        assert_eq!(sent[BURST as usize] - t0, interval);
        // Ten seconds hold about 10 s / interval requests, never the window.
        let expected = (secs(10).as_nanos() / interval.as_nanos()) as usize + BURST as usize;
        assert!(
            sent.len().abs_diff(expected) <= 1,
            "{} vs {expected}",
            sent.len()
        );
        assert!(sent.len() < 210);
    }

    #[tokio::test(start_paused = true)]
    async fn a_window_spent_early_pauses_until_its_reset() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(t0);
        // Someone else (another process) spent the window: 0 left, reset in 7 s.
        let now = t0 + secs(2);
        pacer.observe(&headers(100, 0, EPOCH + 9), now, wall(t0, now));
        assert_eq!(pacer.ready_at(now), t0 + secs(9));
        assert!(pacer.is_limiting(now));
        // After the reset requests go freely until the next answer.
        assert_eq!(pacer.ready_at(t0 + secs(9)), t0 + secs(9));
        assert!(!pacer.is_limiting(t0 + secs(9)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_reset_in_the_past_means_the_window_renewed() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(t0);
        pacer.observe(&headers(100, 10, EPOCH + 10), t0, wall(t0, t0));
        // 10 left over 10 s: after the burst, one a second.
        let _ = drain(&mut pacer, t0, t0 + ms(500));
        assert_eq!(pacer.ready_at(t0 + ms(500)), t0 + secs(1));
        // A late answer whose reset is already past (clocks one second
        // apart): nothing to spread over, so no pacing and no pause.
        let now = t0 + secs(1);
        pacer.observe(&headers(100, 3, EPOCH), now, wall(t0, now));
        assert_eq!(pacer.ready_at(now), now);
        assert!(!pacer.is_limiting(now));
        // Even with nothing left: a past reset is no reason to wait.
        pacer.observe(&headers(100, 0, EPOCH), now, wall(t0, now));
        assert_eq!(pacer.ready_at(now), now);
    }

    #[tokio::test(start_paused = true)]
    async fn a_limit_that_changes_changes_the_pace() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(t0);
        pacer.observe(&headers(6000, 6000, EPOCH + 60), t0, wall(t0, t0));
        let fast = drain(&mut pacer, t0, t0 + secs(1)).len();
        assert!((100..=105).contains(&fast), "{fast}");
        // The server lowers the limit: 60 a minute, 59 left.
        let now = t0 + secs(1);
        pacer.observe(&headers(60, 59, EPOCH + 60), now, wall(t0, now));
        let slow = drain(&mut pacer, now, now + secs(10));
        // 59 over 59 s: one a second, after a burst of at most BURST.
        assert!(slow.len() <= BURST as usize + 10, "{}", slow.len());
        assert!(slow.len() >= 10, "{}", slow.len());
        let last = slow[slow.len() - 1];
        let before = slow[slow.len() - 2];
        assert_eq!(last - before, secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_without_headers_pauses_for_the_default() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(t0);
        let throttled = Observation {
            throttled: true,
            ..Observation::default()
        };
        pacer.observe(&throttled, t0, wall(t0, t0));
        assert_eq!(pacer.ready_at(t0), t0 + DEFAULT_THROTTLE_PAUSE);
        assert!(pacer.is_limiting(t0));
        // A second 429 a little later extends the pause, never shortens it.
        pacer.observe(&throttled, t0 + ms(500), wall(t0, t0 + ms(500)));
        assert_eq!(pacer.ready_at(t0), t0 + ms(1500));
        // Retry-After wins over the window's reset.
        let mut with_retry = headers(100, 0, EPOCH + 30);
        with_retry.throttled = true;
        with_retry.retry_after = Some(secs(3));
        let mut pacer = Pacer::new(t0);
        pacer.observe(&with_retry, t0, wall(t0, t0));
        // (a spent window with a reset in 30 s still pauses until then)
        assert_eq!(pacer.ready_at(t0), t0 + secs(30));
        let mut retry_only = Observation {
            throttled: true,
            retry_after: Some(secs(3)),
            ..Observation::default()
        };
        let mut pacer = Pacer::new(t0);
        pacer.observe(&retry_only, t0, wall(t0, t0));
        assert_eq!(pacer.ready_at(t0), t0 + secs(3));
        // A 429 with a window reset but no Retry-After waits for the reset.
        retry_only.retry_after = None;
        retry_only.info = headers(100, 5, EPOCH + 8).info;
        let mut pacer = Pacer::new(t0);
        pacer.observe(&retry_only, t0, wall(t0, t0));
        assert_eq!(pacer.ready_at(t0), t0 + secs(8));
    }

    /// A spent one-minute window whose reset, stamped in whole seconds, lies a
    /// little over a minute away (read just after the window opened) is
    /// ordinary: capped, but not reported as hostile. Two minutes is reported.
    #[tokio::test(start_paused = true)]
    async fn a_window_stamped_in_whole_seconds_is_not_reported() {
        let t0 = Instant::now() + Duration::from_millis(300);
        let wall_now = SystemTime::UNIX_EPOCH + secs(EPOCH) + Duration::from_millis(300);
        let mut pacer = Pacer::new(t0);
        // 60.7 s to the reset.
        assert_eq!(
            pacer.observe(&headers(100, 0, EPOCH + 61), t0, wall_now),
            None
        );
        assert!(pacer.ready_at(t0) <= t0 + MAX_SERVER_PAUSE);
        let mut pacer = Pacer::new(t0);
        assert!(
            pacer
                .observe(&headers(100, 0, EPOCH + 120), t0, wall_now)
                .is_some()
        );
    }

    /// Each hostile form: one answer, then requests go again within a minute.
    #[tokio::test(start_paused = true)]
    async fn no_answer_holds_requests_back_for_more_than_a_minute() {
        let t0 = Instant::now();
        let year_9999 = 253_402_300_799;
        let throttled = |retry_after: Option<Duration>, info: Option<RateLimitInfo>| Observation {
            throttled: true,
            info,
            retry_after,
        };
        let hostile = [
            // A window that allows nothing, whatever it says remains.
            headers(0, 1000, year_9999),
            headers(0, 0, EPOCH + 3600),
            // Spent, with a reset in the year 9999.
            headers(100, 0, year_9999),
            // Not spent, but spread over ~8,000 years.
            headers(100, 5, year_9999),
            throttled(Some(secs(999_999_999_999)), None),
            throttled(
                Some(secs(year_9999 - EPOCH)),
                headers(100, 0, year_9999).info,
            ),
        ];
        for seen in hostile {
            let mut pacer = Pacer::new(t0);
            assert_eq!(
                pacer
                    .observe(&seen, t0, wall(t0, t0))
                    .map(|d| d > MAX_SERVER_PAUSE),
                Some(true),
                "reported: {seen:?}"
            );
            assert!(pacer.ready_at(t0) <= t0 + MAX_SERVER_PAUSE, "{seen:?}");
            // A second such answer is not reported again, and still capped.
            let later = t0 + MAX_SERVER_PAUSE;
            assert_eq!(pacer.observe(&seen, later, wall(t0, later)), None);
            assert!(
                pacer.ready_at(later) <= later + MAX_SERVER_PAUSE,
                "{seen:?}"
            );
            // Requests go on: ten of them within ten minutes.
            let mut now = later;
            for _ in 0..10 {
                now = pacer.ready_at(now).max(now);
                pacer.take(now);
            }
            assert!(now <= later + secs(600), "{seen:?}");
        }
    }

    /// A fresh one-minute window, its reset rounded up to the next whole
    /// second (as Stream and the emulator write it), is not reported.
    #[tokio::test(start_paused = true)]
    async fn a_fresh_minute_window_in_whole_seconds_is_not_reported() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(t0);
        let now = wall(t0, t0) + ms(300);
        assert_eq!(pacer.observe(&headers(60, 59, EPOCH + 61), t0, now), None);
        assert!(pacer.ready_at(t0) <= t0 + MAX_SERVER_PAUSE);
        // Two seconds more is an excess: reported.
        let asked = pacer.observe(&headers(60, 59, EPOCH + 63), t0, now);
        assert!(asked.is_some_and(|d| d > MAX_SERVER_PAUSE), "{asked:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_limit_of_zero_without_a_reset_holds_nothing_back() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(t0);
        let seen = Observation {
            throttled: false,
            info: Some(RateLimitInfo {
                limit: Some(0),
                remaining: None,
                reset: None,
            }),
            retry_after: None,
        };
        assert_eq!(pacer.observe(&seen, t0, wall(t0, t0)), None);
        assert_eq!(pacer.ready_at(t0), t0);
        // With a near reset it is a spent window until then.
        pacer.observe(&headers(0, 7, EPOCH + 5), t0, wall(t0, t0));
        assert_eq!(pacer.ready_at(t0), t0 + secs(5));
        assert_eq!(pacer.ready_at(t0 + secs(5)), t0 + secs(5));
    }
}
