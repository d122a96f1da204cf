//! The task route, timed: pollers that `GET /api/v2/tasks/{id}` acknowledged
//! tasks (mostly the latest, which are in flight) and record every
//! exchange's latency; and the final check, which reads every acknowledged
//! task until it is `completed` or `failed` (a 404 is a lost task), and
//! checks the results no client checked (its wait ended in an error).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;

use super::Ctx;
use super::faults::INJECTED_FAILURE;
use super::jobs::{Rng, check_export, check_items};
use super::ledger::{End, Job, bump};

/// Polls one acknowledged task every `every`, timing each answer, until the
/// load ends. Answers of injected faults are timed too (they are answers);
/// a dropped connection is counted, not timed.
pub async fn poller(ctx: Arc<Ctx>, n: u64, every: Duration) {
    let mut rng = Rng::new(n + 1000);
    while ctx.running() {
        // Four in five polls go to the 32 latest tasks (most still running).
        let recent = if rng.next().is_multiple_of(5) { 0 } else { 32 };
        if let Some(id) = ctx.ledger.pick(rng.next(), recent) {
            match ctx.raw.get_task(&id).await {
                Ok(a) => {
                    ctx.ledger.poll_latency(a.elapsed.as_secs_f64() * 1000.0);
                    if a.is_fault() {
                        bump(&ctx.ledger.counters.polls_faulted);
                    } else if !a.status.is_success() {
                        ctx.ledger.violation(format!(
                            "GET /api/v2/tasks/{id}: {}: {}",
                            a.status,
                            String::from_utf8_lossy(&a.body[..a.body.len().min(200)])
                        ));
                    }
                }
                // Only an injected drop closes a task poll without an answer.
                Err(_) => bump(&ctx.ledger.counters.polls_faulted),
            }
        }
        tokio::time::sleep(every).await;
    }
}

/// Reads every acknowledged task until it ends, for at most `within`;
/// records what each ended as and checks its result. Returns the ids still
/// unresolved (not ended, or not found).
pub async fn settle(ctx: &Ctx, within: Duration) -> Vec<String> {
    let deadline = Instant::now() + within;
    let mut open = ctx.ledger.ids();
    let mut lost = Vec::new();
    while !open.is_empty() && Instant::now() < deadline {
        let reads: Vec<(String, Result<Option<End>, Gone>)> = futures::stream::iter(open)
            .map(|id| async move {
                let end = read_end(ctx, &id).await;
                (id, end)
            })
            .buffer_unordered(8)
            .collect()
            .await;
        let mut still = Vec::new();
        for (id, end) in reads {
            match end {
                Ok(Some(end)) => ctx.ledger.verified(&id, end),
                Ok(None) => still.push(id),
                Err(Gone) => lost.push(id),
            }
        }
        open = still;
        if !open.is_empty() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    for id in &lost {
        ctx.ledger
            .violation(format!("task {id} was acknowledged, then not found (lost)"));
    }
    for id in &open {
        ctx.ledger.violation(format!(
            "task {id} neither completed nor failed within {} s of the load's end",
            within.as_secs()
        ));
    }
    lost.extend(open);
    lost
}

struct Gone;

/// One read of a task: `Some(end)` when it ended (its result checked),
/// `None` while it runs (or the read failed: tried again).
async fn read_end(ctx: &Ctx, id: &str) -> Result<Option<End>, Gone> {
    let Ok(a) = ctx.raw.get_task(id).await else {
        return Ok(None);
    };
    if a.status == reqwest::StatusCode::NOT_FOUND && !a.is_fault() {
        return Err(Gone);
    }
    if !a.status.is_success() {
        return Ok(None);
    }
    let task = a.json();
    let Some(job) = ctx.ledger.job(id) else {
        return Ok(None);
    };
    match task["status"].as_str() {
        // Its client checked the result when its wait saw it complete.
        Some("completed") if ctx.ledger.wait_completed(id) => Ok(Some(End::Completed)),
        Some("completed") => {
            let checked = match &job {
                Job::ExportChannels(_) | Job::ExportUsers(_) => {
                    match task["result"]["url"].as_str() {
                        Some(url) => check_export(ctx, &job, url).await.map(drop),
                        None => Err(format!("no result.url in {task}")),
                    }
                }
                Job::DeleteUsers(_) | Job::DeleteChannels(_) => check_items(&task["result"], &job),
            };
            if let Err(e) = checked {
                ctx.ledger
                    .violation(format!("task {id} ({}), final check: {e}", job.name()));
            }
            Ok(Some(End::Completed))
        }
        Some("failed") => {
            let kind = task["error"]["type"].as_str().unwrap_or_default();
            // Every job the soak starts is valid: only an injected failure may fail it.
            if kind != INJECTED_FAILURE {
                ctx.ledger.violation(format!(
                    "task {id} ({}) failed on its own: {}",
                    job.name(),
                    task.get("error").unwrap_or(&Value::Null)
                ));
            }
            Ok(Some(End::Failed(String::new())))
        }
        _ => Ok(None),
    }
}
