//! The feeds routes that start tasks: delete a feed, delete feeds in batch, delete and
//! export a user's feed data. Input is checked before any task is taken; the checked
//! input is stored with the task, so a restart on a data dir resumes it.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::check::{self, MAX_BATCH_FEEDS};
use super::export::{ExportUserDataJob, export_work};
use super::jobs::{DeleteFeedsJob, DeleteUserDataJob, delete_feeds_work, delete_user_data_work};
use super::routes::{created, ok};
use crate::data::app_data::valid_user_id;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::jobs::job::JobKind;
use crate::jobs::pool::Work;
use crate::persist::JobSpec;
use crate::state::EmulatorState;
use crate::state::app_state::AppState;
use crate::state::app_state::SubmitError;
use crate::state::sync::read;

/// Records a task for `job` and starts `work(job)`; returns the task id.
fn submit<J: Serialize>(
    state: &EmulatorState,
    app: &Arc<AppState>,
    kind: JobKind,
    items: usize,
    job: J,
    work: impl FnOnce(J) -> Work,
) -> Result<String, ApiError> {
    let spec = JobSpec {
        kind,
        items,
        // Our own plain structs serialize; were one not to, the task would fail at resume.
        request: if app.persist().is_some() {
            serde_json::to_value(&job).unwrap_or(Value::Null)
        } else {
            Value::Null
        },
    };
    state.submit_job(app, spec, work(job)).map_err(|e| match e {
        SubmitError::Full(full) => ApiError::too_many_tasks(full.cap),
        SubmitError::Store(e) => ApiError::internal(format!(
            "could not store the task: {}",
            crate::report::one_line_chain(&e)
        )),
    })
}

/// Rebuilds the work of a stored feeds job, to resume it after a restart.
///
/// # Errors
/// The stored input does not read as this kind's.
pub(crate) fn resume(state: &EmulatorState, job: &JobSpec) -> Result<Work, String> {
    fn input<J: serde::de::DeserializeOwned>(job: &JobSpec) -> Result<J, String> {
        J::deserialize(&job.request).map_err(|e| format!("its stored input does not read: {e}"))
    }
    match job.kind {
        JobKind::DeleteFeeds => Ok(delete_feeds_work(input(job)?)),
        JobKind::DeleteFeedUserData => Ok(delete_user_data_work(input(job)?)),
        JobKind::ExportFeedUserData => Ok(export_work(state.clone(), input(job)?)),
        other => Err(format!("{other} is not a feeds job")),
    }
}

