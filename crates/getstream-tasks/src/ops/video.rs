//! Video operations: delete a call (soft at once; hard also in a task).

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::records::lenient_time;
use super::{TaskHandle, call, lenient_string};
use crate::client::Client;
use crate::error::{InvalidArgumentError, Result};
use crate::models::Timestamp;

/// The longest call type or call id the SDK sends (Stream's limit for call ids).
pub const MAX_CALL_ID_LENGTH: usize = 64;

/// Video operations, from [`Client::video`].
#[derive(Debug, Clone)]
pub struct Video {
    client: Client,
}

impl Video {
    pub(crate) fn new(client: &Client) -> Video {
        Video {
            client: client.clone(),
        }
    }

    /// Deletes a call: `POST /api/v2/video/call/{type}/{id}/delete`.
    ///
    /// The call is marked deleted at once and answered
    /// ([`DeleteCallResponse::call`]); a hard delete
    /// ([`DeleteCallRequest::hard`]) also starts a task that removes the call
    /// with its sessions, recordings and members ([`DeleteCallResponse::task`],
    /// whose wait resolves to a [`DeleteCallResult`]). Stream sends `call.deleted`,
    /// which names no task: the wait polls.
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any
    ///   request, for a call type or id that is empty, longer than
    ///   [`MAX_CALL_ID_LENGTH`], or holds `:`, `/`, spaces or control characters;
    /// * [`Error::Api`](crate::Error::Api) (404 for an unknown call),
    ///   [`Error::Transport`](crate::Error::Transport) or
    ///   [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn delete_call(&self, request: DeleteCallRequest) -> Result<DeleteCallResponse> {
        request.validate()?;
        let path = [
            "api",
            "v2",
            "video",
            "call",
            request.call_type.as_str(),
            request.call_id.as_str(),
            "delete",
        ];
        let wire: DeleteCallWire = call(&self.client, Method::POST, &path, Some(&request)).await?;
        let task_id = wire.task_id.filter(|id| !id.is_empty());
        Ok(DeleteCallResponse {
            task: task_id
                .as_ref()
                .map(|id| TaskHandle::new(&self.client, id.clone())),
            task_id,
            call: wire.call,
            duration: wire.duration,
            extra: wire.extra,
        })
    }
}

/// Checks a call type or id.
fn check_part(argument: &str, value: &str) -> Result<()> {
    let reason = if value.is_empty() {
        "must not be empty".to_owned()
    } else if value.chars().count() > MAX_CALL_ID_LENGTH {
        format!("must be at most {MAX_CALL_ID_LENGTH} characters")
    } else if value
        .chars()
        .any(|c| matches!(c, ':' | '/') || c.is_whitespace() || c.is_control())
    {
        format!("{value:?} must not hold ':', '/', spaces or control characters")
    } else {
        return Ok(());
    };
    Err(InvalidArgumentError::new(argument, reason).into())
}

/// Deletes one call ([`Video::delete_call`]).
///
/// ```
/// use getstream_tasks::DeleteCallRequest;
/// let request = DeleteCallRequest::new("default", "standup").hard(true);
/// assert_eq!(request.cid(), "default:standup");
/// assert_eq!(serde_json::to_value(&request).unwrap(), serde_json::json!({"hard": true}));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[must_use]
pub struct DeleteCallRequest {
    #[serde(skip)]
    call_type: String,
    #[serde(skip)]
    call_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    hard: Option<bool>,
}

impl DeleteCallRequest {
    /// Deletes the call of this type (e.g. `default`, `livestream`) and id.
    pub fn new(call_type: impl Into<String>, call_id: impl Into<String>) -> Self {
        DeleteCallRequest {
            call_type: call_type.into(),
            call_id: call_id.into(),
            hard: None,
        }
    }

    /// `true`: also remove the call with its sessions, recordings and members,
    /// in a task. Default (unset): a soft delete, which only marks it deleted.
    pub fn hard(mut self, hard: bool) -> Self {
        self.hard = Some(hard);
        self
    }

    /// The call's cid, `type:id`.
    pub fn cid(&self) -> String {
        format!("{}:{}", self.call_type, self.call_id)
    }

