//! A local server that speaks Stream's (getstream.io) server-side API dialect and really runs
//! its batch jobs as background tasks — for demos, for our tests and for yours.
//!
//! Point any Stream server SDK (the official Python `getstream` and JavaScript `stream-chat`
//! packages, which `scripts/python-compat.sh` and `scripts/js-compat.sh` check; our Rust SDK;
//! `curl`)
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
//! | `POST /api/v2/users/{id}/deactivate`, `/reactivate` | (de)activate one user at once |
//! | `GET /api/v2/users/{id}/export` | one user with their messages, at once |
//! | `POST /api/v2/users/restore` | undo soft deletes (a hard-deleted user is an error) |
//! | `PATCH /api/v2/users` | update users partially (`set`, `unset`) |
//! | `POST /api/v2/users`, `PATCH /api/v2/users` taking `teams` from users | removes their memberships in those teams' channels (a task: `membership_deletion_task_id`) |
//! | `POST`/`GET /api/v2/blocklists`, `GET`/`PUT`/`DELETE /api/v2/blocklists/{name}` | block lists |
//! | `POST /api/v2/blocklists/{name}/import` | add words to a block list in chunks (a task) |
//! | `POST /api/v2/chat/channels/{type}/{id}/truncate` | remove a channel's messages: soft hides, hard removes; optional system message |
//! | `POST /api/v2/moderation/bulk_image_moderation` | moderate a CSV of image URLs (a task; `result.url` downloads the results CSV; fetches loopback only unless [`EmulatorConfig::allow_remote_fetch`], within [`FetchLimits`]; the verdict rule: the crate's `docs/moderation.md`) |
//! | `POST /api/v2/video/call/{type}/{id}` | get or create a video call (`data`: `created_by_id`, `members`, `custom`); each request opens a session of a live call, recorded when `video` is true (the emulator runs no media: this is how a call gets sessions and recordings; [`CallSeed`] sets any number) |
//! | `GET /api/v2/video/call/{type}/{id}` | a call with its members (404 once hard-deleted) |
//! | `POST /api/v2/video/call/{type}/{id}/delete` | delete a call: marked deleted at once (`call.deleted`); with `hard`, a task removes it with its sessions, recordings and members (`call.deleted` when it does) |
//! | `/api/v2/feeds/…` | feeds: feed groups, get-or-create feeds, activities, follows, comments, reactions; delete a feed, delete feeds in batch, delete and export a user's feed data (tasks; the crate's `docs/feeds.md`) |
//! | `GET /api/v2/tasks/{id}` | task status: `pending` → `running` → `completed`/`failed` |
//! | `GET /api/v2/app`, `PATCH /api/v2/app` | the app's webhook settings: `webhook_url`, `webhook_events`, `enable_hook_payload_compression` (below) |
//! | `GET /_emulator/exports/{token}.json?api_key=&expires=&signature=` | export files, streamed from disk (no API auth: the link is signed with the owning app's secret and expires, [`DEFAULT_EXPORT_LINK_TTL`] by default) |
//! | v1 paths: `GET /tasks/{id}`, `GET /export_channels/{id}`, `GET`/`PATCH /app`, `/users`, `/channels/{type}/{id}/query`, `/channels/{type}/{id}/message`, `DELETE /channels/{type}/{id}`, `/channels/delete`, `/export_channels`, `/export/users`, `/users/delete`, `/users/deactivate`, `/users/reactivate`, `DELETE /users/{id}`, `/users/{id}/deactivate`, `/users/{id}/reactivate`, `/users/restore`, `PATCH /users`, `/users/{id}/export`, `/channels/{type}/{id}/truncate` | the same for the legacy `stream-chat` SDKs, in the v1 dialect (RFC 3339 timestamps, top-level custom fields); out of scope there: restore users, truncate, export one user (501, code 17) |
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
//! # Keep the state across restarts
//!
//! [`EmulatorConfig::data_dir`] (`--data-dir DIR`) keeps every app's users, channels,
//! messages, tasks, webhook settings and export files in an SQLite database and an
//! `exports` directory in `DIR`. Each change is written before its answer (a `201` with a
//! `task_id` means the task is stored); a start on the same `DIR` — even after `kill -9` —
//! loads it all and resumes the jobs that had not finished. A directory that cannot be used
//! (not writable, another program's file, held by another emulator) stops
//! [`Emulator::start`] with [`StartError::DataDir`]. What survives and when it syncs: the
//! crate's `docs/durability.md`.
//!
//! ```
//! use getstream_emulator::{Emulator, EmulatorConfig, Pace};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = std::env::temp_dir().join(format!("emulator-docs-{}", std::process::id()));
//! let config = EmulatorConfig::new().pace(Pace::instant()).data_dir(&dir);
//! let emulator = Emulator::start(config.clone()).await?;
//! let key = emulator.api_key().to_owned();
//! emulator.state().seed(&key, getstream_emulator::SeedSpec { users: 2, channels: 1, messages: 3 })?;
//! emulator.shutdown().await;
//!
//! let again = Emulator::start(config).await?;
//! let channels = again.state().snapshot(&key)?["channels"].as_array().unwrap().len();
//! assert_eq!(channels, 1);
//! again.shutdown().await;
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```
//!
//! # The admin API (`/_emulator/`, off unless enabled; no auth — a local dev tool)
//!
//! Routes taking `api_key` (query or body) act on that app, else on the default app. So that
//! no web page can drive it, admin routes answer only a loopback `Host` (or the public URL's;
//! else 403) and `POST`s with `Content-Type: application/json` (else 415); they are never
//! faulted; [`Emulator::start`] refuses the admin API off loopback unless
//! [`EmulatorConfig::allow_remote_admin`]. Connection timeouts, the connection cap and the
//! shutdown grace: [`ConnectionLimits`].
//!
//! | route | body | effect |
//! |---|---|---|
//! | `POST /_emulator/faults` | `{"route": "GET /api/v2/tasks/{id}", "action": "respond"\|"hang"\|"drop"\|"delay", "status": 503, "body": {..}, "body_text": "<html>", "retry_after": "2", "delay_ms": 100, "times": 1}` | next `times` (0 = until cleared) matching responses fail |
//! | `GET /_emulator/faults` | | list active faults |
//! | `DELETE /_emulator/faults` | | clear faults |
//! | `POST /_emulator/tasks` | `{"task_id"?: "..", "steps": [{"status": "running", "duration_ms": 500}, ..], "result"?: {..}, "error"?: {"type", "description", "stacktrace", "version"}}` | a scripted task (201 `{task_id}`) |
//! | `POST /_emulator/job-failures` | `{"job": "export_channels", "count"?: 1, "error"?: {"type", "description"}}` | the next jobs of that kind end `failed` |
//! | `POST /_emulator/seed` | `{"users": 10, "channels": 5, "messages": 20}` | bulk data |
//! | `POST /_emulator/reset` | | forget all data, tasks, exports, faults, rate-limit windows and webhook deliveries |
//! | `GET /_emulator/webhooks` | | the webhook deliveries (`?api_key=` for one app), `dropped`, `pending` |
//! | `POST /_emulator/webhooks` | `{"event": {"type": "..", ..}}` | send an event of your own through the app's webhook (`{webhook_id}`) |
//! | `DELETE /_emulator/webhooks` | | forget the deliveries and the drop count |
//! | `GET /_emulator/state?offset=&limit=&messages_offset=&messages_limit=` | | a page of an app's users and channels (100 of each, 100 messages per channel by default; see [`StatePage`]) |
//! | `GET /_emulator/token` | | `{"api_key", "token"}`: a server token, handy for `curl` |
//!
//! See `docs/admin-api.md` in the crate for examples.
//!
//! # Webhooks: the emulator pushes Stream's events
//!
//! Give an app a webhook URL ([`EmulatorConfig::webhook_url`] for the default app, `--webhook-url`
//! on the command line, [`EmulatorState::set_webhook`], or Stream's `PATCH /api/v2/app`) and its
//! jobs `POST` the events Stream sends: `export.channels.success`/`.error` and
//! `export.users.success`/`.error`, `export.bulk_image_moderation.success`/`.error` (with
//! `task_id` and `url` or `error`) once the task reads
//! finished, `channel.deleted`, `user.deleted`, `user.deactivated`, `user.reactivated` (also at
//! once for the single-user calls), `channel.truncated`, `call.deleted`. Each
//! carries `X-Signature` (hex HMAC-SHA256 of the uncompressed body with the app's secret),
//! `X-Webhook-Id` (the same on every retry), `X-Webhook-Attempt` and `X-Api-Key`; bodies are
//! gzip when [`WebhookSettings::compression`] is on. Delivery follows Stream's policy (3 attempts
//! on 408/429/5xx/timeouts, 2 on network errors, [`WEBHOOK_REQUEST_TIMEOUT`] per request,
//! [`WEBHOOK_DELIVERY_DEADLINE`] per event) from a bounded background queue, so a slow receiver
//! never slows the API or the jobs; [`EmulatorState::webhook_deliveries`] (and
//! `GET /_emulator/webhooks`) shows what was sent.
//!
//! ```
//! use getstream_emulator::{DeliveryState, Emulator, EmulatorConfig, Pace, SeedSpec};
//! use serde_json::{Value, json};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Any HTTP server is a receiver; this one hands each request to the test.
//! let (tx, mut received) = tokio::sync::mpsc::unbounded_channel();
//! let hook = axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
//!     let _ = tx.send((headers, body));
//!     async {}
//! });
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let url = format!("http://{}/hooks", listener.local_addr()?);
//! tokio::spawn(axum::serve(listener, axum::Router::new().route("/hooks", hook)).into_future());
//!
//! let config = EmulatorConfig::new().pace(Pace::instant()).admin(true).webhook_url(url);
//! let emulator = Emulator::start(config).await?;
//! let state = emulator.state();
//! state.seed(emulator.api_key(), SeedSpec { users: 2, channels: 1, messages: 3 })?;
//!
//! // Start an export as any SDK would (the admin API hands out a server token).
//! let http = reqwest::Client::new();
//! let base = emulator.base_url();
//! let token: Value = http.get(format!("{base}/_emulator/token")).send().await?.json().await?;
//! let started: Value = http
//!     .post(format!("{base}/api/v2/chat/export_channels?api_key={}", emulator.api_key()))
//!     .header("Authorization", token["token"].as_str().unwrap_or_default())
//!     .json(&json!({"channels": [{"cid": "messaging:seed-1"}]}))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//!
//! let (headers, body) = received.recv().await.expect("the export's event");
//! let event: Value = serde_json::from_slice(&body)?;
//! assert_eq!(event["type"], "export.channels.success");
//! assert_eq!(event["task_id"], started["task_id"]);
//! assert_eq!(headers["x-webhook-attempt"], "1");
//! assert!(headers.contains_key("x-signature"));
//!
//! state.webhooks_settled().await;
//! assert_eq!(state.webhook_deliveries()[0].state, DeliveryState::Delivered);
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

