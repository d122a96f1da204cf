//! `POST /api/v2/video/call/{type}/{id}` (get or create), `GET .../{type}/{id}` (get) and
//! `POST .../{type}/{id}/delete` (soft at once; hard in a task).

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::job::{DeleteCallJob, call_deleted, delete_call_work};
use super::model::{Call, CallMember, MAX_CALLS, MAX_ID_CHARS, MAX_MEMBERS, now_ns, valid_id};
use super::shape;
use crate::data::app_data::{AppData, valid_user_id};
use crate::handlers::starter::JobStarter;
use crate::http::error::{ApiError, duration};
use crate::http::extract::{ApiJson, ApiPath, Authed};
use crate::jobs::job::JobKind;
use crate::state::sync::read;

/// Longest member role, in characters.
const MAX_ROLE_CHARS: usize = 64;

/// Checks the path's call type and id; answers the cid.
fn check_path(kind: &str, id: &str) -> Result<String, ApiError> {
    for (field, v) in [("type", kind), ("id", id)] {
        if !valid_id(v) {
            return Err(ApiError::field(
                field,
                format!(
                    "is not a valid call {field}: {:?} (1..={MAX_ID_CHARS} letters, digits, _ or -)",
                    crate::http::error::clip(v)
                ),
            ));
        }
    }
    Ok(format!("{kind}:{id}"))
}

fn no_such_call(cid: &str) -> ApiError {
    ApiError::not_found(format!("call {cid:?} does not exist"))
}

/// The `call`, `members` and `own_capabilities` of a get or get-or-create answer.
fn call_state(data: &AppData, call: &Call) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("call".into(), shape::call(call, &data.users));
    m.insert("members".into(), shape::members(call, &data.users));
    // Server-side calls act for no user: no capabilities of their own.
    m.insert("own_capabilities".into(), json!([]));
    m.insert("duration".into(), duration().into());
    m
}

