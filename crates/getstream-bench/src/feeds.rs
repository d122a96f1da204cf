//! Bench 11 (issue 25): a hard delete of a user's feed data with 100,000 activities. The
//! emulator (its own process, optionally on a `--data-dir`) gets a feed group, the user's
//! feed and `activities` activities over HTTP; then `POST /api/v2/feeds/users/{id}/delete`
//! with `hard_delete: true` starts the task (a raw call: the typed SDK call lands
//! separately), and the SDK's `get_task` polls it back to back until it finishes, each
//! poll timed (p50/p99/max). The emulator's peak RSS is its `VmHWM`, reset before the task.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use futures::StreamExt;
use getstream_tasks::Client;
use serde_json::{Value, json};

use crate::BoxError;
use crate::emu::{Admin, EmulatorProcess};
use crate::jobs::status_kib;
use crate::measure::quantile;

/// The user whose feed data is deleted.
const USER: &str = "feeds-bench-user";

/// Arguments of the `feeds` subcommand.
#[derive(Debug, clap::Args)]
pub struct FeedsArgs {
    /// The emulator binary (release build); without it, this binary's `emulator`
    /// subcommand (the same library).
    #[arg(long)]
    emulator: Option<PathBuf>,
    /// Activities the user posts to their feed before the delete.
    #[arg(long, default_value_t = 100_000)]
    activities: usize,
    /// Requests in flight while seeding.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Run the emulator on this data dir (must be empty or absent): every change is
    /// saved to SQLite, the delete included.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Longest wait for the task.
    #[arg(long, default_value = "600s", value_parser = humantime::parse_duration)]
    timeout: Duration,
}

fn emulator_command(args: &FeedsArgs) -> Result<Command, BoxError> {
    let mut command = match &args.emulator {
        Some(path) => Command::new(path),
        None => {
            let mut c = Command::new(std::env::current_exe()?);
            c.arg("emulator");
            c
        }
    };
    command
        .args([
            "--addr",
            "127.0.0.1:0",
            "--admin",
            "--instant",
            "--no-rate-limits",
        ])
        .args(["--default-rate-limit", "1000000000", "--workers", "4"]);
    if let Some(dir) = &args.data_dir {
        command.arg("--data-dir").arg(dir);
    }
    Ok(command)
}

/// A raw API client: the calls the typed SDK does not make yet.
struct Raw {
    http: reqwest::Client,
    base: String,
    key: String,
    token: String,
}

impl Raw {
    async fn post(&self, path: &str, body: Value) -> Result<Value, BoxError> {
        let response = self
            .http
            .post(format!("{}{path}?api_key={}", self.base, self.key))
            .header("authorization", &self.token)
            .header("stream-auth-type", "jwt")
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(format!("POST {path}: {status}: {text}").into());
        }
        Ok(serde_json::from_str(&text)?)
    }

    async fn get(&self, path: &str) -> Result<Value, BoxError> {
        let response = self
            .http
            .get(format!("{}{path}?api_key={}", self.base, self.key))
            .header("authorization", &self.token)
            .header("stream-auth-type", "jwt")
            .send()
            .await?;
        Ok(response.json().await?)
    }
}

/// Seeds the group, the user's feed and `n` activities in it.
async fn seed(raw: &Raw, n: usize, concurrency: usize) -> Result<(), BoxError> {
    raw.post("/api/v2/feeds/feed_groups", json!({"id": "user"}))
        .await?;
    raw.post(
        &format!("/api/v2/feeds/feed_groups/user/feeds/{USER}"),
        json!({"user_id": USER}),
    )
    .await?;
    let fid = format!("user:{USER}");
    let mut posts = futures::stream::iter(0..n)
        .map(|i| {
            let body = json!({"type": "post", "feeds": [fid], "user_id": USER, "text": format!("post {i}")});
            async move { raw.post("/api/v2/feeds/activities", body).await }
        })
        .buffer_unordered(concurrency.max(1));
    while let Some(r) = posts.next().await {
        r?;
    }
    Ok(())
}

/// Runs the measurement.
pub async fn run(args: FeedsArgs) -> Result<Value, BoxError> {
    let process = EmulatorProcess::spawn(emulator_command(&args)?, "feeds")?;
    let pid = process.pid();
    let target = process.target.clone();
    let raw = Raw {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?,
        base: target.base_url.clone(),
        key: target.api_key.clone(),
        token: Admin::new(&target.base_url)?.token().await?,
    };
    let client = Client::builder(&target.api_key, &target.api_secret)
        .base_url(&target.base_url)
        .build()?;
    let seeding = Instant::now();
    seed(&raw, args.activities, args.concurrency).await?;
    let seeded_in = seeding.elapsed();
    let rss_seeded = status_kib(pid, "VmRSS").unwrap_or(0);
    // Resets VmHWM to the current RSS, so the peak read after is the task's.
    let reset = std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok();

    let started = Instant::now();
    let answer = raw
        .post(
            &format!("/api/v2/feeds/users/{USER}/delete"),
            json!({"hard_delete": true}),
        )
        .await?;
    let accepted = started.elapsed();
    let task_id = answer["task_id"]
        .as_str()
        .ok_or("the delete answered without a task_id")?
        .to_owned();
    let (mut latencies, mut errors) = (Vec::new(), 0u32);
    let completed = loop {
        if started.elapsed() > args.timeout {
            return Err(format!("the task did not finish within {:?}", args.timeout).into());
        }
        let t0 = Instant::now();
        match client.get_task(&task_id).await {
            Ok(task) => {
                latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
                if task.status.is_finished() {
                    break started.elapsed();
                }
            }
            Err(_) => errors += 1,
        }
    };
    let peak = status_kib(pid, "VmHWM").unwrap_or(0);
    let task = raw.get(&format!("/api/v2/tasks/{task_id}")).await?;
    drop(process);
    latencies.sort_by(f64::total_cmp);
    Ok(json!({
        "bench": "feeds",
        "activities": args.activities,
        "data_dir": args.data_dir.is_some(),
        "seeded_in_s": seeded_in.as_secs_f64(),
        "rss_seeded_kib": rss_seeded,
        "accepted_ms": accepted.as_secs_f64() * 1000.0,
        "completed_in_s": completed.as_secs_f64(),
        "status": task["status"],
        "result": task["result"],
        "polls": {
            "n": latencies.len(),
            "errors": errors,
            "p50_ms": quantile(&latencies, 0.50),
            "p99_ms": quantile(&latencies, 0.99),
            "max_ms": latencies.last().copied().unwrap_or(0.0),
        },
        "peak_kib": peak,
        "peak_reset": reset,
    }))
}
