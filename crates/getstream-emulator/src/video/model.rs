//! A call and its members as the app's data holds them, and the changes the handlers and
//! the hard-delete task make. Pure data, no I/O, no locks (as `store`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::data::app_data::AppData;

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

impl AppData {
    /// Records a change to the call `cid` (so the data dir saves it).
    fn call_changed(&mut self, cid: &str) {
        self.changes.call(cid);
    }

    /// Inserts a new call.
    pub fn put_call(&mut self, call: Call) {
        let cid = call.cid();
        self.call_changed(&cid);
        self.calls.insert(cid, call);
    }

    /// Changes the call `cid` with `change`; `None` when there is no such call.
    pub fn update_call<R>(&mut self, cid: &str, change: impl FnOnce(&mut Call) -> R) -> Option<R> {
        let call = self.calls.get_mut(cid)?;
        let r = change(call);
        self.call_changed(cid);
        Some(r)
    }

    /// Removes the call `cid` with everything that belongs to it.
    pub fn remove_call(&mut self, cid: &str) -> Option<(Call, Removed)> {
        let call = self.calls.remove(cid)?;
        self.call_changed(cid);
        let removed = Removed {
            sessions: call.sessions,
            recordings: call.recordings,
            members: call.members.len(),
        };
        Some((call, removed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> Call {
        Call {
            kind: "default".into(),
            id: "abc".into(),
            created_by_id: "alice".into(),
            custom: Map::new(),
            members: vec![CallMember {
                user_id: "bob".into(),
                role: "user".into(),
                custom: Map::new(),
                created_at: 1,
                updated_at: 1,
            }],
            sessions: 0,
            recordings: 0,
            current_session_id: String::new(),
            created_at: 1,
            updated_at: 1,
            deleted_at: None,
        }
    }

    #[test]
    fn ids_follow_the_rule() {
        assert!(valid_id("default"));
        assert!(valid_id("a_b-9"));
        assert!(!valid_id(""));
        assert!(!valid_id("a:b"));
        assert!(!valid_id("a/b"));
        assert!(!valid_id(&"x".repeat(65)));
    }

    #[test]
    fn remove_counts_what_belonged_to_the_call() {
        let mut d = AppData::default();
        let mut c = call();
        c.join(true);
        c.join(false);
        d.put_call(c);
        let (gone, removed) = d.remove_call("default:abc").unwrap();
        assert_eq!(gone.cid(), "default:abc");
        assert_eq!(
            removed,
            Removed {
                sessions: 2,
                recordings: 1,
                members: 1
            }
        );
        assert!(d.calls.is_empty());
        assert!(d.remove_call("default:abc").is_none());
    }
}
