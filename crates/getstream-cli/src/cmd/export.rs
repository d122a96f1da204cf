//! `getstream export channels|users`.

use crate::error::CliError;
use crate::output::Ctx;

/// Placeholder.
#[derive(Debug, clap::Args)]
pub struct ExportCmd {}

/// Placeholder.
pub async fn run(_ctx: &Ctx, _cmd: ExportCmd) -> Result<(), CliError> {
    Err(CliError::Usage("not yet".into()))
}
