//! Channel truncate: remove a channel's messages (soft or hard) up to a time, optionally
//! leaving a system message. Synchronous on the server.

use std::time::SystemTime;

use serde::ser::Error as _;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use super::chat::{check_cid, rfc3339};
use super::records::{Channel, Message};
use super::user_lifecycle::post_json;
use super::{Chat, check_optional_id, lenient_string};
use crate::error::{InvalidArgumentError, Result};

/// The longest system message text Stream takes by default.
pub const MAX_MESSAGE_LENGTH: usize = 5000;

impl Chat {
    /// Truncates a channel: `POST /api/v2/chat/channels/{type}/{id}/truncate`. Done at
    /// once. A soft truncate (the default) hides the messages created up to
    /// [`truncated_at`](TruncateChannelRequest::truncated_at) (default: now); a hard one
    /// removes them for good. Members and the channel itself stay.
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any request,
    ///   for a cid that is not `type:id`, a `truncated_at` that cannot be written as
    ///   RFC 3339, an empty `user_id`, or a system message with no text, more than
    ///   [`MAX_MESSAGE_LENGTH`] characters, or no user (its own or `user_id`);
    /// * [`Error::Api`](crate::Error::Api) (e.g. 404 for an unknown channel),
    ///   [`Error::Transport`](crate::Error::Transport) or
    ///   [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn truncate_channel(
        &self,
        request: TruncateChannelRequest,
    ) -> Result<TruncateChannelResponse> {
        request.validate()?;
        let (channel_type, id) = request.cid.split_once(':').unwrap_or_default();
        let path = [
            "api",
            "v2",
            "chat",
            "channels",
            channel_type,
            id,
            "truncate",
        ];
        post_json(self.client(), &path, &request).await
    }
}

/// A system message left in a truncated channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct SystemMessage {
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
}

/// Truncates one channel ([`Chat::truncate_channel`]).
///
/// ```
/// use getstream_tasks::TruncateChannelRequest;
/// let request = TruncateChannelRequest::new("messaging:general")
///     .hard_delete(true)
///     .skip_push(true)
///     .message("History cleared", "admin");
/// assert_eq!(
///     serde_json::to_value(&request).unwrap(),
///     serde_json::json!({
///         "hard_delete": true,
///         "skip_push": true,
///         "message": {"text": "History cleared", "user_id": "admin"},
///     }),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct TruncateChannelRequest {
    #[serde(skip)]
    cid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    hard_delete: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skip_push: Option<bool>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_time"
    )]
    truncated_at: Option<SystemTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<SystemMessage>,
}

fn serialize_time<S: Serializer>(
    time: &Option<SystemTime>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    match time {
        Some(t) => {
            let text = rfc3339(*t).ok_or_else(|| S::Error::custom("time out of range"))?;
            serializer.serialize_str(&text)
        }
        None => serializer.serialize_none(),
    }
}

impl TruncateChannelRequest {
    /// Truncates the channel with this cid (`type:id`).
    pub fn new(cid: impl Into<String>) -> Self {
        TruncateChannelRequest {
            cid: cid.into(),
            hard_delete: None,
            skip_push: None,
            truncated_at: None,
            user_id: None,
            message: None,
        }
    }

    /// `true`: remove the messages for good. Default (unset): a soft truncate, which
    /// hides them.
    pub fn hard_delete(mut self, hard: bool) -> Self {
        self.hard_delete = Some(hard);
        self
    }

    /// Truncate the messages created up to this time. Default (unset): now.
    pub fn truncated_at(mut self, at: SystemTime) -> Self {
        self.truncated_at = Some(at);
        self
    }

    /// `true`: no push notification for the system message. Default (unset): the
    /// server's (pushes are sent).
    pub fn skip_push(mut self, skip: bool) -> Self {
        self.skip_push = Some(skip);
        self
    }

    /// The user recorded as having truncated the channel (and the system message's
    /// user when it names none). Default (unset): none.
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }

    /// Leaves a system message with `text`, sent by `user_id`, after the cut. Default
    /// (unset): no message.
    pub fn message(mut self, text: impl Into<String>, user_id: impl Into<String>) -> Self {
        self.message = Some(SystemMessage {
            text: text.into(),
            user_id: Some(user_id.into()),
        });
        self
    }

    /// Leaves a system message with `text`, sent by the [`user_id`](Self::user_id) of
    /// the truncate. Default (unset): no message.
    pub fn message_text(mut self, text: impl Into<String>) -> Self {
        self.message = Some(SystemMessage {
            text: text.into(),
            user_id: None,
        });
        self
    }

    /// The channel to truncate.
    pub fn cid(&self) -> &str {
        &self.cid
    }

    fn validate(&self) -> Result<()> {
        check_cid("cid", &self.cid)?;
        if let Some(t) = self.truncated_at
            && rfc3339(t).is_none()
        {
            return Err(InvalidArgumentError::new(
                "truncated_at",
                "cannot be written as an RFC 3339 time",
            )
            .into());
        }
        check_optional_id("user_id", self.user_id.as_deref())?;
        if let Some(m) = &self.message {
            if m.text.trim().is_empty() {
                return Err(InvalidArgumentError::new("message", "text must not be empty").into());
            }
            let length = m.text.chars().count();
            if length > MAX_MESSAGE_LENGTH {
                return Err(InvalidArgumentError::new(
                    "message",
                    format!(
                        "text has {length} characters; at most {MAX_MESSAGE_LENGTH} are allowed"
                    ),
                )
                .into());
            }
            check_optional_id("message user_id", m.user_id.as_deref())?;
            if m.user_id.is_none() && self.user_id.is_none() {
                return Err(InvalidArgumentError::new(
                    "message",
                    "needs a user: pass one with the message or set user_id",
                )
                .into());
            }
        }
        Ok(())
    }
}

/// What truncate channel answered: the channel, and the system message left, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TruncateChannelResponse {
    /// The channel as it now is (with `truncated_at`), when sent.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// The system message, when one was left.
    #[serde(default)]
    pub message: Option<Message>,
    /// The server's time for the request.
    #[serde(default, deserialize_with = "lenient_string")]
    pub duration: String,
    /// Any other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn truncate_serializes_and_checks() {
        let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let request = TruncateChannelRequest::new("messaging:a")
            .truncated_at(at)
            .user_id("admin")
            .message_text("cleared");
        assert!(request.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({"truncated_at": "2023-11-14T22:13:20Z", "user_id": "admin",
                               "message": {"text": "cleared"}})
        );
        let bad = [
            TruncateChannelRequest::new("general"),
            TruncateChannelRequest::new("messaging:"),
            TruncateChannelRequest::new("messaging:a").user_id(""),
            TruncateChannelRequest::new("messaging:a").message_text("no user"),
            TruncateChannelRequest::new("messaging:a").message(" ", "ann"),
            TruncateChannelRequest::new("messaging:a").message("x".repeat(5001), "ann"),
            TruncateChannelRequest::new("messaging:a").message("hi", ""),
            TruncateChannelRequest::new("messaging:a")
                .truncated_at(UNIX_EPOCH + Duration::from_secs(u64::MAX / 2)),
        ];
        for (i, request) in bad.into_iter().enumerate() {
            let e = request.validate().unwrap_err();
            assert!(e.is_invalid_argument(), "case {i}: {e}");
        }
    }
}
