//! Bench 8 (issue 16): many waits through a rate-limited task route. Scripted
//! tasks complete `done_after` after creation; the emulator limits
//! `GET /api/v2/tasks/{id}` to `limit` requests a minute; each wait polls
//! every `interval` with a `timeout`. Both ways of waiting, each against a
//! fresh emulator (so each starts with a full window): a many-task wait
//! (`WaitForTasks::from_waits(..).concurrency(c)`), and independent
//! `wait_for_task` calls on one client. Reported: time until every completion
//! is seen, polls, 429s.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};

use crate::BoxError;
use crate::emu::{Admin, EmulatorProcess, Target};

/// Arguments of the `paced` subcommand.
#[derive(Debug, clap::Args)]
pub struct PacedArgs {
    /// The emulator binary (release build).
    #[arg(long)]
    emulator: PathBuf,
    #[arg(long, default_value_t = 300)]
    n: u32,
    /// Requests a minute allowed on `GET /api/v2/tasks/{id}`.
    #[arg(long, default_value_t = 1200)]
    limit: u32,
    #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
    done_after: Duration,
    #[arg(long, default_value = "200ms", value_parser = humantime::parse_duration)]
    interval: Duration,
    #[arg(long, default_value = "90s", value_parser = humantime::parse_duration)]
    timeout: Duration,
    /// Concurrency of the many-task wait.
    #[arg(long, default_value_t = 100)]
    concurrency: usize,
}

#[derive(Debug, Clone, Copy)]
enum Way {
    Many,
    Independent,
}

/// Runs both ways; one JSON object with a row per way.
pub async fn run(args: PacedArgs) -> Result<Value, BoxError> {
    let mut rows = Vec::new();
    for way in [Way::Many, Way::Independent] {
        let limit = format!("GET /api/v2/tasks/{{id}}={}", args.limit);
        let emulator = EmulatorProcess::start_with(&args.emulator, Some(&limit))?;
        rows.push(one(&emulator.target, &args, way).await?);
    }
    Ok(json!({
        "n": args.n,
        "limit_per_minute": args.limit,
        "done_after_s": args.done_after.as_secs_f64(),
        "interval_s": args.interval.as_secs_f64(),
        "timeout_s": args.timeout.as_secs_f64(),
        "rows": rows,
    }))
}

async fn one(target: &Target, args: &PacedArgs, way: Way) -> Result<Value, BoxError> {
    let ids: Vec<String> = (0..args.n).map(|i| format!("paced-{i}")).collect();
    let admin = Admin::new(&target.base_url)?;
    admin.script_many(&ids, args.done_after).await?;
    // Counted from the end of creation: the first task completes `done_after`
    // after its creation, the last a little later.
    let client = getstream_tasks::Client::builder(&target.api_key, &target.api_secret)
        .base_url(&target.base_url)
        .build()?;
    let polls = Arc::new(AtomicU64::new(0));
    let throttled = Arc::new(AtomicU64::new(0));
    let waits = ids.iter().map(|id| {
        let (polls, throttled) = (polls.clone(), throttled.clone());
        client
            .wait_for_task(id.clone())
            .interval(args.interval)
            .timeout(args.timeout)
            .on_poll(move |seen| {
                polls.fetch_add(1, Ordering::Relaxed);
                if seen
                    .error()
                    .is_some_and(getstream_tasks::Error::is_rate_limited)
                {
                    throttled.fetch_add(1, Ordering::Relaxed);
                }
            })
    });
    let t0 = Instant::now();
    let (ok, failed) = match way {
        Way::Many => {
            let outcomes: Vec<_> = getstream_tasks::WaitForTasks::from_waits(waits)
                .concurrency(args.concurrency)
                .collect()
                .await;
            let ok = outcomes.iter().filter(|o| o.result.is_ok()).count();
            (ok, outcomes.len() - ok)
        }
        Way::Independent => {
            let handles: Vec<_> = waits
                .map(|wait| tokio::spawn(async move { wait.await }))
                .collect();
            let (mut ok, mut failed) = (0, 0);
            for handle in handles {
                match handle.await {
                    Ok(Ok(_)) => ok += 1,
                    _ => failed += 1,
                }
            }
            (ok, failed)
        }
    };
    let all_seen = t0.elapsed();
    Ok(json!({
        "way": match way {
            Way::Many => format!("WaitForTasks::from_waits(..).concurrency({})", args.concurrency),
            Way::Independent => format!("{} independent wait_for_task on one client", args.n),
        },
        "completed": ok,
        "failed": failed,
        "all_seen_s": all_seen.as_secs_f64(),
        "polls": polls.load(Ordering::Relaxed),
        "throttled_429": throttled.load(Ordering::Relaxed),
        "peak_in_flight": client.peak_in_flight(),
    }))
}
