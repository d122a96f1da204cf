//! The pure polling decision: given what one poll produced and how much time is
//! left, return the task, fail, or sleep and poll again. No I/O, no clock
//! reads: the loop passes the time left and the wall-clock time in, so every
//! rule is unit-tested directly and shared by the async and blocking clients.
//!
//! Rules, in order:
//! 1. `completed` → return the task; `failed` → fail with a task error.
//! 2. Any other status (including unknown ones) → poll again after the interval,
//!    or later if the rate-limit window is spent (`X-RateLimit-Remaining: 0`):
//!    until `X-RateLimit-Reset`.
//! 3. A poll error ends the wait when the caller asked for the official SDKs'
//!    behaviour (`abort_on_error`) or when it is permanent (400, 401, 403, 404,
//!    `unrecoverable`, decode errors, DNS/TLS failures, …). A transient one
//!    (connection refused/reset, request timeout, 5xx, 408, 429) is retried after
//!    the interval, or after the server's hint when longer: `Retry-After`, else —
//!    on a 429 or a spent window — `X-RateLimit-Reset`.
//! 4. Every sleep is clamped to the time left until the final poll slot,
//!    [`LAST_POLL_BUDGET`](crate::LAST_POLL_BUDGET) before the deadline, so the
//!    final poll is sent then (and cut off at the deadline); a poll that ends
//!    at or after that slot, with the task unfinished, gives up (the loop
//!    reports the timeout at the deadline itself, not before).
//!
//! The base delay of rules 2 and 3 comes from the wait's [`PollPolicy`]: a
//! fixed interval, or an exponential backoff, optionally jittered. Jitter is
//! drawn by the loop (from a seedable generator) and passed in as a number, so
//! the decision stays a pure function.

use std::time::{Duration, SystemTime};

use http::StatusCode;

use crate::error::{Error, InvalidArgumentError, Result};
use crate::models::{RateLimitInfo, Task, TaskStatus};
use crate::sched::pacer::cap;

/// Default time between polls.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Default time limit of a wait.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(60);

/// The safety-net interval of [`PollPolicy::long_running`] with push on: twice
/// the 15 s within which Stream ends every delivery attempt of a webhook
/// event, so a lost event is noticed within one more interval.
pub const LONG_RUNNING_PUSH_FALLBACK: Duration = Duration::from_secs(30);

/// How long a wait sleeps between polls: a fixed interval (the default, 1 s)
/// or an exponential backoff, optionally with jitter.
///
/// The server's own hints always take precedence: after a `Retry-After`, or
/// with a spent rate-limit window, the wait sleeps until the server allows the
/// next request (when that is later than the policy's delay); every sleep is
/// clamped to the time left, and the final poll is sent
/// [`LAST_POLL_BUDGET`](crate::LAST_POLL_BUDGET) before the deadline.
///
/// Setters never fail; invalid knobs (a zero interval, a backoff factor below 1
/// or not finite, a cap below the initial delay, a jitter outside `0..=1`) are
/// an [`Error::InvalidArgument`] when the wait starts, before any request (and
/// at [`ClientBuilder::build`](crate::ClientBuilder::build) for a client
/// default).
///
/// ```
/// use std::time::Duration;
/// use getstream_tasks::PollPolicy;
///
/// // Delays 1 s, 1 s, 2 s, 4 s, 8 s, 16 s, then every 30 s:
/// // polls at 0, 1, 2, 4, 8, 16, 32, 62 s.
/// let backoff = PollPolicy::backoff(Duration::from_secs(1), 2.0, Duration::from_secs(30));
/// assert_eq!(backoff.delay_after(1), Duration::from_secs(1));
/// assert_eq!(backoff.delay_after(2), Duration::from_secs(1));
/// assert_eq!(backoff.delay_after(5), Duration::from_secs(8));
/// assert_eq!(backoff.delay_after(10), Duration::from_secs(30));
///
/// // Every 5 s: for hard deletes and exports, which take minutes; with push
/// // on (a client with a `TaskEvents` hub) every 30 s, a safety net.
/// assert_eq!(PollPolicy::long_running().delay_after(1), Duration::from_secs(5));
/// assert_eq!(PollPolicy::long_running().push_fallback_interval(), Some(Duration::from_secs(30)));
///
/// // Each delay drawn from [75 %, 100 %] of the backoff's, reproducibly.
/// let jittered = backoff.jitter(0.25).seed(7);
/// # assert!(jittered.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollPolicy {
    schedule: Schedule,
    jitter: f64,
    seed: Option<u64>,
    /// With push on: the delay after a poll no event caused.
    push_fallback: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Schedule {
    Fixed(Duration),
    Backoff {
        initial: Duration,
        factor: f64,
        cap: Duration,
    },
}

