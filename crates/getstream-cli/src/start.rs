//! What every task-starting command does after the request was accepted: print the id and
//! stop (`--no-wait`), or wait with progress and report the finished task.

use getstream_tasks::{Task, TaskHandle};
use serde::Serialize;

use crate::batch_result;
use crate::error::CliError;
use crate::flags::StartArgs;
use crate::items::{self, Items, Untyped};
use crate::output::Ctx;
use crate::progress;

/// Follows a started task. `answer` is the server's immediate answer (printed as JSON with
/// `--no-wait --json`). Returns `None` with `--no-wait`, else the completed task, left for
/// the caller to print ([`Ctx::task_json`]) once it has done the rest of its work (a
/// download), so that `--json` prints one document: the task, or the error.
pub async fn follow<T>(
    ctx: &Ctx,
    handle: &TaskHandle<T>,
    answer: &impl Serialize,
    args: &StartArgs,
    what: &str,
) -> Result<Option<Task>, CliError> {
    let task_id = handle.task_id();
    ctx.set_current_task(task_id);
    if args.no_wait {
        ctx.json(&serde_json::to_value(answer).unwrap_or_default())?;
        ctx.line(task_id)?;
        ctx.note(format!(
            "{what}: started task {task_id}; follow it with: getstream tasks wait {task_id}"
        ));
        return Ok(None);
    }
    let task = progress::wait(ctx, handle.client(), task_id, &args.wait, what).await?;
    Ok(Some(task))
}

/// [`follow`]s a job whose result lists an outcome per item (`T`, the handle's result type):
/// prints the completed task with `--json`, one line per item, and fails with exit 1 when
/// some item was not processed. A result of another shape is shown as the task.
pub async fn follow_items<T: Items>(
    ctx: &Ctx,
    handle: &TaskHandle<T>,
    answer: &impl Serialize,
    args: &StartArgs,
    what: &str,
) -> Result<(), CliError> {
    let Some(task) = follow(ctx, handle, answer, args, what).await? else {
        return Ok(());
    };
    match T::read(&task) {
        Some(outcomes) => {
            ctx.task_json(&task)?;
            report_items(ctx, Some(&task.task_id), &outcomes)
        }
        None => ctx.task(&task),
    }
}

/// Prints one line per item on stdout, then gives the [`items::verdict`].
pub fn report_items(
    ctx: &Ctx,
    task_id: Option<&str>,
    outcomes: &impl Items,
) -> Result<(), CliError> {
    for (id, item) in outcomes.outcomes() {
        ctx.line(items::line(id, item))?;
    }
    items::verdict(task_id, outcomes)
}

/// The verdict on a task waited for by id: exit 1 when its result is a per-item map in which
/// some items were not processed, or a batch update's with failed channels (the same verdict
/// as the command that started the job).
pub fn check_items(task: &Task) -> Result<(), CliError> {
    if let Some(batch) = task.result.as_ref().and_then(batch_result::read) {
        return batch_result::verdict(&task.task_id, &batch);
    }
    match Untyped::read(task) {
        Some(outcomes) => items::verdict(Some(&task.task_id), &outcomes),
        None => Ok(()),
    }
}
