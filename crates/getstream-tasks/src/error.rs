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

use std::collections::BTreeMap;
use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::models::{RateLimitInfo, Task, TaskStatus};
pub use crate::webhook::WebhookError;

mod api_body;

pub(crate) use api_body::{api_error, parse_retry_after};

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

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

/// A task that ended with status `failed`.
///
/// Carries the server's `ErrorResult`; a failed task without one gives
/// `error_type() == "unknown"` and an empty `description()`.
#[derive(Debug, Clone)]
pub struct TaskError {
    task: Box<Task>,
}

impl TaskError {
    /// Wraps a failed task: the error `wait_for_task` returns. Not part of the
    /// stable API (for tests and hand-written loops).
    #[doc(hidden)]
    pub fn from_task(task: Task) -> Self {
        TaskError {
            task: Box::new(task),
        }
    }

    /// The id of the failed task.
    pub fn task_id(&self) -> &str {
        &self.task.task_id
    }

    /// The error's type as sent by the server, or `"unknown"` when the task has
    /// no error object (or an empty type).
    pub fn error_type(&self) -> &str {
        match self.task.error.as_ref().map(|e| e.error_type.as_str()) {
            Some(t) if !t.is_empty() => t,
            _ => "unknown",
        }
    }

    /// The error's description (empty when the server sent none).
    pub fn description(&self) -> &str {
        self.task
            .error
            .as_ref()
            .map_or("", |e| e.description.as_str())
    }

    /// The server-side stack trace, when the server shares it.
    pub fn stack_trace(&self) -> Option<&str> {
        self.task.error.as_ref()?.stacktrace.as_deref()
    }

    /// The server version that ran the task, when given.
    pub fn version(&self) -> Option<&str> {
        self.task.error.as_ref()?.version.as_deref()
    }

    /// The whole failed task, e.g. to read a partial `result`.
    pub fn task(&self) -> &Task {
        &self.task
    }

    /// Takes the failed task out of the error.
    pub fn into_task(self) -> Task {
        *self.task
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {} failed ({})", self.task_id(), self.error_type())?;
        let description = self.description();
        if !description.is_empty() {
            write!(f, ": {}", one_line(description))?;
        }
        Ok(())
    }
}

impl StdError for TaskError {}

/// The transport error types, as the official SDKs name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransportKind {
    ConnectionReset,
    Timeout,
    DnsFailure,
    TlsHandshakeFailed,
    Unknown,
}

impl TransportKind {
    fn as_str(self) -> &'static str {
        match self {
            TransportKind::ConnectionReset => "connection_reset",
            TransportKind::Timeout => "timeout",
            TransportKind::DnsFailure => "dns_failure",
            TransportKind::TlsHandshakeFailed => "tls_handshake_failed",
            TransportKind::Unknown => "unknown",
        }
    }
}

/// What a wait had seen when it ran out of time.
#[derive(Debug, Clone)]
struct WaitSummary {
    task_id: String,
    last_status: Option<TaskStatus>,
    polls: u32,
    elapsed: Duration,
}

/// No complete HTTP response arrived: the connection failed or was reset, a
/// request timed out, or a wait ran out of time.
///
/// [`error_type`](TransportError::error_type) is one of `"connection_reset"`,
/// `"timeout"`, `"dns_failure"`, `"tls_handshake_failed"` or `"unknown"`.
/// A refused connection is reported as `"connection_reset"` (with
/// [`is_connect`](TransportError::is_connect) true): to the caller both mean
/// "the server could not be reached this time", and both are retried by
/// `wait_for_task`.
///
/// A wait that ran out of time is a `"timeout"` that also carries the task id,
/// the last status seen, the number of polls, the elapsed time, and the last
/// poll's error (if the last poll failed) as its [`source`](StdError::source).
#[derive(Debug)]
pub struct TransportError {
    kind: TransportKind,
    pub(crate) connect: bool,
    message: String,
    wait: Option<Box<WaitSummary>>,
    source: Option<BoxError>,
}

impl TransportError {
    /// A request timeout with the given description. Not part of the stable
    /// API (for tests and hand-written loops).
    #[doc(hidden)]
    pub fn timeout(message: impl Into<String>) -> Self {
        TransportError::new(TransportKind::Timeout, message, None)
    }

