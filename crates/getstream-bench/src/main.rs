//! `getstream-bench`: measures the `getstream` SDK and the emulator on loopback, side by
//! side with Stream's official Python SDK, and prints a markdown table.
//!
//! Run everything with `scripts/bench.sh` (builds `--release`, sets up the Python
//! virtualenv, runs `getstream-bench all`). The subcommands other than `all` are the
//! single measurements that `all` runs in child processes, so that CPU time and memory
//! are those of one client process only. Not run by CI (it takes minutes), except
//! `soak` (the emulator under load, faults and bad input: `src/soak/`), which
//! `tests/soak.rs` runs for a minute.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use clap::{Parser, Subcommand};
use serde_json::Value;

mod all;
mod batch;
mod batch_row;
mod cells;
mod child;
mod detect;
mod emu;
mod feeds;
mod heap;
mod jobs;
mod load;
mod measure;
mod overshoot;
mod paced;
mod push;
mod redis_events;
mod roundtrip;
mod scale;
mod soak;
mod waits;

/// Counts heap bytes for bench 2's allocator-independent figure (off by default).
#[global_allocator]
static ALLOCATOR: heap::Counting = heap::Counting;

/// Errors of the bench: reported, never panicked.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Parser)]
#[command(
    name = "getstream-bench",
    about = "Benchmarks of the getstream SDK and emulator (loopback only)"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

/// The emulator to talk to, for the single measurements (same variables as the SDK).
#[derive(Debug, clap::Args)]
struct TargetArgs {
    #[arg(long, env = "STREAM_BASE_URL")]
    base_url: String,
    #[arg(long, env = "STREAM_API_KEY")]
    api_key: String,
    #[arg(long, env = "STREAM_API_SECRET", hide_env_values = true)]
    api_secret: String,
}

