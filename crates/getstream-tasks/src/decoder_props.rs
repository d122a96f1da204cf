//! Property tests (a stable-toolchain fuzz harness) for every decoder that
//! reads bytes from the network: the task body and the typed results, the
//! error envelope, the rate-limit headers, `Retry-After` and timestamps.
//!
//! Inputs are the tests' own bodies, mutated (bytes flipped, cut, spliced),
//! plus arbitrary bytes and arbitrary JSON. Each property: no panic, and what
//! comes out is sane (one-line messages, round trips). CI runs proptest's
//! default number of cases (256 per property, a few seconds); run longer with
//! `PROPTEST_CASES=200000 cargo test -p getstream-tasks --lib decoder_props`.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;

use crate::error::{api_error, parse_retry_after};
use crate::models::{RateLimitInfo, Task, Timestamp};

/// Bodies the tests send (task replies, error envelopes, result objects).
const SEEDS: &[&str] = &[
    r#"{"task_id":"t1","status":"completed","created_at":1700000000000000000,"updated_at":1700000002500000000,"duration":"0.42ms"}"#,
    r#"{"task_id":"t","status":"Failed","created_at":"soon","updated_at":null,"duration":12,"new_field":[1,2],"error":{"type":"x","extra":1}}"#,
    r#"{"task_id":"t","status":"completed","created_at":1700000000000000000,"updated_at":"2023-11-14T22:13:21Z","duration":"1ms","result":{"url":"u"}}"#,
    r#"{"task_id":"t9","status":"failed","error":{"type":"internal","description":"boom","stack_trace":"at x\nat y","version":"v1"}}"#,
    r#"{"task_id":"t2","status":"completed","result":{"users":{"u1":{"status":"ok"},"u2":{"status":"error","error":"not found"}},"url":"https://example.com/export.json"}}"#,
    r#"{"code":"16","message":"Can't find task with id x","StatusCode":404,"details":[1,"x",2],"exception_fields":{"id":"bad","n":3},"unrecoverable":true,"more_info":"https://getstream.io/x","duration":"0.1ms"}"#,
    r#"{"code":9,"message":"Too many requests","StatusCode":429,"duration":"0.01ms"}"#,
    r#"<html>bad gateway</html>"#,
    r#"[1]"#,
    r#"{"error":"x"}"#,
];

/// Header values the tests send, for rate limits and `Retry-After`.
const HEADER_SEEDS: &[&str] = &[
    "2",
    "1.5",
    " , 60, 60",
    "0",
    "1700000000",
    "Tue, 14 Nov 2023 22:13:27 GMT",
    "soon",
    "18446744073709551615",
    "-1",
    "1e300",
];

/// Timestamps the tests send (as JSON).
const TIMESTAMP_SEEDS: &[&str] = &[
    "1700000000123456789",
    "\"1700000000123456789\"",
    "\"2023-11-14T22:13:20.123456789Z\"",
    "\"2023-11-14T23:13:20.123456789+01:00\"",
    "1.7e18",
    "1e300",
    "\"yesterday\"",
    "-170141183460469231731687303715884105728",
];

/// A seed changed by a few byte edits: flips, cuts, insertions and splices
/// with another seed.
fn mutated(seeds: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let edit = (any::<u8>(), any::<prop::sample::Index>(), 0..4u8);
    (
        prop::sample::select(seeds),
        prop::sample::select(seeds),
        prop::collection::vec(edit, 0..6),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(seed, other, edits, cut)| {
            let mut bytes = seed.as_bytes().to_vec();
            for (byte, at, kind) in edits {
                let i = if bytes.is_empty() {
                    0
                } else {
                    at.index(bytes.len())
                };
                match kind {
                    0 if !bytes.is_empty() => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    2 if !bytes.is_empty() => {
                        bytes.remove(i);
                    }
                    _ => {
                        let from = cut.index(other.len() + 1);
                        bytes.splice(i..i, other.as_bytes()[from..].iter().copied());
                    }
                }
            }
            bytes
        })
}

/// Arbitrary JSON, nested a few levels.
fn json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        prop::sample::select(TIMESTAMP_SEEDS)
            .prop_map(|s| serde_json::from_str::<Value>(s).unwrap()),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    prop::sample::select(
                        &[
                            "task_id",
                            "status",
                            "created_at",
                            "updated_at",
                            "duration",
                            "error",
                            "result",
                            "type",
                            "description",
                            "stack_trace",
                            "version",
                            "code",
                            "message",
                            "details",
                            "exception_fields",
                            "unrecoverable",
                            "more_info",
                            "users",
                            "channels",
                            "url"
                        ][..]
                    )
                    .prop_map(str::to_owned),
                    ".{0,8}",
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Bytes a server could send: mutated seeds, arbitrary bytes, arbitrary JSON.
fn body(seeds: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => mutated(seeds),
        1 => prop::collection::vec(any::<u8>(), 0..256),
        3 => json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
    ]
}

/// A header value as bytes: mutated seeds or arbitrary bytes (only those
/// `HeaderValue` accepts reach the decoders, as on the wire).
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => mutated(HEADER_SEEDS),
        1 => prop::collection::vec(any::<u8>(), 0..40),
        1 => any::<u64>().prop_map(|n| n.to_string().into_bytes()),
    ]
}

fn headers(pairs: &[(&'static str, Vec<u8>)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            map.append(*name, value);
        }
    }
    map
}

fn any_time() -> impl Strategy<Value = SystemTime> {
    (0u64..(1 << 40)).prop_map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
}

