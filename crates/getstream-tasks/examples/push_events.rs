//! Push-accelerated waits: the local emulator exports channels and POSTs
//! Stream's `export.channels.success` webhook to a receiver in this process;
//! the event wakes the wait at once, although its policy
//! (`PollPolicy::long_running()`, which with push on polls only every 30 s as
//! a safety net for lost events) would poll much later. No network, no
//! credentials:
//!
//! ```sh
//! cargo run -p getstream-tasks --features axum --example push_events
//! ```
//!
//! The same export is then waited on without events (fixed 1 s, the
//! official SDKs' default), to compare when each wait noticed the end.

use std::time::{Duration, SystemTime};

use getstream_emulator::{Emulator, EmulatorConfig, Pace, SeedSpec};
use getstream_tasks::webhook::axum::Receiver;
use getstream_tasks::{Client, ExportChannelsRequest, PollPolicy, TaskEvents};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. A webhook receiver: verifies X-Signature over the raw body, answers
    //    at once, publishes each event to the hub.
    let events = TaskEvents::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let webhook_url = format!("http://{}/webhooks/stream", listener.local_addr()?);

    // 2. The emulator, sending its events there; exports take 100 ms per channel.
    let emulator = Emulator::start(
        EmulatorConfig::new()
            .pace(Pace {
                pending: Duration::ZERO,
                min_task_duration: Duration::ZERO,
                per_item_cost: Duration::from_millis(100),
            })
            .webhook_url(&webhook_url),
    )
    .await?;
    let seed = SeedSpec {
        users: 2,
        channels: 23,
        messages: 2,
    };
    emulator.state().seed(emulator.api_key(), seed)?;

    // 3. The client: a long interval (with the hub, a poll every 30 s: a
    //    safety net for lost events) plus the hub.
    let client = Client::builder(emulator.api_key(), emulator.api_secret())
        .base_url(emulator.base_url())
        .poll_policy(PollPolicy::long_running())
        .task_events(events.clone())
        .build()?;
    let app: axum::Router = Receiver::for_client(&client)
        .on_event(|event| {
            println!(
                "  webhook: {} (task {:?})",
                event.event_type(),
                event.task_id()
            )
        })
        .router("/webhooks/stream");
    tokio::spawn(async move { axum::serve(listener, app).await });

    let cids: Vec<String> = (1..=23).map(|i| format!("messaging:seed-{i}")).collect();
    println!("exporting {} channels (about 2.3 s)", cids.len());

    // With push: long_running() + events.
    let started = client
        .chat()
        .export_channels(ExportChannelsRequest::new(cids.clone()))
        .await?;
    let (export, polls, noticed) = wait(&started.handle()).await?;
    println!(
        "push:   {} after {polls} status requests, {noticed:.1} ms after the task finished",
        export.url
    );

    // Without: fixed 1 s, no hub.
    let plain = Client::builder(emulator.api_key(), emulator.api_secret())
        .base_url(emulator.base_url())
        .build()?;
    let started = plain
        .chat()
        .export_channels(ExportChannelsRequest::new(cids))
        .await?;
    let (_, polls, noticed) = wait(&started.handle()).await?;
    println!("polled: after {polls} status requests, {noticed:.1} ms after the task finished");

    emulator.shutdown().await;
    Ok(())
}

/// Waits on an export; returns its result, the polls made, and how long after
/// the task's completion (its `updated_at`) the wait returned, in ms.
async fn wait(
    handle: &getstream_tasks::TaskHandle<getstream_tasks::ExportResult>,
) -> getstream_tasks::Result<(getstream_tasks::ExportResult, u32, f64)> {
    let polls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = polls.clone();
    let export = handle
        .wait()
        .timeout(Duration::from_secs(60))
        .on_poll(move |_| {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .await?;
    let returned = SystemTime::now();
    let finished = handle.get().await?.updated_at.map(|t| t.to_system_time());
    let noticed = finished
        .and_then(|f| returned.duration_since(f).ok())
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3);
    Ok((
        export,
        polls.load(std::sync::atomic::Ordering::Relaxed),
        noticed,
    ))
}
