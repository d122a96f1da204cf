//! Per-app data: users, channels with members and messages. Pure data, no I/O, no locks.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::config::SeedSpec;
use crate::data::blocklists::BlockList;
use crate::data::changes::Changes;

/// A user.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: String,
    pub role: String,
    pub custom: Map<String, Value>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub deleted_at: Option<OffsetDateTime>,
    pub deactivated_at: Option<OffsetDateTime>,
    /// The teams the user belongs to (see `teams`).
    pub teams: Vec<String>,
}

/// A channel member.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub user_id: String,
    /// `owner`, `member` or `moderator`.
    pub role: String,
    /// The channel-level role, e.g. `channel_member`, `channel_moderator`.
    pub channel_role: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Invited and not (yet) accepted or rejected.
    pub invited: bool,
    pub invite_accepted_at: Option<OffsetDateTime>,
    pub invite_rejected_at: Option<OffsetDateTime>,
    /// The channel is hidden for this member (until shown again).
    pub hidden: bool,
    pub archived_at: Option<OffsetDateTime>,
    /// Messages before this time are hidden from this member (`hide_history` when added).
    pub hide_messages_before: Option<OffsetDateTime>,
}

impl Member {
    /// A member with `role` (`owner`, `member`), created now.
    pub fn new(user_id: &str, role: &str, channel_role: &str, t: OffsetDateTime) -> Self {
        Self {
            user_id: user_id.to_owned(),
            role: role.to_owned(),
            channel_role: channel_role.to_owned(),
            created_at: t,
            updated_at: t,
            invited: false,
            invite_accepted_at: None,
            invite_rejected_at: None,
            hidden: false,
            archived_at: None,
            hide_messages_before: None,
        }
    }
}

/// A message.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub id: String,
    pub text: String,
    pub user_id: String,
    pub custom: Map<String, Value>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub deleted_at: Option<OffsetDateTime>,
    /// A system message (e.g. the one a truncate leaves), not a user's.
    pub system: bool,
}

/// A channel.
#[derive(Debug, Clone)]
pub(crate) struct Channel {
    pub kind: String,
    pub id: String,
    pub created_by_id: Option<String>,
    pub custom: Map<String, Value>,
    pub members: Vec<Member>,
    pub messages: Vec<Message>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub deleted_at: Option<OffsetDateTime>,
    /// Messages created at or before this time are hidden (a soft truncate; see `lifecycle`).
    pub truncated_at: Option<OffsetDateTime>,
    pub truncated_by_id: Option<String>,
    /// The team the channel belongs to (see `teams`).
    pub team: Option<String>,
    pub frozen: bool,
    pub disabled: bool,
    /// Other settings the channel answers at its top level: `auto_translation_enabled`,
    /// `auto_translation_language`, `config_overrides`, `cooldown`.
    pub settings: Map<String, Value>,
}

impl Channel {
    pub fn cid(&self) -> String {
        format!("{}:{}", self.kind, self.id)
    }
}

/// Soft, pruning or hard deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum DeleteMode {
    Soft,
    Pruning,
    Hard,
}

impl DeleteMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "soft" => Some(Self::Soft),
            "pruning" => Some(Self::Pruning),
            "hard" => Some(Self::Hard),
            _ => None,
        }
    }
}

/// How to delete users (the fields of the delete-users request).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(crate) struct DeleteUsersPlan {
    pub user: Option<DeleteMode>,
    pub messages: Option<DeleteMode>,
    pub conversations: Option<DeleteMode>,
}

/// All data of one app.
#[derive(Debug, Default)]
pub(crate) struct AppData {
    pub users: BTreeMap<String, User>,
    pub channels: BTreeMap<String, Channel>,
    /// Ids of hard-deleted users, so a restore can say why it cannot bring one back.
    pub hard_deleted_users: BTreeSet<String>,
    /// Block lists by name (see `blocklists`).
    pub blocklists: BTreeMap<String, BlockList>,
    /// Video calls by cid (see `video`).
    pub calls: BTreeMap<String, crate::video::Call>,
    next_seq: u64,
    /// What changed since the last save to the data dir (nothing is recorded without one).
    pub changes: Changes,
}

pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Whether `s` is a valid user id: 1..=255 chars of letters, digits, `@`, `_`, `-`.
pub(crate) fn valid_user_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '@' | '_' | '-'))
}

