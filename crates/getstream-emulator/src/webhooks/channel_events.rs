//! The per-channel events of channel updates (one call, or a channel batch update task):
//! members added, removed, updated or invited, the channel updated, frozen, hidden, shown.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::data::app_data::{Channel, Member, User};
use crate::data::shapes;

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

/// `channel_batch_update.started`: a channel batch update task began.
pub const CHANNEL_BATCH_STARTED: &str = "channel_batch_update.started";
/// `channel_batch_update.completed`: a channel batch update task ended.
pub const CHANNEL_BATCH_COMPLETED: &str = "channel_batch_update.completed";

/// What a channel batch update event reports: the task, its operation and its progress.
#[derive(Debug, Clone)]
pub(crate) struct BatchProgress<'a> {
    pub task_id: &'a str,
    pub operation: &'a str,
    pub success_channels_count: usize,
    /// `[{reason, cids}]`.
    pub failed_channels: Value,
    pub batch_created_at_ns: i64,
    /// The end of the task; the started event, which the spec gives the field too, carries
    /// its own time.
    pub finished_at_ns: i64,
}

/// `channel_batch_update.started` (`completed` false) or `.completed`, naming the task.
pub(crate) fn batch_event(p: &BatchProgress<'_>, completed: bool) -> Event {
    let (event_type, status) = if completed {
        (CHANNEL_BATCH_COMPLETED, "completed")
    } else {
        (CHANNEL_BATCH_STARTED, "started")
    };
    let mut body = base(event_type);
    body.insert("task_id".into(), p.task_id.into());
    body.insert("operation".into(), p.operation.into());
    body.insert("status".into(), status.into());
    body.insert("failed_channels".into(), p.failed_channels.clone());
    body.insert(
        "success_channels_count".into(),
        p.success_channels_count.into(),
    );
    body.insert("batch_created_at".into(), p.batch_created_at_ns.into());
    body.insert("finished_at".into(), p.finished_at_ns.into());
    Event {
        event_type: event_type.into(),
        task_id: Some(p.task_id.to_owned()),
        body: Value::Object(body),
    }
}
