//! What bulk image moderation may fetch, and how much: [`FetchLimits`] and the
//! [`EmulatorConfig`] settings that carry them.

use std::time::Duration;

/// Largest CSV file of image URLs read by default: 10 MiB.
pub const DEFAULT_MAX_CSV_BYTES: u64 = 10 * 1024 * 1024;
/// Most image URLs one CSV may list by default.
pub const DEFAULT_MAX_CSV_ROWS: usize = 10_000;
/// Largest image read by default: 20 MiB.
pub const DEFAULT_MAX_IMAGE_BYTES: u64 = 20 * 1024 * 1024;
/// Longest one fetch (the CSV, or one image: connect, head and body) may take by default.
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a whole bulk image moderation task may take by default.
pub const DEFAULT_TASK_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// Images fetched at once by one task by default.
pub const DEFAULT_FETCH_CONCURRENCY: usize = 4;

/// The bounds of the fetches a bulk image moderation task makes (the CSV, then each image).
///
/// Past a CSV-level bound (its size, its row count, its fetch time, the task's total time)
/// the task ends `failed` with a description naming the bound; past an image-level bound
/// (its size, its fetch time) that image's row in the results file is an `error`.
///
/// ```
/// use std::time::Duration;
/// use getstream_emulator::{EmulatorConfig, FetchLimits};
///
/// let config = EmulatorConfig::new().fetch_limits(FetchLimits {
///     max_csv_rows: 100,
///     fetch_timeout: Duration::from_secs(2),
///     ..FetchLimits::default()
/// });
/// assert_eq!(config.current_fetch_limits().max_csv_rows, 100);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    /// Largest CSV read, in bytes ([`DEFAULT_MAX_CSV_BYTES`]).
    pub max_csv_bytes: u64,
    /// Most image URLs in one CSV ([`DEFAULT_MAX_CSV_ROWS`]).
    pub max_csv_rows: usize,
    /// Largest image read, in bytes ([`DEFAULT_MAX_IMAGE_BYTES`]).
    pub max_image_bytes: u64,
    /// Longest one fetch may take ([`DEFAULT_FETCH_TIMEOUT`]).
    pub fetch_timeout: Duration,
    /// Longest the whole task may take ([`DEFAULT_TASK_TIMEOUT`]).
    pub task_timeout: Duration,
    /// Images fetched at once by one task, at least 1 ([`DEFAULT_FETCH_CONCURRENCY`]).
    pub concurrency: usize,
}

impl Default for FetchLimits {
    fn default() -> Self {
        Self {
            max_csv_bytes: DEFAULT_MAX_CSV_BYTES,
            max_csv_rows: DEFAULT_MAX_CSV_ROWS,
            max_image_bytes: DEFAULT_MAX_IMAGE_BYTES,
            fetch_timeout: DEFAULT_FETCH_TIMEOUT,
            task_timeout: DEFAULT_TASK_TIMEOUT,
            concurrency: DEFAULT_FETCH_CONCURRENCY,
        }
    }
}

/// Where the emulator may fetch from, and how much: kept in [`EmulatorConfig`](crate::EmulatorConfig).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FetchPolicy {
    /// Whether URLs off loopback may be fetched.
    pub allow_remote: bool,
    /// The bounds.
    pub limits: FetchLimits,
}
