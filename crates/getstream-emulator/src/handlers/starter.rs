//! [`JobStarter`]: what a task-starting handler needs to run a job for the calling app.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::data::app_data::AppData;
use crate::exports::store::ExportFile;
use crate::http::error::ApiError;
use crate::http::extract::Authed;
use crate::jobs::job::{JobKind, TaskFailure, TaskResult};
use crate::jobs::pool::{Work, check_cancel};
use crate::persist::JobSpec;
use crate::state::EmulatorState;
use crate::state::app_state::{AppState, SubmitError};
use crate::webhooks::payload::Event;

pub(super) use super::reply::StatusMap;
use super::reply::status_map;

/// A job that changes the app's data item by item (cids, user ids) and reports a per-item
/// status map as its result. Its checked input is stored with its task (as JSON), so a
/// restart on a data dir runs it again.
pub(crate) trait StatusJob: Serialize + DeserializeOwned + Send + 'static {
    /// The items, done one at a time.
    fn items(&self) -> &[String];
    /// Does the job on `items` (some of [`items`](Self::items)) in the app's data; pushes
    /// the webhook events to send once the task reads completed.
    fn run(&self, data: &mut AppData, items: &[String], events: &mut Vec<Event>) -> StatusMap;
}

/// A job that writes an export file from the app's data (stored as [`StatusJob`] is).
pub(crate) trait ExportJob: Serialize + DeserializeOwned + Send + 'static {
    /// The `error.type` of a failed export.
    const ERROR_TYPE: &'static str;
    /// Writes the file's JSON a chunk at a time (taking app locks per chunk and checking
    /// `cancel` between chunks).
    fn build(
        self,
        app: &AppState,
        file: &mut ExportFile,
        cancel: &CancellationToken,
    ) -> Result<(), TaskFailure>;
}

/// The work of a [`StatusJob`]: one item at a time, each under its own write lock (so
/// requests reading the app wait at most for one item), and saved to the data dir as it
/// is done.
pub(crate) fn status_work<J: StatusJob>(job: J) -> Work {
    Box::new(move |app, events, cancel| {
        let mut results = StatusMap::new();
        for chunk in job.items().chunks(1) {
            check_cancel(cancel)?;
            results.extend(job.run(&mut app.data_mut(), chunk, events));
        }
        Ok(TaskResult::Json(status_map(results)))
    })
}

/// The work of an [`ExportJob`]: the file is committed to the export store and the task's
/// `result.url` links to it. An I/O error ends the task `failed`; a file not committed is
/// removed.
pub(crate) fn export_work<J: ExportJob>(state: EmulatorState, job: J) -> Work {
    Box::new(move |app, _events, cancel| {
        let failed = |e: std::io::Error| TaskFailure::new(J::ERROR_TYPE, e.to_string());
        let exports = state.exports();
        let mut out = exports.create().map_err(failed)?;
        job.build(app, &mut out, cancel)?;
        let token = exports.commit(app.creds.key(), out).map_err(failed)?;
        Ok(TaskResult::Export { token })
    })
}

/// What resumes a job of `kind`: its input, as the handler checked it, when `stored` (the
/// app has a data dir; else nothing reads it and it is not built).
fn spec<J: Serialize>(kind: JobKind, items: usize, job: &J, stored: bool) -> JobSpec {
    JobSpec {
        kind,
        items,
        // Our own plain structs: serializing them cannot fail. Were it to, the job would
        // not resume (its task fails at start-up), which is all a `Null` can do.
        request: if stored {
            serde_json::to_value(job).unwrap_or(Value::Null)
        } else {
            Value::Null
        },
    }
}

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
    pub(crate) fn app(&self) -> &Arc<AppState> {
        &self.app
    }

    /// Records a pending task for a job of `kind` over `items` items and starts it; returns
    /// the task id.
    ///
    /// # Errors
    /// 429 (code 9) when the app has too many unfinished tasks; a 500 when the task could
    /// not be stored in the data dir (no id is handed out for a task a restart would not
    /// find).
    fn submit(&self, spec: JobSpec, work: Work) -> Result<String, ApiError> {
        self.state
            .submit_job(&self.app, spec, work)
            .map_err(|e| match e {
                SubmitError::Full(full) => ApiError::too_many_tasks(full.cap),
                SubmitError::Store(e) => ApiError::internal(format!(
                    "could not store the task: {}",
                    crate::report::one_line_chain(&e)
                )),
            })
    }

    /// Starts a [`StatusJob`] over `items` items; returns the task id. The webhook events
    /// it pushes go out once the task reads completed.
    pub(super) fn submit_status<J: StatusJob>(
        &self,
        kind: JobKind,
        items: usize,
        job: J,
    ) -> Result<String, ApiError> {
        let spec = spec(kind, items, &job, self.app.persist().is_some());
        self.submit(spec, status_work(job))
    }

    /// Starts the job `work` makes of its input `job` over `items` items (the input is
    /// stored, so a restart resumes it through `resume::work`); returns the task id.
    pub(crate) fn submit_work<J: Serialize>(
        &self,
        kind: JobKind,
        items: usize,
        job: J,
        work: impl FnOnce(J) -> Work,
    ) -> Result<String, ApiError> {
        let spec = spec(kind, items, &job, self.app.persist().is_some());
        self.submit(spec, work(job))
    }

    /// Starts an [`ExportJob`] over `items` items; returns the task id.
    pub(super) fn submit_export<J: ExportJob>(
        &self,
        kind: JobKind,
        items: usize,
        job: J,
    ) -> Result<String, ApiError> {
        let spec = spec(kind, items, &job, self.app.persist().is_some());
        self.submit(spec, export_work(self.state.clone(), job))
    }
}
