//! The user calls around the user jobs: deactivate, reactivate, export and delete one user;
//! restore soft-deleted users. Synchronous on the server (except delete, which starts a task).

use http::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::records::{Message, User};
use super::{
    DeleteMode, DeleteUsersRequest, DeleteUsersResult, MAX_USERS, OpRequest, TaskStarted,
    check_ids, check_optional_id, lenient_string, start,
};
use crate::client::Client;
use crate::error::{InvalidArgumentError, Result};
use crate::transport::Request;

/// Sends `body` as JSON to `POST /{path…}` and decodes the answer.
pub(crate) async fn post_json<W: DeserializeOwned>(
    client: &Client,
    path: &[&str],
    body: &impl Serialize,
) -> Result<W> {
    let request = Request::new(Method::POST, path)?.json(body)?;
    Ok(client.transport().send::<W>(request).await?.into_body())
}

/// Checks one user id argument: not blank.
fn check_user_id(argument: &str, id: &str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(InvalidArgumentError::new(argument, "must not be empty").into());
    }
    Ok(())
}

/// [`Client::deactivate_user`](crate::Client::deactivate_user): checks the arguments, then sends.
pub(crate) async fn deactivate_user(
    client: &Client,
    request: DeactivateUserRequest,
) -> Result<UserResponse> {
    check_user_id("user_id", &request.user_id)?;
    check_optional_id("created_by_id", request.created_by_id.as_deref())?;
    let path = ["api", "v2", "users", request.user_id.as_str(), "deactivate"];
    post_json(client, &path, &request).await
}

/// [`Client::reactivate_user`](crate::Client::reactivate_user): checks the arguments, then sends.
pub(crate) async fn reactivate_user(
    client: &Client,
    request: ReactivateUserRequest,
) -> Result<UserResponse> {
    check_user_id("user_id", &request.user_id)?;
    check_optional_id("created_by_id", request.created_by_id.as_deref())?;
    let path = ["api", "v2", "users", request.user_id.as_str(), "reactivate"];
    post_json(client, &path, &request).await
}

/// [`Client::export_user`](crate::Client::export_user): checks the arguments, then sends.
pub(crate) async fn export_user(client: &Client, user_id: &str) -> Result<ExportUserResponse> {
    check_user_id("user_id", user_id)?;
    let request = Request::new(Method::GET, &["api", "v2", "users", user_id, "export"])?;
    Ok(client
        .transport()
        .send::<ExportUserResponse>(request)
        .await?
        .into_body())
}

/// [`Client::delete_user`](crate::Client::delete_user): checks the arguments, then sends.
pub(crate) async fn delete_user(
    client: &Client,
    request: DeleteUserRequest,
) -> Result<TaskStarted<DeleteUsersResult>> {
    check_user_id("user_id", &request.user_id)?;
    start(client, &request.into_batch()).await
}

/// Deactivates one user ([`Client::deactivate_user`]).
///
/// ```
/// let request = getstream_tasks::DeactivateUserRequest::new("ann").mark_messages_deleted(true);
/// assert_eq!(
///     serde_json::to_value(&request).unwrap(),
///     serde_json::json!({"mark_messages_deleted": true}),
/// );
/// assert_eq!(request.user_id(), "ann");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct DeactivateUserRequest {
    #[serde(skip)]
    user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_by_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mark_messages_deleted: Option<bool>,
}

impl DeactivateUserRequest {
    /// Deactivates this user.
    pub fn new(user_id: impl Into<String>) -> Self {
        DeactivateUserRequest {
            user_id: user_id.into(),
            created_by_id: None,
            mark_messages_deleted: None,
        }
    }

    /// The user recorded as having done it. Default (unset): none.
    pub fn created_by_id(mut self, user_id: impl Into<String>) -> Self {
        self.created_by_id = Some(user_id.into());
        self
    }

    /// Also mark the user's messages deleted. Default (unset): no.
    pub fn mark_messages_deleted(mut self, mark: bool) -> Self {
        self.mark_messages_deleted = Some(mark);
        self
    }

    /// The user to deactivate.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }
}

/// Reactivates one user ([`Client::reactivate_user`]).
///
/// ```
/// let request = getstream_tasks::ReactivateUserRequest::new("ann").restore_messages(true).name("Ann");
/// assert_eq!(
///     serde_json::to_value(&request).unwrap(),
///     serde_json::json!({"restore_messages": true, "name": "Ann"}),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct ReactivateUserRequest {
    #[serde(skip)]
    user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_by_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    restore_messages: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

impl ReactivateUserRequest {
    /// Reactivates this user.
    pub fn new(user_id: impl Into<String>) -> Self {
        ReactivateUserRequest {
            user_id: user_id.into(),
            created_by_id: None,
            restore_messages: None,
            name: None,
        }
    }

    /// The user recorded as having done it. Default (unset): none.
    pub fn created_by_id(mut self, user_id: impl Into<String>) -> Self {
        self.created_by_id = Some(user_id.into());
        self
    }

