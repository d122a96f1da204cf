//! Entry points for the fuzz targets (`fuzz/` at the repository root): the
//! decoders of what the network sends that are not public on their own
//! (the error envelope, `Retry-After`, the rate-limit headers, lenient
//! timestamps), each with the checks a fuzzer should enforce.
//!
//! Compiled only with the internal cargo feature `__fuzz`; not part of the
//! API, no stability promise. Each function panics when a decoder breaks a
//! promise (a panic inside, a multi-line error message, a value that does
//! not read back), which is what a fuzzer reports.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue, StatusCode};

use crate::error::{DecodeError, api_error, parse_retry_after};
use crate::models::{RateLimitInfo, Task, Timestamp};
use crate::ops::{DeleteChannelsResult, DeleteUsersResult, ExportResult};

/// The headers `pairs` make, as a server could send them: values that are
/// not valid header bytes are dropped (they never reach the decoders).
pub fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            map.append(*name, value);
        }
    }
    map
}

/// `GET /api/v2/tasks/{id}`'s body as the client reads it: a [`Task`], or a
/// [`DecodeError`]; a completed task's result as each typed result.
pub fn task_body(body: &[u8]) {
    let task = match serde_json::from_slice::<Task>(body) {
        Ok(task) => task,
        Err(e) => {
            let error = DecodeError::new(StatusCode::OK, body, e)
                .with_request("GET /api/v2/tasks/t".into());
            let _ = (error.to_string(), error.body_snippet().len());
            return;
        }
    };
    let _ = (task.status.to_string(), task.is_finished());
    for at in [task.created_at, task.updated_at].into_iter().flatten() {
        let _ = (at.to_string(), at.to_system_time());
    }
    // What was decoded serializes and decodes again to the same task
    // (`result` apart: serde_json may read a float back one ulp off).
    let json = serde_json::to_vec(&task).expect("a decoded task serializes");
    let mut back: Task = serde_json::from_slice(&json).expect("a serialized task decodes");
    assert_eq!(back.result.is_some(), task.result.is_some());
    let mut same = task.clone();
    (back.result, same.result) = (None, None);
    assert_eq!(back, same, "the task does not read back");
    let _ = crate::ops::decode_result::<ExportResult>(task.clone()).map_err(|e| e.to_string());
    let _ = crate::ops::decode_result::<DeleteUsersResult>(task.clone()).map_err(|e| e.to_string());
    let _ = crate::ops::decode_result::<DeleteChannelsResult>(task).map_err(|e| e.to_string());
}

/// A non-2xx response: the [`ApiError`](crate::ApiError) the client builds
/// from its status, `Retry-After` and body. Its message is one line.
pub fn error_envelope(status: u16, retry_after: &[u8], body: &[u8], now: SystemTime) {
    let Ok(status) = StatusCode::from_u16(status) else {
        return;
    };
    let headers = headers(&[("retry-after", retry_after)]);
    let rate_limit = RateLimitInfo::from_headers(&headers);
    let e = api_error(
        status,
        &headers,
        body,
        rate_limit,
        "GET /api/v2/tasks/t".into(),
        now,
    );
    assert_eq!(e.status_code(), status);
    let text = e.to_string();
    assert!(
        !text.contains(['\n', '\r']),
        "a multi-line message: {text:?}"
    );
    let _ = (
        e.is_retryable(),
        e.retry_after(),
        e.details(),
        e.exception_fields(),
    );
}

/// `X-RateLimit-Limit`, `-Remaining` and `-Reset` (any of them may be
/// missing or unreadable).
pub fn rate_limit(limit: &[u8], remaining: &[u8], reset: &[u8], now: SystemTime) {
    let headers = headers(&[
        ("x-ratelimit-limit", limit),
        ("x-ratelimit-remaining", remaining),
        ("x-ratelimit-reset", reset),
    ]);
    if let Some(info) = RateLimitInfo::from_headers(&headers) {
        let _ = (info.is_exhausted(), info.reset_after(now));
    }
}

/// One or more `Retry-After` values: a delay under 10^12 s (or the clock's
/// range for a date), or none.
pub fn retry_after(values: &[&[u8]], now: SystemTime) {
    let pairs: Vec<_> = values.iter().map(|v| ("retry-after", *v)).collect();
    if let Some(after) = parse_retry_after(&headers(&pairs), now) {
        assert!(after.as_secs() < 1 << 42, "Retry-After read as {after:?}");
    }
}

/// A timestamp as the server may send one: the bytes as JSON (a number, a
/// numeric string, RFC 3339), or as the text of a string when they are not
/// JSON. Whatever reads serializes and reads back the same; RFC 3339 text
/// that parses formats and parses again to the same instant.
pub fn timestamp(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let value = serde_json::from_slice::<serde_json::Value>(bytes)
        .unwrap_or_else(|_| serde_json::Value::String(text.clone().into_owned()));
    if let Some(t) = Timestamp::from_json(&value) {
        round_trip(t);
    }
    if let Some(nanos) = crate::rfc3339::parse(&text) {
        round_trip(Timestamp::from_unix_nanos(nanos));
    }
    // The bytes as nanoseconds: every i128 displays and reads back.
    if let Some(raw) = bytes.first_chunk::<16>() {
        round_trip(Timestamp::from_unix_nanos(i128::from_le_bytes(*raw)));
    }
}

fn round_trip(t: Timestamp) {
    let _ = (t.to_string(), t.to_system_time());
    let json = serde_json::to_value(t).expect("a timestamp serializes");
    assert_eq!(
        Timestamp::from_json(&json),
        Some(t),
        "{json} does not read back"
    );
    if let Some(text) = crate::rfc3339::format_unix_nanos(t.unix_nanos()) {
        assert_eq!(crate::rfc3339::parse(&text), Some(t.unix_nanos()), "{text}");
    }
}

/// `now` for the decoders that compare with the clock: any second in
/// 0..2^40 after the epoch (the fuzz input picks it).
pub fn now(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds % (1 << 40))
}
