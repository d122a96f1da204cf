//! `getstream users delete|deactivate|reactivate`.

use crate::error::CliError;
use crate::output::Ctx;

/// Placeholder.
#[derive(Debug, clap::Args)]
pub struct UsersCmd {}

/// Placeholder.
pub async fn run(_ctx: &Ctx, _cmd: UsersCmd) -> Result<(), CliError> {
    Err(CliError::Usage("not yet".into()))
}
