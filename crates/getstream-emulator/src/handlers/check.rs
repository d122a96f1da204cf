//! Input checks shared by the handlers: lists, ids, timestamps.

use std::collections::BTreeSet;

use time::OffsetDateTime;
use time::PrimitiveDateTime;
use time::format_description::well_known::{Iso8601, Rfc3339};

use crate::data::app_data::valid_user_id;
use crate::http::error::ApiError;

/// Parses an RFC 3339 / ISO 8601 timestamp; one without an offset (Python's naive
/// `datetime.isoformat()`) is read as UTC.
pub(super) fn parse_time(field: &str, s: &str) -> Result<OffsetDateTime, ApiError> {
    OffsetDateTime::parse(s, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(s, &Iso8601::DEFAULT))
        .or_else(|_| {
            PrimitiveDateTime::parse(s, &Iso8601::DEFAULT).map(PrimitiveDateTime::assume_utc)
        })
        .map_err(|_| ApiError::field(field, format!("must be an RFC 3339 timestamp, got {s:?}")))
}

/// Checks a list: present and 1..=max items.
pub(super) fn check_list<T>(
    field: &str,
    items: Option<Vec<T>>,
    max: usize,
) -> Result<Vec<T>, ApiError> {
    let items = items.ok_or_else(|| ApiError::field(field, "is a required field"))?;
    if items.is_empty() {
        return Err(ApiError::field(field, "must contain at least 1 item"));
    }
    if items.len() > max {
        return Err(ApiError::field(
            field,
            format!("must contain at most {max} items, got {}", items.len()),
        ));
    }
    Ok(items)
}

/// Checks a list of ids: present, 1..=max, each valid; returns them deduplicated in order.
pub(super) fn check_ids(
    field: &str,
    ids: Option<Vec<String>>,
    max: usize,
    valid: fn(&str) -> bool,
    what: &str,
) -> Result<Vec<String>, ApiError> {
    let ids = check_list(field, ids, max)?;
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.into_iter().enumerate() {
        if !valid(&id) {
            return Err(ApiError::field(
                &format!("{field}[{i}]"),
                format!("is not a valid {what}: {id:?}"),
            ));
        }
        if seen.insert(id.clone()) {
            out.push(id);
        }
    }
    Ok(out)
}
/// Checks `user_ids` (1..=max valid user ids), deduplicated in order.
pub(super) fn check_user_ids(
    ids: Option<Vec<String>>,
    max: usize,
) -> Result<Vec<String>, ApiError> {
    check_ids("user_ids", ids, max, valid_user_id, "user id")
}

/// Checks an optional user id field (e.g. `created_by_id`): when set, a valid user id.
pub(super) fn check_optional_user_id(field: &str, id: Option<&str>) -> Result<(), ApiError> {
    if id.is_some_and(|id| !valid_user_id(id)) {
        return Err(ApiError::field(field, "is not a valid user id"));
    }
    Ok(())
}