/// Whether `s` is a valid channel type: 1..=64 chars of letters, digits, `_`, `-`.
pub(crate) fn valid_channel_type(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

/// Whether `s` is a valid channel id: 1..=64 chars of letters, digits, `_`, `-`, `!`.
pub(crate) fn valid_channel_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '!'))
}

/// Splits a cid `type:id`, checking both parts.
pub(crate) fn parse_cid(cid: &str) -> Option<(&str, &str)> {
    let (t, id) = cid.split_once(':')?;
    (valid_channel_type(t) && valid_channel_id(id)).then_some((t, id))
}

impl AppData {
    pub(crate) fn next_id(&mut self, prefix: &str) -> String {
        self.next_seq += 1;
        format!("{prefix}-{}", uuid::Uuid::new_v4())
    }

    /// Inserts or replaces a user, keeping `created_at` of an existing one.
    pub fn upsert_user(&mut self, id: &str, role: Option<String>, custom: Map<String, Value>) {
        let t = now();
        self.changes.user(id);
        self.hard_deleted_users.remove(id);
        match self.users.get_mut(id) {
            Some(u) => {
                if let Some(role) = role {
                    u.role = role;
                }
                u.custom = custom;
                u.updated_at = t;
            }
            None => {
                self.users.insert(
                    id.to_owned(),
                    User {
                        id: id.to_owned(),
                        role: role.unwrap_or_else(|| "user".to_owned()),
                        custom,
                        created_at: t,
                        updated_at: t,
                        deleted_at: None,
                        deactivated_at: None,
                        teams: Vec::new(),
                    },
                );
            }
        }
    }

    /// Gets or creates a channel, adding `members` (all must exist as users, checked by the caller).
    /// Returns whether it was created.
    pub fn get_or_create_channel(
        &mut self,
        kind: &str,
        id: &str,
        created_by_id: Option<&str>,
        members: &[String],
        custom: Map<String, Value>,
    ) -> bool {
        let cid = format!("{kind}:{id}");
        self.changes.channel(&cid);
        let t = now();
        let mut created = false;
        let channel = self.channels.entry(cid).or_insert_with(|| {
            created = true;
            Channel {
                kind: kind.to_owned(),
                id: id.to_owned(),
                created_by_id: created_by_id.map(str::to_owned),
                custom,
                members: Vec::new(),
                messages: Vec::new(),
                created_at: t,
                updated_at: t,
                deleted_at: None,
                truncated_at: None,
                truncated_by_id: None,
                team: None,
                frozen: false,
                disabled: false,
                settings: Map::new(),
            }
        });
        if !created && channel.deleted_at.is_some() {
            // Stream re-creates a soft-deleted channel on get-or-create.
            channel.deleted_at = None;
            channel.updated_at = t;
        }
        for m in members {
            if !channel.members.iter().any(|x| &x.user_id == m) {
                let (role, channel_role) = if Some(m.as_str()) == channel.created_by_id.as_deref() {
                    ("owner", "channel_moderator")
                } else {
                    ("member", "channel_member")
                };
                channel.members.push(Member::new(m, role, channel_role, t));
            }
        }
        created
    }

    /// Appends a message to an existing channel; returns a copy of it.
    pub fn add_message(
        &mut self,
        cid: &str,
        id: Option<String>,
        text: String,
        user_id: &str,
        custom: Map<String, Value>,
        created_at: Option<OffsetDateTime>,
    ) -> Option<Message> {
        let id = id.unwrap_or_else(|| self.next_id("msg"));
        let channel = self.channels.get_mut(cid)?;
        let t = now();
        let created = created_at.unwrap_or(t);
        let msg = Message {
            id,
            text,
            user_id: user_id.to_owned(),
            custom,
            created_at: created,
            updated_at: created,
            deleted_at: None,
            system: false,
        };
        // Keep messages ordered by creation time.
        let pos = channel
            .messages
            .partition_point(|m| m.created_at <= created);
        channel.messages.insert(pos, msg.clone());
        channel.updated_at = t;
        self.changes.channel(cid);
        self.changes.message(cid, &msg.id);
        Some(msg)
    }

    /// Whether a message with this id exists anywhere in the app.
    pub fn message_exists(&self, id: &str) -> bool {
        self.channels
            .values()
            .any(|c| c.messages.iter().any(|m| m.id == id))
    }

