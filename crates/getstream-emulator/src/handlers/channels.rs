//! Channels: get-or-create, send a message, delete one at once, delete many (a task).

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::check::{check_ids, parse_time};
use super::reply::{created, status_map};
use super::starter::{JobStarter, StatusJob, StatusMap};
use super::{MAX_CHANNELS, MAX_MESSAGE_LENGTH};
use crate::data::app_data::{
    AppData, parse_cid, valid_channel_id, valid_channel_type, valid_user_id,
};
use crate::data::shapes;
use crate::http::error::{ApiError, duration};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::jobs::job::JobKind;
use crate::webhooks::entities;
use crate::webhooks::payload::Event;

#[derive(Debug, Deserialize)]
pub(crate) struct QueryChannelRequest {
    data: Option<Map<String, Value>>,
    messages: Option<Pagination>,
}

#[derive(Debug, Deserialize)]
struct Pagination {
    limit: Option<u64>,
}

fn member_id(i: usize, v: &Value) -> Result<String, ApiError> {
    let field = format!("data.members[{i}]");
    let id = match v {
        Value::String(s) => s.clone(),
        Value::Object(o) => match (o.get("user_id"), o.get("user")) {
            (Some(Value::String(s)), _) => s.clone(),
            (_, Some(Value::Object(u))) => match u.get("id") {
                Some(Value::String(s)) => s.clone(),
                _ => return Err(ApiError::field(&field, "needs user_id")),
            },
            _ => return Err(ApiError::field(&field, "needs user_id")),
        },
        _ => {
            return Err(ApiError::field(
                &field,
                "must be a user id or an object with user_id",
            ));
        }
    };
    if !valid_user_id(&id) {
        return Err(ApiError::field(
            &field,
            format!("is not a valid user id: {id:?}"),
        ));
    }
    Ok(id)
}

pub(super) fn check_channel_path(kind: &str, id: &str) -> Result<(), ApiError> {
    if !valid_channel_type(kind) {
        return Err(ApiError::field(
            "type",
            format!("is not a valid channel type: {kind:?}"),
        ));
    }
    if !valid_channel_id(id) {
        return Err(ApiError::field(
            "id",
            format!("is not a valid channel id: {id:?} (letters, digits, _, - and !, at most 64)"),
        ));
    }
    Ok(())
}

/// Fields of a channel's `data` that have a meaning of their own (or are the server's); any
/// other top-level field is custom data.
const RESERVED_CHANNEL_FIELDS: [&str; 28] = [
    "id",
    "type",
    "cid",
    "custom",
    "created_by_id",
    "created_by",
    "members",
    "team",
    "frozen",
    "disabled",
    "hidden",
    "blocked",
    "invites",
    "filter_tags",
    "config",
    "config_overrides",
    "own_capabilities",
    "automod",
    "blocklist_behavior",
    "auto_translation_enabled",
    "auto_translation_language",
    "message_count",
    "member_count",
    "created_at",
    "updated_at",
    "deleted_at",
    "last_message_at",
    "truncated_at",
];

