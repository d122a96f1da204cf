//! `getstream tasks get ID` and `getstream tasks wait ID`.

use clap::{Args, Subcommand};

use crate::error::CliError;
use crate::flags::{Connection, WaitArgs};
use crate::output::Ctx;
use crate::{progress, start};

/// `getstream tasks ...`
#[derive(Debug, Args)]
pub struct TasksCmd {
    /// Credentials and endpoint.
    #[command(flatten)]
    pub conn: Connection,
    /// What to do.
    #[command(subcommand)]
    pub action: TasksAction,
}

/// The task subcommands.
#[derive(Debug, Subcommand)]
pub enum TasksAction {
    /// Show a task as it is now (exit 0 whatever its status).
    Get {
        /// The task id.
        id: String,
    },
    /// Wait for a task to finish (exit 0 completed, 1 failed or some of its items failed, 3
    /// still running at the timeout).
    Wait {
        /// The task id.
        id: String,
        /// How to wait.
        #[command(flatten)]
        wait: WaitArgs,
        /// Also wake on task events from Redis (published by `getstream webhook serve` or
        /// an SDK `TaskEvents::redis` hub): the wait polls at once when its task's event
        /// comes, and keeps polling at --interval if none does [env: STREAM_EVENTS_URL]
        #[arg(long, env = "STREAM_EVENTS_URL", hide_env = true)]
        events: Option<String>,
    },
}

/// Runs a task subcommand.
pub async fn run(ctx: &Ctx, cmd: TasksCmd) -> Result<(), CliError> {
    match cmd.action {
        TasksAction::Get { id } => {
            let task = cmd.conn.client()?.get_task(&id).await?;
            ctx.task(&task)
        }
        TasksAction::Wait { id, wait, events } => {
            let events = match events {
                Some(url) => Some(subscribed(&url).await?),
                None => None,
            };
            let client = cmd.conn.client_with(events)?;
            let task = progress::wait(ctx, &client, &id, &wait, "wait").await?;
            ctx.task(&task)?;
            // The same verdict as the command that started the job would give.
            start::check_items(&task)
        }
    }
}

/// A hub on Redis that only listens, once its subscription is up (or after
/// 2 s without Redis: the wait then polls and the subscription comes when it
/// can), so that an event sent after the first poll is not missed.
async fn subscribed(url: &str) -> Result<getstream_tasks::TaskEvents, CliError> {
    let events = getstream_tasks::TaskEvents::redis_builder(url)
        .publish(false)
        .build()?;
    let start = std::time::Instant::now();
    while !events.redis_stats().is_some_and(|s| s.subscribed)
        && start.elapsed() < std::time::Duration::from_secs(2)
    {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    Ok(events)
}
