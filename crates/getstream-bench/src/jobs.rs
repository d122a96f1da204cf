//! Bench 9 (issue 12): the emulator under big jobs. Task polls while two exports of
//! 100 channels × 1,000 messages run, SIGTERM while exports run, and the peak memory an
//! export of 100,000 messages adds next to the size of its file. The emulator is a release
//! binary in its own process (its runtime gets one worker thread per core).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::BoxError;
use crate::emu::{Admin, EmulatorProcess, Target};
use crate::measure::quantile;

/// Arguments of the `jobs` subcommand.
#[derive(Debug, clap::Args)]
pub struct JobsArgs {
    /// The emulator binary (release build).
    #[arg(long)]
    emulator: PathBuf,
    /// Channels per export (and seeded).
    #[arg(long, default_value_t = 100)]
    channels: usize,
    /// Messages per channel.
    #[arg(long, default_value_t = 1_000)]
    messages: usize,
}

/// A `kB` field of `/proc/{pid}/status`, in KiB.
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

struct Api {
    http: reqwest::Client,
    target: Target,
    token: String,
}

impl Api {
    async fn new(target: &Target) -> Result<Api, BoxError> {
        let token = Admin::new(&target.base_url)?.token().await?;
        Ok(Api {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()?,
            target: target.clone(),
            token,
        })
    }

    async fn export(&self, channels: usize) -> Result<String, BoxError> {
        let list: Vec<Value> = (1..=channels)
            .map(|i| json!({"cid": format!("messaging:seed-{i}")}))
            .collect();
        let v: Value = self
            .http
            .post(format!(
                "{}/api/v2/chat/export_channels?api_key={}",
                self.target.base_url, self.target.api_key
            ))
            .header("Authorization", &self.token)
            .header("stream-auth-type", "jwt")
            .json(&json!({ "channels": list }))
            .send()
            .await?
            .json()
            .await?;
        v["task_id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no task_id: {v}").into())
    }

    async fn task(&self, id: &str) -> Result<Value, BoxError> {
        Ok(self
            .http
            .get(format!(
                "{}/api/v2/tasks/{id}?api_key={}",
                self.target.base_url, self.target.api_key
            ))
            .header("Authorization", &self.token)
            .header("stream-auth-type", "jwt")
            .send()
            .await?
            .json()
            .await?)
    }

    /// Downloads a URL, counting its bytes (never holding the file).
    async fn download_len(&self, url: &str) -> Result<u64, BoxError> {
        let mut response = self.http.get(url).send().await?;
        let mut n = 0u64;
        while let Some(chunk) = response.chunk().await? {
            n += u64::try_from(chunk.len())?;
        }
        Ok(n)
    }
}

fn finished(t: &Value) -> bool {
    t["status"] == "completed" || t["status"] == "failed"
}

/// Runs the three measurements.
pub async fn run(args: JobsArgs) -> Result<Value, BoxError> {
    let seed = format!(
        "channels={},messages={},users=10",
        args.channels, args.messages
    );
    let extra = ["--seed", seed.as_str(), "--workers", "4"];

    // 1. Task polls while two exports run.
    let mut process = EmulatorProcess::start_extra(&args.emulator, None, &extra)?;
    let api = Api::new(&process.target).await?;
    let started = Instant::now();
    let ids = [
        api.export(args.channels).await?,
        api.export(args.channels).await?,
    ];
    let mut latencies = Vec::new();
    let mut done = [false, false];
    while !(done[0] && done[1]) {
        for (i, id) in ids.iter().enumerate() {
            let t0 = Instant::now();
            let t = api.task(id).await?;
            let dt = t0.elapsed().as_secs_f64() * 1000.0;
            if !done[0] || !done[1] {
                latencies.push(dt);
            }
            if finished(&t) {
                if t["status"] != "completed" {
                    return Err(format!("export failed: {t}").into());
                }
                done[i] = true;
            }
        }
    }
    let exports_s = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let polls = json!({
        "n": latencies.len(),
        "p50_ms": quantile(&latencies, 0.50),
        "p99_ms": quantile(&latencies, 0.99),
        "max_ms": latencies.last().copied().unwrap_or(0.0),
        "exports_done_in_s": exports_s,
    });

    // 2. SIGTERM while two exports run.
    api.export(args.channels).await?;
    api.export(args.channels).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sigterm = process.terminate(Duration::from_secs(30))?;
    drop(process);

    // 3. Peak RSS of one export against its file's size. VmHWM is reset after the seed
    // (clear_refs 5), so the peak is the export's alone.
    let process = EmulatorProcess::start_extra(&args.emulator, None, &extra)?;
    let pid = process.pid();
    let api = Api::new(&process.target).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_before = status_kib(pid, "VmRSS").unwrap_or(0);
    let reset = std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok();
    let id = api.export(args.channels).await?;
    let task = loop {
        let t = api.task(&id).await?;
        if finished(&t) {
            break t;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let peak = status_kib(pid, "VmHWM").unwrap_or(0);
    let url = task["result"]["url"].as_str().ok_or("no export url")?;
    let file_bytes = api.download_len(url).await?;
    drop(process);
    Ok(json!({
        "bench": "jobs",
        "channels": args.channels,
        "messages_per_channel": args.messages,
        "task_polls_during_two_exports": polls,
        "sigterm_exit_ms": sigterm.map(|d| d.as_secs_f64() * 1000.0),
        "export_rss": {
            "messages": args.channels * args.messages,
            "rss_before_kib": rss_before,
            "peak_kib": peak,
            "peak_reset": reset,
            "increase_kib": peak.saturating_sub(rss_before),
            "file_kib": file_bytes / 1024,
        },
    }))
}
