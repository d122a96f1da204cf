//! `getstream-bench soak`: the emulator under a bounded mixed load, checked
//! against its promises (issue 12, "Soak").
//!
//! The emulator runs as its own process (`--emulator PATH`, or this binary's
//! `emulator` subcommand: the same library as `getstream-emulator`), so the
//! memory sampled (`/proc/<pid>/status`) is the emulator's alone. For
//! `--secs`, at once:
//!
//! * SDK clients (`getstream_tasks::Client`) start channel and user exports and hard
//!   deletes of users and channels, wait for each with the SDK's poller, and
//!   check each result (an export link downloads a file listing exactly what
//!   was asked; a delete lists each id `ok`);
//! * pollers time `GET /api/v2/tasks/{id}` of the acknowledged tasks;
//! * bad input: malformed HTTP requests, and slow, half-closed and garbage
//!   connections;
//! * a fault injector (admin API): 5xx and 429 answers, dropped connections,
//!   delays, failed jobs, clears.
//!
//! Then every acknowledged task is read until it ends. The invariants: every
//! task acknowledged (`201` + `task_id`) once, found at the end and
//! `completed` (result checked) or `failed` (only by an injected failure); the
//! SDK's wait saw the same end; bad input got a 4xx with Stream's envelope;
//! RSS after the warm-up within warm-up RSS + `--rss-slack-mib`; p99 of the
//! task polls under `--max-p99-ms`; the emulator still running. The figures go
//! to stderr (a table) and stdout (JSON); any broken invariant is an error
//! (non-zero exit).

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::BoxError;
use crate::emu::{Admin, Target};
use crate::measure::quantile;

mod bad;
mod faults;
mod jobs;
mod ledger;
mod polls;
mod raw;
mod rss;
mod table;

use ledger::{Ledger, read};
use raw::Raw;

/// Arguments of the `soak` subcommand.
#[derive(Debug, clap::Args)]
pub struct SoakArgs {
    /// Seconds of load (the final check comes after).
    #[arg(long, env = "SOAK_SECS", default_value_t = 60)]
    secs: u64,
    /// The emulator binary; without it, this binary's `emulator` subcommand.
    #[arg(long)]
    emulator: Option<PathBuf>,
    /// One more argument for the emulator (repeatable), e.g.
    /// `--emulator-arg=--data-dir --emulator-arg=/tmp/soak-data`.
    #[arg(long = "emulator-arg", allow_hyphen_values = true)]
    emulator_args: Vec<String>,
    /// Seconds of warm-up before the RSS bound applies (default: a quarter of
    /// --secs, at most 15).
    #[arg(long)]
    warmup_secs: Option<u64>,
    /// After the warm-up, RSS must stay within warm-up RSS + this many MiB
    /// (+ --rss-per-task-kib per task acknowledged after the warm-up).
    #[arg(long, default_value_t = 32)]
    rss_slack_mib: u64,
    /// What each task acknowledged after the warm-up may add to the RSS bound
    /// (its record stays until the task store's cap evicts it): measured
    /// 3.7 KiB per task without exports, doubled for hash tables' growth.
    #[arg(long, default_value_t = 8)]
    rss_per_task_kib: u64,
    /// p99 of the timed task polls must stay under this (ms).
    #[arg(long, default_value_t = 50.0)]
    max_p99_ms: f64,
    /// SDK clients exporting channels.
    #[arg(long, default_value_t = 3)]
    exporters: u64,
    /// SDK clients exporting users.
    #[arg(long, default_value_t = 1)]
    user_exporters: u64,
    /// SDK clients creating then hard-deleting users and channels.
    #[arg(long, default_value_t = 2)]
    deleters: u64,
    /// Timed pollers of the task route (each polls every 10 ms).
    #[arg(long, default_value_t = 2)]
    pollers: u64,
    /// Seeded channels (exports pick 1..=5 of them).
    #[arg(long, default_value_t = 40)]
    channels: usize,
    /// Messages per seeded channel.
    #[arg(long, default_value_t = 100)]
    messages: usize,
    /// Seeded users (user exports pick 1..=5 of them).
    #[arg(long, default_value_t = 40)]
    users: usize,
    /// How long after the load every task may take to end.
    #[arg(long, default_value_t = 20)]
    drain_secs: u64,
}

