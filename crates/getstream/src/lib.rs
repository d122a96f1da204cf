//! A Rust client for [Stream](https://getstream.io)'s server-side API, built
//! around its asynchronous tasks.
//!
//! Batch jobs — hard-deleting channels, exporting channels or users, deleting
//! users — answer at once with a `task_id` and run in the background. This crate
//! waits on such a task for you: it returns the completed [`Task`], or a typed
//! error saying whether the task failed, the wait ran out of time, or the status
//! request itself failed.
//!
//! # Waiting on a task
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = doc_support::serve(&["running", "completed"]).await;
//! use getstream::{Client, Error};
//!
//! let client = Client::builder("api-key", "api-secret")
//! #   .base_url(server.as_str())
//!     .build()?;
//! let task_id = "2f3c7b6e-task";
//! match client.wait_for_task(task_id).await {
//!     Ok(task) => {
//!         // task.status == TaskStatus::Completed
//!         println!("done: {:?}", task.result);
//!     }
//!     Err(Error::Task(e)) => {
//!         // the task ended with status "failed"
//!         println!("task {} failed: {}", e.task_id(), e.description());
//!     }
//!     Err(Error::Transport(e)) if e.is_timeout() => {
//!         // the wait elapsed; the task may still be running on the server:
//!         // wait again on the same id to resume
//!     }
//!     Err(other) => return Err(other.into()),
//! }
//! # Ok(()) }
//! # mod doc_support { include!("../tests/sdk/doc_server.rs"); }
//! ```
//!
//! | task outcome | what you get |
//! |---|---|
//! | `completed` | `Ok(Task)`, the result in [`Task::result`] |
//! | `failed` | [`Error::Task`]: `task_id()`, `error_type()`, `description()`, `stack_trace()`, `version()` |
//! | deadline passed | [`Error::Transport`] with `is_timeout()`, the last status seen, polls, elapsed time |
//! | the status request failed for good (401, 404, …) | [`Error::Api`] with `status_code()`, `code()`, `message()` |
//!
//! # Starting a task and waiting for its typed result
//!
//! The operations that start tasks check their arguments (1..=100 cids, each
//! `type:id`; 1..=25 user ids to export; no empty ids) before sending, and
//! give a [`TaskHandle`] whose `wait()` — the same builder, with the same
//! knobs — decodes the completed task's result:
//!
//! | operation | answers | `handle.wait()` gives |
//! |---|---|---|
//! | `client.chat().export_channels(..)` | [`TaskStarted`] | [`ExportResult`] (`url`) |
//! | `client.chat().delete_channels(..)` | [`DeleteChannelsResponse`] (per-cid `result`; a task only for a hard delete) | [`DeleteChannelsResult`] |
//! | `client.export_users(..)` | [`TaskStarted`] | [`ExportResult`] |
//! | `client.delete_users(..)` | [`TaskStarted`] | [`DeleteUsersResult`] |
//! | `client.deactivate_users(..)`, `client.reactivate_users(..)` | [`TaskStarted`] | `serde_json::Value` (undocumented shape) |
//!
//! This runs against the crate's local emulator (`getstream-emulator`), as your
//! tests can:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # use getstream_emulator::{Emulator, EmulatorConfig, Pace, SeedSpec};
//! # let emulator = Emulator::start(EmulatorConfig::new().pace(Pace::instant())).await?;
//! # let seed = SeedSpec { users: 2, channels: 2, messages: 3 };
//! # emulator.state().seed(emulator.api_key(), seed)?;
//! # let (api_key, api_secret) = (emulator.api_key(), emulator.api_secret());
//! use std::time::Duration;
//! use getstream::{Client, DeleteChannelsRequest, ExportChannelsRequest};
//!
//! let client = Client::builder(api_key, api_secret)
//! #   .base_url(emulator.base_url())
//!     .build()?;
//!
//! // Export two channels, then wait for the download link.
//! let started = client
//!     .chat()
//!     .export_channels(ExportChannelsRequest::new(["messaging:seed-1", "messaging:seed-2"]))
//!     .await?;
//! println!("export task {}", started.task_id);
//! let export = started
//!     .handle()
//!     .wait()
//!     .interval(Duration::from_millis(200))
//!     .timeout(Duration::from_secs(120))
//!     .await?;
//! assert!(!export.url.is_empty());
//!
//! // Hard-delete a channel: the per-cid result comes at once, the removal
//! // runs in a task.
//! let deleted = client
//!     .chat()
//!     .delete_channels(DeleteChannelsRequest::new(["messaging:seed-1"]).hard_delete(true))
//!     .await?;
//! if let Some(task) = deleted.task() {
//!     let result = task.wait().await?;
//!     assert!(result.get("messaging:seed-1").unwrap().is_ok());
//! }
//! # emulator.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! A failed task is an [`Error::Task`] as above; a completed task whose result
//! does not have the expected shape is an [`Error::Decode`] (read the raw
//! [`Task`] with `handle.get()`). To resume a wait later, keep the id and
//! rebuild the handle: `TaskHandle::<ExportResult>::new(&client, id)`. The
//! [`blocking`] client has the same operations, finished by `.send()`:
//! `client.chat().export_channels(req)?.handle().wait().send()?`.
//!
//! # Defaults and knobs
//!
//! Polls every second for up to 60 seconds. Override either:
//!
//! ```no_run
//! # async fn demo(client: getstream::Client) -> getstream::Result<()> {
//! use std::time::Duration;
//! let task = client
//!     .wait_for_task("task-id")
//!     .interval(Duration::from_secs(5))
//!     .timeout(Duration::from_secs(600))
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! The deadline is a promise: every sleep and every HTTP request is capped by
//! the time left, so a server that stops answering cannot hold you past it.
//! Transient poll errors (connection refused or reset, 5xx, 429) are retried
//! inside the deadline, honouring `Retry-After` and `X-RateLimit-Reset`;
//! `.abort_on_error(true)` restores the official SDKs' behaviour of giving up on
//! the first error.
//!
//! # Polling by hand
//!
//! For a loop of your own (custom back-off, progress logging), call
//! [`Client::get_task`]; the helper is a convenience over the same endpoint.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = doc_support::serve(&["waiting", "completed"]).await;
//! # let client = getstream::Client::builder("api-key", "api-secret").base_url(server.as_str()).build()?;
//! # let task_id = "t1";
//! # tokio::time::pause();
//! use std::time::Duration;
//!
//! let task = loop {
//!     let task = client.get_task(task_id).await?;
//!     if task.status.is_terminal() {
//!         break task;
//!     }
//!     tokio::time::sleep(Duration::from_secs(1)).await;
//! };
//! assert_eq!(task.status, getstream::TaskStatus::Completed);
//! # Ok(()) }
//! # mod doc_support { include!("../tests/sdk/doc_server.rs"); }
//! ```
//!
//! # Without async
//!
//! The [`blocking`] client (feature `blocking`, on by default) takes the same
//! parameters and returns the same errors:
//!
//! ```no_run
//! # #[cfg(feature = "blocking")]
//! # fn main() -> Result<(), getstream::Error> {
//! let client = getstream::blocking::Client::new("api-key", "api-secret")?;
//! let task = client.wait_for_task("task-id").send()?;
//! # Ok(()) }
//! # #[cfg(not(feature = "blocking"))]
//! # fn main() {}
//! ```
//!
//! # Runtime
//!
//! The async client runs on [tokio](https://tokio.rs): await it inside a tokio
//! runtime with I/O and time enabled (e.g. `#[tokio::main]`). Its timers follow
//! tokio's clock, so tests on tokio's paused clock see exact timings.
//!
//! # Configuration
//!
//! [`Client::from_env`] reads `STREAM_API_KEY`, `STREAM_API_SECRET` and
//! (optionally) `STREAM_BASE_URL`. [`Client::builder`] sets the base URL
//! (default `https://chat.stream-io-api.com`), the per-request timeout (30 s)
//! and the connect timeout (10 s). The API secret and the server token never
//! appear in `Debug`, `Display`, logs or errors.

