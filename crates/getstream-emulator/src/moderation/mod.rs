//! Moderation: bulk image moderation (`POST /api/v2/moderation/bulk_image_moderation`), a
//! task that reads a CSV of image URLs, fetches each image within bounds, and leaves a
//! results CSV behind a signed link. What it may fetch: `policy`; its bounds: [`FetchLimits`];
//! its verdict rule: `verdict`; the files: `csv`. The crate's `docs/moderation.md` tells it
//! all for users.

pub(crate) mod cli_args;
mod csv;
mod fetch;
pub(crate) mod handler;
pub(crate) mod job;
pub(crate) mod limits;
mod policy;
mod verdict;

pub use cli_args::FetchArgs;
pub(crate) use limits::FetchPolicy;
pub use limits::{
    DEFAULT_FETCH_CONCURRENCY, DEFAULT_FETCH_TIMEOUT, DEFAULT_MAX_CSV_BYTES, DEFAULT_MAX_CSV_ROWS,
    DEFAULT_MAX_IMAGE_BYTES, DEFAULT_TASK_TIMEOUT, FetchLimits,
};
