//! `getstream feeds delete GROUP:ID... [--hard] [--purge-user-activities]`,
//! `getstream feeds delete-user-data USER [--hard]`, and the handler of
//! `getstream export feed-user USER [--download FILE]` (declared with the other exports).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use getstream_tasks::{Client, DeleteFeedRequest, DeleteFeedsRequest, FeedId};

use crate::download::check_target;
use crate::error::CliError;
use crate::flags::{Connection, StartArgs};
use crate::output::Ctx;
use crate::start;

/// `getstream feeds ...`
#[derive(Debug, Args)]
pub struct FeedsCmd {
    /// Credentials and endpoint.
    #[command(flatten)]
    pub conn: Connection,
    /// What to do.
    #[command(subcommand)]
    pub action: FeedsAction,
}

/// The feeds subcommands.
#[derive(Debug, Subcommand)]
pub enum FeedsAction {
    /// Delete feeds: marked deleted, or for good with --hard (a task, waited for). One feed
    /// uses the single-feed call, several the batch call (all must exist).
    Delete(DeleteArgs),
    /// Delete a user's feeds, activities, follows, comments and reactions (a task, waited
    /// for).
    DeleteUserData(DeleteUserDataArgs),
}

/// `getstream feeds delete`
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Feed ids as `group:id` (1 to 100).
    #[arg(required = true, value_name = "GROUP:ID", value_parser = parse_feed_id,
          num_args = 1..=getstream_tasks::MAX_DELETE_FEEDS)]
    pub feeds: Vec<FeedId>,
    /// Remove the feeds and their activities for good.
    #[arg(long)]
    pub hard: bool,
    /// Also remove the feeds' owners' activities from every other feed (needs --hard).
    #[arg(long, requires = "hard")]
    pub purge_user_activities: bool,
    /// Waiting.
    #[command(flatten)]
    pub start: StartArgs,
}

/// `getstream feeds delete-user-data`
#[derive(Debug, Args)]
pub struct DeleteUserDataArgs {
    /// The user's id.
    #[arg(value_name = "USER")]
    pub user_id: String,
    /// Remove the data for good (else marked deleted).
    #[arg(long)]
    pub hard: bool,
    /// Waiting.
    #[command(flatten)]
    pub start: StartArgs,
}

/// `getstream export feed-user`
#[derive(Debug, Args)]
pub struct ExportFeedUserArgs {
    /// The user's id.
    #[arg(value_name = "USER")]
    pub user_id: String,
    /// Download the export file into FILE once the task completes.
    #[arg(long, value_name = "FILE", conflicts_with = "no_wait")]
    pub download: Option<PathBuf>,
    /// Waiting.
    #[command(flatten)]
    pub start: StartArgs,
}

fn parse_feed_id(text: &str) -> Result<FeedId, String> {
    text.parse()
        .map_err(|e: getstream_tasks::Error| e.to_string())
}

/// Runs a feeds subcommand.
pub async fn run(ctx: &Ctx, cmd: FeedsCmd) -> Result<(), CliError> {
    let client = cmd.conn.client()?;
    match cmd.action {
        FeedsAction::Delete(args) => delete(ctx, &client, args).await,
        FeedsAction::DeleteUserData(args) => delete_user_data(ctx, &client, args).await,
    }
}

/// Deletes one feed (the single call) or several (the batch call), and shows the counts.
async fn delete(ctx: &Ctx, client: &Client, args: DeleteArgs) -> Result<(), CliError> {
    let what = if args.hard {
        "hard delete feeds"
    } else {
        "delete feeds"
    };
    let started = match args.feeds.as_slice() {
        [fid] => {
            let request = DeleteFeedRequest::from_feed(fid)
                .hard_delete(args.hard)
                .purge_user_activities(args.purge_user_activities);
            client.feeds().delete_feed(request).await?
        }
        feeds => {
            let request = DeleteFeedsRequest::new(feeds.iter().cloned())
                .hard_delete(args.hard)
                .purge_user_activities(args.purge_user_activities);
            client.feeds().delete_feeds(request).await?
        }
    };
    if let Some(task) = start::follow(ctx, &started.handle(), &started, &args.start, what).await? {
        ctx.task(&task)?;
    }
    Ok(())
}

/// Deletes a user's feed data and shows the counts.
async fn delete_user_data(
    ctx: &Ctx,
    client: &Client,
    args: DeleteUserDataArgs,
) -> Result<(), CliError> {
    let started = client
        .feeds()
        .delete_user_data(&args.user_id, args.hard)
        .await?;
    let handle = started.handle();
    let what = "delete feed user data";
    if let Some(task) = start::follow(ctx, &handle, &started, &args.start, what).await? {
        ctx.task(&task)?;
    }
    Ok(())
}

/// Exports a user's feed data; prints the link and, with `--download`, fetches the file.
pub async fn export_user(
    ctx: &Ctx,
    client: &Client,
    args: ExportFeedUserArgs,
) -> Result<(), CliError> {
    if let Some(path) = &args.download {
        check_target(path)?;
    }
    let started = client.feeds().export_user_data(&args.user_id).await?;
    let target = args.download.as_deref();
    crate::export_file::finish(ctx, &started, &args.start, target, "export feed user")
        .await
        .map(drop)
}
