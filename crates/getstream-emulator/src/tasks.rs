//! Task records, scripted tasks and the bounded pool of background job workers.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::Pace;
use crate::state::AppState;
use crate::webhooks::payload::{self, Event, ExportKind};

/// The kinds of background job the emulator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobKind {
    /// `POST /api/v2/chat/channels/delete` with `hard_delete: true`.
    DeleteChannels,
    /// `POST /api/v2/chat/export_channels`.
    ExportChannels,
    /// `POST /api/v2/export/users`.
    ExportUsers,
    /// `POST /api/v2/users/delete`.
    DeleteUsers,
    /// `POST /api/v2/users/deactivate`.
    DeactivateUsers,
    /// `POST /api/v2/users/reactivate`.
    ReactivateUsers,
}

impl JobKind {
    /// All kinds.
    pub const ALL: [JobKind; 6] = [
        JobKind::DeleteChannels,
        JobKind::ExportChannels,
        JobKind::ExportUsers,
        JobKind::DeleteUsers,
        JobKind::DeactivateUsers,
        JobKind::ReactivateUsers,
    ];

    /// The snake_case name (`"export_channels"`).
    pub fn name(self) -> &'static str {
        match self {
            JobKind::DeleteChannels => "delete_channels",
            JobKind::ExportChannels => "export_channels",
            JobKind::ExportUsers => "export_users",
            JobKind::DeleteUsers => "delete_users",
            JobKind::DeactivateUsers => "deactivate_users",
            JobKind::ReactivateUsers => "reactivate_users",
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of a job name that names no [`JobKind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown job {0:?} (expected one of delete_channels, export_channels, export_users, delete_users, deactivate_users, reactivate_users)"
)]
pub struct UnknownJobKind(String);

impl FromStr for JobKind {
    type Err = UnknownJobKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownJobKind(s.to_owned()))
    }
}

/// The `error` object of a failed task (Stream's `ErrorResult`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskError {
    /// Error type, e.g. `"ExportChannelsError"`.
    #[serde(rename = "type")]
    pub error_type: String,
    /// Human description.
    pub description: String,
    /// Server stack trace (free text).
    #[serde(default)]
    pub stacktrace: String,
    /// Server version.
    #[serde(default)]
    pub version: String,
}

impl TaskError {
    /// An error with this type and description, and the emulator's stack trace and version.
    pub fn new(error_type: impl Into<String>, description: impl Into<String>) -> Self {
        let error_type = error_type.into();
        Self {
            stacktrace: format!(
                "{error_type}\n\tat getstream_emulator::jobs::run (emulated stack trace)"
            ),
            error_type,
            description: description.into(),
            version: format!("getstream-emulator-{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

impl Default for TaskError {
    fn default() -> Self {
        Self::new(
            "InjectedFailure",
            "the job failed because a failure was injected",
        )
    }
}

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
/// use getstream_emulator::{ScriptedTask, TaskError};
/// let task = ScriptedTask::new()
///     .step("pending", Duration::from_millis(100))
///     .step("running", Duration::from_millis(500))
///     .step("failed", Duration::ZERO)
///     .error(TaskError::new("ExportError", "disk full"));
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
    pub error: Option<TaskError>,
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
    pub fn error(mut self, error: TaskError) -> Self {
        self.error = Some(error);
        self
    }
}

/// What a finished job leaves for the status endpoint.
#[derive(Debug, Clone)]
pub(crate) enum TaskResult {
    /// A JSON `result`.
    Json(Value),
    /// An export: `result.url` is built when the task is read, from the reader's host.
    Export { token: String },
}

#[derive(Debug, Clone)]
pub(crate) struct Script {
    started: Instant,
    steps: Vec<ScriptStep>,
    result: Option<Value>,
    error: Option<TaskError>,
}

/// A task record.
#[derive(Debug, Clone)]
pub(crate) struct TaskRecord {
    pub status: &'static str,
    pub created_at_ns: u64,
    pub updated_at_ns: u64,
    pub result: Option<TaskResult>,
    pub error: Option<TaskError>,
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
            status: "pending",
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

    /// The task response body, serialized. `export_base` gives the base URL of export links
    /// (only called for exports); `stamps` picks how `created_at`/`updated_at` are written.
    ///
    /// The body is serialized straight from borrowed fields (no `serde_json::Value` is built),
    /// with its keys in the order a `Value` object would give them (sorted).
    pub fn render(
        &self,
        task_id: &str,
        export_base: &dyn Fn() -> String,
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
                self.status,
                self.updated_at_ns,
                self.result.as_ref().map(|r| match r {
                    TaskResult::Json(v) => ResultBody::Json(v),
                    TaskResult::Export { token } => ResultBody::Export {
                        url: format!("{}/_emulator/exports/{token}.json", export_base()),
                    },
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
    pub fn to_json(&self, task_id: &str, export_base: &dyn Fn() -> String) -> Value {
        let bytes = self
            .render(task_id, export_base, "0.00ms", Stamps::UnixNanos)
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
}

/// The `error` of a task response: [`TaskError`]'s fields, keys sorted.
#[derive(Serialize)]
struct ErrorBody<'a> {
    description: &'a str,
    stacktrace: &'a str,
    #[serde(rename = "type")]
    error_type: &'a str,
    version: &'a str,
}

impl<'a> ErrorBody<'a> {
    fn new(e: &'a TaskError) -> Self {
        Self {
            description: &e.description,
            stacktrace: &e.stacktrace,
            error_type: &e.error_type,
            version: &e.version,
        }
    }
}

/// A task response; the fields are in sorted order, as the `Value` object this replaced
/// serialized them.
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

/// The work of a job, run on a worker once its running time has passed. Holds app locks
/// only inside, briefly. Entity events it pushes are sent once the task reads finished.
pub(crate) type Work =
    Box<dyn FnOnce(&AppState, &mut Vec<Event>) -> Result<TaskResult, TaskError> + Send>;

/// The bounded worker pool.
#[derive(Debug)]
pub(crate) struct Jobs {
    permits: Arc<Semaphore>,
    pace: Pace,
    shutdown: CancellationToken,
}

impl Jobs {
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
                app.update_task(&id, |t| t.status = "running");
                let started_ns = payload::now_ns();
                tracing::debug!(task_id = %id, job = %kind, "job running");
                tokio::time::sleep(pace.running_time(items)).await;
                let mut events = Vec::new();
                let outcome = match app.take_injected_failure(kind) {
                    Some(err) => Err(err),
                    None => work(&app, &mut events),
                };
                // The event goes out after the task reads as finished, so a wait it wakes
                // sees the final status.
                let export = match kind {
                    JobKind::ExportChannels => Some(ExportKind::Channels),
                    JobKind::ExportUsers => Some(ExportKind::Users),
                    _ => None,
                };
                match outcome {
                    Ok(result) => {
                        let url = match &result {
                            TaskResult::Export { token } => Some(app.export_url(token)),
                            TaskResult::Json(_) => None,
                        };
                        app.update_task(&id, |t| {
                            t.status = "completed";
                            t.result = Some(result);
                        });
                        if let (Some(export), Some(url)) = (export, url) {
                            let event = payload::export_finished(
                                export,
                                &id,
                                Ok(&url),
                                started_ns,
                                payload::now_ns(),
                            );
                            app.emit(event);
                        }
                    }
                    Err(error) => {
                        tracing::debug!(task_id = %id, job = %kind, error = %error.description, "job failed");
                        let description = error.description.clone();
                        app.update_task(&id, |t| {
                            t.status = "failed";
                            t.error = Some(error);
                        });
                        if let Some(export) = export {
                            let event = payload::export_finished(
                                export,
                                &id,
                                Err(&description),
                                started_ns,
                                payload::now_ns(),
                            );
                            app.emit(event);
                        }
                    }
                }
                for event in events {
                    app.emit(event);
                }
                tracing::debug!(task_id = %id, job = %kind, "job finished");
            };
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = run => {}
            }
        });
        task_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn job_kind_round_trips() {
        for k in JobKind::ALL {
            assert_eq!(k.name().parse::<JobKind>().unwrap(), k);
        }
        assert!("nope".parse::<JobKind>().is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn script_moves_through_steps() {
        let rec = TaskRecord::scripted(
            ScriptedTask::new()
                .step("pending", Duration::from_secs(1))
                .step("running", Duration::from_secs(2))
                .step("completed", Duration::ZERO)
                .result(json!({"ok": true})),
        );
        let status = |rec: &TaskRecord| rec.to_json("t", &String::new)["status"].clone();
        assert_eq!(status(&rec), "pending");
        tokio::time::advance(Duration::from_millis(1500)).await;
        assert_eq!(status(&rec), "running");
        assert!(rec.to_json("t", &String::new).get("result").is_none());
        tokio::time::advance(Duration::from_secs(2)).await;
        let j = rec.to_json("t", &String::new);
        assert_eq!(j["status"], "completed");
        assert_eq!(j["result"], json!({"ok": true}));
        assert_eq!(
            j["updated_at"].as_u64().unwrap() - j["created_at"].as_u64().unwrap(),
            3_000_000_000
        );
    }

    /// The body as the `serde_json::Value` object the renderer replaced would have built.
    fn as_value_object(
        rec: &TaskRecord,
        id: &str,
        status: &str,
        result: Option<Value>,
        error: Option<&TaskError>,
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
        let base = || "http://h:1".to_owned();
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

        rec.status = "completed";
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

        rec.status = "failed";
        rec.result = None;
        let error = TaskError::new("ExportError", "disk \"full\"\n");
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
            .render("t", &String::new, "0.01ms", Stamps::Rfc3339)
            .unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["created_at"], "2023-11-14T22:13:20.123456789Z");
        assert_eq!(v["updated_at"], "2023-11-14T22:13:21Z");
        assert_eq!(v["duration"], "0.01ms");
        let v2 = rec.to_json("t", &String::new);
        assert_eq!(v2["created_at"], 1_700_000_000_123_456_789_u64);
    }
}
