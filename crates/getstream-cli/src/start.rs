//! What every task-starting command does after the request was accepted: print the id and
//! stop (`--no-wait`), or wait with progress and return the finished task.

use getstream::{Client, Task};
use serde::Serialize;

use crate::cli::StartArgs;
use crate::error::CliError;
use crate::output::Ctx;
use crate::{progress, render};

/// Follows a started task. `started` is the server's immediate answer (printed as JSON with
/// `--no-wait --json`). Returns `None` with `--no-wait`; with `--json`, prints the finished
/// task.
pub async fn follow(
    ctx: &Ctx,
    client: &Client,
    task_id: &str,
    started: &impl Serialize,
    args: &StartArgs,
    what: &str,
) -> Result<Option<Task>, CliError> {
    let task = follow_unprinted(ctx, client, task_id, started, args, what).await?;
    if let Some(task) = &task {
        print_json(ctx, task)?;
    }
    Ok(task)
}

/// [`follow`], but the finished task is left for the caller to print with [`print_json`]
/// once it has done the rest of its work (a download), so that `--json` prints one
/// document: the task, or the error.
pub async fn follow_unprinted(
    ctx: &Ctx,
    client: &Client,
    task_id: &str,
    started: &impl Serialize,
    args: &StartArgs,
    what: &str,
) -> Result<Option<Task>, CliError> {
    ctx.set_current_task(task_id);
    if args.no_wait {
        ctx.json(&serde_json::to_value(started).unwrap_or_default())?;
        ctx.line(task_id)?;
        ctx.note(format!(
            "{what}: started task {task_id}; follow it with: getstream tasks wait {task_id}"
        ));
        return Ok(None);
    }
    let task = progress::wait(ctx, client, task_id, &args.wait, what).await?;
    Ok(Some(task))
}

/// With `--json`, prints the finished task on stdout.
pub fn print_json(ctx: &Ctx, task: &Task) -> Result<(), CliError> {
    ctx.json(&serde_json::to_value(task).unwrap_or_default())
}

/// Prints the per-item outcome of a finished job (`id: status`) and fails with exit 1 when
/// some items did not succeed.
pub fn report_items(ctx: &Ctx, task: &Task) -> Result<(), CliError> {
    let items = task.result.as_ref().and_then(render::item_results);
    let Some(items) = items else {
        for line in render::task_lines(task) {
            ctx.line(line)?;
        }
        return Ok(());
    };
    for (id, status, error) in &items {
        match error {
            Some(e) => ctx.line(format!("{id}: {status} ({e})"))?,
            None => ctx.line(format!("{id}: {status}"))?,
        }
    }
    check_items(task)
}

/// Fails with exit 1 when the completed task's result is a per-item map in which some items
/// did not succeed.
pub fn check_items(task: &Task) -> Result<(), CliError> {
    let Some(items) = task.result.as_ref().and_then(render::item_results) else {
        return Ok(());
    };
    let failed = render::failed_items(&items);
    if failed > 0 {
        return Err(CliError::ItemsFailed {
            task_id: Some(task.task_id.clone()),
            failed,
            total: items.len(),
        });
    }
    Ok(())
}
