//! The soak of issue 12, as CI runs it: `getstream-bench soak` (the emulator
//! in a process of its own, SDK clients starting and waiting for jobs, timed
//! task polls, bad input, injected faults) for `SOAK_SECS` seconds (default
//! 60), then every acknowledged task checked.
//!
//! Asserted: the correctness invariants (every acknowledged task found once
//! and ended, its result coherent, the SDK's wait agreeing, bad input
//! answered with a 4xx envelope, the emulator alive) and the RSS bound. Task
//! poll latency is asserted here only against stalls (p99 under 1 s): a
//! loaded CI machine running a debug build cannot hold a 50 ms line without
//! flaking; the bench run (`getstream-bench soak`, release) holds it, and
//! this test prints the real p99.

use std::process::{Command, Stdio};

use serde_json::Value;

#[test]
fn soak_keeps_every_invariant() {
    let secs = std::env::var("SOAK_SECS").unwrap_or_else(|_| "60".to_owned());
    let output = Command::new(env!("CARGO_BIN_EXE_getstream-bench"))
        .args(["soak", "--secs", &secs, "--max-p99-ms", "1000"])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("getstream-bench soak runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let figures: Value = stdout
        .lines()
        .find_map(|l| {
            serde_json::from_str(l)
                .ok()
                .filter(|v: &Value| v.get("tasks").is_some())
        })
        .unwrap_or_else(|| panic!("no figures on stdout: {stdout}"));
    println!(
        "soak: {} tasks ({} completed, {} failed), polls p50 {:.2} / p99 {:.2} / max {:.2} ms, \
         RSS warm-up {:.1} / peak {:.1} / end {:.1} MiB (bound {:.1})",
        figures["tasks"]["acknowledged"],
        figures["tasks"]["completed"],
        figures["tasks"]["failed"],
        figures["polls"]["p50_ms"].as_f64().unwrap_or(f64::NAN),
        figures["polls"]["p99_ms"].as_f64().unwrap_or(f64::NAN),
        figures["polls"]["max_ms"].as_f64().unwrap_or(f64::NAN),
        figures["rss"]["warmup_mib"].as_f64().unwrap_or(f64::NAN),
        figures["rss"]["peak_after_warmup_mib"]
            .as_f64()
            .unwrap_or(f64::NAN),
        figures["rss"]["end_mib"].as_f64().unwrap_or(f64::NAN),
        figures["rss"]["bound_mib"].as_f64().unwrap_or(f64::NAN),
    );
    let violations = figures["violations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        violations.is_empty(),
        "{} invariant(s) broken:\n{}",
        violations.len(),
        violations
            .iter()
            .map(|v| v.as_str().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        output.status.success(),
        "the soak exited with {}",
        output.status
    );
    // Not vacuous: tasks of every job ran, polls were timed, faults and bad
    // input were sent.
    for job in [
        "export_channels",
        "export_users",
        "delete_users",
        "delete_channels",
    ] {
        let done = figures["tasks"]["by_job"][job]["completed"]
            .as_u64()
            .unwrap_or(0);
        assert!(done > 0, "no {job} task completed");
    }
    assert_eq!(
        figures["tasks"]["unresolved"], 0,
        "every task ended: {figures}"
    );
    assert!(figures["polls"]["timed"].as_u64().unwrap_or(0) > 0);
    assert!(figures["faults"]["injected"].as_u64().unwrap_or(0) > 0);
    assert!(figures["bad_input"]["requests"].as_u64().unwrap_or(0) > 0);
}
