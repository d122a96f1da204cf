//! JSON shapes of users, channels, members and messages, as Stream's v2 API returns them
//! (every field the official SDKs' strict models require is present).

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::data::app_data::{Channel, Member, Message, User};

/// A timestamp as Stream's v2 API sends it: Unix nanoseconds, a JSON integer.
pub(crate) fn ts(t: OffsetDateTime) -> Value {
    Value::from(i64::try_from(t.unix_timestamp_nanos()).unwrap_or(i64::MAX))
}

fn opt_ts(t: Option<OffsetDateTime>) -> Value {
    t.map_or(Value::Null, ts)
}

/// Custom data that does not shadow the standard fields, and the names that go top-level.
const TOP_LEVEL_USER_FIELDS: [&str; 3] = ["name", "image", "language"];

pub(crate) fn user(u: &User) -> Value {
    let mut custom = Map::new();
    let mut top = Map::new();
    for (k, v) in &u.custom {
        if TOP_LEVEL_USER_FIELDS.contains(&k.as_str()) {
            top.insert(k.clone(), v.clone());
        } else {
            custom.insert(k.clone(), v.clone());
        }
    }
    let mut out = json!({
        "id": u.id,
        "role": u.role,
        "custom": custom,
        "created_at": ts(u.created_at),
        "updated_at": ts(u.updated_at),
        "banned": false,
        "online": false,
        "invisible": false,
        "shadow_banned": false,
        "language": "",
        "teams": u.teams,
        "blocked_user_ids": [],
        "avg_response_time": null,
        "deleted_at": opt_ts(u.deleted_at),
        "deactivated_at": opt_ts(u.deactivated_at),
        "last_active": null,
    });
    if let Value::Object(o) = &mut out {
        for (k, v) in top {
            o.insert(k, v);
        }
        o.retain(|_, v| !v.is_null());
    }
    out
}

/// A `FullUserResponse` (the values of the upsert-users response).
pub(crate) fn full_user(u: &User) -> Value {
    let mut out = user(u);
    if let Value::Object(o) = &mut out {
        for k in [
            "total_unread_count",
            "unread_channels",
            "unread_count",
            "unread_threads",
        ] {
            o.insert(k.to_owned(), Value::from(0));
        }
        for k in ["channel_mutes", "devices", "mutes"] {
            o.insert(k.to_owned(), Value::Array(Vec::new()));
        }
    }
    out
}

fn user_or_stub(id: &str, users: &std::collections::BTreeMap<String, User>) -> Value {
    match users.get(id) {
        Some(u) => user(u),
        None => {
            let t = OffsetDateTime::UNIX_EPOCH;
            user(&User {
                id: id.to_owned(),
                role: "user".to_owned(),
                custom: Map::new(),
                created_at: t,
                updated_at: t,
                deleted_at: Some(t),
                deactivated_at: None,
                teams: Vec::new(),
            })
        }
    }
}

pub(crate) fn member(m: &Member, users: &std::collections::BTreeMap<String, User>) -> Value {
    let mut out = json!({
        "user_id": m.user_id,
        "user": user_or_stub(&m.user_id, users),
        "role": m.role,
        "channel_role": m.channel_role,
        "is_moderator": m.channel_role == "channel_moderator",
        "custom": {},
        "banned": false,
        "shadow_banned": false,
        "notifications_muted": false,
        "created_at": ts(m.created_at),
        "updated_at": ts(m.updated_at),
        "invited": m.invited.then_some(true),
        "invite_accepted_at": opt_ts(m.invite_accepted_at),
        "invite_rejected_at": opt_ts(m.invite_rejected_at),
        "archived_at": opt_ts(m.archived_at),
    });
    if let Value::Object(o) = &mut out {
        o.retain(|_, v| !v.is_null());
    }
    out
}

