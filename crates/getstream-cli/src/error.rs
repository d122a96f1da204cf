//! What can make a command fail, its exit code, and how it is reported (one line on stderr,
//! or a JSON object on stdout with `--json`).

use std::io;
use std::path::PathBuf;

pub use getstream_emulator::report::one_line_chain;
use getstream_tasks::Error as SdkError;
use serde_json::{Value, json};

use crate::escape::field;

/// Exit codes (see `EXIT_CODES` in `cli.rs`).
pub mod exit {
    /// The task completed, or the command succeeded.
    pub const OK: u8 = 0;
    /// The task failed (or items of it failed, or the download could not be written).
    pub const FAILED: u8 = 1;
    /// Usage or argument error.
    pub const USAGE: u8 = 2;
    /// Gave up waiting; the task may still be running.
    pub const TIMEOUT: u8 = 3;
    /// The server answered with an error status.
    pub const API: u8 = 4;
    /// No answer from the server.
    pub const TRANSPORT: u8 = 5;
    /// Cancelled by Ctrl-C.
    pub const CANCELLED: u8 = 130;
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The SDK's error: task failed, timeout, API, transport, invalid argument, decode.
    #[error(transparent)]
    Sdk(#[from] SdkError),
    /// A usage problem found by the CLI itself (e.g. missing credentials).
    #[error("{0}")]
    Usage(String),
    /// The job completed but some of its items failed.
    #[error("{failed} of {total} items failed{} (see the per-item results)", .task_id.as_ref().map(|id| format!(" in task {id}")).unwrap_or_default())]
    ItemsFailed {
        /// The task, when the job ran as one.
        task_id: Option<String>,
        /// How many items failed.
        failed: usize,
        /// How many items there were.
        total: usize,
    },
    /// Downloading the export file failed.
    #[error(transparent)]
    Download(#[from] DownloadError),
    /// Ctrl-C while waiting.
    #[error("{}", cancelled_message(.task_id.as_deref()))]
    Cancelled {
        /// The task being waited on, if one had started.
        task_id: Option<String>,
    },
    /// Writing our own output failed (a closed pipe is not reported).
    #[error("could not write the output")]
    Output(#[source] io::Error),
    /// A step of the demo did not go as the story says.
    #[error("demo step {step:?} misbehaved: {detail}")]
    Demo {
        /// The step's heading.
        step: String,
        /// What went wrong.
        detail: String,
    },
    /// The emulator could not run.
    #[error(transparent)]
    Emulator(#[from] getstream_emulator::cli::CliError),
}

fn cancelled_message(task_id: Option<&str>) -> String {
    match task_id {
        Some(id) => format!(
            "cancelled; task {id} may still be running on the server: resume with `getstream tasks wait {id}`"
        ),
        None => "cancelled".to_owned(),
    }
}

/// Downloading an export file failed.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The file server answered with an error status.
    #[error("downloading the export file failed: HTTP {status}")]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// No (complete) answer from the file server.
    #[error("downloading the export file failed")]
    Transport(#[source] reqwest::Error),
    /// The export task completed without a download url (not what Stream answers).
    #[error("task {task_id} completed without a download url; nothing to download")]
    NoUrl {
        /// The completed task.
        task_id: String,
    },
    /// The file could not be written.
    #[error("could not write {}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Sdk(e) => sdk_exit_code(e),
            CliError::Usage(_) => exit::USAGE,
            CliError::ItemsFailed { .. } => exit::FAILED,
            CliError::Download(DownloadError::Status { .. } | DownloadError::NoUrl { .. }) => {
                exit::API
            }
            CliError::Download(DownloadError::Transport(_)) => exit::TRANSPORT,
            CliError::Download(DownloadError::Write { .. }) => exit::FAILED,
            CliError::Cancelled { .. } => exit::CANCELLED,
            CliError::Output(_) | CliError::Demo { .. } | CliError::Emulator(_) => exit::FAILED,
        }
    }

    /// Whether this is a closed stdout pipe (`getstream ... | head`), which is not an error.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// The hint printed after the error line, if any.
    pub fn hint(&self) -> Option<String> {
        match self {
            CliError::Sdk(e) if e.is_timeout() => e
                .task_id()
                .map(|id| format!("resume with: getstream tasks wait {id}")),
            _ => None,
        }
    }

    /// More lines for a human after the error line: every field of a failed task's error.
    pub fn details(&self) -> Vec<String> {
        let CliError::Sdk(SdkError::Task(t)) = self else {
            return Vec::new();
        };
        // The server's strings, each escaped on its line (see `escape`).
        let mut lines = vec![
            format!("  task_id:     {}", field(t.task_id())),
            format!("  error_type:  {}", field(t.error_type())),
            format!("  description: {}", field(t.description())),
        ];
        if let Some(trace) = t.stack_trace() {
            let trace: Vec<_> = trace.trim_end().lines().map(field).collect();
            lines.push(format!(
                "  stack_trace: {}",
                trace.join("\n               ")
            ));
        }
        if let Some(version) = t.version() {
            lines.push(format!("  version:     {}", field(version)));
        }
        lines
    }

    /// The error as a JSON object with all its fields (printed with `--json`).
    pub fn to_json(&self) -> Value {
        let mut v = match self {
            CliError::Sdk(e) => sdk_error_json(e),
            CliError::Usage(m) => json!({"kind": "usage", "message": m}),
            CliError::ItemsFailed {
                task_id,
                failed,
                total,
            } => {
                json!({"kind": "items_failed", "task_id": task_id, "failed": failed, "total": total})
            }
            CliError::Download(d) => {
                let mut v = json!({"kind": "download"});
                match d {
                    DownloadError::Status { status } => v["status_code"] = json!(status),
                    DownloadError::Write { path, .. } => v["path"] = json!(path),
                    DownloadError::NoUrl { task_id } => v["task_id"] = json!(task_id),
                    DownloadError::Transport(_) => {}
                }
                v
            }
            CliError::Cancelled { task_id } => {
                json!({"kind": "cancelled", "task_id": task_id})
            }
            CliError::Output(_) => json!({"kind": "output"}),
            CliError::Demo { step, detail } => {
                json!({"kind": "demo", "step": step, "detail": detail})
            }
            CliError::Emulator(_) => json!({"kind": "emulator"}),
        };
        v["message"] = json!(one_line_chain(self));
        v["exit_code"] = json!(self.exit_code());
        if let Some(hint) = self.hint() {
            v["hint"] = json!(hint);
        }
        json!({ "error": v })
    }
}

/// The exit code of an SDK error.
fn sdk_exit_code(e: &SdkError) -> u8 {
    match e {
        SdkError::Task(_) => exit::FAILED,
        SdkError::Transport(t) if t.is_wait_timeout() => exit::TIMEOUT,
        SdkError::Transport(_) => exit::TRANSPORT,
        SdkError::Api(_) | SdkError::Decode(_) => exit::API,
        SdkError::InvalidArgument(_) => exit::USAGE,
        SdkError::Cancelled(_) => exit::CANCELLED,
        _ => exit::FAILED,
    }
}

/// All fields of an SDK error, as JSON.
fn sdk_error_json(e: &SdkError) -> Value {
    match e {
        SdkError::Task(t) => json!({
            "kind": "task_failed",
            "task_id": t.task_id(),
            "error_type": t.error_type(),
            "description": t.description(),
            "stack_trace": t.stack_trace(),
            "version": t.version(),
            "task": t.task(),
        }),
        SdkError::Transport(t) if t.is_wait_timeout() => json!({
            "kind": "timeout",
            "error_type": t.error_type(),
            "task_id": t.task_id(),
            "last_status": t.last_status().map(|s| s.as_str()),
            "polls": t.polls(),
            "elapsed_ms": t.elapsed().map(|d| d.as_millis() as u64),
            "elapsed": t.elapsed().map(|d| d.as_secs_f64()),
            "last_error": t.last_error().map(|e| e.to_string()),
        }),
        SdkError::Transport(t) => json!({
            "kind": "transport",
            "error_type": t.error_type(),
            "is_connect": t.is_connect(),
            "is_timeout": t.is_timeout(),
        }),
        SdkError::Api(a) => json!({
            "kind": "api",
            "status_code": a.status_code().as_u16(),
            "code": a.code(),
            "message_from_server": a.message(),
            "exception_fields": a.exception_fields(),
            "unrecoverable": a.unrecoverable(),
            "more_info": a.more_info(),
            "details": a.details(),
            "duration": a.duration(),
            "retry_after_ms": a.retry_after().map(|d| d.as_millis() as u64),
            "raw_response_body": a.raw_body(),
        }),
        SdkError::InvalidArgument(i) => json!({
            "kind": "invalid_argument",
            "argument": i.argument(),
            "reason": i.reason(),
        }),
        SdkError::Decode(d) => json!({
            "kind": "decode",
            "status_code": d.status_code().as_u16(),
            "body_snippet": d.body_snippet(),
        }),
        SdkError::Cancelled(c) => json!({"kind": "cancelled", "task_id": c.task_id()}),
        other => json!({"kind": "other", "task_id": other.task_id()}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_sdk_error_has_its_exit_code() {
        let task: getstream_tasks::Task =
            serde_json::from_str(r#"{"task_id":"t1","status":"failed"}"#).unwrap();
        let failed = CliError::from(SdkError::from(getstream_tasks::TaskError::from_task(task)));
        assert_eq!(failed.exit_code(), 1);
        let invalid = CliError::from(SdkError::from(getstream_tasks::InvalidArgumentError::new(
            "interval",
            "must be greater than zero",
        )));
        assert_eq!(invalid.exit_code(), 2);
        let api = CliError::from(SdkError::from(getstream_tasks::ApiError::new(
            http_status(404),
            16,
            "Can't find task with id x",
        )));
        assert_eq!(api.exit_code(), 4);
        let request_timeout = CliError::from(SdkError::from(
            getstream_tasks::TransportError::timeout("GET /x"),
        ));
        assert_eq!(
            request_timeout.exit_code(),
            5,
            "a request timeout is not a wait timeout"
        );
        assert_eq!(CliError::Cancelled { task_id: None }.exit_code(), 130);
    }

    fn http_status(code: u16) -> reqwest::StatusCode {
        reqwest::StatusCode::from_u16(code).unwrap()
    }

    #[test]
    fn a_task_error_in_json_has_all_its_fields() {
        let task: getstream_tasks::Task = serde_json::from_str(
            r#"{"task_id":"t1","status":"failed","error":{"type":"S3Error","description":"bucket gone","stacktrace":"at x","version":"v9"}}"#,
        )
        .unwrap();
        let v =
            CliError::from(SdkError::from(getstream_tasks::TaskError::from_task(task))).to_json();
        let e = &v["error"];
        assert_eq!(e["kind"], "task_failed");
        assert_eq!(e["task_id"], "t1");
        assert_eq!(e["error_type"], "S3Error");
        assert_eq!(e["description"], "bucket gone");
        assert_eq!(e["stack_trace"], "at x");
        assert_eq!(e["version"], "v9");
        assert_eq!(e["exit_code"], 1);
    }
}
