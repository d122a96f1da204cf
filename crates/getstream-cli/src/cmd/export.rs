//! `getstream export channels CID... [--since T --until T] [--download FILE]` and
//! `getstream export users ID... [--download FILE]`; `export feed-user` in `feeds.rs`.

use std::path::PathBuf;
use std::time::SystemTime;

use clap::{Args, Subcommand};
use getstream_tasks::{Client, ExportChannelsRequest, ExportUsersRequest, Task};

use crate::download::check_target;
use crate::error::CliError;
use crate::export_file::finish;
use crate::flags::{Connection, StartArgs};
use crate::output::Ctx;
use crate::parse::parse_time;

/// `getstream export ...`
#[derive(Debug, Args)]
pub struct ExportCmd {
    /// Credentials and endpoint.
    #[command(flatten)]
    pub conn: Connection,
    /// What to export.
    #[command(subcommand)]
    pub what: ExportWhat,
}

/// The export subcommands.
#[derive(Debug, Subcommand)]
pub enum ExportWhat {
    /// Export channels with their members and messages (a task, waited for).
    Channels(ChannelsArgs),
    /// Export users with their channels and messages (a task, waited for).
    Users(UsersArgs),
    /// Export a user's feed data: profile, feeds, activities, follows, comments, reactions
    /// (a task, waited for).
    FeedUser(super::feeds::ExportFeedUserArgs),
}

/// `getstream export channels`
#[derive(Debug, Args)]
pub struct ChannelsArgs {
    /// Channel ids as `type:id` (1 to 100).
    #[arg(required = true, value_name = "CID")]
    pub cids: Vec<String>,
    /// Only messages from this time: RFC 3339 (2026-11-01T10:00:00Z) or a duration ago (24h).
    #[arg(long, value_parser = parse_time, value_name = "T")]
    pub since: Option<SystemTime>,
    /// Only messages up to this time: RFC 3339 or a duration ago.
    #[arg(long, value_parser = parse_time, value_name = "T")]
    pub until: Option<SystemTime>,
    /// Include the channels' users in the file.
    #[arg(long)]
    pub export_users: bool,
    /// Download the export file into FILE once the task completes.
    #[arg(long, value_name = "FILE", conflicts_with = "no_wait")]
    pub download: Option<PathBuf>,
    /// Waiting.
    #[command(flatten)]
    pub start: StartArgs,
}

/// `getstream export users`
#[derive(Debug, Args)]
pub struct UsersArgs {
    /// User ids (1 to 25).
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    /// Download the export file into FILE once the task completes.
    #[arg(long, value_name = "FILE", conflicts_with = "no_wait")]
    pub download: Option<PathBuf>,
    /// Waiting.
    #[command(flatten)]
    pub start: StartArgs,
}

/// Runs an export subcommand.
pub async fn run(ctx: &Ctx, cmd: ExportCmd) -> Result<(), CliError> {
    let client = cmd.conn.client()?;
    match cmd.what {
        ExportWhat::Channels(args) => channels(ctx, &client, args).await.map(drop),
        ExportWhat::Users(args) => users(ctx, &client, args).await.map(drop),
        ExportWhat::FeedUser(args) => super::feeds::export_user(ctx, &client, args).await,
    }
}

/// Exports channels; returns the completed task (`None` with `--no-wait`).
pub async fn channels(
    ctx: &Ctx,
    client: &Client,
    args: ChannelsArgs,
) -> Result<Option<Task>, CliError> {
    if let Some(path) = &args.download {
        check_target(path)?;
    }
    let mut request = ExportChannelsRequest::new(&args.cids).export_users(args.export_users);
    if let Some(since) = args.since {
        request = request.messages_since(since);
    }
    if let Some(until) = args.until {
        request = request.messages_until(until);
    }
    let started = client.chat().export_channels(request).await?;
    finish(
        ctx,
        &started,
        &args.start,
        args.download.as_deref(),
        "export channels",
    )
    .await
}

/// Exports users; returns the completed task (`None` with `--no-wait`).
pub async fn users(ctx: &Ctx, client: &Client, args: UsersArgs) -> Result<Option<Task>, CliError> {
    if let Some(path) = &args.download {
        check_target(path)?;
    }
    let started = client
        .export_users(ExportUsersRequest::new(&args.ids))
        .await?;
    finish(
        ctx,
        &started,
        &args.start,
        args.download.as_deref(),
        "export users",
    )
    .await
}