/// What was seeded.
#[derive(Debug, Clone, Copy)]
pub struct Seed {
    /// Channels `messaging:seed-1..`.
    pub channels: usize,
    /// Messages per channel.
    pub messages: usize,
    /// Users `user-1..`.
    pub users: usize,
}

/// What every worker of the soak shares.
pub struct Ctx {
    /// The books.
    pub ledger: Ledger,
    /// The emulator.
    pub target: Target,
    /// Plain HTTP: timed polls, setup, downloads, the final check.
    pub raw: Raw,
    /// Plain HTTP for the bad requests (a pool of its own).
    pub bad: Raw,
    /// The admin API.
    pub admin: Admin,
    /// The seeded data.
    pub seed: Seed,
    /// The end of the warm-up.
    pub warm_until: Instant,
    until: Instant,
}

impl Ctx {
    /// Whether the load is still on.
    pub fn running(&self) -> bool {
        Instant::now() < self.until
    }
}

fn emulator_command(args: &SoakArgs) -> Result<Command, BoxError> {
    let mut command = match &args.emulator {
        Some(path) => Command::new(path),
        None => {
            let mut c = Command::new(std::env::current_exe()?);
            c.arg("emulator");
            c
        }
    };
    let seed = format!(
        "channels={},messages={},users={}",
        args.channels, args.messages, args.users
    );
    command
        .args(["--addr", "127.0.0.1:0", "--admin", "--no-rate-limits"])
        .args(["--default-rate-limit", "1000000000"])
        // Jobs are pending a little and run ≥ 100 ms (10 ms per item), so a
        // wait sees pending → running → its end, and jobs overlap.
        .args(["--pending", "20ms", "--min-task-duration", "100ms"])
        .args(["--per-item-cost", "10ms", "--workers", "4"])
        .args(["--seed", &seed])
        .args(&args.emulator_args);
    Ok(command)
}

/// Runs the soak; the figures, or an error listing the broken invariants.
pub async fn run(args: SoakArgs) -> Result<Value, BoxError> {
    let origin = Instant::now();
    let mut process = crate::emu::EmulatorProcess::spawn(emulator_command(&args)?, "soak")?;
    let pid = process.pid();
    let sampler = rss::Sampler::start(pid, origin);
    let warmup_secs = args.warmup_secs.unwrap_or((args.secs / 4).min(15));
    let (ctx, load_start) = shared(&args, &process.target, warmup_secs).await?;
    let ctx = Arc::new(ctx);
    let started_at = load_start.duration_since(origin).as_secs_f64();
    eprintln!(
        "soak: emulator pid {pid} at {}; load for {} s",
        ctx.target.base_url, args.secs
    );
    load(&ctx, &args).await;
    let load_s = load_start.elapsed().as_secs_f64();
    eprintln!("soak: load over after {load_s:.1} s; the final check ...");
    let unresolved = polls::settle(&ctx, Duration::from_secs(args.drain_secs)).await;
    let (completed, failed, _) = ctx.ledger.reconcile();
    // Let the last export buffers go before the end sample.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let hwm_kib = rss::status_kib(pid, "VmHWM").unwrap_or(0);
    let samples = sampler.finish();
    if let Some(status) = process.exited() {
        ctx.ledger
            .violation(format!("the emulator exited during the soak: {status}"));
    }
    drop(process);

    let warmup = warmup_secs as f64;
    let memory = check_memory(&ctx, &args, samples, started_at + warmup);
    let latency = check_latency(&ctx, &args);
    let wait_errors = check_outcomes(&ctx, completed);
    let outcome = Outcome {
        load_s,
        completed,
        failed,
        unresolved: unresolved.len(),
        wait_errors: wait_errors.len(),
        warmup,
        hwm_kib,
    };
    let figures = figures(&ctx, &args, &outcome, &memory, &latency);
    eprintln!("{}", table::table(&figures));
    println!("{figures}");
    verdict(&ctx.ledger)
}

