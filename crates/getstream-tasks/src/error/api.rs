//! [`ApiError`]: the server answered with an error status.

use std::collections::BTreeMap;
use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::StatusCode;

use super::one_line;
use crate::models::RateLimitInfo;

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
