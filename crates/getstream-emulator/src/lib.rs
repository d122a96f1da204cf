//! A local server that speaks Stream's (getstream.io) server-side API dialect and really runs
//! its batch jobs as background tasks — for demos, for our tests and for yours.
//!
//! Point any Stream server SDK (the official Python `getstream` package, our Rust SDK, `curl`)
//! at [`EmulatorHandle::base_url`] with the emulator's API key and secret. It serves:
//!
//! | method + path | what it does |
//! |---|---|
//! | `POST /api/v2/users` | upsert users |
//! | `GET /api/v2/users?payload=` | query users (filters on `id` and `role`) |
//! | `DELETE /api/v2/chat/channels/{type}/{id}` | delete one channel at once (`?hard_delete=true`) |
//! | `POST /api/v2/chat/channels/{type}/{id}/query` | get or create a channel (with `data.members`) |
//! | `POST /api/v2/chat/channels/{type}/{id}/message` | send a message |
//! | `POST /api/v2/chat/channels/delete` | delete channels: soft at once, hard in a task |
//! | `POST /api/v2/chat/export_channels` | export channels (a task; `result.url` downloads the file) |
//! | `POST /api/v2/export/users` | export users and their messages (a task) |
//! | `POST /api/v2/users/delete` | delete users (a task) |
//! | `POST /api/v2/users/deactivate`, `/reactivate` | (de)activate users (tasks) |
//! | `GET /api/v2/tasks/{id}` | task status: `pending` → `running` → `completed`/`failed` |
//! | `GET /_emulator/exports/{token}.json` | export files (no API auth; the token is unguessable) |
//! | v1 paths: `GET /tasks/{id}`, `POST /users`, `/channels/{type}/{id}/query`, `/channels/{type}/{id}/message`, `/channels/delete`, `/export_channels`, `/users/delete`, `/users/deactivate`, `/users/reactivate` | the same, for the legacy `stream-chat` SDKs (task timestamps in RFC 3339) |
//! | `GET /_emulator/health` | liveness |
//! | `/_emulator/…` | the admin API, when enabled (below) |
//!
//! Requests authenticate as Stream's do: `?api_key=` names a configured app and
//! `Authorization` carries an HS256 JWT signed with that app's secret (raw, or after `Bearer `),
//! with `stream-auth-type: jwt`. Every error is Stream's `APIError` envelope
//! (`code`, `message`, `StatusCode`, `duration`, `more_info`, `details`, `exception_fields`);
//! every response carries `X-RateLimit-Limit/Remaining/Reset`.
//! The whole dialect, as the SDK and this emulator speak it: the repository's `docs/stream-wire.md`.
//!
//! # Start one in a test
//!
//! ```
//! use getstream_emulator::{Emulator, EmulatorConfig, Pace};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::start(EmulatorConfig::new().pace(Pace::instant())).await?;
//! assert!(emulator.base_url().starts_with("http://127.0.0.1:"));
//! let key = emulator.api_key().to_owned();
//! // ... point a client at emulator.base_url() with key and emulator.api_secret() ...
//! emulator.shutdown().await;
//! # let _ = key;
//! # Ok(())
//! # }
//! ```
//!
//! # Test handlers without a socket
//!
//! [`app`] returns the [`axum::Router`], so a request can be sent with
//! `tower::ServiceExt::oneshot`:
//!
//! ```
//! use axum::body::Body;
//! use axum::http::{Request, StatusCode};
//! use getstream_emulator::{EmulatorConfig, EmulatorState, app};
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let router = app(EmulatorState::new(EmulatorConfig::new()));
//! let response = router
//!     .oneshot(Request::get("/api/v2/tasks/abc?api_key=nope").body(Body::empty()).unwrap())
//!     .await
//!     .unwrap();
//! assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
//! assert!(response.headers().contains_key("x-ratelimit-limit"));
//! # }
//! ```
//!
//! # Seed data, inject faults, script tasks
//!
//! The same controls exist as library calls on [`EmulatorState`] (reach it with
//! [`EmulatorHandle::state`]) and, when [`EmulatorConfig::admin`] is on, as HTTP routes:
//!
//! ```
//! use std::time::Duration;
//! use getstream_emulator::{Emulator, EmulatorConfig, Fault, JobKind, Pace, ScriptedTask, SeedSpec, TaskFailure};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::start(EmulatorConfig::new().pace(Pace::instant())).await?;
//! let state = emulator.state();
//! let key = emulator.api_key();
//! state.seed(key, SeedSpec { users: 10, channels: 5, messages: 20 })?;
//! // The next two task polls answer 503 with Retry-After: 1.
//! state.add_fault(Fault::respond("GET /api/v2/tasks/{id}", 503).times(2).retry_after("1"));
//! // The next export job fails.
//! state.fail_next_jobs(key, JobKind::ExportChannels, 1, TaskFailure::new("ExportError", "disk full"))?;
//! // A task that is pending 1 s, running 2 s, then completed.
//! let id = state.script_task(key, ScriptedTask::new()
//!     .step("pending", Duration::from_secs(1))
//!     .step("running", Duration::from_secs(2))
//!     .step("completed", Duration::ZERO))?;
//! assert!(!id.is_empty());
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # The admin API (`/_emulator/`, off unless enabled; no auth — a local dev tool)
//!
//! Routes taking `api_key` (query or body) act on that app, else on the default app.
//!
//! | route | body | effect |
//! |---|---|---|
//! | `POST /_emulator/faults` | `{"route": "GET /api/v2/tasks/{id}", "action": "respond"\|"hang"\|"drop"\|"delay", "status": 503, "body": {..}, "body_text": "<html>", "retry_after": "2", "delay_ms": 100, "times": 1}` | next `times` (0 = until cleared) matching responses fail |
//! | `GET /_emulator/faults` | | list active faults |
//! | `DELETE /_emulator/faults` | | clear faults |
//! | `POST /_emulator/tasks` | `{"task_id"?: "..", "steps": [{"status": "running", "duration_ms": 500}, ..], "result"?: {..}, "error"?: {"type", "description", "stacktrace", "version"}}` | a scripted task (201 `{task_id}`) |
//! | `POST /_emulator/job-failures` | `{"job": "export_channels", "count"?: 1, "error"?: {"type", "description"}}` | the next jobs of that kind end `failed` |
//! | `POST /_emulator/seed` | `{"users": 10, "channels": 5, "messages": 20}` | bulk data |
//! | `POST /_emulator/reset` | | forget all data, tasks, exports, faults and rate-limit windows |
//! | `GET /_emulator/state` | | a JSON snapshot of an app's users and channels |
//! | `GET /_emulator/token` | | `{"api_key", "token"}`: a server token, handy for `curl` |
//!
//! See `docs/admin-api.md` in the crate for examples.

