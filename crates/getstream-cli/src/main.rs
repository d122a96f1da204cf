//! `getstream`: start Stream's batch jobs (delete, export or batch-update channels, export,
//! delete, deactivate or reactivate users, import block-list words, delete feeds or a user's
//! feed data, moderate images in bulk), wait for their tasks with a live progress display, run the
//! local emulator, and tell the whole story with `getstream demo`.
//!
//! ```text
//! getstream demo                                  # no network, no credentials
//! getstream tasks wait TASK_ID --timeout 5m
//! getstream export channels messaging:general --download general.json
//! getstream channels delete messaging:old --hard
//! ```
//!
//! Credentials come from `--api-key/--api-secret/--base-url` or `STREAM_API_KEY`,
//! `STREAM_API_SECRET`, `STREAM_BASE_URL`. Exit codes: 0 completed, 1 task failed, 2 usage or
//! argument error, 3 gave up waiting (the task may still be running), 4 API error, 5
//! transport error, 130 cancelled (Ctrl-C).

mod batch_result;
mod cli;
mod cmd;
mod download;
mod error;
mod escape;
mod export_file;
mod flags;
mod items;
mod output;
mod parse;
#[cfg(test)]
mod parse_props;
mod progress;
mod render;
mod start;
mod word_file;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::{CliError, exit, one_line_chain};
use crate::output::Ctx;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with 0; usage errors to stderr with 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(exit::USAGE));
        }
    };
    let ctx = Ctx::new(cli.json);
    let command = cli.command;
    init_logging(&command);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("getstream: could not start the async runtime: {e}");
            return ExitCode::from(exit::FAILED);
        }
    };
    let outcome = runtime.block_on(run(&ctx, command));
    match outcome {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            report(&ctx, &e);
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs a command; Ctrl-C ends it with [`CliError::Cancelled`] (the emulator handles Ctrl-C
/// itself, as a graceful shutdown).
async fn run(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    if let Command::Emulator(cmd) = command {
        return cmd::emulator::run(cmd).await;
    }
    let work = async {
        match command {
            Command::Tasks(cmd) => cmd::tasks::run(ctx, cmd).await,
            Command::Channels(cmd) => cmd::channels::run(ctx, cmd).await,
            Command::Blocklists(cmd) => cmd::blocklists::run(ctx, cmd).await,
            Command::Export(cmd) => cmd::export::run(ctx, cmd).await,
            Command::Users(cmd) => cmd::users::run(ctx, cmd).await,
            Command::Feeds(cmd) => cmd::feeds::run(ctx, cmd).await,
            Command::Moderation(cmd) => cmd::moderation::run(ctx, cmd).await,
            Command::Calls(cmd) => cmd::calls::run(ctx, cmd).await,
            Command::Demo(args) => cmd::demo::run(ctx, args).await,
            Command::Webhook(cmd) => cmd::webhook::run(ctx, cmd).await,
            Command::Emulator(_) => Ok(()),
        }
    };
    tokio::select! {
        outcome = work => outcome,
        signal = tokio::signal::ctrl_c() => match signal {
            Ok(()) => Err(CliError::Cancelled { task_id: ctx.current_task() }),
            // No signal handling available: just keep working.
            Err(_) => std::future::pending().await,
        },
    }
}

/// Reports an error: a JSON object on stdout with `--json`, and always one line (plus a hint)
/// on stderr.
fn report(ctx: &Ctx, e: &CliError) {
    // Items that failed in a completed job: the task was printed already.
    if ctx.json && !matches!(e, CliError::ItemsFailed { .. }) {
        // Best effort: a closed stdout must not hide the exit code.
        let _ = ctx.json(&e.to_json());
    }
    // Messages and details quote the server (an error description, a stack trace).
    eprintln!("getstream: error: {}", escape::field(&one_line_chain(e)));
    if !ctx.json {
        for line in e.details() {
            eprintln!("{}", escape::lines(&line));
        }
    }
    if let Some(hint) = e.hint() {
        eprintln!("getstream: {}", escape::field(&hint));
    }
}

fn init_logging(command: &Command) {
    let default = if matches!(command, Command::Emulator(_)) {
        "info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(filter)
        .init();
}
