//! User operations: export, delete, deactivate and reactivate users.

use serde::Serialize;

use super::{MAX_EXPORT_USERS, MAX_USERS, OpRequest, check_ids, check_optional_id};
use crate::error::{InvalidArgumentError, Result};

fn ids(user_ids: impl IntoIterator<Item = impl Into<String>>) -> Vec<String> {
    user_ids.into_iter().map(Into::into).collect()
}

/// The body of `POST /api/v2/export/users`.
///
/// ```
/// let request = getstream_tasks::ExportUsersRequest::new(["alice", "bob"]);
/// assert_eq!(
///     serde_json::to_value(&request).unwrap(),
///     serde_json::json!({"user_ids": ["alice", "bob"]}),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct ExportUsersRequest {
    user_ids: Vec<String>,
}

impl ExportUsersRequest {
    /// Exports these users (1 to [`MAX_EXPORT_USERS`]).
    pub fn new(user_ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        ExportUsersRequest {
            user_ids: ids(user_ids),
        }
    }

    /// The users to export.
    pub fn user_ids(&self) -> &[String] {
        &self.user_ids
    }
}

impl OpRequest for ExportUsersRequest {
    const PATH: &'static [&'static str] = &["api", "v2", "export", "users"];

    fn validate(&self) -> Result<()> {
        check_ids("user_ids", &self.user_ids, MAX_EXPORT_USERS)
    }
}

/// How thoroughly to delete something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DeleteMode {
    /// Mark as deleted; the data stays (`soft`).
    Soft,
    /// Soft-delete and remove personal data (`pruning`; users and messages only).
    Pruning,
    /// Remove for good (`hard`).
    Hard,
}

/// The body of `POST /api/v2/users/delete`.
///
/// ```
/// use getstream_tasks::{DeleteMode, DeleteUsersRequest};
/// let request = DeleteUsersRequest::new(["alice"])
///     .user(DeleteMode::Hard)
///     .messages(DeleteMode::Hard)
///     .conversations(DeleteMode::Hard);
/// assert_eq!(
///     serde_json::to_value(&request).unwrap(),
///     serde_json::json!({"user_ids": ["alice"], "user": "hard", "messages": "hard", "conversations": "hard"}),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct DeleteUsersRequest {
    user_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<DeleteMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    messages: Option<DeleteMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversations: Option<DeleteMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    calls: Option<DeleteMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_channel_owner_id: Option<String>,
}

impl DeleteUsersRequest {
    /// Deletes these users (1 to [`MAX_USERS`]).
    pub fn new(user_ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        DeleteUsersRequest {
            user_ids: ids(user_ids),
            user: None,
            messages: None,
            conversations: None,
            calls: None,
            files: None,
            new_channel_owner_id: None,
        }
    }

    /// How to delete the users themselves. Default (unset): the server's
    /// (soft).
    pub fn user(mut self, mode: DeleteMode) -> Self {
        self.user = Some(mode);
        self
    }

    /// How to delete their messages. Default (unset): the messages stay.
    pub fn messages(mut self, mode: DeleteMode) -> Self {
        self.messages = Some(mode);
        self
    }

    /// How to delete their one-to-one conversations (soft or hard). Default
    /// (unset): they stay.
    pub fn conversations(mut self, mode: DeleteMode) -> Self {
        self.conversations = Some(mode);
        self
    }

    /// How to delete their calls (soft or hard). Default (unset): they stay.
    pub fn calls(mut self, mode: DeleteMode) -> Self {
        self.calls = Some(mode);
        self
    }

    /// Also delete their uploaded files. Default (unset): the server's (no).
    pub fn files(mut self, delete: bool) -> Self {
        self.files = Some(delete);
        self
    }

    /// Who becomes the owner of the channels the users created. Default
    /// (unset): the server's choice.
    pub fn new_channel_owner_id(mut self, user_id: impl Into<String>) -> Self {
        self.new_channel_owner_id = Some(user_id.into());
        self
    }

    /// The users to delete.
    pub fn user_ids(&self) -> &[String] {
        &self.user_ids
    }
}

