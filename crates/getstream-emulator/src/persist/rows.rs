//! The JSON each row holds: the store's entities with times as Unix nanoseconds.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::data::app_data::{Channel, Member, Message, User};
use crate::data::blocklists::{BlockList, BlockListFlags};

/// A time as Unix nanoseconds (an `i128`: a message's client-given time may be far out).
fn ns(t: OffsetDateTime) -> i128 {
    t.unix_timestamp_nanos()
}

fn time(ns: i128) -> Result<OffsetDateTime, String> {
    OffsetDateTime::from_unix_timestamp_nanos(ns).map_err(|e| e.to_string())
}

fn opt_time(ns: Option<i128>) -> Result<Option<OffsetDateTime>, String> {
    ns.map(time).transpose()
}

#[derive(Serialize, Deserialize)]
pub(super) struct UserRow {
    role: String,
    #[serde(default)]
    custom: Map<String, Value>,
    created_at: i128,
    updated_at: i128,
    deleted_at: Option<i128>,
    deactivated_at: Option<i128>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    teams: Vec<String>,
}

impl UserRow {
    pub fn new(u: &User) -> Self {
        Self {
            role: u.role.clone(),
            custom: u.custom.clone(),
            created_at: ns(u.created_at),
            updated_at: ns(u.updated_at),
            deleted_at: u.deleted_at.map(ns),
            deactivated_at: u.deactivated_at.map(ns),
            teams: u.teams.clone(),
        }
    }

    pub fn into_user(self, id: String) -> Result<User, String> {
        Ok(User {
            id,
            role: self.role,
            custom: self.custom,
            created_at: time(self.created_at)?,
            updated_at: time(self.updated_at)?,
            deleted_at: opt_time(self.deleted_at)?,
            deactivated_at: opt_time(self.deactivated_at)?,
            teams: self.teams,
        })
    }
}

/// A channel without its members and messages (rows of their own).
#[derive(Serialize, Deserialize)]
pub(super) struct ChannelRow {
    kind: String,
    id: String,
    created_by_id: Option<String>,
    #[serde(default)]
    custom: Map<String, Value>,
    created_at: i128,
    updated_at: i128,
    deleted_at: Option<i128>,
    truncated_at: Option<i128>,
    truncated_by_id: Option<String>,
    #[serde(default)]
    team: Option<String>,
    #[serde(default)]
    frozen: bool,
    #[serde(default)]
    disabled: bool,
    #[serde(default)]
    settings: Map<String, Value>,
}

impl ChannelRow {
    pub fn new(c: &Channel) -> Self {
        Self {
            kind: c.kind.clone(),
            id: c.id.clone(),
            created_by_id: c.created_by_id.clone(),
            custom: c.custom.clone(),
            created_at: ns(c.created_at),
            updated_at: ns(c.updated_at),
            deleted_at: c.deleted_at.map(ns),
            truncated_at: c.truncated_at.map(ns),
            truncated_by_id: c.truncated_by_id.clone(),
            team: c.team.clone(),
            frozen: c.frozen,
            disabled: c.disabled,
            settings: c.settings.clone(),
        }
    }

    pub fn into_channel(self) -> Result<Channel, String> {
        Ok(Channel {
            kind: self.kind,
            id: self.id,
            created_by_id: self.created_by_id,
            custom: self.custom,
            members: Vec::new(),
            messages: Vec::new(),
            created_at: time(self.created_at)?,
            updated_at: time(self.updated_at)?,
            deleted_at: opt_time(self.deleted_at)?,
            truncated_at: opt_time(self.truncated_at)?,
            truncated_by_id: self.truncated_by_id,
            team: self.team,
            frozen: self.frozen,
            disabled: self.disabled,
            settings: self.settings,
        })
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct MemberRow {
    user_id: String,
    role: String,
    created_at: i128,
    /// Absent in rows written before channel roles were kept: derived from `role` then.
    #[serde(default)]
    channel_role: Option<String>,
    #[serde(default)]
    updated_at: Option<i128>,
    #[serde(default)]
    invited: bool,
    #[serde(default)]
    invite_accepted_at: Option<i128>,
    #[serde(default)]
    invite_rejected_at: Option<i128>,
    #[serde(default)]
    hidden: bool,
    #[serde(default)]
    archived_at: Option<i128>,
    #[serde(default)]
    hide_messages_before: Option<i128>,
}

impl MemberRow {
    pub fn new(m: &Member) -> Self {
        Self {
            user_id: m.user_id.clone(),
            role: m.role.clone(),
            created_at: ns(m.created_at),
            channel_role: Some(m.channel_role.clone()),
            updated_at: Some(ns(m.updated_at)),
            invited: m.invited,
            invite_accepted_at: m.invite_accepted_at.map(ns),
            invite_rejected_at: m.invite_rejected_at.map(ns),
            hidden: m.hidden,
            archived_at: m.archived_at.map(ns),
            hide_messages_before: m.hide_messages_before.map(ns),
        }
    }

    pub fn into_member(self) -> Result<Member, String> {
        let created_at = time(self.created_at)?;
        let channel_role = self.channel_role.unwrap_or_else(|| {
            if self.role == "owner" {
                "channel_moderator".to_owned()
            } else {
                "channel_member".to_owned()
            }
        });
        Ok(Member {
            user_id: self.user_id,
            role: self.role,
            channel_role,
            created_at,
            updated_at: opt_time(self.updated_at)?.unwrap_or(created_at),
            invited: self.invited,
            invite_accepted_at: opt_time(self.invite_accepted_at)?,
            invite_rejected_at: opt_time(self.invite_rejected_at)?,
            hidden: self.hidden,
            archived_at: opt_time(self.archived_at)?,
            hide_messages_before: opt_time(self.hide_messages_before)?,
        })
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct MessageRow {
    text: String,
    user_id: String,
    #[serde(default)]
    custom: Map<String, Value>,
    created_at: i128,
    updated_at: i128,
    deleted_at: Option<i128>,
    #[serde(default)]
    system: bool,
}

impl MessageRow {
    pub fn new(m: &Message) -> Self {
        Self {
            text: m.text.clone(),
            user_id: m.user_id.clone(),
            custom: m.custom.clone(),
            created_at: ns(m.created_at),
            updated_at: ns(m.updated_at),
            deleted_at: m.deleted_at.map(ns),
            system: m.system,
        }
    }

    pub fn into_message(self, id: String) -> Result<Message, String> {
        Ok(Message {
            id,
            text: self.text,
            user_id: self.user_id,
            custom: self.custom,
            created_at: time(self.created_at)?,
            updated_at: time(self.updated_at)?,
            deleted_at: opt_time(self.deleted_at)?,
            system: self.system,
        })
    }
}

/// A block list, its words in the order added.
#[derive(Serialize, Deserialize)]
pub(super) struct BlockListRow {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    team: Option<String>,
    #[serde(default)]
    flags: BlockListFlags,
    words: Vec<String>,
    created_at: i128,
    updated_at: i128,
}

impl BlockListRow {
    pub fn new(l: &BlockList) -> Self {
        Self {
            id: l.id.clone(),
            kind: l.kind.clone(),
            team: l.team.clone(),
            flags: l.flags,
            words: l.words().to_vec(),
            created_at: ns(l.created_at),
            updated_at: ns(l.updated_at),
        }
    }

    pub fn into_blocklist(self, name: String) -> Result<BlockList, String> {
        let mut l = BlockList::new(name, self.kind, self.team, self.flags, &self.words);
        l.id = self.id;
        l.created_at = time(self.created_at)?;
        l.updated_at = time(self.updated_at)?;
        Ok(l)
    }
}
