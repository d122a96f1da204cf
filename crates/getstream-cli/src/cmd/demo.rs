//! `getstream demo`.

use crate::error::CliError;
use crate::output::Ctx;

/// Placeholder.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {}

/// Placeholder.
pub async fn run(_ctx: &Ctx, _cmd: DemoArgs) -> Result<(), CliError> {
    Err(CliError::Usage("not yet".into()))
}