proptest! {
    #[test]
    fn task_bodies_decode_or_fail_cleanly(bytes in body(SEEDS)) {
        if let Ok(task) = serde_json::from_slice::<Task>(&bytes) {
            let _ = task.status.to_string();
            let _ = task.is_finished();
            for at in [task.created_at, task.updated_at].into_iter().flatten() {
                let _ = (at.to_string(), at.to_system_time());
            }
            // What was decoded serializes and decodes again to the same task. (`result`
            // is the server's JSON as is, compared apart: serde_json may read a float
            // back one ulp off.)
            let json = serde_json::to_vec(&task).unwrap();
            let mut back: Task = serde_json::from_slice(&json).unwrap();
            prop_assert_eq!(back.result.is_some(), task.result.is_some());
            let mut same = task.clone();
            (back.result, same.result) = (None, None);
            prop_assert_eq!(back, same);
            // Typed results read the task's `result` without panicking.
            if let Some(result) = task.result.clone() {
                let _ = serde_json::from_value::<crate::ExportResult>(result.clone());
                let _ = serde_json::from_value::<crate::DeleteUsersResult>(result.clone());
                let _ = serde_json::from_value::<crate::DeleteChannelsResult>(result);
            }
        }
    }

    #[test]
    fn error_envelopes_always_give_a_one_line_api_error(
        bytes in body(SEEDS),
        status in 100u16..1000,
        retry_after in header_value(),
        now in any_time(),
    ) {
        let status = StatusCode::from_u16(status).unwrap();
        let headers = headers(&[("retry-after", retry_after)]);
        let e = api_error(status, &headers, &bytes, None, "GET /api/v2/tasks/t".into(), now);
        prop_assert_eq!(e.status_code(), status);
        let text = e.to_string();
        prop_assert!(!text.contains('\n') && !text.contains('\r'), "{}", text);
        let _ = (e.is_retryable(), e.retry_after(), e.details(), e.exception_fields());
    }

    #[test]
    fn rate_limit_headers_decode_or_are_absent(
        limit in header_value(),
        remaining in header_value(),
        reset in header_value(),
        now in any_time(),
    ) {
        let headers = headers(&[
            ("x-ratelimit-limit", limit),
            ("x-ratelimit-remaining", remaining),
            ("x-ratelimit-reset", reset),
        ]);
        if let Some(info) = RateLimitInfo::from_headers(&headers) {
            let _ = (info.is_exhausted(), info.reset_after(now));
        }
    }

    #[test]
    fn retry_after_is_a_sane_duration_or_none(
        values in prop::collection::vec(header_value(), 0..3),
        now in any_time(),
    ) {
        let pairs: Vec<_> = values.into_iter().map(|v| ("retry-after", v)).collect();
        if let Some(after) = parse_retry_after(&headers(&pairs), now) {
            // Seconds are capped at 10^12; a date is at most the clock's range away.
            prop_assert!(after.as_secs() < 1 << 42, "{:?}", after);
        }
    }

    #[test]
    fn timestamps_decode_leniently_without_panicking(
        value in prop_oneof![
            json(),
            // A mutation that is no longer JSON is read as the text of a string (a filter
            // would reject too many cases in long runs).
            mutated(TIMESTAMP_SEEDS).prop_map(|b| serde_json::from_slice(&b).unwrap_or_else(|_| {
                serde_json::Value::String(String::from_utf8_lossy(&b).into_owned())
            })),
            any::<i128>().prop_map(|n| serde_json::Value::String(n.to_string())),
        ],
    ) {
        if let Some(t) = Timestamp::from_json(&value) {
            let _ = (t.to_string(), t.to_system_time());
            // Serialized (RFC 3339, or digits beyond its years) and read back: the same.
            let json = serde_json::to_value(t).unwrap();
            prop_assert_eq!(Timestamp::from_json(&json), Some(t));
        }
    }
}

/// What the properties found, pinned: each panicked or misread before.
#[test]
fn found_by_the_properties() {
    // An `X-RateLimit-Reset` past what `SystemTime` holds panicked.
    let h = headers(&[
        ("x-ratelimit-limit", b"2".to_vec()),
        ("x-ratelimit-reset", u64::MAX.to_string().into_bytes()),
    ]);
    let info = RateLimitInfo::from_headers(&h).unwrap();
    assert_eq!((info.limit, info.reset), (Some(2), None));
    // An integer `Retry-After` of 10^12 s or more was taken as a delay.
    let h = headers(&[("retry-after", b"4398046511104".to_vec())]);
    assert_eq!(parse_retry_after(&h, SystemTime::UNIX_EPOCH), None);
    let h = headers(&[("retry-after", b"999999999999".to_vec())]);
    assert_eq!(
        parse_retry_after(&h, SystemTime::UNIX_EPOCH),
        Some(Duration::from_secs(999_999_999_999))
    );
    // An exception field's name broke the one-line error message.
    let e = api_error(
        StatusCode::BAD_REQUEST,
        &HeaderMap::new(),
        br#"{"code":4,"message":"bad","exception_fields":{"a\r\nb":"c\nd"}}"#,
        None,
        "POST /x".into(),
        SystemTime::UNIX_EPOCH,
    );
    assert!(e.to_string().ends_with("[a b: c d]"), "{e}");
    // A timestamp beyond RFC 3339's years could not be turned into JSON.
    let far = Timestamp::from_unix_nanos(10_i128.pow(29));
    let json = serde_json::to_value(far).unwrap();
    assert_eq!(json, serde_json::json!("100000000000000000000000000000"));
    assert_eq!(Timestamp::from_json(&json), Some(far));
}
