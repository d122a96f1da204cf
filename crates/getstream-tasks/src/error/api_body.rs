//! Reading Stream's error responses: the `APIError` envelope (leniently: any
//! body still gives an [`ApiError`]) and the `Retry-After` header.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

use super::ApiError;
use crate::models::{RateLimitInfo, first_value};

/// `Retry-After` as delta-seconds (integer or decimal) or an HTTP date.
pub(crate) fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    // An HTTP date contains a comma, so read the whole first non-empty value
    // as a date before splitting comma-joined values.
    let whole = headers
        .get_all("retry-after")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::trim)
        .find(|v| !v.is_empty())?;
    if let Ok(at) = httpdate::parse_http_date(whole) {
        return Some(at.duration_since(now).unwrap_or(Duration::ZERO));
    }
    let value = first_value(headers, "retry-after")?;
    // Integer or decimal, anything from 10^12 s (~30,000 years) up is
    // nonsense, not a delay.
    if let Ok(secs) = value.parse::<u64>() {
        return (secs < 1_000_000_000_000).then(|| Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (0.0..1e12)
            .contains(&secs)
            .then(|| Duration::from_secs_f64(secs));
    }
    None
}

/// Builds the [`ApiError`] for a non-2xx response, reading the envelope leniently.
pub(crate) fn api_error(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    rate_limit: Option<RateLimitInfo>,
    request: String,
    now: SystemTime,
) -> ApiError {
    let fallback = format!(
        "failed to parse error response: unexpected server response code {}",
        status.as_u16()
    );
    let mut error = ApiError::new(status, 0, fallback);
    error.0.raw_body = String::from_utf8_lossy(body).into_owned();
    error.0.rate_limit = rate_limit;
    error.0.retry_after = parse_retry_after(headers, now);
    error.0.request = Some(request);

    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return error;
    };
    if !map.contains_key("code") && !map.contains_key("message") {
        return error;
    }
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    error.0.code = map.get("code").and_then(json_i64).unwrap_or(0);
    match map.get("message") {
        Some(serde_json::Value::Null) | None => {
            error.0.message = format!("unexpected server response code {}", status.as_u16())
        }
        Some(m) => error.0.message = text(m),
    }
    error.0.more_info = map
        .get("more_info")
        .filter(|v| !v.is_null())
        .map(text)
        .filter(|s| !s.is_empty());
    error.0.duration = map.get("duration").filter(|v| !v.is_null()).map(text);
    error.0.unrecoverable = map
        .get("unrecoverable")
        .is_some_and(|v| v.as_bool() == Some(true));
    if let Some(serde_json::Value::Array(details)) = map.get("details") {
        error.0.details = details.iter().filter_map(json_i64).collect();
    }
    if let Some(serde_json::Value::Object(fields)) = map.get("exception_fields") {
        error.0.exception_fields = fields.iter().map(|(k, v)| (k.clone(), text(v))).collect();
    }
    error
}

fn json_i64(v: &serde_json::Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                .map(|f| f as i64)
        })
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(2)));
        h.insert("retry-after", "1.5".parse().unwrap());
        assert_eq!(
            parse_retry_after(&h, now),
            Some(Duration::from_millis(1500))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(7));
        h.insert("retry-after", date.parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(7)));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), None);
    }

    #[test]
    fn error_envelope_is_read_leniently() {
        let body = br#"{"code":"16","message":"Can't find task with id x","StatusCode":404,
            "details":[1,"x",2],"exception_fields":{"id":"bad","n":3},"unrecoverable":true,
            "more_info":"https://getstream.io/x","duration":"0.1ms"}"#;
        let e = api_error(
            StatusCode::NOT_FOUND,
            &HeaderMap::new(),
            body,
            None,
            "GET /t".into(),
            SystemTime::UNIX_EPOCH,
        );
        assert_eq!(e.code(), 16);
        assert_eq!(e.message(), "Can't find task with id x");
        assert_eq!(e.details(), &[1, 2]);
        assert_eq!(e.exception_fields()["n"], "3");
        assert!(e.unrecoverable());
        assert_eq!(e.more_info(), Some("https://getstream.io/x"));

        for body in [
            &b"<html>bad gateway</html>"[..],
            b"",
            b"[1]",
            b"{\"error\":\"x\"}",
        ] {
            let e = api_error(
                StatusCode::BAD_GATEWAY,
                &HeaderMap::new(),
                body,
                None,
                "GET /t".into(),
                SystemTime::UNIX_EPOCH,
            );
            assert_eq!(e.code(), 0);
            assert_eq!(
                e.message(),
                "failed to parse error response: unexpected server response code 502"
            );
            assert_eq!(e.raw_body().as_bytes(), body);
        }
    }
}