/// Checks `purge_user_activities` against `hard_delete`.
fn check_purge(hard: bool, purge: bool) -> Result<(), ApiError> {
    if purge && !hard {
        return Err(ApiError::field(
            "purge_user_activities",
            "needs hard_delete: true (a soft delete keeps every activity)",
        ));
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeleteFeedQuery {
    hard_delete: Option<bool>,
    purge_user_activities: Option<bool>,
}

/// `DELETE /api/v2/feeds/feed_groups/{group}/feeds/{id}`: 200 with the task's id; 404 for
/// an unknown feed.
pub(crate) async fn delete_feed(
    State(state): State<EmulatorState>,
    Authed(app): Authed,
    ApiPath((group, id)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<DeleteFeedQuery>,
) -> Result<Response, ApiError> {
    check::id("feed_group_id", &group)?;
    check::id("feed_id", &id)?;
    let hard = q.hard_delete.unwrap_or(false);
    let purge = q.purge_user_activities.unwrap_or(false);
    check_purge(hard, purge)?;
    let fid = format!("{group}:{id}");
    if !read(&app.feeds).feeds.contains_key(&fid) {
        return Err(ApiError::not_found(format!("feed {fid} does not exist")));
    }
    let job = DeleteFeedsJob {
        feeds: vec![fid],
        hard,
        purge,
    };
    let task_id = submit(
        &state,
        &app,
        JobKind::DeleteFeeds,
        1,
        job,
        delete_feeds_work,
    )?;
    Ok(ok(json!({ "task_id": task_id })))
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeleteFeedsBatchRequest {
    feeds: Option<Vec<String>>,
    hard_delete: Option<bool>,
    purge_user_activities: Option<bool>,
}

/// `POST /api/v2/feeds/feeds/delete`: 201 with the task's id; every feed must exist, else a
/// 400 naming the missing ones (and no task).
pub(crate) async fn delete_feeds_batch(
    State(state): State<EmulatorState>,
    Authed(app): Authed,
    ApiJson(req): ApiJson<DeleteFeedsBatchRequest>,
) -> Result<Response, ApiError> {
    let fids = req.feeds.unwrap_or_default();
    if fids.is_empty() || fids.len() > MAX_BATCH_FEEDS {
        return Err(ApiError::field(
            "feeds",
            format!(
                "must hold 1..={MAX_BATCH_FEEDS} feed ids, got {}",
                fids.len()
            ),
        ));
    }
    let mut unique: Vec<String> = Vec::with_capacity(fids.len());
    for (i, f) in fids.into_iter().enumerate() {
        check::fid(&format!("feeds[{i}]"), &f)?;
        if !unique.contains(&f) {
            unique.push(f);
        }
    }
    let hard = req.hard_delete.unwrap_or(false);
    let purge = req.purge_user_activities.unwrap_or(false);
    check_purge(hard, purge)?;
    let missing: Vec<&str> = {
        let d = read(&app.feeds);
        unique
            .iter()
            .filter(|f| !d.feeds.contains_key(*f))
            .map(String::as_str)
            .collect()
    };
    if !missing.is_empty() {
        return Err(ApiError::field(
            "feeds",
            format!("name feeds that do not exist: {}", missing.join(", ")),
        ));
    }
    let n = unique.len();
    let job = DeleteFeedsJob {
        feeds: unique,
        hard,
        purge,
    };
    let task_id = submit(
        &state,
        &app,
        JobKind::DeleteFeeds,
        n,
        job,
        delete_feeds_work,
    )?;
    Ok(created(json!({ "task_id": task_id })))
}

/// Checks the `{user_id}` of a path.
fn path_user(id: &str) -> Result<(), ApiError> {
    if valid_user_id(id) {
        Ok(())
    } else {
        Err(ApiError::field(
            "user_id",
            format!("is not a valid user id: {:?}", crate::http::error::clip(id)),
        ))
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeleteUserDataRequest {
    hard_delete: Option<bool>,
}

/// `POST /api/v2/feeds/users/{user_id}/delete`: 201 with the task's id (an unknown user
/// still gets a task, which counts zeros).
pub(crate) async fn delete_user_data(
    State(state): State<EmulatorState>,
    Authed(app): Authed,
    ApiPath(user_id): ApiPath<String>,
    ApiJson(req): ApiJson<DeleteUserDataRequest>,
) -> Result<Response, ApiError> {
    path_user(&user_id)?;
    let job = DeleteUserDataJob {
        user_id,
        hard: req.hard_delete.unwrap_or(false),
    };
    let task_id = submit(
        &state,
        &app,
        JobKind::DeleteFeedUserData,
        1,
        job,
        delete_user_data_work,
    )?;
    Ok(created(json!({ "task_id": task_id })))
}

/// `POST /api/v2/feeds/users/{user_id}/export`: 201 with the task's id.
pub(crate) async fn export_user_data(
    State(state): State<EmulatorState>,
    Authed(app): Authed,
    ApiPath(user_id): ApiPath<String>,
    ApiJson(_): ApiJson<serde_json::Map<String, Value>>,
) -> Result<Response, ApiError> {
    path_user(&user_id)?;
    let job = ExportUserDataJob { user_id };
    let task_id = submit(&state, &app, JobKind::ExportFeedUserData, 1, job, |job| {
        export_work(state.clone(), job)
    })?;
    Ok(created(json!({ "task_id": task_id })))
}
