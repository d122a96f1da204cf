//! The options of `getstream-bench all`, which the run and the report both read.

use std::path::PathBuf;
use std::time::Duration;

/// Options of `getstream-bench all`.
#[derive(Debug, clap::Args)]
pub struct AllArgs {
    /// The emulator binary (default: `getstream-emulator` next to this binary).
    #[arg(long)]
    pub(crate) emulator: Option<PathBuf>,
    /// Python of a virtualenv with `getstream` installed; without it the Python rows are skipped.
    #[arg(long)]
    pub(crate) python: Option<PathBuf>,
    /// Folder of the Python bench scripts.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/python"))]
    pub(crate) python_dir: PathBuf,
    /// Sequential get_task calls per client (bench 1).
    #[arg(long, default_value_t = 20_000)]
    pub(crate) polls: u32,
    /// Concurrent waits, ours (bench 2).
    #[arg(long, default_value_t = 10_000)]
    pub(crate) waits: u32,
    /// Concurrent waits, Python (bench 2).
    #[arg(long, default_value_t = 10_000)]
    pub(crate) python_waits: u32,
    /// Each bench-2 task completes this long after it is created.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub(crate) complete_after: Duration,
    /// The waits of bench 2 are started in batches spread over this long.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    pub(crate) stagger: Duration,
    /// Longest a Python child may run (it is killed then, and reported as such).
    #[arg(long, default_value = "100s", value_parser = humantime::parse_duration)]
    pub(crate) python_cap: Duration,
    /// A second, smaller Python run of bench 2 that can finish (0: skip).
    #[arg(long, default_value_t = 1_000)]
    pub(crate) python_waits_small: u32,
    /// Timed-out waits per client in bench 3 (Python: 1, as each costs its 30 s request timeout).
    #[arg(long, default_value_t = 5)]
    pub(crate) overshoot_runs: u32,
    /// Repetitions of each completion time in bench 4.
    #[arg(long, default_value_t = 2)]
    pub(crate) detect_reps: u32,
    /// Connections of the load generator (bench 5).
    #[arg(long, default_value_t = 16)]
    pub(crate) connections: usize,
    /// Length of one load phase (bench 5); phases alternate emulator / bare.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    pub(crate) load_phase: Duration,
    /// Rounds of (emulator, bare) phases (bench 5).
    #[arg(long, default_value_t = 5)]
    pub(crate) load_rounds: u32,
    /// Channels of the batch update (bench 10; 0: skip).
    #[arg(long, default_value_t = 10_000)]
    pub(crate) batch_channels: usize,
    /// Also write the markdown to this file.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Also write the raw figures (JSON) to this file.
    #[arg(long)]
    pub(crate) json_out: Option<PathBuf>,
}

/// Completion times of bench 4.
pub const COMPLETIONS_MS: [u64; 7] = [300, 800, 1_600, 2_500, 4_200, 6_500, 9_700];
