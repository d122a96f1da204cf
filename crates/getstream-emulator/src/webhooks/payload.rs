//! The events the emulator sends, with the fields of Stream's spec (`WHEvent`). Timestamps are
//! Unix nanoseconds, as in the rest of the v2 API and as the official SDKs' event models
//! decode them.

use std::borrow::Cow;

use serde_json::{Map, Value};

/// `export.channels.success`: an export-channels task completed (`url` downloads the file).
pub const EXPORT_CHANNELS_SUCCESS: &str = "export.channels.success";
/// `export.channels.error`: an export-channels task failed (`error` says why).
pub const EXPORT_CHANNELS_ERROR: &str = "export.channels.error";
/// `export.users.success`: an export-users task completed.
pub const EXPORT_USERS_SUCCESS: &str = "export.users.success";
/// `export.users.error`: an export-users task failed.
pub const EXPORT_USERS_ERROR: &str = "export.users.error";
/// `export.bulk_image_moderation.success`: a bulk image moderation task completed (`url`
/// downloads the results CSV).
pub const EXPORT_BULK_IMAGE_MODERATION_SUCCESS: &str = "export.bulk_image_moderation.success";
/// `export.bulk_image_moderation.error`: a bulk image moderation task failed.
pub const EXPORT_BULK_IMAGE_MODERATION_ERROR: &str = "export.bulk_image_moderation.error";
/// `channel.deleted`: a channel was deleted (at once, or by a delete-channels task).
pub const CHANNEL_DELETED: &str = "channel.deleted";
/// `user.deleted`: a delete-users task deleted a user.
pub const USER_DELETED: &str = "user.deleted";
/// `user.deactivated`: a deactivate-users task deactivated a user.
pub const USER_DEACTIVATED: &str = "user.deactivated";
/// `user.reactivated`: a reactivate-users task reactivated a user.
pub const USER_REACTIVATED: &str = "user.reactivated";
/// `member.removed`: a user's membership of a channel was removed (by a membership
/// deletion task).
pub const MEMBER_REMOVED: &str = "member.removed";

/// One event to deliver: its type, the task it reports on (if any) and the JSON body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Event {
    pub event_type: Cow<'static, str>,
    pub task_id: Option<String>,
    pub body: Value,
}

/// Which export finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExportKind {
    Channels,
    Users,
    BulkImageModeration,
}

/// The wall clock in Unix nanoseconds (the clock task timestamps use).
pub(crate) fn now_ns() -> i64 {
    i64::try_from(crate::jobs::task::unix_ns()).unwrap_or(i64::MAX)
}

pub(super) fn base(event_type: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("type".into(), event_type.into());
    m.insert("created_at".into(), now_ns().into());
    m.insert("custom".into(), Value::Object(Map::new()));
    m
}

/// `export.{channels,users}.{success,error}`: `Ok(url)` or `Err(error description)`.
pub(crate) fn export_finished(
    kind: ExportKind,
    task_id: &str,
    outcome: Result<&str, &str>,
    started_at_ns: i64,
    finished_at_ns: i64,
) -> Event {
    let event_type = match (kind, outcome.is_ok()) {
        (ExportKind::Channels, true) => EXPORT_CHANNELS_SUCCESS,
        (ExportKind::Channels, false) => EXPORT_CHANNELS_ERROR,
        (ExportKind::Users, true) => EXPORT_USERS_SUCCESS,
        (ExportKind::Users, false) => EXPORT_USERS_ERROR,
        (ExportKind::BulkImageModeration, true) => EXPORT_BULK_IMAGE_MODERATION_SUCCESS,
        (ExportKind::BulkImageModeration, false) => EXPORT_BULK_IMAGE_MODERATION_ERROR,
    };
    let mut m = base(event_type);
    m.insert("task_id".into(), task_id.into());
    m.insert("started_at".into(), started_at_ns.into());
    m.insert("finished_at".into(), finished_at_ns.into());
    match outcome {
        Ok(url) => m.insert("url".into(), url.into()),
        Err(error) => m.insert("error".into(), error.into()),
    };
    Event {
        event_type: event_type.into(),
        task_id: Some(task_id.to_owned()),
        body: Value::Object(m),
    }
}

/// `channel.deleted`, with the channel as it was (`shapes::channel`), its cid, type and id.
pub(crate) fn channel_deleted(cid: &str, channel: Value) -> Event {
    let (kind, id) = cid.split_once(':').unwrap_or(("", cid));
    let mut m = base(CHANNEL_DELETED);
    m.insert("cid".into(), cid.into());
    m.insert("channel_type".into(), kind.into());
    m.insert("channel_id".into(), id.into());
    if let Some(n) = channel.get("member_count").cloned() {
        m.insert("channel_member_count".into(), n);
    }
    m.insert("channel".into(), channel);
    Event {
        event_type: CHANNEL_DELETED.into(),
        task_id: None,
        body: Value::Object(m),
    }
}

/// How a delete-users task deleted: the request's modes (`soft`, `pruning`, `hard`; empty when
/// not asked for).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UserDeletion {
    pub user: String,
    pub messages: String,
    pub conversations: String,
}

