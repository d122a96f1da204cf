//! The data Stream sends back: tasks, their statuses and errors, timestamps and
//! rate-limit information.
//!
//! Every model decodes leniently: a field the server adds later is ignored, an
//! optional field that is missing becomes `None`, and a timestamp in a format we
//! do not understand becomes `None` instead of failing the whole response.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One asynchronous task, as returned by `GET /api/v2/tasks/{id}`.
///
/// Fields are public so that a task can be inspected and printed directly; the
/// struct is `#[non_exhaustive]` so that new fields can be added later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Task {
    /// The task's id, as given by the operation that started it (filled in with
    /// the requested id if a server leaves it out).
    #[serde(default)]
    pub task_id: String,
    /// Where the task is in its life cycle. Only [`TaskStatus::Completed`] and
    /// [`TaskStatus::Failed`] are terminal.
    pub status: TaskStatus,
    /// When the task was created, if the server sent a timestamp we could read.
    #[serde(default, deserialize_with = "lenient_timestamp")]
    pub created_at: Option<Timestamp>,
    /// When the task last changed, if the server sent a timestamp we could read.
    #[serde(default, deserialize_with = "lenient_timestamp")]
    pub updated_at: Option<Timestamp>,
    /// The server's own time spent on the status request (e.g. `"1.23ms"`).
    #[serde(default, deserialize_with = "lenient_string")]
    pub duration: Option<String>,
    /// The task's result; its shape depends on the operation that started the task.
    #[serde(default)]
    pub result: Option<serde_json::Value>,
    /// What went wrong, for a failed task (the server may omit it).
    #[serde(default, deserialize_with = "lenient_error_result")]
    pub error: Option<ErrorResult>,
}

impl Task {
    /// Whether the task has reached a terminal status (completed or failed).
    ///
    /// ```
    /// let task: getstream_tasks::Task =
    ///     serde_json::from_str(r#"{"task_id": "t1", "status": "completed"}"#).unwrap();
    /// assert!(task.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.status.is_finished()
    }
}

/// The status of a task.
///
/// Parsing is case-insensitive and ignores surrounding whitespace; a status this
/// version does not know is kept verbatim in [`TaskStatus::Unknown`] and is treated
/// as "not finished yet".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskStatus {
    /// Queued, not started yet (`waiting`).
    Waiting,
    /// Accepted, about to run (`pending`).
    Pending,
    /// Running (`running`).
    Running,
    /// Finished successfully (`completed`); terminal.
    Completed,
    /// Finished with an error (`failed`); terminal.
    Failed,
    /// A status this version of the SDK does not know, kept as sent.
    Unknown(String),
}

impl TaskStatus {
    /// The status as it goes on the wire (`"completed"`, or the unknown text as sent).
    pub fn as_str(&self) -> &str {
        match self {
            TaskStatus::Waiting => "waiting",
            TaskStatus::Pending => "pending",
            TaskStatus::Running => "running",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
            TaskStatus::Unknown(s) => s,
        }
    }

    /// Whether the task will not change any more: `completed` or `failed`.
    ///
    /// ```
    /// use getstream_tasks::TaskStatus;
    /// assert!(TaskStatus::Completed.is_finished());
    /// assert!(TaskStatus::Failed.is_finished());
    /// assert!(!TaskStatus::Running.is_finished());
    /// assert!(!"Suspended".parse::<TaskStatus>().unwrap().is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        matches!(self, TaskStatus::Completed | TaskStatus::Failed)
    }

    fn parse(s: &str) -> TaskStatus {
        let t = s.trim();
        for known in [
            TaskStatus::Waiting,
            TaskStatus::Pending,
            TaskStatus::Running,
            TaskStatus::Completed,
            TaskStatus::Failed,
        ] {
            if t.eq_ignore_ascii_case(known.as_str()) {
                return known;
            }
        }
        TaskStatus::Unknown(s.to_owned())
    }
}

impl FromStr for TaskStatus {
    type Err = std::convert::Infallible;

    /// Parses a status case-insensitively; never fails (unknown text gives
    /// [`TaskStatus::Unknown`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(TaskStatus::parse(s))
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TaskStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TaskStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Ok(TaskStatus::parse(&s))
    }
}

/// What went wrong in a failed task (Stream's `ErrorResult`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorResult {
    /// The kind of error, e.g. `"internal"`.
    #[serde(rename = "type", default)]
    pub error_type: String,
    /// A human-readable description.
    #[serde(default)]
    pub description: String,
    /// The server-side stack trace, when the server shares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stacktrace: Option<String>,
    /// The server version that ran the task, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A point in time sent by the server, with nanosecond precision.
///
/// Decoded leniently from integer or float Unix nanoseconds, a numeric string,
/// or an RFC 3339 string; displayed and serialized as RFC 3339 (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    unix_nanos: i128,
}

