//! The bulk image moderation job: reads the CSV of image URLs, fetches each image (a few at
//! a time), and writes the results file to the export store.
//!
//! The job runs on the worker pool's blocking thread, as every job does; its fetches run on
//! the emulator's runtime (`Handle::block_on`), raced against the shutdown token and the
//! task's total time limit.

use std::io::Write;

use futures::StreamExt;
use reqwest::{Client, Url};
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};

use super::csv::{RESULTS_HEADER, image_urls, write_row};
use super::fetch::{Bounds, client, fetch};
use super::limits::FetchPolicy;
use super::policy::{check, parse_http};
use super::verdict::Verdict;
use crate::jobs::job::{TaskFailure, TaskResult};
use crate::jobs::pool::{Work, cancelled};
use crate::state::EmulatorState;
use crate::state::app_state::AppState;

/// The `error.type` of a failed task.
pub(crate) const ERROR_TYPE: &str = "BulkImageModerationError";

/// The task's input, as the handler checked it (stored with its task, to resume it: a
/// resumed task starts over, from fetching the CSV).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BulkImageJob {
    /// The URL of the CSV of image URLs.
    pub csv_file: String,
}

fn failure(description: impl Into<String>) -> TaskFailure {
    TaskFailure::new(ERROR_TYPE, description)
}

/// The work of a [`BulkImageJob`].
pub(crate) fn work(state: EmulatorState, job: BulkImageJob) -> Work {
    Box::new(move |app, _events, cancel| {
        let policy = state.config().fetch;
        let limit = policy.limits.task_timeout;
        let run = run(&state, app, &job, policy);
        let timed = async {
            tokio::time::timeout(limit, run).await.unwrap_or_else(|_| {
                Err(failure(format!(
                    "the task took longer than {} (the emulator's --fetch-task-timeout)",
                    humantime::format_duration(limit)
                )))
            })
        };
        tokio::runtime::Handle::current().block_on(async {
            tokio::select! {
                () = cancel.cancelled() => Err(cancelled()),
                outcome = timed => outcome,
            }
        })
    })
}

/// Reads the CSV, judges each image and commits the results file.
async fn run(
    state: &EmulatorState,
    app: &AppState,
    job: &BulkImageJob,
    policy: FetchPolicy,
) -> Result<TaskResult, TaskFailure> {
    let limits = policy.limits;
    let csv_url = parse_http(&job.csv_file).map_err(|e| failure(format!("csv_file {e}")))?;
    check(&csv_url, policy.allow_remote).map_err(|e| failure(format!("csv_file: {e}")))?;
    let client = client(policy.allow_remote, limits.fetch_timeout);
    let mut bytes = Vec::new();
    let bounds = Bounds {
        max_bytes: limits.max_csv_bytes,
        max_flag: "--fetch-max-csv-bytes",
        timeout: limits.fetch_timeout,
    };
    let fetched = fetch(&client, &csv_url, bounds, |chunk| {
        bytes.extend_from_slice(chunk);
    })
    .await
    .map_err(|e| failure(format!("csv_file {e}")))?;
    if let Some(t) = fetched.content_type.as_deref()
        && t == "text/html"
    {
        return Err(failure(format!(
            "csv_file answered HTML ({t}), not a CSV of image URLs"
        )));
    }
    let urls =
        image_urls(&bytes, limits.max_csv_rows).map_err(|e| failure(format!("csv_file: {e}")))?;
    drop(bytes);

    let exports = state.exports();
    let io = |e: std::io::Error| failure(format!("could not write the results file: {e}"));
    let mut out = exports.create().map_err(io)?;
    writeln!(out, "{RESULTS_HEADER}").map_err(io)?;
    let total = urls.len();
    let (mut flagged, mut failed) = (0_usize, 0_usize);
    let mut judged = futures::stream::iter(urls)
        .map(|url| {
            let client = &client;
            async move {
                let outcome = judge(client, &url, policy).await;
                (url, outcome)
            }
        })
        .buffered(limits.concurrency.max(1));
    while let Some((url, outcome)) = judged.next().await {
        match outcome {
            Ok(Verdict::Flagged) => flagged += 1,
            Ok(Verdict::Safe) => {}
            Err(_) => failed += 1,
        }
        write_row(&mut out, url.as_str(), &outcome).map_err(io)?;
    }
    let token = exports.commit(app.creds.key(), out).map_err(io)?;
    let mut fields = Map::new();
    fields.insert("total".into(), json!(total));
    fields.insert("flagged".into(), json!(flagged));
    fields.insert("failed".into(), json!(failed));
    Ok(TaskResult::File {
        token,
        ext: "csv".into(),
        fields,
    })
}

/// The verdict on one image, or why it could not be read (its results row's reason).
async fn judge(client: &Client, url: &Url, policy: FetchPolicy) -> Result<Verdict, String> {
    check(url, policy.allow_remote).map_err(|e| e.to_string())?;
    let bounds = Bounds {
        max_bytes: policy.limits.max_image_bytes,
        max_flag: "--fetch-max-image-bytes",
        timeout: policy.limits.fetch_timeout,
    };
    // The bytes are only counted: the verdict does not depend on them.
    let fetched = fetch(client, url, bounds, |_| {}).await?;
    if let Some(t) = fetched.content_type.as_deref()
        && (t.starts_with("text/") || t == "application/json")
    {
        return Err(format!("is not an image (Content-Type {t})"));
    }
    if fetched.len == 0 {
        return Err("is empty".into());
    }
    Ok(Verdict::of(url))
}
