//! The per-entity webhook events of the feeds tasks: `feed.deleted` and `activity.deleted`
//! (fields of the Python SDK's `FeedDeletedEvent` and `ActivityDeletedEvent`). No
//! `task_id`: Stream's events name the entity, not the task.

use serde_json::{Map, Value};

use super::model::{Activity, Feed, FeedsData};
use super::shapes;
use crate::webhooks::payload::{Event, now_ns};

/// `feed.deleted`.
pub(crate) const FEED_DELETED: &str = "feed.deleted";
/// `activity.deleted`.
pub(crate) const ACTIVITY_DELETED: &str = "activity.deleted";

fn base(event_type: &'static str, fid: &str, user_id: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("type".into(), event_type.into());
    m.insert("created_at".into(), now_ns().into());
    m.insert("custom".into(), Value::Object(Map::new()));
    m.insert("fid".into(), fid.into());
    m.insert("user".into(), shapes::user(user_id));
    m
}

/// `feed.deleted` with the feed's `fid` and owner.
pub(crate) fn feed_deleted(f: &Feed) -> Event {
    Event {
        event_type: FEED_DELETED.into(),
        task_id: None,
        body: Value::Object(base(FEED_DELETED, &f.fid(), &f.created_by_id)),
    }
}

/// `activity.deleted` with the activity as it was and its first feed as `fid`.
pub(crate) fn activity_deleted(d: &FeedsData, a: &Activity) -> Event {
    let fid = a.feeds.first().map_or("", String::as_str);
    let mut m = base(ACTIVITY_DELETED, fid, &a.user_id);
    m.insert("activity".into(), shapes::activity(d, a));
    Event {
        event_type: ACTIVITY_DELETED.into(),
        task_id: None,
        body: Value::Object(m),
    }
}
