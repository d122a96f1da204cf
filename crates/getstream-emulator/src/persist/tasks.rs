//! Task rows: a task's state (status, times, result, error) and the job that resumes it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::job::{JobKind, TaskFailure, TaskResult};
use crate::task::{TaskRecord, TaskStatus};

/// What a job needs to run again after a restart: its kind, the number of items it paces
/// by, and the request that started it (checked again when it is rebuilt).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct JobSpec {
    pub kind: JobKind,
    pub items: usize,
    pub request: Value,
}

/// A stored task's state.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct TaskRow {
    status: String,
    created_at_ns: u64,
    updated_at_ns: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    result: Option<ResultRow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<TaskFailure>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ResultRow {
    Json(Value),
    Export(String),
}

impl TaskRow {
    pub fn new(t: &TaskRecord) -> Self {
        Self {
            status: t.status.as_str().to_owned(),
            created_at_ns: t.created_at_ns,
            updated_at_ns: t.updated_at_ns,
            result: t.result.as_ref().map(|r| match r {
                TaskResult::Json(v) => ResultRow::Json(v.clone()),
                TaskResult::Export { token } => ResultRow::Export(token.clone()),
            }),
            error: t.error.clone(),
        }
    }

    pub fn into_record(self) -> Result<TaskRecord, String> {
        let status = match self.status.as_str() {
            "pending" => TaskStatus::Pending,
            "running" => TaskStatus::Running,
            "completed" => TaskStatus::Completed,
            "failed" => TaskStatus::Failed,
            other => return Err(format!("unknown status {other:?}")),
        };
        let mut rec = TaskRecord::pending();
        rec.status = status;
        rec.created_at_ns = self.created_at_ns;
        rec.updated_at_ns = self.updated_at_ns;
        rec.result = self.result.map(|r| match r {
            ResultRow::Json(v) => TaskResult::Json(v),
            ResultRow::Export(token) => TaskResult::Export { token },
        });
        rec.error = self.error;
        Ok(rec)
    }
}