impl Default for PollPolicy {
    /// [`PollPolicy::fixed`] with [`DEFAULT_POLL_INTERVAL`](crate::DEFAULT_POLL_INTERVAL) (1 s).
    fn default() -> Self {
        PollPolicy::fixed(DEFAULT_POLL_INTERVAL)
    }
}

impl PollPolicy {
    /// Polls every `interval`. Zero is an argument error.
    pub fn fixed(interval: Duration) -> PollPolicy {
        PollPolicy {
            schedule: Schedule::Fixed(interval),
            jitter: 0.0,
            seed: None,
            push_fallback: None,
        }
    }

    /// Exponential backoff: the first retry comes `initial` after the first
    /// poll, and each later delay is `factor` times the previous one, never
    /// longer than `cap`. For `backoff(1 s, 2.0, 60 s)` the delays are 1, 1, 2,
    /// 4, 8 s…, so the poll times double: 0, 1, 2, 4, 8, 16 s.
    ///
    /// `initial` and `cap` must be greater than zero, `cap >= initial`, and
    /// `factor` a finite number `>= 1.0` (1.0 is a fixed interval).
    pub fn backoff(initial: Duration, factor: f64, cap: Duration) -> PollPolicy {
        PollPolicy {
            schedule: Schedule::Backoff {
                initial,
                factor,
                cap,
            },
            jitter: 0.0,
            seed: None,
            push_fallback: None,
        }
    }

    /// A preset for long jobs (hard deletes, exports): a poll every 5 s — the
    /// pace of Stream's own tests, which wait up to 5 minutes. Pair it with a
    /// longer timeout, e.g. `.timeout(Duration::from_secs(300))`.
    ///
    /// With push on (a client with a [`TaskEvents`](crate::TaskEvents) hub)
    /// the pushed event ends the wait, and polls are the safety net for a
    /// lost event: every [`LONG_RUNNING_PUSH_FALLBACK`] (30 s; see
    /// [`push_fallback`](Self::push_fallback)). So a job that ends within
    /// 30 s costs two requests: the first poll and the one its event causes.
    pub fn long_running() -> PollPolicy {
        PollPolicy::fixed(Duration::from_secs(5)).push_fallback(LONG_RUNNING_PUSH_FALLBACK)
    }

    /// With push on — the wait's client has a
    /// [`TaskEvents`](crate::TaskEvents) hub — polls that no event caused
    /// come every `interval` instead of at the schedule's delays: events
    /// wake the wait, polls are only the safety net for an event that never
    /// comes. The schedule still applies after a poll an event caused that
    /// found the task unfinished (an entity event says the job is moving:
    /// `channel.deleted` while a `delete_channels` runs), and after a failed
    /// poll (events do not tell a network error is over). Jitter and the
    /// server's rate-limit hints apply as usual. Without a hub this setting
    /// changes nothing. Zero is an argument error.
    ///
    /// ```
    /// use std::time::Duration;
    /// use getstream_tasks::PollPolicy;
    ///
    /// // Every second without push; with push, every 2 minutes.
    /// let policy = PollPolicy::fixed(Duration::from_secs(1))
    ///     .push_fallback(Duration::from_secs(120));
    /// assert_eq!(policy.push_fallback_interval(), Some(Duration::from_secs(120)));
    /// # assert!(policy.validate().is_ok());
    /// ```
    pub fn push_fallback(mut self, interval: Duration) -> PollPolicy {
        self.push_fallback = Some(interval);
        self
    }

    /// The delay between polls no event caused, with push on
    /// ([`push_fallback`](Self::push_fallback)); `None`: the schedule's.
    pub fn push_fallback_interval(&self) -> Option<Duration> {
        self.push_fallback
    }

