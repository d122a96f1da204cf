//! `getstream webhook serve`: a ready webhook receiver that verifies Stream's
//! deliveries and publishes them to Redis, for the waits of other processes.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode};
use clap::{Args, Subcommand};
use getstream_tasks::TaskEvents;
use getstream_tasks::webhook::Deliveries;
use getstream_tasks::webhook::axum::{BodyLimitLayer, Receiver, ReceiverLimits, serve};

use crate::error::CliError;
use crate::flags::Connection;
use crate::output::Ctx;
use crate::parse::parse_duration;

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
        /// The bounds of a public endpoint.
        #[command(flatten)]
        limits: LimitArgs,
    },
}

/// The bounds of `webhook serve`; the defaults fit Stream's sender (a few KiB
/// per delivery, answered within 6 s, a handful at once).
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Longest time to receive a request head; a slower connection is closed.
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    pub header_timeout: Duration,
    /// Longest time to receive a request body; a slower one is answered 408.
    #[arg(long, value_parser = parse_duration, default_value = "6s")]
    pub body_timeout: Duration,
    /// Longest time a connection stays open with no request.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub idle_timeout: Duration,
    /// Most connections at once; at the cap, connections that have waited 1 s without a
    /// request (idle, or a slow head) are closed to make room.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Largest body of one request, in bytes (larger: 413).
    #[arg(long, default_value_t = 16 << 20, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_body_bytes: u64,
    /// Most body bytes held at once by all requests together (beyond: 503, which Stream
    /// retries).
    #[arg(long, default_value_t = 64 << 20, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_budget: u64,
    /// Refusals are logged once, then summarised (counts by reason) in one line per this
    /// interval.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub log_interval: Duration,
    /// How long a delivery's X-Webhook-Id is remembered: a retry or replay within it is
    /// answered 200 and not published again.
    #[arg(long, value_parser = parse_duration, default_value = "10m")]
    pub replay_window: Duration,
}

impl LimitArgs {
    fn limits(&self) -> ReceiverLimits {
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        ReceiverLimits::default()
            .header_timeout(self.header_timeout)
            .body_timeout(self.body_timeout)
            .idle_timeout(self.idle_timeout)
            .max_connections(self.max_connections as usize)
            .max_body_bytes(size(self.max_body_bytes))
            .body_budget(size(self.body_budget))
            .log_interval(self.log_interval)
    }
}

/// Runs a webhook subcommand.
pub async fn run(ctx: &Ctx, cmd: WebhookCmd) -> Result<(), CliError> {
    let WebhookAction::Serve {
        addr,
        events,
        limits,
    } = cmd.action;
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
    let replay_window = limits.replay_window;
    let limits = limits.limits();
    let receiver = Receiver::new(secret.expose())
        .events(events)
        .limits(limits.clone())
        .deliveries(Deliveries::new().window(replay_window));
    let app = axum::Router::new()
        .fallback(receive)
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(BodyLimitLayer::new(&limits))
        .with_state(receiver);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::Usage(format!("cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| CliError::Usage(format!("cannot listen on {addr}: {e}")))?;
    ctx.line(format!("receiving webhooks on http://{local} (any path)"))?;
    // Runs until Ctrl-C, which `main` handles.
    serve(listener, app, &limits, std::future::pending()).await;
    Ok(())
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
    receiver.handle_bytes(headers, body).await
}
