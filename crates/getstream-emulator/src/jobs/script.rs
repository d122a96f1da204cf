//! Scripted tasks: a status sequence and a final result or failure given by a test, not
//! computed by a job.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::jobs::job::TaskFailure;

/// One step of a scripted task: the status shown, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptStep {
    /// The status (`pending`, `running`, `completed`, `failed`, or anything else).
    pub status: String,
    /// How long this step lasts (the last step lasts forever).
    pub duration: Duration,
}

impl ScriptStep {
    /// A step showing `status` for `duration`.
    pub fn new(status: impl Into<String>, duration: Duration) -> Self {
        Self {
            status: status.into(),
            duration,
        }
    }
}

/// A task whose status sequence and final result/error are given, not computed by a job.
///
/// ```
/// use std::time::Duration;
/// use getstream_emulator::{ScriptedTask, TaskFailure};
/// let task = ScriptedTask::new()
///     .step("pending", Duration::from_millis(100))
///     .step("running", Duration::from_millis(500))
///     .step("failed", Duration::ZERO)
///     .error(TaskFailure::new("ExportError", "disk full"));
/// assert_eq!(task.steps.len(), 3);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct ScriptedTask {
    /// The task id; a fresh UUID when `None`.
    pub task_id: Option<String>,
    /// The status sequence. Empty means one `completed` step.
    pub steps: Vec<ScriptStep>,
    /// The `result` shown once the last step is reached.
    pub result: Option<Value>,
    /// The `error` shown once the last step is reached.
    pub error: Option<TaskFailure>,
}

impl ScriptedTask {
    /// An empty script (completes at once with no result).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the task id.
    pub fn task_id(mut self, id: impl Into<String>) -> Self {
        self.task_id = Some(id.into());
        self
    }

    /// Appends a step.
    pub fn step(mut self, status: impl Into<String>, duration: Duration) -> Self {
        self.steps.push(ScriptStep::new(status, duration));
        self
    }

    /// Sets the final result.
    pub fn result(mut self, result: Value) -> Self {
        self.result = Some(result);
        self
    }

    /// Sets the final error.
    pub fn error(mut self, error: TaskFailure) -> Self {
        self.error = Some(error);
        self
    }
}

/// A scripted task as a task record holds it: the script and when it started.
#[derive(Debug, Clone)]
pub(crate) struct Script {
    pub started: Instant,
    pub steps: Vec<ScriptStep>,
    pub result: Option<Value>,
    pub error: Option<TaskFailure>,
}
