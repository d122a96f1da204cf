//! The per-channel events of channel updates (one call, or a channel batch update task):
//! members added, removed, updated or invited, the channel updated, frozen, hidden, shown.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::shapes;
use crate::store::{Channel, Member, User};

use super::payload::{Event, base};

/// `member.added`: a user became a member.
pub const MEMBER_ADDED: &str = "member.added";
/// `member.removed`: a member left or was removed.
pub const MEMBER_REMOVED: &str = "member.removed";
/// `member.updated`: a member's role, moderation or archive state changed.
pub const MEMBER_UPDATED: &str = "member.updated";
/// `notification.invited`: a user was invited to a channel.
pub const NOTIFICATION_INVITED: &str = "notification.invited";
/// `channel.updated`: a channel's data changed.
pub const CHANNEL_UPDATED: &str = "channel.updated";
/// `channel.frozen`: a channel was frozen.
pub const CHANNEL_FROZEN: &str = "channel.frozen";
/// `channel.unfrozen`: a channel was unfrozen.
pub const CHANNEL_UNFROZEN: &str = "channel.unfrozen";
/// `channel.hidden`: a channel was hidden for a user.
pub const CHANNEL_HIDDEN: &str = "channel.hidden";
/// `channel.visible`: a hidden channel was shown again for a user.
pub const CHANNEL_VISIBLE: &str = "channel.visible";

/// The fields every channel event has: `cid`, `channel_type`, `channel_id`, member count
/// and team.
fn channel_base(event_type: &'static str, c: &Channel) -> Map<String, Value> {
    let mut m = base(event_type);
    m.insert("cid".into(), c.cid().into());
    m.insert("channel_type".into(), c.kind.clone().into());
    m.insert("channel_id".into(), c.id.clone().into());
    m.insert("channel_member_count".into(), c.members.len().into());
    if let Some(team) = &c.team {
        m.insert("team".into(), team.clone().into());
    }
    m
}

fn event(event_type: &'static str, body: Map<String, Value>) -> Event {
    Event {
        event_type: event_type.into(),
        task_id: None,
        body: Value::Object(body),
    }
}

/// A member event (`member.added`, `member.removed`, `member.updated`,
/// `notification.invited`) for `m` of `c`, with the member and its user.
pub(crate) fn member_event(
    event_type: &'static str,
    c: &Channel,
    m: &Member,
    users: &BTreeMap<String, User>,
) -> Event {
    let mut body = channel_base(event_type, c);
    let member = shapes::member(m, users);
    if let Some(user) = member.get("user").cloned() {
        body.insert("user".into(), user);
    }
    body.insert("member".into(), member);
    if event_type == NOTIFICATION_INVITED {
        body.insert("channel".into(), shapes::channel(c, users));
    }
    event(event_type, body)
}

/// A channel event (`channel.updated`, `.frozen`, `.unfrozen`, `.hidden`, `.visible`) with
/// the channel as it is now, and the acting user when there is one.
pub(crate) fn channel_event(
    event_type: &'static str,
    c: &Channel,
    users: &BTreeMap<String, User>,
    user_id: Option<&str>,
) -> Event {
    let mut body = channel_base(event_type, c);
    body.insert("channel".into(), shapes::channel(c, users));
    if let Some(u) = user_id.and_then(|id| users.get(id)) {
        body.insert("user".into(), shapes::user(u));
    }
    if event_type == CHANNEL_HIDDEN {
        body.insert("clear_history".into(), false.into());
    }
    event(event_type, body)
}
