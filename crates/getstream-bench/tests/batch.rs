//! Smoke test of bench 10's code path: `getstream-bench batch` on 200 channels
//! (this binary's own `emulator` subcommand, debug build). Asserts the jobs' results
//! and that every figure was measured; nothing about timing.

use std::process::{Command, Stdio};

use serde_json::Value;

#[test]
fn batch_bench_updates_every_seeded_channel_and_reports_its_figures() {
    let output = Command::new(env!("CARGO_BIN_EXE_getstream-bench"))
        .args(["batch", "--channels", "200", "--timeout", "60s"])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("getstream-bench batch runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let v: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(v["bench"], "batch");
    assert_eq!(v["channels"], 200);
    let jobs = v["jobs"].as_array().expect("jobs");
    let operations: Vec<&str> = jobs
        .iter()
        .filter_map(|j| j["operation"].as_str())
        .collect();
    assert_eq!(operations, ["addMembers", "updateData"]);
    for j in jobs {
        assert_eq!(j["status"], "completed", "{j}");
        assert_eq!(j["success_channels_count"], 200, "{j}");
        assert_eq!(j["failed_channels_count"], 0, "{j}");
        assert!(j["polls"]["n"].as_u64().unwrap() >= 1, "{j}");
        assert_eq!(j["polls"]["errors"], 0, "{j}");
        assert!(j["completed_in_s"].as_f64().unwrap() > 0.0, "{j}");
        assert!(j["peak_kib"].as_u64().unwrap() > 0, "{j}");
    }
    assert!(v["peak_kib"].as_u64().unwrap() >= v["jobs"][0]["peak_kib"].as_u64().unwrap());
}
