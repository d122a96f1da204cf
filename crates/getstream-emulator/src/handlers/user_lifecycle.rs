//! The synchronous user calls around the user jobs: deactivate, reactivate and export one
//! user; restore soft-deleted users; update users partially.

use std::collections::BTreeMap;

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::MAX_USERS;
use super::check::{check_list, check_optional_user_id, check_user_ids};
use super::memberships;
use super::reply::created;
use super::starter::JobStarter;
use crate::data::app_data::{AppData, valid_user_id};
use crate::data::lifecycle::RestoreRefusal;
use crate::data::shapes;
use crate::data::teams::parse_teams;
use crate::http::error::{ApiError, duration};
use crate::http::extract::{ApiJson, ApiPath, Authed};
use crate::state::app_state::AppState;
use crate::state::sync::read;
use crate::webhooks::entities;

/// Checks a user id from the path.
fn check_path_user(id: &str) -> Result<(), ApiError> {
    if valid_user_id(id) {
        Ok(())
    } else {
        Err(ApiError::field(
            "user_id",
            format!("is not a valid user id: {id:?} (1..=255 letters, digits, @, _ or -)"),
        ))
    }
}

fn no_such_user(id: &str) -> ApiError {
    ApiError::not_found(format!("user {id:?} does not exist"))
}

