//! `getstream-bench all`: runs every bench and prints the markdown table.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cells::{cell, f, met, num};
use crate::emu::{Admin, EmulatorProcess};
use crate::{BoxError, async_runtime, batch_row, child, detect, python_command, self_command};

/// Options of `getstream-bench all`.
#[derive(Debug, clap::Args)]
pub struct AllArgs {
    /// The emulator binary (default: `getstream-emulator` next to this binary).
    #[arg(long)]
    emulator: Option<PathBuf>,
    /// Python of a virtualenv with `getstream` installed; without it the Python rows are skipped.
    #[arg(long)]
    python: Option<PathBuf>,
    /// Folder of the Python bench scripts.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/python"))]
    python_dir: PathBuf,
    /// Sequential get_task calls per client (bench 1).
    #[arg(long, default_value_t = 20_000)]
    polls: u32,
    /// Concurrent waits, ours (bench 2).
    #[arg(long, default_value_t = 10_000)]
    waits: u32,
    /// Concurrent waits, Python (bench 2).
    #[arg(long, default_value_t = 10_000)]
    python_waits: u32,
    /// Each bench-2 task completes this long after it is created.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    complete_after: Duration,
    /// The waits of bench 2 are started in batches spread over this long.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    stagger: Duration,
    /// Longest a Python child may run (it is killed then, and reported as such).
    #[arg(long, default_value = "100s", value_parser = humantime::parse_duration)]
    python_cap: Duration,
    /// A second, smaller Python run of bench 2 that can finish (0: skip).
    #[arg(long, default_value_t = 1_000)]
    python_waits_small: u32,
    /// Timed-out waits per client in bench 3 (Python: 1, as each costs its 30 s request timeout).
    #[arg(long, default_value_t = 5)]
    overshoot_runs: u32,
    /// Repetitions of each completion time in bench 4.
    #[arg(long, default_value_t = 2)]
    detect_reps: u32,
    /// Connections of the load generator (bench 5).
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Length of one load phase (bench 5); phases alternate emulator / bare.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    load_phase: Duration,
    /// Rounds of (emulator, bare) phases (bench 5).
    #[arg(long, default_value_t = 5)]
    load_rounds: u32,
    /// Channels of the batch update (bench 10; 0: skip).
    #[arg(long, default_value_t = 10_000)]
    batch_channels: usize,
    /// Also write the markdown to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write the raw figures (JSON) to this file.
    #[arg(long)]
    json_out: Option<PathBuf>,
}

/// Completion times of bench 4.
const COMPLETIONS_MS: [u64; 7] = [300, 800, 1_600, 2_500, 4_200, 6_500, 9_700];

