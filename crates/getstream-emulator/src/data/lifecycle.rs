//! The data side of the calls around the jobs: restore soft-deleted users, update users
//! partially, truncate a channel. Pure data, no I/O, no locks (as `app_data`).

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::data::app_data::{AppData, Channel, Message, now};

/// Why a user cannot be restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RestoreRefusal {
    /// No such user was ever seen.
    Unknown,
    /// The user was hard-deleted: there is nothing left to restore.
    HardDeleted,
}

/// A system message to leave in a truncated channel.
#[derive(Debug, Clone)]
pub(crate) struct SystemMessage {
    pub text: String,
    pub user_id: String,
}

/// What a truncate does.
#[derive(Debug, Clone)]
pub(crate) struct Truncation {
    /// Messages created at or before this time go (hidden, or removed when `hard`).
    pub at: OffsetDateTime,
    pub hard: bool,
    pub by: Option<String>,
    pub message: Option<SystemMessage>,
}

/// A time in whole microseconds. Truncation compares times at this precision, as Stream
/// stores them: a client that read a message's time with microseconds (the Python SDK's
/// `datetime`) and sends it back as `truncated_at` cuts that message too.
fn micros(t: OffsetDateTime) -> i128 {
    t.unix_timestamp_nanos().div_euclid(1000)
}

/// Whether a message created at `created` falls in a truncation up to `at`.
fn cut(created: OffsetDateTime, at: OffsetDateTime) -> bool {
    micros(created) <= micros(at)
}

impl Channel {
    /// The messages a channel query shows: those after the last truncation.
    pub fn visible_messages(&self) -> impl Iterator<Item = &Message> + '_ {
        self.messages.iter().filter(move |m| !self.is_truncated(m))
    }

    /// Whether a message was hidden by a (soft) truncation.
    pub fn is_truncated(&self, m: &Message) -> bool {
        self.truncated_at.is_some_and(|t| cut(m.created_at, t))
    }
}

impl AppData {
    /// Marks the existing users among `ids` deleted now (keeping an earlier deletion time):
    /// the delete-users call does this before its task does the rest.
    pub fn mark_users_deleted(&mut self, ids: &[String]) {
        let t = now();
        for id in ids {
            if let Some(u) = self.users.get_mut(id) {
                u.deleted_at.get_or_insert(t);
                u.updated_at = t;
                self.changes.user(id);
            }
        }
    }

    /// Checks that every id can be restored (exists; not hard-deleted), then clears the
    /// users' `deleted_at`. All or nothing: on a refusal nothing changes. A user who is not
    /// deleted is left as is.
    pub fn restore_users(&mut self, ids: &[String]) -> Result<(), (String, RestoreRefusal)> {
        for id in ids {
            if !self.users.contains_key(id) {
                let why = if self.hard_deleted_users.contains(id) {
                    RestoreRefusal::HardDeleted
                } else {
                    RestoreRefusal::Unknown
                };
                return Err((id.clone(), why));
            }
        }
        let t = now();
        for id in ids {
            if let Some(u) = self.users.get_mut(id)
                && u.deleted_at.take().is_some()
            {
                self.changes.user(id);
                u.updated_at = t;
            }
        }
        Ok(())
    }

    /// Sets and unsets custom fields (and `role`, a server field users may set) of an
    /// existing user. Returns false when the user does not exist.
    pub fn update_user_partial(
        &mut self,
        id: &str,
        role: Option<String>,
        set: Map<String, Value>,
        unset: &[String],
    ) -> bool {
        let Some(u) = self.users.get_mut(id) else {
            return false;
        };
        self.changes.user(id);
        if let Some(role) = role {
            u.role = role;
        }
        for k in unset {
            u.custom.remove(k);
        }
        u.custom.extend(set);
        u.updated_at = now();
        true
    }

    /// Truncates the channel `cid` (which the caller checked exists): soft hides the
    /// messages up to `at` from queries, hard removes them for good; either way the channel
    /// records the truncation. Returns a copy of the system message left, if any.
    pub fn truncate_channel(&mut self, cid: &str, tr: Truncation) -> Option<Message> {
        let id = tr.message.as_ref().map(|_| self.next_id("msg"));
        let channel = self.channels.get_mut(cid)?;
        self.changes.channel(cid);
        self.changes.channel_messages(cid);
        let t = now();
        if tr.hard {
            channel.messages.retain(|m| !cut(m.created_at, tr.at));
        }
        // An earlier second truncation does not bring back what a later one hid.
        channel.truncated_at = Some(channel.truncated_at.map_or(tr.at, |t| t.max(tr.at)));
        channel.truncated_by_id = tr.by;
        channel.updated_at = t;
        let (id, msg) = id.zip(tr.message)?;
        // The system message is always after the truncation (in the next microsecond at
        // the earliest), even when `at` is now.
        let after =
            OffsetDateTime::from_unix_timestamp_nanos((micros(tr.at) + 1) * 1000).unwrap_or(t);
        let created = t.max(after);
        let m = Message {
            id,
            text: msg.text,
            user_id: msg.user_id,
            custom: Map::new(),
            created_at: created,
            updated_at: created,
            deleted_at: None,
            system: true,
        };
        let pos = channel
            .messages
            .partition_point(|x| x.created_at <= created);
        channel.messages.insert(pos, m.clone());
        Some(m)
    }

