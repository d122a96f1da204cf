//! Handlers of Stream's API, one file per resource (as the SDK's `ops/`), and the admin API.
//!
//! The routes that reach them are listed in `http/router.rs`.

pub(crate) mod admin;
pub(crate) mod blocklists;
pub(crate) mod channel_batch;
mod channel_batch_job;
mod channel_input;
pub(crate) mod channel_query;
pub(crate) mod channel_update;
pub(crate) mod channels;
mod check;
pub(crate) mod exports;
pub(crate) mod memberships;
mod reply;
pub(crate) mod resume;
pub(crate) mod starter;
pub(crate) mod tasks;
pub(crate) mod truncate;
pub(crate) mod user_jobs;
pub(crate) mod user_lifecycle;
pub(crate) mod users;

/// Most channels per delete/export request.
pub(crate) const MAX_CHANNELS: usize = 100;
/// Most user ids per delete/deactivate/reactivate request.
pub(crate) const MAX_USERS: usize = 100;
/// Longest message text.
pub(crate) const MAX_MESSAGE_LENGTH: usize = 5000;
