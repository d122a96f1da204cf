//! Changing one channel: update (`POST`), partial update (`PATCH`), hide and show.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::channel_input::{READ_ONLY, data_change, members, object, strings};
use super::channels::check_channel_path;
use super::check::parse_time;
use crate::data::app_data::{AppData, valid_user_id};
use crate::data::channel_ops::{
    DataChange, EventSink, MemberOp, MemberSpec, SETTINGS, check_setting,
};
use crate::data::shapes;
use crate::http::error::{ApiError, duration};
use crate::http::extract::{ApiJson, ApiPath, Authed};
use crate::state::data_write::DataWrite;
use crate::webhooks::payload::Event;

/// The acting user of a request: `user_id`, or `user.id`.
fn acting_user(body: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    let id = match (body.get("user_id"), body.get("user")) {
        (Some(Value::String(s)), _) => s.clone(),
        (None | Some(Value::Null), Some(Value::Object(u))) => match u.get("id") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(ApiError::field("user.id", "is a required field")),
        },
        (None | Some(Value::Null), None | Some(Value::Null)) => return Ok(None),
        (Some(_), _) => return Err(ApiError::field("user_id", "must be a string")),
        (_, Some(_)) => return Err(ApiError::field("user", "must be an object")),
    };
    if !valid_user_id(&id) {
        return Err(ApiError::field(
            "user_id",
            format!("is not a valid user id: {id:?}"),
        ));
    }
    Ok(Some(id))
}

fn flag(body: &Map<String, Value>, field: &str) -> Result<bool, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ApiError::field(field, "must be a boolean")),
    }
}

/// The channel `cid` must exist and not be deleted: a 404 (code 16) otherwise.
fn live_channel(data: &AppData, cid: &str) -> Result<(), ApiError> {
    match data.channels.get(cid) {
        Some(c) if c.deleted_at.is_none() => Ok(()),
        _ => Err(ApiError::not_found(format!(
            "channel \"{cid}\" does not exist"
        ))),
    }
}

/// Runs `change` on the channel `cid` all or nothing: on an error the channel is put back
/// as it was and no event goes out.
fn atomically(
    data: &mut DataWrite<'_>,
    cid: &str,
    events_on: bool,
    change: impl FnOnce(&mut AppData, &mut EventSink) -> Result<Option<Value>, String>,
) -> Result<(Vec<Event>, Option<Value>), ApiError> {
    let before = data.channels.get(cid).cloned();
    let mut events = EventSink::new(events_on);
    match change(data, &mut events) {
        Ok(extra) => Ok((events.into_events(), extra)),
        Err(e) => {
            if let Some(c) = before {
                data.channels.insert(cid.to_owned(), c);
            }
            Err(ApiError::input(e))
        }
    }
}

/// `{channel, members}` of the channel as it is now.
fn channel_body(data: &AppData, cid: &str) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(c) = data.channels.get(cid) {
        out.insert("channel".into(), shapes::channel(c, &data.users));
        out.insert(
            "members".into(),
            c.members
                .iter()
                .map(|m| shapes::member(m, &data.users))
                .collect(),
        );
    }
    out
}

fn answer(
    app: &crate::state::app_state::AppState,
    events: Vec<Event>,
    mut body: Map<String, Value>,
) -> Response {
    for e in events {
        app.emit(e);
    }
    body.insert("duration".into(), duration().into());
    Json(Value::Object(body)).into_response()
}

/// The message an update sends: `{text, user_id | user: {id}}`.
fn update_message(body: &Map<String, Value>) -> Result<Option<(String, String)>, ApiError> {
    let Some(m) = object("message", body.get("message"))? else {
        return Ok(None);
    };
    let text = match m.get("text") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) if s.chars().count() <= super::MAX_MESSAGE_LENGTH => s.clone(),
        Some(_) => {
            return Err(ApiError::field(
                "message.text",
                "must be a string of at most 5000 characters",
            ));
        }
    };
    let user =
        acting_user(m)?.ok_or_else(|| ApiError::field("message.user_id", "is a required field"))?;
    Ok(Some((text, user)))
}

