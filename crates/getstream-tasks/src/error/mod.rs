//! One error type for everything the SDK can fail at.
//!
//! [`Error`] keeps three failures apart that must never blur:
//!
//! * the task failed on the server: [`Error::Task`];
//! * we gave up waiting (or a single request timed out / lost its connection):
//!   [`Error::Transport`];
//! * the server answered a request with an error status: [`Error::Api`].
//!
//! plus the caller's own mistakes ([`Error::InvalidArgument`]) and responses that
//! are not what Stream sends ([`Error::Decode`]). Every error is
//! `Send + Sync + 'static`, keeps its cause chain in [`std::error::Error::source`],
//! displays as one line, and never contains the API secret or a token.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::models::RateLimitInfo;

mod api;
mod api_body;
mod argument;
mod task;
mod transport;
mod webhook;

pub use api::ApiError;
pub(crate) use api_body::{api_error, parse_retry_after};
pub use argument::{DecodeError, InvalidArgumentError};
pub use task::{CancelledError, TaskError};
pub use transport::TransportError;
pub(crate) use transport::TransportKind;
pub use webhook::{WebhookError, WebhookErrorKind};

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Everything that can go wrong when talking to Stream.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The task ended with status `failed`.
    Task(TaskError),
    /// No (complete) HTTP response: connection problems, a request timeout, or a
    /// wait that ran out of time.
    Transport(TransportError),
    /// The server answered with an error status (≥ 400 or another non-2xx status).
    Api(ApiError),
    /// An argument was rejected before any request was made.
    InvalidArgument(InvalidArgumentError),
    /// A success response whose body could not be decoded.
    Decode(DecodeError),
    /// The caller cancelled the operation: the cancellation token of a wait
    /// ([`WaitForTask::cancel_on`](crate::WaitForTask::cancel_on)) fired.
    /// Never reported as a timeout.
    Cancelled(CancelledError),
    /// A pushed payload (webhook, SQS, SNS) was refused: a bad signature or
    /// an undecodable body; [`WebhookError::kind`] says which.
    Webhook(WebhookError),
}

// By hand rather than with thiserror (two crates fewer in every user's build):
// each variant is transparent, showing and chaining as the error it holds.
macro_rules! transparent {
    ($($variant:ident($inner:ty)),* $(,)?) => {
        impl fmt::Display for Error {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(Error::$variant(e) => fmt::Display::fmt(e, f),)*
                }
            }
        }

        impl StdError for Error {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                match self {
                    $(Error::$variant(e) => e.source(),)*
                }
            }
        }

        $(
            impl From<$inner> for Error {
                fn from(e: $inner) -> Error {
                    Error::$variant(e)
                }
            }
        )*
    };
}

transparent!(
    Task(TaskError),
    Transport(TransportError),
    Api(ApiError),
    InvalidArgument(InvalidArgumentError),
    Decode(DecodeError),
    Cancelled(CancelledError),
    Webhook(WebhookError),
);

impl Error {
    /// Whether the task itself failed.
    ///
    /// ```
    /// # let task: getstream_tasks::Task = serde_json::from_str(r#"{"task_id":"t1","status":"failed"}"#).unwrap();
    /// # let error = getstream_tasks::Error::from(getstream_tasks::TaskError::from_task(task));
    /// assert!(error.is_task());
    /// ```
    pub fn is_task(&self) -> bool {
        matches!(self, Error::Task(_))
    }

    /// Whether this is a transport error (no complete HTTP response), including
    /// timeouts.
    ///
    /// ```
    /// # let error = getstream_tasks::Error::from(getstream_tasks::TransportError::timeout("GET /x took too long"));
    /// assert!(error.is_transport());
    /// ```
    pub fn is_transport(&self) -> bool {
        matches!(self, Error::Transport(_))
    }

