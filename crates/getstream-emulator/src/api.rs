//! Handlers of Stream's API: data endpoints, task producers and the task status endpoint.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::PrimitiveDateTime;
use time::format_description::well_known::{Iso8601, Rfc3339};

use crate::error::{ApiError, duration};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed, RequestHost};
use crate::shapes;
use crate::state::{AppState, EmulatorState, read, write};
use crate::store::{
    AppData, DeleteMode, DeleteUsersPlan, parse_cid, valid_channel_id, valid_channel_type,
    valid_user_id,
};
use crate::tasks::{JobKind, Stamps, TaskError, TaskResult};
use crate::webhooks::entities;
use crate::webhooks::payload::Event;

/// Most channels per delete/export request.
pub const MAX_CHANNELS: usize = 100;
/// Most user ids per delete/deactivate/reactivate request.
pub const MAX_USERS: usize = 100;
/// Most user ids per export-users request.
pub const MAX_EXPORT_USERS: usize = 25;
/// Most users per upsert.
pub const MAX_UPSERT_USERS: usize = 100;
/// Longest message text.
pub const MAX_MESSAGE_LENGTH: usize = 5000;

fn created(body: Value) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

/// The request's `Host`, when it is a plain host name or address (it goes into export URLs).
fn host(header: Option<&HeaderValue>) -> Option<&str> {
    header.and_then(|h| h.to_str().ok()).filter(|h| {
        !h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    })
}

/// Parses an RFC 3339 / ISO 8601 timestamp; one without an offset (Python's naive
/// `datetime.isoformat()`) is read as UTC.
fn parse_time(field: &str, s: &str) -> Result<OffsetDateTime, ApiError> {
    OffsetDateTime::parse(s, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(s, &Iso8601::DEFAULT))
        .or_else(|_| {
            PrimitiveDateTime::parse(s, &Iso8601::DEFAULT).map(PrimitiveDateTime::assume_utc)
        })
        .map_err(|_| ApiError::field(field, format!("must be an RFC 3339 timestamp, got {s:?}")))
}

