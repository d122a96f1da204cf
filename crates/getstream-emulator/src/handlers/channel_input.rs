//! Input checks of the channel-changing calls: member lists and data changes.

use serde_json::{Map, Value};

use crate::data::app_data::valid_user_id;
use crate::data::channel_ops::{DataChange, MemberSpec, SETTINGS, check_setting};
use crate::http::error::ApiError;

/// Most members one change names.
pub(super) const MAX_MEMBERS: usize = 100;

fn user_id_of(field: &str, v: Option<&Value>) -> Result<String, ApiError> {
    match v {
        Some(Value::String(s)) if valid_user_id(s) => Ok(s.clone()),
        Some(Value::String(s)) => Err(ApiError::field(
            field,
            format!("is not a valid user id: {s:?}"),
        )),
        _ => Err(ApiError::field(field, "is a required string")),
    }
}

/// One member: `"id"` (when `plain_ok`) or `{user_id, channel_role, user: {id}}`.
fn member(field: &str, v: &Value, plain_ok: bool) -> Result<MemberSpec, ApiError> {
    let o = match v {
        Value::String(_) if plain_ok => {
            return Ok(MemberSpec {
                user_id: user_id_of(field, Some(v))?,
                channel_role: None,
            });
        }
        Value::Object(o) => o,
        _ => return Err(ApiError::field(field, "must be an object with user_id")),
    };
    let user_id = match (o.get("user_id"), o.get("user")) {
        (Some(id @ Value::String(_)), _) => user_id_of(&format!("{field}.user_id"), Some(id))?,
        (None | Some(Value::Null), Some(Value::Object(u))) => {
            user_id_of(&format!("{field}.user.id"), u.get("id"))?
        }
        _ => {
            return Err(ApiError::field(
                &format!("{field}.user_id"),
                "is a required field",
            ));
        }
    };
    let channel_role = match o.get("channel_role") {
        None | Some(Value::Null) => None,
        Some(Value::String(r)) if !r.is_empty() && r.len() <= 64 => Some(r.clone()),
        Some(_) => {
            return Err(ApiError::field(
                &format!("{field}.channel_role"),
                "must be a non-empty string of at most 64 characters",
            ));
        }
    };
    Ok(MemberSpec {
        user_id,
        channel_role,
    })
}

/// A list of 1..=[`MAX_MEMBERS`] members (user ids allowed when `plain_ok`), or `None`
/// when absent or null.
pub(super) fn members(
    field: &str,
    v: Option<&Value>,
    plain_ok: bool,
) -> Result<Option<Vec<MemberSpec>>, ApiError> {
    let items = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(ApiError::field(field, "must be an array")),
    };
    if items.len() > MAX_MEMBERS {
        return Err(ApiError::field(
            field,
            format!(
                "must contain at most {MAX_MEMBERS} items, got {}",
                items.len()
            ),
        ));
    }
    let mut out: Vec<MemberSpec> = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        let m = member(&format!("{field}[{i}]"), v, plain_ok)?;
        if !out.iter().any(|x| x.user_id == m.user_id) {
            out.push(m);
        }
    }
    Ok(Some(out))
}

/// An object field, or `None` when absent or null.
pub(super) fn object<'a>(
    field: &str,
    v: Option<&'a Value>,
) -> Result<Option<&'a Map<String, Value>>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(ApiError::field(field, "must be an object")),
    }
}

/// A list of strings, or `None` when absent or null.
pub(super) fn strings(field: &str, v: Option<&Value>) -> Result<Option<Vec<String>>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ApiError::field(field, "must be an array of strings"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(ApiError::field(field, "must be an array of strings")),
    }
}

/// Fields of a channel's data that are the server's or have calls of their own: never set
/// by a data change.
pub(super) const READ_ONLY: [&str; 16] = [
    "id",
    "type",
    "cid",
    "created_at",
    "updated_at",
    "deleted_at",
    "last_message_at",
    "truncated_at",
    "member_count",
    "message_count",
    "created_by",
    "created_by_id",
    "members",
    "invites",
    "config",
    "own_capabilities",
];

/// The settings and custom data of a channel `data` object. `loose` (the update call's
/// `ChannelInputRequest`, and the v1 dialect) takes any other top-level field as custom
/// data and ignores the read-only ones; otherwise (the batch's `ChannelDataUpdate`) an
/// unknown field is an error.
pub(super) fn data_change(
    field: &str,
    data: &Map<String, Value>,
    loose: bool,
) -> Result<DataChange, ApiError> {
    let mut change = DataChange::default();
    for (k, v) in data {
        let f = format!("{field}.{k}");
        if SETTINGS.contains(&k.as_str()) {
            if v.is_null() {
                continue;
            }
            check_setting(k, v).map_err(|p| ApiError::field(&f, p))?;
            change.set.insert(k.clone(), v.clone());
        } else if k == "custom" {
            // Merged with the top-level custom fields read before it (the map is sorted).
            if let Some(c) = object(&f, Some(v))? {
                change.custom.get_or_insert_with(Map::new).extend(c.clone());
            }
        } else if !loose {
            return Err(ApiError::field(&f, "is not a field of ChannelDataUpdate"));
        } else if !READ_ONLY.contains(&k.as_str()) && !v.is_null() {
            change
                .custom
                .get_or_insert_with(Map::new)
                .insert(k.clone(), v.clone());
        }
    }
    Ok(change)
}
