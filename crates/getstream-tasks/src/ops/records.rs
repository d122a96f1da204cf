//! The objects the synchronous calls answer with: a user, a message, a channel. Lenient as
//! [`Task`](crate::Task): a missing or unreadable optional field is `None`, and every field
//! this version does not model is kept in `extra`.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::models::Timestamp;

/// A timestamp field that may be missing, `null`, Unix nanoseconds or RFC 3339; never fails.
pub(crate) fn lenient_time<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Timestamp>, D::Error> {
    Ok(Timestamp::from_json(&Value::deserialize(d)?))
}

/// A string field that may be missing or `null`; anything else is kept as its JSON text.
fn lenient_opt_string<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    })
}

/// A user, as the server answered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The user's id.
    #[serde(default)]
    pub id: String,
    /// The user's role (e.g. `user`, `admin`).
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub role: Option<String>,
    /// The display name, when set.
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub name: Option<String>,
    /// When the user was created.
    #[serde(default, deserialize_with = "lenient_time")]
    pub created_at: Option<Timestamp>,
    /// When the user last changed.
    #[serde(default, deserialize_with = "lenient_time")]
    pub updated_at: Option<Timestamp>,
    /// When the user was deactivated; `None` for an active user.
    #[serde(default, deserialize_with = "lenient_time")]
    pub deactivated_at: Option<Timestamp>,
    /// When the user was (soft-)deleted; `None` unless deleted.
    #[serde(default, deserialize_with = "lenient_time")]
    pub deleted_at: Option<Timestamp>,
    /// Any other field, as sent (custom data, flags, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl User {
    /// Whether the user is deactivated.
    ///
    /// ```
    /// let user: getstream_tasks::User =
    ///     serde_json::from_str(r#"{"id": "ann", "deactivated_at": 1700000000000000000}"#).unwrap();
    /// assert!(user.is_deactivated());
    /// ```
    pub fn is_deactivated(&self) -> bool {
        self.deactivated_at.is_some()
    }

    /// Whether the user is (soft-)deleted.
    ///
    /// ```
    /// let user: getstream_tasks::User = serde_json::from_str(r#"{"id": "ann"}"#).unwrap();
    /// assert!(!user.is_deleted());
    /// ```
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

/// A message, as the server answered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// The message's id.
    #[serde(default)]
    pub id: String,
    /// The channel it is in (`type:id`), when sent.
    #[serde(default, deserialize_with = "lenient_opt_string")]
    pub cid: Option<String>,
    /// The text.
    #[serde(default)]
    pub text: String,
    /// `regular`, `system`, `deleted`, ... as sent.
    #[serde(default, rename = "type", deserialize_with = "lenient_opt_string")]
    pub kind: Option<String>,
    /// Who sent it, when sent.
    #[serde(default)]
    pub user: Option<User>,
    /// When it was created.
    #[serde(default, deserialize_with = "lenient_time")]
    pub created_at: Option<Timestamp>,
    /// When it was (soft-)deleted.
    #[serde(default, deserialize_with = "lenient_time")]
    pub deleted_at: Option<Timestamp>,
    /// Any other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A channel, as the server answered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Channel {
    /// `type:id`.
    #[serde(default)]
    pub cid: String,
    /// The channel type (e.g. `messaging`).
    #[serde(default, rename = "type")]
    pub channel_type: String,
    /// The channel id.
    #[serde(default)]
    pub id: String,
    /// How many members it has, when sent.
    #[serde(default)]
    pub member_count: Option<u64>,
    /// Messages created up to this time were truncated.
    #[serde(default, deserialize_with = "lenient_time")]
    pub truncated_at: Option<Timestamp>,
    /// Who truncated it, when recorded.
    #[serde(default)]
    pub truncated_by: Option<User>,
    /// When the channel was (soft-)deleted.
    #[serde(default, deserialize_with = "lenient_time")]
    pub deleted_at: Option<Timestamp>,
    /// Any other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_decode_leniently() {
        let user: User = serde_json::from_value(json!({
            "id": "ann", "role": 7, "name": null, "created_at": "2024-01-01T00:00:00Z",
            "deactivated_at": "soon", "team": "blue"
        }))
        .unwrap();
        assert_eq!(user.role.as_deref(), Some("7"));
        assert!(user.name.is_none() && user.deactivated_at.is_none());
        assert_eq!(
            user.created_at.unwrap().unix_nanos(),
            1_704_067_200_000_000_000
        );
        assert_eq!(user.extra["team"], "blue");
        let message: Message = serde_json::from_value(json!({
            "id": "m1", "text": "hi", "type": "system", "user": {"id": "ann"}
        }))
        .unwrap();
        assert_eq!(message.kind.as_deref(), Some("system"));
        assert_eq!(message.user.unwrap().id, "ann");
        let channel: Channel = serde_json::from_value(json!({
            "cid": "messaging:a", "type": "messaging", "id": "a",
            "truncated_at": 1_700_000_000_000_000_000_i64, "frozen": false
        }))
        .unwrap();
        assert!(channel.truncated_at.is_some() && channel.member_count.is_none());
        assert_eq!(channel.extra["frozen"], false);
    }
}