#[derive(Debug, Deserialize)]
pub(crate) struct UserRef {
    id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MemberRequest {
    user_id: Option<String>,
    role: Option<String>,
    custom: Option<Map<String, Value>>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CallData {
    created_by_id: Option<String>,
    created_by: Option<UserRef>,
    members: Option<Vec<MemberRequest>>,
    custom: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GetOrCreateCallRequest {
    data: Option<CallData>,
    video: Option<bool>,
}

/// Checks the members of a new call; a user named twice keeps the last entry.
fn check_members(members: Vec<MemberRequest>, at: i64) -> Result<Vec<CallMember>, ApiError> {
    if members.len() > MAX_MEMBERS {
        return Err(ApiError::field(
            "data.members",
            format!(
                "must hold at most {MAX_MEMBERS} members, got {}",
                members.len()
            ),
        ));
    }
    let mut out: Vec<CallMember> = Vec::with_capacity(members.len());
    for (i, m) in members.into_iter().enumerate() {
        let user_id = m.user_id.filter(|u| valid_user_id(u)).ok_or_else(|| {
            ApiError::field(
                &format!("data.members[{i}].user_id"),
                "is not a valid user id",
            )
        })?;
        let role = match m.role {
            None => "user".to_owned(),
            Some(r) if !r.is_empty() && r.chars().count() <= MAX_ROLE_CHARS => r,
            Some(_) => {
                return Err(ApiError::field(
                    &format!("data.members[{i}].role"),
                    format!("must be 1..={MAX_ROLE_CHARS} characters"),
                ));
            }
        };
        out.retain(|o| o.user_id != user_id);
        out.push(CallMember {
            user_id,
            role,
            custom: m.custom.unwrap_or_default(),
            created_at: at,
            updated_at: at,
        });
    }
    Ok(out)
}

/// A new call from a get-or-create request's `data`: server-side, `created_by_id` (or
/// `created_by.id`) is required.
fn new_call(kind: &str, id: &str, data: CallData) -> Result<Call, ApiError> {
    let creator = data
        .created_by_id
        .or_else(|| data.created_by.and_then(|u| u.id))
        .ok_or_else(|| {
            ApiError::field(
                "data.created_by_id",
                "is required to create a call server-side (or data.created_by.id)",
            )
        })?;
    if !valid_user_id(&creator) {
        return Err(ApiError::field(
            "data.created_by_id",
            "is not a valid user id",
        ));
    }
    let t = now_ns();
    Ok(Call {
        kind: kind.to_owned(),
        id: id.to_owned(),
        created_by_id: creator,
        custom: data.custom.unwrap_or_default(),
        members: check_members(data.members.unwrap_or_default(), t)?,
        sessions: 0,
        recordings: 0,
        current_session_id: String::new(),
        created_at: t,
        updated_at: t,
        deleted_at: None,
    })
}

/// `POST /api/v2/video/call/{type}/{id}`: the call, created from `data` when it does not
/// exist (`created: true`). Each request opens a session of a live call (the request joins
/// it), recorded when `video` is true; a deleted call is answered as it is.
pub(crate) async fn get_or_create_call(
    Authed(app): Authed,
    ApiPath((kind, id)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<GetOrCreateCallRequest>,
) -> Result<Response, ApiError> {
    let cid = check_path(&kind, &id)?;
    let record = req.video.unwrap_or(false);
    let mut data = app.data_mut();
    let created = !data.calls.contains_key(&cid);
    if created {
        if data.calls.len() >= MAX_CALLS {
            return Err(ApiError::input(format!(
                "the app already has {MAX_CALLS} calls, the most the emulator keeps"
            )));
        }
        let call = new_call(&kind, &id, req.data.unwrap_or_default())?;
        data.put_call(call);
    }
    data.update_call(&cid, |c| {
        if c.deleted_at.is_none() {
            c.join(record);
        }
    });
    let call = data.calls.get(&cid).ok_or_else(|| no_such_call(&cid))?;
    let mut body = call_state(&data, call);
    drop(data);
    body.insert("created".into(), created.into());
    Ok(Json(Value::Object(body)).into_response())
}

/// `GET /api/v2/video/call/{type}/{id}`: the call (a deleted one with `deleted_at`), or a
/// 404 once a hard delete removed it.
pub(crate) async fn get_call(
    Authed(app): Authed,
    ApiPath((kind, id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let cid = check_path(&kind, &id)?;
    let data = read(&app.data);
    let call = data.calls.get(&cid).ok_or_else(|| no_such_call(&cid))?;
    let body = call_state(&data, call);
    drop(data);
    Ok(Json(Value::Object(body)).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeleteCallRequest {
    hard: Option<bool>,
}

/// `POST /api/v2/video/call/{type}/{id}/delete`: marks the call deleted and answers it (200).
/// Soft: that is all, and `call.deleted` goes out now (once). Hard: also a task (`task_id`)
/// that removes the call with its members, sessions and recordings, and sends
/// `call.deleted` when it does.
pub(crate) async fn delete_call(
    jobs: JobStarter,
    ApiPath((kind, id)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<DeleteCallRequest>,
) -> Result<Response, ApiError> {
    let cid = check_path(&kind, &id)?;
    let app = jobs.app().clone();
    let before = read(&app.data).calls.get(&cid).cloned();
    let mut before = before.ok_or_else(|| no_such_call(&cid))?;
    let task_id = if req.hard.unwrap_or(false) {
        // Started before the call is marked: a task that cannot start changes nothing.
        let job = DeleteCallJob { cid: cid.clone() };
        Some(jobs.submit_work(JobKind::DeleteCall, 1, job, delete_call_work)?)
    } else {
        None
    };
    let mut data = app.data_mut();
    let t = now_ns();
    let was_live = data
        .update_call(&cid, |c| {
            let live = c.deleted_at.is_none();
            if live {
                c.deleted_at = Some(t);
                c.updated_at = t;
            }
            live
        })
        .unwrap_or(false);
    // The task may already have removed it: answer it as it was, deleted.
    let call = match data.calls.get(&cid) {
        Some(c) => shape::call(c, &data.users),
        None => {
            before.deleted_at.get_or_insert(t);
            shape::call(&before, &data.users)
        }
    };
    drop(data);
    if task_id.is_none() && was_live {
        app.emit(call_deleted(&cid, call.clone()));
    }
    let mut body = json!({ "call": call, "duration": duration() });
    if let Some(task_id) = task_id {
        body["task_id"] = task_id.into();
    }
    Ok(Json(body).into_response())
}