pub mod cli;
mod config;
mod data;
mod exports;
mod feeds;
mod handlers;
mod http;
mod jobs;
mod moderation;
mod persist;
pub mod report;
mod state;
mod video;
mod webhooks;

pub use config::{
    AppCredentials, DEFAULT_API_KEY, DEFAULT_API_SECRET, DEFAULT_WEBHOOK_QUEUE, EmulatorConfig,
    MAX_SEED_ITEMS, MAX_TASKS_PER_APP, Pace, RateLimits, SEED_BYTES_PER_CHANNEL,
    SEED_BYTES_PER_MESSAGE, SEED_BYTES_PER_USER, SeedSpec, SeedSpecError,
};
pub use data::state_page::{
    DEFAULT_STATE_LIMIT, DEFAULT_STATE_MESSAGES_LIMIT, MAX_STATE_LIMIT, MAX_STATE_MESSAGES_LIMIT,
    MAX_STATE_PAGE_MESSAGES, StatePage,
};
pub use exports::{DEFAULT_EXPORT_LINK_TTL, MAX_EXPORT_FILES};
pub use extract_public::verify_server_token;
pub use http::connection::ConnectionLimits;
pub use http::error::{ApiError, MAX_MESSAGE_CHARS, codes};
pub use http::faults::{Fault, FaultAction, FaultBody};
pub use http::router::app;
pub use http::server::{Emulator, EmulatorHandle, SHUTDOWN_GRACE, StartError};
pub use jobs::job::{JobKind, TaskFailure, UnknownJobKind};
pub use jobs::script::{ScriptStep, ScriptedTask};
pub use moderation::{
    DEFAULT_FETCH_CONCURRENCY, DEFAULT_FETCH_TIMEOUT, DEFAULT_MAX_CSV_BYTES, DEFAULT_MAX_CSV_ROWS,
    DEFAULT_MAX_IMAGE_BYTES, DEFAULT_TASK_TIMEOUT, FetchLimits,
};
pub use persist::DataDirError;
pub use state::{EmulatorState, StateError};
pub use video::CallSeed;

