//! `POST /api/v2/chat/channels/{type}/{id}/truncate`: remove a channel's messages, soft or
//! hard, up to a time, optionally leaving a system message.

use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::MAX_MESSAGE_LENGTH;
use super::channels::check_channel_path;
use super::check::parse_time;
use super::reply::created;
use crate::data::app_data::{AppData, now, valid_user_id};
use crate::data::lifecycle::{SystemMessage, Truncation};
use crate::data::shapes;
use crate::http::error::{ApiError, duration};
use crate::http::extract::{ApiJson, ApiPath, Authed};
use crate::webhooks::payload::{Event, now_ns};

/// The webhook event of a truncation.
const CHANNEL_TRUNCATED: &str = "channel.truncated";

/// `channel.truncated` with the spec's fields: the channel after the truncation, and the
/// system message and the user who did it, when there are.
fn truncated_event(
    kind: &str,
    id: &str,
    channel: &Value,
    message: Option<&Value>,
    user: Option<Value>,
) -> Event {
    let mut body = json!({
        "type": CHANNEL_TRUNCATED,
        "created_at": now_ns(),
        "custom": {},
        "cid": format!("{kind}:{id}"),
        "channel_type": kind,
        "channel_id": id,
        "channel": channel,
        "channel_member_count": channel.get("member_count").cloned().unwrap_or(Value::Null),
    });
    if let Some(m) = message {
        body["message"] = m.clone();
        body["message_id"] = m["id"].clone();
    }
    if let Some(u) = user {
        body["user"] = u;
    }
    Event {
        event_type: CHANNEL_TRUNCATED.into(),
        task_id: None,
        body,
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct TruncateChannelRequest {
    hard_delete: Option<bool>,
    skip_push: Option<bool>,
    truncated_at: Option<String>,
    user_id: Option<String>,
    user: Option<Map<String, Value>>,
    member_ids: Option<Vec<String>>,
    message: Option<Map<String, Value>>,
}

/// The user id of `{"id": ..}` or a plain id field, checked.
fn user_of(
    field: &str,
    id: Option<&Value>,
    user: Option<&Value>,
) -> Result<Option<String>, ApiError> {
    let id = match (id, user) {
        (Some(Value::String(s)), _) => s.clone(),
        (Some(Value::Null) | None, None | Some(Value::Null)) => return Ok(None),
        (Some(Value::Null) | None, Some(Value::Object(u))) => match u.get("id") {
            Some(Value::String(s)) => s.clone(),
            _ => {
                return Err(ApiError::field(
                    &format!("{field}.id"),
                    "is a required field",
                ));
            }
        },
        (Some(_), _) => return Err(ApiError::field(field, "must be a string")),
        (_, Some(_)) => return Err(ApiError::field(field, "must be an object")),
    };
    if !valid_user_id(&id) {
        return Err(ApiError::field(
            field,
            format!("is not a valid user id: {id:?}"),
        ));
    }
    Ok(Some(id))
}

/// `POST /api/v2/chat/channels/{type}/{id}/truncate`.
///
/// Soft (the default) hides the messages created up to `truncated_at` (default: now) from
/// channel queries and channel exports (unless `include_truncated_messages`); hard removes
/// them for good, so user exports no longer see them either. `member_ids` (a per-member
/// truncation) is refused: the emulator keeps no per-member history.
pub(crate) async fn truncate_channel(
    Authed(app): Authed,
    ApiPath((kind, id)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<TruncateChannelRequest>,
) -> Result<Response, ApiError> {
    check_channel_path(&kind, &id)?;
    if req.member_ids.as_ref().is_some_and(|m| !m.is_empty()) {
        return Err(ApiError::field(
            "member_ids",
            "is not supported by the emulator (it truncates for every member)",
        ));
    }
    let _ = req.skip_push;
    let at = truncated_at(req.truncated_at.as_deref())?;
    let by = user_of(
        "user_id",
        req.user_id.map(Value::String).as_ref(),
        req.user.map(Value::Object).as_ref(),
    )?;
    let message = match req.message {
        None => None,
        Some(m) => Some(system_message(&m, by.as_ref())?),
    };
    let cid = format!("{kind}:{id}");
    let mut data = app.data_mut();
    check_channel_exists(&data, &cid)?;
    let users = by
        .iter()
        .chain(message.as_ref().map(|m| &m.user_id))
        .cloned()
        .collect::<Vec<_>>();
    let missing = data.missing_users(users.iter());
    if !missing.is_empty() {
        return Err(ApiError::input(format!(
            "user(s) {} do not exist",
            missing.join(", ")
        )));
    }
    let hard = req.hard_delete.unwrap_or(false);
    let by_user = by
        .as_deref()
        .and_then(|u| data.users.get(u))
        .map(shapes::user);
    let msg = data.truncate_channel(
        &cid,
        Truncation {
            at,
            hard,
            by,
            message,
        },
    );
    let channel = data
        .channels
        .get(&cid)
        .map(|c| shapes::channel(c, &data.users))
        .ok_or_else(|| ApiError::internal("channel vanished"))?;
    let message = msg.map(|m| shapes::message(&m, &cid, &data.users));
    drop(data);
    app.emit(truncated_event(
        &kind,
        &id,
        &channel,
        message.as_ref(),
        by_user,
    ));
    let mut body = json!({ "channel": channel, "duration": duration() });
    if let Some(m) = message {
        body["message"] = m;
    }
    Ok(created(body))
}

/// The time to truncate at: now when not given; never in the future.
fn truncated_at(given: Option<&str>) -> Result<OffsetDateTime, ApiError> {
    let t = now();
    let at = match given {
        None | Some("") => t,
        Some(s) => parse_time("truncated_at", s)?,
    };
    if at > t {
        return Err(ApiError::field("truncated_at", "must not be in the future"));
    }
    Ok(at)
}

/// The system message a truncation posts: its text (1..=[`MAX_MESSAGE_LENGTH`] chars) and
/// author (the message's user, else the truncating user `by`).
fn system_message(m: &Map<String, Value>, by: Option<&String>) -> Result<SystemMessage, ApiError> {
    let text = match m.get("text") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            return Err(ApiError::field("message.text", "is a required field"));
        }
        Some(_) => return Err(ApiError::field("message.text", "must be a string")),
    };
    if text.chars().count() > MAX_MESSAGE_LENGTH {
        return Err(ApiError::field(
            "message.text",
            format!("must be at most {MAX_MESSAGE_LENGTH} characters"),
        ));
    }
    let user_id = user_of("message.user_id", m.get("user_id"), m.get("user"))?
        .or_else(|| by.cloned())
        .ok_or_else(|| {
            ApiError::field(
                "message.user",
                "either message.user, message.user_id or user_id must be provided when using server side auth",
            )
        })?;
    Ok(SystemMessage { text, user_id })
}

/// Refuses a channel that does not exist or was deleted (404).
fn check_channel_exists(data: &AppData, cid: &str) -> Result<(), ApiError> {
    match data.channels.get(cid) {
        None => Err(ApiError::not_found(format!(
            "channel \"{cid}\" does not exist"
        ))),
        Some(c) if c.deleted_at.is_some() => Err(ApiError::not_found(format!(
            "channel \"{cid}\" was deleted"
        ))),
        Some(_) => Ok(()),
    }
}
