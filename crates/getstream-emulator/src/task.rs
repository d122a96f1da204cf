//! Task records and the rendering of a task's status body.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

use crate::job::{TaskFailure, TaskResult};
use crate::script::{Script, ScriptStep, ScriptedTask};

/// The status of a task run by a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskStatus {
    /// Queued: waiting out its pending time, or for a worker.
    Pending,
    /// On a worker.
    Running,
    /// Finished with a result.
    Completed,
    /// Finished with a failure.
    Failed,
}

impl TaskStatus {
    /// The wire name (`"pending"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Running => "running",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
        }
    }

    /// Whether the task has finished (completed or failed).
    pub fn is_finished(self) -> bool {
        matches!(self, TaskStatus::Completed | TaskStatus::Failed)
    }
}

/// A task record.
#[derive(Debug, Clone)]
pub(crate) struct TaskRecord {
    pub status: TaskStatus,
    pub created_at_ns: u64,
    pub updated_at_ns: u64,
    pub result: Option<TaskResult>,
    pub error: Option<TaskFailure>,
    pub script: Option<Arc<Script>>,
}

pub(crate) fn unix_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl TaskRecord {
    pub fn pending() -> Self {
        let now = unix_ns();
        Self {
            status: TaskStatus::Pending,
            created_at_ns: now,
            updated_at_ns: now,
            result: None,
            error: None,
            script: None,
        }
    }

    pub fn scripted(task: ScriptedTask) -> Self {
        let mut steps = task.steps;
        if steps.is_empty() {
            steps.push(ScriptStep::new("completed", Duration::ZERO));
        }
        let mut rec = Self::pending();
        rec.script = Some(Arc::new(Script {
            started: Instant::now(),
            steps,
            result: task.result,
            error: task.error,
        }));
        rec
    }

    /// The task response body, serialized. `export_url` gives the link of an export file from
    /// its token (only called for exports); `stamps` picks how `created_at`/`updated_at` are
    /// written.
    ///
    /// The body is serialized straight from borrowed fields (no `serde_json::Value` is built),
    /// with its keys in the order a `Value` object would give them (sorted).
    pub fn render(
        &self,
        task_id: &str,
        export_url: &dyn Fn(&str) -> String,
        duration: &str,
        stamps: Stamps,
    ) -> serde_json::Result<Vec<u8>> {
        let (status, updated_at, result, error) = match &self.script {
            Some(script) => {
                let elapsed = script.started.elapsed();
                let mut start = Duration::ZERO;
                let last = script.steps.len() - 1;
                let mut idx = last;
                for (i, step) in script.steps.iter().enumerate() {
                    if i == last || elapsed < start + step.duration {
                        idx = i;
                        break;
                    }
                    start += step.duration;
                }
                let updated = self
                    .created_at_ns
                    .saturating_add(u64::try_from(start.as_nanos()).unwrap_or(u64::MAX));
                let (result, error) = if idx == last {
                    (
                        script.result.as_ref().map(ResultBody::Json),
                        script.error.as_ref(),
                    )
                } else {
                    (None, None)
                };
                (script.steps[idx].status.as_str(), updated, result, error)
            }
            None => (
                self.status.as_str(),
                self.updated_at_ns,
                self.result.as_ref().map(|r| match r {
                    TaskResult::Json(v) => ResultBody::Json(v),
                    TaskResult::Export { token } => ResultBody::Export {
                        url: export_url(token),
                    },
                    TaskResult::ExportWith { token, fields } => {
                        let mut m = fields.clone();
                        m.insert("url".into(), export_url(token).into());
                        ResultBody::Owned(Value::Object(m))
                    }
                }),
                self.error.as_ref(),
            ),
        };
        let body = TaskBody {
            created_at: stamps.stamp(self.created_at_ns),
            duration,
            error: error.map(ErrorBody::new),
            result,
            status,
            task_id,
            updated_at: stamps.stamp(updated_at),
        };
        let mut out = Vec::with_capacity(256);
        serde_json::to_writer(&mut out, &body)?;
        Ok(out)
    }

    /// The task response body as a JSON value (tests).
    #[cfg(test)]
    pub fn to_json(&self, task_id: &str, export_url: &dyn Fn(&str) -> String) -> Value {
        let bytes = self
            .render(task_id, export_url, "0.00ms", Stamps::UnixNanos)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }
}

/// How a task response writes `created_at` and `updated_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stamps {
    /// Unix nanoseconds, an integer (the v2 API).
    UnixNanos,
    /// An RFC 3339 string (the legacy v1 API).
    Rfc3339,
}

impl Stamps {
    fn stamp(self, ns: u64) -> Stamp {
        match self {
            Stamps::UnixNanos => Stamp::Nanos(ns),
            Stamps::Rfc3339 => time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
                .ok()
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .map_or(Stamp::Nanos(ns), Stamp::Text),
        }
    }
}

/// One timestamp of a task response.
enum Stamp {
    Nanos(u64),
    Text(String),
}

impl Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Stamp::Nanos(ns) => s.serialize_u64(*ns),
            Stamp::Text(t) => s.serialize_str(t),
        }
    }
}

