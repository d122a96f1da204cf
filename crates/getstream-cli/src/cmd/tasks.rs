//! `getstream tasks get ID` and `getstream tasks wait ID`.

use clap::{Args, Subcommand};

use crate::cli::{Connection, WaitArgs};
use crate::error::CliError;
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
    },
}

/// Runs a task subcommand.
pub async fn run(ctx: &Ctx, cmd: TasksCmd) -> Result<(), CliError> {
    let client = cmd.conn.client()?;
    match cmd.action {
        TasksAction::Get { id } => {
            let task = client.get_task(&id).await?;
            ctx.task(&task)
        }
        TasksAction::Wait { id, wait } => {
            let task = progress::wait(ctx, &client, &id, &wait, "wait").await?;
            ctx.task(&task)?;
            // The same verdict as the command that started the job would give.
            start::check_items(&task)
        }
    }
}