/// `POST /api/v2/chat/channels/{type}/{id}/query`: get or create a channel.
pub(crate) async fn query_channel(
    Authed(app): Authed,
    ApiPath((kind, id)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<QueryChannelRequest>,
) -> Result<Response, ApiError> {
    check_channel_path(&kind, &id)?;
    let data = req.data.unwrap_or_default();
    let created_by = match (data.get("created_by_id"), data.get("created_by")) {
        (Some(Value::String(s)), _) => Some(s.clone()),
        (Some(Value::Null) | None, Some(Value::Object(o))) => match o.get("id") {
            Some(Value::String(s)) => Some(s.clone()),
            _ => return Err(ApiError::field("data.created_by.id", "is a required field")),
        },
        (Some(Value::Null) | None, None | Some(Value::Null)) => None,
        (Some(_), _) => return Err(ApiError::field("data.created_by_id", "must be a string")),
        (_, Some(_)) => return Err(ApiError::field("data.created_by", "must be an object")),
    };
    let members = match data.get("members") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| member_id(i, v))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(ApiError::field("data.members", "must be an array")),
    };
    let team = crate::data::teams::parse_team(data.get("team").unwrap_or(&Value::Null))
        .map_err(|e| ApiError::field("data.team", e))?;
    let mut custom = match data.get("custom") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(c)) => c.clone(),
        Some(_) => return Err(ApiError::field("data.custom", "must be an object")),
    };
    // The v1 dialect (`stream-chat`) sends custom fields at the top level of `data`.
    for (k, v) in &data {
        if !RESERVED_CHANNEL_FIELDS.contains(&k.as_str()) {
            custom.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let limit = req
        .messages
        .and_then(|p| p.limit)
        .map_or(25, |l| usize::try_from(l.min(300)).unwrap_or(300));
    let cid = format!("{kind}:{id}");
    let mut store = app.data_mut();
    let exists = store.channels.contains_key(&cid);
    if !exists && created_by.is_none() {
        return Err(ApiError::input(
            "GetOrCreateChannel failed with error: \"either data.created_by or data.created_by_id must be provided when using server side auth.\"",
        )
        .with_field(
            "data.created_by",
            "either data.created_by or data.created_by_id must be provided when using server side auth",
        ));
    }
    let missing = store.missing_users(members.iter().chain(created_by.iter()));
    if !missing.is_empty() {
        return Err(ApiError::input(format!(
            "The following users are involved in channel create operation, but don't exist: [{}]. Please create the user objects before setting up the channel.",
            missing.join(", ")
        )));
    }
    // A new channel takes its team from `data.team`; an existing one keeps its own.
    if store.get_or_create_channel(&kind, &id, created_by.as_deref(), &members, custom) {
        store.set_channel_team(&cid, team);
    }
    let channel = store
        .channels
        .get(&cid)
        .ok_or_else(|| ApiError::internal("channel vanished"))?;
    let body = shapes::channel_state(channel, &store.users, limit, duration());
    drop(store);
    Ok(created(body))
}

#[derive(Debug, Deserialize)]
pub(crate) struct SendMessageRequest {
    message: Option<Map<String, Value>>,
}

const RESERVED_MESSAGE_FIELDS: [&str; 7] = [
    "id",
    "text",
    "user_id",
    "user",
    "created_at",
    "updated_at",
    "custom",
];

/// `POST /api/v2/chat/channels/{type}/{id}/message`: send a message.
///
/// Leniency: `message.created_at` (RFC 3339) is honoured, so tests can place messages in time.
pub(crate) async fn send_message(
    Authed(app): Authed,
    ApiPath((kind, id)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<SendMessageRequest>,
) -> Result<Response, ApiError> {
    check_channel_path(&kind, &id)?;
    let msg = req
        .message
        .ok_or_else(|| ApiError::field("message", "is a required field"))?;
    let text = match msg.get("text") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(ApiError::field("message.text", "must be a string")),
    };
    if text.chars().count() > MAX_MESSAGE_LENGTH {
        return Err(ApiError::field(
            "message.text",
            format!("must be at most {MAX_MESSAGE_LENGTH} characters"),
        ));
    }
    let user_id = match (msg.get("user_id"), msg.get("user")) {
        (Some(Value::String(s)), _) => s.clone(),
        (_, Some(Value::Object(u))) => match u.get("id") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(ApiError::field("message.user.id", "is a required field")),
        },
        _ => {
            return Err(ApiError::field(
                "message.user",
                "either message.user or message.user_id must be provided when using server side auth",
            ));
        }
    };
    if !valid_user_id(&user_id) {
        return Err(ApiError::field(
            "message.user_id",
            format!("is not a valid user id: {user_id:?}"),
        ));
    }
    let msg_id = match msg.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if valid_user_id(s) => Some(s.clone()),
        Some(_) => {
            return Err(ApiError::field(
                "message.id",
                "must be 1..=255 letters, digits, @, _ or -",
            ));
        }
    };
    let created_at = match msg.get("created_at") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(parse_time("message.created_at", s)?),
        Some(_) => {
            return Err(ApiError::field(
                "message.created_at",
                "must be an RFC 3339 timestamp",
            ));
        }
    };
    let mut custom = match msg.get("custom") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(c)) => c.clone(),
        Some(_) => return Err(ApiError::field("message.custom", "must be an object")),
    };
    for (k, v) in &msg {
        if !RESERVED_MESSAGE_FIELDS.contains(&k.as_str())
            && !v.is_null()
            && !matches!(v, Value::Array(a) if a.is_empty())
        {
            custom.insert(k.clone(), v.clone());
        }
    }
    let cid = format!("{kind}:{id}");
    let mut store = app.data_mut();
    match store.channels.get(&cid) {
        None => {
            return Err(ApiError::not_found(format!(
                "channel \"{cid}\" does not exist"
            )));
        }
        Some(c) if c.deleted_at.is_some() => {
            return Err(ApiError::not_found(format!(
                "channel \"{cid}\" was deleted"
            )));
        }
        Some(_) => {}
    }
    if !store.users.contains_key(&user_id) {
        return Err(ApiError::field(
            "message.user_id",
            format!("user {user_id:?} does not exist"),
        ));
    }
    if let Some(mid) = &msg_id
        && store.message_exists(mid)
    {
        return Err(ApiError::field(
            "message.id",
            format!("a message with id {mid:?} already exists"),
        ));
    }
    let m = store
        .add_message(&cid, msg_id, text, &user_id, custom, created_at)
        .ok_or_else(|| ApiError::internal("channel vanished"))?;
    let body =
        json!({ "message": shapes::message(&m, &cid, &store.users), "duration": duration() });
    drop(store);
    Ok(created(body))
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeleteChannelQuery {
    hard_delete: Option<bool>,
}