/// Checks a list: present and 1..=max items.
fn check_list<T>(field: &str, items: Option<Vec<T>>, max: usize) -> Result<Vec<T>, ApiError> {
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
fn check_ids(
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

fn status_map(results: BTreeMap<String, Result<(), String>>) -> Value {
    results
        .into_iter()
        .map(|(k, r)| {
            let v = match r {
                Ok(()) => json!({"status": "ok"}),
                Err(e) => json!({"status": "error", "error": e}),
            };
            (k, v)
        })
        .collect::<Map<_, _>>()
        .into()
}

fn task_started(task_id: String) -> Response {
    created(json!({ "task_id": task_id, "duration": duration() }))
}

/// Checks `user_ids` (1..=max valid user ids), deduplicated in order.
fn check_user_ids(ids: Option<Vec<String>>, max: usize) -> Result<Vec<String>, ApiError> {
    check_ids("user_ids", ids, max, valid_user_id, "user id")
}

/// Checks an optional user id field (e.g. `created_by_id`): when set, a valid user id.
fn check_optional_user_id(field: &str, id: Option<&str>) -> Result<(), ApiError> {
    if id.is_some_and(|id| !valid_user_id(id)) {
        return Err(ApiError::field(field, "is not a valid user id"));
    }
    Ok(())
}

/// Submits a job of `items` items that changes the app's data and reports a per-item status
/// map as its result; returns the task id.
fn submit_status_job(
    state: &EmulatorState,
    app: &Arc<AppState>,
    kind: JobKind,
    items: usize,
    work: impl FnOnce(&mut AppData, &mut Vec<Event>) -> BTreeMap<String, Result<(), String>>
    + Send
    + 'static,
) -> String {
    state.submit_job(
        app,
        kind,
        items,
        Box::new(move |app, events| {
            Ok(TaskResult::Json(status_map(work(
                &mut write(&app.data),
                events,
            ))))
        }),
    )
}

// ---------------------------------------------------------------- tasks

/// `GET /api/v2/tasks/{id}`.
pub(crate) async fn get_task(
    State(state): State<EmulatorState>,
    Authed(app): Authed,
    ApiPath(id): ApiPath<String>,
    RequestHost(host_header): RequestHost,
) -> Result<Response, ApiError> {
    task_response(&state, &app, &id, host_header.as_ref(), Stamps::UnixNanos)
}

/// `GET /tasks/{id}`: the legacy v1 path, with RFC 3339 timestamps (as the v1 API sent them).
pub(crate) async fn get_task_v1(
    State(state): State<EmulatorState>,
    Authed(app): Authed,
    ApiPath(id): ApiPath<String>,
    RequestHost(host_header): RequestHost,
) -> Result<Response, ApiError> {
    task_response(&state, &app, &id, host_header.as_ref(), Stamps::Rfc3339)
}

/// A task's status as a JSON response, serialized straight from the task record.
fn task_response(
    state: &EmulatorState,
    app: &AppState,
    id: &str,
    host_header: Option<&HeaderValue>,
    stamps: Stamps,
) -> Result<Response, ApiError> {
    let base = || state.export_base(host(host_header));
    let body = app
        .render_task(id, &base, &duration(), stamps)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "GetTask failed with error: \"Can't find task with id {id}\""
            ))
        })?
        .map_err(|e| ApiError::internal(format!("could not serialize the task: {e}")))?;
    let mut response = Response::new(axum::body::Body::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// `GET /_emulator/exports/{token}.json`: the export file, no API auth (the token is the key).
pub(crate) async fn download_export(
    State(state): State<EmulatorState>,
    ApiPath(file): ApiPath<String>,
) -> Result<Response, ApiError> {
    let token = file.strip_suffix(".json").unwrap_or(&file);
    let bytes = state
        .export_file(token)
        .ok_or_else(|| ApiError::not_found("no export file with this name"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"export-{}.json\"",
                    token.chars().take(8).collect::<String>()
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------- users

#[derive(Debug, Deserialize)]
pub(crate) struct UpsertUsersRequest {
    users: Option<Map<String, Value>>,
}

/// Fields that are the server's, not the user's custom data.
const RESERVED_USER_FIELDS: [&str; 14] = [
    "id",
    "role",
    "custom",
    "created_at",
    "updated_at",
    "deleted_at",
    "deactivated_at",
    "last_active",
    "online",
    "banned",
    "shadow_banned",
    "blocked_user_ids",
    "teams",
    "invisible",
];

/// `POST /api/v2/users`: upsert users.
pub(crate) async fn upsert_users(
    Authed(app): Authed,
    ApiJson(req): ApiJson<UpsertUsersRequest>,
) -> Result<Response, ApiError> {
    let users = req
        .users
        .ok_or_else(|| ApiError::field("users", "is a required field"))?;
    if users.is_empty() {
        return Err(ApiError::field("users", "must contain at least 1 user"));
    }
    if users.len() > MAX_UPSERT_USERS {
        return Err(ApiError::field(
            "users",
            format!("must contain at most {MAX_UPSERT_USERS} users"),
        ));
    }
    let mut parsed = Vec::with_capacity(users.len());
    for (key, v) in users {
        let field = format!("users.{key}");
        let Value::Object(obj) = v else {
            return Err(ApiError::field(&field, "must be an object"));
        };
        let id = match obj.get("id") {
            None | Some(Value::Null) => key.clone(),
            Some(Value::String(id)) if *id == key => id.clone(),
            Some(Value::String(_)) => {
                return Err(ApiError::field(
                    &format!("{field}.id"),
                    "must equal the key of the user in the map",
                ));
            }
            Some(_) => return Err(ApiError::field(&format!("{field}.id"), "must be a string")),
        };
        if !valid_user_id(&id) {
            return Err(ApiError::field(
                &format!("{field}.id"),
                "must be 1..=255 letters, digits, @, _ or -",
            ));
        }
        let role = match obj.get("role") {
            None | Some(Value::Null) => None,
            Some(Value::String(r)) if !r.is_empty() => Some(r.clone()),
            Some(_) => {
                return Err(ApiError::field(
                    &format!("{field}.role"),
                    "must be a non-empty string",
                ));
            }
        };
        let mut custom = Map::new();
        match obj.get("custom") {
            None | Some(Value::Null) => {}
            Some(Value::Object(c)) => custom.extend(c.clone()),
            Some(_) => {
                return Err(ApiError::field(
                    &format!("{field}.custom"),
                    "must be an object",
                ));
            }
        }
        for (k, v) in obj {
            if !RESERVED_USER_FIELDS.contains(&k.as_str()) && !v.is_null() {
                custom.insert(k, v);
            }
        }
        parsed.push((id, role, custom));
    }
    let mut data = write(&app.data);
    let mut out = Map::new();
    for (id, role, custom) in parsed {
        data.upsert_user(&id, role, custom);
        if let Some(u) = data.users.get(&id) {
            out.insert(id, shapes::full_user(u));
        }
    }
    drop(data);
    Ok(created(json!({
        "users": out,
        "membership_deletion_task_id": "",
        "duration": duration(),
    })))
}

#[derive(Debug, Deserialize)]
pub(crate) struct QueryUsersQuery {
    payload: Option<String>,
}

#[derive(Debug, Deserialize)]
struct QueryUsersPayload {
    filter_conditions: Option<Map<String, Value>>,
    limit: Option<u64>,
    offset: Option<u64>,
    include_deactivated_users: Option<bool>,
}

/// The user ids an `id` filter allows: `"x"`, `{"$eq": "x"}` or `{"$in": [..]}`.
fn id_filter(v: &Value) -> Result<BTreeSet<String>, ApiError> {
    let bad = || {
        ApiError::field(
            "filter_conditions.id",
            "must be a string, {\"$eq\": id} or {\"$in\": [ids]}",
        )
    };
    match v {
        Value::String(s) => Ok(BTreeSet::from([s.clone()])),
        Value::Object(o) if o.len() == 1 => match (o.get("$eq"), o.get("$in")) {
            (Some(Value::String(s)), _) => Ok(BTreeSet::from([s.clone()])),
            (_, Some(Value::Array(a))) => a
                .iter()
                .map(|x| x.as_str().map(str::to_owned).ok_or_else(bad))
                .collect(),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

/// `GET /api/v2/users?payload={json}`: query users. Filters supported: `id` (`$eq`, `$in`)
/// and `role` (`$eq`); others are refused with a clear 400 rather than ignored.
pub(crate) async fn query_users(
    Authed(app): Authed,
    ApiQuery(q): ApiQuery<QueryUsersQuery>,
) -> Result<Response, ApiError> {
    let payload: QueryUsersPayload = match q.payload.as_deref() {
        None | Some("") => QueryUsersPayload {
            filter_conditions: None,
            limit: None,
            offset: None,
            include_deactivated_users: None,
        },
        Some(p) => serde_json::from_str(p)
            .map_err(|e| ApiError::field("payload", format!("is not valid JSON: {e}")))?,
    };
    let mut ids = None;
    let mut role = None;
    for (k, v) in payload.filter_conditions.unwrap_or_default() {
        match k.as_str() {
            "id" => ids = Some(id_filter(&v)?),
            "role" => match v.as_str().or_else(|| v.get("$eq").and_then(Value::as_str)) {
                Some(r) => role = Some(r.to_owned()),
                None => {
                    return Err(ApiError::field(
                        "filter_conditions.role",
                        "must be a string or {\"$eq\": role}",
                    ));
                }
            },
            other => {
                return Err(ApiError::field(
                    &format!("filter_conditions.{other}"),
                    "is not supported by the emulator (only id and role)",
                ));
            }
        }
    }
    let limit = usize::try_from(payload.limit.unwrap_or(30).min(100)).unwrap_or(100);
    let offset = usize::try_from(payload.offset.unwrap_or(0)).unwrap_or(usize::MAX);
    let include_deactivated = payload.include_deactivated_users.unwrap_or(false);
    let data = read(&app.data);
    let users: Vec<Value> = data
        .users
        .values()
        .filter(|u| ids.as_ref().is_none_or(|ids| ids.contains(&u.id)))
        .filter(|u| role.as_deref().is_none_or(|r| u.role == r))
        .filter(|u| include_deactivated || u.deactivated_at.is_none())
        .skip(offset)
        .take(limit)
        .map(shapes::full_user)
        .collect();
    drop(data);
    Ok(Json(json!({ "users": users, "duration": duration() })).into_response())
}

// ---------------------------------------------------------------- channels

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

fn check_channel_path(kind: &str, id: &str) -> Result<(), ApiError> {
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
    let custom = match data.get("custom") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(c)) => c.clone(),
        Some(_) => return Err(ApiError::field("data.custom", "must be an object")),
    };
    let limit = req
        .messages
        .and_then(|p| p.limit)
        .map_or(25, |l| usize::try_from(l.min(300)).unwrap_or(300));
    let cid = format!("{kind}:{id}");
    let mut store = write(&app.data);
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
    store.get_or_create_channel(&kind, &id, created_by.as_deref(), &members, custom);
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
    let mut store = write(&app.data);
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
    let mut data = write(&app.data);
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

// ---------------------------------------------------------------- delete channels

#[derive(Debug, Deserialize)]
pub(crate) struct DeleteChannelsRequest {
    cids: Option<Vec<String>>,
    hard_delete: Option<bool>,
}

fn valid_cid(s: &str) -> bool {
    parse_cid(s).is_some()
}

/// Applies `delete` to each cid: an error for a channel it did not find.
fn each_channel(
    cids: &[String],
    mut delete: impl FnMut(&str) -> bool,
) -> BTreeMap<String, Result<(), String>> {
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
    State(state): State<EmulatorState>,
    Authed(app): Authed,
    ApiJson(req): ApiJson<DeleteChannelsRequest>,
) -> Result<Response, ApiError> {
    let cids = check_ids(
        "cids",
        req.cids,
        MAX_CHANNELS,
        valid_cid,
        "channel cid (type:id)",
    )?;
    let hard = req.hard_delete.unwrap_or(false);
    // Without hard_delete the channels are deleted now, and so announced; with it the task
    // announces them when it removes them.
    let mut events = Vec::new();
    let soft = {
        let mut data = write(&app.data);
        each_channel(&cids, |cid| {
            let live = entities::is_live_channel(&data, cid);
            let deleted = data.soft_delete_channel(cid);
            if live && !hard {
                events.extend(entities::channel_deleted(&data, cid));
            }
            deleted
        })
    };
    for event in events {
        app.emit(event);
    }
    let result = status_map(soft);
    if !hard {
        return Ok(created(json!({ "result": result, "duration": duration() })));
    }
    let task_id = submit_status_job(
        &state,
        &app,
        JobKind::DeleteChannels,
        cids.len(),
        move |data, events| {
            each_channel(&cids, |cid| {
                let event = entities::channel_deleted(data, cid);
                let deleted = data.hard_delete_channel(cid);
                if deleted {
                    events.extend(event);
                }
                deleted
            })
        },
    );
    Ok(created(
        json!({ "task_id": task_id, "result": result, "duration": duration() }),
    ))
}

// ---------------------------------------------------------------- export channels

#[derive(Debug, Deserialize)]
pub(crate) struct ExportChannelItem {
    cid: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<String>,
    messages_since: Option<String>,
    messages_until: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ExportChannelsRequest {
    channels: Option<Vec<ExportChannelItem>>,
    export_users: Option<bool>,
    include_soft_deleted_channels: Option<bool>,
    clear_deleted_message_text: Option<bool>,
    include_truncated_messages: Option<bool>,
    version: Option<String>,
    format: Option<String>,
}

#[derive(Debug, Clone)]
struct ExportSpec {
    cid: String,
    since: Option<OffsetDateTime>,
    until: Option<OffsetDateTime>,
}

fn check_export_item(i: usize, item: ExportChannelItem) -> Result<ExportSpec, ApiError> {
    let field = format!("channels[{i}]");
    let cid = match (item.cid, item.kind, item.id) {
        (Some(cid), None, None) => cid,
        (Some(cid), Some(t), Some(id)) if cid == format!("{t}:{id}") => cid,
        (Some(_), _, _) => {
            return Err(ApiError::field(
                &field,
                "gives a cid that does not match its type and id",
            ));
        }
        (None, Some(t), Some(id)) => format!("{t}:{id}"),
        (None, _, _) => {
            return Err(ApiError::field(&field, "needs cid, or type and id"));
        }
    };
    if parse_cid(&cid).is_none() {
        return Err(ApiError::field(
            &format!("{field}.cid"),
            format!("is not a valid channel cid (type:id): {cid:?}"),
        ));
    }
    let since = item
        .messages_since
        .as_deref()
        .map(|s| parse_time(&format!("{field}.messages_since"), s))
        .transpose()?;
    let until = item
        .messages_until
        .as_deref()
        .map(|s| parse_time(&format!("{field}.messages_until"), s))
        .transpose()?;
    if let (Some(s), Some(u)) = (since, until)
        && s > u
    {
        return Err(ApiError::field(
            &format!("{field}.messages_since"),
            "must not be after messages_until",
        ));
    }
    Ok(ExportSpec { cid, since, until })
}

/// `POST /api/v2/chat/export_channels`.
pub(crate) async fn export_channels(
    State(state): State<EmulatorState>,
    Authed(app): Authed,
    ApiJson(req): ApiJson<ExportChannelsRequest>,
) -> Result<Response, ApiError> {
    let specs = check_list("channels", req.channels, MAX_CHANNELS)?
        .into_iter()
        .enumerate()
        .map(|(i, item)| check_export_item(i, item))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(f) = req.format.as_deref()
        && f != "json"
    {
        return Err(ApiError::field(
            "format",
            format!("{f:?} is not supported by the emulator (only \"json\")"),
        ));
    }
    if let Some(v) = req.version.as_deref()
        && v != "v1"
        && v != "v2"
    {
        return Err(ApiError::field("version", "must be \"v1\" or \"v2\""));
    }
    let export_users = req.export_users.unwrap_or(false);
    let include_deleted = req.include_soft_deleted_channels.unwrap_or(false);
    let clear_deleted_text = req.clear_deleted_message_text.unwrap_or(false);
    let _ = req.include_truncated_messages;
    let n = specs.len();
    let st = state.clone();
    let task_id = state.submit_job(
        &app,
        JobKind::ExportChannels,
        n,
        Box::new(move |app, _events| {
            let data = read(&app.data);
            let mut channels = Vec::with_capacity(specs.len());
            let mut user_ids = BTreeSet::new();
            for spec in &specs {
                let ch = data
                    .channels
                    .get(&spec.cid)
                    .filter(|c| include_deleted || c.deleted_at.is_none())
                    .ok_or_else(|| {
                        TaskError::new(
                            "ExportChannelsError",
                            format!("channel {} does not exist", spec.cid),
                        )
                    })?;
                let messages: Vec<Value> = ch
                    .messages
                    .iter()
                    .filter(|m| spec.since.is_none_or(|s| m.created_at >= s))
                    .filter(|m| spec.until.is_none_or(|u| m.created_at <= u))
                    .map(|m| {
                        user_ids.insert(m.user_id.clone());
                        let mut j = shapes::message(m, &spec.cid, &data.users);
                        if clear_deleted_text && m.deleted_at.is_some() {
                            j["text"] = Value::String(String::new());
                            j["html"] = Value::String(String::new());
                        }
                        j
                    })
                    .collect();
                for m in &ch.members {
                    user_ids.insert(m.user_id.clone());
                }
                channels.push(json!({
                    "channel": shapes::channel(ch, &data.users),
                    "members": ch.members.iter().map(|m| shapes::member(m, &data.users)).collect::<Vec<_>>(),
                    "messages": messages,
                }));
            }
            let mut file = json!({
                "exported_at": shapes::ts(OffsetDateTime::now_utc()),
                "channels": channels,
            });
            if export_users {
                file["users"] = user_ids
                    .iter()
                    .filter_map(|id| data.users.get(id))
                    .map(shapes::user)
                    .collect();
            }
            drop(data);
            let bytes = serde_json::to_vec_pretty(&file)
                .map_err(|e| TaskError::new("ExportChannelsError", e.to_string()))?;
            Ok(TaskResult::Export {
                token: st.store_export(app.creds.key(), bytes),
            })
        }),
    );
    Ok(task_started(task_id))
}

// ---------------------------------------------------------------- users jobs

#[derive(Debug, Deserialize)]
pub(crate) struct ExportUsersRequest {
    user_ids: Option<Vec<String>>,
}

/// `POST /api/v2/export/users`.
pub(crate) async fn export_users(
    State(state): State<EmulatorState>,
    Authed(app): Authed,
    ApiJson(req): ApiJson<ExportUsersRequest>,
) -> Result<Response, ApiError> {
    let ids = check_user_ids(req.user_ids, MAX_EXPORT_USERS)?;
    let st = state.clone();
    let task_id = state.submit_job(
        &app,
        JobKind::ExportUsers,
        ids.len(),
        Box::new(move |app, _events| {
            let data = read(&app.data);
            let mut users = Vec::with_capacity(ids.len());
            for id in &ids {
                let u = data.users.get(id).ok_or_else(|| {
                    TaskError::new("ExportUsersError", format!("user {id} does not exist"))
                })?;
                let mut messages = Vec::new();
                let mut channels = Vec::new();
                for c in data.channels.values() {
                    let cid = c.cid();
                    if c.members.iter().any(|m| &m.user_id == id) {
                        channels.push(Value::String(cid.clone()));
                    }
                    messages.extend(
                        c.messages
                            .iter()
                            .filter(|m| &m.user_id == id)
                            .map(|m| shapes::message(m, &cid, &data.users)),
                    );
                }
                users.push(json!({
                    "user": shapes::user(u),
                    "channels": channels,
                    "messages": messages,
                }));
            }
            drop(data);
            let file = json!({
                "exported_at": shapes::ts(OffsetDateTime::now_utc()),
                "users": users,
            });
            let bytes = serde_json::to_vec_pretty(&file)
                .map_err(|e| TaskError::new("ExportUsersError", e.to_string()))?;
            Ok(TaskResult::Export {
                token: st.store_export(app.creds.key(), bytes),
            })
        }),
    );
    Ok(task_started(task_id))
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeleteUsersRequest {
    user_ids: Option<Vec<String>>,
    user: Option<String>,
    messages: Option<String>,
    conversations: Option<String>,
    calls: Option<String>,
    new_channel_owner_id: Option<String>,
}

fn mode(field: &str, v: Option<String>, allowed: &[&str]) -> Result<Option<DeleteMode>, ApiError> {
    match v.as_deref() {
        None | Some("") => Ok(None),
        Some(s) if allowed.contains(&s) => Ok(DeleteMode::parse(s)),
        Some(s) => Err(ApiError::field(
            field,
            format!("must be one of {}, got {s:?}", allowed.join(", ")),
        )),
    }
}

/// `POST /api/v2/users/delete`.
pub(crate) async fn delete_users(
    State(state): State<EmulatorState>,
    Authed(app): Authed,
    ApiJson(req): ApiJson<DeleteUsersRequest>,
) -> Result<Response, ApiError> {
    let ids = check_user_ids(req.user_ids, MAX_USERS)?;
    let plan = DeleteUsersPlan {
        user: Some(
            mode("user", req.user, &["soft", "pruning", "hard"])?.unwrap_or(DeleteMode::Soft),
        ),
        messages: mode("messages", req.messages, &["soft", "pruning", "hard"])?,
        conversations: mode("conversations", req.conversations, &["soft", "hard"])?,
    };
    mode("calls", req.calls, &["soft", "hard"])?;
    check_optional_user_id("new_channel_owner_id", req.new_channel_owner_id.as_deref())?;
    let task_id = submit_status_job(
        &state,
        &app,
        JobKind::DeleteUsers,
        ids.len(),
        move |data, events| {
            let before = entities::users_before(data, &ids);
            let results = data.delete_users(&ids, plan);
            entities::users_deleted(before, &results, plan, events);
            results
        },
    );
    Ok(task_started(task_id))
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeactivateUsersRequest {
    user_ids: Option<Vec<String>>,
    created_by_id: Option<String>,
    mark_messages_deleted: Option<bool>,
    mark_channels_deleted: Option<bool>,
}

/// `POST /api/v2/users/deactivate`.
pub(crate) async fn deactivate_users(
    State(state): State<EmulatorState>,
    Authed(app): Authed,
    ApiJson(req): ApiJson<DeactivateUsersRequest>,
) -> Result<Response, ApiError> {
    let ids = check_user_ids(req.user_ids, MAX_USERS)?;
    check_optional_user_id("created_by_id", req.created_by_id.as_deref())?;
    let mark_messages = req.mark_messages_deleted.unwrap_or(false);
    let _ = req.mark_channels_deleted;
    let by = req.created_by_id;
    let task_id = submit_status_job(
        &state,
        &app,
        JobKind::DeactivateUsers,
        ids.len(),
        move |data, events| {
            let results = data.deactivate_users(&ids, mark_messages);
            entities::users_activation(data, &results, by.as_deref(), false, events);
            results
        },
    );
    Ok(task_started(task_id))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReactivateUsersRequest {
    user_ids: Option<Vec<String>>,
    created_by_id: Option<String>,
    restore_messages: Option<bool>,
    restore_channels: Option<bool>,
}

/// `POST /api/v2/users/reactivate`.
pub(crate) async fn reactivate_users(
    State(state): State<EmulatorState>,
    Authed(app): Authed,
    ApiJson(req): ApiJson<ReactivateUsersRequest>,
) -> Result<Response, ApiError> {
    let ids = check_user_ids(req.user_ids, MAX_USERS)?;
    check_optional_user_id("created_by_id", req.created_by_id.as_deref())?;
    let restore = req.restore_messages.unwrap_or(false);
    let _ = req.restore_channels;
    let by = req.created_by_id;
    let task_id = submit_status_job(
        &state,
        &app,
        JobKind::ReactivateUsers,
        ids.len(),
        move |data, events| {
            let results = data.reactivate_users(&ids, restore);
            entities::users_activation(data, &results, by.as_deref(), true, events);
            results
        },
    );
    Ok(task_started(task_id))
}
