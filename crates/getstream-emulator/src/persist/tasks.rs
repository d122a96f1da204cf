//! Task rows: a task's state (status, times, result, error) and the job that resumes it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use rusqlite::params;

use super::{DataDirError, Persist};
use crate::job::{JobKind, TaskFailure, TaskResult};
use crate::sync::lock;
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
    ExportWith(String, serde_json::Map<String, Value>),
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
                TaskResult::ExportWith { token, fields } => {
                    ResultRow::ExportWith(token.clone(), fields.clone())
                }
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
            ResultRow::ExportWith(token, fields) => TaskResult::ExportWith { token, fields },
        });
        rec.error = self.error;
        Ok(rec)
    }
}

/// A stored task: its id, state, and the job that resumes it (none for a task whose job
/// cannot run again).
pub(crate) type StoredTask = (String, TaskRecord, Option<JobSpec>);

impl Persist {
    /// Stores a new task with its job, and forgets the tasks its insert `evicted` from
    /// memory; committed when this returns `Ok` (the `201` that hands out its id comes
    /// after).
    pub fn insert_task(
        &self,
        app: &str,
        id: &str,
        row: &TaskRow,
        job: Option<&JobSpec>,
        evicted: &[String],
    ) -> Result<(), DataDirError> {
        let data = to_json(row);
        let job = job.map(to_json);
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO tasks (app, id, job, data) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (app, id) DO UPDATE SET job = excluded.job, data = excluded.data",
            )?
            .execute(params![app, id, job, data])?;
            let mut forget = tx.prepare_cached("DELETE FROM tasks WHERE app = ?1 AND id = ?2")?;
            for old in evicted {
                forget.execute(params![app, old])?;
            }
            Ok(())
        })
    }

    /// Saves a task's new state. A failure is logged: a restart would show the state before.
    pub fn update_task(&self, app: &str, id: &str, rec: &TaskRecord) {
        let data = to_json(&TaskRow::new(rec));
        let r = self.write(|tx| {
            tx.prepare_cached("UPDATE tasks SET data = ?3 WHERE app = ?1 AND id = ?2")?
                .execute(params![app, id, data])
                .map(drop)
        });
        if let Err(e) = r {
            tracing::error!(app, task_id = id, error = %crate::report::one_line_chain(&e), "could not save a task");
        }
    }

    /// Forgets all of an app's tasks (a reset).
    pub fn delete_tasks(&self, app: &str) {
        let r = self.write(|tx| {
            tx.execute("DELETE FROM tasks WHERE app = ?1", params![app])
                .map(drop)
        });
        if let Err(e) = r {
            tracing::error!(app, error = %crate::report::one_line_chain(&e), "could not forget tasks");
        }
    }

    /// All of `app`'s stored tasks, oldest first.
    pub fn load_tasks(&self, app: &str) -> Result<Vec<StoredTask>, DataDirError> {
        let conn = lock(&self.conn);
        let sql = |e| self.sqlite_error(e);
        let mut stmt = conn
            .prepare("SELECT id, job, data FROM tasks WHERE app = ?1")
            .map_err(sql)?;
        let mut rows = stmt.query(params![app]).map_err(sql)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(sql)? {
            let id: String = r.get(0).map_err(sql)?;
            let job: Option<String> = r.get(1).map_err(sql)?;
            let data: String = r.get(2).map_err(sql)?;
            let bad = |e: String| DataDirError::BadRow {
                path: self.db.clone(),
                what: format!("tasks row {id:?} of app {app:?}: {e}"),
            };
            let rec = serde_json::from_str::<TaskRow>(&data)
                .map_err(|e| e.to_string())
                .and_then(TaskRow::into_record)
                .map_err(bad)?;
            // A job input this build cannot read does not stop the start: its task fails.
            let job = job.and_then(|j| serde_json::from_str::<JobSpec>(&j).ok());
            out.push((id, rec, job));
        }
        out.sort_by_key(|(_, rec, _)| rec.created_at_ns);
        Ok(out)
    }
}

fn to_json<T: Serialize>(v: &T) -> String {
    // Plain structs of strings, numbers and JSON values: serializing cannot fail.
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned())
}
