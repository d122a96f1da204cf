//! Bench 2: many concurrent `wait_for_task` calls from this process; memory and CPU.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::emu::Target;
use crate::{BoxError, measure};

/// The knobs of this bench when it runs alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extra {
    /// Give the client a `TaskEvents` hub.
    pub task_events: bool,
    /// Create the scripted tasks first, `running` this long.
    pub script: Option<Duration>,
    /// Count each wait's polls and failed polls, report the slowest wait.
    pub diagnose: bool,
    /// Sample this process's sockets from a thread of its own (off when the
    /// parent process samples them: `scale`).
    pub socket_sampler: bool,
}

/// What one wait's task hands back.
struct Summary {
    took: Duration,
    late: Option<Duration>,
    error: Option<Box<str>>,
}

/// Waits on the tasks `{prefix}0..{prefix}{n-1}` at once, started in 1000 batches
/// spread evenly over `stagger` (as a program that starts tasks one after another
/// would); each wait polls every `interval` for at most `timeout`.
///
/// Also reported: the peak number of TCP sockets of this process (sampled
/// every 20 ms; by the parent process under `scale`), the client's peak requests in flight, and how late the slowest wait
/// finished after its task completed (wall clock at the wait's end minus the
/// later of the task's `updated_at` and the wait's start, both on this
/// machine).
///
/// With `script`, the tasks are first created on the emulator (admin API).
///
/// With `task_events`, the client has a [`getstream_tasks::TaskEvents`] hub (every
/// wait listens to it; no event is published), to measure what push costs a
/// sleeping wait.
///
/// With `diagnose`, each wait also counts its polls and failed polls (an `on_poll`
/// callback, which costs a little memory) and the slowest wait is reported.
pub async fn run(
    target: &Target,
    prefix: &str,
    n: u32,
    stagger: Duration,
    interval: Duration,
    timeout: Duration,
    extra: Extra,
) -> Result<Value, BoxError> {
    let Extra {
        task_events,
        script,
        diagnose,
        socket_sampler,
    } = extra;
    if let Some(run_for) = script {
        let ids: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
        crate::emu::Admin::new(&target.base_url)?
            .script_many(&ids, run_for)
            .await?;
    }
    let polls = Arc::new(AtomicU64::new(0));
    let poll_errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut builder = getstream_tasks::Client::builder(&target.api_key, &target.api_secret)
        .base_url(&target.base_url);
    if task_events {
        builder = builder.task_events(getstream_tasks::TaskEvents::new());
    }
    let client = builder.build()?;
    // Warm up: one request, so the baseline includes a connection and the TLS-less HTTP stack.
    client.get_task(&format!("{prefix}0")).await?;
    let baseline_kib = measure::rss_kib();
    crate::heap::start();
    let sockets = socket_sampler.then(measure::SocketPeak::start);
    let cpu0 = measure::cpu_time();
    let t0 = Instant::now();

    // One plain task per wait, its handle kept in a vector, each returning a
    // summary of a few words: what the harness adds to a wait is then a
    // task header and a pointer (a `JoinSet` entry and a task sized for a
    // whole `Result<Task>` output added some 350 bytes per wait).
    let mut handles: Vec<JoinHandle<Summary>> = Vec::with_capacity(n as usize);
    let batch = n.div_ceil(1000).max(1);
    let batches = n.div_ceil(batch).max(1);
    let mut future_bytes = 0;
    let mut started = 0;
    for b in 0..batches {
        tokio::time::sleep_until((t0 + stagger * b / batches).into()).await;
        for _ in 0..batch.min(n - started) {
            let mut wait = client
                .wait_for_task(format!("{prefix}{started}"))
                .interval(interval)
                .timeout(timeout);
            if diagnose {
                let (polls, errors) = (polls.clone(), poll_errors.clone());
                wait = wait.on_poll(move |seen| {
                    polls.fetch_add(1, Ordering::Relaxed);
                    if let Some(e) = seen.error() {
                        let mut errors = errors.lock().unwrap_or_else(|p| p.into_inner());
                        if errors.len() < 5 {
                            errors.push(format!(
                                "{} at {:.3}s: {e}",
                                seen.task_id(),
                                seen.elapsed().as_secs_f64()
                            ));
                        }
                    }
                });
            }
            let wait = wait.into_future();
            future_bytes = std::mem::size_of_val(&*wait);
            handles.push(tokio::spawn(async move {
                let t = Instant::now();
                let started = std::time::SystemTime::now();
                let result = wait.await;
                // How long after the task's completion (or the wait's start,
                // for a task already done) the wait saw it.
                let late = result.as_ref().ok().and_then(|task| {
                    let done = task.updated_at?.to_system_time().max(started);
                    std::time::SystemTime::now().duration_since(done).ok()
                });
                Summary {
                    took: t.elapsed(),
                    late,
                    error: result.err().map(|e| e.to_string().into_boxed_str()),
                }
            }));
            started += 1;
        }
    }
    let (mut ok, mut failed) = (0u32, 0u32);
    let mut first_error = None;
    let mut slowest = Duration::ZERO;
    let mut latest = Duration::ZERO;
    for handle in handles {
        match handle.await {
            Ok(summary) => {
                slowest = slowest.max(summary.took);
                latest = latest.max(summary.late.unwrap_or_default());
                match summary.error {
                    None => ok += 1,
                    Some(e) => {
                        failed += 1;
                        first_error.get_or_insert_with(|| e.into_string());
                    }
                }
            }
            Err(e) => {
                failed += 1;
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let wall = t0.elapsed();
    let cpu = measure::cpu_time().saturating_sub(cpu0);
    let peak_kib = measure::peak_rss_kib();
    let heap_peak = crate::heap::peak();
    Ok(json!({
        "impl": "ours",
        "task_events": task_events,
        "n": n,
        "completed": ok,
        "failed": failed,
        "first_error": first_error,
        "baseline_kib": baseline_kib,
        "peak_kib": peak_kib,
        "future_bytes": future_bytes,
        "slowest_wait_s": slowest.as_secs_f64(),
        "latest_after_completion_s": latest.as_secs_f64(),
        "interval_s": interval.as_secs_f64(),
        "peak_sockets": sockets.as_ref().map(measure::SocketPeak::peak),
        "peak_in_flight": client.peak_in_flight(),
        "max_in_flight": getstream_tasks::DEFAULT_MAX_IN_FLIGHT,
        "polls": diagnose.then(|| polls.load(Ordering::Relaxed)),
        "poll_errors": diagnose.then(|| poll_errors.lock().map(|e| e.clone()).unwrap_or_default()),
        "per_wait_bytes": (peak_kib.saturating_sub(baseline_kib) as f64) * 1024.0 / f64::from(n),
        "heap_peak_bytes": heap_peak,
        "heap_per_wait_bytes": heap_peak as f64 / f64::from(n),
        "cpu_s": cpu.as_secs_f64(),
        "wall_s": wall.as_secs_f64(),
    }))
}