impl TargetArgs {
    fn target(&self) -> emu::Target {
        emu::Target {
            base_url: self.base_url.clone(),
            api_key: self.api_key.clone(),
            api_secret: self.api_secret.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Everything: starts the emulator (release binary), runs each bench, prints the table.
    All(all::AllArgs),
    /// Bench 1, one client: sequential get_task round trips.
    Roundtrip {
        #[command(flatten)]
        target: TargetArgs,
        /// Clients to measure, taking turns (comma-separated).
        #[arg(long = "impl", value_enum, value_delimiter = ',', required = true)]
        which: Vec<roundtrip::Impl>,
        #[arg(long)]
        task_id: String,
        #[arg(long, default_value_t = 20_000)]
        n: u32,
        #[arg(long, default_value_t = 500)]
        warmup: u32,
        /// Turns the clients take (each makes n / chunks calls per turn).
        #[arg(long, default_value_t = 20)]
        chunks: u32,
        /// Run the client on a current-thread runtime instead of a multi-thread one.
        #[arg(long)]
        current_thread: bool,
    },
    /// Bench 2, ours: concurrent waits on scripted tasks `{prefix}0..{prefix}{n-1}`.
    Waits {
        #[command(flatten)]
        target: TargetArgs,
        #[arg(long)]
        prefix: String,
        #[arg(long, default_value_t = 10_000)]
        n: u32,
        #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
        stagger: Duration,
        /// Each wait's poll interval.
        #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
        interval: Duration,
        #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
        timeout: Duration,
        /// Count polls and poll errors (an on_poll callback per wait) and report them.
        #[arg(long)]
        diagnose: bool,
        /// Give the client a TaskEvents hub (push on; no event is published).
        #[arg(long)]
        task_events: bool,
        /// First create the scripted tasks (admin API), each `running` this long, then
        /// `completed`: to run this bench alone against `getstream-emulator --admin`.
        #[arg(long, value_parser = humantime::parse_duration)]
        script: Option<Duration>,
        /// Do not sample this process's sockets from a thread of its own (whose
        /// stack and buffers would count in the memory measured): `scale`
        /// samples them from the parent process instead.
        #[arg(long)]
        no_socket_sampler: bool,
    },
    /// Bench 3, ours: waits with a timeout on a task whose status requests hang.
    Overshoot {
        #[command(flatten)]
        target: TargetArgs,
        #[arg(long)]
        task_id: String,
        #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
        timeout: Duration,
        #[arg(long, default_value_t = 5)]
        runs: u32,
    },
    /// Bench 6: detection latency and requests per wait with push on (webhook events
    /// from an in-process emulator wake `long_running()` waits) vs fixed 1 s without.
    Push {
        /// Channels per export; each takes 100 ms, so 3..97 finish at 0.3..9.7 s.
        #[arg(long, value_delimiter = ',', default_values_t = [3, 8, 16, 25, 42, 65, 97])]
        channels: Vec<usize>,
        /// Exports per channel count and variant.
        #[arg(long, default_value_t = 5)]
        reps: u32,
    },
    /// Bench 7: a wait (polling every 30 s) woken by an event through Redis vs in
    /// process: detection latency and Redis bytes per wait (needs a redis-server).
    RedisEvents {
        /// The Redis to use (e.g. `redis://127.0.0.1:6379/`; its INFO counters are read).
        #[arg(long)]
        redis: String,
        #[arg(long, default_value_t = 200)]
        n: u32,
    },
    /// Bench 2 at scale (issue 13): its own emulator, `n` scripted tasks, the
    /// `waits` subcommand in a child process.
    Scale(scale::ScaleArgs),
    /// Bench 8 (issue 16): many waits through a rate-limited task route, both
    /// ways of waiting, each against an emulator of its own.
    Paced(paced::PacedArgs),
    /// Bench 9 (issue 12): task polls while two big exports run, SIGTERM during exports,
    /// peak RSS of a 100k-message export vs its file size (own emulator processes).
    Jobs(jobs::JobsArgs),
    /// Bench 10 (issue 24): a channel batch update over 10,000 channels (own
    /// emulator process): time to completed, task polls meanwhile, peak RSS.
    Batch(batch::BatchArgs),
    /// Bench 11 (issue 25): a hard delete of a user's feed data with 100,000 activities
    /// (own emulator process): time to completed, task polls meanwhile, peak RSS.
    Feeds(feeds::FeedsArgs),
    /// The soak (issue 12): the emulator as its own process under a mixed load
    /// with faults and bad input; checks its invariants, prints its figures.
    Soak(soak::SoakArgs),
    /// The emulator, as `getstream-emulator` (the same library and options): the
    /// soak's emulator process when no `--emulator` binary is given.
    #[command(hide = true)]
    Emulator(Box<getstream_emulator::cli::Args>),
    /// Bench 5: the emulator's GET /api/v2/tasks/{id} vs a bare axum route, in this process.
    Load {
        #[arg(long, default_value_t = 16)]
        connections: usize,
        #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
        phase: Duration,
        #[arg(long, default_value_t = 2)]
        rounds: u32,
    },
}

fn async_runtime() -> Result<tokio::runtime::Runtime, BoxError> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn run(cmd: Cmd) -> Result<Value, BoxError> {
    match cmd {
        Cmd::All(args) => all::all(args).map(|()| Value::Null),
        Cmd::Roundtrip {
            target,
            which,
            task_id,
            n,
            warmup,
            chunks,
            current_thread,
        } => {
            let rt = if current_thread {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?
            } else {
                async_runtime()?
            };
            rt.block_on(roundtrip::run(
                &target.target(),
                &which,
                &task_id,
                n,
                warmup,
                chunks,
            ))
        }
        Cmd::Waits {
            target,
            prefix,
            n,
            stagger,
            interval,
            timeout,
            diagnose,
            task_events,
            script,
            no_socket_sampler,
        } => async_runtime()?.block_on(waits::run(
            &target.target(),
            &prefix,
            n,
            stagger,
            interval,
            timeout,
            waits::Extra {
                task_events,
                script,
                diagnose,
                socket_sampler: !no_socket_sampler,
            },
        )),
        Cmd::Overshoot {
            target,
            task_id,
            timeout,
            runs,
        } => async_runtime()?.block_on(overshoot::run(&target.target(), &task_id, timeout, runs)),
        Cmd::Push { channels, reps } => async_runtime()?.block_on(push::run(&channels, reps)),
        Cmd::RedisEvents { redis, n } => async_runtime()?.block_on(redis_events::run(&redis, n)),
        Cmd::Scale(args) => async_runtime()?.block_on(scale::run(args)),
        Cmd::Paced(args) => async_runtime()?.block_on(paced::run(args)),
        Cmd::Jobs(args) => async_runtime()?.block_on(jobs::run(args)),
        Cmd::Batch(args) => async_runtime()?.block_on(batch::run(args)),
        Cmd::Feeds(args) => async_runtime()?.block_on(feeds::run(args)),
        Cmd::Soak(args) => async_runtime()?.block_on(soak::run(args)),
        Cmd::Emulator(args) => async_runtime()?
            .block_on(getstream_emulator::cli::run(*args))
            .map(|()| Value::Null)
            .map_err(|e| getstream_emulator::report::one_line_chain(&e).into()),
        Cmd::Load {
            connections,
            phase,
            rounds,
        } => load::run(connections, phase, rounds),
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // `all` prints its own report; `emulator` owns stdout (its contract).
    let is_all = matches!(cli.command, Cmd::All(_) | Cmd::Emulator(_));
    match run(cli.command) {
        Ok(value) => {
            if !is_all {
                println!("{value}");
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            if is_all {
                eprintln!("getstream-bench: {e}");
            } else {
                println!("{}", serde_json::json!({"error": e.to_string()}));
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// A command that runs this binary with `args`, against `target`.
fn self_command(target: &emu::Target, args: &[&str]) -> Result<Command, BoxError> {
    let mut command = Command::new(std::env::current_exe()?);
    command
        .args(args)
        .env("STREAM_BASE_URL", &target.base_url)
        .env("STREAM_API_KEY", &target.api_key)
        .env("STREAM_API_SECRET", &target.api_secret);
    Ok(command)
}

/// A command that runs `python script args`, against `target`.
fn python_command(
    python: &PathBuf,
    script: PathBuf,
    target: &emu::Target,
    args: &[&str],
) -> Command {
    let mut command = Command::new(python);
    command
        .arg(script)
        .args(args)
        .env("STREAM_BASE_URL", &target.base_url)
        .env("STREAM_API_KEY", &target.api_key)
        .env("STREAM_API_SECRET", &target.api_secret)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    command
}
