//! User jobs: delete, deactivate and reactivate users (tasks), and `stream-chat`'s
//! single-user delete, which runs as a delete-users task too.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::MAX_USERS;
use super::check::{check_optional_user_id, check_user_ids};
use super::reply::task_started;
use super::starter::{JobStarter, StatusJob, StatusMap};
use crate::data::app_data::{AppData, DeleteMode, DeleteUsersPlan, valid_user_id};
use crate::data::shapes;
use crate::http::error::{ApiError, duration};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::jobs::job::JobKind;
use crate::state::sync::read;
use crate::webhooks::entities;
use crate::webhooks::payload::Event;

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

/// Checks the `user_ids` and `created_by_id` of a user job and starts the job `make` makes
/// of the deduplicated ids.
fn start_user_job<J: StatusJob>(
    jobs: &JobStarter,
    user_ids: Option<Vec<String>>,
    created_by_id: Option<&str>,
    kind: JobKind,
    make: impl FnOnce(Vec<String>) -> J,
) -> Result<Response, ApiError> {
    let ids = check_user_ids(user_ids, MAX_USERS)?;
    check_optional_user_id("created_by_id", created_by_id)?;
    let n = ids.len();
    let task_id = jobs.submit_status(kind, n, make(ids))?;
    Ok(task_started(task_id))
}

/// The delete-users task (also `DELETE /users/{id}`'s).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct DeleteUsersJob {
    ids: Vec<String>,
    plan: DeleteUsersPlan,
}

impl StatusJob for DeleteUsersJob {
    fn items(&self) -> &[String] {
        &self.ids
    }

    fn run(&self, data: &mut AppData, ids: &[String], events: &mut Vec<Event>) -> StatusMap {
        let before = entities::users_before(data, ids);
        let results = data.delete_users(ids, self.plan);
        entities::users_deleted(before, &results, self.plan, events);
        results
    }
}

/// The deactivate-users task, or the reactivate-users one (`reactivate`).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ActivationJob {
    ids: Vec<String>,
    reactivate: bool,
    /// Deactivating: soft-delete their messages; reactivating: restore them.
    messages: bool,
    by: Option<String>,
}

impl StatusJob for ActivationJob {
    fn items(&self) -> &[String] {
        &self.ids
    }

    fn run(&self, data: &mut AppData, ids: &[String], events: &mut Vec<Event>) -> StatusMap {
        let results = if self.reactivate {
            data.reactivate_users(ids, self.messages)
        } else {
            data.deactivate_users(ids, self.messages)
        };
        entities::users_activation(data, &results, self.by.as_deref(), self.reactivate, events);
        results
    }
}

/// `POST /api/v2/users/delete`.
pub(crate) async fn delete_users(
    jobs: JobStarter,
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
    let task_id = submit_delete(&jobs, ids, plan)?;
    Ok(task_started(task_id))
}

/// Starts a delete-users task and marks its users deleted at once, as Stream does: query
/// users stops listing them as soon as the call answers. The task is taken first, under
/// the data's write lock, so a 429 (the app's task store full) leaves every user as it was.
fn submit_delete(
    jobs: &JobStarter,
    ids: Vec<String>,
    plan: DeleteUsersPlan,
) -> Result<String, ApiError> {
    let mut data = jobs.app().data_mut();
    let n = ids.len();
    let task_id = jobs.submit_status(
        JobKind::DeleteUsers,
        n,
        DeleteUsersJob {
            ids: ids.clone(),
            plan,
        },
    )?;
    data.mark_users_deleted(&ids);
    Ok(task_id)
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
    jobs: JobStarter,
    ApiJson(req): ApiJson<DeactivateUsersRequest>,
) -> Result<Response, ApiError> {
    let mark_messages = req.mark_messages_deleted.unwrap_or(false);
    let _ = req.mark_channels_deleted;
    let by = req.created_by_id.clone();
    start_user_job(
        &jobs,
        req.user_ids,
        req.created_by_id.as_deref(),
        JobKind::DeactivateUsers,
        |ids| ActivationJob {
            ids,
            reactivate: false,
            messages: mark_messages,
            by,
        },
    )
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
    jobs: JobStarter,
    ApiJson(req): ApiJson<ReactivateUsersRequest>,
) -> Result<Response, ApiError> {
    let restore = req.restore_messages.unwrap_or(false);
    let _ = req.restore_channels;
    let by = req.created_by_id.clone();
    start_user_job(
        &jobs,
        req.user_ids,
        req.created_by_id.as_deref(),
        JobKind::ReactivateUsers,
        |ids| ActivationJob {
            ids,
            reactivate: true,
            messages: restore,
            by,
        },
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeleteUserQuery {
    hard_delete: Option<bool>,
    mark_messages_deleted: Option<bool>,
    delete_conversation_channels: Option<bool>,
}

/// `DELETE /users/{id}` (`stream-chat`'s `deleteUser`): answers the user and the id of a
/// delete-users task for them. `hard_delete` removes the user and their messages for good;
/// else the user is soft-deleted and `mark_messages_deleted` soft-deletes their messages;
/// `delete_conversation_channels` also deletes their two-member channels (hard with
/// `hard_delete`). An unknown user is a 404.
pub(crate) async fn delete_user(
    jobs: JobStarter,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<DeleteUserQuery>,
) -> Result<Response, ApiError> {
    if !valid_user_id(&id) {
        return Err(ApiError::field(
            "user_id",
            format!("is not a valid user id: {id:?}"),
        ));
    }
    let user = read(&jobs.app().data)
        .users
        .get(&id)
        .map(shapes::user)
        .ok_or_else(|| ApiError::not_found(format!("user {id:?} does not exist")))?;
    let hard = q.hard_delete.unwrap_or(false);
    let mode = if hard {
        DeleteMode::Hard
    } else {
        DeleteMode::Soft
    };
    let plan = DeleteUsersPlan {
        user: Some(mode),
        messages: (hard || q.mark_messages_deleted.unwrap_or(false)).then_some(mode),
        conversations: q
            .delete_conversation_channels
            .unwrap_or(false)
            .then_some(mode),
    };
    let task_id = submit_delete(&jobs, vec![id], plan)?;
    Ok(Json(json!({ "user": user, "task_id": task_id, "duration": duration() })).into_response())
}