pub use webhooks::delivery::MAX_IN_FLIGHT as MAX_WEBHOOKS_IN_FLIGHT;
pub use webhooks::payload::{
    CHANNEL_DELETED, EXPORT_BULK_IMAGE_MODERATION_ERROR, EXPORT_BULK_IMAGE_MODERATION_SUCCESS,
    EXPORT_CHANNELS_ERROR, EXPORT_CHANNELS_SUCCESS, EXPORT_USERS_ERROR, EXPORT_USERS_SUCCESS,
    USER_DEACTIVATED, USER_DELETED, USER_REACTIVATED,
};
pub use webhooks::policy::{
    DELIVERY_DEADLINE as WEBHOOK_DELIVERY_DEADLINE, MAX_ATTEMPTS as WEBHOOK_MAX_ATTEMPTS,
    MAX_ATTEMPTS_NETWORK as WEBHOOK_MAX_ATTEMPTS_NETWORK,
    REQUEST_TIMEOUT as WEBHOOK_REQUEST_TIMEOUT,
};
pub use webhooks::record::{DeliveryState, MAX_WEBHOOK_RECORDS, WebhookDelivery};
pub use webhooks::settings::{MAX_WEBHOOK_EVENTS, WebhookSettings};
pub use webhooks::url::MAX_WEBHOOK_URL_LEN;

mod extract_public {
    use crate::http::error::ApiError;

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
        crate::http::extract::verify_token(token, secret)
    }
}

/// The README's Rust examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