impl OpRequest for DeleteUsersRequest {
    const PATH: &'static [&'static str] = &["api", "v2", "users", "delete"];

    fn validate(&self) -> Result<()> {
        check_ids("user_ids", &self.user_ids, MAX_USERS)?;
        for (name, mode) in [("conversations", self.conversations), ("calls", self.calls)] {
            if mode == Some(DeleteMode::Pruning) {
                return Err(InvalidArgumentError::new(
                    name,
                    "takes soft or hard deletion, not pruning",
                )
                .into());
            }
        }
        check_optional_id("new_channel_owner_id", self.new_channel_owner_id.as_deref())
    }

    fn entities(&self) -> crate::events::Entities {
        super::send::user_entities(&self.user_ids)
    }
}

/// The body of `POST /api/v2/users/deactivate`.
///
/// ```
/// let request = getstream_tasks::DeactivateUsersRequest::new(["alice"]).mark_messages_deleted(true);
/// assert_eq!(
///     serde_json::to_value(&request).unwrap(),
///     serde_json::json!({"user_ids": ["alice"], "mark_messages_deleted": true}),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct DeactivateUsersRequest {
    user_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_by_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mark_messages_deleted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mark_channels_deleted: Option<bool>,
}

impl DeactivateUsersRequest {
    /// Deactivates these users (1 to [`MAX_USERS`]).
    pub fn new(user_ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        DeactivateUsersRequest {
            user_ids: ids(user_ids),
            created_by_id: None,
            mark_messages_deleted: None,
            mark_channels_deleted: None,
        }
    }

    /// The user recorded as having done it. Default (unset): none.
    pub fn created_by_id(mut self, user_id: impl Into<String>) -> Self {
        self.created_by_id = Some(user_id.into());
        self
    }

    /// Also mark the users' messages deleted. Default (unset): no.
    pub fn mark_messages_deleted(mut self, mark: bool) -> Self {
        self.mark_messages_deleted = Some(mark);
        self
    }

    /// Also mark the users' channels deleted. Default (unset): no.
    pub fn mark_channels_deleted(mut self, mark: bool) -> Self {
        self.mark_channels_deleted = Some(mark);
        self
    }

    /// The users to deactivate.
    pub fn user_ids(&self) -> &[String] {
        &self.user_ids
    }
}

impl OpRequest for DeactivateUsersRequest {
    const PATH: &'static [&'static str] = &["api", "v2", "users", "deactivate"];

    fn validate(&self) -> Result<()> {
        check_ids("user_ids", &self.user_ids, MAX_USERS)?;
        check_optional_id("created_by_id", self.created_by_id.as_deref())
    }

    fn entities(&self) -> crate::events::Entities {
        super::send::user_entities(&self.user_ids)
    }
}

/// The body of `POST /api/v2/users/reactivate`.
///
/// ```
/// let request = getstream_tasks::ReactivateUsersRequest::new(["alice"]).restore_messages(true);
/// assert_eq!(
///     serde_json::to_value(&request).unwrap(),
///     serde_json::json!({"user_ids": ["alice"], "restore_messages": true}),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct ReactivateUsersRequest {
    user_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_by_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    restore_messages: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    restore_channels: Option<bool>,
}

impl ReactivateUsersRequest {
    /// Reactivates these users (1 to [`MAX_USERS`]).
    pub fn new(user_ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        ReactivateUsersRequest {
            user_ids: ids(user_ids),
            created_by_id: None,
            restore_messages: None,
            restore_channels: None,
        }
    }

    /// The user recorded as having done it. Default (unset): none.
    pub fn created_by_id(mut self, user_id: impl Into<String>) -> Self {
        self.created_by_id = Some(user_id.into());
        self
    }

    /// Also restore the users' deleted messages. Default (unset): no.
    pub fn restore_messages(mut self, restore: bool) -> Self {
        self.restore_messages = Some(restore);
        self
    }

    /// Also restore the users' deleted channels. Default (unset): no.
    pub fn restore_channels(mut self, restore: bool) -> Self {
        self.restore_channels = Some(restore);
        self
    }

    /// The users to reactivate.
    pub fn user_ids(&self) -> &[String] {
        &self.user_ids
    }
}