#![deny(missing_docs)]

mod app_state;
pub mod cli;
mod config;
mod error;
mod extract;
mod faults;
mod handlers;
mod job;
mod pool;
mod ratelimit;
pub mod report;
mod router;
mod script;
mod server;
mod shapes;
mod stack;
mod state;
mod store;
mod sync;
mod task;

pub use app_state::MAX_TASKS_PER_APP;
pub use config::{
    AppCredentials, DEFAULT_API_KEY, DEFAULT_API_SECRET, EmulatorConfig, MAX_SEED_ITEMS, Pace,
    RateLimits, SeedSpec, SeedSpecError,
};
pub use error::{ApiError, codes};
pub use extract_public::verify_server_token;
pub use faults::{Fault, FaultAction, FaultBody};
pub use job::{JobKind, TaskFailure, UnknownJobKind};
pub use router::app;
pub use script::{ScriptStep, ScriptedTask};
pub use server::{Emulator, EmulatorHandle, SHUTDOWN_GRACE, StartError};
pub use state::{EmulatorState, MAX_EXPORT_FILES, StateError};

mod extract_public {
    use crate::error::ApiError;

    /// Checks a server token the way the emulator does: HS256, signed with `secret`, not
    /// expired, without `user_id`.
    ///
    /// ```
    /// assert!(getstream_emulator::verify_server_token("not-a-jwt", "secret").is_err());
    /// ```
    ///
    /// # Errors
    /// The [`ApiError`] the emulator would answer with (401 codes 5, 40, 41, 43; 403 code 17).
    pub fn verify_server_token(token: &str, secret: &str) -> Result<(), ApiError> {
        crate::extract::verify_token(token, secret)
    }
}