/// `DELETE /api/v2/chat/channels/{type}/{id}`: delete one channel at once (soft, or hard with
/// `?hard_delete=true`).
pub(crate) async fn delete_channel(
    Authed(app): Authed,
    ApiPath((kind, id)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<DeleteChannelQuery>,
) -> Result<Response, ApiError> {
    check_channel_path(&kind, &id)?;
    let cid = format!("{kind}:{id}");
    let mut data = app.data_mut();
    let channel = data
        .channels
        .get(&cid)
        .map(|c| shapes::channel(c, &data.users))
        .ok_or_else(|| ApiError::not_found(format!("channel \"{cid}\" does not exist")))?;
    let event = if q.hard_delete.unwrap_or(false) {
        let event = entities::channel_deleted(&data, &cid);
        data.hard_delete_channel(&cid);
        event
    } else {
        let live = entities::is_live_channel(&data, &cid);
        data.soft_delete_channel(&cid);
        entities::channel_deleted(&data, &cid).filter(|_| live)
    };
    let channel = data
        .channels
        .get(&cid)
        .map_or(channel, |c| shapes::channel(c, &data.users));
    drop(data);
    if let Some(event) = event {
        app.emit(event);
    }
    Ok(Json(json!({ "channel": channel, "duration": duration() })).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeleteChannelsRequest {
    cids: Option<Vec<String>>,
    hard_delete: Option<bool>,
}

fn valid_cid(s: &str) -> bool {
    parse_cid(s).is_some()
}

/// Applies `delete` to each cid: an error for a channel it did not find.
fn each_channel(cids: &[String], mut delete: impl FnMut(&str) -> bool) -> StatusMap {
    cids.iter()
        .map(|cid| {
            let r = if delete(cid) {
                Ok(())
            } else {
                Err(format!("channel {cid} does not exist"))
            };
            (cid.clone(), r)
        })
        .collect()
}

/// `POST /api/v2/chat/channels/delete`: soft at once, hard in a task.
pub(crate) async fn delete_channels(
    jobs: JobStarter,
    ApiJson(req): ApiJson<DeleteChannelsRequest>,
) -> Result<Response, ApiError> {
    let cids = check_ids(
        "cids",
        req.cids,
        MAX_CHANNELS,
        valid_cid,
        "channel cid (type:id)",
    )?;
    if req.hard_delete.unwrap_or(false) {
        // The task is taken first, under the data's write lock: a 429 (the app's task store
        // full) leaves every channel as it was, and the job (which needs that lock) cannot
        // remove a channel before its soft delete below. The task announces the channels
        // when it removes them.
        let mut data = jobs.app().data_mut();
        let task_id = jobs.submit_status(
            JobKind::DeleteChannels,
            cids.len(),
            HardDeleteChannels { cids: cids.clone() },
        )?;
        let soft = each_channel(&cids, |cid| data.soft_delete_channel(cid));
        drop(data);
        let result = status_map(soft);
        return Ok(created(
            json!({ "task_id": task_id, "result": result, "duration": duration() }),
        ));
    }
    // Without hard_delete the channels are deleted now, and so announced.
    let mut events = Vec::new();
    let soft = {
        let mut data = jobs.app().data_mut();
        each_channel(&cids, |cid| {
            let live = entities::is_live_channel(&data, cid);
            let deleted = data.soft_delete_channel(cid);
            if live {
                events.extend(entities::channel_deleted(&data, cid));
            }
            deleted
        })
    };
    for event in events {
        jobs.app().emit(event);
    }
    let result = status_map(soft);
    Ok(created(json!({ "result": result, "duration": duration() })))
}

/// The task of a delete-channels request with `hard_delete`: removes the channels for good.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct HardDeleteChannels {
    cids: Vec<String>,
}

impl StatusJob for HardDeleteChannels {
    fn items(&self) -> &[String] {
        &self.cids
    }

    fn run(&self, data: &mut AppData, cids: &[String], events: &mut Vec<Event>) -> StatusMap {
        each_channel(cids, |cid| {
            let event = entities::channel_deleted(data, cid);
            let deleted = data.hard_delete_channel(cid);
            if deleted {
                events.extend(event);
            }
            deleted
        })
    }
}
