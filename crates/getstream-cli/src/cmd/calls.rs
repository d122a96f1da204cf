//! `getstream calls delete TYPE:ID [--hard]`: delete a video call. Soft: marked deleted at
//! once (no task). Hard: also a task that removes the call with its sessions, recordings
//! and members, followed as the other jobs are.

use clap::{Args, Subcommand};
use getstream_tasks::{Client, DeleteCallRequest, DeleteCallResult, Task};

use crate::error::CliError;
use crate::flags::{Connection, StartArgs};
use crate::output::Ctx;
use crate::start;

/// `getstream calls ...`
#[derive(Debug, Args)]
pub struct CallsCmd {
    /// Credentials and endpoint.
    #[command(flatten)]
    pub conn: Connection,
    /// What to do.
    #[command(subcommand)]
    pub action: CallsAction,
}

/// The video call subcommands.
#[derive(Debug, Subcommand)]
pub enum CallsAction {
    /// Delete a video call: marked deleted at once, or removed for good with --hard
    /// (with its sessions, recordings and members: a task, waited for).
    Delete(DeleteCallArgs),
}

/// `getstream calls delete`
#[derive(Debug, Args)]
pub struct DeleteCallArgs {
    /// The call, as `type:id` (e.g. default:standup).
    #[arg(value_name = "TYPE:ID")]
    pub cid: String,
    /// Remove the call with its sessions, recordings and members for good (runs as a task).
    #[arg(long)]
    pub hard: bool,
    /// Waiting.
    #[command(flatten)]
    pub start: StartArgs,
}

/// Runs a calls subcommand.
pub async fn run(ctx: &Ctx, cmd: CallsCmd) -> Result<(), CliError> {
    let client = cmd.conn.client()?;
    match cmd.action {
        CallsAction::Delete(args) => delete(ctx, &client, args).await,
    }
}

/// Splits `type:id`; the SDK checks each part before sending.
fn request(cid: &str, hard: bool) -> Result<DeleteCallRequest, CliError> {
    let (call_type, id) = cid.split_once(':').ok_or_else(|| {
        CliError::Usage(format!(
            "{cid:?} is not a call id of the form TYPE:ID (e.g. default:standup)"
        ))
    })?;
    Ok(DeleteCallRequest::new(call_type, id).hard(hard))
}

/// Deletes the call and reports what the server answered (soft) or what the task removed
/// (hard).
pub async fn delete(ctx: &Ctx, client: &Client, args: DeleteCallArgs) -> Result<(), CliError> {
    let response = client
        .video()
        .delete_call(request(&args.cid, args.hard)?)
        .await?;
    let Some(handle) = response.task.clone() else {
        ctx.json(&serde_json::to_value(&response).unwrap_or_default())?;
        return ctx.line(format!(
            "deleted call {}: marked deleted (soft; nothing removed)",
            response.call.cid
        ));
    };
    let Some(task) =
        start::follow(ctx, &handle, &response, &args.start, "hard delete call").await?
    else {
        return Ok(());
    };
    ctx.task_json(&task)?;
    match removed(&task) {
        Some(line) => ctx.line(line),
        None => ctx.task(&task),
    }
}

/// The human line of a completed hard delete, when its result reads as ours.
fn removed(task: &Task) -> Option<String> {
    let result: DeleteCallResult = serde_json::from_value(task.result.clone()?).ok()?;
    let d = result.deleted;
    Some(format!(
        "removed call {}: {} sessions, {} recordings, {} members (task {})",
        result.cid, d.sessions, d.recordings, d.members, task.task_id
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cid_must_be_type_colon_id() {
        assert!(request("default:standup", true).is_ok());
        assert!(matches!(request("standup", false), Err(CliError::Usage(_))));
    }
}
