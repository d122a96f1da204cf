//! Stream's `APIError` envelope, and the per-request `duration` field.

use std::collections::BTreeMap;
use std::time::Instant;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

tokio::task_local! {
    static REQUEST_START: Instant;
}

/// Runs `fut` with the request clock started now (so [`duration`] measures from here).
pub(crate) async fn with_request_clock<F: Future>(fut: F) -> F::Output {
    REQUEST_START.scope(Instant::now(), fut).await
}

/// Runs `fut` with the request clock started at `start`.
pub(crate) fn clocked<F: Future>(
    start: Instant,
    fut: F,
) -> tokio::task::futures::TaskLocalFuture<Instant, F> {
    REQUEST_START.scope(start, fut)
}

/// The server time spent on the current request so far, formatted as Stream does (`"1.23ms"`).
pub(crate) fn duration() -> String {
    let elapsed = REQUEST_START
        .try_with(|start| start.elapsed())
        .unwrap_or_default();
    format!("{:.2}ms", elapsed.as_secs_f64() * 1000.0)
}

/// Stream error codes used by the emulator.
pub mod codes {
    /// Internal error.
    pub const INTERNAL: i32 = -1;
    /// Access key error: the `api_key` is missing or names no app.
    pub const ACCESS_KEY: i32 = 2;
    /// Input error: bad JSON, missing or invalid fields, broken limits.
    pub const INPUT: i32 = 4;
    /// Authentication error: missing or malformed token.
    pub const AUTHENTICATION: i32 = 5;
    /// Too many requests.
    pub const RATE_LIMIT: i32 = 9;
    /// Resource not found.
    pub const NOT_FOUND: i32 = 16;
    /// Not allowed.
    pub const NOT_ALLOWED: i32 = 17;
    /// Token expired.
    pub const TOKEN_EXPIRED: i32 = 40;
    /// Token not valid yet (`nbf` in the future).
    pub const TOKEN_NOT_VALID_YET: i32 = 41;
    /// Token signature invalid.
    pub const TOKEN_SIGNATURE_INVALID: i32 = 43;
}

/// The longest error message, in characters; longer ones are cut (see [`ApiError::new`]).
pub const MAX_MESSAGE_CHARS: usize = 1024;

/// The most characters of a client's input (an `api_key`, a path) an error message echoes.
const ECHO_CHARS: usize = 64;

/// `input` as an error message echoes it: its first [`ECHO_CHARS`] characters, then `…` when
/// there is more (an unknown 20 KB `api_key` must not come back whole).
pub(crate) fn clip(input: &str) -> std::borrow::Cow<'_, str> {
    match input.char_indices().nth(ECHO_CHARS) {
        None => std::borrow::Cow::Borrowed(input),
        Some((cut, _)) => std::borrow::Cow::Owned(format!("{}…", &input[..cut])),
    }
}

const MORE_INFO: &str = "https://getstream.io/chat/docs/api_errors_response";

/// An error answered with Stream's `APIError` envelope:
/// `{code, message, StatusCode, duration, more_info, details, exception_fields?, unrecoverable?}`.
///
/// ```
/// use axum::response::IntoResponse;
/// use getstream_emulator::ApiError;
/// let err = ApiError::input("user_ids is required").with_field("user_ids", "is required");
/// assert_eq!(err.status().as_u16(), 400);
/// assert_eq!(err.code(), 4);
/// let response = err.into_response();
/// assert_eq!(response.status().as_u16(), 400);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    status: StatusCode,
    code: i32,
    message: String,
    exception_fields: BTreeMap<String, String>,
    unrecoverable: Option<bool>,
    retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    code: i32,
    message: &'a str,
    #[serde(rename = "StatusCode")]
    status_code: u16,
    duration: String,
    more_info: &'static str,
    details: [i32; 0],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    exception_fields: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unrecoverable: Option<bool>,
}

impl ApiError {
    /// An error with any status, code and message. A message longer than
    /// [`MAX_MESSAGE_CHARS`] is cut there (ending in `…`): messages may echo input.
    pub fn new(status: StatusCode, code: i32, message: impl Into<String>) -> Self {
        let mut message = message.into();
        if let Some((cut, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS) {
            message.truncate(cut);
            message.push('…');
        }
        Self {
            status,
            code,
            message,
            exception_fields: BTreeMap::new(),
            unrecoverable: None,
            retry_after: None,
        }
    }

    /// 400, code 4: bad input.
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, codes::INPUT, message)
    }

    /// 400, code 4, for one bad field: the message names the field and `exception_fields` has it.
    pub fn field(field: &str, problem: impl Into<String>) -> Self {
        let problem = problem.into();
        Self::input(format!("{field} {problem}")).with_field(field, problem)
    }

    /// 404, code 16.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, codes::NOT_FOUND, message)
    }

    /// 401 with an auth code (2, 5, 40, 41, 43).
    pub fn unauthorized(code: i32, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// 429, code 9, with `Retry-After: retry_after_secs`.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            codes::RATE_LIMIT,
            "Too many requests, check response headers for more information.",
        );
        e.retry_after = Some(retry_after_secs);
        e
    }

    /// 429, code 9, with `Retry-After: 1`: the app has too many unfinished tasks to start
    /// another job.
    pub(crate) fn too_many_tasks(cap: usize) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            codes::RATE_LIMIT,
            format!(
                "Too many pending tasks: this app already has {cap} unfinished tasks, retry once some have finished."
            ),
        );
        e.retry_after = Some(1);
        e
    }

    /// 413, code 4: the body is larger than the limit.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::INPUT,
            format!("request body is larger than the limit of {limit} bytes"),
        )
        .unrecoverable()
    }

    /// 501, code 17, unrecoverable: a call of Stream's API that the emulator does not serve
    /// (clearer than a "no route" 404, and the SDKs do not retry code 17). `call` names it.
    ///
    /// ```
    /// use getstream_emulator::ApiError;
    /// let err = ApiError::not_supported("restoreUsers (POST /users/restore)");
    /// assert_eq!((err.status().as_u16(), err.code()), (501, 17));
    /// assert_eq!(err.message(), "restoreUsers (POST /users/restore) is not supported by the emulator");
    /// ```
    pub fn not_supported(call: &str) -> Self {
        Self::new(
            StatusCode::NOT_IMPLEMENTED,
            codes::NOT_ALLOWED,
            format!("{call} is not supported by the emulator"),
        )
        .unrecoverable()
    }

    /// 500, code -1.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL, message)
    }

    /// Adds a per-field error to `exception_fields`.
    #[must_use]
    pub fn with_field(mut self, field: impl Into<String>, problem: impl Into<String>) -> Self {
        self.exception_fields.insert(field.into(), problem.into());
        self
    }

    /// Marks the error as not worth retrying (`"unrecoverable": true`).
    #[must_use]
    pub fn unrecoverable(mut self) -> Self {
        self.unrecoverable = Some(true);
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Stream's error code.
    pub fn code(&self) -> i32 {
        self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The per-field errors.
    pub fn exception_fields(&self) -> &BTreeMap<String, String> {
        &self.exception_fields
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (code {}, HTTP {})",
            self.message,
            self.code,
            self.status.as_u16()
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Envelope {
            code: self.code,
            message: &self.message,
            status_code: self.status.as_u16(),
            duration: duration(),
            more_info: MORE_INFO,
            details: [],
            exception_fields: &self.exception_fields,
            unrecoverable: self.unrecoverable,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