impl OpRequest for ReactivateUsersRequest {
    const PATH: &'static [&'static str] = &["api", "v2", "users", "reactivate"];

    fn validate(&self) -> Result<()> {
        check_ids("user_ids", &self.user_ids, MAX_USERS)?;
        check_optional_id("created_by_id", self.created_by_id.as_deref())
    }

    fn entities(&self) -> crate::events::Entities {
        super::send::user_entities(&self.user_ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_serialize_as_the_spec() {
        assert_eq!(
            serde_json::to_value(ExportUsersRequest::new(vec!["u1".to_owned()])).unwrap(),
            json!({"user_ids": ["u1"]})
        );
        assert_eq!(
            serde_json::to_value(DeleteUsersRequest::new(["u1", "u2"])).unwrap(),
            json!({"user_ids": ["u1", "u2"]})
        );
        assert_eq!(
            serde_json::to_value(
                DeleteUsersRequest::new(["u1"])
                    .user(DeleteMode::Pruning)
                    .messages(DeleteMode::Soft)
                    .conversations(DeleteMode::Soft)
                    .calls(DeleteMode::Hard)
                    .files(true)
                    .new_channel_owner_id("admin")
            )
            .unwrap(),
            json!({"user_ids": ["u1"], "user": "pruning", "messages": "soft",
                   "conversations": "soft", "calls": "hard", "files": true,
                   "new_channel_owner_id": "admin"})
        );
        assert_eq!(
            serde_json::to_value(
                DeactivateUsersRequest::new(["u1"])
                    .created_by_id("admin")
                    .mark_messages_deleted(false)
                    .mark_channels_deleted(true)
            )
            .unwrap(),
            json!({"user_ids": ["u1"], "created_by_id": "admin",
                   "mark_messages_deleted": false, "mark_channels_deleted": true})
        );
        assert_eq!(
            serde_json::to_value(DeactivateUsersRequest::new(["u1"])).unwrap(),
            json!({"user_ids": ["u1"]})
        );
        assert_eq!(
            serde_json::to_value(
                ReactivateUsersRequest::new(["u1"])
                    .created_by_id("admin")
                    .restore_messages(true)
                    .restore_channels(false)
            )
            .unwrap(),
            json!({"user_ids": ["u1"], "created_by_id": "admin",
                   "restore_messages": true, "restore_channels": false})
        );
        assert_eq!(
            serde_json::to_value(ReactivateUsersRequest::new(["u1"])).unwrap(),
            json!({"user_ids": ["u1"]})
        );
    }

    #[test]
    fn limits_are_checked() {
        let n = |count: usize| (0..count).map(|i| format!("u{i}")).collect::<Vec<_>>();
        assert!(ExportUsersRequest::new(n(25)).validate().is_ok());
        assert!(DeleteUsersRequest::new(n(100)).validate().is_ok());
        assert!(DeactivateUsersRequest::new(n(100)).validate().is_ok());
        assert!(ReactivateUsersRequest::new(n(100)).validate().is_ok());
        let cases = [
            ExportUsersRequest::new(n(0)).validate(),
            ExportUsersRequest::new(n(26)).validate(),
            ExportUsersRequest::new(["u1", ""]).validate(),
            DeleteUsersRequest::new(n(0)).validate(),
            DeleteUsersRequest::new(n(101)).validate(),
            DeleteUsersRequest::new(["  "]).validate(),
            DeleteUsersRequest::new(["u1"])
                .conversations(DeleteMode::Pruning)
                .validate(),
            DeleteUsersRequest::new(["u1"])
                .calls(DeleteMode::Pruning)
                .validate(),
            DeleteUsersRequest::new(["u1"])
                .new_channel_owner_id("")
                .validate(),
            DeactivateUsersRequest::new(n(101)).validate(),
            DeactivateUsersRequest::new(["u1"])
                .created_by_id("")
                .validate(),
            ReactivateUsersRequest::new(n(0)).validate(),
            ReactivateUsersRequest::new(["u1"])
                .created_by_id(" ")
                .validate(),
        ];
        for (i, case) in cases.into_iter().enumerate() {
            let e = case.unwrap_err();
            assert!(e.is_invalid_argument(), "case {i}: {e}");
        }
    }
}