    fn validate(&self) -> Result<()> {
        check_part("call_type", &self.call_type)?;
        check_part("call_id", &self.call_id)
    }
}

/// A call, as the server answered it (Stream's `CallResponse`). Lenient as
/// [`Task`](crate::Task): a missing or unreadable time is `None`, and every
/// field this version does not model is kept in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Call {
    /// The call's cid, `type:id`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub cid: String,
    /// The call type (e.g. `default`).
    #[serde(rename = "type", default, deserialize_with = "lenient_string")]
    pub call_type: String,
    /// The call id.
    #[serde(default, deserialize_with = "lenient_string")]
    pub id: String,
    /// When the call was created.
    #[serde(default, deserialize_with = "lenient_time")]
    pub created_at: Option<Timestamp>,
    /// When the call last changed.
    #[serde(default, deserialize_with = "lenient_time")]
    pub updated_at: Option<Timestamp>,
    /// When the call was deleted, when the server says (the emulator does; Stream's
    /// schema has no such field).
    #[serde(default, deserialize_with = "lenient_time")]
    pub deleted_at: Option<Timestamp>,
    /// Any other field, as sent (`created_by`, `custom`, `settings`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer of delete call, as sent.
#[derive(Deserialize)]
struct DeleteCallWire {
    call: Call,
    #[serde(default)]
    task_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    duration: String,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// What delete call answered at once: the call, and for a hard delete the task
/// removing it. Serializes to the fields as sent.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct DeleteCallResponse {
    /// The call, marked deleted.
    pub call: Call,
    /// The task removing the call (hard delete only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// The server's time for the request.
    pub duration: String,
    /// Any other field of the response, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// A handle on the task, when one was started (hard delete); its wait
    /// resolves to the [`DeleteCallResult`] and polls (no pushed event names it).
    #[serde(skip)]
    pub task: Option<TaskHandle<DeleteCallResult>>,
}

/// What a hard delete removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeletedCallParts {
    /// The call's sessions.
    #[serde(default)]
    pub sessions: u64,
    /// The call's recordings.
    #[serde(default)]
    pub recordings: u64,
    /// The call's members.
    #[serde(default)]
    pub members: u64,
}

/// The result of a hard delete call task. Stream leaves it unspecified; this is
/// the shape the emulator answers (`docs/stream-wire.md`), and any other field
/// is kept in `extra`.
///
/// ```
/// let result: getstream_tasks::DeleteCallResult = serde_json::from_value(serde_json::json!({
///     "cid": "default:abc", "deleted": {"sessions": 2, "recordings": 1, "members": 3},
/// })).unwrap();
/// assert_eq!(result.deleted.members, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeleteCallResult {
    /// The call's cid.
    #[serde(default, deserialize_with = "lenient_string")]
    pub cid: String,
    /// What was removed.
    #[serde(default)]
    pub deleted: DeletedCallParts,
    /// Any other field of the result, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_checked() {
        assert!(
            DeleteCallRequest::new("default", "a-b_9")
                .validate()
                .is_ok()
        );
        for (t, id) in [
            ("", "x"),
            ("default", ""),
            ("a:b", "x"),
            ("default", "a/b"),
            ("default", "a b"),
            ("default", "a\u{0}"),
        ] {
            assert!(
                DeleteCallRequest::new(t, id).validate().is_err(),
                "{t:?} {id:?}"
            );
        }
        let long = "x".repeat(MAX_CALL_ID_LENGTH + 1);
        assert!(DeleteCallRequest::new("default", long).validate().is_err());
    }

    #[test]
    fn the_answer_decodes_leniently() {
        let wire: DeleteCallWire = serde_json::from_value(serde_json::json!({
            "call": {"cid": "default:abc", "type": "default", "id": "abc",
                     "created_at": 1_700_000_000_000_000_000_i64, "deleted_at": "bad", "custom": {}},
            "duration": 1.5,
        }))
        .unwrap();
        assert_eq!(wire.call.call_type, "default");
        assert!(wire.call.created_at.is_some());
        assert!(wire.call.deleted_at.is_none());
        assert!(wire.call.extra.contains_key("custom"));
        assert!(wire.task_id.is_none());
        assert_eq!(wire.duration, "1.5");
    }
}
