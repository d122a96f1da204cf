//! What can be wrong with a pushed payload.

use std::fmt;

/// Why a webhook, SQS or SNS payload was refused; see [`WebhookError::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WebhookErrorKind {
    /// The `X-Signature` does not match the body (or is not hex of the right
    /// length): the payload is not from Stream, or the body was changed
    /// (re-serialised) before checking.
    InvalidSignature,
    /// An SQS/SNS message that is neither raw JSON nor valid base64.
    InvalidBase64,
    /// A gzip-prefixed payload that does not inflate (corrupt or truncated),
    /// or, in a build without the `gzip` feature, any gzip payload.
    Gzip,
    /// The (decompressed) payload is not a JSON object.
    InvalidJson,
    /// A JSON object without a non-empty string `type`.
    MissingType,
    /// The payload (as received, or once inflated) is larger than the cap
    /// ([`Parser::max_payload_size`](crate::webhook::Parser::max_payload_size)), or
    /// its JSON holds more values than one per 8 bytes of the cap.
    PayloadTooLarge,
    /// An SNS message that is not a `Notification` envelope with a string
    /// `Message` (e.g. a `SubscriptionConfirmation`).
    InvalidEnvelope,
    /// Nothing was received.
    EmptyBody,
}

impl WebhookErrorKind {
    /// A stable snake_case name, e.g. `"invalid_signature"`.
    ///
    /// ```
    /// assert_eq!(getstream_tasks::webhook::WebhookErrorKind::Gzip.as_str(), "gzip");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookErrorKind::InvalidSignature => "invalid_signature",
            WebhookErrorKind::InvalidBase64 => "invalid_base64",
            WebhookErrorKind::Gzip => "gzip",
            WebhookErrorKind::InvalidJson => "invalid_json",
            WebhookErrorKind::MissingType => "missing_type",
            WebhookErrorKind::PayloadTooLarge => "payload_too_large",
            WebhookErrorKind::InvalidEnvelope => "invalid_envelope",
            WebhookErrorKind::EmptyBody => "empty_body",
        }
    }
}

impl fmt::Display for WebhookErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A webhook, SQS or SNS payload that was refused: [`kind`](Self::kind) says
/// why, `Display` says it in one line (never with the secret or the
/// signature), `source()` keeps the decoder's own error.
#[derive(Debug)]
pub struct WebhookError {
    kind: WebhookErrorKind,
    message: String,
    source: Option<BoxError>,
}

impl WebhookError {
    pub(crate) fn new(kind: WebhookErrorKind, message: impl Into<String>) -> Self {
        WebhookError {
            kind,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn with_source(
        kind: WebhookErrorKind,
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        WebhookError {
            kind,
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// Why the payload was refused.
    ///
    /// ```
    /// use getstream_tasks::{Error, webhook::{self, WebhookErrorKind}};
    /// let Err(Error::Webhook(error)) = webhook::verify_and_parse(b"{\"type\":\"x\"}", "00", "secret") else {
    ///     unreachable!()
    /// };
    /// assert_eq!(error.kind(), WebhookErrorKind::InvalidSignature);
    /// ```
    pub fn kind(&self) -> WebhookErrorKind {
        self.kind
    }

    /// Whether the signature did not match (answer 401).
    ///
    /// ```
    /// use getstream_tasks::Error;
    /// let Err(Error::Webhook(error)) = getstream_tasks::webhook::verify_and_parse(b"{}", "abc", "secret") else {
    ///     unreachable!()
    /// };
    /// assert!(error.is_signature());
    /// ```
    pub fn is_signature(&self) -> bool {
        self.kind == WebhookErrorKind::InvalidSignature
    }
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "webhook payload refused ({}): {}",
            self.kind, self.message
        )
    }
}

impl std::error::Error for WebhookError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
