//! `getstream emulator`: the emulator in the foreground, with the options of its own binary.

use clap::Args;

use crate::error::CliError;

/// `getstream emulator [--addr ...] [--seed ...] [--admin] ...`
#[derive(Debug, Args)]
pub struct EmulatorCmd {
    /// The options of `getstream-emulator`.
    #[command(flatten)]
    pub args: getstream_emulator::cli::Args,
}

/// Runs the emulator until Ctrl-C or SIGTERM.
pub async fn run(cmd: EmulatorCmd) -> Result<(), CliError> {
    getstream_emulator::cli::run(cmd.args).await?;
    Ok(())
}