    /// Randomises each delay: it is drawn uniformly from
    /// `[delay × (1 − fraction), delay]`, so many waits started together
    /// spread out, and no delay grows past the policy's. `0.0` (the default)
    /// turns jitter off, `1.0` is "full jitter". Outside `0..=1` (or NaN) is an
    /// argument error.
    pub fn jitter(mut self, fraction: f64) -> PollPolicy {
        self.jitter = fraction;
        self
    }

    /// Seeds the jitter's random source, so that a wait's delays are
    /// reproducible (tests): the same seed and task id give the same delays;
    /// waits on different ids draw different ones, so a batch sharing one
    /// seed still spreads out. Default: seeded from the system, different for
    /// every wait.
    pub fn seed(mut self, seed: u64) -> PollPolicy {
        self.seed = Some(seed);
        self
    }

    /// The policy's delay after the `poll`-th poll (from 1), before jitter and
    /// server hints. For a backoff: `initial` after polls 1 and 2, then
    /// `initial × factor^(poll − 2)`, capped.
    pub fn delay_after(&self, poll: u32) -> Duration {
        match self.schedule {
            Schedule::Fixed(interval) => interval,
            Schedule::Backoff {
                initial,
                factor,
                cap,
            } => {
                // Delays initial, initial, initial·factor, initial·factor², …:
                // with factor 2 the poll times double (0, 1, 2, 4, 8 s).
                let steps = poll.saturating_sub(2).min(i32::MAX as u32) as i32;
                let secs = initial.as_secs_f64() * factor.powi(steps);
                if !secs.is_finite() || secs >= cap.as_secs_f64() {
                    cap
                } else {
                    Duration::try_from_secs_f64(secs).unwrap_or(cap).min(cap)
                }
            }
        }
    }

    /// The jitter fraction (`0.0` when off).
    pub fn jitter_fraction(&self) -> f64 {
        self.jitter
    }

    /// The seed of the jitter's random source, if one was set.
    pub fn jitter_seed(&self) -> Option<u64> {
        self.seed
    }

    /// Checks the knobs.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming the knob that is out of range.
    pub fn validate(&self) -> Result<()> {
        let invalid = |name: &str, why: &str| Err(InvalidArgumentError::new(name, why).into());
        match self.schedule {
            Schedule::Fixed(interval) if interval.is_zero() => {
                return invalid("interval", "must be greater than zero");
            }
            Schedule::Fixed(_) => {}
            Schedule::Backoff {
                initial,
                factor,
                cap,
            } => {
                if initial.is_zero() {
                    return invalid("backoff initial delay", "must be greater than zero");
                }
                if !factor.is_finite() || factor < 1.0 {
                    return invalid("backoff factor", "must be a finite number >= 1.0");
                }
                if cap < initial {
                    return invalid("backoff cap", "must be at least the initial delay");
                }
            }
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return invalid("jitter", "must be a fraction between 0.0 and 1.0");
        }
        if self.push_fallback.is_some_and(|d| d.is_zero()) {
            return invalid("push fallback interval", "must be greater than zero");
        }
        Ok(())
    }

    /// The delay after the `poll`-th poll with jitter applied; `sample` is a
    /// uniform random number in `[0, 1)`.
    pub(crate) fn jittered_delay(&self, poll: u32, sample: f64) -> Duration {
        self.jitter_of(self.delay_after(poll), sample)
    }

    /// `delay` with jitter applied.
    fn jitter_of(&self, delay: Duration, sample: f64) -> Duration {
        if self.jitter <= 0.0 {
            return delay;
        }
        let keep = 1.0 - self.jitter * sample.clamp(0.0, 1.0);
        delay.mul_f64(keep.clamp(0.0, 1.0))
    }

    /// A random source for the jitter of a wait on `task_id`: seeded from the
    /// policy's seed and the id (so that the waits of one batch, sharing a
    /// seed, still spread out), or from the system.
    pub(crate) fn rng(&self, task_id: &str) -> fastrand::Rng {
        match self.seed {
            Some(seed) => fastrand::Rng::with_seed(seed ^ fnv1a(task_id.as_bytes())),
            None => fastrand::Rng::new(),
        }
    }
}

/// A stable 64-bit FNV-1a hash (the same on every platform and release).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What to do after a poll that saw the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskDecision {
    /// The task completed: return it.
    Complete,
    /// The task failed: return a task error.
    Failed,
    /// The task is not finished.
    Next(Next),
}