/// What the workers share, and when the load starts.
async fn shared(
    args: &SoakArgs,
    target: &Target,
    warmup_secs: u64,
) -> Result<(Ctx, Instant), BoxError> {
    let admin = Admin::new(&target.base_url)?;
    let token = admin.token().await?;
    let raw = Raw::new(
        &target.base_url,
        &target.api_key,
        &token,
        Duration::from_secs(30),
    )?;
    let bad = Raw::new(&target.base_url, &target.api_key, &token, bad::BAD_TIMEOUT)?;
    let load_start = Instant::now();
    let ctx = Ctx {
        ledger: Ledger::new(load_start + Duration::from_secs(warmup_secs)),
        target: target.clone(),
        raw,
        bad,
        admin,
        seed: Seed {
            channels: args.channels.max(1),
            messages: args.messages,
            users: args.users.max(2),
        },
        warm_until: load_start + Duration::from_secs(warmup_secs),
        until: load_start + Duration::from_secs(args.secs),
    };
    Ok((ctx, load_start))
}

/// The load: every worker until `--secs` is over; a worker that panicked is a violation.
async fn load(ctx: &Arc<Ctx>, args: &SoakArgs) {
    let mut set = tokio::task::JoinSet::new();
    for n in 0..args.exporters {
        set.spawn(jobs::export_channels(ctx.clone(), n));
    }
    for n in 0..args.user_exporters {
        set.spawn(jobs::export_users(ctx.clone(), n));
    }
    for n in 0..args.deleters {
        set.spawn(jobs::deletes(ctx.clone(), n));
    }
    for n in 0..args.pollers {
        set.spawn(polls::poller(ctx.clone(), n, Duration::from_millis(10)));
    }
    set.spawn(bad::http(ctx.clone(), Duration::from_millis(50)));
    set.spawn(bad::connections(ctx.clone(), 4, Duration::from_secs(5)));
    set.spawn(faults::inject(ctx.clone(), Duration::from_millis(1500)));
    while let Some(joined) = set.join_next().await {
        if let Err(e) = joined {
            ctx.ledger.violation(format!("a soak worker panicked: {e}"));
        }
    }
}

/// The emulator's memory over the soak (KiB).
struct Memory {
    /// RSS samples: (seconds since the start, KiB).
    samples: Vec<(f64, u64)>,
    /// The last sample of the warm-up.
    warm: u64,
    peak_after: u64,
    end: u64,
    bound: u64,
    tasks_after: u64,
}