impl Timestamp {
    /// A timestamp from nanoseconds since the Unix epoch.
    pub fn from_unix_nanos(unix_nanos: i128) -> Self {
        Timestamp { unix_nanos }
    }

    /// Nanoseconds since the Unix epoch (negative before 1970).
    pub fn unix_nanos(&self) -> i128 {
        self.unix_nanos
    }

    /// The timestamp as a [`SystemTime`].
    pub fn to_system_time(&self) -> SystemTime {
        let magnitude =
            Duration::from_nanos(self.unix_nanos.unsigned_abs().min(u64::MAX as u128) as u64);
        if self.unix_nanos >= 0 {
            SystemTime::UNIX_EPOCH + magnitude
        } else {
            SystemTime::UNIX_EPOCH - magnitude
        }
    }

    /// Reads a JSON value leniently: `None` for anything that is not a timestamp.
    pub(crate) fn from_json(value: &serde_json::Value) -> Option<Timestamp> {
        match value {
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Some(Timestamp::from_unix_nanos(i128::from(i)))
                } else if let Some(u) = n.as_u64() {
                    Some(Timestamp::from_unix_nanos(i128::from(u)))
                } else {
                    n.as_f64().and_then(Timestamp::from_f64_nanos)
                }
            }
            serde_json::Value::String(s) => Timestamp::parse_str(s),
            _ => None,
        }
    }

    fn from_f64_nanos(f: f64) -> Option<Timestamp> {
        // Anything beyond ±10^30 ns (~3·10^13 years) is not a timestamp.
        (f.is_finite() && f.abs() < 1e30).then(|| Timestamp::from_unix_nanos(f as i128))
    }

    fn parse_str(s: &str) -> Option<Timestamp> {
        let s = s.trim();
        if let Ok(i) = s.parse::<i128>() {
            return Some(Timestamp::from_unix_nanos(i));
        }
        if let Ok(f) = s.parse::<f64>() {
            return Timestamp::from_f64_nanos(f);
        }
        crate::rfc3339::parse(s).map(Timestamp::from_unix_nanos)
    }

    fn to_rfc3339(self) -> Option<String> {
        crate::rfc3339::format_unix_nanos(self.unix_nanos)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC, e.g. `2025-01-02T03:04:05.123456789Z`; a value outside
    /// the representable calendar range is shown as raw nanoseconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_rfc3339() {
            Some(s) => f.write_str(&s),
            None => write!(f, "{}ns", self.unix_nanos),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.to_rfc3339() {
            Some(s) => serializer.serialize_str(&s),
            // Beyond RFC 3339's years 0-9999, and so beyond i64: digits in a
            // string (JSON numbers that large do not survive every reader).
            None => serializer.serialize_str(&self.unix_nanos.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Timestamp::from_json(&value)
            .ok_or_else(|| serde::de::Error::custom(format!("not a timestamp: {value}")))
    }
}

fn lenient_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(Timestamp::from_json(&value))
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    })
}

fn lenient_error_result<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ErrorResult>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    let text = |v: Option<&serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    Ok(match &value {
        serde_json::Value::Object(map) => Some(ErrorResult {
            error_type: text(map.get("type")).unwrap_or_default(),
            description: text(map.get("description")).unwrap_or_default(),
            stacktrace: text(map.get("stacktrace")),
            version: text(map.get("version")),
        }),
        serde_json::Value::Null => None,
        // A bare string is taken as the description.
        other => Some(ErrorResult {
            description: text(Some(other)).unwrap_or_default(),
            ..ErrorResult::default()
        }),
    })
}

/// Stream's rate-limit headers (`X-RateLimit-Limit`, `-Remaining`, `-Reset`).
///
/// Each part is `None` when its header is missing or unreadable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RateLimitInfo {
    /// Requests allowed in the current window.
    pub limit: Option<u64>,
    /// Requests left in the current window.
    pub remaining: Option<u64>,
    /// When the window resets (sent as Unix seconds).
    pub reset: Option<SystemTime>,
}

impl RateLimitInfo {
    /// Whether the window is spent (`remaining == 0`).
    ///
    /// ```
    /// let mut info = getstream_tasks::RateLimitInfo::default();
    /// assert!(!info.is_exhausted());
    /// info.remaining = Some(0);
    /// assert!(info.is_exhausted());
    /// ```
    pub fn is_exhausted(&self) -> bool {
        self.remaining == Some(0)
    }

    /// How long until the window resets, seen from `now` (`None` if no reset
    /// time was sent; zero if it is already past).
    pub fn reset_after(&self, now: SystemTime) -> Option<Duration> {
        self.reset
            .map(|reset| reset.duration_since(now).unwrap_or(Duration::ZERO))
    }

