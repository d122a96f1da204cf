//! The user operations: the user jobs (export, delete, deactivate, reactivate users), the
//! calls around them on one user, and upserts.

use serde_json::Value;

use super::Client;
use crate::error::Result;
use crate::ops::{
    self, DeactivateUserRequest, DeactivateUsersRequest, DeleteUserRequest, DeleteUsersRequest,
    DeleteUsersResult, ExportResult, ExportUserResponse, ExportUsersRequest, ReactivateUserRequest,
    ReactivateUsersRequest, RestoreUsersRequest, RestoreUsersResponse, TaskStarted,
    UpdateUsersResponse, UserPartialUpdate, UserRequest, UserResponse,
};

impl Client {
    /// Exports users with their messages: `POST /api/v2/export/users`. The
    /// task's result is an [`ExportResult`] with a download link.
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any
    ///   request, for no user ids, more than [`MAX_EXPORT_USERS`](crate::MAX_EXPORT_USERS), or an empty id;
    /// * [`Error::Api`](crate::Error::Api), [`Error::Transport`](crate::Error::Transport)
    ///   or [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn export_users(
        &self,
        request: ExportUsersRequest,
    ) -> Result<TaskStarted<ExportResult>> {
        ops::start(self, &request).await
    }

    /// Deletes users: `POST /api/v2/users/delete`. The task's result maps each
    /// user id to its outcome ([`DeleteUsersResult`]).
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any
    ///   request, for no user ids, more than [`MAX_USERS`](crate::MAX_USERS), an empty id, an
    ///   empty `new_channel_owner_id`, or [`DeleteMode::Pruning`](crate::DeleteMode::Pruning) for
    ///   `conversations` or `calls` (which take soft or hard only);
    /// * [`Error::Api`](crate::Error::Api), [`Error::Transport`](crate::Error::Transport)
    ///   or [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn delete_users(
        &self,
        request: DeleteUsersRequest,
    ) -> Result<TaskStarted<DeleteUsersResult>> {
        ops::start(self, &request).await
    }

    /// Deactivates users: `POST /api/v2/users/deactivate`. The result's shape
    /// is not documented by Stream, so it is kept as JSON.
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any
    ///   request, for no user ids, more than [`MAX_USERS`](crate::MAX_USERS), an empty id or an
    ///   empty `created_by_id`;
    /// * [`Error::Api`](crate::Error::Api), [`Error::Transport`](crate::Error::Transport)
    ///   or [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn deactivate_users(
        &self,
        request: DeactivateUsersRequest,
    ) -> Result<TaskStarted<Value>> {
        ops::start(self, &request).await
    }

    /// Reactivates users: `POST /api/v2/users/reactivate`. The result's shape
    /// is not documented by Stream, so it is kept as JSON.
    ///
    /// # Errors
    ///
    /// As [`deactivate_users`](Client::deactivate_users).
    pub async fn reactivate_users(
        &self,
        request: ReactivateUsersRequest,
    ) -> Result<TaskStarted<Value>> {
        ops::start(self, &request).await
    }

    /// Deactivates one user at once: `POST /api/v2/users/{id}/deactivate`. Answers the
    /// user as it now is. (For many users, [`deactivate_users`](Client::deactivate_users)
    /// starts a task.)
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any request,
    ///   for an empty user id or an empty `created_by_id`;
    /// * [`Error::Api`](crate::Error::Api) (e.g. 404 for an unknown user),
    ///   [`Error::Transport`](crate::Error::Transport) or
    ///   [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn deactivate_user(&self, request: DeactivateUserRequest) -> Result<UserResponse> {
        ops::user_lifecycle::deactivate_user(self, request).await
    }

    /// Reactivates one user at once: `POST /api/v2/users/{id}/reactivate`. Answers the
    /// user as it now is.
    ///
    /// # Errors
    ///
    /// As [`deactivate_user`](Client::deactivate_user).
    pub async fn reactivate_user(&self, request: ReactivateUserRequest) -> Result<UserResponse> {
        ops::user_lifecycle::reactivate_user(self, request).await
    }

    /// Exports one user with their messages at once: `GET /api/v2/users/{id}/export`.
    /// (For a file of up to 25 users, [`export_users`](Client::export_users) starts a
    /// task.)
    ///
    /// # Errors
    ///
    /// As [`deactivate_user`](Client::deactivate_user), for an empty user id.
    pub async fn export_user(&self, user_id: &str) -> Result<ExportUserResponse> {
        ops::user_lifecycle::export_user(self, user_id).await
    }

    /// Deletes one user: [`delete_users`](Client::delete_users) for this one id (Stream's
    /// v2 API deletes users in batches), so the answer is a task whose result maps the id
    /// to its outcome.
    ///
    /// # Errors
    ///
    /// As [`delete_users`](Client::delete_users).
    pub async fn delete_user(
        &self,
        request: DeleteUserRequest,
    ) -> Result<TaskStarted<DeleteUsersResult>> {
        ops::user_lifecycle::delete_user(self, request).await
    }

    /// Restores soft-deleted users: `POST /api/v2/users/restore`. Done at once; a user
    /// who was hard-deleted cannot be restored (the server answers an error).
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any request,
    ///   for no user ids, more than [`MAX_USERS`](crate::MAX_USERS), or an empty id;
    /// * [`Error::Api`](crate::Error::Api) (e.g. 400 for a hard-deleted user),
    ///   [`Error::Transport`](crate::Error::Transport) or
    ///   [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn restore_users(
        &self,
        request: RestoreUsersRequest,
    ) -> Result<RestoreUsersResponse> {
        ops::send(self, &request).await
    }

    /// Creates or replaces users: `POST /api/v2/users`. The answer holds the
    /// users, and may name a membership deletion task
    /// ([`UpdateUsersResponse::membership_deletion_task`]).
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any
    ///   request, for no users, more than [`MAX_USERS`](crate::MAX_USERS), a blank or repeated id,
    ///   or a blank team;
    /// * [`Error::Api`](crate::Error::Api), [`Error::Transport`](crate::Error::Transport)
    ///   or [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn upsert_users(
        &self,
        users: impl IntoIterator<Item = UserRequest>,
    ) -> Result<UpdateUsersResponse> {
        ops::user_upsert::upsert_users(self, users).await
    }

    /// Changes some fields of users: `PATCH /api/v2/users`. As
    /// [`upsert_users`](Client::upsert_users), the answer may name a membership
    /// deletion task (e.g. after `set: {"teams": [..]}` dropped a team).
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any
    ///   request, for no users, more than [`MAX_USERS`](crate::MAX_USERS), a blank or repeated id,
    ///   an update that sets and unsets nothing, or a blank key to unset;
    /// * [`Error::Api`](crate::Error::Api), [`Error::Transport`](crate::Error::Transport)
    ///   or [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn update_users_partial(
        &self,
        updates: impl IntoIterator<Item = UserPartialUpdate>,
    ) -> Result<UpdateUsersResponse> {
        ops::user_upsert::update_users_partial(self, updates).await
    }
}