    /// Also restore the user's deleted messages. Default (unset): no.
    pub fn restore_messages(mut self, restore: bool) -> Self {
        self.restore_messages = Some(restore);
        self
    }

    /// A new display name for the user. Default (unset): the name stays.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The user to reactivate.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }
}

/// Deletes one user ([`Client::delete_user`]): the options of [`DeleteUsersRequest`] for
/// a single id.
///
/// ```
/// use getstream_tasks::{DeleteMode, DeleteUserRequest};
/// let request = DeleteUserRequest::new("ann").user(DeleteMode::Hard).messages(DeleteMode::Hard);
/// assert_eq!(request.user_id(), "ann");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct DeleteUserRequest {
    user_id: String,
    batch: DeleteUsersRequest,
}

impl DeleteUserRequest {
    /// Deletes this user.
    pub fn new(user_id: impl Into<String>) -> Self {
        let user_id = user_id.into();
        DeleteUserRequest {
            batch: DeleteUsersRequest::new([user_id.clone()]),
            user_id,
        }
    }

    /// How to delete the user; see [`DeleteUsersRequest::user`].
    pub fn user(mut self, mode: DeleteMode) -> Self {
        self.batch = self.batch.user(mode);
        self
    }

    /// How to delete their messages; see [`DeleteUsersRequest::messages`].
    pub fn messages(mut self, mode: DeleteMode) -> Self {
        self.batch = self.batch.messages(mode);
        self
    }

    /// How to delete their conversations; see [`DeleteUsersRequest::conversations`].
    pub fn conversations(mut self, mode: DeleteMode) -> Self {
        self.batch = self.batch.conversations(mode);
        self
    }

    /// Who becomes the owner of their channels; see
    /// [`DeleteUsersRequest::new_channel_owner_id`].
    pub fn new_channel_owner_id(mut self, user_id: impl Into<String>) -> Self {
        self.batch = self.batch.new_channel_owner_id(user_id);
        self
    }

    /// The user to delete.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The batch request this is.
    pub fn into_batch(self) -> DeleteUsersRequest {
        self.batch
    }
}

/// The body of `POST /api/v2/users/restore`.
///
/// ```
/// let request = getstream_tasks::RestoreUsersRequest::new(["ann", "bob"]);
/// assert_eq!(
///     serde_json::to_value(&request).unwrap(),
///     serde_json::json!({"user_ids": ["ann", "bob"]}),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct RestoreUsersRequest {
    user_ids: Vec<String>,
}

impl RestoreUsersRequest {
    /// Restores these users (1 to [`MAX_USERS`]).
    pub fn new(user_ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        RestoreUsersRequest {
            user_ids: user_ids.into_iter().map(Into::into).collect(),
        }
    }

    /// The users to restore.
    pub fn user_ids(&self) -> &[String] {
        &self.user_ids
    }
}

impl OpRequest for RestoreUsersRequest {
    const PATH: &'static [&'static str] = &["api", "v2", "users", "restore"];

    fn validate(&self) -> Result<()> {
        check_ids("user_ids", &self.user_ids, MAX_USERS)
    }
}

/// What a single-user call answered: the user as it now is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserResponse {
    /// The user, when the server sent it.
    #[serde(default)]
    pub user: Option<User>,
    /// The server's time for the request.
    #[serde(default, deserialize_with = "lenient_string")]
    pub duration: String,
    /// Any other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What export user answered: the user and their messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExportUserResponse {
    /// The user, when the server sent it.
    #[serde(default)]
    pub user: Option<User>,
    /// The user's messages.
    #[serde(default)]
    pub messages: Vec<Message>,
    /// The user's reactions, as sent.
    #[serde(default)]
    pub reactions: Vec<Value>,
    /// The server's time for the request.
    #[serde(default, deserialize_with = "lenient_string")]
    pub duration: String,
    /// Any other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What restore users answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RestoreUsersResponse {
    /// The server's time for the request.
    #[serde(default, deserialize_with = "lenient_string")]
    pub duration: String,
    /// Any other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_limits_are_checked() {
        let n = |count: usize| (0..count).map(|i| format!("u{i}")).collect::<Vec<_>>();
        assert!(RestoreUsersRequest::new(n(100)).validate().is_ok());
        for bad in [
            RestoreUsersRequest::new(n(0)),
            RestoreUsersRequest::new(n(101)),
            RestoreUsersRequest::new(["ok", " "]),
        ] {
            assert!(bad.validate().unwrap_err().is_invalid_argument());
        }
    }

    #[test]
    fn delete_user_is_a_batch_of_one() {
        let batch = DeleteUserRequest::new("ann")
            .user(DeleteMode::Hard)
            .into_batch();
        assert_eq!(
            serde_json::to_value(batch).unwrap(),
            serde_json::json!({"user_ids": ["ann"], "user": "hard"})
        );
    }
}
