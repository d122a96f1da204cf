//! [`WebhookEvent`]: one event Stream pushed, with typed views of the events
//! that concern asynchronous tasks.

use serde_json::Value;

use crate::error::{WebhookError, WebhookErrorKind as Kind};
use crate::models::Timestamp;

/// One event pushed by Stream (webhook, SQS or SNS), as JSON with a
/// non-empty string `type`.
///
/// Any `type` is valid, known or not: [`event_type`](Self::event_type) and
/// [`json`](Self::json) read every event, and [`view`](Self::view) gives typed
/// access to the events about asynchronous tasks. Accessors are lenient: a
/// field that is missing or of another type reads as `None`.
///
/// ```
/// use getstream_tasks::webhook::{self, EventView};
///
/// let body = br#"{"type":"export.channels.success","task_id":"t1","url":"https://x/e.json",
///                 "created_at":"2025-01-02T03:04:05Z","custom":{}}"#;
/// let event = webhook::parse(body)?;
/// assert_eq!(event.event_type(), "export.channels.success");
/// assert_eq!(event.task_id(), Some("t1"));
/// match event.view() {
///     EventView::ExportSucceeded(export) => assert_eq!(export.url(), Some("https://x/e.json")),
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok::<(), getstream_tasks::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    json: Value,
}

impl WebhookEvent {
    /// Decodes the JSON bytes of one event.
    pub(crate) fn from_slice(bytes: &[u8]) -> Result<WebhookEvent, WebhookError> {
        let json: Value = serde_json::from_slice(bytes).map_err(|e| {
            WebhookError::with_source(Kind::InvalidJson, "the payload is not valid JSON", e)
        })?;
        WebhookEvent::from_json(json)
    }

    /// An event from JSON already decoded, e.g. by your own web framework
    /// (after verifying the signature over the raw bytes).
    ///
    /// # Errors
    ///
    /// [`Error::Webhook`](crate::Error::Webhook) with
    /// [`InvalidJson`](super::WebhookErrorKind::InvalidJson) when `json` is not
    /// an object, [`MissingType`](super::WebhookErrorKind::MissingType) when it
    /// has no non-empty string `type`.
    pub fn from_value(json: Value) -> crate::Result<WebhookEvent> {
        Ok(WebhookEvent::from_json(json)?)
    }

    fn from_json(json: Value) -> Result<WebhookEvent, WebhookError> {
        let Some(object) = json.as_object() else {
            return Err(WebhookError::new(
                Kind::InvalidJson,
                "the payload is not a JSON object",
            ));
        };
        match object.get("type") {
            Some(Value::String(t)) if !t.trim().is_empty() => Ok(WebhookEvent { json }),
            _ => Err(WebhookError::new(
                Kind::MissingType,
                "the event has no string `type`",
            )),
        }
    }

    /// The event's `type`, e.g. `"export.users.success"` or `"user.deleted"`.
    pub fn event_type(&self) -> &str {
        self.str_field("type").unwrap_or_default()
    }

    /// The `task_id` of a task event (exports, channel batch updates).
    pub fn task_id(&self) -> Option<&str> {
        self.str_field("task_id").filter(|id| !id.is_empty())
    }

    /// When Stream created the event (`created_at`: integer or float Unix
    /// nanoseconds, float seconds, or RFC 3339).
    pub fn created_at(&self) -> Option<Timestamp> {
        self.timestamp("created_at")
    }

    /// The event's `custom` object, if any.
    pub fn custom(&self) -> Option<&serde_json::Map<String, Value>> {
        self.json.get("custom")?.as_object()
    }

    /// The whole event as JSON.
    pub fn json(&self) -> &Value {
        &self.json
    }

    /// Takes the JSON out of the event.
    pub fn into_json(self) -> Value {
        self.json
    }

    pub(crate) fn str_field(&self, name: &str) -> Option<&str> {
        self.json.get(name)?.as_str()
    }

    fn timestamp(&self, name: &str) -> Option<Timestamp> {
        timestamp(self.json.get(name)?)
    }
}

/// What an export exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportKind {
    /// `export.channels.*`.
    Channels,
    /// `export.users.*`.
    Users,
    /// `export.bulk_image_moderation.*`: a bulk image moderation's results file.
    BulkImageModeration,
    /// `export.moderation_logs.*`.
    ModerationLogs,
    /// `export.review_queue.*`.
    ReviewQueue,
}

/// The export an `export.<what>.<outcome>` event type names, if it is one.
pub(super) fn export_kind_of(event_type: &str) -> Option<ExportKind> {
    let what = event_type.strip_prefix("export.")?;
    let (what, outcome) = what.rsplit_once('.')?;
    if outcome != "success" && outcome != "error" {
        return None;
    }
    Some(match what {
        "channels" => ExportKind::Channels,
        "users" => ExportKind::Users,
        "bulk_image_moderation" => ExportKind::BulkImageModeration,
        "moderation_logs" => ExportKind::ModerationLogs,
        "review_queue" => ExportKind::ReviewQueue,
        _ => return None,
    })
}

fn export_kind(event: &WebhookEvent) -> ExportKind {
    export_kind_of(event.event_type()).unwrap_or(ExportKind::Channels)
}

/// An export that finished: `export.<what>.success` (channels, users, bulk
/// image moderation, moderation logs, review queue).
#[derive(Debug, Clone, Copy)]
pub struct ExportSucceeded<'a> {
    pub(super) event: &'a WebhookEvent,
}

