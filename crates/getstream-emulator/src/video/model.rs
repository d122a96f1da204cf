//! A call and its members as the app's data holds them, and the changes the handlers and
//! the hard-delete task make. Pure data, no I/O, no locks (as `store`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Most calls per app: past it, creating one is refused (a long test run on one emulator
/// still stays bounded).
pub(crate) const MAX_CALLS: usize = 100_000;
/// Most members per call (and per get-or-create request).
pub(crate) const MAX_MEMBERS: usize = 100;
/// Longest call type or id, in characters.
pub(crate) const MAX_ID_CHARS: usize = 64;

/// Whether `s` is a valid call type or id: 1..=64 ASCII letters, digits, `_` or `-`.
pub(crate) fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID_CHARS
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

/// The wall clock in Unix nanoseconds (how calls keep their times).
pub(crate) fn now_ns() -> i64 {
    i64::try_from(crate::jobs::task::unix_ns()).unwrap_or(i64::MAX)
}

/// A member of a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CallMember {
    pub user_id: String,
    /// The call-level role (`"user"` unless given).
    pub role: String,
    #[serde(default)]
    pub custom: Map<String, Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One call. Times are Unix nanoseconds; the whole call is one row in the data dir.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Call {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub created_by_id: String,
    #[serde(default)]
    pub custom: Map<String, Value>,
    #[serde(default)]
    pub members: Vec<CallMember>,
    /// Sessions opened (one per get-or-create request).
    #[serde(default)]
    pub sessions: u64,
    /// Sessions recorded (get-or-create requests with `video: true`).
    #[serde(default)]
    pub recordings: u64,
    /// The last session's id (empty before the first).
    #[serde(default)]
    pub current_session_id: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Set by a delete (soft at once; hard until the task removes the call).
    #[serde(default)]
    pub deleted_at: Option<i64>,
}

impl Call {
    /// The call id `type:id`.
    pub fn cid(&self) -> String {
        format!("{}:{}", self.kind, self.id)
    }

    /// Opens a session (recorded when `record`).
    pub fn join(&mut self, record: bool) {
        self.sessions = self.sessions.saturating_add(1);
        if record {
            self.recordings = self.recordings.saturating_add(1);
        }
        self.current_session_id = uuid::Uuid::new_v4().to_string();
    }
}

/// What a hard delete removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Removed {
    pub sessions: u64,
    pub recordings: u64,
    pub members: usize,
}
