//! The legacy (v1, unprefixed) API's response dialect, spoken to the `stream-chat` SDKs.
//!
//! The handlers build Stream's v2 shapes. On the unprefixed paths (`/users`,
//! `/channels/{type}/{id}/query`, ...) Stream answers the same objects in the v1 dialect,
//! and `stream-chat` depends on it: it calls `new Date(created_at)` on users, channels,
//! members and messages (a v2 nanosecond integer becomes an `Invalid Date`), and it reads
//! custom fields at the top level of those objects (`user.team`, not `user.custom.team`).
//! [`rewrite`] rewrites a successful JSON response body accordingly; errors pass through
//! (the `APIError` envelope is the same in both dialects).

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::http::error::ApiError;

/// The largest response body the rewrite reads (ours are far smaller: 100 users or a
/// channel's latest messages); a larger one is an internal error rather than unbounded memory.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Rewrites one response (see the module docs); anything but a 2xx JSON body is unchanged.
/// Used as a route's middleware: `post(handler).layer(map_response(v1::rewrite))`.
pub(crate) async fn rewrite(response: Response) -> Response {
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json || !response.status().is_success() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            return ApiError::internal(format!("could not read the response body: {e}"))
                .into_response();
        }
    };
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    to_v1(&mut value);
    match serde_json::to_vec(&value) {
        Ok(out) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(out))
        }
        Err(e) => {
            ApiError::internal(format!("could not serialize the response: {e}")).into_response()
        }
    }
}

/// Puts a v2-shaped JSON value into the v1 dialect, in place: every integer timestamp
/// (a key ending in `_at`, or `last_active`) becomes an RFC 3339 string, and every `custom`
/// object is merged into the object holding it (a standard field of the same name wins).
/// Custom values are the user's data and are copied verbatim, never converted.
pub(crate) fn to_v1(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(to_v1),
        Value::Object(map) => {
            let custom = map.remove("custom");
            for (key, v) in map.iter_mut() {
                let stamp = if is_timestamp_key(key) {
                    rfc3339(v)
                } else {
                    None
                };
                match stamp {
                    Some(text) => *v = Value::String(text),
                    None => to_v1(v),
                }
            }
            hoist_custom(map, custom);
        }
        _ => {}
    }
}

fn is_timestamp_key(key: &str) -> bool {
    key.ends_with("_at") || key == "last_active"
}

/// An integer of Unix nanoseconds as RFC 3339 (UTC, `Z`); `None` for anything else.
fn rfc3339(v: &Value) -> Option<String> {
    let ns = v
        .as_i64()
        .map(i128::from)
        .or_else(|| v.as_u64().map(i128::from))?;
    OffsetDateTime::from_unix_timestamp_nanos(ns)
        .ok()?
        .format(&Rfc3339)
        .ok()
}

fn hoist_custom(map: &mut Map<String, Value>, custom: Option<Value>) {
    match custom {
        Some(Value::Object(custom)) => {
            for (k, v) in custom {
                map.entry(k).or_insert(v);
            }
        }
        // Not a map of custom fields: keep it where it was.
        Some(other @ (Value::Array(_) | Value::String(_) | Value::Number(_) | Value::Bool(_))) => {
            map.insert("custom".to_owned(), other);
        }
        Some(Value::Null) | None => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nested_timestamps_become_rfc3339_and_other_numbers_stay() {
        let mut v = json!({
            "duration": "0.1ms",
            "channel": {
                "created_at": 1_700_000_000_123_456_789_i64,
                "member_count": 2,
                "config": {"created_at": 0, "max_message_length": 5000},
                "created_by": {"id": "u1", "last_active": 1_700_000_000_000_000_000_i64}
            },
            "messages": [{"id": "m1", "updated_at": 1_700_000_000_500_000_000_i64, "reply_count": 0}],
            "users": {"u1": {"deactivated_at": 1_700_000_000_000_000_001_i64}}
        });
        to_v1(&mut v);
        assert_eq!(v["channel"]["created_at"], "2023-11-14T22:13:20.123456789Z");
        assert_eq!(v["channel"]["member_count"], 2);
        assert_eq!(v["channel"]["config"]["created_at"], "1970-01-01T00:00:00Z");
        assert_eq!(v["channel"]["config"]["max_message_length"], 5000);
        assert_eq!(
            v["channel"]["created_by"]["last_active"],
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(v["messages"][0]["updated_at"], "2023-11-14T22:13:20.5Z");
        assert_eq!(v["messages"][0]["reply_count"], 0);
        assert_eq!(
            v["users"]["u1"]["deactivated_at"],
            "2023-11-14T22:13:20.000000001Z"
        );
        assert_eq!(v["duration"], "0.1ms");
    }

    #[test]
    fn strings_and_nulls_under_timestamp_keys_are_left_alone() {
        let mut v = json!({"created_at": "2024-01-01T00:00:00Z", "deleted_at": null});
        to_v1(&mut v);
        assert_eq!(
            v,
            json!({"created_at": "2024-01-01T00:00:00Z", "deleted_at": null})
        );
    }

    #[test]
    fn custom_fields_move_to_the_top_level_without_shadowing_standard_ones() {
        let mut v = json!({
            "user": {"id": "u1", "role": "user", "custom": {"team": "blue", "role": "admin"}},
            "message": {"id": "m1", "custom": {}, "user": {"id": "u2", "custom": {"mood": "ok"}}},
            "member": {"user_id": "u3", "custom": null},
            "odd": {"custom": ["kept"]}
        });
        to_v1(&mut v);
        assert_eq!(
            v["user"],
            json!({"id": "u1", "role": "user", "team": "blue"})
        );
        assert_eq!(v["message"]["user"], json!({"id": "u2", "mood": "ok"}));
        assert!(v["message"].get("custom").is_none());
        assert_eq!(v["member"], json!({"user_id": "u3"}));
        assert_eq!(v["odd"], json!({"custom": ["kept"]}));
    }

    #[test]
    fn custom_values_are_copied_verbatim() {
        // The user's own data keeps its type, even under a timestamp-like name.
        let mut v =
            json!({"id": "u1", "custom": {"signed_up_at": 0, "nested": {"custom": {"a": 1}}}});
        to_v1(&mut v);
        assert_eq!(
            v,
            json!({"id": "u1", "signed_up_at": 0, "nested": {"custom": {"a": 1}}})
        );
    }
}
