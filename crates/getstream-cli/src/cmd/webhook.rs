//! `getstream webhook serve`: a ready webhook receiver that verifies Stream's
//! deliveries and publishes them to Redis, for the waits of other processes.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode};
use clap::{Args, Subcommand};
use getstream_tasks::TaskEvents;
use getstream_tasks::webhook::{DEFAULT_MAX_PAYLOAD_SIZE, axum::Receiver};

use crate::cli::Connection;
use crate::error::CliError;
use crate::output::Ctx;

/// `getstream webhook ...`
#[derive(Debug, Args)]
pub struct WebhookCmd {
    /// The API secret that signs the webhooks (the key and base URL are not used).
    #[command(flatten)]
    pub conn: Connection,
    /// What to do.
    #[command(subcommand)]
    pub action: WebhookAction,
}

/// The webhook subcommands.
#[derive(Debug, Subcommand)]
pub enum WebhookAction {
    /// Receive Stream's webhooks (POST, any path), verify their signature with the API
    /// secret, and publish each event to Redis, where `getstream tasks wait --events`
    /// and SDK clients with `TaskEvents::redis` pick them up. Runs until Ctrl-C.
    Serve {
        /// The address to listen on (port 0: any free port; the address is printed).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// The Redis URL to publish to (redis:// or rediss://, with user and password
        /// if any) [env: STREAM_EVENTS_URL]
        #[arg(long, env = "STREAM_EVENTS_URL", hide_env = true)]
        events: String,
    },
}

/// Runs a webhook subcommand.
pub async fn run(ctx: &Ctx, cmd: WebhookCmd) -> Result<(), CliError> {
    let WebhookAction::Serve { addr, events } = cmd.action;
    let Some(secret) = cmd
        .conn
        .api_secret
        .as_ref()
        .filter(|s| !s.expose().trim().is_empty())
    else {
        return Err(CliError::Usage(
            "missing API secret (it verifies the webhooks): set STREAM_API_SECRET or pass --api-secret"
                .into(),
        ));
    };
    let events = TaskEvents::redis_builder(&events)
        .subscribe(false)
        .build()?;
    let receiver = Receiver::new(secret.expose()).events(events);
    let app = axum::Router::new()
        .fallback(receive)
        .layer(DefaultBodyLimit::max(DEFAULT_MAX_PAYLOAD_SIZE))
        .with_state(receiver);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::Usage(format!("cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| CliError::Usage(format!("cannot listen on {addr}: {e}")))?;
    ctx.line(format!("receiving webhooks on http://{local} (any path)"))?;
    axum::serve(listener, app)
        .await
        .map_err(|e| CliError::Usage(format!("the webhook server stopped: {e}")))
}

/// Any path: POSTs are deliveries, anything else is refused.
async fn receive(
    State(receiver): State<Receiver>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if method != Method::POST {
        return StatusCode::METHOD_NOT_ALLOWED;
    }
    receiver.handle(&headers, &body)
}