/// The `result` of a task response.
#[derive(Serialize)]
#[serde(untagged)]
enum ResultBody<'a> {
    Json(&'a Value),
    Export { url: String },
    Owned(Value),
}

/// The `error` of a task response: [`TaskFailure`]'s fields, keys sorted.
#[derive(Serialize)]
struct ErrorBody<'a> {
    description: &'a str,
    stacktrace: &'a str,
    #[serde(rename = "type")]
    error_type: &'a str,
    version: &'a str,
}

impl<'a> ErrorBody<'a> {
    fn new(e: &'a TaskFailure) -> Self {
        Self {
            description: &e.description,
            stacktrace: &e.stacktrace,
            error_type: &e.error_type,
            version: &e.version,
        }
    }
}

/// A task response; the fields are in sorted order, as a `serde_json::Value` object would
/// serialize them (clients that compare bodies byte for byte see no change).
#[derive(Serialize)]
struct TaskBody<'a> {
    created_at: Stamp,
    duration: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorBody<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<ResultBody<'a>>,
    status: &'a str,
    task_id: &'a str,
    updated_at: Stamp,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test(start_paused = true)]
    async fn script_moves_through_steps() {
        let rec = TaskRecord::scripted(
            ScriptedTask::new()
                .step("pending", Duration::from_secs(1))
                .step("running", Duration::from_secs(2))
                .step("completed", Duration::ZERO)
                .result(json!({"ok": true})),
        );
        let status =
            |rec: &TaskRecord| rec.to_json("t", &|_: &str| String::new())["status"].clone();
        assert_eq!(status(&rec), "pending");
        tokio::time::advance(Duration::from_millis(1500)).await;
        assert_eq!(status(&rec), "running");
        assert!(
            rec.to_json("t", &|_: &str| String::new())
                .get("result")
                .is_none()
        );
        tokio::time::advance(Duration::from_secs(2)).await;
        let j = rec.to_json("t", &|_: &str| String::new());
        assert_eq!(j["status"], "completed");
        assert_eq!(j["result"], json!({"ok": true}));
        assert_eq!(
            j["updated_at"].as_u64().unwrap() - j["created_at"].as_u64().unwrap(),
            3_000_000_000
        );
    }

    /// The body as a `serde_json::Value` object would serialize it.
    fn as_value_object(
        rec: &TaskRecord,
        id: &str,
        status: &str,
        result: Option<Value>,
        error: Option<&TaskFailure>,
    ) -> Value {
        let mut out = json!({
            "task_id": id,
            "status": status,
            "created_at": rec.created_at_ns,
            "updated_at": rec.updated_at_ns,
            "duration": "1.25ms",
        });
        if let Some(r) = result {
            out["result"] = r;
        }
        if let Some(e) = error {
            out["error"] = json!(e);
        }
        out
    }

    #[test]
    fn rendered_bodies_match_the_value_object_byte_for_byte() {
        let base = |token: &str| format!("http://h:1/_emulator/exports/{token}.json");
        let mut rec = TaskRecord::pending();
        let render = |rec: &TaskRecord| {
            String::from_utf8(
                rec.render("t-1", &base, "1.25ms", Stamps::UnixNanos)
                    .unwrap(),
            )
            .unwrap()
        };
        let expected = as_value_object(&rec, "t-1", "pending", None, None);
        assert_eq!(render(&rec), expected.to_string());

        rec.status = TaskStatus::Completed;
        let result = json!({"z": [1, 2.5, null], "a": {"status": "ok"}, "s": "q\"uote"});
        rec.result = Some(TaskResult::Json(result.clone()));
        let expected = as_value_object(&rec, "t-1", "completed", Some(result), None);
        assert_eq!(render(&rec), expected.to_string());

        rec.result = Some(TaskResult::Export {
            token: "tok".into(),
        });
        let url = json!({"url": "http://h:1/_emulator/exports/tok.json"});
        let expected = as_value_object(&rec, "t-1", "completed", Some(url), None);
        assert_eq!(render(&rec), expected.to_string());

        rec.status = TaskStatus::Failed;
        rec.result = None;
        let error = TaskFailure::new("ExportError", "disk \"full\"\n");
        rec.error = Some(error.clone());
        let expected = as_value_object(&rec, "t-1", "failed", None, Some(&error));
        assert_eq!(render(&rec), expected.to_string());
    }

    #[test]
    fn v1_stamps_are_rfc3339_strings() {
        let mut rec = TaskRecord::pending();
        rec.created_at_ns = 1_700_000_000_123_456_789;
        rec.updated_at_ns = 1_700_000_001_000_000_000;
        let bytes = rec
            .render("t", &|_: &str| String::new(), "0.01ms", Stamps::Rfc3339)
            .unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["created_at"], "2023-11-14T22:13:20.123456789Z");
        assert_eq!(v["updated_at"], "2023-11-14T22:13:21Z");
        assert_eq!(v["duration"], "0.01ms");
        let v2 = rec.to_json("t", &|_: &str| String::new());
        assert_eq!(v2["created_at"], 1_700_000_000_123_456_789_u64);
    }
}
