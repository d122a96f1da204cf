//! The bounded pool of background job workers, and the one place a job's outcome is recorded.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::app_state::AppState;
use crate::config::Pace;
use crate::job::{JobKind, TaskFailure, TaskResult};
use crate::task::{TaskRecord, TaskStatus};

/// The work of a job, run on a worker once its running time has passed. Holds app locks
/// only inside, briefly.
pub(crate) type Work = Box<dyn FnOnce(&AppState) -> Result<TaskResult, TaskFailure> + Send>;

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

    /// Records a pending task and starts the job in the background. Returns the task id.
    /// Must be called inside a tokio runtime.
    pub fn submit(&self, app: Arc<AppState>, kind: JobKind, items: usize, work: Work) -> String {
        let task_id = uuid::Uuid::new_v4().to_string();
        app.insert_task(task_id.clone(), TaskRecord::pending());
        let permits = Arc::clone(&self.permits);
        let pace = self.pace;
        let shutdown = self.shutdown.clone();
        let id = task_id.clone();
        tracing::debug!(task_id = %id, job = %kind, items, "job queued");
        tokio::spawn(async move {
            let run = async {
                tokio::time::sleep(pace.pending).await;
                let Ok(_permit) = permits.acquire_owned().await else {
                    return;
                };
                app.update_task(&id, |t| t.status = TaskStatus::Running);
                tracing::debug!(task_id = %id, job = %kind, "job running");
                tokio::time::sleep(pace.running_time(items)).await;
                let outcome = match app.take_injected_failure(kind) {
                    Some(failure) => Err(failure),
                    None => work(&app),
                };
                record_outcome(&app, &id, kind, outcome);
            };
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = run => {}
            }
        });
        task_id
    }
}

/// Records how a job ended: its task becomes `completed` with the result, or `failed` with
/// the failure. Every finished job passes here, once.
fn record_outcome(
    app: &AppState,
    task_id: &str,
    kind: JobKind,
    outcome: Result<TaskResult, TaskFailure>,
) {
    match outcome {
        Ok(result) => app.update_task(task_id, |t| {
            t.status = TaskStatus::Completed;
            t.result = Some(result);
        }),
        Err(failure) => {
            tracing::debug!(%task_id, job = %kind, error = %failure.description, "job failed");
            app.update_task(task_id, |t| {
                t.status = TaskStatus::Failed;
                t.error = Some(failure);
            });
        }
    }
    tracing::debug!(%task_id, job = %kind, "job finished");
}
