//! Stream's delivery policy as pure code: after an attempt, deliver, retry or give up.
//!
//! A 408, 429 or 5xx answer or a request timeout is retried up to [`MAX_ATTEMPTS`] attempts in
//! all; a network error (refused, reset, DNS) up to [`MAX_ATTEMPTS_NETWORK`]. Each request
//! times out after [`REQUEST_TIMEOUT`]; every attempt of one event ends within
//! [`DELIVERY_DEADLINE`] of the first.

use std::time::Duration;

/// How long one delivery request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(6);
/// How long all attempts of one event may take together.
pub const DELIVERY_DEADLINE: Duration = Duration::from_secs(15);
/// Most attempts for retryable answers (408, 429, 5xx) and timeouts.
pub const MAX_ATTEMPTS: u32 = 3;
/// Most attempts when the request fails without an answer (refused, reset, DNS).
pub const MAX_ATTEMPTS_NETWORK: u32 = 2;

/// The pause before attempt `n + 1` after attempt `n` failed: short, growing.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250) * attempt.clamp(1, 4)
}

/// What one attempt gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// An HTTP answer with this status.
    Status(u16),
    /// No answer within the request timeout.
    Timeout,
    /// No answer: the connection failed.
    Network,
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// A 2xx: done.
    Delivered,
    /// Not retryable, out of attempts, or out of time: done, failed.
    GiveUp,
    /// Attempt again after this pause.
    Retry(Duration),
}

/// The decision after attempt number `attempt` (from 1) gave `outcome`, `elapsed` after the
/// first attempt started.
pub(crate) fn decide(attempt: u32, outcome: Outcome, elapsed: Duration) -> Next {
    let limit = match outcome {
        Outcome::Status(s) if (200..300).contains(&s) => return Next::Delivered,
        Outcome::Status(408 | 429 | 500..=599) | Outcome::Timeout => MAX_ATTEMPTS,
        Outcome::Status(_) => return Next::GiveUp,
        Outcome::Network => MAX_ATTEMPTS_NETWORK,
    };
    let pause = backoff(attempt);
    if attempt >= limit || elapsed + pause >= DELIVERY_DEADLINE {
        Next::GiveUp
    } else {
        Next::Retry(pause)
    }
}

/// The timeout of the next request: [`REQUEST_TIMEOUT`], cut to what is left of the deadline.
pub(crate) fn request_timeout(elapsed: Duration) -> Duration {
    REQUEST_TIMEOUT.min(DELIVERY_DEADLINE.saturating_sub(elapsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Duration = Duration::ZERO;

    #[test]
    fn success_and_permanent_failures_end_at_once() {
        assert_eq!(decide(1, Outcome::Status(200), T0), Next::Delivered);
        assert_eq!(decide(1, Outcome::Status(204), T0), Next::Delivered);
        for s in [301, 400, 401, 403, 404, 413] {
            assert_eq!(decide(1, Outcome::Status(s), T0), Next::GiveUp, "{s}");
        }
    }

    #[test]
    fn retryable_answers_get_three_attempts() {
        for s in [408, 429, 500, 502, 503, 599] {
            assert!(matches!(decide(1, Outcome::Status(s), T0), Next::Retry(_)));
            assert!(matches!(decide(2, Outcome::Status(s), T0), Next::Retry(_)));
            assert_eq!(decide(3, Outcome::Status(s), T0), Next::GiveUp);
        }
        assert!(matches!(decide(2, Outcome::Timeout, T0), Next::Retry(_)));
        assert_eq!(decide(3, Outcome::Timeout, T0), Next::GiveUp);
    }

    #[test]
    fn network_errors_get_two_attempts() {
        assert_eq!(
            decide(1, Outcome::Network, T0),
            Next::Retry(Duration::from_millis(250))
        );
        assert_eq!(decide(2, Outcome::Network, T0), Next::GiveUp);
    }

    #[test]
    fn the_deadline_holds() {
        let late = DELIVERY_DEADLINE - Duration::from_millis(100);
        assert_eq!(decide(1, Outcome::Timeout, late), Next::GiveUp);
        assert_eq!(request_timeout(T0), REQUEST_TIMEOUT);
        assert_eq!(
            request_timeout(Duration::from_secs(12)),
            Duration::from_secs(3)
        );
        assert_eq!(request_timeout(Duration::from_secs(20)), Duration::ZERO);
        // Two timed-out attempts with their pauses leave a third one its time.
        let after_two = REQUEST_TIMEOUT * 2 + backoff(1);
        assert!(matches!(
            decide(2, Outcome::Timeout, after_two),
            Next::Retry(_)
        ));
        assert!(request_timeout(after_two + backoff(2)) > Duration::ZERO);
    }
}