/// What to do after a poll that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorDecision {
    /// The error ends the wait: return it.
    Abort,
    /// The error is retried.
    Next(Next),
}

/// What follows a poll that did not end the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Sleep this long, then poll again.
    Sleep(Duration),
    /// No time left: return the wait-timeout error.
    GiveUp,
}

/// The knobs of the decision.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    pub(crate) poll: PollPolicy,
    pub(crate) abort_on_error: bool,
}

/// Why the poll being decided on was made, for a wait with push on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Push {
    /// The wait listens to no hub: the schedule decides.
    Off,
    /// The wait listens to a hub and no event caused this poll: the push
    /// fallback (if the policy has one) decides.
    Listening,
    /// An event caused this poll: the schedule decides.
    Woken,
}

// Both decisions take the poll's number `attempt` (from 1), `time_left` until
// the final poll slot ([`LAST_POLL_BUDGET`](crate::LAST_POLL_BUDGET) before the
// deadline; zero once it has come), `now` the wall-clock time (for
// `X-RateLimit-Reset`, sent as Unix seconds) and `sample` a uniform random
// number in `[0, 1)` for the jitter.
impl Policy {
    /// Decides what follows a poll that saw `task`.
    // A pure decision: everything it depends on is an argument.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_task(
        &self,
        task: &Task,
        rate_limit: Option<&RateLimitInfo>,
        attempt: u32,
        push: Push,
        time_left: Duration,
        now: SystemTime,
        sample: f64,
    ) -> TaskDecision {
        match task.status {
            TaskStatus::Completed => TaskDecision::Complete,
            TaskStatus::Failed => TaskDecision::Failed,
            _ => {
                let reset = rate_limit
                    .filter(|r| r.is_exhausted())
                    .and_then(|r| r.reset_after(now))
                    .map(cap);
                let delay = match (push, self.poll.push_fallback) {
                    (Push::Listening, Some(fallback)) => self.poll.jitter_of(fallback, sample),
                    _ => self.poll.jittered_delay(attempt, sample),
                };
                let wait = delay.max(reset.unwrap_or_default());
                TaskDecision::Next(next(wait, time_left))
            }
        }
    }

    /// Decides what follows a poll that failed with `error`.
    pub(crate) fn on_error(
        &self,
        error: &Error,
        attempt: u32,
        time_left: Duration,
        now: SystemTime,
        sample: f64,
    ) -> ErrorDecision {
        if self.abort_on_error || !error.is_retryable() {
            return ErrorDecision::Abort;
        }
        let wait = self
            .poll
            .jittered_delay(attempt, sample)
            .max(server_hint(error, now).unwrap_or_default());
        ErrorDecision::Next(next(wait, time_left))
    }
}

/// Sleep `wait`, clamped to `time_left`; give up when no time is left.
fn next(wait: Duration, time_left: Duration) -> Next {
    if time_left.is_zero() {
        Next::GiveUp
    } else {
        Next::Sleep(wait.min(time_left))
    }
}

