//! Changes to one channel: its members (add, remove, invite, roles, moderators, hide, show,
//! archive) and its data. Shared by the update-channel calls and the channel batch update
//! task; each change pushes the events it causes. Pure data, no I/O, no locks (as `app_data`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::data::app_data::{AppData, Member, now};
use crate::webhooks::channel_events::{self as ev, channel_event, member_event};
use crate::webhooks::payload::Event;

/// Where the changes put the events they cause. Off (no webhook to send them to), it
/// builds none: a batch over thousands of channels then renders no channel JSON.
#[derive(Debug)]
pub(crate) struct EventSink {
    enabled: bool,
    list: Vec<Event>,
}

impl EventSink {
    /// A sink that keeps events (`enabled`) or drops them unbuilt.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            list: Vec::new(),
        }
    }

    /// Adds the event `make` builds, when the sink is on.
    pub fn push(&mut self, make: impl FnOnce() -> Event) {
        if self.enabled {
            self.list.push(make());
        }
    }

    /// The events kept.
    pub fn into_events(self) -> Vec<Event> {
        self.list
    }
}

/// A member change over some users of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum MemberOp {
    Add,
    Remove,
    Invite,
    AssignRoles,
    AddModerators,
    DemoteModerators,
    Hide,
    Show,
    Archive,
    Unarchive,
}

impl MemberOp {
    /// Whether every user must already be a member of the channel.
    fn needs_membership(self) -> bool {
        !matches!(self, Self::Add | Self::Remove | Self::Invite)
    }
}

/// A user a member change names, with the channel role to give (when the change gives one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MemberSpec {
    pub user_id: String,
    pub channel_role: Option<String>,
}

/// The channel settings (besides custom data) a data change may set or unset.
pub(crate) const SETTINGS: [&str; 7] = [
    "frozen",
    "disabled",
    "team",
    "auto_translation_enabled",
    "auto_translation_language",
    "config_overrides",
    "cooldown",
];

/// Checks the value of a setting in [`SETTINGS`]; `Err` says what it must be.
pub(crate) fn check_setting(key: &str, v: &Value) -> Result<(), &'static str> {
    let ok = match key {
        "frozen" | "disabled" | "auto_translation_enabled" => v.is_boolean(),
        "team" | "auto_translation_language" => v.is_string(),
        "config_overrides" => v.is_object(),
        "cooldown" => v.as_u64().is_some_and(|n| n <= 120),
        _ => return Err("is not a channel setting"),
    };
    if ok {
        Ok(())
    } else {
        Err(match key {
            "frozen" | "disabled" | "auto_translation_enabled" => "must be a boolean",
            "team" | "auto_translation_language" => "must be a string",
            "config_overrides" => "must be an object",
            _ => "must be an integer of 0..=120 (seconds)",
        })
    }
}

/// A change of a channel's data: settings set (checked with [`check_setting`]) or unset,
/// and its custom data replaced whole, or fields set and unset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct DataChange {
    pub set: Map<String, Value>,
    pub unset: Vec<String>,
    pub custom: Option<Map<String, Value>>,
    pub custom_set: Map<String, Value>,
    pub custom_unset: Vec<String>,
}

/// Why a change failed for one channel (the batch task groups its failures by this text).
fn missing_users(ids: &[String]) -> String {
    match ids {
        [one] => format!("user {one} does not exist"),
        many => format!("users {} do not exist", many.join(", ")),
    }
}

