//! The bounded pool of background job workers, and the one place a job's outcome is recorded.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::app_state::AppState;
use crate::config::Pace;
use crate::job::{JobKind, TaskFailure, TaskResult};
use crate::persist::{DataDirError, JobSpec};
use crate::task::{TaskRecord, TaskStatus};
use crate::task_store::QueueFull;
use crate::webhooks::payload::{self, Event, ExportKind};

/// Why a job was not started.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SubmitError {
    /// The app holds too many unfinished tasks.
    #[error(transparent)]
    Full(#[from] QueueFull),
    /// The task could not be stored in the data dir.
    #[error(transparent)]
    Store(#[from] DataDirError),
}

/// The work of a job, run on tokio's blocking pool (never on a runtime worker thread, so a
/// long job cannot starve request handling) once its running time has passed. It takes app
/// locks in short chunks and checks the shutdown token between them (ending with
/// [`cancelled`] when it is set). Entity events it pushes are sent once the task reads
/// finished.
pub(crate) type Work = Box<
    dyn FnOnce(&AppState, &mut Vec<Event>, &CancellationToken) -> Result<TaskResult, TaskFailure>
        + Send,
>;

thread_local! {
    /// The id of the task whose work runs on this thread (set around a job's work), for the
    /// jobs whose events name their task.
    static CURRENT_TASK: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// The id of the task whose work runs on this thread; empty outside a job's work.
pub(crate) fn current_task_id() -> String {
    CURRENT_TASK.with(|t| t.borrow().clone().unwrap_or_default())
}

/// The failure of a job stopped by the emulator's shutdown (never recorded: the server stops).
pub(crate) fn cancelled() -> TaskFailure {
    TaskFailure::new("Cancelled", "the emulator is shutting down")
}

/// Ends a job's work with [`cancelled`] when the emulator is shutting down; called between
/// chunks.
pub(crate) fn check_cancel(cancel: &CancellationToken) -> Result<(), TaskFailure> {
    if cancel.is_cancelled() {
        Err(cancelled())
    } else {
        Ok(())
    }
}

/// The bounded worker pool: at most `workers` jobs run at once; each waits out the pace's
/// pending time, then its running time, then does its work.
#[derive(Debug)]
pub(crate) struct WorkerPool {
    permits: Arc<Semaphore>,
    pace: Pace,
    shutdown: CancellationToken,
}

impl WorkerPool {
    pub fn new(workers: usize, pace: Pace, shutdown: CancellationToken) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(workers.max(1))),
            pace,
            shutdown,
        }
    }

    /// Records a pending task (stored first, with a data dir) and starts the job in the
    /// background. Returns the task id. Must be called inside a tokio runtime.
    ///
    /// # Errors
    /// [`SubmitError`]: the app is full of unfinished tasks, or the task could not be
    /// stored in the data dir (nothing was started either way).
    pub fn submit(
        &self,
        app: Arc<AppState>,
        job: JobSpec,
        work: Work,
    ) -> Result<String, SubmitError> {
        let task_id = uuid::Uuid::new_v4().to_string();
        app.insert_task(&task_id, TaskRecord::pending(), Some(&job))?;
        self.start(app, task_id.clone(), job.kind, job.items, work);
        Ok(task_id)
    }

    /// Runs the job of an existing task in the background: it waits out the pace's
    /// pending time, then its running time, then does its work. A restart calls it for the
    /// tasks that had not finished.
    pub fn start(&self, app: Arc<AppState>, id: String, kind: JobKind, items: usize, work: Work) {
        let permits = Arc::clone(&self.permits);
        let pace = self.pace;
        let shutdown = self.shutdown.clone();
        let shutdown_work = self.shutdown.clone();
        tracing::debug!(task_id = %id, job = %kind, items, "job queued");
        tokio::spawn(async move {
            let run = async {
                tokio::time::sleep(pace.pending).await;
                let Ok(_permit) = permits.acquire_owned().await else {
                    return;
                };
                app.update_task(&id, |t| t.status = TaskStatus::Running);
                let started_ns = payload::now_ns();
                tracing::debug!(task_id = %id, job = %kind, "job running");
                tokio::time::sleep(pace.running_time(items)).await;
                let (outcome, events) = match app.take_injected_failure(kind) {
                    Some(failure) => (Err(failure), Vec::new()),
                    None => {
                        let app = Arc::clone(&app);
                        let cancel = shutdown_work.clone();
                        let task_id = id.clone();
                        let blocking = tokio::task::spawn_blocking(move || {
                            let mut events = Vec::new();
                            CURRENT_TASK.with(|t| *t.borrow_mut() = Some(task_id));
                            let outcome = work(&app, &mut events, &cancel);
                            CURRENT_TASK.with(|t| *t.borrow_mut() = None);
                            (outcome, events)
                        });
                        match blocking.await {
                            Ok(done) => done,
                            Err(e) => (
                                Err(TaskFailure::new(
                                    "InternalError",
                                    format!("the job panicked: {e}"),
                                )),
                                Vec::new(),
                            ),
                        }
                    }
                };
                if shutdown_work.is_cancelled() {
                    return;
                }
                record_outcome(&app, &id, kind, outcome, started_ns, events);
            };
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = run => {}
            }
        });
    }
}

/// Records how a job ended: its task becomes `completed` with the result, or `failed` with
/// the failure. Every finished job passes here, once. Then its webhook events go out — the
/// export's `export.*.success`/`.error` and the entity events the work pushed — so a wait an
/// event wakes reads the final status.
fn record_outcome(
    app: &AppState,
    task_id: &str,
    kind: JobKind,
    outcome: Result<TaskResult, TaskFailure>,
    started_ns: i64,
    events: Vec<Event>,
) {
    let export = match kind {
        JobKind::ExportChannels => Some(ExportKind::Channels),
        JobKind::ExportUsers => Some(ExportKind::Users),
        _ => None,
    };
    let export_outcome: Option<Result<String, String>> = match outcome {
        Ok(result) => {
            let url = match &result {
                TaskResult::Export { token } | TaskResult::ExportWith { token, .. } => {
                    Some(app.export_url(token))
                }
                TaskResult::Json(_) => None,
            };
            app.update_task(task_id, |t| {
                t.status = TaskStatus::Completed;
                t.result = Some(result);
            });
            url.map(Ok)
        }
        Err(failure) => {
            tracing::debug!(%task_id, job = %kind, error = %failure.description, "job failed");
            let description = failure.description.clone();
            app.update_task(task_id, |t| {
                t.status = TaskStatus::Failed;
                t.error = Some(failure);
            });
            Some(Err(description))
        }
    };
    if let (Some(export), Some(outcome)) = (export, export_outcome) {
        let outcome = outcome.as_deref().map_err(String::as_str);
        app.emit(payload::export_finished(
            export,
            task_id,
            outcome,
            started_ns,
            payload::now_ns(),
        ));
    }
    for event in events {
        app.emit(event);
    }
    tracing::debug!(%task_id, job = %kind, "job finished");
}