    pub(crate) fn new(
        kind: TransportKind,
        message: impl Into<String>,
        source: Option<BoxError>,
    ) -> Self {
        TransportError {
            kind,
            connect: false,
            message: message.into(),
            wait: None,
            source,
        }
    }

    #[cfg(test)]
    pub(crate) fn connection(message: impl Into<String>, source: Option<BoxError>) -> Self {
        TransportError::new(TransportKind::ConnectionReset, message, source)
    }

    pub(crate) fn unknown(message: impl Into<String>, source: Option<BoxError>) -> Self {
        TransportError::new(TransportKind::Unknown, message, source)
    }

    /// The timeout error of a wait that ran out of time.
    pub(crate) fn wait_timeout(
        task_id: &str,
        last_status: Option<TaskStatus>,
        polls: u32,
        elapsed: Duration,
        last_error: Option<Error>,
    ) -> Self {
        let status = match &last_status {
            Some(TaskStatus::Unknown(s)) => format!("unknown status {s:?}"),
            Some(s) => s.to_string(),
            None => "none seen".to_owned(),
        };
        let message = format!(
            "gave up waiting for task {task_id} after {:.3}s and {polls} poll{} (last status: {status}); \
             the task may still be running on the server: wait again on the same task id to resume",
            elapsed.as_secs_f64(),
            if polls == 1 { "" } else { "s" },
        );
        TransportError {
            kind: TransportKind::Timeout,
            connect: false,
            message,
            wait: Some(Box::new(WaitSummary {
                task_id: task_id.to_owned(),
                last_status,
                polls,
                elapsed,
            })),
            source: last_error.map(|e| Box::new(e) as BoxError),
        }
    }

    /// One of `"connection_reset"`, `"timeout"`, `"dns_failure"`,
    /// `"tls_handshake_failed"`, `"unknown"`.
    pub fn error_type(&self) -> &'static str {
        self.kind.as_str()
    }

    /// Whether a request or a whole wait timed out.
    ///
    /// ```
    /// let error = getstream_tasks::TransportError::timeout("GET /api/v2/tasks/t1: no response within 30s");
    /// assert!(error.is_timeout());
    /// assert_eq!(error.error_type(), "timeout");
    /// assert!(!error.is_wait_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        self.kind == TransportKind::Timeout
    }

    /// Whether this is a whole wait that ran out of time (as opposed to a single
    /// request): then [`task_id`](Self::task_id), [`polls`](Self::polls) and
    /// [`elapsed`](Self::elapsed) are set.
    ///
    /// ```
    /// let error = getstream_tasks::TransportError::timeout("GET /api/v2/tasks/t1: no response within 30s");
    /// assert!(!error.is_wait_timeout());
    /// assert_eq!(error.task_id(), None);
    /// ```
    pub fn is_wait_timeout(&self) -> bool {
        self.wait.is_some()
    }

    /// Whether the connection could not be established (refused, unreachable,
    /// DNS or TLS failure) — the request never reached the server.
    ///
    /// ```
    /// let error = getstream_tasks::TransportError::timeout("GET /x: no response");
    /// assert!(!error.is_connect());
    /// ```
    pub fn is_connect(&self) -> bool {
        self.connect
    }

    /// Whether retrying may help: connection resets/refusals and timeouts of a
    /// single request. DNS and TLS failures are taken as configuration problems
    /// (a wrong host, a wrong certificate), `unknown` errors (e.g. a redirect
    /// loop) as permanent, and a wait timeout is final.
    ///
    /// ```
    /// let error = getstream_tasks::TransportError::timeout("GET /x: no response");
    /// assert!(error.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            TransportKind::ConnectionReset => true,
            TransportKind::Timeout => self.wait.is_none(),
            TransportKind::Unknown
            | TransportKind::DnsFailure
            | TransportKind::TlsHandshakeFailed => false,
        }
    }

    /// For a wait timeout: the task id.
    pub fn task_id(&self) -> Option<&str> {
        self.wait.as_deref().map(|w| w.task_id.as_str())
    }

    /// For a wait timeout: the last status seen (`None` if no poll succeeded).
    pub fn last_status(&self) -> Option<&TaskStatus> {
        self.wait.as_deref()?.last_status.as_ref()
    }

    /// For a wait timeout: how many status requests were made.
    pub fn polls(&self) -> Option<u32> {
        self.wait.as_deref().map(|w| w.polls)
    }

    /// For a wait timeout: how long the wait lasted.
    pub fn elapsed(&self) -> Option<Duration> {
        self.wait.as_deref().map(|w| w.elapsed)
    }

    /// For a wait timeout: the error of the last poll, if the last poll failed.
    pub fn last_error(&self) -> Option<&Error> {
        self.source.as_deref()?.downcast_ref::<Error>()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.wait.is_some() {
            f.write_str(&self.message)
        } else {
            write!(f, "{} error: {}", self.kind.as_str(), self.message)
        }
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// The server answered with an error status.
///
/// Built from Stream's `APIError` envelope when the body is one; any other body
/// (an HTML 502 from a proxy, an empty 500) still gives an `ApiError`, with
/// `code() == 0`, a message like `failed to parse error response: unexpected
/// server response code 502`, and the body kept in [`raw_body`](Self::raw_body).
#[derive(Debug, Clone)]
pub struct ApiError(pub(crate) Box<ApiErrorFields>);

/// The fields of an [`ApiError`], boxed to keep [`Error`] small.
#[derive(Debug, Clone)]
pub(crate) struct ApiErrorFields {
    pub(crate) status: StatusCode,
    pub(crate) code: i64,
    pub(crate) message: String,
    pub(crate) exception_fields: BTreeMap<String, String>,
    pub(crate) unrecoverable: bool,
    pub(crate) more_info: Option<String>,
    pub(crate) details: Vec<i64>,
    pub(crate) duration: Option<String>,
    pub(crate) raw_body: String,
    pub(crate) rate_limit: Option<RateLimitInfo>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) request: Option<String>,
}

