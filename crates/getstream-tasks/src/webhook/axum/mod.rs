//! A ready webhook receiver for [axum](https://docs.rs/axum) (cargo feature
//! `axum`).
//!
//! [`Receiver`] is an axum [`Router`] with one `POST` route that takes the
//! raw body (never a re-serialised one), verifies `X-Signature`, and answers
//! at once:
//!
//! | request | answer |
//! |---|---|
//! | signature matches, any event `type` | `200`, then the event goes to the hub and the callback |
//! | no `X-Signature`, or it does not match | `401` |
//! | body larger than the cap (as sent or inflated) | `413` |
//! | a body that does not inflate or decode | `400` |
//! | a body slower than the body timeout | `408` |
//! | the body budget of all requests in progress spent | `503`, `Retry-After: 1` |
//! | a delivery whose `X-Webhook-Id` was seen in the last 10 minutes | `200`, not handled again |
//!
//! Refusals are logged once, then counted and summarised in one line per
//! [`ReceiverLimits::log_interval`]: a flood of bad requests writes a line
//! every 10 s, not a line each.
//!
//! # Facing the internet
//!
//! What a public endpoint needs, and where it comes from:
//!
//! | bound | where |
//! |---|---|
//! | body size per request, body read timeout, bytes held by all requests | [`BodyLimitLayer`] (in [`Receiver::router`]) |
//! | replays of a delivery | [`Deliveries`] (in [`Receiver`]) |
//! | summarised refusal logs | [`Receiver`] and [`BodyLimitLayer`] |
//! | header read timeout, idle timeout, connection cap | [`serve`]; `axum::serve` has none of them, so a server of your own must add them |
//!
//! Defaults ([`ReceiverLimits`]) fit Stream's sender: a few KiB per
//! delivery, answered within 6 s, a handful at once. `getstream webhook
//! serve` is [`Receiver`] and [`serve`] with flags for each limit.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use getstream_tasks::{Client, PollPolicy, TaskEvents};
//! use getstream_tasks::webhook::axum::Receiver;
//!
//! let events = TaskEvents::new();
//! let client = Client::builder("api-key", "api-secret")
//!     .poll_policy(PollPolicy::long_running())
//!     .task_events(events.clone())
//!     .build()?;
//!
//! // Verifies with the client's secret and publishes to the client's hub.
//! let app: axum::Router = Receiver::for_client(&client)
//!     .on_event(|event| tracing::info!(kind = event.event_type(), "stream event"))
//!     .router("/webhooks/stream");
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! # let address = listener.local_addr()?;
//! tokio::spawn(async move { axum::serve(listener, app).await });
//! # let body = br#"{"type":"export.users.success","task_id":"t1"}"#;
//! # let answer = reqwest::Client::new().post(format!("http://{address}/webhooks/stream"))
//! #     .header("x-signature", getstream_tasks::webhook::sign(body, "api-secret")).body(&body[..]).send().await?;
//! # assert_eq!(answer.status(), 200);
//! # assert_eq!(events.published(), 1);
//! # Ok(()) }
//! ```

mod body;
mod conn;
mod limits;
mod refusals;
mod serve;
mod worker;

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use bytes::Bytes;

pub use body::{BodyLimit, BodyLimitLayer, SMALL_BODY};
pub use limits::ReceiverLimits;
pub use serve::serve;

use self::refusals::Refusals;
use self::worker::Worker;
use super::{
    Deliveries, Parser, SIGNATURE_HEADER, WEBHOOK_ID_HEADER, WebhookErrorKind, WebhookEvent,
};
use crate::auth::Secret;
use crate::client::Client;
use crate::error::Error;
use crate::events::TaskEvents;

type Callback = Arc<dyn Fn(WebhookEvent) + Send + Sync + 'static>;

/// Builds the webhook receiver; see the [module docs](self).
#[derive(Clone)]
#[must_use = "a receiver does nothing until it is turned into a router"]
pub struct Receiver {
    secret: Secret,
    parser: Parser,
    events: Option<TaskEvents>,
    callback: Option<Callback>,
    deliveries: Deliveries,
    limits: ReceiverLimits,
    refusals: Refusals,
    worker: Worker,
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("secret", &self.secret)
            .field("parser", &self.parser)
            .field("events", &self.events)
            .field("deliveries", &self.deliveries)
            .field("limits", &self.limits)
            .field(
                "callback",
                &self.callback.as_ref().map(|_| "Fn(WebhookEvent)"),
            )
            .finish()
    }
}

impl Receiver {
    /// A receiver that verifies with `api_secret`, with no hub and no
    /// callback yet.
    pub fn new(api_secret: impl Into<String>) -> Self {
        Receiver {
            secret: Secret::new(api_secret),
            parser: Parser::default(),
            events: None,
            callback: None,
            deliveries: Deliveries::new(),
            refusals: Refusals::new(ReceiverLimits::default().log_interval),
            worker: Worker::default(),
            limits: ReceiverLimits::default(),
        }
    }

    /// A receiver that verifies with the client's secret and publishes to the
    /// client's [`TaskEvents`] hub (if it has one).
    pub fn for_client(client: &Client) -> Self {
        let mut receiver = Receiver::new(client.webhook_secret());
        receiver.events = client.task_events().cloned();
        receiver
    }

