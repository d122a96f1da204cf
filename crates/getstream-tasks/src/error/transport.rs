//! [`TransportError`]: no complete HTTP response, or a wait that ran out of time.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use super::{BoxError, Error};
use crate::models::TaskStatus;

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
