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
//! | `GET /api/v2/app`, `PATCH /api/v2/app` | the app's webhook settings: `webhook_url`, `webhook_events`, `enable_hook_payload_compression` (below) |
//! | `GET /_emulator/exports/{token}.json` | export files (no API auth; the token is unguessable) |
//! | v1 paths: `GET /tasks/{id}`, `GET`/`PATCH /app`, `POST /users`, `/channels/{type}/{id}/query`, `/channels/{type}/{id}/message`, `/channels/delete`, `/export_channels`, `/users/delete`, `/users/deactivate`, `/users/reactivate` | the same, for the legacy `stream-chat` SDKs (task timestamps in RFC 3339) |
//! | `GET /_emulator/health` | liveness |
//! | `/_emulator/…` | the admin API, when enabled (below) |
//!
//! Requests authenticate as Stream's do: `?api_key=` names a configured app and
//! `Authorization` carries an HS256 JWT signed with that app's secret (raw, or after `Bearer `),
//! with `stream-auth-type: jwt`. Every error is Stream's `APIError` envelope
//! (`code`, `message`, `StatusCode`, `duration`, `more_info`, `details`, `exception_fields`);
//! every response carries `X-RateLimit-Limit/Remaining/Reset`.
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
//! use getstream_emulator::{Emulator, EmulatorConfig, Fault, JobKind, Pace, ScriptedTask, SeedSpec, TaskError};
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
//! state.fail_next_jobs(key, JobKind::ExportChannels, 1, TaskError::new("ExportError", "disk full"))?;
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
//! | `POST /_emulator/reset` | | forget all data, tasks, exports, faults, rate-limit windows and webhook deliveries |
//! | `GET /_emulator/webhooks` | | the webhook deliveries (`?api_key=` for one app), `dropped`, `pending` |
//! | `POST /_emulator/webhooks` | `{"event": {"type": "..", ..}}` | send an event of your own through the app's webhook (`{webhook_id}`) |
//! | `DELETE /_emulator/webhooks` | | forget the deliveries and the drop count |
//! | `GET /_emulator/state` | | a JSON snapshot of an app's users and channels |
//! | `GET /_emulator/token` | | `{"api_key", "token"}`: a server token, handy for `curl` |
//!
//! See `docs/admin-api.md` in the crate for examples.
//!
//! # Webhooks: the emulator pushes Stream's events
//!
//! Give an app a webhook URL ([`EmulatorConfig::webhook_url`] for the default app, `--webhook-url`
//! on the command line, [`EmulatorState::set_webhook`], or Stream's `PATCH /api/v2/app`) and its
//! jobs `POST` the events Stream sends: `export.channels.success`/`.error` and
//! `export.users.success`/`.error` (with `task_id` and `url` or `error`) once the task reads
//! finished, `channel.deleted`, `user.deleted`, `user.deactivated`, `user.reactivated`. Each
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

mod admin;
mod api;
pub mod cli;
mod config;
mod error;
mod extract;
mod faults;
mod ratelimit;
mod shapes;
mod stack;
mod state;
mod store;
mod tasks;
mod webhooks;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::task::JoinHandle;

