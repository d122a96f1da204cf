//! The end of every command that starts an export-like task (`export channels`, `export
//! users`, `export feed-user`, `moderation bulk-images`): follow the task, print its link
//! and, with `--download`, fetch the file. A leaf the commands share: it imports no command.

use std::path::Path;

use getstream_tasks::{ExportResult, Task, TaskStarted};

use crate::download::{download, human_size};
use crate::error::{CliError, DownloadError};
use crate::flags::StartArgs;
use crate::output::Ctx;
use crate::start;

/// Follows a started export; once it completes, prints the download link and, with
/// `--download`, fetches the file.
pub async fn finish<T>(
    ctx: &Ctx,
    started: &TaskStarted<T>,
    args: &StartArgs,
    target: Option<&Path>,
    what: &str,
) -> Result<Option<Task>, CliError> {
    let Some(task) = start::follow(ctx, &started.handle(), started, args, what).await? else {
        return Ok(None);
    };
    let url = export_url(&task);
    ctx.line(format!("task_id:    {}", task.task_id))?;
    ctx.line(format!("status:     {}", task.status))?;
    match &url {
        Some(url) => ctx.line(format!("url:        {url}"))?,
        None => ctx.line("url:        (the completed task has no url)")?,
    }
    if let Some(path) = target {
        let Some(url) = url else {
            return Err(DownloadError::NoUrl {
                task_id: task.task_id.clone(),
            }
            .into());
        };
        let bytes = download(&url, path).await?;
        ctx.line(format!(
            "downloaded: {} to {}",
            human_size(bytes),
            path.display()
        ))?;
    }
    // With --json, the task once everything went well (else the error, printed by main).
    ctx.task_json(&task)?;
    Ok(Some(task))
}

/// The download link of a completed export task.
pub fn export_url(task: &Task) -> Option<String> {
    let result: ExportResult = serde_json::from_value(task.result.clone()?).ok()?;
    Some(result.url)
}
