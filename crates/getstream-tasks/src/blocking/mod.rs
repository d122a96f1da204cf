//! A blocking client, for programs without an async runtime (cargo feature
//! `blocking`, opt-in: `getstream-tasks = { version = "0.1", features = ["blocking"] }`).
//!
//! [`Client`] wraps the async [`crate::Client`] and runs it on a runtime thread of
//! its own (as `reqwest::blocking` does): same constructors, same defaults, same
//! errors. Clones share the thread and the connection pool; the thread ends when
//! the last clone is dropped.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! let client = getstream_tasks::blocking::Client::from_env()?;
//! let task = client
//!     .wait_for_task("task-id")
//!     .interval(Duration::from_secs(5))
//!     .timeout(Duration::from_secs(600))
//!     .send()?;
//! println!("{}", task.status);
//! # Ok::<(), getstream_tasks::Error>(())
//! ```
//!
//! Waits take the same knobs as the async ones — [`WaitForTask::policy`],
//! timeouts, `on_poll` — plus [`WaitForTask::cancel_on`] to stop a wait from
//! another thread (it ends with [`Error::Cancelled`](crate::Error::Cancelled), never a timeout) and
//! [`WaitForTask::watch`], an iterator of poll events for a progress display.
//!
//! # Panics
//!
//! Calling a blocking method ([`Client::get_task`], [`WaitForTask::send`],
//! iterating a [`WatchTask`]) on a thread that runs async tasks — inside an
//! `async fn` or a future polled by a tokio runtime — panics with a message
//! saying so, instead of stalling or deadlocking the runtime: use the async
//! [`crate::Client`] there. Blocking is allowed, and the blocking client works,
//! everywhere else: plain threads, `tokio::task::spawn_blocking` and
//! `tokio::task::block_in_place` (the distinction tokio's own `blocking_recv`
//! makes). Building, cloning and dropping the client are fine anywhere.
//! (Built with `panic = "abort"`, the refusal aborts the process.)
//!
//! The folder: `client.rs` (the client and its runtime thread), `builder.rs`,
//! `wait.rs` (blocking waits and watches), `ops.rs` (the mirror of the
//! task-starting operations and their handles), `lifecycle.rs` and `jobs24.rs`
//! (the mirror of the calls around the jobs and of issue 24's jobs).

mod builder;
mod client;
mod feeds;
mod jobs24;
mod lifecycle;
mod moderation;
mod ops;
mod video;
mod wait;

pub use builder::ClientBuilder;
pub use client::Client;
pub use feeds::Feeds;
pub use jobs24::{ChannelBatchUpdateResponse, UpdateUsersResponse};
pub use moderation::Moderation;
pub use ops::{Chat, DeleteChannelsResponse, TaskHandle, TaskStarted};
pub use video::{DeleteCallResponse, Video};
pub use wait::{WaitForTask, WatchTask};