pub use config::{
    AppCredentials, DEFAULT_API_KEY, DEFAULT_API_SECRET, EmulatorConfig, MAX_SEED_ITEMS, Pace,
    RateLimits, SeedSpec, SeedSpecError,
};
pub use error::{ApiError, codes};
pub use extract_public::verify_server_token;
pub use faults::{Fault, FaultAction, FaultBody};
pub use state::{EmulatorState, MAX_EXPORT_FILES, MAX_TASKS_PER_APP, StateError};
pub use tasks::{JobKind, ScriptStep, ScriptedTask, TaskError, UnknownJobKind};
pub use webhooks::DEFAULT_WEBHOOK_QUEUE;
pub use webhooks::delivery::MAX_IN_FLIGHT as MAX_WEBHOOKS_IN_FLIGHT;
pub use webhooks::payload::{
    CHANNEL_DELETED, EXPORT_CHANNELS_ERROR, EXPORT_CHANNELS_SUCCESS, EXPORT_USERS_ERROR,
    EXPORT_USERS_SUCCESS, USER_DEACTIVATED, USER_DELETED, USER_REACTIVATED,
};
pub use webhooks::policy::{
    DELIVERY_DEADLINE as WEBHOOK_DELIVERY_DEADLINE, MAX_ATTEMPTS as WEBHOOK_MAX_ATTEMPTS,
    MAX_ATTEMPTS_NETWORK as WEBHOOK_MAX_ATTEMPTS_NETWORK,
    REQUEST_TIMEOUT as WEBHOOK_REQUEST_TIMEOUT,
};
pub use webhooks::record::{DeliveryState, MAX_WEBHOOK_RECORDS, WebhookDelivery};
pub use webhooks::settings::{MAX_WEBHOOK_EVENTS, MAX_WEBHOOK_URL_LEN, WebhookSettings};

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

/// Answers a request no route layer sees (no route, or a method the route lacks) with the
/// error `make` builds, inside the request clock; logs it and adds the rate-limit headers.
async fn fallback(
    state: EmulatorState,
    req: Request,
    make: impl FnOnce(&Request) -> ApiError + Send,
) -> Response {
    let log = stack::RequestLog::start(&req);
    error::with_request_clock(async move {
        let response = with_limit_headers(&state, &req, make(&req).into_response());
        log.finish(&response);
        response
    })
    .await
}

async fn not_found(State(state): State<EmulatorState>, req: Request) -> Response {
    fallback(state, req, |req| {
        ApiError::not_found(format!(
            "no route for {} {}",
            req.method(),
            req.uri().path()
        ))
    })
    .await
}

async fn method_not_allowed(State(state): State<EmulatorState>, req: Request) -> Response {
    fallback(state, req, |req| {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            codes::INPUT,
            format!(
                "method {} is not allowed on {}",
                req.method(),
                req.uri().path()
            ),
        )
    })
    .await
}

fn with_limit_headers(state: &EmulatorState, req: &Request, mut response: Response) -> Response {
    if !response.headers().contains_key("x-ratelimit-limit") {
        let key = ratelimit::api_key_of(req.uri()).filter(|k| state.app(k).is_some());
        let decision = state
            .limiter()
            .check(key.as_deref().unwrap_or(""), "unmatched");
        decision.apply(response.headers_mut());
    }
    response
}