/// How long the server asked us to hold off after `error`: `Retry-After`, else
/// (on a 429 or a spent window) until `X-RateLimit-Reset`; at most
/// [`MAX_SERVER_PAUSE`](crate::sched::pacer::MAX_SERVER_PAUSE).
pub(crate) fn server_hint(error: &Error, now: SystemTime) -> Option<Duration> {
    if let Some(after) = error.retry_after() {
        return Some(cap(after));
    }
    let rate_limit = error.rate_limit()?;
    let throttled =
        error.status_code() == Some(StatusCode::TOO_MANY_REQUESTS) || rate_limit.is_exhausted();
    if throttled {
        rate_limit.reset_after(now).map(cap)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ApiError, DecodeError, TransportError};

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn policy() -> Policy {
        Policy {
            poll: PollPolicy::fixed(S(1)),
            abort_on_error: false,
        }
    }

    fn task(status: &str) -> Task {
        serde_json::from_value(serde_json::json!({"task_id": "t", "status": status})).unwrap()
    }

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + S(1_700_000_000)
    }

    /// Both decisions in one shape, so the rules read as one table.
    #[derive(Debug, PartialEq, Eq)]
    enum Decision {
        Complete,
        TaskFailed,
        Abort,
        Sleep(Duration),
        GiveUp,
    }

    impl From<Next> for Decision {
        fn from(next: Next) -> Decision {
            match next {
                Next::Sleep(d) => Decision::Sleep(d),
                Next::GiveUp => Decision::GiveUp,
            }
        }
    }

    fn decide_task_at(
        p: Policy,
        t: &Task,
        rl: Option<&RateLimitInfo>,
        attempt: u32,
        left: Duration,
        sample: f64,
    ) -> Decision {
        match p.on_task(t, rl, attempt, Push::Off, left, now(), sample) {
            TaskDecision::Complete => Decision::Complete,
            TaskDecision::Failed => Decision::TaskFailed,
            TaskDecision::Next(next) => next.into(),
        }
    }

    fn decide_err_at(p: Policy, e: &Error, attempt: u32, left: Duration, sample: f64) -> Decision {
        match p.on_error(e, attempt, left, now(), sample) {
            ErrorDecision::Abort => Decision::Abort,
            ErrorDecision::Next(next) => next.into(),
        }
    }

    fn decide_task(
        p: Policy,
        status: &str,
        rl: Option<&RateLimitInfo>,
        left: Duration,
    ) -> Decision {
        decide_task_at(p, &task(status), rl, 1, left, 0.5)
    }

    fn decide_err(p: Policy, e: Error, left: Duration) -> Decision {
        decide_err_at(p, &e, 1, left, 0.5)
    }

    fn api(status: StatusCode) -> ApiError {
        ApiError::new(status, 0, "x")
    }

    #[test]
    fn terminal_statuses_end_the_wait_even_with_no_time_left() {
        assert_eq!(
            decide_task(policy(), "completed", None, S(5)),
            Decision::Complete
        );
        assert_eq!(
            decide_task(policy(), "COMPLETED", None, S(0)),
            Decision::Complete
        );
        assert_eq!(
            decide_task(policy(), "failed", None, S(0)),
            Decision::TaskFailed
        );
    }

    #[test]
    fn other_statuses_sleep_the_interval_clamped_to_the_time_left() {
        for status in ["waiting", "pending", "running", "paused-by-operator"] {
            assert_eq!(
                decide_task(policy(), status, None, S(10)),
                Decision::Sleep(S(1))
            );
        }
        let left = Duration::from_millis(300);
        assert_eq!(
            decide_task(policy(), "running", None, left),
            Decision::Sleep(left)
        );
        assert_eq!(
            decide_task(policy(), "running", None, S(0)),
            Decision::GiveUp
        );
    }

    #[test]
    fn spent_rate_limit_window_waits_until_reset() {
        let spent = RateLimitInfo {
            limit: Some(60),
            remaining: Some(0),
            reset: Some(now() + S(7)),
        };
        assert_eq!(
            decide_task(policy(), "running", Some(&spent), S(60)),
            Decision::Sleep(S(7))
        );
        assert_eq!(
            decide_task(policy(), "running", Some(&spent), S(3)),
            Decision::Sleep(S(3))
        );
        let fine = RateLimitInfo {
            remaining: Some(5),
            ..spent
        };
        assert_eq!(
            decide_task(policy(), "running", Some(&fine), S(60)),
            Decision::Sleep(S(1))
        );
        // A reset in the past (clock skew) never shortens the interval.
        let past = RateLimitInfo {
            reset: Some(now() - S(30)),
            ..spent
        };
        assert_eq!(
            decide_task(policy(), "running", Some(&past), S(60)),
            Decision::Sleep(S(1))
        );
    }

    #[test]
    fn transient_errors_are_retried_within_the_deadline() {
        let transient = [
            Error::from(api(StatusCode::INTERNAL_SERVER_ERROR)),
            Error::from(api(StatusCode::BAD_GATEWAY)),
            Error::from(api(StatusCode::SERVICE_UNAVAILABLE)),
            Error::from(api(StatusCode::TOO_MANY_REQUESTS)),
            Error::from(api(StatusCode::REQUEST_TIMEOUT)),
            Error::from(TransportError::timeout("GET /t: no response")),
            Error::from(TransportError::connection("GET /t: reset", None)),
        ];
        for e in transient {
            let text = e.to_string();
            assert_eq!(
                decide_err(policy(), e, S(10)),
                Decision::Sleep(S(1)),
                "{text}"
            );
        }
        let e = Error::from(api(StatusCode::BAD_GATEWAY));
        assert_eq!(decide_err(policy(), e, S(0)), Decision::GiveUp);
    }

    #[test]
    fn permanent_errors_end_the_wait_at_once() {
        let mut unrecoverable = api(StatusCode::SERVICE_UNAVAILABLE);
        unrecoverable.0.unrecoverable = true;
        let json_err = serde_json::from_str::<u8>("x").unwrap_err();
        let permanent = [
            Error::from(api(StatusCode::BAD_REQUEST)),
            Error::from(api(StatusCode::UNAUTHORIZED)),
            Error::from(api(StatusCode::FORBIDDEN)),
            Error::from(api(StatusCode::NOT_FOUND)),
            Error::from(unrecoverable),
            Error::from(DecodeError::new(StatusCode::OK, b"x", json_err)),
            Error::from(crate::error::InvalidArgumentError::new("task_id", "empty")),
        ];
        for e in permanent {
            let text = e.to_string();
            assert_eq!(decide_err(policy(), e, S(10)), Decision::Abort, "{text}");
        }
    }

    #[test]
    fn abort_on_error_restores_the_official_behaviour() {
        let p = Policy {
            abort_on_error: true,
            ..policy()
        };
        let e = Error::from(api(StatusCode::BAD_GATEWAY));
        assert_eq!(decide_err(p, e, S(10)), Decision::Abort);
        assert_eq!(
            decide_task(p, "running", None, S(10)),
            Decision::Sleep(S(1))
        );
    }

    #[test]
    fn server_hints_are_honoured_and_clamped() {
        let mut e = api(StatusCode::TOO_MANY_REQUESTS);
        e.0.retry_after = Some(S(2));
        assert_eq!(
            decide_err(policy(), e.clone().into(), S(10)),
            Decision::Sleep(S(2))
        );
        assert_eq!(
            decide_err(policy(), e.clone().into(), Duration::from_millis(1500)),
            Decision::Sleep(Duration::from_millis(1500))
        );
        // A hint shorter than the interval does not shorten it.
        e.0.retry_after = Some(Duration::from_millis(100));
        assert_eq!(
            decide_err(policy(), e.clone().into(), S(10)),
            Decision::Sleep(S(1))
        );

        // No Retry-After: a 429 waits for X-RateLimit-Reset.
        let mut e = api(StatusCode::TOO_MANY_REQUESTS);
        e.0.rate_limit = Some(RateLimitInfo {
            limit: Some(60),
            remaining: Some(0),
            reset: Some(now() + S(4)),
        });
        assert_eq!(
            decide_err(policy(), e.clone().into(), S(10)),
            Decision::Sleep(S(4))
        );
        // A 503 with a reset header but a window that is not spent: just the interval.
        let mut e = api(StatusCode::SERVICE_UNAVAILABLE);
        e.0.rate_limit = Some(RateLimitInfo {
            limit: Some(60),
            remaining: Some(10),
            reset: Some(now() + S(4)),
        });
        assert_eq!(decide_err(policy(), e.into(), S(10)), Decision::Sleep(S(1)));
    }

    #[test]
    fn a_hint_beyond_a_minute_counts_as_a_minute() {
        let far = now() + S(250_000_000_000);
        let mut e = api(StatusCode::TOO_MANY_REQUESTS);
        e.0.retry_after = Some(S(999_999_999_999));
        assert_eq!(
            decide_err(policy(), e.clone().into(), S(600)),
            Decision::Sleep(S(60))
        );
        e.0.retry_after = None;
        e.0.rate_limit = Some(RateLimitInfo {
            limit: Some(60),
            remaining: Some(0),
            reset: Some(far),
        });
        assert_eq!(
            decide_err(policy(), e.clone().into(), S(600)),
            Decision::Sleep(S(60))
        );
        let spent = e.0.rate_limit.unwrap();
        assert_eq!(
            decide_task(policy(), "running", Some(&spent), S(600)),
            Decision::Sleep(S(60))
        );
    }

    #[test]
    fn backoff_grows_by_the_factor_up_to_the_cap() {
        let p = PollPolicy::backoff(S(1), 2.0, S(30));
        let delays: Vec<_> = (1..=8).map(|n| p.delay_after(n)).collect();
        assert_eq!(delays, [S(1), S(1), S(2), S(4), S(8), S(16), S(30), S(30)]);
        // The poll times double: 0, 1, 2, 4, 8, 16 s.
        let times: Vec<_> = (1..=5)
            .scan(Duration::ZERO, |t, n| {
                *t += p.delay_after(n);
                Some(*t)
            })
            .collect();
        assert_eq!(times, [S(1), S(2), S(4), S(8), S(16)]);
        // Huge poll numbers saturate at the cap instead of overflowing.
        assert_eq!(p.delay_after(u32::MAX), S(30));
        let gentle = PollPolicy::backoff(Duration::from_millis(500), 1.5, S(10));
        assert_eq!(gentle.delay_after(2), Duration::from_millis(500));
        assert_eq!(gentle.delay_after(3), Duration::from_millis(750));
        assert_eq!(gentle.delay_after(4), Duration::from_millis(1125));
        // Factor 1 is a fixed interval.
        let flat = PollPolicy::backoff(S(3), 1.0, S(3));
        assert_eq!(flat.delay_after(1), S(3));
        assert_eq!(flat.delay_after(50), S(3));
        assert_eq!(PollPolicy::fixed(S(2)).delay_after(9), S(2));
        assert_eq!(PollPolicy::long_running().delay_after(1), S(5));
        assert_eq!(
            PollPolicy::long_running().push_fallback_interval(),
            Some(LONG_RUNNING_PUSH_FALLBACK)
        );
        assert_eq!(PollPolicy::fixed(S(5)).push_fallback_interval(), None);
        assert_eq!(PollPolicy::default(), PollPolicy::fixed(S(1)));
    }

    #[test]
    fn invalid_knobs_are_argument_errors_naming_the_knob() {
        let bad = [
            (PollPolicy::fixed(Duration::ZERO), "interval"),
            (PollPolicy::backoff(Duration::ZERO, 2.0, S(1)), "initial"),
            (PollPolicy::backoff(S(1), 0.5, S(10)), "factor"),
            (PollPolicy::backoff(S(1), -2.0, S(10)), "factor"),
            (PollPolicy::backoff(S(1), f64::NAN, S(10)), "factor"),
            (PollPolicy::backoff(S(1), f64::INFINITY, S(10)), "factor"),
            (PollPolicy::backoff(S(2), 2.0, S(1)), "cap"),
            (PollPolicy::backoff(S(1), 2.0, Duration::ZERO), "cap"),
            (PollPolicy::fixed(S(1)).jitter(-0.1), "jitter"),
            (PollPolicy::fixed(S(1)).jitter(1.5), "jitter"),
            (PollPolicy::fixed(S(1)).jitter(f64::NAN), "jitter"),
            (
                PollPolicy::fixed(S(1)).push_fallback(Duration::ZERO),
                "push fallback",
            ),
        ];
        for (policy, knob) in bad {
            let e = policy.validate().unwrap_err();
            assert!(e.is_invalid_argument(), "{policy:?}: {e}");
            assert!(e.to_string().contains(knob), "{policy:?}: {e}");
        }
        for good in [
            PollPolicy::default(),
            PollPolicy::long_running(),
            PollPolicy::backoff(S(1), 1.0, S(1)),
            PollPolicy::backoff(S(1), 2.0, S(60)).jitter(1.0).seed(3),
            PollPolicy::fixed(Duration::from_nanos(1)).jitter(0.0),
        ] {
            assert!(good.validate().is_ok(), "{good:?}");
        }
    }

    #[test]
    fn jitter_shortens_within_its_fraction_and_is_reproducible_with_a_seed() {
        let p = PollPolicy::fixed(S(10)).jitter(0.2);
        assert_eq!(p.jittered_delay(1, 0.0), S(10));
        assert_eq!(p.jittered_delay(1, 0.5), S(9));
        assert_eq!(p.jittered_delay(1, 1.0), S(8));
        let draw = |policy: PollPolicy| {
            let mut rng = policy.rng("t1");
            (1..=20)
                .map(|n| policy.jittered_delay(n, rng.f64()))
                .collect::<Vec<_>>()
        };
        let seeded = PollPolicy::backoff(S(1), 2.0, S(8)).jitter(0.5).seed(42);
        let a = draw(seeded);
        assert_eq!(a, draw(seeded), "same seed, same delays");
        assert_ne!(a, draw(seeded.seed(43)), "another seed, other delays");
        let mut other_task = seeded.rng("t2");
        let b: Vec<_> = (1..=20)
            .map(|n| seeded.jittered_delay(n, other_task.f64()))
            .collect();
        assert_ne!(a, b, "same seed, another task: other delays");
        for (n, d) in (1..).zip(&a) {
            let full = seeded.delay_after(n);
            assert!(*d <= full && *d >= full / 2, "poll {n}: {d:?} vs {full:?}");
        }
        // Without jitter the sample is ignored.
        let plain = PollPolicy::fixed(S(1));
        assert_eq!(plain.jittered_delay(1, 0.99), S(1));
    }

    #[test]
    fn with_push_a_poll_no_event_caused_waits_the_fallback() {
        let p = Policy {
            poll: PollPolicy::fixed(S(5)).push_fallback(S(30)).jitter(0.5),
            abort_on_error: false,
        };
        let t = task("running");
        let decide = |push, left| match p.on_task(&t, None, 3, push, left, now(), 0.0) {
            TaskDecision::Next(next) => Decision::from(next),
            other => panic!("{other:?}"),
        };
        assert_eq!(decide(Push::Listening, S(100)), Decision::Sleep(S(30)));
        assert_eq!(decide(Push::Woken, S(100)), Decision::Sleep(S(5)));
        assert_eq!(decide(Push::Off, S(100)), Decision::Sleep(S(5)));
        // Clamped to the time left like any delay; jittered like any delay.
        assert_eq!(decide(Push::Listening, S(12)), Decision::Sleep(S(12)));
        let jittered = p.on_task(&t, None, 3, Push::Listening, S(100), now(), 1.0);
        assert_eq!(jittered, TaskDecision::Next(Next::Sleep(S(15))));
        // A spent rate-limit window still wins when it is longer.
        let spent = RateLimitInfo {
            limit: Some(10),
            remaining: Some(0),
            reset: Some(now() + S(45)),
        };
        let held = p.on_task(&t, Some(&spent), 3, Push::Listening, S(100), now(), 0.0);
        assert_eq!(held, TaskDecision::Next(Next::Sleep(S(45))));
        // Without a fallback, push changes nothing.
        let plain = Policy {
            poll: PollPolicy::fixed(S(5)),
            abort_on_error: false,
        };
        let d = plain.on_task(&t, None, 3, Push::Listening, S(100), now(), 0.0);
        assert_eq!(d, TaskDecision::Next(Next::Sleep(S(5))));
        // Errors follow the schedule.
        let e = Error::from(api(StatusCode::BAD_GATEWAY));
        assert_eq!(decide_err_at(p, &e, 3, S(100), 0.0), Decision::Sleep(S(5)));
    }

    #[test]
    fn the_decision_uses_the_policy_delay_for_the_attempt() {
        let p = Policy {
            poll: PollPolicy::backoff(S(1), 2.0, S(30)),
            abort_on_error: false,
        };
        let t = task("running");
        let decide = |attempt, left| decide_task_at(p, &t, None, attempt, left, 0.0);
        assert_eq!(decide(1, S(100)), Decision::Sleep(S(1)));
        assert_eq!(decide(2, S(100)), Decision::Sleep(S(1)));
        assert_eq!(decide(5, S(100)), Decision::Sleep(S(8)));
        assert_eq!(decide(5, S(5)), Decision::Sleep(S(5)));
        assert_eq!(decide(5, S(0)), Decision::GiveUp);
        // Errors follow the same schedule; a longer server hint wins.
        let e = Error::from(api(StatusCode::BAD_GATEWAY));
        assert_eq!(decide_err_at(p, &e, 4, S(100), 0.0), Decision::Sleep(S(4)));
        let mut throttled = api(StatusCode::TOO_MANY_REQUESTS);
        throttled.0.retry_after = Some(S(20));
        let e = Error::from(throttled);
        assert_eq!(decide_err_at(p, &e, 3, S(100), 0.0), Decision::Sleep(S(20)));
        assert_eq!(decide_err_at(p, &e, 3, S(7), 0.0), Decision::Sleep(S(7)));
    }
}
