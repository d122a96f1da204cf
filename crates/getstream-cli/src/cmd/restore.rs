//! `getstream users restore ID...`: undo soft deletes, at once (no task).

use clap::Args;
use getstream_tasks::{Client, RestoreUsersRequest};
use serde_json::json;

use crate::error::CliError;
use crate::output::Ctx;

/// `getstream users restore`
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Ids of soft-deleted users (1 to 100). A hard-deleted user cannot be restored: the
    /// server refuses the whole call.
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
}

/// Restores the users and says so.
pub async fn restore(ctx: &Ctx, client: &Client, args: RestoreArgs) -> Result<(), CliError> {
    let response = client
        .restore_users(RestoreUsersRequest::new(&args.ids))
        .await?;
    let mut doc = serde_json::to_value(&response).unwrap_or_default();
    doc["user_ids"] = json!(args.ids);
    ctx.json(&doc)?;
    let noun = if args.ids.len() == 1 { "user" } else { "users" };
    ctx.line(format!(
        "restored {} {noun}: {}",
        args.ids.len(),
        args.ids.join(", ")
    ))
}
