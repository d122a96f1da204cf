//! Input checks of the feeds routes: ids, fids, required fields, and the filters of the
//! query routes (`$eq` / `$in` on a few fields, as the Python SDK sends them).

use serde_json::{Map, Value};

use crate::data::app_data::valid_user_id;
use crate::http::error::ApiError;

/// Longest group or feed id.
pub(crate) const MAX_ID_LEN: usize = 128;
/// Most feeds per batch delete.
pub(crate) const MAX_BATCH_FEEDS: usize = 100;
/// Most feeds an activity is added to.
pub(crate) const MAX_ACTIVITY_FEEDS: usize = 25;
/// Longest activity or comment text, in characters.
pub(crate) const MAX_TEXT_CHARS: usize = 10_000;
/// Most values in a filter's `$in`.
pub(crate) const MAX_FILTER_VALUES: usize = 100;
/// Default and largest page of the query routes.
pub(crate) const DEFAULT_LIMIT: usize = 25;
pub(crate) const MAX_LIMIT: usize = 100;

/// Whether `s` is a group or feed id: 1..=128 chars of `[A-Za-z0-9_-]`.
pub(crate) fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID_LEN
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

/// Checks a group or feed id given as `field`.
pub(crate) fn id(field: &str, s: &str) -> Result<(), ApiError> {
    if valid_id(s) {
        Ok(())
    } else {
        Err(ApiError::field(
            field,
            format!(
                "must be 1..={MAX_ID_LEN} characters of letters, digits, '_' and '-', got {s:?}"
            ),
        ))
    }
}

/// Checks a fid (`group:id`) given as `field`; returns it.
pub(crate) fn fid(field: &str, s: &str) -> Result<String, ApiError> {
    match s.split_once(':') {
        Some((g, i)) if valid_id(g) && valid_id(i) => Ok(s.to_owned()),
        _ => Err(ApiError::field(
            field,
            format!(
                "must be a feed id GROUP:ID (each 1..={MAX_ID_LEN} characters of letters, digits, '_' and '-'), got {s:?}"
            ),
        )),
    }
}

/// A required, non-empty string field.
pub(crate) fn required(field: &str, v: Option<String>) -> Result<String, ApiError> {
    match v {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(ApiError::field(field, "is a required field")),
    }
}

/// A required user id.
pub(crate) fn user_id(field: &str, v: Option<String>) -> Result<String, ApiError> {
    let id = required(field, v)?;
    if valid_user_id(&id) {
        Ok(id)
    } else {
        Err(ApiError::field(
            field,
            format!("is not a valid user id: {id:?}"),
        ))
    }
}

/// An optional text of at most [`MAX_TEXT_CHARS`].
pub(crate) fn text(field: &str, v: Option<String>) -> Result<Option<String>, ApiError> {
    match v {
        Some(t) if t.chars().count() > MAX_TEXT_CHARS => Err(ApiError::field(
            field,
            format!("must be at most {MAX_TEXT_CHARS} characters"),
        )),
        other => Ok(other),
    }
}

/// The page of a query: `limit` (default 25, 1..=100) and `next` (an offset we handed out).
pub(crate) fn page(limit: Option<i64>, next: Option<&str>) -> Result<(usize, usize), ApiError> {
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(n) if (1..=i64::try_from(MAX_LIMIT).unwrap_or(i64::MAX)).contains(&n) => {
            usize::try_from(n).unwrap_or(DEFAULT_LIMIT)
        }
        Some(n) => {
            return Err(ApiError::field(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}, got {n}"),
            ));
        }
    };
    let offset = match next {
        None | Some("") => 0,
        Some(s) => s
            .strip_prefix("o")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| ApiError::field("next", "is not a cursor this server handed out"))?,
    };
    Ok((limit, offset))
}

/// The `next` cursor after a page that ended at `end` of `total`.
pub(crate) fn next_cursor(end: usize, total: usize) -> Option<String> {
    (end < total).then(|| format!("o{end}"))
}

/// A filter: field → the values it may take (`"x"`, `{"$eq": "x"}` or `{"$in": [..]}`).
/// Fields not in `known` are a 400 naming the ones the emulator filters on.
pub(crate) fn filter(
    filter: Option<Map<String, Value>>,
    known: &[&str],
) -> Result<Vec<(String, Vec<String>)>, ApiError> {
    let mut out = Vec::new();
    for (key, v) in filter.unwrap_or_default() {
        if !known.contains(&key.as_str()) {
            return Err(ApiError::field(
                &format!("filter.{key}"),
                format!(
                    "is not supported by the emulator (it filters on {})",
                    known.join(", ")
                ),
            ));
        }
        let field = format!("filter.{key}");
        let bad = || {
            ApiError::field(
                &field,
                "must be a string, {\"$eq\": string} or {\"$in\": [string, ...]}",
            )
        };
        let values = match v {
            Value::String(s) => vec![s],
            Value::Object(ops) => {
                let mut vals = Vec::new();
                for (op, arg) in ops {
                    match (op.as_str(), arg) {
                        ("$eq", Value::String(s)) => vals.push(s),
                        ("$in", Value::Array(items)) => {
                            if items.len() > MAX_FILTER_VALUES {
                                return Err(ApiError::field(
                                    &field,
                                    format!("$in takes at most {MAX_FILTER_VALUES} values"),
                                ));
                            }
                            for item in items {
                                match item {
                                    Value::String(s) => vals.push(s),
                                    _ => return Err(bad()),
                                }
                            }
                        }
                        _ => return Err(bad()),
                    }
                }
                vals
            }
            _ => return Err(bad()),
        };
        out.push((key, values));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_fids_and_filters() {
        assert!(valid_id("user_1-a"));
        assert!(!valid_id("") && !valid_id("a:b") && !valid_id(&"x".repeat(129)));
        assert!(fid("f", "user:alice").is_ok());
        assert!(fid("f", "user").is_err() && fid("f", "user:").is_err());
        let f = filter(
            json!({"feed": {"$in": ["a:b", "c:d"]}, "group_id": "user"})
                .as_object()
                .cloned(),
            &["feed", "group_id"],
        )
        .unwrap();
        assert_eq!(f.len(), 2);
        assert!(filter(json!({"nope": "x"}).as_object().cloned(), &["feed"]).is_err());
        assert!(filter(json!({"feed": {"$gt": 1}}).as_object().cloned(), &["feed"]).is_err());
        assert_eq!(page(None, None).unwrap(), (25, 0));
        assert_eq!(page(Some(10), Some("o20")).unwrap(), (10, 20));
        assert!(page(Some(0), None).is_err() && page(None, Some("zz")).is_err());
        assert_eq!(next_cursor(10, 11).as_deref(), Some("o10"));
        assert_eq!(next_cursor(11, 11), None);
    }
}
