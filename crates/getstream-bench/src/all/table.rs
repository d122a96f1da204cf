//! The markdown report of `getstream-bench all`: one row per measure (ours, the floor,
//! Python, the target and whether it is met), the detection latency by completion time,
//! and how it was set up.

use std::fmt::Write as _;

use serde_json::Value;

use super::args::{AllArgs, COMPLETIONS_MS};
use crate::batch_row;
use crate::cells::{cell, f, met, num};

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    format!("{cpus} cores ({model})")
}

/// The markdown report.
pub fn render(r: &Value, args: &AllArgs) -> String {
    let mut s = String::new();
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
    let _ = writeln!(s, "## getstream-bench: {now}, {}\n", machine());

    let _ = writeln!(
        s,
        "| # | measure | ours | floor | Python `getstream` 7.0.0 | target | met |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    roundtrip_rows(&mut s, r, args);
    waits_rows(&mut s, r);
    overshoot_row(&mut s, r);
    detection_rows(&mut s, get(r, "detect"));
    load_row(&mut s, get(r, "load"));
    s.push_str(&batch_row::row(get(r, "batch")));
    detection_details(&mut s, get(r, "detect"));
    setup_note(&mut s, args);
    s
}

fn wall(v: &Value) -> Option<f64> {
    f(v, &["wall_us_per_call"])
}

fn cpu(v: &Value) -> Option<f64> {
    f(v, &["cpu_us_per_call"])
}

fn per(v: &Value) -> Option<f64> {
    f(v, &["per_wait_bytes"])
}

/// Peak RSS in MiB.
fn peak(v: &Value) -> Option<f64> {
    f(v, &["peak_kib"]).map(|k| k / 1024.0)
}

/// The figures of measurement `k` (null when it is missing).
fn get<'a>(r: &'a Value, k: &str) -> &'a Value {
    r.get(k).unwrap_or(&Value::Null)
}

/// Bench 1: wall and CPU time per `get_task`.
fn roundtrip_rows(s: &mut String, r: &Value, args: &AllArgs) {
    let (hy, rq, ours, py) = (
        get(r, "rt_hyper"),
        get(r, "rt_reqwest"),
        get(r, "rt_ours"),
        get(r, "rt_python"),
    );
    let wall_ratio = wall(ours).zip(wall(hy)).map(|(a, b)| a / b);
    let wall_ratio_rq = wall(ours).zip(wall(rq)).map(|(a, b)| a / b);
    let cpu_ratio = cpu(py).zip(cpu(ours)).map(|(a, b)| a / b);
    let mt = get(r, "rt_ours_mt");
    let _ = writeln!(
        s,
        "| 1 | wall time per `get_task` ({} sequential calls) | {} | hyper {} / reqwest {} | {} | ours ≤ 1.5× bare hyper: {}× (vs reqwest {}×) | {} |",
        args.polls,
        cell(
            ours,
            format!(
                "{} µs (p99 {})",
                num(wall(ours), 1),
                num(f(ours, &["p99_us"]), 0)
            )
        ),
        cell(hy, format!("{} µs", num(wall(hy), 1))),
        cell(rq, format!("{} µs", num(wall(rq), 1))),
        cell(
            py,
            format!(
                "{} µs (p99 {})",
                num(wall(py), 1),
                num(f(py, &["p99_us"]), 0)
            )
        ),
        num(wall_ratio, 2),
        num(wall_ratio_rq, 2),
        met(wall_ratio.map(|x| x <= 1.5)),
    );
    let _ = writeln!(
        s,
        "| 1 | CPU time per `get_task` (client process) | {} | hyper {} / reqwest {} | {} | Python ≥ 10× ours: {}× | {} |",
        cell(ours, format!("{} µs", num(cpu(ours), 1))),
        cell(hy, format!("{} µs", num(cpu(hy), 1))),
        cell(rq, format!("{} µs", num(cpu(rq), 1))),
        cell(py, format!("{} µs", num(cpu(py), 1))),
        num(cpu_ratio, 1),
        met(cpu_ratio.map(|x| x >= 10.0)),
    );
    let _ = writeln!(
        s,
        "| 1 | same, ours on a multi-thread runtime (2 workers) | {} | — | — | — | — |",
        cell(
            mt,
            format!(
                "wall {} µs (p99 {}), CPU {} µs",
                num(wall(mt), 1),
                num(f(mt, &["p99_us"]), 0),
                num(cpu(mt), 1)
            )
        ),
    );
}

