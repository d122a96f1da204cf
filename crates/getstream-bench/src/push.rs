//! Bench 6: detection latency and requests per wait with push on — export jobs
//! finishing at 0.3–9.7 s, waits with `PollPolicy::long_running()` plus the
//! events the emulator delivers to a webhook receiver in this process —
//! against the same exports waited on with the official default (fixed 1 s,
//! no events).
//!
//! Both run against one in-process emulator whose export jobs take 100 ms per
//! channel (so an export of `k` channels finishes `k` × 100 ms after it
//! starts), with rate limits off and enough workers that no job queues. The
//! latency is measured from the task's own `updated_at` (the emulator stamps
//! it when the task becomes `completed`; same clock, same process) to the
//! instant the wait returned.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use getstream_emulator::{Emulator, EmulatorConfig, Pace, RateLimits, SeedSpec};
use getstream_tasks::webhook::axum::Receiver;
use getstream_tasks::{Client, ExportChannelsRequest, PollPolicy, TaskEvents};
use serde_json::{Value, json};

use crate::{BoxError, measure};

/// Time per exported channel.
const PER_CHANNEL: Duration = Duration::from_millis(100);

/// What one wait saw.
struct Sample {
    latency_ms: f64,
    requests: u32,
    ok: bool,
}

/// Runs `reps` exports of each of `channel_counts` channels (finishing at
/// count × 100 ms) per variant, all at once, and reports each variant.
pub async fn run(channel_counts: &[usize], reps: u32) -> Result<Value, BoxError> {
    let events = TaskEvents::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook_url = format!("http://{}/hooks/stream", listener.local_addr()?);
    let max_channels = channel_counts.iter().copied().max().unwrap_or(1);
    let exports = channel_counts.len() * reps as usize;
    let emulator = Emulator::start(
        EmulatorConfig::new()
            .pace(Pace {
                pending: Duration::ZERO,
                min_task_duration: Duration::ZERO,
                per_item_cost: PER_CHANNEL,
            })
            .workers(2 * exports + 8)
            .rate_limits(RateLimits::disabled())
            .webhook_url(&hook_url)
            .webhook_queue(4 * exports + 64),
    )
    .await?;
    let seed = SeedSpec {
        users: 2,
        channels: max_channels,
        messages: 1,
    };
    emulator.state().seed(emulator.api_key(), seed)?;
    let push_client = Client::builder(emulator.api_key(), emulator.api_secret())
        .base_url(emulator.base_url())
        .poll_policy(PollPolicy::long_running())
        .wait_timeout(Duration::from_secs(120))
        .task_events(events.clone())
        .build()?;
    let polled_client = Client::builder(emulator.api_key(), emulator.api_secret())
        .base_url(emulator.base_url())
        .wait_timeout(Duration::from_secs(120))
        .build()?;
    // For comparison: an interval longer than every export, plus events.
    let push_10s_client = Client::builder(emulator.api_key(), emulator.api_secret())
        .base_url(emulator.base_url())
        .poll_policy(PollPolicy::fixed(Duration::from_secs(10)))
        .wait_timeout(Duration::from_secs(120))
        .task_events(events.clone())
        .build()?;
    let app: axum::Router = Receiver::for_client(&push_client).router("/hooks/stream");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let mut out = Vec::new();
    for (name, client) in [
        ("long_running() + events", &push_client),
        ("fixed 1 s, no events (official default)", &polled_client),
        ("fixed 10 s + events", &push_10s_client),
    ] {
        let published_before = events.published();
        let mut waits = Vec::new();
        for _ in 0..reps {
            for &count in channel_counts {
                let cids: Vec<String> =
                    (1..=count).map(|i| format!("messaging:seed-{i}")).collect();
                let started = client
                    .chat()
                    .export_channels(ExportChannelsRequest::new(cids))
                    .await?;
                let requests = Arc::new(AtomicU32::new(0));
                let counter = requests.clone();
                let wait = started.handle().wait().on_poll(move |_| {
                    counter.fetch_add(1, Ordering::Relaxed);
                });
                let handle = started.handle();
                waits.push(tokio::spawn(async move {
                    let result = wait.await;
                    let returned = SystemTime::now();
                    // One more GET (not counted) for the completion stamp.
                    let task = handle.get().await;
                    let finished = task
                        .ok()
                        .and_then(|t| t.updated_at)
                        .map(|t| t.to_system_time());
                    let latency = finished
                        .and_then(|f| returned.duration_since(f).ok())
                        .unwrap_or_default();
                    Sample {
                        latency_ms: latency.as_secs_f64() * 1e3,
                        requests: requests.load(Ordering::Relaxed),
                        ok: result.is_ok() && finished.is_some(),
                    }
                }));
            }
        }
        let mut latencies = Vec::new();
        let (mut requests, mut failures) = (0u64, 0u32);
        for wait in waits {
            let sample = wait.await?;
            failures += u32::from(!sample.ok);
            latencies.push(sample.latency_ms);
            requests += u64::from(sample.requests);
        }
        latencies.sort_by(f64::total_cmp);
        let n = latencies.len().max(1) as f64;
        out.push(json!({
            "policy": name,
            "waits": latencies.len(),
            "failures": failures,
            "latency_ms_mean": latencies.iter().sum::<f64>() / n,
            "latency_ms_p50": measure::quantile(&latencies, 0.5),
            "latency_ms_p99": measure::quantile(&latencies, 0.99),
            "latency_ms_max": latencies.last().copied().unwrap_or(f64::NAN),
            "requests_per_wait": requests as f64 / n,
            "events_published": events.published() - published_before,
        }));
    }
    server.abort();
    emulator.shutdown().await;
    let finishing: Vec<f64> = channel_counts
        .iter()
        .map(|&c| (PER_CHANNEL * c as u32).as_secs_f64())
        .collect();
    Ok(json!({"finishing_at_s": finishing, "reps": reps, "policies": out}))
}
