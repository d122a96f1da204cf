//! `getstream users delete ID... [--hard]`, `getstream users deactivate ID...`,
//! `getstream users reactivate ID...`, `getstream users restore ID...`.

use clap::{Args, Subcommand, ValueEnum};
use getstream_tasks::{
    Client, DeactivateUsersRequest, DeleteMode, DeleteUsersRequest, ReactivateUsersRequest,
    TaskHandle, TaskStarted,
};
use serde_json::Value;

use crate::error::CliError;
use crate::flags::{Connection, StartArgs};
use crate::items::Untyped;
use crate::output::Ctx;
use crate::start;

/// `getstream users ...`
#[derive(Debug, Args)]
pub struct UsersCmd {
    /// Credentials and endpoint.
    #[command(flatten)]
    pub conn: Connection,
    /// What to do.
    #[command(subcommand)]
    pub action: UsersAction,
}

/// The user subcommands.
#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Delete users (a task, waited for). Soft by default.
    Delete(DeleteArgs),
    /// Deactivate users (a task, waited for).
    Deactivate(DeactivateArgs),
    /// Reactivate deactivated users (a task, waited for).
    Reactivate(ReactivateArgs),
    /// Restore soft-deleted users (at once, no task).
    Restore(super::restore::RestoreArgs),
}

/// How thoroughly to delete.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Mode {
    /// Mark as deleted; the data stays.
    Soft,
    /// Soft-delete and remove personal data.
    Pruning,
    /// Remove for good.
    Hard,
}

impl From<Mode> for DeleteMode {
    fn from(mode: Mode) -> Self {
        match mode {
            Mode::Soft => DeleteMode::Soft,
            Mode::Pruning => DeleteMode::Pruning,
            Mode::Hard => DeleteMode::Hard,
        }
    }
}

/// `getstream users delete`
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// User ids (1 to 100).
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    /// Remove the users, their messages and their 1:1 conversations for good.
    #[arg(long, conflicts_with_all = ["user", "messages", "conversations"])]
    pub hard: bool,
    /// How to delete the users themselves (default: soft).
    #[arg(long, value_enum)]
    pub user: Option<Mode>,
    /// How to delete their messages (default: keep them).
    #[arg(long, value_enum)]
    pub messages: Option<Mode>,
    /// How to delete their 1:1 conversations (soft or hard; default: keep them).
    #[arg(long, value_enum)]
    pub conversations: Option<Mode>,
    /// Waiting.
    #[command(flatten)]
    pub start: StartArgs,
}

/// `getstream users deactivate`
#[derive(Debug, Args)]
pub struct DeactivateArgs {
    /// User ids (1 to 100).
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    /// Also mark their messages deleted.
    #[arg(long)]
    pub mark_messages_deleted: bool,
    /// The user doing it (recorded by Stream).
    #[arg(long, value_name = "USER_ID")]
    pub created_by: Option<String>,
    /// Waiting.
    #[command(flatten)]
    pub start: StartArgs,
}

/// `getstream users reactivate`
#[derive(Debug, Args)]
pub struct ReactivateArgs {
    /// User ids (1 to 100).
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    /// Also restore their messages.
    #[arg(long)]
    pub restore_messages: bool,
    /// The user doing it (recorded by Stream).
    #[arg(long, value_name = "USER_ID")]
    pub created_by: Option<String>,
    /// Waiting.
    #[command(flatten)]
    pub start: StartArgs,
}

/// Runs a user subcommand.
pub async fn run(ctx: &Ctx, cmd: UsersCmd) -> Result<(), CliError> {
    let client = cmd.conn.client()?;
    match cmd.action {
        UsersAction::Delete(args) => delete(ctx, &client, args).await,
        UsersAction::Restore(args) => super::restore::restore(ctx, &client, args).await,
        UsersAction::Deactivate(args) => {
            let mut request = DeactivateUsersRequest::new(&args.ids)
                .mark_messages_deleted(args.mark_messages_deleted);
            if let Some(by) = args.created_by {
                request = request.created_by_id(by);
            }
            let started = client.deactivate_users(request).await?;
            follow_untyped(ctx, &started, &args.start, "deactivate users").await
        }
        UsersAction::Reactivate(args) => {
            let mut request =
                ReactivateUsersRequest::new(&args.ids).restore_messages(args.restore_messages);
            if let Some(by) = args.created_by {
                request = request.created_by_id(by);
            }
            let started = client.reactivate_users(request).await?;
            follow_untyped(ctx, &started, &args.start, "reactivate users").await
        }
    }
}

/// Follows (de)activate users, whose result the SDK leaves untyped: reported per user when
/// it lists users.
async fn follow_untyped(
    ctx: &Ctx,
    started: &TaskStarted<Value>,
    args: &StartArgs,
    what: &str,
) -> Result<(), CliError> {
    let handle = TaskHandle::<Untyped>::new(started.handle().client(), &started.task_id);
    start::follow_items(ctx, &handle, started, args, what).await
}

/// Deletes users and reports per user.
pub async fn delete(ctx: &Ctx, client: &Client, args: DeleteArgs) -> Result<(), CliError> {
    let mut request = DeleteUsersRequest::new(&args.ids);
    if args.hard {
        request = request
            .user(DeleteMode::Hard)
            .messages(DeleteMode::Hard)
            .conversations(DeleteMode::Hard);
    }
    if let Some(mode) = args.user {
        request = request.user(mode.into());
    }
    if let Some(mode) = args.messages {
        request = request.messages(mode.into());
    }
    if let Some(mode) = args.conversations {
        request = request.conversations(mode.into());
    }
    let started = client.delete_users(request).await?;
    let what = if args.hard {
        "hard delete users"
    } else {
        "delete users"
    };
    start::follow_items(ctx, &started.handle(), &started, &args.start, what).await
}
