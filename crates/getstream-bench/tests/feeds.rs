//! Smoke test of bench 11's code path: `getstream-bench feeds` on 300 activities (this
//! binary's own `emulator` subcommand, debug build). Asserts the task's result and that
//! every figure was measured; nothing about timing.

use std::process::{Command, Stdio};

use serde_json::Value;

#[test]
fn feeds_bench_deletes_every_seeded_activity_and_reports_its_figures() {
    let output = Command::new(env!("CARGO_BIN_EXE_getstream-bench"))
        .args(["feeds", "--activities", "300", "--timeout", "60s"])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("getstream-bench feeds runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let v: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(v["bench"], "feeds");
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"]["deleted_activities"], 300, "{v}");
    assert_eq!(v["result"]["deleted_feeds"], 1, "{v}");
    assert!(v["polls"]["n"].as_u64().unwrap() >= 1, "{v}");
    assert_eq!(v["polls"]["errors"], 0, "{v}");
    assert!(v["completed_in_s"].as_f64().unwrap() > 0.0, "{v}");
    assert!(v["peak_kib"].as_u64().unwrap() > 0, "{v}");
}
