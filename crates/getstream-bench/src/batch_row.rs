//! The report's row of bench 10 (`getstream-bench batch`): a channel batch update
//! over many channels, from the JSON of [`crate::batch::run`].

use serde_json::Value;

use crate::cells::{cell, f, met, num};

/// Task polls while a job runs must stay under this p99 (issue 24).
pub const P99_TARGET_MS: f64 = 50.0;

/// One job's figures: `addMembers 16.1 ms (10000 of 10000 channels ok; polls p50 …)`.
fn job(j: &Value) -> String {
    format!(
        "{} {} ms ({} of {} channels ok; polls p50 {} / p99 {} / max {} ms, {} polls)",
        j["operation"].as_str().unwrap_or("?"),
        num(f(j, &["completed_in_s"]).map(|s| s * 1000.0), 1),
        num(f(j, &["success_channels_count"]), 0),
        num(
            f(j, &["success_channels_count"])
                .zip(f(j, &["failed_channels_count"]))
                .map(|(a, b)| a + b),
            0
        ),
        num(f(j, &["polls", "p50_ms"]), 2),
        num(f(j, &["polls", "p99_ms"]), 1),
        num(f(j, &["polls", "max_ms"]), 1),
        num(f(j, &["polls", "n"]), 0),
    )
}

/// The markdown row (with its trailing newline).
pub fn row(v: &Value) -> String {
    let jobs: Vec<String> = v["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(job)
        .collect();
    let peak = |path: &[&str]| f(v, path).map(|k| k / 1024.0);
    let figure = format!(
        "{}; emulator peak RSS {} MiB (after the seed {} MiB)",
        jobs.join("; "),
        num(peak(&["peak_kib"]), 1),
        num(peak(&["rss_seeded_kib"]), 1),
    );
    let p99 = f(v, &["p99_ms"]).filter(|_| !jobs.is_empty());
    format!(
        "| 10 | channel batch update over {} channels, started and waited on through our SDK: time to completed, `get_task` latency during the job, emulator peak RSS | {} | — | — | polls p99 < {P99_TARGET_MS} ms: {} ms | {} |\n",
        num(f(v, &["channels"]), 0),
        cell(v, figure),
        num(p99, 1),
        met(p99.map(|x| x < P99_TARGET_MS)),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn figures(p99: f64) -> Value {
        json!({
            "channels": 10_000,
            "rss_seeded_kib": 20_480,
            "peak_kib": 40_960,
            "p99_ms": p99,
            "jobs": [{
                "operation": "addMembers",
                "completed_in_s": 1.5,
                "success_channels_count": 9_999,
                "failed_channels_count": 1,
                "polls": {"n": 120, "p50_ms": 0.5, "p99_ms": p99, "max_ms": 70.0},
            }],
        })
    }

    #[test]
    fn the_row_says_whether_p99_met_its_target() {
        let met = row(&figures(12.34));
        assert!(
            met.contains("addMembers 1500.0 ms (9999 of 10000 channels ok"),
            "{met}"
        );
        assert!(
            met.contains("peak RSS 40.0 MiB (after the seed 20.0 MiB)"),
            "{met}"
        );
        assert!(met.ends_with("12.3 ms | yes |\n"), "{met}");
        let missed = row(&figures(50.0));
        assert!(missed.ends_with("50.0 ms | **no** |\n"), "{missed}");
    }

    #[test]
    fn a_failed_bench_shows_its_error_and_no_verdict() {
        let r = row(&json!({"error": "the emulator | exited early"}));
        assert!(r.contains("error: the emulator / exited early"), "{r}");
        assert!(r.ends_with("— ms | — |\n"), "{r}");
    }
}