/// `POST /api/v2/chat/channels/{type}/{id}`: update a channel — members added, removed,
/// invited, their roles and moderation, invites answered, its data replaced (custom data
/// whole; the settings given), a message sent. All or nothing.
pub(crate) async fn update_channel(
    Authed(app): Authed,
    ApiPath((kind, id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    check_channel_path(&kind, &id)?;
    let by = acting_user(&body)?;
    let add = members("add_members", body.get("add_members"), true)?;
    let invites = members("invites", body.get("invites"), true)?;
    let assign = members("assign_roles", body.get("assign_roles"), false)?;
    if let Some(i) = assign
        .iter()
        .flatten()
        .position(|m| m.channel_role.is_none())
    {
        return Err(ApiError::field(
            &format!("assign_roles[{i}].channel_role"),
            "is a required field",
        ));
    }
    let plain = |field: &str| members(field, body.get(field), true);
    let remove = plain("remove_members")?;
    let promote = plain("add_moderators")?;
    let demote = plain("demote_moderators")?;
    let mut change = match object("data", body.get("data"))? {
        Some(d) => {
            let mut c = data_change("data", d, true)?;
            c.custom.get_or_insert_with(Map::new);
            Some(c)
        }
        None => None,
    };
    if let Some(v) = body.get("cooldown").filter(|v| !v.is_null()) {
        check_setting("cooldown", v).map_err(|p| ApiError::field("cooldown", p))?;
        change
            .get_or_insert_with(DataChange::default)
            .set
            .insert("cooldown".into(), v.clone());
    }
    for field in ["add_filter_tags", "remove_filter_tags"] {
        if strings(field, body.get(field))?.is_some_and(|t| !t.is_empty()) {
            return Err(ApiError::field(field, "is not supported by the emulator"));
        }
    }
    let hide_before = match body.get("hide_history_before") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(parse_time("hide_history_before", s)?),
        Some(_) => {
            return Err(ApiError::field(
                "hide_history_before",
                "must be an RFC 3339 timestamp",
            ));
        }
    };
    let hide_before = hide_before.or(flag(&body, "hide_history")?.then(crate::data::app_data::now));
    let (accept, reject) = (flag(&body, "accept_invite")?, flag(&body, "reject_invite")?);
    if (accept || reject) && by.is_none() {
        return Err(ApiError::field(
            "user_id",
            "is required to accept or reject an invite",
        ));
    }
    let message = update_message(&body)?;
    let cid = format!("{kind}:{id}");
    let mut data = app.data_mut();
    live_channel(&data, &cid)?;
    let ops: [(MemberOp, Option<Vec<MemberSpec>>); 6] = [
        (MemberOp::Add, add),
        (MemberOp::Invite, invites),
        (MemberOp::Remove, remove),
        (MemberOp::AssignRoles, assign),
        (MemberOp::AddModerators, promote),
        (MemberOp::DemoteModerators, demote),
    ];
    let (events, msg) = atomically(&mut data, &cid, app.has_webhook(), |d, events| {
        for (op, specs) in ops {
            if let Some(specs) = specs.filter(|s| !s.is_empty()) {
                d.change_members(&cid, op, &specs, hide_before, events)?;
            }
        }
        if let Some(user) = by.as_deref().filter(|_| accept || reject) {
            d.answer_invite(&cid, user, accept, events)?;
        }
        let msg = match message {
            Some((text, user)) => {
                if !d.users.contains_key(&user) {
                    return Err(format!("user {user} does not exist"));
                }
                let m = d
                    .add_message(&cid, None, text, &user, Map::new(), None)
                    .ok_or_else(|| format!("channel {cid} does not exist"))?;
                Some(shapes::message(&m, &cid, &d.users))
            }
            None => None,
        };
        if let Some(change) = &change {
            d.change_data(&cid, change, by.as_deref(), events)?;
        }
        Ok(msg)
    })?;
    let mut out = channel_body(&data, &cid);
    drop(data);
    if let Some(m) = msg {
        out.insert("message".into(), m);
    }
    Ok(answer(&app, events, out))
}

/// `PATCH /api/v2/chat/channels/{type}/{id}`: set and unset fields of a channel (its
/// settings, or custom data).
pub(crate) async fn update_channel_partial(
    Authed(app): Authed,
    ApiPath((kind, id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    check_channel_path(&kind, &id)?;
    let by = acting_user(&body)?;
    let set = object("set", body.get("set"))?.cloned().unwrap_or_default();
    let unset = strings("unset", body.get("unset"))?.unwrap_or_default();
    if set.is_empty() && unset.is_empty() {
        return Err(ApiError::input(
            "set or unset is required (at least one field)",
        ));
    }
    let mut change = DataChange::default();
    for (k, v) in set {
        let field = format!("set.{k}");
        if READ_ONLY.contains(&k.as_str()) {
            return Err(ApiError::field(&field, "cannot be changed"));
        }
        if SETTINGS.contains(&k.as_str()) {
            check_setting(&k, &v).map_err(|p| ApiError::field(&field, p))?;
            change.set.insert(k, v);
        } else if k == "custom" {
            let c = object(&field, Some(&v))?.cloned().unwrap_or_default();
            change.custom_set.extend(c);
        } else {
            change.custom_set.insert(k, v);
        }
    }
    for k in unset {
        if READ_ONLY.contains(&k.as_str()) {
            return Err(ApiError::field(&format!("unset.{k}"), "cannot be changed"));
        }
        if SETTINGS.contains(&k.as_str()) {
            change.unset.push(k);
        } else {
            change.custom_unset.push(k);
        }
    }
    let cid = format!("{kind}:{id}");
    let mut data = app.data_mut();
    live_channel(&data, &cid)?;
    let (events, _) = atomically(&mut data, &cid, app.has_webhook(), |d, events| {
        d.change_data(&cid, &change, by.as_deref(), events)
            .map(|()| None)
    })?;
    let out = channel_body(&data, &cid);
    drop(data);
    Ok(answer(&app, events, out))
}

fn set_visibility(
    app: &crate::state::app_state::AppState,
    kind: &str,
    id: &str,
    body: &Map<String, Value>,
    op: MemberOp,
) -> Result<Response, ApiError> {
    check_channel_path(kind, id)?;
    let user =
        acting_user(body)?.ok_or_else(|| ApiError::field("user_id", "is a required field"))?;
    if flag(body, "clear_history")? {
        return Err(ApiError::field(
            "clear_history",
            "is not supported by the emulator",
        ));
    }
    let cid = format!("{kind}:{id}");
    let mut data = app.data_mut();
    live_channel(&data, &cid)?;
    let spec = [MemberSpec {
        user_id: user,
        channel_role: None,
    }];
    let (events, _) = atomically(&mut data, &cid, app.has_webhook(), |d, events| {
        d.change_members(&cid, op, &spec, None, events)
            .map(|()| None)
    })?;
    drop(data);
    Ok(answer(app, events, Map::new()))
}

/// `POST /api/v2/chat/channels/{type}/{id}/hide`: hides the channel for `user_id` (a member).
pub(crate) async fn hide_channel(
    Authed(app): Authed,
    ApiPath((kind, id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    set_visibility(&app, &kind, &id, &body, MemberOp::Hide)
}

/// `POST /api/v2/chat/channels/{type}/{id}/show`: shows a hidden channel again for `user_id`.
pub(crate) async fn show_channel(
    Authed(app): Authed,
    ApiPath((kind, id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    set_visibility(&app, &kind, &id, &body, MemberOp::Show)
}
