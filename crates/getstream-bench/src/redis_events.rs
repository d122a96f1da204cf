//! Bench 7: a wait woken by an event published through Redis, against the
//! same wait woken in process. Two hubs with their own Redis connections play
//! the receiver (A: publishes) and the worker (B: subscribes); the wait polls
//! every 30 s, so only the event can end it early. Detection = the event
//! handed to `publish` -> the wait returns. Redis traffic per wait: Redis's
//! own byte counters (`INFO stats`) over the run, divided by the waits.

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use getstream_emulator::{Emulator, EmulatorConfig, Pace, ScriptedTask};
use getstream_tasks::webhook::{self, WebhookEvent};
use getstream_tasks::{PollPolicy, TaskEvents};
use serde_json::{Value, json};

use crate::{BoxError, measure};

/// How long each scripted task runs before it completes.
const RUNNING: Duration = Duration::from_millis(40);

/// `n` waits one after another, in process and then through Redis at `redis`.
pub async fn run(redis: &str, n: u32) -> Result<Value, BoxError> {
    let emulator = Emulator::start(EmulatorConfig::new().pace(Pace::instant())).await?;
    let local = TaskEvents::new();
    let in_process = measure_waits(&emulator, &local, &local, n).await?;

    let a = TaskEvents::redis_builder(redis).subscribe(false).build()?;
    let b = TaskEvents::redis_builder(redis).publish(false).build()?;
    let start = Instant::now();
    while !b.redis_stats().is_some_and(|s| s.subscribed) {
        if start.elapsed() > Duration::from_secs(10) {
            return Err(format!("no Redis subscription at {redis}").into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let before = redis_bytes(redis).await?;
    let through_redis = measure_waits(&emulator, &a, &b, n).await?;
    let after = redis_bytes(redis).await?;
    let stats = (a.redis_stats(), b.redis_stats());
    Ok(json!({
        "bench": "redis_events",
        "waits": n,
        "in_process_ms": in_process,
        "redis_ms": through_redis,
        "redis_bytes_per_wait": (after - before) as f64 / f64::from(n),
        "published": stats.0.map(|s| s.sent),
        "received": stats.1.map(|s| s.received),
    }))
}

fn done(task_id: &str) -> WebhookEvent {
    let body = json!({"type": "export.channels.success", "task_id": task_id});
    webhook::parse(body.to_string().as_bytes()).expect("a valid event")
}

/// Detection latencies (ms): mean, p50, p99, max.
async fn measure_waits(
    emulator: &getstream_emulator::EmulatorHandle,
    publisher: &TaskEvents,
    listener: &TaskEvents,
    n: u32,
) -> Result<Value, BoxError> {
    let client = getstream_tasks::Client::builder(emulator.api_key(), emulator.api_secret())
        .base_url(emulator.base_url())
        .poll_policy(PollPolicy::fixed(Duration::from_secs(30)))
        .task_events(listener.clone())
        .build()?;
    let mut latencies = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let scripted = Instant::now();
        let id = emulator.state().script_task(
            emulator.api_key(),
            ScriptedTask::new()
                .step("running", RUNNING)
                .step("completed", Duration::ZERO),
        )?;
        let wait = tokio::spawn(
            client
                .wait_for_task(id.clone())
                .timeout(Duration::from_secs(60))
                .into_future(),
        );
        // Past the completion, as a webhook would come.
        tokio::time::sleep_until((scripted + RUNNING + Duration::from_millis(5)).into()).await;
        let sent = Instant::now();
        publisher.publish(&done(&id));
        wait.await??;
        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    let mean = latencies.iter().sum::<f64>() / latencies.len().max(1) as f64;
    Ok(json!({
        "mean": mean,
        "p50": measure::quantile(&latencies, 0.5),
        "p99": measure::quantile(&latencies, 0.99),
        "max": latencies.last().copied().unwrap_or_default(),
    }))
}

/// Bytes Redis received and sent so far (its `INFO stats` counters).
async fn redis_bytes(url: &str) -> Result<u64, BoxError> {
    let client = redis::Client::open(url)?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(&mut conn)
        .await?;
    let field = |name: &str| -> u64 {
        info.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':')?.trim().parse().ok())
            .unwrap_or(0)
    };
    Ok(field("total_net_input_bytes") + field("total_net_output_bytes"))
}