    /// Whether something timed out: a single request, or a whole wait (then
    /// [`TransportError::task_id`] is set).
    ///
    /// ```
    /// # let error = getstream_tasks::Error::from(getstream_tasks::TransportError::timeout("GET /x took too long"));
    /// assert!(error.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport(e) if e.is_timeout())
    }

    /// Whether the server answered with an error status.
    ///
    /// ```
    /// # let error = getstream_tasks::Error::from(getstream_tasks::ApiError::new(http::StatusCode::NOT_FOUND, 16, "Can't find task with id x"));
    /// assert!(error.is_api());
    /// ```
    pub fn is_api(&self) -> bool {
        matches!(self, Error::Api(_))
    }

    /// Whether the server answered 404 Not Found.
    ///
    /// ```
    /// # let error = getstream_tasks::Error::from(getstream_tasks::ApiError::new(http::StatusCode::NOT_FOUND, 16, "Can't find task with id x"));
    /// assert!(error.is_not_found());
    /// ```
    pub fn is_not_found(&self) -> bool {
        self.status_code() == Some(StatusCode::NOT_FOUND)
    }

    /// Whether the server answered 429 Too Many Requests.
    ///
    /// ```
    /// # let error = getstream_tasks::Error::from(getstream_tasks::ApiError::new(http::StatusCode::TOO_MANY_REQUESTS, 9, "Too many requests"));
    /// assert!(error.is_rate_limited());
    /// ```
    pub fn is_rate_limited(&self) -> bool {
        self.status_code() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// Whether an argument was rejected before any request.
    ///
    /// ```
    /// # let error = getstream_tasks::Error::from(getstream_tasks::InvalidArgumentError::new("task_id", "must not be empty"));
    /// assert!(error.is_invalid_argument());
    /// ```
    pub fn is_invalid_argument(&self) -> bool {
        matches!(self, Error::InvalidArgument(_))
    }

    /// Whether a success response could not be decoded.
    ///
    /// ```
    /// # let json_err = serde_json::from_str::<u8>("x").unwrap_err();
    /// # let error = getstream_tasks::Error::from(getstream_tasks::DecodeError::new(http::StatusCode::OK, b"x", json_err));
    /// assert!(error.is_decode());
    /// ```
    pub fn is_decode(&self) -> bool {
        matches!(self, Error::Decode(_))
    }

    /// Whether the caller cancelled the operation.
    ///
    /// ```
    /// # let error = getstream_tasks::Error::from(getstream_tasks::CancelledError::new(None));
    /// assert!(error.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Error::Cancelled(_))
    }

    /// Whether a pushed payload was refused (see [`Error::Webhook`]).
    ///
    /// ```
    /// let error = getstream_tasks::webhook::parse(b"").unwrap_err();
    /// assert!(error.is_webhook());
    /// assert_eq!(error.webhook_kind(), Some(getstream_tasks::webhook::WebhookErrorKind::EmptyBody));
    /// ```
    pub fn is_webhook(&self) -> bool {
        matches!(self, Error::Webhook(_))
    }

    /// For an [`Error::Webhook`]: why the payload was refused.
    pub fn webhook_kind(&self) -> Option<crate::webhook::WebhookErrorKind> {
        match self {
            Error::Webhook(e) => Some(e.kind()),
            _ => None,
        }
    }

    /// Whether retrying the same request later may succeed: connection failures
    /// and request timeouts, HTTP 5xx, 408 and 429 — unless the server marked the
    /// error `unrecoverable`. `wait_for_task` keeps polling through these.
    ///
    /// ```
    /// # use http::StatusCode;
    /// # use getstream_tasks::{ApiError, Error};
    /// assert!(Error::from(ApiError::new(StatusCode::BAD_GATEWAY, 0, "bad gateway")).is_retryable());
    /// assert!(!Error::from(ApiError::new(StatusCode::UNAUTHORIZED, 5, "bad token")).is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_retryable(),
            Error::Api(e) => e.is_retryable(),
            _ => false,
        }
    }

    /// The HTTP status, for an [`Error::Api`].
    pub fn status_code(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status_code()),
            _ => None,
        }
    }

    /// The task id this error is about, when known (task failures, wait timeouts).
    pub fn task_id(&self) -> Option<&str> {
        match self {
            Error::Task(e) => Some(e.task_id()),
            Error::Transport(e) => e.task_id(),
            Error::Cancelled(e) => e.task_id(),
            _ => None,
        }
    }

    /// How long the server asked us to wait before retrying (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(e) => e.retry_after(),
            _ => None,
        }
    }

    /// The rate-limit headers of the error response, if any.
    pub fn rate_limit(&self) -> Option<&RateLimitInfo> {
        match self {
            Error::Api(e) => e.rate_limit(),
            _ => None,
        }
    }
}

/// Replaces line breaks so that every `Display` stays on one line.
pub(crate) fn one_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .filter(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Task, TaskStatus};

    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn errors_are_send_sync_static() {
        assert_send_sync::<Error>();
    }

    #[test]
    fn every_variant_shows_and_chains_as_the_error_it_holds() {
        let io = std::io::Error::other("socket closed");
        let inner = TransportError::unknown("GET /x failed", Some(Box::new(io)));
        let (shown, source) = (inner.to_string(), inner.source().unwrap().to_string());
        let e = Error::from(inner);
        assert!(matches!(e, Error::Transport(_)));
        assert_eq!(e.to_string(), shown);
        assert_eq!(e.source().unwrap().to_string(), source);
        let e = Error::from(InvalidArgumentError::new("task_id", "must not be empty"));
        assert_eq!(
            e.to_string(),
            "invalid argument `task_id`: must not be empty"
        );
        assert!(e.source().is_none());
    }

    #[test]
    fn failed_task_without_error_object_is_unknown_with_empty_description() {
        let task: Task = serde_json::from_str(r#"{"task_id":"t9","status":"failed"}"#).unwrap();
        let e = TaskError::from_task(task);
        assert_eq!(e.error_type(), "unknown");
        assert_eq!(e.description(), "");
        assert_eq!(e.stack_trace(), None);
        assert_eq!(e.to_string(), "task t9 failed (unknown)");
    }

    #[test]
    fn wait_timeout_keeps_its_facts_and_source() {
        let last = Error::from(ApiError::new(StatusCode::BAD_GATEWAY, 0, "bad\ngateway"));
        let e = TransportError::wait_timeout(
            "t1",
            Some(TaskStatus::Running),
            3,
            Duration::from_secs(2),
            Some(last),
        );
        assert!(e.is_timeout() && e.is_wait_timeout() && !e.is_retryable());
        assert_eq!(e.task_id(), Some("t1"));
        assert_eq!(e.last_status(), Some(&TaskStatus::Running));
        assert_eq!(e.polls(), Some(3));
        assert_eq!(e.elapsed(), Some(Duration::from_secs(2)));
        assert_eq!(
            e.last_error().and_then(Error::status_code),
            Some(StatusCode::BAD_GATEWAY)
        );
        let text = Error::from(e).to_string();
        assert!(text.contains("may still be running"), "{text}");
        assert!(!text.contains('\n'));
    }
}
