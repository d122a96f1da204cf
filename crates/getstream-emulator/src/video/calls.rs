//! The calls in an app's data: `impl AppData` for video, apart from the `Call` type so that
//! `data/app_data.rs` (which holds the calls) and this file do not import each other.

use crate::data::app_data::AppData;

use super::model::{Call, Removed};

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
    use serde_json::Map;

    use super::super::model::*;
    use crate::data::app_data::AppData;

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
