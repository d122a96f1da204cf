//! The caller's mistakes ([`InvalidArgumentError`]) and answers that are not what Stream
//! sends ([`DecodeError`]).

use std::error::Error as StdError;
use std::fmt;

use http::StatusCode;

use super::one_line;

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