/// Bench 2: memory and CPU of concurrent waits.
fn waits_rows(s: &mut String, r: &Value) {
    let (wo, wp, wps) = (
        get(r, "waits_ours"),
        get(r, "waits_python"),
        get(r, "waits_python_small"),
    );
    let mem_ratio = peak(wp).zip(peak(wo)).map(|(a, b)| a / b);
    // Per wait: Python's run that finished (the capped one is still growing at the cap).
    let py_per = if wps.get("completed").is_some() {
        per(wps)
    } else {
        per(wp)
    };
    let per_ratio = py_per.zip(per(wo)).map(|(a, b)| a / b);
    let waits_fig = |v: &Value| {
        cell(
            v,
            format!(
                "{} B/wait ({} of {} done{}; baseline {} MiB, peak {} MiB)",
                num(per(v), 0),
                num(f(v, &["completed"]), 0),
                num(f(v, &["n"]), 0),
                if v.get("capped").and_then(Value::as_bool) == Some(true) {
                    format!(", stopped at the {} s cap", num(f(v, &["wall_s"]), 0))
                } else {
                    String::new()
                },
                num(f(v, &["baseline_kib"]).map(|k| k / 1024.0), 1),
                num(peak(v), 1),
            ),
        )
    };
    let _ = writeln!(
        s,
        "| 2 | memory per concurrent wait beyond baseline | {} | — | {}<br>{} | < 4 KiB: ours {} B | {} |",
        waits_fig(wo),
        waits_fig(wp),
        waits_fig(wps),
        num(per(wo), 0),
        met(per(wo).map(|x| x < 4096.0)),
    );
    let _ = writeln!(
        s,
        "| 2 | peak RSS of the client process (same number of waits) / per-wait ratio | {} MiB | — | {} MiB | Python ≥ 5× ours: peak {}×, per wait {}× | {} |",
        num(peak(wo), 1),
        num(peak(wp), 1),
        num(mem_ratio, 1),
        num(per_ratio, 1),
        met(mem_ratio.zip(per_ratio).map(|(a, b)| a >= 5.0 && b >= 5.0)),
    );
    let _ = writeln!(
        s,
        "| 2 | total CPU / wall of all waits | {} | — | {}<br>{} | — | — |",
        cell(
            wo,
            format!(
                "{} waits: {} s CPU / {} s",
                num(f(wo, &["n"]), 0),
                num(f(wo, &["cpu_s"]), 2),
                num(f(wo, &["wall_s"]), 1)
            )
        ),
        cell(
            wp,
            format!(
                "{} waits: {} s CPU / {} s",
                num(f(wp, &["n"]), 0),
                num(f(wp, &["cpu_s"]), 2),
                num(f(wp, &["wall_s"]), 1)
            )
        ),
        cell(
            wps,
            format!(
                "{} waits: {} s CPU / {} s",
                num(f(wps, &["n"]), 0),
                num(f(wps, &["cpu_s"]), 2),
                num(f(wps, &["wall_s"]), 1)
            )
        ),
    );
}

/// Bench 3: deadline overshoot against a hung server.
fn overshoot_row(s: &mut String, r: &Value) {
    let (oo, op) = (get(r, "overshoot_ours"), get(r, "overshoot_python"));
    let _ = writeln!(
        s,
        "| 3 | deadline overshoot, hung server, timeout 2 s | {} | — | {} | < 20 ms | {} |",
        cell(
            oo,
            format!(
                "max {} ms, median {} ms ({} runs, {} timeout errors)",
                num(f(oo, &["max_ms"]), 1),
                num(f(oo, &["median_ms"]), 1),
                num(f(oo, &["runs"]), 0),
                num(f(oo, &["timeout_errors"]), 0)
            )
        ),
        cell(
            op,
            format!(
                "{} ms ({})",
                num(f(op, &["max_ms"]), 0),
                op.get("outcome").and_then(Value::as_str).unwrap_or("?")
            )
        ),
        met(f(oo, &["max_ms"]).map(|x| x < 20.0)),
    );
}

