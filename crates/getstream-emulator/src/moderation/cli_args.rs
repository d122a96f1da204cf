//! The command-line flags of bulk image moderation's fetches.

use std::time::Duration;

use super::limits::{
    DEFAULT_FETCH_CONCURRENCY, DEFAULT_MAX_CSV_BYTES, DEFAULT_MAX_CSV_ROWS,
    DEFAULT_MAX_IMAGE_BYTES, FetchLimits,
};
use crate::config::EmulatorConfig;

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (e.g. 500ms, 2s)"))
}

/// Where bulk image moderation may fetch from, and how much (flattened into
/// [`Args`](crate::cli::Args)).
#[derive(Debug, Clone, clap::Args)]
pub struct FetchArgs {
    /// Let bulk image moderation fetch URLs off loopback (default: only localhost,
    /// 127.0.0.0/8 and ::1; other hosts are refused before any lookup or connection).
    #[arg(long)]
    pub allow_remote_fetch: bool,
    /// Largest CSV of image URLs read, in bytes (past it the task fails).
    #[arg(long, default_value_t = DEFAULT_MAX_CSV_BYTES)]
    pub fetch_max_csv_bytes: u64,
    /// Most image URLs in one CSV (past it the task fails).
    #[arg(long, default_value_t = DEFAULT_MAX_CSV_ROWS)]
    pub fetch_max_rows: usize,
    /// Largest image read, in bytes (past it that image's row is an error).
    #[arg(long, default_value_t = DEFAULT_MAX_IMAGE_BYTES)]
    pub fetch_max_image_bytes: u64,
    /// Longest one fetch (the CSV, or one image) may take.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub fetch_timeout: Duration,
    /// Longest a whole bulk image moderation task may take.
    #[arg(long, value_parser = parse_duration, default_value = "10m")]
    pub fetch_task_timeout: Duration,
    /// Images fetched at once by one task.
    #[arg(long, default_value_t = DEFAULT_FETCH_CONCURRENCY,
          value_parser = clap::value_parser!(usize))]
    pub fetch_concurrency: usize,
}

impl FetchArgs {
    /// `config` with these settings.
    pub fn apply(&self, config: EmulatorConfig) -> EmulatorConfig {
        config
            .allow_remote_fetch(self.allow_remote_fetch)
            .fetch_limits(FetchLimits {
                max_csv_bytes: self.fetch_max_csv_bytes,
                max_csv_rows: self.fetch_max_rows,
                max_image_bytes: self.fetch_max_image_bytes,
                fetch_timeout: self.fetch_timeout,
                task_timeout: self.fetch_task_timeout,
                concurrency: self.fetch_concurrency,
            })
    }
}