    /// Publish every verified event to `events`. Default: the client's hub
    /// with [`for_client`](Self::for_client), else none.
    pub fn events(mut self, events: TaskEvents) -> Self {
        self.events = Some(events);
        self
    }

    /// Call `callback` with every verified event, after the hub. It runs in
    /// the request's task before the answer is sent: keep it short, and
    /// `tokio::spawn` slow work (Stream retries an answer slower than 6 s).
    /// Default: none.
    pub fn on_event(mut self, callback: impl Fn(WebhookEvent) + Send + Sync + 'static) -> Self {
        self.callback = Some(Arc::new(callback));
        self
    }

    /// The largest body accepted, as sent and once inflated. Default:
    /// [`DEFAULT_MAX_PAYLOAD_SIZE`](super::DEFAULT_MAX_PAYLOAD_SIZE) (16 MiB).
    pub fn max_payload_size(mut self, bytes: usize) -> Self {
        self.parser = self.parser.max_payload_size(bytes);
        self.limits.max_body_bytes = bytes;
        self
    }

    /// The body bounds of [`router`](Self::router) and the interval of the
    /// refusal log; `limits.max_body_bytes` is the payload cap too (as
    /// [`max_payload_size`](Self::max_payload_size)). Default:
    /// [`ReceiverLimits::default`].
    pub fn limits(mut self, limits: ReceiverLimits) -> Self {
        self.parser = self.parser.max_payload_size(limits.max_body_bytes);
        self.refusals = Refusals::new(limits.log_interval);
        self.limits = limits;
        self
    }

    /// Where the deliveries seen are remembered, to answer a retry or a
    /// replay (same `X-Webhook-Id`) with `200` without handling it again.
    /// Default: [`Deliveries::new`] (10 minutes, 20,000 deliveries), shared
    /// by the clones of this receiver.
    pub fn deliveries(mut self, deliveries: Deliveries) -> Self {
        self.deliveries = deliveries;
        self
    }

    /// A router answering `POST path` (e.g. `"/webhooks/stream"`), with the
    /// body bounds of [`BodyLimitLayer`]; merge or nest it into your app.
    pub fn router<S>(self, path: &str) -> Router<S> {
        let limit = self.parser.max_payload_size;
        let bodies = BodyLimitLayer::with_refusals(&self.limits, self.refusals.clone());
        Router::new()
            .route(path, post(receive))
            .layer(DefaultBodyLimit::max(limit))
            .layer(bodies)
            .with_state(Arc::new(self))
    }

    /// As [`handle`](Self::handle); a body larger than [`SMALL_BODY`], or
    /// gzip, on a thread of the receiver's own: verifying a 16 MiB body (or
    /// inflating one to 16 MiB) takes long enough to hold up the other
    /// connections of an async thread. While two such bodies wait for that
    /// thread already, the answer is `503` (Stream retries it).
    pub async fn handle_bytes(&self, headers: HeaderMap, body: Bytes) -> StatusCode {
        if body.len() <= SMALL_BODY && !body.starts_with(&[0x1f, 0x8b]) {
            return self.handle(&headers, &body);
        }
        let receiver = self.clone();
        self.worker
            .run(move || receiver.handle(&headers, &body))
            .await
            .unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
    }

    /// Handles one delivery: the status code to answer. Public for other
    /// servers built on `http` types. A verified delivery whose
    /// `X-Webhook-Id` was handled already is answered `200` and not handled
    /// again; refusals are logged in a summary line per interval.
    pub fn handle(&self, headers: &HeaderMap, body: &[u8]) -> StatusCode {
        let Some(signature) = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()) else {
            self.refusals.note("no signature");
            return StatusCode::UNAUTHORIZED;
        };
        match self
            .parser
            .verify_and_parse(body, signature, self.secret.expose())
        {
            Ok(event) => {
                // Only verified deliveries are remembered: unsigned requests
                // cannot fill the record or shadow a genuine delivery.
                let id = headers.get(WEBHOOK_ID_HEADER).and_then(|v| v.to_str().ok());
                if id.is_some_and(|id| !self.deliveries.first_time(id)) {
                    tracing::debug!("a delivery already handled (a retry or a replay)");
                    return StatusCode::OK;
                }
                if let Some(events) = &self.events {
                    events.publish(&event);
                }
                if let Some(callback) = &self.callback {
                    callback(event);
                }
                StatusCode::OK
            }
            Err(Error::Webhook(e)) => match e.kind() {
                WebhookErrorKind::InvalidSignature => {
                    self.refusals.note("bad signature");
                    StatusCode::UNAUTHORIZED
                }
                WebhookErrorKind::PayloadTooLarge => {
                    self.refusals.note("too large");
                    StatusCode::PAYLOAD_TOO_LARGE
                }
                _ => {
                    self.refusals.note("undecodable");
                    StatusCode::BAD_REQUEST
                }
            },
            Err(_) => {
                self.refusals.note("undecodable");
                StatusCode::BAD_REQUEST
            }
        }
    }
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    receiver.handle_bytes(headers, body).await
}