/// Memory: after the warm-up (whose RSS is its last sample), RSS stays within the bound.
fn check_memory(ctx: &Ctx, args: &SoakArgs, samples: Vec<(f64, u64)>, boundary: f64) -> Memory {
    let warm = samples
        .iter()
        .rev()
        .find(|(t, _)| *t <= boundary)
        .map_or(0, |s| s.1);
    let after: Vec<u64> = samples
        .iter()
        .filter(|(t, _)| *t > boundary)
        .map(|s| s.1)
        .collect();
    let peak_after = after.iter().copied().max().unwrap_or(warm);
    let end = samples.last().map_or(0, |s| s.1);
    let tasks_after = ctx.ledger.acknowledged_after_warmup();
    let bound = warm + args.rss_slack_mib * 1024 + args.rss_per_task_kib * tasks_after;
    if after.is_empty() {
        ctx.ledger
            .violation("no RSS sample after the warm-up (run longer than the warm-up)".into());
    } else if peak_after > bound {
        ctx.ledger.violation(format!(
            "RSS reached {:.1} MiB after the warm-up, over the bound {:.1} MiB \
             (warm-up {:.1} + {} MiB + {} KiB x {tasks_after} tasks)",
            mib(peak_after),
            mib(bound),
            mib(warm),
            args.rss_slack_mib,
            args.rss_per_task_kib
        ));
    }
    Memory {
        samples,
        warm,
        peak_after,
        end,
        bound,
        tasks_after,
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The timed task polls (ms).
struct Latency {
    p50: f64,
    p99: f64,
    max: f64,
}

/// Latency: some polls were timed, and their p99 is under `--max-p99-ms`.
fn check_latency(ctx: &Ctx, args: &SoakArgs) -> Latency {
    let lat = ctx.ledger.poll_latencies();
    let (p50, p99, max) = (
        quantile(&lat, 0.5),
        quantile(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN),
    );
    if lat.is_empty() {
        ctx.ledger.violation("no task poll was timed".into());
    } else if p99 >= args.max_p99_ms {
        ctx.ledger.violation(format!(
            "p99 of the task polls {p99:.1} ms, not under {} ms",
            args.max_p99_ms
        ));
    }
    Latency { p50, p99, max }
}

/// Outcomes: some task completed, and no SDK wait ended in an error (returned).
fn check_outcomes(ctx: &Ctx, completed: u64) -> Vec<String> {
    if completed == 0 {
        ctx.ledger
            .violation("no task completed: the soak checked nothing".into());
    }
    let wait_errors = ctx.ledger.wait_errors();
    for e in &wait_errors {
        ctx.ledger
            .violation(format!("an SDK wait ended in an error: {e}"));
    }
    wait_errors
}

/// What the final check counted.
struct Outcome {
    load_s: f64,
    completed: u64,
    failed: u64,
    unresolved: usize,
    wait_errors: usize,
    /// Seconds of warm-up.
    warmup: f64,
    hwm_kib: u64,
}

/// Every figure of the soak, as JSON.
fn figures(
    ctx: &Ctx,
    args: &SoakArgs,
    outcome: &Outcome,
    memory: &Memory,
    latency: &Latency,
) -> Value {
    let Outcome {
        load_s,
        completed,
        failed,
        unresolved,
        wait_errors,
        warmup,
        hwm_kib,
    } = *outcome;
    let Memory {
        ref samples,
        warm,
        peak_after,
        end,
        bound,
        tasks_after,
    } = *memory;
    let Latency { p50, p99, max } = *latency;
    let acknowledged = ctx.ledger.ids().len() as u64;
    let c = &ctx.ledger.counters;
    json!({
        "secs": args.secs,
        "load_s": load_s,
        "emulator": args.emulator.as_ref().map_or_else(|| "getstream-bench emulator (same library)".to_owned(), |p| p.display().to_string()),
        "emulator_args": args.emulator_args,
        "tasks": {
            "start_attempts": read(&c.start_attempts),
            "start_errors": read(&c.start_errors),
            "acknowledged": acknowledged,
            "completed": completed,
            "failed": failed,
            "unresolved": unresolved,
            "duplicates": ctx.ledger.duplicate_count(),
            "wait_errors": wait_errors,
            "by_job": ctx.ledger.tallies(),
        },
        "downloads": {
            "files": read(&c.downloads),
            "bytes": read(&c.download_bytes),
            "exported_mib_after_warmup": read(&c.exported_after_warmup) as f64 / 1_048_576.0,
            "faulted_attempts": read(&c.download_faulted),
        },
        "polls": {
            "timed": read(&c.polls),
            "faulted": read(&c.polls_faulted),
            "p50_ms": p50,
            "p99_ms": p99,
            "max_ms": max,
            "bound_ms": args.max_p99_ms,
        },
        "rss": {
            "warmup_s": warmup,
            "warmup_mib": mib(warm),
            "peak_after_warmup_mib": mib(peak_after),
            "end_mib": mib(end),
            "hwm_mib": mib(hwm_kib),
            "bound_mib": mib(bound),
            "slack_mib": args.rss_slack_mib,
            "per_task_kib": args.rss_per_task_kib,
            "tasks_after_warmup": tasks_after,
            "samples_mib": samples.iter().map(|(t, k)| json!([(t * 10.0).round() / 10.0, (mib(*k) * 10.0).round() / 10.0])).collect::<Vec<_>>(),
        },
        "faults": {
            "injected": read(&c.faults),
            "clears": read(&c.fault_clears),
            "job_failures": read(&c.job_failures),
            "admin_errors": read(&c.admin_errors),
        },
        "bad_input": {
            "requests": read(&c.bad_requests),
            "answered_by_fault": read(&c.bad_faulted),
            "statuses": ctx.ledger.bad_statuses(),
            "connections": read(&c.bad_connections),
            "connections_closed_by_server": read(&c.bad_connections_closed),
        },
        "violations": ctx.ledger.violations(),
    })
}

/// `{"ok": true}`, or an error quoting the first broken invariants.
fn verdict(ledger: &Ledger) -> Result<Value, BoxError> {
    let violations = ledger.violations();
    if violations.is_empty() {
        Ok(json!({"ok": true}))
    } else {
        let shown: Vec<&str> = violations.iter().take(10).map(String::as_str).collect();
        Err(format!(
            "{} invariant(s) broken; first: {}",
            violations.len(),
            shown.join(" | ")
        )
        .into())
    }
}
