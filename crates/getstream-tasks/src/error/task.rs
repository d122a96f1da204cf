//! [`TaskError`]: a task that ended with status `failed`, and [`CancelledError`]: a wait
//! cancelled by its token.

use std::error::Error as StdError;
use std::fmt;

use super::one_line;
use crate::models::Task;

/// A task that ended with status `failed`.
///
/// Carries the server's `ErrorResult`; a failed task without one gives
/// `error_type() == "unknown"` and an empty `description()`.
#[derive(Debug, Clone)]
pub struct TaskError {
    task: Box<Task>,
}

impl TaskError {
    /// Wraps a failed task: the error `wait_for_task` returns. Not part of the
    /// stable API (for tests and hand-written loops).
    #[doc(hidden)]
    pub fn from_task(task: Task) -> Self {
        TaskError {
            task: Box::new(task),
        }
    }

    /// The id of the failed task.
    pub fn task_id(&self) -> &str {
        &self.task.task_id
    }

    /// The error's type as sent by the server, or `"unknown"` when the task has
    /// no error object (or an empty type).
    pub fn error_type(&self) -> &str {
        match self.task.error.as_ref().map(|e| e.error_type.as_str()) {
            Some(t) if !t.is_empty() => t,
            _ => "unknown",
        }
    }

    /// The error's description (empty when the server sent none).
    pub fn description(&self) -> &str {
        self.task
            .error
            .as_ref()
            .map_or("", |e| e.description.as_str())
    }

    /// The server-side stack trace, when the server shares it.
    pub fn stack_trace(&self) -> Option<&str> {
        self.task.error.as_ref()?.stacktrace.as_deref()
    }

    /// The server version that ran the task, when given.
    pub fn version(&self) -> Option<&str> {
        self.task.error.as_ref()?.version.as_deref()
    }

    /// The whole failed task, e.g. to read a partial `result`.
    pub fn task(&self) -> &Task {
        &self.task
    }

    /// Takes the failed task out of the error.
    pub fn into_task(self) -> Task {
        *self.task
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {} failed ({})", self.task_id(), self.error_type())?;
        let description = self.description();
        if !description.is_empty() {
            write!(f, ": {}", one_line(description))?;
        }
        Ok(())
    }
}

impl StdError for TaskError {}

/// The caller cancelled the operation (e.g. a wait's cancellation token
/// fired); the task itself may still be running on the server.
#[derive(Debug, Clone)]
pub struct CancelledError {
    task_id: Option<String>,
}

impl CancelledError {
    /// A cancellation, optionally of a wait on `task_id`.
    pub fn new(task_id: Option<String>) -> Self {
        CancelledError { task_id }
    }

    /// The task whose wait was cancelled, if any.
    pub fn task_id(&self) -> Option<&str> {
        self.task_id.as_deref()
    }
}

impl fmt::Display for CancelledError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.task_id {
            Some(id) => write!(
                f,
                "cancelled waiting for task {id}; the task may still be running on the server"
            ),
            None => f.write_str("cancelled"),
        }
    }
}

impl StdError for CancelledError {}