impl ApiError {
    /// An API error with the given status, Stream code and message (the SDK
    /// builds these from responses). Not part of the stable API (for tests and
    /// hand-written loops).
    #[doc(hidden)]
    pub fn new(status: StatusCode, code: i64, message: impl Into<String>) -> Self {
        ApiError(Box::new(ApiErrorFields {
            status,
            code,
            message: message.into(),
            exception_fields: BTreeMap::new(),
            unrecoverable: false,
            more_info: None,
            details: Vec::new(),
            duration: None,
            raw_body: String::new(),
            rate_limit: None,
            retry_after: None,
            request: None,
        }))
    }

    /// The HTTP status of the response.
    pub fn status_code(&self) -> StatusCode {
        self.0.status
    }

    /// Stream's error code (4 input, 2/5 auth, 9 rate limit, 16 not found, 17 not
    /// allowed, -1 internal); 0 when the body was not Stream's envelope.
    pub fn code(&self) -> i64 {
        self.0.code
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// Per-field input errors (field → problem), possibly empty.
    pub fn exception_fields(&self) -> &BTreeMap<String, String> {
        &self.0.exception_fields
    }

    /// Whether the server marked the error as one that must not be retried.
    pub fn unrecoverable(&self) -> bool {
        self.0.unrecoverable
    }

    /// A documentation URL about this error, when given.
    pub fn more_info(&self) -> Option<&str> {
        self.0.more_info.as_deref()
    }

    /// Stream's `details` codes, possibly empty.
    pub fn details(&self) -> &[i64] {
        &self.0.details
    }

    /// The server's `duration` for the failed request, when given.
    pub fn duration(&self) -> Option<&str> {
        self.0.duration.as_deref()
    }

    /// The response body as received (lossy UTF-8, cut at 64 KiB).
    pub fn raw_body(&self) -> &str {
        &self.0.raw_body
    }

    /// The response's rate-limit headers, if any.
    pub fn rate_limit(&self) -> Option<&RateLimitInfo> {
        self.0.rate_limit.as_ref()
    }

    /// How long the server asked us to wait (`Retry-After`, as seconds or an HTTP
    /// date); usually sent with 429 or 503.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// Whether retrying later may succeed: 408, 429 and 5xx, unless marked
    /// `unrecoverable`.
    ///
    /// ```
    /// use getstream_tasks::ApiError;
    /// use http::StatusCode;
    /// assert!(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, 0, "down").is_retryable());
    /// assert!(ApiError::new(StatusCode::TOO_MANY_REQUESTS, 9, "slow down").is_retryable());
    /// assert!(!ApiError::new(StatusCode::NOT_FOUND, 16, "no such task").is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        !self.0.unrecoverable
            && (self.0.status.is_server_error()
                || self.0.status == StatusCode::TOO_MANY_REQUESTS
                || self.0.status == StatusCode::REQUEST_TIMEOUT)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Stream API error")?;
        if let Some(request) = &self.0.request {
            write!(f, " on {request}")?;
        }
        write!(
            f,
            ": HTTP {} (code {}): {}",
            self.0.status.as_u16(),
            self.0.code,
            one_line(&self.0.message)
        )?;
        if !self.0.exception_fields.is_empty() {
            let fields: Vec<String> = self
                .0
                .exception_fields
                .iter()
                .map(|(k, v)| format!("{}: {}", one_line(k), one_line(v)))
                .collect();
            write!(f, " [{}]", fields.join("; "))?;
        }
        if let Some(after) = self.0.retry_after {
            write!(f, " (retry after {}s)", after.as_secs_f64())?;
        }
        Ok(())
    }
}