#![deny(missing_docs)]

mod auth;
#[cfg(feature = "blocking")]
pub mod blocking;
mod client;
mod error;
mod models;
mod ops;
mod tasks;
mod transport;

pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT,
};
pub use error::{
    ApiError, CancelledError, DecodeError, Error, InvalidArgumentError, Result, TaskError,
    TransportError,
};
pub use models::{ErrorResult, RateLimitInfo, Task, TaskStatus, Timestamp};
pub use ops::{
    ChannelRef, Chat, DeactivateUsersRequest, DeleteChannelsRequest, DeleteChannelsResponse,
    DeleteChannelsResult, DeleteMode, DeleteUsersRequest, DeleteUsersResult, ExportChannelsRequest,
    ExportFormat, ExportResult, ExportUsersRequest, ItemResult, ItemStatus, MAX_CHANNELS,
    MAX_EXPORT_USERS, MAX_USERS, ReactivateUsersRequest, TaskHandle, TaskStarted,
};
pub use tasks::get::POLL_ATTEMPT_HEADER;
pub use tasks::many::{DEFAULT_WAIT_CONCURRENCY, TaskOutcome, WaitForTasks};
pub use tasks::policy::PollPolicy;
pub use tasks::wait::{
    DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT, LAST_POLL_BUDGET, Observation, Polled,
    WaitForTask, WatchEvent, WatchTask,
};
/// The cancellation token of [`WaitForTask::cancel_on`] (tokio-util's, the
/// ecosystem's vocabulary for cooperative cancellation).
pub use tokio_util::sync::CancellationToken;
pub use transport::Response;