/// Bench 4: detection latency and requests per wait, one row per policy.
fn detection_rows(s: &mut String, detect: &Value) {
    if let Some(policies) = detect.get("policies").and_then(Value::as_array) {
        for p in policies {
            let _ = writeln!(
                s,
                "| 4 | detection latency / requests per wait: {} | mean {} ms, p50 {} ms, max {} ms; {} requests | — | — | — | — |",
                p["policy"].as_str().unwrap_or("?"),
                num(f(p, &["latency_ms_mean"]), 0),
                num(f(p, &["latency_ms_p50"]), 0),
                num(f(p, &["latency_ms_max"]), 0),
                num(f(p, &["polls_mean"]), 1),
            );
        }
    } else {
        let _ = writeln!(
            s,
            "| 4 | detection latency | {} | — | — | — | — |",
            cell(detect, String::new())
        );
    }
}

/// Bench 5: the emulator's task route vs a bare axum route.
fn load_row(s: &mut String, load: &Value) {
    let load_ratio = f(load, &["ratio"]);
    let _ = writeln!(
        s,
        "| 5 | emulator `GET /api/v2/tasks/{{id}}` vs bare axum route (same body) | {} | {} | — | ≥ 70 % of bare: {} % | {} |",
        cell(
            load,
            format!(
                "{} req/s, p99 {} µs",
                num(f(load, &["emulator", "rps"]), 0),
                num(f(load, &["emulator", "p99_us"]), 0)
            )
        ),
        cell(
            load,
            format!(
                "{} req/s, p99 {} µs",
                num(f(load, &["bare", "rps"]), 0),
                num(f(load, &["bare", "p99_us"]), 0)
            )
        ),
        num(load_ratio.map(|x| x * 100.0), 1),
        met(load_ratio.map(|x| x >= 0.7)),
    );
}

/// Bench 4 in detail: latency and requests by completion time.
fn detection_details(s: &mut String, detect: &Value) {
    let _ = writeln!(
        s,
        "\nDetection latency by completion time (mean latency ms / mean requests):\n"
    );
    if let Some(policies) = detect.get("policies").and_then(Value::as_array) {
        let _ = write!(s, "| policy |");
        for ms in COMPLETIONS_MS {
            let _ = write!(s, " done at {:.1} s |", ms as f64 / 1000.0);
        }
        let _ = writeln!(s, "\n|---|{}", "---|".repeat(COMPLETIONS_MS.len()));
        for p in policies {
            let _ = write!(s, "| {} |", p["policy"].as_str().unwrap_or("?"));
            for c in p["per_completion"].as_array().into_iter().flatten() {
                let _ = write!(
                    s,
                    " {} ms / {} |",
                    num(f(c, &["latency_ms_mean"]), 0),
                    num(f(c, &["polls_mean"]), 1)
                );
            }
            let _ = writeln!(s);
        }
    }
}

/// How the benches were set up.
fn setup_note(s: &mut String, args: &AllArgs) {
    let _ = writeln!(
        s,
        "\nSetup: emulator = release binary in its own process (`--instant --no-rate-limits --default-rate-limit 1000000000 --admin`), loopback only. \
         Bench 1: {} warm-up calls first, then the three Rust clients take turns in 20 chunks in one process (CPU = getrusage delta per chunk); the Rust clients on a current-thread tokio runtime (like the SDK's blocking client; Python is single-threaded too) unless said otherwise; CPU = getrusage(RUSAGE_SELF) of the client process; the bare clients read the body without decoding it. \
         Bench 2: scripted tasks `running` for {} s after creation, then `completed`; waits poll every 1 s (both SDKs' default), started in 1000 equal batches spread over {} s; \
         baseline = VmRSS after building the client and one request, peak = VmHWM. \
         Bench 3: `hang` fault on the task's path; Python's request is bounded only by its 30 s request timeout. \
         Bench 4: {} tasks per completion time, each policy waits on the same tasks. \
         Bench 5: in one process, both servers on one tokio runtime with 1 worker thread, the generator (hyper HTTP/1.1, keep-alive, {} connections) on a current-thread runtime; {} rounds of {} s per server, alternating. \
         Bench 10: its own emulator (`--instant --workers 4 --seed channels=N,messages=0,users=10`), addMembers of one user, then updateData frozen, over every `messaging` channel; time to completed = from the request to the first poll that saw the task done (the SDK's wait polls every 20 ms, a side loop times sequential `get_task` calls back to back; with `--instant` a job of 10,000 channels takes tens of milliseconds, so p99 rests on a few dozen polls); peak RSS = the emulator's VmHWM, reset before each job.",
        500,
        args.complete_after.as_secs_f64(),
        args.stagger.as_secs_f64(),
        args.detect_reps,
        args.connections,
        args.load_rounds,
        args.load_phase.as_secs_f64(),
    );
}