impl AppData {
    /// Applies a member change to the channel `cid`: all or nothing. `hide_history_before`
    /// (adding) hides earlier messages from the new members.
    ///
    /// # Errors
    /// The channel does not exist or is deleted, a user does not exist, or (for the changes
    /// of members) is not a member.
    pub(crate) fn change_members(
        &mut self,
        cid: &str,
        op: MemberOp,
        specs: &[MemberSpec],
        hide_history_before: Option<OffsetDateTime>,
        events: &mut EventSink,
    ) -> Result<(), String> {
        let missing = self.missing_users(specs.iter().map(|s| &s.user_id));
        if !missing.is_empty() && op != MemberOp::Remove {
            return Err(missing_users(&missing));
        }
        let users = &self.users;
        let c = match self.channels.get_mut(cid) {
            Some(c) if c.deleted_at.is_none() => c,
            Some(_) => return Err(format!("channel {cid} was deleted")),
            None => return Err(format!("channel {cid} does not exist")),
        };
        if op.needs_membership()
            && let Some(s) = specs
                .iter()
                .find(|s| !c.members.iter().any(|m| m.user_id == s.user_id))
        {
            return Err(format!("user {} is not a member of the channel", s.user_id));
        }
        let t = now();
        let mut changed = false;
        for s in specs {
            let pos = c.members.iter().position(|m| m.user_id == s.user_id);
            match (op, pos) {
                (MemberOp::Add | MemberOp::Invite, None) => {
                    let role = s.channel_role.as_deref().unwrap_or("channel_member");
                    let mut m = Member::new(&s.user_id, "member", role, t);
                    m.invited = op == MemberOp::Invite;
                    m.hide_messages_before = hide_history_before;
                    c.members.push(m);
                    let m = &c.members[c.members.len() - 1];
                    events.push(|| member_event(ev::MEMBER_ADDED, c, m, users));
                    if op == MemberOp::Invite {
                        events.push(|| member_event(ev::NOTIFICATION_INVITED, c, m, users));
                    }
                    changed = true;
                }
                (MemberOp::Remove, Some(i)) => {
                    let m = c.members.remove(i);
                    events.push(|| member_event(ev::MEMBER_REMOVED, c, &m, users));
                    changed = true;
                }
                (MemberOp::Add | MemberOp::Invite | MemberOp::Remove, _) => {}
                (_, Some(i)) => {
                    let m = &mut c.members[i];
                    let (event, did) = match op {
                        MemberOp::AssignRoles => {
                            let role = s.channel_role.clone().unwrap_or_default();
                            let did = !role.is_empty() && m.channel_role != role;
                            if did {
                                m.channel_role = role;
                            }
                            (ev::MEMBER_UPDATED, did)
                        }
                        MemberOp::AddModerators | MemberOp::DemoteModerators => {
                            let up = op == MemberOp::AddModerators;
                            let role = if up {
                                "channel_moderator"
                            } else {
                                "channel_member"
                            };
                            let did = m.channel_role != role;
                            m.channel_role = role.to_owned();
                            if m.role != "owner" {
                                m.role = if up { "moderator" } else { "member" }.to_owned();
                            }
                            (ev::MEMBER_UPDATED, did)
                        }
                        MemberOp::Hide => {
                            (ev::CHANNEL_HIDDEN, !std::mem::replace(&mut m.hidden, true))
                        }
                        MemberOp::Show => {
                            (ev::CHANNEL_VISIBLE, std::mem::replace(&mut m.hidden, false))
                        }
                        MemberOp::Archive => {
                            let did = m.archived_at.is_none();
                            m.archived_at.get_or_insert(t);
                            (ev::MEMBER_UPDATED, did)
                        }
                        _ => (ev::MEMBER_UPDATED, m.archived_at.take().is_some()),
                    };
                    if did {
                        m.updated_at = t;
                        changed = true;
                        let m = &c.members[i];
                        events.push(|| match event {
                            ev::CHANNEL_HIDDEN | ev::CHANNEL_VISIBLE => {
                                channel_event(event, c, users, Some(&m.user_id))
                            }
                            _ => member_event(event, c, m, users),
                        });
                    }
                }
                (_, None) => {}
            }
        }
        if changed {
            if matches!(op, MemberOp::Add | MemberOp::Invite | MemberOp::Remove) {
                c.updated_at = t;
            }
            self.changes.channel(cid);
        }
        Ok(())
    }

    /// Accepts (`accept`) or rejects the pending invite of `user_id` to `cid`.
    ///
    /// # Errors
    /// The user is not invited to the channel.
    pub(crate) fn answer_invite(
        &mut self,
        cid: &str,
        user_id: &str,
        accept: bool,
        events: &mut EventSink,
    ) -> Result<(), String> {
        let users = &self.users;
        let c = self
            .channels
            .get_mut(cid)
            .ok_or_else(|| format!("channel {cid} does not exist"))?;
        let Some(i) = c
            .members
            .iter()
            .position(|m| m.user_id == user_id && m.invited)
        else {
            return Err(format!("user {user_id} has no pending invite to {cid}"));
        };
        let t = now();
        let m = &mut c.members[i];
        m.invited = false;
        m.updated_at = t;
        if accept {
            m.invite_accepted_at = Some(t);
        } else {
            m.invite_rejected_at = Some(t);
        }
        events.push(|| member_event(ev::MEMBER_UPDATED, c, &c.members[i], users));
        self.changes.channel(cid);
        Ok(())
    }

    /// Applies a data change to the channel `cid`; pushes `channel.updated`, and
    /// `channel.frozen` / `channel.unfrozen` when `frozen` changed. `by` is the acting user.
    ///
    /// # Errors
    /// The channel does not exist or is deleted.
    pub(crate) fn change_data(
        &mut self,
        cid: &str,
        change: &DataChange,
        by: Option<&str>,
        events: &mut EventSink,
    ) -> Result<(), String> {
        let users = &self.users;
        let c = match self.channels.get_mut(cid) {
            Some(c) if c.deleted_at.is_none() => c,
            Some(_) => return Err(format!("channel {cid} was deleted")),
            None => return Err(format!("channel {cid} does not exist")),
        };
        let was_frozen = c.frozen;
        for key in &change.unset {
            match key.as_str() {
                "frozen" => c.frozen = false,
                "disabled" => c.disabled = false,
                "team" => c.team = None,
                k if SETTINGS.contains(&k) => {
                    c.settings.remove(k);
                }
                k => {
                    c.custom.remove(k);
                }
            }
        }
        for (key, v) in &change.set {
            match (key.as_str(), v) {
                ("frozen", Value::Bool(b)) => c.frozen = *b,
                ("disabled", Value::Bool(b)) => c.disabled = *b,
                ("team", Value::String(s)) => c.team = Some(s.clone()).filter(|s| !s.is_empty()),
                _ => {
                    c.settings.insert(key.clone(), v.clone());
                }
            }
        }
        if let Some(custom) = &change.custom {
            c.custom = custom.clone();
        }
        for (k, v) in &change.custom_set {
            c.custom.insert(k.clone(), v.clone());
        }
        for k in &change.custom_unset {
            c.custom.remove(k);
        }
        c.updated_at = now();
        self.changes.channel(cid);
        events.push(|| channel_event(ev::CHANNEL_UPDATED, c, users, by));
        if c.frozen != was_frozen {
            let kind = if c.frozen {
                ev::CHANNEL_FROZEN
            } else {
                ev::CHANNEL_UNFROZEN
            };
            events.push(|| channel_event(kind, c, users, by));
        }
        Ok(())
    }
}
