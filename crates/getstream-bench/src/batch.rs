//! Bench 10 (issue 24): a channel batch update over 10,000 channels. The emulator
//! (its own process, seeded with `channels` channels of two members each) runs
//! `addMembers` of one user to every channel, then `updateData` freezing every
//! channel, both matched by a `types` filter and started through our SDK. While each
//! job runs, the SDK's wait polls the task and a side loop times `get_task` calls
//! (p50/p99/max); the emulator's peak RSS is its `VmHWM`, reset before each job.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use getstream_tasks::{
    CancellationToken, ChannelBatchFilter, ChannelBatchOperation, ChannelBatchUpdateRequest,
    ChannelDataUpdate, Client, UserRequest,
};
use serde_json::{Value, json};

use crate::BoxError;
use crate::emu::EmulatorProcess;
use crate::jobs::status_kib;
use crate::measure::quantile;

/// The user `addMembers` adds to every channel (not one of the seed's members).
const JOINER: &str = "batch-joiner";

/// Arguments of the `batch` subcommand.
#[derive(Debug, clap::Args)]
pub struct BatchArgs {
    /// The emulator binary (release build); without it, this binary's `emulator`
    /// subcommand (the same library).
    #[arg(long)]
    emulator: Option<PathBuf>,
    /// Channels seeded (`messaging:seed-1` …) and updated by each job.
    #[arg(long, default_value_t = 10_000)]
    channels: usize,
    /// Pause between two timed `get_task` calls of the side loop (default: none,
    /// back to back, so that even a job of a few milliseconds gets several polls).
    #[arg(long, default_value = "0ms", value_parser = humantime::parse_duration)]
    poll_gap: Duration,
    /// Poll interval of the SDK's wait on each job.
    #[arg(long, default_value = "20ms", value_parser = humantime::parse_duration)]
    wait_interval: Duration,
    /// Longest wait on one job.
    #[arg(long, default_value = "300s", value_parser = humantime::parse_duration)]
    timeout: Duration,
}

fn emulator_command(args: &BatchArgs) -> Result<Command, BoxError> {
    let mut command = match &args.emulator {
        Some(path) => Command::new(path),
        None => {
            let mut c = Command::new(std::env::current_exe()?);
            c.arg("emulator");
            c
        }
    };
    let seed = format!("channels={},messages=0,users=10", args.channels);
    command
        .args(["--addr", "127.0.0.1:0", "--instant", "--no-rate-limits"])
        // A huge limit keeps `X-RateLimit-Remaining` from reaching 0 (the SDK would wait).
        .args(["--default-rate-limit", "1000000000", "--workers", "4"])
        .args(["--seed", &seed]);
    Ok(command)
}

/// Timed `get_task` calls until `done`, `gap` apart; also when one first saw the
/// task finished (from `started`).
async fn time_polls(
    client: Client,
    task_id: String,
    gap: Duration,
    started: Instant,
    done: CancellationToken,
) -> (Vec<f64>, u32, Option<Duration>) {
    let (mut latencies, mut errors, mut seen_done) = (Vec::new(), 0u32, None);
    while !done.is_cancelled() {
        let t0 = Instant::now();
        match client.get_task(&task_id).await {
            Ok(task) => {
                latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
                if task.status.is_finished() && seen_done.is_none() {
                    seen_done = Some(started.elapsed());
                }
            }
            Err(_) => errors += 1,
        }
        tokio::select! {
            () = done.cancelled() => break,
            () = tokio::time::sleep(gap) => {}
        }
    }
    (latencies, errors, seen_done)
}

/// Runs one job to its end; its figures.
async fn one(
    client: &Client,
    pid: u32,
    request: ChannelBatchUpdateRequest,
    args: &BatchArgs,
) -> Result<Value, BoxError> {
    let operation = request.operation().as_str();
    let rss_before = status_kib(pid, "VmRSS").unwrap_or(0);
    // Resets VmHWM to the current RSS, so the peak read after is this job's.
    let reset = std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok();
    let started = Instant::now();
    let response = client.chat().channel_batch_update(request).await?;
    let accepted = started.elapsed();
    let handle = response
        .task()
        .ok_or("the batch update answered without a task_id")?;
    let done = CancellationToken::new();
    let side = tokio::spawn(time_polls(
        client.clone(),
        handle.task_id().to_owned(),
        args.poll_gap,
        started,
        done.clone(),
    ));
    let waited = handle
        .wait()
        .interval(args.wait_interval)
        .timeout(args.timeout)
        .await;
    let wait_returned = started.elapsed();
    done.cancel();
    let (mut latencies, errors, seen_done) = side.await?;
    let result = waited?;
    let peak = status_kib(pid, "VmHWM").unwrap_or(0);
    // Whichever poller saw the end first.
    let completed = seen_done.map_or(wait_returned, |s| s.min(wait_returned));
    latencies.sort_by(f64::total_cmp);
    Ok(json!({
        "operation": operation,
        "accepted_ms": accepted.as_secs_f64() * 1000.0,
        "completed_in_s": completed.as_secs_f64(),
        "status": result.status,
        "success_channels_count": result.success_channels_count,
        "failed_channels_count": result.failed_cids().count(),
        "polls": {
            "n": latencies.len(),
            "errors": errors,
            "p50_ms": quantile(&latencies, 0.50),
            "p99_ms": quantile(&latencies, 0.99),
            "max_ms": latencies.last().copied().unwrap_or(0.0),
        },
        "rss_before_kib": rss_before,
        "peak_kib": peak,
        "peak_reset": reset,
    }))
}

/// Runs the measurement: the emulator's seed, then both jobs in turn.
pub async fn run(args: BatchArgs) -> Result<Value, BoxError> {
    let started = Instant::now();
    let process = EmulatorProcess::spawn(emulator_command(&args)?, "batch")?;
    let seeded_in = started.elapsed();
    let pid = process.pid();
    let target = &process.target;
    let client = Client::builder(&target.api_key, &target.api_secret)
        .base_url(&target.base_url)
        .build()?;
    client.upsert_users([UserRequest::new(JOINER)]).await?;
    let rss_seeded = status_kib(pid, "VmRSS").unwrap_or(0);
    let filter = || ChannelBatchFilter::types(["messaging"]);
    let mut frozen = ChannelDataUpdate::new();
    frozen.frozen = Some(true);
    let requests = [
        ChannelBatchUpdateRequest::new(ChannelBatchOperation::AddMembers, filter())
            .members([JOINER]),
        ChannelBatchUpdateRequest::new(ChannelBatchOperation::UpdateData, filter()).data(frozen),
    ];
    let mut jobs = Vec::new();
    for request in requests {
        jobs.push(one(&client, pid, request, &args).await?);
    }
    let max = |key: &str| {
        jobs.iter()
            .filter_map(|j| j["polls"][key].as_f64())
            .fold(0.0, f64::max)
    };
    let (p99_ms, max_ms) = (max("p99_ms"), max("max_ms"));
    let peak_kib = jobs
        .iter()
        .filter_map(|j| j["peak_kib"].as_u64())
        .max()
        .unwrap_or(0);
    drop(process);
    Ok(json!({
        "bench": "batch",
        "channels": args.channels,
        "seeded_in_s": seeded_in.as_secs_f64(),
        "rss_seeded_kib": rss_seeded,
        "jobs": jobs,
        "peak_kib": peak_kib,
        "p99_ms": p99_ms,
        "max_ms": max_ms,
    }))
}