/// The emulator's router over `state`: Stream's API, export downloads, health and the admin API.
///
/// Jobs started by requests run on the runtime that serves them.
pub fn app(state: EmulatorState) -> Router {
    let body_limit = state.config().get_body_limit();
    Router::new()
        .route("/api/v2/tasks/{id}", get(api::get_task))
        .route(
            "/api/v2/users",
            post(api::upsert_users).get(api::query_users),
        )
        .route(
            "/api/v2/chat/channels/{type}/{id}/query",
            post(api::query_channel),
        )
        .route(
            "/api/v2/chat/channels/{type}/{id}/message",
            post(api::send_message),
        )
        .route("/api/v2/chat/channels/delete", post(api::delete_channels))
        .route(
            "/api/v2/chat/channels/{type}/{id}",
            axum::routing::delete(api::delete_channel),
        )
        .route("/api/v2/chat/export_channels", post(api::export_channels))
        .route("/api/v2/export/users", post(api::export_users))
        .route("/api/v2/users/delete", post(api::delete_users))
        .route("/api/v2/users/deactivate", post(api::deactivate_users))
        .route("/api/v2/users/reactivate", post(api::reactivate_users))
        // The legacy v1 paths (the `stream-chat` SDKs): same handlers, v1 task timestamps.
        .route("/tasks/{id}", get(api::get_task_v1))
        .route("/users", post(api::upsert_users).get(api::query_users))
        .route("/channels/{type}/{id}/query", post(api::query_channel))
        .route("/channels/{type}/{id}/message", post(api::send_message))
        .route("/channels/delete", post(api::delete_channels))
        .route("/export_channels", post(api::export_channels))
        .route("/users/delete", post(api::delete_users))
        .route("/users/deactivate", post(api::deactivate_users))
        .route("/users/reactivate", post(api::reactivate_users))
        .route("/_emulator/exports/{file}", get(api::download_export))
        .route("/_emulator/health", get(admin::health))
        .route(
            "/_emulator/faults",
            post(admin::add_fault)
                .get(admin::list_faults)
                .delete(admin::clear_faults),
        )
        .route("/_emulator/tasks", post(admin::script_task))
        .route("/_emulator/job-failures", post(admin::fail_jobs))
        .route("/_emulator/reset", post(admin::reset))
        .route("/_emulator/seed", post(admin::seed))
        .route("/_emulator/state", get(admin::snapshot))
        .route("/_emulator/token", get(admin::token))
        .route(
            "/api/v2/app",
            get(webhooks::app_api::get_app).patch(webhooks::app_api::update_app),
        )
        .route(
            "/app",
            get(webhooks::app_api::get_app).patch(webhooks::app_api::update_app),
        )
        .route(
            "/_emulator/webhooks",
            get(webhooks::admin::list)
                .post(webhooks::admin::send)
                .delete(webhooks::admin::clear),
        )
        // One route layer does the per-request work (clock, log, rate limit, faults; see
        // `stack`), with the body limit inside it: no `Router::layer`, whose boxed route
        // would be cloned whole on every request.
        .route_layer((
            stack::GuardLayer::new(state.clone()),
            DefaultBodyLimit::max(body_limit),
        ))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// The error of [`Emulator::start`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The address could not be bound.
    #[error("could not bind {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Starts emulators. See [`Emulator::start`].
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// Binds the config's address (default `127.0.0.1:0`) and serves on the current tokio
    /// runtime until [`EmulatorHandle::shutdown`] or the handle is dropped.
    ///
    /// # Errors
    /// [`StartError::Bind`] when the address cannot be bound.
    pub async fn start(config: EmulatorConfig) -> Result<EmulatorHandle, StartError> {
        let addr = config.get_addr();
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        let state = EmulatorState::new(config);
        state.set_local_addr(local);
        let token = state.shutdown_token().clone();
        let router = app(state.clone());
        let server = tokio::spawn(async move {
            let result = axum::serve(listener, router)
                .with_graceful_shutdown(async move { token.cancelled().await })
                .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "emulator server stopped with an error");
            }
        });
        tracing::info!(addr = %local, "emulator listening");
        Ok(EmulatorHandle {
            state,
            addr: local,
            server: Some(server),
        })
    }
}

/// A running emulator. Dropping it stops the server (abruptly); [`shutdown`](Self::shutdown)
/// stops it gracefully.
#[derive(Debug)]
pub struct EmulatorHandle {
    state: EmulatorState,
    addr: SocketAddr,
    server: Option<JoinHandle<()>>,
}

/// How long a graceful shutdown waits for open connections before closing them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

impl EmulatorHandle {
    /// The base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API key of the default (first) app.
    pub fn api_key(&self) -> &str {
        self.state.default_api_key()
    }

    /// The API secret of the default (first) app (a development credential).
    pub fn api_secret(&self) -> &str {
        self.state
            .app(self.state.default_api_key())
            .map(|a| a.creds.secret())
            .unwrap_or_default()
    }

    /// All configured apps.
    pub fn apps(&self) -> Vec<AppCredentials> {
        self.state.config().apps()
    }

    /// The state, for library calls (seed, faults, scripted tasks, reset, snapshot, webhooks).
    pub fn state(&self) -> &EmulatorState {
        &self.state
    }

    /// Stops accepting connections, ends hung requests and running jobs, waits up to
    /// [`SHUTDOWN_GRACE`] for open connections, then returns.
    pub async fn shutdown(mut self) {
        self.state.shutdown_token().cancel();
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(SHUTDOWN_GRACE, server).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        self.state.shutdown_token().cancel();
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