    /// Soft-deletes a channel (marks `deleted_at`). Returns false when it does not exist.
    pub fn soft_delete_channel(&mut self, cid: &str) -> bool {
        match self.channels.get_mut(cid) {
            Some(c) => {
                self.changes.channel(cid);
                let t = now();
                c.deleted_at.get_or_insert(t);
                c.updated_at = t;
                true
            }
            None => false,
        }
    }

    /// Removes a channel and its messages. Returns false when it does not exist.
    pub fn hard_delete_channel(&mut self, cid: &str) -> bool {
        self.changes.channel(cid);
        self.channels.remove(cid).is_some()
    }

    /// Deletes users as the delete-users job does. Returns id -> Ok / Err(reason).
    pub fn delete_users(
        &mut self,
        ids: &[String],
        plan: DeleteUsersPlan,
    ) -> BTreeMap<String, Result<(), String>> {
        let t = now();
        let mut out = BTreeMap::new();
        for id in ids {
            if !self.users.contains_key(id) {
                out.insert(id.clone(), Err(format!("user {id} does not exist")));
                continue;
            }
            self.changes.user(id);
            if let Some(mode) = plan.messages {
                for (cid, c) in &mut self.channels {
                    if c.messages.iter().any(|m| &m.user_id == id) {
                        self.changes.channel_messages(cid);
                    }
                    match mode {
                        DeleteMode::Hard => c.messages.retain(|m| &m.user_id != id),
                        DeleteMode::Soft | DeleteMode::Pruning => {
                            for m in c.messages.iter_mut().filter(|m| &m.user_id == id) {
                                m.deleted_at.get_or_insert(t);
                                m.updated_at = t;
                                if mode == DeleteMode::Pruning {
                                    m.text.clear();
                                    m.custom.clear();
                                }
                            }
                        }
                    }
                }
            }
            if let Some(mode) = plan.conversations {
                // Conversations: channels with exactly two members, one of them this user.
                let convs: Vec<String> = self
                    .channels
                    .iter()
                    .filter(|(_, c)| {
                        c.members.len() == 2 && c.members.iter().any(|m| &m.user_id == id)
                    })
                    .map(|(cid, _)| cid.clone())
                    .collect();
                for cid in convs {
                    if mode == DeleteMode::Hard {
                        self.hard_delete_channel(&cid);
                    } else {
                        self.soft_delete_channel(&cid);
                    }
                }
            }
            match plan.user {
                Some(DeleteMode::Hard) => {
                    self.users.remove(id);
                    self.hard_deleted_users.insert(id.clone());
                    for (cid, c) in &mut self.channels {
                        if c.members.iter().any(|m| &m.user_id == id) {
                            self.changes.channel(cid);
                            c.members.retain(|m| &m.user_id != id);
                        }
                    }
                }
                Some(mode) => {
                    if let Some(u) = self.users.get_mut(id) {
                        u.deleted_at.get_or_insert(t);
                        u.updated_at = t;
                        if mode == DeleteMode::Pruning {
                            u.custom.clear();
                        }
                    }
                }
                None => {}
            }
            out.insert(id.clone(), Ok(()));
        }
        out
    }

    /// Deactivates users (optionally soft-deleting their messages).
    pub fn deactivate_users(
        &mut self,
        ids: &[String],
        mark_messages_deleted: bool,
    ) -> BTreeMap<String, Result<(), String>> {
        self.set_deactivated(ids, true, mark_messages_deleted)
    }

    /// Reactivates users (optionally restoring their soft-deleted messages).
    pub fn reactivate_users(
        &mut self,
        ids: &[String],
        restore_messages: bool,
    ) -> BTreeMap<String, Result<(), String>> {
        self.set_deactivated(ids, false, restore_messages)
    }

