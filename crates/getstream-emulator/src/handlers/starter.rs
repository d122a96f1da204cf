//! [`JobStarter`]: what a task-starting handler needs to run a job for the calling app.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tokio_util::sync::CancellationToken;

use crate::app_state::AppState;
use crate::error::ApiError;
use crate::exports::store::ExportFile;
use crate::extract::Authed;
use crate::job::{JobKind, TaskFailure, TaskResult};
use crate::pool::{Work, check_cancel};
use crate::state::EmulatorState;
use crate::store::AppData;
use crate::sync::write;
use crate::webhooks::payload::Event;

use super::reply::status_map;

/// The outcome of a job per item (a cid, a user id): `Ok`, or why that item failed.
pub(super) type StatusMap = BTreeMap<String, Result<(), String>>;

/// The authenticated app of a request and the state whose worker pool runs its jobs.
/// Extracting it authenticates the request as [`Authed`] does.
#[derive(Debug)]
pub(crate) struct JobStarter {
    state: EmulatorState,
    app: Arc<AppState>,
}

impl FromRequestParts<EmulatorState> for JobStarter {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &EmulatorState) -> Result<Self, ApiError> {
        let Authed(app) = Authed::from_request_parts(parts, s).await?;
        let state = s.clone();
        Ok(Self { state, app })
    }
}

impl JobStarter {
    /// The calling app.
    pub(super) fn app(&self) -> &Arc<AppState> {
        &self.app
    }

    /// Records a pending task for a job of `kind` over `items` items and starts it; returns
    /// the task id.
    ///
    /// # Errors
    /// 429 (code 9) when the app has too many unfinished tasks.
    pub(super) fn submit(
        &self,
        kind: JobKind,
        items: usize,
        work: Work,
    ) -> Result<String, ApiError> {
        self.state
            .submit_job(&self.app, kind, items, work)
            .map_err(|full| ApiError::too_many_tasks(full.cap))
    }

    /// Starts a job that changes the app's data item by item (`items`: cids, user ids) and
    /// reports a per-item status map as its result; returns the task id. `work` runs on one
    /// item at a time under its own write lock, so requests reading the app wait at most for
    /// one item; the webhook events it pushes go out once the task reads completed.
    ///
    /// # Errors
    /// 429 (code 9) when the app has too many unfinished tasks.
    pub(super) fn submit_status(
        &self,
        kind: JobKind,
        items: Vec<String>,
        mut work: impl FnMut(&mut AppData, &[String], &mut Vec<Event>) -> StatusMap + Send + 'static,
    ) -> Result<String, ApiError> {
        let n = items.len();
        self.submit(
            kind,
            n,
            Box::new(move |app, events, cancel| {
                let mut results = StatusMap::new();
                for chunk in items.chunks(1) {
                    check_cancel(cancel)?;
                    results.extend(work(&mut write(&app.data), chunk, events));
                }
                Ok(TaskResult::Json(status_map(results)))
            }),
        )
    }

    /// Starts an export: `build` writes the file's JSON a chunk at a time into an export file
    /// (taking app locks per chunk and checking the shutdown token between chunks); the file
    /// is committed to the export store and the task's `result.url` links to it. An I/O error
    /// ends the task `failed` with `error_type`; a file not committed is removed.
    ///
    /// # Errors
    /// 429 (code 9) when the app has too many unfinished tasks.
    pub(super) fn submit_export(
        &self,
        kind: JobKind,
        items: usize,
        error_type: &'static str,
        build: impl FnOnce(&AppState, &mut ExportFile, &CancellationToken) -> Result<(), TaskFailure>
        + Send
        + 'static,
    ) -> Result<String, ApiError> {
        let state = self.state.clone();
        self.submit(
            kind,
            items,
            Box::new(move |app, _events, cancel| {
                let failed = |e: std::io::Error| TaskFailure::new(error_type, e.to_string());
                let exports = state.exports();
                let mut out = exports.create().map_err(failed)?;
                build(app, &mut out, cancel)?;
                let token = exports.commit(app.creds.key(), out).map_err(failed)?;
                Ok(TaskResult::Export { token })
            }),
        )
    }
}
