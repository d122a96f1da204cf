//! Events Stream pushes — by HTTP webhook, Amazon SQS or Amazon SNS —
//! verified and decoded.
//!
//! When an export finishes Stream sends `export.channels.success` (with the
//! download `url`) or `…error` (with `error`), each with the `task_id`; the
//! delete/deactivate/reactivate jobs send one `channel.deleted` or
//! `user.deleted`/`user.deactivated`/`user.reactivated` per entity. Hand
//! these events to a [`TaskEvents`](crate::TaskEvents) hub and every wait of
//! a client built with it polls at once when its task is named, instead of at
//! the next tick of its interval.
//!
//! # HTTP webhooks
//!
//! Stream `POST`s the JSON event with `X-Signature`: the lowercase hex
//! HMAC-SHA256 of the **uncompressed** body, keyed with your API secret. With
//! the app setting `enable_hook_payload_compression` the body is gzip (no
//! header says so; it starts with `1f 8b`): reading it takes this crate's
//! `gzip` feature. [`verify_and_parse`] does it all: gunzip if needed,
//! verify, decode.
//!
//! ```
//! use getstream_tasks::webhook;
//!
//! let secret = "api-secret";
//! let body: &[u8] = br#"{"type":"export.users.success","task_id":"t1","url":"https://x/u.json"}"#;
//! let signature = webhook::sign(body, secret); // what Stream sends in X-Signature
//!
//! let event = webhook::verify_and_parse(body, &signature, secret)?;
//! assert_eq!(event.task_id(), Some("t1"));
//!
//! let tampered = webhook::verify_and_parse(b"{\"type\":\"export.users.success\"}", &signature, secret);
//! assert!(matches!(tampered, Err(getstream_tasks::Error::Webhook(e)) if e.is_signature()));
//! # Ok::<(), getstream_tasks::Error>(())
//! ```
//!
//! [`Client::verify_webhook`](crate::Client::verify_webhook) does the same
//! with the client's own secret.
//!
//! ## In any web framework
//!
//! Verify the **raw bytes of the request body exactly as received**. Never
//! let the framework parse the JSON first and serialise it back: spacing, key
//! order, number formats and escapes change, and the signature no longer
//! matches — the most reported webhook bug in Stream's SDK trackers. Take
//! the body as bytes (axum `Bytes`, actix-web `web::Bytes`, warp
//! `body::bytes()`, hyper `BodyExt::collect`), cap its size, and:
//!
//! 1. read the `X-Signature` header (missing → treat as a bad signature);
//! 2. `webhook::verify_and_parse(&body, signature, secret)`; on an error
//!    with `is_signature()`, answer `401`; on another error, `400`;
//! 3. answer `200` **at once** and do the work afterwards (Stream retries a
//!    slow answer — after 6 s — or a 408/429/5xx, up to 3 attempts with the
//!    same `X-Webhook-Id`, so handle an event twice without harm);
//! 4. skip a delivery whose `X-Webhook-Id` [`Deliveries`] has seen (a retry
//!    or a replay: answer `200`), else hand the event to your hub:
//!    `events.publish(&event)`.
//!
//! With the cargo feature `axum`, `webhook::axum::Receiver` is a ready
//! receiver that does exactly this.
//!
//! # SQS and SNS
//!
//! Queue deliveries carry no signature (the queue's own access control
//! authenticates them). An SQS message body is `base64(gzip(json))` with
//! compression on and the raw JSON with it off: [`parse_sqs`] takes either.
//! [`parse_sns`] takes an SNS notification envelope
//! (`{"Type":"Notification","Message":…}`) or its already extracted
//! `Message`.
//!
//! ```
//! let event = getstream_tasks::webhook::parse_sqs(r#"{"type":"user.deleted","user":{"id":"u1"}}"#)?;
//! assert_eq!(event.event_type(), "user.deleted");
//! let envelope = r#"{"Type":"Notification","MessageId":"m1","Message":"{\"type\":\"channel.deleted\",\"cid\":\"messaging:a\"}"}"#;
//! let event = getstream_tasks::webhook::parse_sns(envelope)?;
//! assert_eq!(event.event_type(), "channel.deleted");
//! # Ok::<(), getstream_tasks::Error>(())
//! ```
//!
//! # Limits and errors
//!
//! Every failure is an [`Error::Webhook`](crate::Error::Webhook) whose
//! [`WebhookError::kind`] tells a bad signature, bad base64, a corrupt gzip
//! stream, invalid JSON, a missing `type`, a bad SNS envelope, an empty body,
//! or a payload over the size cap apart. A payload — as received or once
//! inflated — may be at most [`DEFAULT_MAX_PAYLOAD_SIZE`] (16 MiB); inflating
//! stops there without allocating more, so a small gzip bomb costs nothing.
//! Its JSON may hold at most one value per 8 bytes of the cap (real events
//! hold one per 10 bytes or fewer), checked before decoding: the decoded
//! event takes a few times the cap at most, where a dense `[0,0,0,…]` at the
//! cap would take 16 to 30 times. [`Parser`] changes the cap. An unknown
//! `type` is a valid event.

mod decode;
mod entity_events;
mod event;
#[cfg(test)]
mod props;
mod replay;
mod signature;
mod view;

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;

pub use crate::error::{WebhookError, WebhookErrorKind};
pub use entity_events::{ActivityDeleted, CallDeleted, FeedDeleted};
pub use event::{
    ChannelBatchUpdate, ChannelDeleted, ExportFailed, ExportKind, ExportSucceeded, UserAction,
    UserEvent, WebhookEvent,
};
pub use replay::{DEFAULT_REPLAY_CAPACITY, DEFAULT_REPLAY_WINDOW, Deliveries, WEBHOOK_ID_HEADER};
pub use signature::{sign, verify_signature};
pub use view::EventView;

