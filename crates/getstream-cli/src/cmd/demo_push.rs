//! The push step of `getstream demo`: the emulator delivers Stream's signed
//! webhook when an export ends; a receiver in this process verifies it and
//! wakes the wait, which otherwise polls only every 30 s. The same export,
//! waited on the official way (a poll every second, no events), runs beside
//! it, and both detection times are shown.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use getstream_emulator::{EmulatorHandle, WebhookSettings};
use getstream_tasks::webhook::axum::Receiver;
use getstream_tasks::{
    Client, ExportChannelsRequest, ExportResult, PollPolicy, TaskEvents, TaskHandle,
};

use crate::error::{CliError, one_line_chain};
use crate::output::Ctx;

/// How one wait went: detection time (task finished → wait returned) and
/// status requests.
struct Detected {
    after: Duration,
    polls: u32,
}

/// Runs the step; `step` is its heading (for errors).
pub async fn run(ctx: &Ctx, emulator: &EmulatorHandle, step: &str) -> Result<(), CliError> {
    let fail = |e: &(dyn std::error::Error + 'static)| CliError::Demo {
        step: step.to_owned(),
        detail: one_line_chain(e),
    };
    let key = emulator.api_key();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| fail(&e))?;
    let url = format!(
        "http://{}/webhooks/stream",
        listener.local_addr().map_err(|e| fail(&e))?
    );
    let events = TaskEvents::new();
    let pushed = Client::builder(key, emulator.api_secret())
        .base_url(emulator.base_url())
        .poll_policy(PollPolicy::long_running())
        .task_events(events.clone())
        .build()?;
    let polled = Client::builder(key, emulator.api_secret())
        .base_url(emulator.base_url())
        .build()?;
    let app: axum::Router = Receiver::for_client(&pushed).router("/webhooks/stream");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    emulator
        .state()
        .set_webhook(key, WebhookSettings::new().url(&url))
        .map_err(|e| fail(&e))?;
    ctx.line(format!(
        "webhook:     {url} (verifies X-Signature, wakes waits)"
    ))?;
    ctx.line("waits:       with push: long_running() + events (a poll every 30 s, a safety net); polled: every 1 s, no events")?;

    // The channels still there after the earlier steps (a live one has no `deleted_at`).
    let snapshot = emulator.state().snapshot(key).map_err(|e| fail(&e))?;
    let cids: Vec<String> = snapshot["channels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["deleted_at"].is_null())
        .filter_map(|c| c["cid"].as_str().map(str::to_owned))
        .take(2)
        .collect();
    if cids.is_empty() {
        return Err(CliError::Demo {
            step: step.to_owned(),
            detail: "no channel left to export".to_owned(),
        });
    }
    let mut handles = Vec::new();
    for client in [&pushed, &polled] {
        let started = client
            .chat()
            .export_channels(ExportChannelsRequest::new(cids.clone()))
            .await?;
        handles.push(started.into_handle());
    }
    let (with_push, without) = tokio::join!(detect(&handles[0]), detect(&handles[1]));
    // Every event delivered (or given up) before the receiver goes; then off again.
    emulator.state().webhooks_settled().await;
    let _ = emulator.state().set_webhook(key, WebhookSettings::new());
    server.abort();
    let (with_push, without) = (with_push?, without?);
    ctx.line(format!(
        "with push:   done {:>6.1} ms after the task finished, {} status requests ({} event{} received)",
        with_push.after.as_secs_f64() * 1e3,
        with_push.polls,
        events.published(),
        if events.published() == 1 { "" } else { "s" },
    ))?;
    ctx.line(format!(
        "polled:      done {:>6.1} ms after the task finished, {} status requests",
        without.after.as_secs_f64() * 1e3,
        without.polls,
    ))?;
    if with_push.polls == 1 {
        ctx.line("(the jobs ended before the first poll: run without --instant to see the event wake the wait)")?;
    }
    if events.published() == 0 {
        return Err(CliError::Demo {
            step: step.to_owned(),
            detail: "no webhook event arrived".to_owned(),
        });
    }
    Ok(())
}

/// Waits on an export; how long after the task's completion (its
/// `updated_at`) the wait returned, and how many polls it made.
async fn detect(handle: &TaskHandle<ExportResult>) -> Result<Detected, CliError> {
    let polls = Arc::new(AtomicU32::new(0));
    let count = polls.clone();
    handle
        .wait()
        .timeout(Duration::from_secs(60))
        .on_poll(move |_| {
            count.fetch_add(1, Ordering::Relaxed);
        })
        .await?;
    let returned = SystemTime::now();
    let finished = handle.get().await?.updated_at.map(|t| t.to_system_time());
    let after = finished
        .and_then(|f| returned.duration_since(f).ok())
        .unwrap_or_default();
    Ok(Detected {
        after,
        polls: polls.load(Ordering::Relaxed),
    })
}