impl StdError for ApiError {}

/// An argument was rejected before any request was made.
#[derive(Debug, Clone)]
pub struct InvalidArgumentError {
    argument: String,
    reason: String,
}

impl InvalidArgumentError {
    /// An error about `argument` (e.g. `"task_id"`), saying why it was rejected.
    pub fn new(argument: impl Into<String>, reason: impl Into<String>) -> Self {
        InvalidArgumentError {
            argument: argument.into(),
            reason: reason.into(),
        }
    }

    /// The rejected argument's name.
    pub fn argument(&self) -> &str {
        &self.argument
    }

    /// Why it was rejected.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for InvalidArgumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid argument `{}`: {}", self.argument, self.reason)
    }
}

impl StdError for InvalidArgumentError {}

const SNIPPET_CHARS: usize = 200;

/// A success response whose body is not what Stream sends.
#[derive(Debug)]
pub struct DecodeError {
    status: StatusCode,
    snippet: String,
    request: Option<String>,
    source: serde_json::Error,
}

impl DecodeError {
    /// A decode error for a body received with `status`. Not part of the
    /// stable API (for tests).
    #[doc(hidden)]
    pub fn new(status: StatusCode, body: &[u8], source: serde_json::Error) -> Self {
        let text = String::from_utf8_lossy(body);
        let mut snippet: String = text.chars().take(SNIPPET_CHARS).collect();
        if text.chars().count() > SNIPPET_CHARS {
            snippet.push('…');
        }
        DecodeError {
            status,
            snippet,
            request: None,
            source,
        }
    }

    pub(crate) fn with_request(mut self, request: String) -> Self {
        self.request = Some(request);
        self
    }

    /// The HTTP status of the response.
    pub fn status_code(&self) -> StatusCode {
        self.status
    }

    /// The start of the body (at most 200 characters).
    pub fn body_snippet(&self) -> &str {
        &self.snippet
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not decode the response")?;
        if let Some(request) = &self.request {
            write!(f, " to {request}")?;
        }
        write!(
            f,
            " (HTTP {}): {}; body starts with {:?}",
            self.status.as_u16(),
            self.source,
            one_line(&self.snippet)
        )
    }
}

impl StdError for DecodeError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.source)
    }
}

/// The caller cancelled the operation (e.g. a wait's cancellation token
/// fired); the task itself may still be running on the server.
#[derive(Debug, Clone)]
pub struct CancelledError {
    task_id: Option<String>,
}

impl CancelledError {
    /// A cancellation, optionally of a wait on `task_id`.
    pub fn new(task_id: Option<String>) -> Self {
        CancelledError { task_id }
    }

    /// The task whose wait was cancelled, if any.
    pub fn task_id(&self) -> Option<&str> {
        self.task_id.as_deref()
    }
}

impl fmt::Display for CancelledError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.task_id {
            Some(id) => write!(
                f,
                "cancelled waiting for task {id}; the task may still be running on the server"
            ),
            None => f.write_str("cancelled"),
        }
    }
}

impl StdError for CancelledError {}

/// Replaces line breaks so that every `Display` stays on one line.
fn one_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .filter(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

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
