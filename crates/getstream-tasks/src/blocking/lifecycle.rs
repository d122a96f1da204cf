//! The blocking mirror of the calls around the jobs: single-user calls, restore users,
//! truncate channel.

use crate::blocking::Client;
use crate::error::Result;
use crate::ops::{
    DeactivateUserRequest, DeleteUserRequest, DeleteUsersResult, ExportUserResponse,
    ReactivateUserRequest, RestoreUsersRequest, RestoreUsersResponse, TruncateChannelRequest,
    TruncateChannelResponse, UserResponse,
};

use super::ops::{Chat, TaskStarted};

impl Client {
    /// Deactivates one user; see [`crate::Client::deactivate_user`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::deactivate_user`].
    ///
    /// # Panics
    ///
    /// When called inside an async runtime (see the [module docs](crate::blocking)).
    pub fn deactivate_user(&self, request: DeactivateUserRequest) -> Result<UserResponse> {
        let client = self.async_client().clone();
        self.run(async move { client.deactivate_user(request).await })
    }

    /// Reactivates one user; see [`crate::Client::reactivate_user`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::reactivate_user`].
    ///
    /// # Panics
    ///
    /// When called inside an async runtime (see the [module docs](crate::blocking)).
    pub fn reactivate_user(&self, request: ReactivateUserRequest) -> Result<UserResponse> {
        let client = self.async_client().clone();
        self.run(async move { client.reactivate_user(request).await })
    }

    /// Exports one user with their messages; see [`crate::Client::export_user`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::export_user`].
    ///
    /// # Panics
    ///
    /// When called inside an async runtime (see the [module docs](crate::blocking)).
    pub fn export_user(&self, user_id: &str) -> Result<ExportUserResponse> {
        let client = self.async_client().clone();
        let user_id = user_id.to_owned();
        self.run(async move { client.export_user(&user_id).await })
    }

    /// Deletes one user (a task); see [`crate::Client::delete_user`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::delete_user`].
    ///
    /// # Panics
    ///
    /// When called inside an async runtime (see the [module docs](crate::blocking)).
    pub fn delete_user(
        &self,
        request: DeleteUserRequest,
    ) -> Result<TaskStarted<DeleteUsersResult>> {
        self.start(|client| async move { client.delete_user(request).await })
    }

    /// Restores soft-deleted users; see [`crate::Client::restore_users`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::restore_users`].
    ///
    /// # Panics
    ///
    /// When called inside an async runtime (see the [module docs](crate::blocking)).
    pub fn restore_users(&self, request: RestoreUsersRequest) -> Result<RestoreUsersResponse> {
        let client = self.async_client().clone();
        self.run(async move { client.restore_users(request).await })
    }
}

impl Chat {
    /// Truncates a channel; see [`crate::Chat::truncate_channel`].
    ///
    /// # Errors
    ///
    /// As [`crate::Chat::truncate_channel`].
    ///
    /// # Panics
    ///
    /// When called inside an async runtime (see the [module docs](crate::blocking)).
    pub fn truncate_channel(
        &self,
        request: TruncateChannelRequest,
    ) -> Result<TruncateChannelResponse> {
        let chat = self.client.async_client().chat();
        self.client
            .run(async move { chat.truncate_channel(request).await })
    }
}