    /// The user's messages in every channel (with their cids), truncated ones included:
    /// a soft truncate hides messages from channel queries, it does not erase them.
    pub fn messages_of(&self, user_id: &str) -> Vec<(String, &Message)> {
        let mut out = Vec::new();
        for c in self.channels.values() {
            let cid = c.cid();
            out.extend(
                c.messages
                    .iter()
                    .filter(|m| m.user_id == user_id)
                    .map(|m| (cid.clone(), m)),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SeedSpec;
    use crate::data::app_data::{DeleteMode, DeleteUsersPlan};

    fn data() -> AppData {
        let mut d = AppData::default();
        d.seed(SeedSpec {
            users: 2,
            channels: 1,
            messages: 4,
        });
        d
    }

    fn plan(user: DeleteMode) -> DeleteUsersPlan {
        DeleteUsersPlan {
            user: Some(user),
            messages: None,
            conversations: None,
        }
    }

    #[test]
    fn restore_brings_back_soft_deleted_users_only() {
        let mut d = data();
        d.delete_users(&["user-1".into()], plan(DeleteMode::Soft));
        d.delete_users(&["user-2".into()], plan(DeleteMode::Hard));
        assert!(d.users["user-1"].deleted_at.is_some());
        assert_eq!(
            d.restore_users(&["user-1".into(), "user-2".into()]),
            Err(("user-2".into(), RestoreRefusal::HardDeleted))
        );
        // All or nothing: user-1 is still deleted.
        assert!(d.users["user-1"].deleted_at.is_some());
        assert_eq!(
            d.restore_users(&["nobody".into()]),
            Err(("nobody".into(), RestoreRefusal::Unknown))
        );
        d.restore_users(&["user-1".into()]).unwrap();
        assert!(d.users["user-1"].deleted_at.is_none());
        // A re-created user id is no longer "hard-deleted".
        d.upsert_user("user-2", None, Map::new());
        d.restore_users(&["user-2".into()]).unwrap();
    }

    #[test]
    fn soft_truncate_hides_hard_truncate_removes() {
        let mut d = data();
        let cid = "messaging:seed-1".to_owned();
        let at = now();
        let m = d.truncate_channel(
            &cid,
            Truncation {
                at,
                hard: false,
                by: Some("user-1".into()),
                message: Some(SystemMessage {
                    text: "cleared".into(),
                    user_id: "user-1".into(),
                }),
            },
        );
        let m = m.unwrap();
        assert!(m.system && m.created_at > at);
        let c = &d.channels[&cid];
        assert_eq!(c.messages.len(), 5, "soft keeps the messages");
        let visible: Vec<_> = c.visible_messages().map(|m| m.text.as_str()).collect();
        assert_eq!(visible, ["cleared"]);
        assert_eq!(d.messages_of("user-2").len(), 2, "export still sees them");

        d.truncate_channel(
            &cid,
            Truncation {
                at: now(),
                hard: true,
                by: None,
                message: None,
            },
        );
        let c = &d.channels[&cid];
        assert!(c.messages.is_empty(), "hard removes everything up to `at`");
        assert!(d.messages_of("user-2").is_empty());
    }

    #[test]
    fn truncate_up_to_a_time_keeps_later_messages() {
        let mut d = data();
        let cid = "messaging:seed-1".to_owned();
        let second = d.channels[&cid].messages[1].created_at;
        // As a client that keeps microseconds sends it back: still cuts that message.
        let second_us = OffsetDateTime::from_unix_timestamp_nanos(micros(second) * 1000).unwrap();
        d.truncate_channel(
            &cid,
            Truncation {
                at: second_us,
                hard: true,
                by: None,
                message: None,
            },
        );
        assert_eq!(d.channels[&cid].messages.len(), 2);
        // A later, earlier-dated truncation does not bring hidden messages back.
        let first = d.channels[&cid].messages[0].created_at;
        let last = d.channels[&cid].messages[1].created_at;
        d.truncate_channel(
            &cid,
            Truncation {
                at: last,
                hard: false,
                by: None,
                message: None,
            },
        );
        d.truncate_channel(
            &cid,
            Truncation {
                at: first,
                hard: false,
                by: None,
                message: None,
            },
        );
        assert_eq!(d.channels[&cid].truncated_at, Some(last));
        assert_eq!(d.channels[&cid].visible_messages().count(), 0);
    }

    #[test]
    fn partial_update_sets_and_unsets() {
        let mut d = data();
        let mut set = Map::new();
        set.insert("name".into(), Value::from("Ann"));
        set.insert("team".into(), Value::from("blue"));
        assert!(d.update_user_partial("user-1", Some("admin".into()), set, &[]));
        assert!(d.update_user_partial("user-1", None, Map::new(), &["team".into()]));
        let u = &d.users["user-1"];
        assert_eq!(u.role, "admin");
        assert_eq!(u.custom.get("name"), Some(&Value::from("Ann")));
        assert!(!u.custom.contains_key("team"));
        assert!(!d.update_user_partial("nobody", None, Map::new(), &[]));
    }
}
