//! The soak's figures as a markdown table (on stderr).

use std::fmt::Write as _;

use serde_json::{Value, json};

/// The figures as a markdown table.
pub fn table(f: &Value) -> String {
    let n = |v: &Value| v.as_f64().map_or("—".to_owned(), |x| format!("{x:.1}"));
    let i = |v: &Value| v.as_u64().map_or("—".to_owned(), |x| x.to_string());
    let t = &f["tasks"];
    let p = &f["polls"];
    let r = &f["rss"];
    let mut s = String::new();
    let _ = writeln!(s, "\n| soak: {} s of load | figure |", f["secs"]);
    let _ = writeln!(s, "|---|---|");
    let _ = writeln!(
        s,
        "| tasks acknowledged / completed / failed / unresolved / duplicated | {} / {} / {} / {} / {} |",
        i(&t["acknowledged"]),
        i(&t["completed"]),
        i(&t["failed"]),
        i(&t["unresolved"]),
        i(&t["duplicates"])
    );
    let _ = writeln!(
        s,
        "| starts sent / refused (faults) ; SDK waits ended in an error | {} / {} ; {} |",
        i(&t["start_attempts"]),
        i(&t["start_errors"]),
        i(&t["wait_errors"])
    );
    for (job, v) in t["by_job"].as_object().into_iter().flatten() {
        let _ = writeln!(
            s,
            "| {job}: started / completed / failed | {} / {} / {} |",
            i(&v["started"]),
            i(&v["completed"]),
            i(&v["failed"])
        );
    }
    let _ = writeln!(
        s,
        "| export files downloaded and checked (MiB) | {} ({}) |",
        i(&f["downloads"]["files"]),
        n(&json!(
            f["downloads"]["bytes"].as_f64().unwrap_or(0.0) / 1_048_576.0
        ))
    );
    let _ = writeln!(
        s,
        "| export files made after the warm-up (MiB; each downloaded once by its client) | {} |",
        n(&f["downloads"]["exported_mib_after_warmup"])
    );
    let _ = writeln!(
        s,
        "| task polls timed (answered by a fault) | {} ({}) |",
        i(&p["timed"]),
        i(&p["faulted"])
    );
    let _ = writeln!(
        s,
        "| task poll latency p50 / p99 / max (bound p99 < {} ms) | {} / {} / {} ms |",
        n(&p["bound_ms"]),
        format_ms(&p["p50_ms"]),
        format_ms(&p["p99_ms"]),
        format_ms(&p["max_ms"])
    );
    let _ = writeln!(
        s,
        "| emulator RSS: warm-up ({} s) / peak after / end / VmHWM (bound) | {} / {} / {} / {} MiB (≤ {}) |",
        n(&r["warmup_s"]),
        n(&r["warmup_mib"]),
        n(&r["peak_after_warmup_mib"]),
        n(&r["end_mib"]),
        n(&r["hwm_mib"]),
        n(&r["bound_mib"])
    );
    let fl = &f["faults"];
    let _ = writeln!(
        s,
        "| faults injected / clears / job failures injected | {} / {} / {} |",
        i(&fl["injected"]),
        i(&fl["clears"]),
        i(&fl["job_failures"])
    );
    let b = &f["bad_input"];
    let _ = writeln!(
        s,
        "| bad requests (answered by a fault) ; answers | {} ({}) ; {} |",
        i(&b["requests"]),
        i(&b["answered_by_fault"]),
        b["statuses"]
    );
    let _ = writeln!(
        s,
        "| slow / half-closed / garbage connections (closed by the server in 5 s) | {} ({}) |",
        i(&b["connections"]),
        i(&b["connections_closed_by_server"])
    );
    let v = f["violations"].as_array().map_or(0, Vec::len);
    let _ = writeln!(s, "| invariants broken | {v} |");
    s
}

fn format_ms(v: &Value) -> String {
    v.as_f64().map_or("—".to_owned(), |x| format!("{x:.2}"))
}