    /// Parses the three headers; `None` when none of them is present and readable.
    pub(crate) fn from_headers(headers: &http::HeaderMap) -> Option<RateLimitInfo> {
        let number = |name: &str| first_value(headers, name).and_then(|v| v.parse::<u64>().ok());
        let info = RateLimitInfo {
            limit: number("x-ratelimit-limit"),
            remaining: number("x-ratelimit-remaining"),
            // `checked_add`: a reset past what the clock can hold is unreadable,
            // not a panic.
            reset: number("x-ratelimit-reset")
                .and_then(|secs| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))),
        };
        (info != RateLimitInfo::default()).then_some(info)
    }
}

/// The first non-empty value of a possibly repeated, possibly comma-joined header.
pub(crate) fn first_value<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_parses_case_insensitively_and_keeps_unknown_text() {
        assert_eq!(
            "COMPLETED".parse::<TaskStatus>().unwrap(),
            TaskStatus::Completed
        );
        assert_eq!(
            " Running ".parse::<TaskStatus>().unwrap(),
            TaskStatus::Running
        );
        let unknown = "Suspended".parse::<TaskStatus>().unwrap();
        assert_eq!(unknown, TaskStatus::Unknown("Suspended".into()));
        assert_eq!(unknown.to_string(), "Suspended");
        assert_eq!(
            serde_json::to_string(&TaskStatus::Failed).unwrap(),
            "\"failed\""
        );
    }

    #[test]
    fn timestamps_decode_leniently() {
        let ns = 1_700_000_000_123_456_789_i128;
        for raw in [
            "1700000000123456789",
            "\"1700000000123456789\"",
            "\"2023-11-14T22:13:20.123456789Z\"",
            "\"2023-11-14T23:13:20.123456789+01:00\"",
        ] {
            let v: serde_json::Value = serde_json::from_str(raw).unwrap();
            assert_eq!(
                Timestamp::from_json(&v).map(|t| t.unix_nanos()),
                Some(ns),
                "{raw}"
            );
        }
        let float = serde_json::json!(1.7e18);
        assert_eq!(
            Timestamp::from_json(&float).unwrap().unix_nanos(),
            1_700_000_000_000_000_000
        );
        for junk in ["\"yesterday\"", "true", "{}", "[1]", "\"\"", "1e300"] {
            let v: serde_json::Value = serde_json::from_str(junk).unwrap();
            assert_eq!(Timestamp::from_json(&v), None, "{junk}");
        }
        let t = Timestamp::from_unix_nanos(ns);
        assert_eq!(t.to_string(), "2023-11-14T22:13:20.123456789Z");
        assert_eq!(
            t.to_system_time(),
            SystemTime::UNIX_EPOCH + Duration::from_nanos(ns as u64)
        );
    }

    #[test]
    fn task_decodes_with_missing_bad_and_extra_fields() {
        let task: Task = serde_json::from_str(
            r#"{"task_id":"t","status":"Failed","created_at":"soon","updated_at":null,
                "duration":12,"new_field":[1,2],"error":{"type":"x","extra":1}}"#,
        )
        .unwrap();
        assert_eq!(task.status, TaskStatus::Failed);
        assert_eq!(task.created_at, None);
        assert_eq!(task.updated_at, None);
        assert_eq!(task.duration.as_deref(), Some("12"));
        let error = task.error.unwrap();
        assert_eq!(error.error_type, "x");
        assert_eq!(error.description, "");
        assert!(serde_json::from_str::<Task>(r#"{"task_id":"t"}"#).is_err());
        assert_eq!(
            serde_json::from_str::<Task>(r#"{"status":"x"}"#)
                .unwrap()
                .task_id,
            ""
        );
    }

    #[test]
    fn task_serializes_and_round_trips() {
        let task: Task = serde_json::from_str(
            r#"{"task_id":"t","status":"completed","created_at":1700000000000000000,
                "updated_at":"2023-11-14T22:13:21Z","duration":"1ms","result":{"url":"u"}}"#,
        )
        .unwrap();
        let json = serde_json::to_value(&task).unwrap();
        assert_eq!(json["created_at"], "2023-11-14T22:13:20Z");
        assert_eq!(json["status"], "completed");
        let back: Task = serde_json::from_value(json).unwrap();
        assert_eq!(back, task);
    }

    #[test]
    fn rate_limit_headers_take_the_first_non_empty_value() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-ratelimit-limit", " , 60, 60".parse().unwrap());
        headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
        headers.insert("x-ratelimit-reset", "1700000000".parse().unwrap());
        let info = RateLimitInfo::from_headers(&headers).unwrap();
        assert_eq!(info.limit, Some(60));
        assert!(info.is_exhausted());
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_699_999_998);
        assert_eq!(info.reset_after(at), Some(Duration::from_secs(2)));
        assert_eq!(RateLimitInfo::from_headers(&http::HeaderMap::new()), None);
    }
}
