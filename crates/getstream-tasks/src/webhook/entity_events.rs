//! Typed views of the per-entity events that video and feeds jobs send:
//! `call.deleted`, `feeds.feed.deleted`, `feeds.activity.deleted`. None names
//! a task (no `task_id`); they tell what a job removed.

use serde_json::Value;

use super::WebhookEvent;
use crate::models::Timestamp;

fn non_empty(value: Option<&Value>) -> Option<&str> {
    value?.as_str().filter(|s| !s.is_empty())
}

/// `call.deleted`: a call was deleted (a call delete sends it).
#[derive(Debug, Clone, Copy)]
pub struct CallDeleted<'a> {
    event: &'a WebhookEvent,
}

impl<'a> CallDeleted<'a> {
    pub(super) fn new(event: &'a WebhookEvent) -> Self {
        CallDeleted { event }
    }

    /// The call's `type:id`: the event's `call_cid`, else the `call`
    /// object's `cid`.
    pub fn call_cid(&self) -> Option<&'a str> {
        let json = self.event.json();
        non_empty(json.get("call_cid")).or_else(|| non_empty(json.pointer("/call/cid")))
    }

    /// The call as sent (Stream's `CallResponse`).
    pub fn call(&self) -> Option<&'a Value> {
        self.event.json().get("call")
    }
}

/// `feeds.feed.deleted` (or `feed.deleted`): a feed was deleted.
#[derive(Debug, Clone, Copy)]
pub struct FeedDeleted<'a> {
    event: &'a WebhookEvent,
}

impl<'a> FeedDeleted<'a> {
    pub(super) fn new(event: &'a WebhookEvent) -> Self {
        FeedDeleted { event }
    }

    /// The feed's `group:id`: the event's `fid`, else the `feed` object's
    /// `fid`.
    pub fn fid(&self) -> Option<&'a str> {
        let json = self.event.json();
        non_empty(json.get("fid")).or_else(|| non_empty(json.pointer("/feed/fid")))
    }

    /// The user who deleted the feed (`user.id`), when sent.
    pub fn user_id(&self) -> Option<&'a str> {
        non_empty(self.event.json().pointer("/user/id"))
    }

    /// When Stream created the event.
    pub fn created_at(&self) -> Option<Timestamp> {
        self.event.created_at()
    }
}

/// `feeds.activity.deleted` (or `activity.deleted`): an activity was
/// deleted.
#[derive(Debug, Clone, Copy)]
pub struct ActivityDeleted<'a> {
    event: &'a WebhookEvent,
}

impl<'a> ActivityDeleted<'a> {
    pub(super) fn new(event: &'a WebhookEvent) -> Self {
        ActivityDeleted { event }
    }

    /// The feed the event is about (`fid`).
    pub fn fid(&self) -> Option<&'a str> {
        non_empty(self.event.json().get("fid"))
    }

    /// The activity's id: `activity.id`, else a top-level `activity_id`.
    pub fn activity_id(&self) -> Option<&'a str> {
        let json = self.event.json();
        non_empty(json.pointer("/activity/id")).or_else(|| non_empty(json.get("activity_id")))
    }

    /// The activity as sent (Stream's `ActivityResponse`).
    pub fn activity(&self) -> Option<&'a Value> {
        self.event.json().get("activity")
    }

    /// The activity's author: `activity.user.id`, else `user.id`.
    pub fn user_id(&self) -> Option<&'a str> {
        let json = self.event.json();
        non_empty(json.pointer("/activity/user/id")).or_else(|| non_empty(json.pointer("/user/id")))
    }
}

#[cfg(test)]
mod tests {
    use crate::webhook::{self, EventView, ExportKind};

    #[test]
    fn task_and_entity_events_have_typed_views() {
        let parse = |s: &str| webhook::parse(s.as_bytes()).unwrap();
        for (what, kind) in [
            ("channels", ExportKind::Channels),
            ("users", ExportKind::Users),
            ("bulk_image_moderation", ExportKind::BulkImageModeration),
            ("moderation_logs", ExportKind::ModerationLogs),
            ("review_queue", ExportKind::ReviewQueue),
        ] {
            let ok = parse(&format!(
                r#"{{"type":"export.{what}.success","task_id":"t","url":"u"}}"#
            ));
            match ok.view() {
                EventView::ExportSucceeded(e) => {
                    assert_eq!(
                        (e.kind(), e.task_id(), e.url()),
                        (kind, Some("t"), Some("u"))
                    )
                }
                other => panic!("{what}: {other:?}"),
            }
            let failed = parse(&format!(
                r#"{{"type":"export.{what}.error","task_id":"t","error":"boom"}}"#
            ));
            match failed.view() {
                EventView::ExportFailed(e) => {
                    assert_eq!((e.kind(), e.error()), (kind, Some("boom")))
                }
                other => panic!("{what}: {other:?}"),
            }
        }
        for other in ["export.things.success", "export.users.done", "export.users"] {
            assert!(matches!(
                parse(&format!(r#"{{"type":"{other}"}}"#)).view(),
                EventView::Other
            ));
        }

        let call = parse(r#"{"type":"call.deleted","call":{"cid":"default:c1"}}"#);
        let EventView::CallDeleted(deleted) = call.view() else {
            panic!()
        };
        assert_eq!(deleted.call_cid(), Some("default:c1"));
        assert!(deleted.call().is_some());

        for t in ["feeds.feed.deleted", "feed.deleted"] {
            let feed = parse(&format!(
                r#"{{"type":"{t}","fid":"user:a","user":{{"id":"a"}}}}"#
            ));
            let EventView::FeedDeleted(deleted) = feed.view() else {
                panic!("{t}")
            };
            assert_eq!(
                (deleted.fid(), deleted.user_id()),
                (Some("user:a"), Some("a"))
            );
        }
        let activity = parse(
            r#"{"type":"feeds.activity.deleted","fid":"user:a","activity":{"id":"x1","user":{"id":"a"}}}"#,
        );
        let EventView::ActivityDeleted(deleted) = activity.view() else {
            panic!()
        };
        assert_eq!(deleted.activity_id(), Some("x1"));
        assert_eq!(
            (deleted.fid(), deleted.user_id()),
            (Some("user:a"), Some("a"))
        );
        let empty = parse(r#"{"type":"activity.deleted","fid":""}"#);
        let EventView::ActivityDeleted(deleted) = empty.view() else {
            panic!()
        };
        assert_eq!((deleted.fid(), deleted.activity_id()), (None, None));
    }
}