use crate::error::Result;

/// The default cap on a payload's size, as received or once inflated: 16 MiB.
pub const DEFAULT_MAX_PAYLOAD_SIZE: usize = 16 * 1024 * 1024;

/// The header Stream signs webhook bodies in.
pub const SIGNATURE_HEADER: &str = "x-signature";

/// Decodes pushed payloads with a size cap of your choice; the module's free
/// functions use [`Parser::default`] ([`DEFAULT_MAX_PAYLOAD_SIZE`]).
///
/// ```
/// use getstream_tasks::webhook::{Parser, WebhookErrorKind};
///
/// let parser = Parser::new().max_payload_size(16);
/// let Err(getstream_tasks::Error::Webhook(e)) = parser.parse(br#"{"type":"user.deleted","user":{"id":"u1"}}"#) else {
///     unreachable!()
/// };
/// assert_eq!(e.kind(), WebhookErrorKind::PayloadTooLarge);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Parser {
    max_payload_size: usize,
}

impl Default for Parser {
    fn default() -> Self {
        Parser {
            max_payload_size: DEFAULT_MAX_PAYLOAD_SIZE,
        }
    }
}

impl Parser {
    /// A parser with the default cap ([`DEFAULT_MAX_PAYLOAD_SIZE`]).
    pub fn new() -> Self {
        Parser::default()
    }

    /// The largest payload accepted, in bytes, as received and once inflated;
    /// its JSON may hold one value per 8 bytes of it (at least 1024).
    /// Default: [`DEFAULT_MAX_PAYLOAD_SIZE`] (16 MiB).
    pub fn max_payload_size(mut self, bytes: usize) -> Self {
        self.max_payload_size = bytes;
        self
    }

    /// See [`parse`](fn@parse).
    ///
    /// # Errors
    ///
    /// As [`parse`](fn@parse).
    pub fn parse(&self, body: &[u8]) -> Result<WebhookEvent> {
        let json = decode::maybe_gunzip(body, self.max_payload_size)?;
        self.event(&json)
    }

    /// See [`verify_and_parse`].
    ///
    /// # Errors
    ///
    /// As [`verify_and_parse`].
    pub fn verify_and_parse(
        &self,
        body: &[u8],
        signature: &str,
        secret: &str,
    ) -> Result<WebhookEvent> {
        let json = decode::maybe_gunzip(body, self.max_payload_size)?;
        if !verify_signature(&json, signature, secret) {
            return Err(WebhookError::new(
                WebhookErrorKind::InvalidSignature,
                "X-Signature does not match the body",
            )
            .into());
        }
        self.event(&json)
    }

    /// See [`parse_sqs`].
    ///
    /// # Errors
    ///
    /// As [`parse_sqs`].
    pub fn parse_sqs(&self, message_body: &str) -> Result<WebhookEvent> {
        let json = decode::queue_message(message_body, self.max_payload_size)?;
        self.event(&json)
    }

    /// See [`parse_sns`].
    ///
    /// # Errors
    ///
    /// As [`parse_sns`].
    pub fn parse_sns(&self, notification: &str) -> Result<WebhookEvent> {
        let message = decode::sns_message(notification, self.max_payload_size)?;
        self.parse_sqs(&message)
    }

    /// The event in `json` (at most the cap), refused before decoding when it
    /// holds more values than the cap allows.
    fn event(&self, json: &[u8]) -> Result<WebhookEvent> {
        decode::check_json_values(json, self.max_payload_size)?;
        Ok(WebhookEvent::from_slice(json)?)
    }
}

/// Decodes a webhook body **without checking its signature** (use
/// [`verify_and_parse`] for HTTP deliveries): gunzips it when it starts with
/// the gzip magic `1f 8b`, then reads the JSON event.
///
/// # Errors
///
/// [`Error::Webhook`](crate::Error::Webhook) with kind `EmptyBody`, `Gzip`,
/// `PayloadTooLarge`, `InvalidJson` or `MissingType`.
pub fn parse(body: &[u8]) -> Result<WebhookEvent> {
    Parser::default().parse(body)
}

/// Verifies and decodes an HTTP webhook delivery: gunzips `body` when it
/// starts with the gzip magic, checks `signature` (the `X-Signature` header)
/// over the uncompressed bytes with [`verify_signature`], then reads the JSON.
/// `body` must be the raw bytes as received (see the [module
/// docs](self#in-any-web-framework)).
///
/// # Errors
///
/// [`Error::Webhook`](crate::Error::Webhook) with kind `InvalidSignature`
/// (answer 401), or as [`parse`](fn@parse).
pub fn verify_and_parse(body: &[u8], signature: &str, secret: &str) -> Result<WebhookEvent> {
    Parser::default().verify_and_parse(body, signature, secret)
}

/// Decodes an SQS message body: base64 (of gzip when compression is on), or
/// the raw JSON when compression is off. SQS deliveries carry no signature.
///
/// # Errors
///
/// [`Error::Webhook`](crate::Error::Webhook) with kind `InvalidBase64` (neither
/// JSON nor base64), or as [`parse`](fn@parse).
pub fn parse_sqs(message_body: &str) -> Result<WebhookEvent> {
    Parser::default().parse_sqs(message_body)
}

/// Decodes an SNS delivery: the notification envelope
/// `{"Type":"Notification","Message":"…"}` as received, or its `Message`
/// already extracted; the message as in [`parse_sqs`].
///
/// # Errors
///
/// [`Error::Webhook`](crate::Error::Webhook) with kind `InvalidEnvelope` (not a
/// `Notification` with a string `Message`), or as [`parse_sqs`].
pub fn parse_sns(notification: &str) -> Result<WebhookEvent> {
    Parser::default().parse_sns(notification)
}