impl<'a> ExportSucceeded<'a> {
    /// What was exported.
    pub fn kind(&self) -> ExportKind {
        export_kind(self.event)
    }
    /// The export task's id.
    pub fn task_id(&self) -> Option<&'a str> {
        self.event.task_id()
    }
    /// Where to download the export.
    pub fn url(&self) -> Option<&'a str> {
        self.event.str_field("url")
    }
    /// When the export started.
    pub fn started_at(&self) -> Option<Timestamp> {
        self.event.timestamp("started_at")
    }
    /// When the export finished.
    pub fn finished_at(&self) -> Option<Timestamp> {
        self.event.timestamp("finished_at")
    }
}

/// An export that failed: `export.<what>.error`.
#[derive(Debug, Clone, Copy)]
pub struct ExportFailed<'a> {
    pub(super) event: &'a WebhookEvent,
}

impl<'a> ExportFailed<'a> {
    /// What was exported.
    pub fn kind(&self) -> ExportKind {
        export_kind(self.event)
    }
    /// The export task's id.
    pub fn task_id(&self) -> Option<&'a str> {
        self.event.task_id()
    }
    /// What went wrong.
    pub fn error(&self) -> Option<&'a str> {
        self.event.str_field("error")
    }
    /// When the export started.
    pub fn started_at(&self) -> Option<Timestamp> {
        self.event.timestamp("started_at")
    }
    /// When the export ended.
    pub fn finished_at(&self) -> Option<Timestamp> {
        self.event.timestamp("finished_at")
    }
}

/// `channel_batch_update.started` / `channel_batch_update.completed`.
#[derive(Debug, Clone, Copy)]
pub struct ChannelBatchUpdate<'a> {
    pub(super) event: &'a WebhookEvent,
}

impl<'a> ChannelBatchUpdate<'a> {
    /// Whether this is the `completed` event (else `started`).
    pub fn is_completed(&self) -> bool {
        self.event.event_type() == "channel_batch_update.completed"
    }
    /// The batch update task's id.
    pub fn task_id(&self) -> Option<&'a str> {
        self.event.task_id()
    }
    /// The batch operation, e.g. `"addMembers"`.
    pub fn operation(&self) -> Option<&'a str> {
        self.event.str_field("operation")
    }
    /// The batch's status as sent.
    pub fn status(&self) -> Option<&'a str> {
        self.event.str_field("status")
    }
    /// The channels the update failed for, as sent.
    pub fn failed_channels(&self) -> &'a [Value] {
        self.event
            .json
            .get("failed_channels")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
    /// How many channels were updated.
    pub fn success_channels_count(&self) -> Option<u64> {
        self.event.json.get("success_channels_count")?.as_u64()
    }
    /// When the batch ended.
    pub fn finished_at(&self) -> Option<Timestamp> {
        self.event.timestamp("finished_at")
    }
}

/// `channel.deleted`: one channel removed (a channel delete task sends one
/// per channel).
#[derive(Debug, Clone, Copy)]
pub struct ChannelDeleted<'a> {
    pub(super) event: &'a WebhookEvent,
}

impl<'a> ChannelDeleted<'a> {
    /// The channel's `type:id`: the event's `cid`, else the `channel`
    /// object's `cid`, else `channel_type:channel_id`.
    pub fn cid(&self) -> Option<String> {
        let json = &self.event.json;
        if let Some(cid) = self.event.str_field("cid").filter(|c| !c.is_empty()) {
            return Some(cid.to_owned());
        }
        if let Some(cid) = json.pointer("/channel/cid").and_then(Value::as_str) {
            return Some(cid.to_owned());
        }
        match (
            self.event.str_field("channel_type"),
            self.event.str_field("channel_id"),
        ) {
            (Some(t), Some(id)) if !t.is_empty() && !id.is_empty() => Some(format!("{t}:{id}")),
            _ => None,
        }
    }
}

/// What happened to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserAction {
    /// `user.deleted`.
    Deleted,
    /// `user.deactivated`.
    Deactivated,
    /// `user.reactivated`.
    Reactivated,
}

/// `user.deleted`, `user.deactivated` or `user.reactivated` (the user jobs
/// send one per user).
#[derive(Debug, Clone, Copy)]
pub struct UserEvent<'a> {
    pub(super) event: &'a WebhookEvent,
}

impl<'a> UserEvent<'a> {
    /// Which of the three events this is.
    pub fn action(&self) -> UserAction {
        match self.event.event_type() {
            "user.deleted" => UserAction::Deleted,
            "user.deactivated" => UserAction::Deactivated,
            _ => UserAction::Reactivated,
        }
    }
    /// The user's id: `user.id`, else a top-level `user_id`.
    pub fn user_id(&self) -> Option<&'a str> {
        self.event
            .json
            .pointer("/user/id")
            .and_then(Value::as_str)
            .or_else(|| self.event.str_field("user_id"))
            .filter(|id| !id.is_empty())
    }
    /// For `user.deleted`: whether it was a hard delete, when sent.
    pub fn hard_delete(&self) -> Option<bool> {
        self.event.json.get("hard_delete")?.as_bool()
    }
}

/// Unix nanoseconds (the spec), RFC 3339 (the docs' examples), or a number
/// small enough to only make sense as seconds (below 10^12: as nanoseconds
/// that would be January 1970), which some senders use.
fn timestamp(value: &Value) -> Option<Timestamp> {
    const SECONDS_BELOW: f64 = 1e12;
    if let Some(n) = value.as_f64().filter(|n| n.abs() < SECONDS_BELOW) {
        let whole = n.trunc();
        let nanos = ((n - whole) * 1e9).round();
        return Some(Timestamp::from_unix_nanos(
            whole as i128 * 1_000_000_000 + nanos as i128,
        ));
    }
    Timestamp::from_json(value)
}