/// The `{user, duration}` answer of a single-user call.
fn user_reply(data: &AppData, id: &str) -> Result<Response, ApiError> {
    let user = data.users.get(id).ok_or_else(|| no_such_user(id))?;
    Ok(created(
        json!({ "user": shapes::user(user), "duration": duration() }),
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeactivateUserRequest {
    created_by_id: Option<String>,
    mark_messages_deleted: Option<bool>,
}

/// `POST /api/v2/users/{user_id}/deactivate` (and `stream-chat`'s `/users/{id}/deactivate`):
/// deactivates one user at once and answers it.
pub(crate) async fn deactivate_user(
    Authed(app): Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<DeactivateUserRequest>,
) -> Result<Response, ApiError> {
    let mark_messages = req.mark_messages_deleted.unwrap_or(false);
    set_activation(
        &app,
        &id,
        req.created_by_id.as_deref(),
        false,
        |data, ids| data.deactivate_users(ids, mark_messages),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReactivateUserRequest {
    created_by_id: Option<String>,
    name: Option<String>,
    restore_messages: Option<bool>,
}

/// `POST /api/v2/users/{user_id}/reactivate` (and `stream-chat`'s `/users/{id}/reactivate`):
/// reactivates one user at once (optionally renaming them) and answers it.
pub(crate) async fn reactivate_user(
    Authed(app): Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ReactivateUserRequest>,
) -> Result<Response, ApiError> {
    let restore = req.restore_messages.unwrap_or(false);
    let name = req.name.filter(|n| !n.is_empty());
    set_activation(
        &app,
        &id,
        req.created_by_id.as_deref(),
        true,
        |data, ids| {
            let results = data.reactivate_users(ids, restore);
            if let Some(name) = name
                && let Some(u) = data.users.get_mut(&ids[0])
            {
                u.custom.insert("name".to_owned(), Value::String(name));
            }
            results
        },
    )
}

/// Applies `change` to the existing user `id`, sends the same `user.deactivated` or
/// `user.reactivated` (`active`) webhook event as the user jobs do, and answers the user.
fn set_activation(
    app: &AppState,
    id: &str,
    created_by_id: Option<&str>,
    active: bool,
    change: impl FnOnce(&mut AppData, &[String]) -> BTreeMap<String, Result<(), String>>,
) -> Result<Response, ApiError> {
    check_path_user(id)?;
    check_optional_user_id("created_by_id", created_by_id)?;
    let mut data = app.data_mut();
    if !data.users.contains_key(id) {
        return Err(no_such_user(id));
    }
    let results = change(&mut data, std::slice::from_ref(&id.to_owned()));
    let mut events = Vec::new();
    entities::users_activation(&data, &results, created_by_id, active, &mut events);
    let reply = user_reply(&data, id);
    drop(data);
    for event in events {
        app.emit(event);
    }
    reply
}

/// `GET /api/v2/users/{user_id}/export`: one user with their messages, at once (what a hard
/// delete or a hard truncate removed is gone; a soft truncate's hidden messages are kept).
pub(crate) async fn export_user(
    Authed(app): Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    check_path_user(&id)?;
    let data = read(&app.data);
    let user = data.users.get(&id).ok_or_else(|| no_such_user(&id))?;
    let messages: Vec<Value> = data
        .messages_of(&id)
        .into_iter()
        .map(|(cid, m)| shapes::message(m, &cid, &data.users))
        .collect();
    let body = json!({
        "user": shapes::user(user),
        "messages": messages,
        "reactions": [],
        "duration": duration(),
    });
    drop(data);
    Ok(Json(body).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct RestoreUsersRequest {
    user_ids: Option<Vec<String>>,
}

/// `POST /api/v2/users/restore`: undoes soft deletes, all or nothing; a user who was
/// hard-deleted (or never existed) is an error.
pub(crate) async fn restore_users(
    Authed(app): Authed,
    ApiJson(req): ApiJson<RestoreUsersRequest>,
) -> Result<Response, ApiError> {
    let ids = check_user_ids(req.user_ids, MAX_USERS)?;
    let restored = app.data_mut().restore_users(&ids);
    match restored {
        Ok(()) => Ok(created(json!({ "duration": duration() }))),
        Err((id, RestoreRefusal::HardDeleted)) => Err(ApiError::input(format!(
            "user {id:?} was hard-deleted and cannot be restored"
        ))),
        Err((id, RestoreRefusal::Unknown)) => {
            Err(ApiError::input(format!("user {id:?} does not exist")))
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct UpdateUsersPartialRequest {
    users: Option<Vec<Value>>,
}

/// Fields a partial update may not touch: the server's own.
const SERVER_USER_FIELDS: [&str; 11] = [
    "id",
    "created_at",
    "updated_at",
    "deleted_at",
    "deactivated_at",
    "last_active",
    "online",
    "banned",
    "shadow_banned",
    "blocked_user_ids",
    "avg_response_time",
];

struct PartialUpdate {
    id: String,
    role: Option<String>,
    /// The teams the user ends with (`set.teams`; `unset: ["teams"]` is none), if changed.
    teams: Option<Vec<String>>,
    set: Map<String, Value>,
    unset: Vec<String>,
}

fn check_partial(i: usize, v: Value) -> Result<PartialUpdate, ApiError> {
    let field = format!("users[{i}]");
    let Value::Object(mut obj) = v else {
        return Err(ApiError::field(&field, "must be an object"));
    };
    let id = partial_id(&field, obj.remove("id"))?;
    let mut set = partial_set(&field, obj.remove("set"))?;
    let mut unset = partial_unset(&field, obj.remove("unset"))?;
    flatten_custom(&field, &mut set)?;
    check_set_and_unset(&field, &set, &unset)?;
    let role = take_role(&field, &mut set)?;
    let teams = take_teams(&field, &mut set, &mut unset)?;
    Ok(PartialUpdate {
        id,
        role,
        teams,
        set,
        unset,
    })
}

/// The `id` of one partial update: a valid user id.
fn partial_id(field: &str, id: Option<Value>) -> Result<String, ApiError> {
    match id {
        Some(Value::String(id)) if valid_user_id(&id) => Ok(id),
        None | Some(Value::Null) => Err(ApiError::field(
            &format!("{field}.id"),
            "is a required field",
        )),
        Some(_) => Err(ApiError::field(
            &format!("{field}.id"),
            "must be 1..=255 letters, digits, @, _ or -",
        )),
    }
}

/// The `set` of one partial update: an object (none is empty).
fn partial_set(field: &str, set: Option<Value>) -> Result<Map<String, Value>, ApiError> {
    match set {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(ApiError::field(
            &format!("{field}.set"),
            "must be an object",
        )),
    }
}

/// The `unset` of one partial update: a list of field names (none is empty).
fn partial_unset(field: &str, unset: Option<Value>) -> Result<Vec<String>, ApiError> {
    let not_names = || ApiError::field(&format!("{field}.unset"), "must be a list of field names");
    match unset {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .into_iter()
            .map(|x| match x {
                Value::String(s) => Ok(s),
                _ => Err(not_names()),
            })
            .collect(),
        Some(_) => Err(not_names()),
    }
}

/// `set: {"custom": {...}}` sets those custom fields (custom data is flat here).
fn flatten_custom(field: &str, set: &mut Map<String, Value>) -> Result<(), ApiError> {
    match set.remove("custom") {
        None | Some(Value::Null) => {}
        Some(Value::Object(custom)) => {
            for (k, v) in custom {
                set.entry(k).or_insert(v);
            }
        }
        Some(_) => {
            return Err(ApiError::field(
                &format!("{field}.set.custom"),
                "must be an object",
            ));
        }
    }
    Ok(())
}

/// The rules between the fields set and unset: something to do, no server field, none
/// both set and unset, `role` never unset.
fn check_set_and_unset(
    field: &str,
    set: &Map<String, Value>,
    unset: &[String],
) -> Result<(), ApiError> {
    if unset.iter().any(|k| k == "custom") {
        return Err(ApiError::field(
            &format!("{field}.unset"),
            "names custom fields one by one, not \"custom\"",
        ));
    }
    if set.is_empty() && unset.is_empty() {
        return Err(ApiError::field(
            field,
            "needs at least one field to set or unset",
        ));
    }
    for k in set.keys().chain(unset.iter()) {
        if SERVER_USER_FIELDS.contains(&k.as_str()) {
            return Err(ApiError::field(
                &format!("{field}.{k}"),
                "is a server field and cannot be updated",
            ));
        }
    }
    if let Some(k) = unset.iter().find(|k| set.contains_key(*k)) {
        return Err(ApiError::field(
            &format!("{field}.{k}"),
            "cannot be both set and unset",
        ));
    }
    if unset.iter().any(|k| k == "role") {
        return Err(ApiError::field(
            &format!("{field}.role"),
            "cannot be unset (set another role)",
        ));
    }
    Ok(())
}

/// Takes the new `role` out of `set`: a non-empty string, if given.
fn take_role(field: &str, set: &mut Map<String, Value>) -> Result<Option<String>, ApiError> {
    match set.remove("role") {
        None => Ok(None),
        Some(Value::String(r)) if !r.is_empty() => Ok(Some(r)),
        Some(_) => Err(ApiError::field(
            &format!("{field}.set.role"),
            "must be a non-empty string",
        )),
    }
}

/// Takes `teams` out of `set` and `unset`: the new teams, none when unset, `None` when
/// not named.
fn take_teams(
    field: &str,
    set: &mut Map<String, Value>,
    unset: &mut Vec<String>,
) -> Result<Option<Vec<String>>, ApiError> {
    let teams = match set.remove("teams") {
        Some(v) => {
            Some(parse_teams(&v).map_err(|e| ApiError::field(&format!("{field}.set.teams"), e))?)
        }
        None => None,
    };
    if unset.iter().any(|k| k == "teams") {
        unset.retain(|k| k != "teams");
        Ok(Some(Vec::new()))
    } else {
        Ok(teams)
    }
}

/// `PATCH /api/v2/users`: sets and unsets fields of existing users; all or nothing. Setting
/// or unsetting `teams` starts a membership deletion as the upsert does.
pub(crate) async fn update_users_partial(
    jobs: JobStarter,
    ApiJson(req): ApiJson<UpdateUsersPartialRequest>,
) -> Result<Response, ApiError> {
    let updates = check_list("users", req.users, MAX_USERS)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| check_partial(i, v))
        .collect::<Result<Vec<_>, _>>()?;
    let mut data = jobs.app().data_mut();
    if let Some(u) = updates.iter().find(|u| !data.users.contains_key(&u.id)) {
        return Err(ApiError::input(format!("user {:?} does not exist", u.id)));
    }
    let teams: BTreeMap<String, Vec<String>> = updates
        .iter()
        .filter_map(|u| Some((u.id.clone(), u.teams.clone()?)))
        .collect();
    let task_id = memberships::start(&jobs, memberships::plan(&data, &teams))?;
    let mut out = Map::new();
    for u in updates {
        // Custom fields and role first: a change of teams only is still an update.
        if !u.set.is_empty() || !u.unset.is_empty() || u.role.is_some() {
            data.update_user_partial(&u.id, u.role, u.set, &u.unset);
        }
        if let Some(teams) = u.teams {
            data.set_user_teams(&u.id, teams);
        }
        if let Some(user) = data.users.get(&u.id) {
            out.insert(u.id, shapes::full_user(user));
        }
    }
    drop(data);
    let body = json!({ "users": out, "duration": duration() });
    Ok(Json(memberships::with_task_id(body, task_id)).into_response())
}