pub(crate) fn message(
    m: &Message,
    cid: &str,
    users: &std::collections::BTreeMap<String, User>,
) -> Value {
    let deleted = m.deleted_at.is_some();
    let mut out = json!({
        "id": m.id,
        "cid": cid,
        "text": m.text,
        "html": if m.text.is_empty() { String::new() } else { format!("<p>{}</p>\n", html_escape(&m.text)) },
        "type": if deleted { "deleted" } else if m.system { "system" } else { "regular" },
        "user": user_or_stub(&m.user_id, users),
        "custom": m.custom,
        "attachments": [],
        "latest_reactions": [],
        "own_reactions": [],
        "mentioned_users": [],
        "reaction_counts": {},
        "reaction_scores": {},
        "reaction_groups": null,
        "restricted_visibility": [],
        "reply_count": 0,
        "deleted_reply_count": 0,
        "pinned": false,
        "mentioned_channel": false,
        "mentioned_here": false,
        "shadowed": false,
        "silent": false,
        "created_at": ts(m.created_at),
        "updated_at": ts(m.updated_at),
        "deleted_at": opt_ts(m.deleted_at),
    });
    if let Value::Object(o) = &mut out {
        o.retain(|_, v| !v.is_null());
    }
    out
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn channel_config(kind: &str) -> Value {
    let t = ts(OffsetDateTime::UNIX_EPOCH);
    json!({
        "name": kind,
        "created_at": t,
        "updated_at": t,
        "automod": "disabled",
        "automod_behavior": "flag",
        "max_message_length": 5000,
        "message_retention": "infinite",
        "commands": [],
        "typing_events": true,
        "read_events": true,
        "connect_events": true,
        "search": true,
        "reactions": true,
        "replies": true,
        "quotes": true,
        "mutes": true,
        "uploads": true,
        "url_enrichment": true,
        "custom_events": true,
        "push_notifications": true,
        "reminders": false,
        "mark_messages_pending": false,
        "polls": false,
        "skip_last_msg_update_for_system_msgs": false,
        "user_message_reminders": false,
        "shared_locations": false,
        "count_messages": false,
        "delivery_events": false,
    })
}

/// A channel as the state view shows it: its fields, its members and the given window of
/// its messages (all of them in the full snapshot, a page in the paged view).
pub(crate) fn channel_with<'a>(
    c: &'a Channel,
    users: &std::collections::BTreeMap<String, User>,
    messages: impl Iterator<Item = &'a Message>,
) -> Value {
    let cid = c.cid();
    let mut ch = channel(c, users);
    ch["members"] = c.members.iter().map(|m| member(m, users)).collect();
    ch["messages"] = messages.map(|m| message(m, &cid, users)).collect();
    ch
}

pub(crate) fn channel(c: &Channel, users: &std::collections::BTreeMap<String, User>) -> Value {
    let cid = c.cid();
    let last_message_at = c
        .visible_messages()
        .filter(|m| m.deleted_at.is_none())
        .map(|m| m.created_at)
        .max();
    let mut out = json!({
        "id": c.id,
        "type": c.kind,
        "cid": cid,
        "custom": c.custom,
        "created_at": ts(c.created_at),
        "updated_at": ts(c.updated_at),
        "deleted_at": opt_ts(c.deleted_at),
        "last_message_at": opt_ts(last_message_at),
        "member_count": c.members.len(),
        "disabled": c.disabled,
        "frozen": c.frozen,
        "team": c.team,
        "hidden": false,
        "blocked": false,
        "config": channel_config(&c.kind),
        "created_by": c.created_by_id.as_deref().map(|id| user_or_stub(id, users)),
        "truncated_at": opt_ts(c.truncated_at),
        "truncated_by": c.truncated_by_id.as_deref().map(|id| user_or_stub(id, users)),
        "team": c.team,
    });
    if let Value::Object(o) = &mut out {
        for (k, v) in &c.settings {
            o.insert(k.clone(), v.clone());
        }
        o.retain(|_, v| !v.is_null());
    }
    out
}

/// The `ChannelStateResponse` body of get-or-create.
pub(crate) fn channel_state(
    c: &Channel,
    users: &std::collections::BTreeMap<String, User>,
    message_limit: usize,
    duration: String,
) -> Value {
    let cid = c.cid();
    let visible = c.visible_messages().count();
    let skip = visible.saturating_sub(message_limit);
    json!({
        "channel": channel(c, users),
        "members": c.members.iter().map(|m| member(m, users)).collect::<Vec<_>>(),
        "messages": c.visible_messages().skip(skip).map(|m| message(m, &cid, users)).collect::<Vec<_>>(),
        "pinned_messages": [],
        "read": [],
        "threads": [],
        "watchers": [],
        "watcher_count": 0,
        "hidden": false,
        "duration": duration,
    })
}