/// Runs every bench; a failed bench is reported in its row, the others still run.
pub fn all(args: AllArgs) -> Result<(), BoxError> {
    let emulator = match &args.emulator {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .ok_or("no parent dir")?
            .join("getstream-emulator"),
    };
    let process = EmulatorProcess::start(&emulator)?;
    let t = process.target.clone();
    eprintln!(
        "bench: emulator at {} (release, instant pace, no rate limits)",
        t.base_url
    );
    let rt = async_runtime()?;
    let admin = Admin::new(&t.base_url)?;
    let mut r = serde_json::Map::new();
    let mut put = |k: &str, v: Result<Value, BoxError>| {
        let v = v.unwrap_or_else(|e| {
            eprintln!("bench: {k} failed: {e}");
            json!({"error": e.to_string()})
        });
        r.insert(k.to_owned(), v);
    };
    let py = |script: &str, a: &[&str]| {
        args.python
            .as_ref()
            .map(|p| python_command(p, args.python_dir.join(script), &t, a))
    };
    let no_python = || Err::<Value, BoxError>("not run: no --python given".into());
    let polls = args.polls.to_string();
    let cap_rust = Duration::from_secs(600);

    // 1. get_task round trips.
    rt.block_on(admin.script_task(
        "roundtrip-task",
        &[("completed", Duration::ZERO)],
        json!({"messaging:general": {"status": "ok"}, "messaging:random": {"status": "ok"}}),
    ))?;
    let cmd = self_command(
        &t,
        &[
            "roundtrip",
            "--impl",
            "bare-hyper,bare-reqwest,ours",
            "--current-thread",
            "--task-id",
            "roundtrip-task",
            "--n",
            &polls,
        ],
    )?;
    match child::run_json(
        cmd,
        "bench 1 (bare hyper, bare reqwest, ours; taking turns)",
        cap_rust,
    ) {
        Ok(v) => {
            let results = v["results"].as_array().cloned().unwrap_or_default();
            for (key, r) in ["rt_hyper", "rt_reqwest", "rt_ours"]
                .into_iter()
                .zip(results)
            {
                put(key, Ok(r));
            }
        }
        Err(e) => {
            let e = e.to_string();
            for key in ["rt_hyper", "rt_reqwest", "rt_ours"] {
                put(key, Err(e.clone().into()));
            }
        }
    }
    let cmd = self_command(
        &t,
        &[
            "roundtrip",
            "--impl",
            "ours",
            "--task-id",
            "roundtrip-task",
            "--n",
            &polls,
        ],
    )?;
    let v = child::run_json(cmd, "bench 1 (ours, multi-thread runtime)", cap_rust).and_then(|v| {
        v["results"]
            .get(0)
            .cloned()
            .ok_or_else(|| "no result".into())
    });
    put("rt_ours_mt", v);
    let v = match py(
        "roundtrip.py",
        &["--task-id", "roundtrip-task", "--n", &polls],
    ) {
        Some(cmd) => child::run_json(cmd, "bench 1 (python)", args.python_cap),
        None => no_python(),
    };
    put("rt_python", v);

    // 2. concurrent waits.
    let stagger = format!("{}ms", args.stagger.as_millis());
    let ids = |prefix: &str, n: u32| (0..n).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>();
    let v = (|| {
        let made =
            rt.block_on(admin.script_many(&ids("wait-ours-", args.waits), args.complete_after))?;
        eprintln!(
            "bench: created {} scripted tasks in {:.1} s",
            args.waits,
            made.as_secs_f64()
        );
        let n = args.waits.to_string();
        let cmd = self_command(
            &t,
            &[
                "waits",
                "--prefix",
                "wait-ours-",
                "--n",
                &n,
                "--stagger",
                &stagger,
            ],
        )?;
        child::run_json(cmd, "bench 2 (ours)", cap_rust)
    })();
    put("waits_ours", v);
    for (key, prefix, n) in [
        ("waits_python", "wait-py-", args.python_waits),
        ("waits_python_small", "wait-pys-", args.python_waits_small),
    ] {
        let v = match args.python {
            Some(_) if n > 0 => (|| {
                rt.block_on(admin.script_many(&ids(prefix, n), args.complete_after))?;
                let n = n.to_string();
                // The script reports by itself at this cap (its loop may be saturated).
                let cap = format!("{}", args.python_cap.as_secs().saturating_sub(40).max(10));
                let stagger_ms = args.stagger.as_millis().to_string();
                let cmd = py(
                    "waits.py",
                    &[
                        "--prefix",
                        prefix,
                        "--n",
                        &n,
                        "--stagger-ms",
                        &stagger_ms,
                        "--cap-s",
                        &cap,
                    ],
                )
                .ok_or("no python")?;
                child::run_json(
                    cmd,
                    &format!("bench 2 (python, {n} waits)"),
                    args.python_cap,
                )
            })(),
            Some(_) => Err("not run: 0 waits".into()),
            None => no_python(),
        };
        put(key, v);
    }

    // 3. deadline overshoot against a hung server.
    let v = (|| {
        rt.block_on(admin.hang("/api/v2/tasks/hang-task"))?;
        let runs = args.overshoot_runs.to_string();
        let cmd = self_command(
            &t,
            &[
                "overshoot",
                "--task-id",
                "hang-task",
                "--timeout",
                "2s",
                "--runs",
                &runs,
            ],
        )?;
        child::run_json(cmd, "bench 3 (ours)", cap_rust)
    })();
    put("overshoot_ours", v);
    let v = match py(
        "overshoot.py",
        &["--task-id", "hang-task", "--timeout", "2", "--runs", "1"],
    ) {
        Some(cmd) => child::run_json(cmd, "bench 3 (python)", args.python_cap),
        None => no_python(),
    };
    put("overshoot_python", v);
    let _ = rt.block_on(admin.clear_faults());

    // 4. detection latency vs requests.
    eprintln!("bench: bench 4 (detection latency) ...");
    let completions: Vec<Duration> = COMPLETIONS_MS
        .iter()
        .map(|&ms| Duration::from_millis(ms))
        .collect();
    put(
        "detect",
        rt.block_on(detect::run(&t, &completions, args.detect_reps)),
    );
    drop(process);

    // 5. emulator load vs bare axum.
    let phase = format!("{}ms", args.load_phase.as_millis());
    let v = self_command(
        &t,
        &[
            "load",
            "--connections",
            &args.connections.to_string(),
            "--phase",
            &phase,
            "--rounds",
            &args.load_rounds.to_string(),
        ],
    )
    .and_then(|cmd| child::run_json(cmd, "bench 5 (load)", cap_rust));
    put("load", v);

    // 10. channel batch update (an emulator of its own).
    let v = if args.batch_channels == 0 {
        Err("not run: --batch-channels 0".into())
    } else {
        let channels = args.batch_channels.to_string();
        let emulator = emulator.to_string_lossy();
        self_command(
            &t,
            &["batch", "--emulator", &emulator, "--channels", &channels],
        )
        .and_then(|cmd| child::run_json(cmd, "bench 10 (channel batch update)", cap_rust))
    };
    put("batch", v);

    let results = Value::Object(r);
    let markdown = render(&results, &args);
    println!("{markdown}");
    if let Some(path) = &args.out {
        std::fs::write(path, &markdown)?;
    }
    if let Some(path) = &args.json_out {
        std::fs::write(path, serde_json::to_string_pretty(&results)?)?;
    }
    Ok(())
}

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
fn render(r: &Value, args: &AllArgs) -> String {
    let null = Value::Null;
    let g = |k: &str| r.get(k).unwrap_or(&null);
    let mut s = String::new();
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
    let _ = writeln!(s, "## getstream-bench: {now}, {}\n", machine());

    // Figures.
    let (hy, rq, ours, py) = (g("rt_hyper"), g("rt_reqwest"), g("rt_ours"), g("rt_python"));
    let wall = |v: &Value| f(v, &["wall_us_per_call"]);
    let cpu = |v: &Value| f(v, &["cpu_us_per_call"]);
    let wall_ratio = wall(ours).zip(wall(hy)).map(|(a, b)| a / b);
    let wall_ratio_rq = wall(ours).zip(wall(rq)).map(|(a, b)| a / b);
    let cpu_ratio = cpu(py).zip(cpu(ours)).map(|(a, b)| a / b);
    let mt = g("rt_ours_mt");
    let (wo, wp, wps) = (g("waits_ours"), g("waits_python"), g("waits_python_small"));
    let per = |v: &Value| f(v, &["per_wait_bytes"]);
    let peak = |v: &Value| f(v, &["peak_kib"]).map(|k| k / 1024.0);
    let mem_ratio = peak(wp).zip(peak(wo)).map(|(a, b)| a / b);
    // Per wait: Python's run that finished (the capped one is still growing at the cap).
    let py_per = if wps.get("completed").is_some() {
        per(wps)
    } else {
        per(wp)
    };
    let per_ratio = py_per.zip(per(wo)).map(|(a, b)| a / b);
    let (oo, op) = (g("overshoot_ours"), g("overshoot_python"));
    let load = g("load");
    let load_ratio = f(load, &["ratio"]);

    let _ = writeln!(
        s,
        "| # | measure | ours | floor | Python `getstream` 7.0.0 | target | met |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
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
    let detect = g("detect");
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
    s.push_str(&batch_row::row(g("batch")));

    // Details.
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
    s
}