/// `user.deleted`, with the user as it was before (`shapes::user`).
pub(crate) fn user_deleted(user: Value, how: &UserDeletion) -> Event {
    let mut m = base(USER_DELETED);
    m.insert("user".into(), user);
    m.insert("delete_user".into(), how.user.as_str().into());
    m.insert("delete_messages".into(), how.messages.as_str().into());
    m.insert(
        "delete_conversation".into(),
        how.conversations.as_str().into(),
    );
    m.insert(
        "delete_conversation_channels".into(),
        (!how.conversations.is_empty()).into(),
    );
    m.insert("hard_delete".into(), (how.user == "hard").into());
    m.insert(
        "mark_messages_deleted".into(),
        matches!(how.messages.as_str(), "soft" | "pruning").into(),
    );
    Event {
        event_type: USER_DELETED.into(),
        task_id: None,
        body: Value::Object(m),
    }
}

/// `user.deactivated` (`active: false`) or `user.reactivated`, with the user after the change
/// and, when the request named one, `created_by`.
pub(crate) fn user_activation(user: Value, created_by: Option<Value>, active: bool) -> Event {
    let event_type = if active {
        USER_REACTIVATED
    } else {
        USER_DEACTIVATED
    };
    let mut m = base(event_type);
    m.insert("user".into(), user);
    if let Some(by) = created_by {
        m.insert("created_by".into(), by);
    }
    Event {
        event_type: event_type.into(),
        task_id: None,
        body: Value::Object(m),
    }
}

/// `member.removed`, with the channel after the removal (`shapes::channel`), the member
/// removed (`shapes::member`) and its user.
pub(crate) fn member_removed(cid: &str, channel: Value, member: Value) -> Event {
    let (kind, id) = cid.split_once(':').unwrap_or(("", cid));
    let mut m = base(MEMBER_REMOVED);
    m.insert("cid".into(), cid.into());
    m.insert("channel_type".into(), kind.into());
    m.insert("channel_id".into(), id.into());
    for (from, to) in [("member_count", "channel_member_count"), ("team", "team")] {
        if let Some(v) = channel.get(from).cloned() {
            m.insert(to.into(), v);
        }
    }
    if let Some(user) = member.get("user").cloned() {
        m.insert("user".into(), user);
    }
    m.insert("member".into(), member);
    m.insert("channel".into(), channel);
    Event {
        event_type: MEMBER_REMOVED.into(),
        task_id: None,
        body: Value::Object(m),
    }
}

/// An event of the caller's own: any JSON object with a non-empty string `type`; its
/// `task_id`, when a string, is recorded with the delivery.
pub(crate) fn custom(body: Value) -> Result<Event, String> {
    let event_type = match body.get("type") {
        Some(Value::String(t)) if !t.is_empty() => t.clone(),
        _ => return Err("must be a JSON object with a non-empty string \"type\"".to_owned()),
    };
    let task_id = body
        .get("task_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(Event {
        event_type: event_type.into(),
        task_id,
        body,
    })
}

/// The body of an event built from parts, for tests of receivers.
#[cfg(test)]
pub(crate) fn sample() -> Event {
    export_finished(
        ExportKind::Channels,
        "task-1",
        Ok("http://127.0.0.1/_emulator/exports/x.json"),
        1,
        2,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn export_events_carry_the_spec_fields() {
        let e = export_finished(ExportKind::Users, "t", Err("disk full"), 10, 20);
        assert_eq!(e.event_type, EXPORT_USERS_ERROR);
        assert_eq!(e.task_id.as_deref(), Some("t"));
        let b = &e.body;
        assert_eq!(b["type"], EXPORT_USERS_ERROR);
        assert_eq!(b["error"], "disk full");
        assert!(b.get("url").is_none());
        assert_eq!(b["started_at"], 10);
        assert_eq!(b["finished_at"], 20);
        assert_eq!(b["custom"], json!({}));
        assert!(b["created_at"].as_i64().unwrap() > 1_600_000_000_000_000_000);
        let ok = export_finished(ExportKind::Channels, "t", Ok("http://u"), 1, 2);
        assert_eq!(ok.body["type"], EXPORT_CHANNELS_SUCCESS);
        assert_eq!(ok.body["url"], "http://u");
    }

    #[test]
    fn entity_events_name_their_entity() {
        let c = channel_deleted(
            "messaging:general",
            json!({"cid": "messaging:general", "member_count": 2}),
        );
        assert_eq!(c.body["channel_type"], "messaging");
        assert_eq!(c.body["channel_id"], "general");
        assert_eq!(c.body["channel_member_count"], 2);
        let how = UserDeletion {
            user: "hard".into(),
            messages: "soft".into(),
            conversations: String::new(),
        };
        let u = user_deleted(json!({"id": "u1"}), &how);
        assert_eq!(u.body["user"]["id"], "u1");
        assert_eq!(u.body["hard_delete"], true);
        assert_eq!(u.body["mark_messages_deleted"], true);
        assert_eq!(u.body["delete_conversation_channels"], false);
        let r = user_activation(json!({"id": "u1"}), None, true);
        assert_eq!(r.event_type, USER_REACTIVATED);
        assert!(r.body.get("created_by").is_none());
    }
}
