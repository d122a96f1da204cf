//! [`JobStarter`]: what a task-starting handler needs to run a job for the calling app.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde_json::Value;

use crate::app_state::AppState;
use crate::error::ApiError;
use crate::extract::Authed;
use crate::job::{JobKind, TaskFailure, TaskResult};
use crate::pool::Work;
use crate::state::EmulatorState;
use crate::store::AppData;
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
    pub(super) fn submit(&self, kind: JobKind, items: usize, work: Work) -> String {
        self.state.submit_job(&self.app, kind, items, work)
    }

    /// Starts a job that changes the app's data and reports a per-item status map as its
    /// result; returns the task id. The webhook events `work` pushes go out once the task
    /// reads completed.
    pub(super) fn submit_status(
        &self,
        kind: JobKind,
        items: usize,
        work: impl FnOnce(&mut AppData, &mut Vec<Event>) -> StatusMap + Send + 'static,
    ) -> String {
        self.submit(
            kind,
            items,
            Box::new(move |app, events| {
                Ok(TaskResult::Json(status_map(work(
                    &mut app.data_mut(),
                    events,
                ))))
            }),
        )
    }

    /// Starts an export: `build` makes the file's JSON from the app's data; it is stored as
    /// an export file and the task's `result.url` links to it. A failure to serialize ends
    /// the task `failed` with `error_type`.
    pub(super) fn submit_export(
        &self,
        kind: JobKind,
        items: usize,
        error_type: &'static str,
        build: impl FnOnce(&AppState) -> Result<Value, TaskFailure> + Send + 'static,
    ) -> String {
        let state = self.state.clone();
        self.submit(
            kind,
            items,
            Box::new(move |app, _events| {
                let file = build(app)?;
                let bytes = serde_json::to_vec_pretty(&file)
                    .map_err(|e| TaskFailure::new(error_type, e.to_string()))?;
                Ok(TaskResult::Export {
                    token: state.store_export(app.creds.key(), bytes),
                })
            }),
        )
    }
}
