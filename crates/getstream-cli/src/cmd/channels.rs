//! `getstream channels delete CID... [--hard]`, `getstream channels truncate CID [--hard]`,
//! `getstream channels batch-update OPERATION ...` (in `batch_update.rs`).

use clap::{Args, Subcommand};
use getstream_tasks::{DeleteChannelsRequest, DeleteChannelsResult};

use crate::error::CliError;
use crate::flags::{Connection, StartArgs};
use crate::output::Ctx;
use crate::start;

/// `getstream channels ...`
#[derive(Debug, Args)]
pub struct ChannelsCmd {
    /// Credentials and endpoint.
    #[command(flatten)]
    pub conn: Connection,
    /// What to do.
    #[command(subcommand)]
    pub action: ChannelsAction,
}

/// The channel subcommands.
#[derive(Debug, Subcommand)]
pub enum ChannelsAction {
    /// Delete channels: soft at once, or for good with --hard (a task, waited for).
    Delete(DeleteArgs),
    /// Remove a channel's messages at once: hidden, or for good with --hard; optionally
    /// leave a system message.
    Truncate(super::truncate::TruncateArgs),
    /// Run one operation over every channel matching cids or types (a task, waited for):
    /// add or remove members, moderators, roles, invites; hide, show, archive, unarchive;
    /// update data.
    BatchUpdate(super::batch_update::BatchUpdateArgs),
}

/// `getstream channels delete`
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Channel ids as `type:id` (1 to 100).
    #[arg(required = true, value_name = "CID")]
    pub cids: Vec<String>,
    /// Remove the channels and their messages for good (runs as a task).
    #[arg(long)]
    pub hard: bool,
    /// Waiting.
    #[command(flatten)]
    pub start: StartArgs,
}

/// Runs a channel subcommand.
pub async fn run(ctx: &Ctx, cmd: ChannelsCmd) -> Result<(), CliError> {
    let client = cmd.conn.client()?;
    match cmd.action {
        ChannelsAction::Delete(args) => delete(ctx, &client, args).await,
        ChannelsAction::Truncate(args) => super::truncate::truncate(ctx, &client, args).await,
        ChannelsAction::BatchUpdate(args) => {
            super::batch_update::batch_update(ctx, &client, args).await
        }
    }
}

/// Deletes channels and reports per cid.
pub async fn delete(
    ctx: &Ctx,
    client: &getstream_tasks::Client,
    args: DeleteArgs,
) -> Result<(), CliError> {
    let request = DeleteChannelsRequest::new(&args.cids).hard_delete(args.hard);
    let response = client.chat().delete_channels(request).await?;
    let Some(handle) = response.task() else {
        // Soft delete: the answer is the outcome.
        ctx.json(&serde_json::to_value(&response).unwrap_or_default())?;
        return start::report_items(ctx, None, &DeleteChannelsResult::from(response.result));
    };
    let what = if args.hard { "hard delete" } else { "delete" };
    start::follow_items(ctx, &handle, &response, &args.start, what).await
}
