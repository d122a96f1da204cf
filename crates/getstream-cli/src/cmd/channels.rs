//! `getstream channels delete CID... [--hard]`.

use crate::error::CliError;
use crate::output::Ctx;

/// Placeholder.
#[derive(Debug, clap::Args)]
pub struct ChannelsCmd {}

/// Placeholder.
pub async fn run(_ctx: &Ctx, _cmd: ChannelsCmd) -> Result<(), CliError> {
    Err(CliError::Usage("not yet".into()))
}
