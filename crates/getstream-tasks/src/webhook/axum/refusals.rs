//! Refusal logs a flood cannot turn into a flood of lines: the first refusal
//! is logged at once, later ones are counted and summarised in one line per
//! interval.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Counts refusals by reason and logs them at most once per interval.
#[derive(Debug, Clone)]
pub(crate) struct Refusals {
    interval: Duration,
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    /// When the next line may be written (`None`: at once).
    next_line: Option<Instant>,
    counts: BTreeMap<&'static str, u64>,
}

impl Refusals {
    pub(crate) fn new(interval: Duration) -> Self {
        Refusals {
            interval,
            state: Arc::default(),
        }
    }

    /// Counts one refusal for `why` (a short static reason, e.g. "bad
    /// signature"), and writes the summary line when one is due.
    pub(crate) fn note(&self, why: &'static str) {
        if let Some(summary) = self.count(why) {
            tracing::warn!(refused = %summary, "webhook requests refused");
        }
    }

    /// Counts one refusal; the summary to write now, if one is due
    /// (`"bad signature: 3, too large: 1"`).
    fn count(&self, why: &'static str) -> Option<String> {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        *state.counts.entry(why).or_default() += 1;
        if state.next_line.is_some_and(|at| now < at) {
            return None;
        }
        state.next_line = Some(now + self.interval);
        let summary = state
            .counts
            .iter()
            .map(|(why, n)| format!("{why}: {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        state.counts.clear();
        Some(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_line_per_interval_with_the_counts() {
        let refusals = Refusals::new(Duration::from_secs(10));
        assert_eq!(
            refusals.count("bad signature").as_deref(),
            Some("bad signature: 1")
        );
        let lines = (0..50_000)
            .filter_map(|i| {
                refusals.count(if i % 2 == 0 {
                    "bad signature"
                } else {
                    "too large"
                })
            })
            .count();
        assert_eq!(lines, 0, "a flood within the interval writes no line");
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(
            refusals.count("busy").as_deref(),
            Some("bad signature: 25000, busy: 1, too large: 25000")
        );
        assert_eq!(refusals.count("busy"), None);
    }
}
