//! `getstream-emulator`: a local Stream-compatible server. See `getstream-emulator --help`.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = getstream_emulator::cli::Args::parse();
    match getstream_emulator::cli::run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "getstream-emulator: {}",
                getstream_emulator::report::one_line_chain(&e)
            );
            ExitCode::FAILURE
        }
    }
}