    /// Deactivates (`deactivated`) or reactivates users; with `messages`, also soft-deletes
    /// (keeping an earlier deletion time) or restores their messages.
    fn set_deactivated(
        &mut self,
        ids: &[String],
        deactivated: bool,
        messages: bool,
    ) -> BTreeMap<String, Result<(), String>> {
        let t = now();
        let mut out = BTreeMap::new();
        for id in ids {
            let Some(u) = self.users.get_mut(id) else {
                out.insert(id.clone(), Err(format!("user {id} does not exist")));
                continue;
            };
            u.deactivated_at = deactivated.then_some(t);
            u.updated_at = t;
            self.changes.user(id);
            if messages {
                for (cid, c) in &self.channels {
                    if c.messages.iter().any(|m| &m.user_id == id) {
                        self.changes.channel_messages(cid);
                    }
                }
                for m in self
                    .channels
                    .values_mut()
                    .flat_map(|c| c.messages.iter_mut())
                    .filter(|m| &m.user_id == id)
                {
                    m.deleted_at = if deactivated {
                        Some(m.deleted_at.unwrap_or(t))
                    } else {
                        None
                    };
                }
            }
            out.insert(id.clone(), Ok(()));
        }
        out
    }

    /// Creates bulk data: users `user-1..`, channels `messaging:seed-1..` with two members each
    /// and `messages` messages per channel, one second apart, ending now.
    pub fn seed(&mut self, spec: SeedSpec) {
        // One rewrite of the app's rows rather than a mark per seeded row.
        self.changes.everything();
        let users = if spec.channels > 0 {
            spec.users.max(2)
        } else {
            spec.users
        };
        for i in 1..=users {
            self.upsert_user(&format!("user-{i}"), None, Map::new());
        }
        let t = now();
        for c in 1..=spec.channels {
            let a = format!("user-{}", (c - 1) % users + 1);
            let b = format!("user-{}", c % users + 1);
            let id = format!("seed-{c}");
            self.get_or_create_channel(
                "messaging",
                &id,
                Some(&a),
                &[a.clone(), b.clone()],
                Map::new(),
            );
            let cid = format!("messaging:{id}");
            for m in 0..spec.messages {
                let back = i64::try_from(spec.messages - m).unwrap_or(i64::MAX);
                let at = t.checked_sub(time::Duration::seconds(back)).unwrap_or(t);
                let user = if m % 2 == 0 { &a } else { &b };
                self.add_message(
                    &cid,
                    None,
                    format!("seed message {} in {cid}", m + 1),
                    user,
                    Map::new(),
                    Some(at),
                );
            }
        }
    }

    /// User ids that do not exist, of `ids`.
    pub fn missing_users<'a>(&self, ids: impl IntoIterator<Item = &'a String>) -> Vec<String> {
        let set: BTreeSet<&String> = ids.into_iter().collect();
        set.into_iter()
            .filter(|id| !self.users.contains_key(*id))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> AppData {
        let mut d = AppData::default();
        d.seed(SeedSpec {
            users: 3,
            channels: 2,
            messages: 4,
        });
        d
    }

    #[test]
    fn seed_creates_what_it_says() {
        let d = data();
        assert_eq!(d.users.len(), 3);
        assert_eq!(d.channels.len(), 2);
        let c = &d.channels["messaging:seed-1"];
        assert_eq!(c.members.len(), 2);
        assert_eq!(c.messages.len(), 4);
        assert!(
            c.messages
                .windows(2)
                .all(|w| w[0].created_at <= w[1].created_at)
        );
    }

    #[test]
    fn hard_delete_users_removes_messages_and_membership() {
        let mut d = data();
        let r = d.delete_users(
            &["user-1".into(), "nobody".into()],
            DeleteUsersPlan {
                user: Some(DeleteMode::Hard),
                messages: Some(DeleteMode::Hard),
                conversations: None,
            },
        );
        assert!(r["user-1"].is_ok());
        assert!(r["nobody"].is_err());
        assert!(!d.users.contains_key("user-1"));
        for c in d.channels.values() {
            assert!(c.members.iter().all(|m| m.user_id != "user-1"));
            assert!(c.messages.iter().all(|m| m.user_id != "user-1"));
        }
    }

    #[test]
    fn ids_are_validated() {
        assert!(valid_user_id("john_doe-1@x"));
        assert!(!valid_user_id(""));
        assert!(!valid_user_id("a b"));
        assert!(!valid_user_id(&"x".repeat(256)));
        assert_eq!(parse_cid("messaging:abc"), Some(("messaging", "abc")));
        assert_eq!(parse_cid("messaging"), None);
        assert_eq!(parse_cid(":abc"), None);
        assert_eq!(parse_cid("a:b:c"), None);
    }
}
