//! `POST /api/v2/users` (upsert) and `GET /api/v2/users` (query).

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::memberships;
use super::reply::created;
use super::starter::JobStarter;
use crate::data::app_data::valid_user_id;
use crate::data::shapes;
use crate::data::teams::parse_teams;
use crate::http::error::{ApiError, duration};
use crate::http::extract::{ApiJson, ApiQuery, Authed};
use crate::state::sync::read;

/// Most users per upsert.
const MAX_UPSERT_USERS: usize = 100;

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

/// `POST /api/v2/users`: upsert users. A user's `teams`, when given (not `null`), replace
/// theirs; when that takes teams whose channels the user is a member of, the answer's
/// `membership_deletion_task_id` names the task that removes those memberships.
pub(crate) async fn upsert_users(
    jobs: JobStarter,
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
        let teams = match obj.get("teams") {
            None | Some(Value::Null) => None,
            Some(v) => {
                Some(parse_teams(v).map_err(|e| ApiError::field(&format!("{field}.teams"), e))?)
            }
        };
        for (k, v) in obj {
            if !RESERVED_USER_FIELDS.contains(&k.as_str()) && !v.is_null() {
                custom.insert(k, v);
            }
        }
        parsed.push((id, role, custom, teams));
    }
    let mut data = jobs.app().data_mut();
    let teams: BTreeMap<String, Vec<String>> = parsed
        .iter()
        .filter_map(|(id, _, _, teams)| Some((id.clone(), teams.clone()?)))
        .collect();
    let task_id = memberships::start(&jobs, memberships::plan(&data, &teams))?;
    let mut out = Map::new();
    for (id, role, custom, teams) in parsed {
        data.upsert_user(&id, role, custom);
        if let Some(teams) = teams {
            data.set_user_teams(&id, teams);
        }
        if let Some(u) = data.users.get(&id) {
            out.insert(id, shapes::full_user(u));
        }
    }
    drop(data);
    let body = json!({ "users": out, "duration": duration() });
    Ok(created(memberships::with_task_id(body, task_id)))
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

/// Whether a `deleted_at` filter asks for deleted users: `{"$exists": true}` (only them),
/// `{"$exists": false}` or `null` (only the others).
fn deleted_filter(v: &Value) -> Result<bool, ApiError> {
    match v {
        Value::Null => Ok(false),
        Value::Object(o) if o.len() == 1 => match o.get("$exists") {
            Some(Value::Bool(b)) => Ok(*b),
            _ => Err(bad_deleted()),
        },
        _ => Err(bad_deleted()),
    }
}

fn bad_deleted() -> ApiError {
    ApiError::field(
        "filter_conditions.deleted_at",
        "must be {\"$exists\": true|false} or null",
    )
}

/// `GET /api/v2/users?payload={json}`: query users. Filters supported: `id` (`$eq`, `$in`),
/// `role` (`$eq`) and `deleted_at` (`$exists`); others are refused with a clear 400 rather
/// than ignored. Deleted users (soft or hard, from the moment the delete call answered)
/// are left out unless the filter names `deleted_at`.
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
    // Deleted users are listed only when the filter asks about `deleted_at`.
    let mut deleted: Option<bool> = None;
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
            "deleted_at" => deleted = Some(deleted_filter(&v)?),
            other => {
                return Err(ApiError::field(
                    &format!("filter_conditions.{other}"),
                    "is not supported by the emulator (only id, role and deleted_at)",
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
        .filter(|u| u.deleted_at.is_some() == deleted.unwrap_or(false))
        .skip(offset)
        .take(limit)
        .map(shapes::full_user)
        .collect();
    drop(data);
    Ok(Json(json!({ "users": users, "duration": duration() })).into_response())
}
