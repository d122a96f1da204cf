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

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use bytes::Bytes;

use super::{Parser, SIGNATURE_HEADER, WebhookErrorKind, WebhookEvent};
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
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("secret", &self.secret)
            .field("parser", &self.parser)
            .field("events", &self.events)
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
        }
    }

    /// A receiver that verifies with the client's secret and publishes to the
    /// client's [`TaskEvents`] hub (if it has one).
    pub fn for_client(client: &Client) -> Self {
        let mut receiver = Receiver::new(client.transport().api_secret());
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
        self
    }

    /// A router answering `POST path` (e.g. `"/webhooks/stream"`); merge or
    /// nest it into your app.
    pub fn router<S>(self, path: &str) -> Router<S> {
        let limit = self.parser.max_payload_size;
        Router::new()
            .route(path, post(receive))
            .layer(DefaultBodyLimit::max(limit))
            .with_state(Arc::new(self))
    }

    /// Handles one delivery: the status code to answer. Public for other
    /// servers built on `http` types.
    pub fn handle(&self, headers: &HeaderMap, body: &[u8]) -> StatusCode {
        let Some(signature) = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()) else {
            tracing::warn!("webhook without a readable X-Signature refused");
            return StatusCode::UNAUTHORIZED;
        };
        match self
            .parser
            .verify_and_parse(body, signature, self.secret.expose())
        {
            Ok(event) => {
                if let Some(events) = &self.events {
                    events.publish(&event);
                }
                if let Some(callback) = &self.callback {
                    callback(event);
                }
                StatusCode::OK
            }
            Err(Error::Webhook(e)) => {
                tracing::warn!(error = %e, "webhook refused");
                match e.kind() {
                    WebhookErrorKind::InvalidSignature => StatusCode::UNAUTHORIZED,
                    WebhookErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                    _ => StatusCode::BAD_REQUEST,
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "webhook refused");
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
    receiver.handle(&headers, &body)
}
