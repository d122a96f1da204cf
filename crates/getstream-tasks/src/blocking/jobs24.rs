//! The blocking mirror of channel batch update, the block-list calls and their
//! import, and upsert / partial update of users.

use crate::blocking::Client;
use crate::error::Result;
use crate::ops::{
    BlockListImportResult, BlockListResponse, BlockListsResponse, ChannelBatchUpdateRequest,
    CreateBlockListRequest, ImportBlockListRequest, UpdateBlockListRequest, UserPartialUpdate,
    UserRequest,
};

use super::ops::{Chat, TaskHandle, TaskStarted};

channel_batch_update_response!(
    /// What a channel batch update answered; see [`crate::ChannelBatchUpdateResponse`].
    Client
);

update_users_response!(
    /// What upsert or partial update of users answered; see [`crate::UpdateUsersResponse`].
    Client
);

impl Chat {
    /// Runs one operation over many channels; see [`crate::Chat::channel_batch_update`].
    ///
    /// # Errors
    ///
    /// As [`crate::Chat::channel_batch_update`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn channel_batch_update(
        &self,
        request: ChannelBatchUpdateRequest,
    ) -> Result<ChannelBatchUpdateResponse> {
        let chat = self.client.async_client().chat();
        let answer = self
            .client
            .run(async move { chat.channel_batch_update(request).await })?;
        Ok(ChannelBatchUpdateResponse {
            task_id: answer.task_id,
            duration: answer.duration,
            extra: answer.extra,
            client: self.client.clone(),
        })
    }
}

impl Client {
    /// Creates a block list; see [`crate::Client::create_block_list`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::create_block_list`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn create_block_list(&self, request: CreateBlockListRequest) -> Result<BlockListResponse> {
        let client = self.async_client().clone();
        self.run(async move { client.create_block_list(request).await })
    }

    /// Reads a block list; see [`crate::Client::get_block_list`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::get_block_list`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn get_block_list(&self, name: &str) -> Result<BlockListResponse> {
        let (client, name) = (self.async_client().clone(), name.to_owned());
        self.run(async move { client.get_block_list(&name).await })
    }

    /// Changes a block list; see [`crate::Client::update_block_list`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::update_block_list`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn update_block_list(
        &self,
        name: &str,
        request: UpdateBlockListRequest,
    ) -> Result<BlockListResponse> {
        let (client, name) = (self.async_client().clone(), name.to_owned());
        self.run(async move { client.update_block_list(&name, request).await })
    }

    /// Deletes a block list; see [`crate::Client::delete_block_list`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::delete_block_list`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn delete_block_list(&self, name: &str) -> Result<BlockListResponse> {
        let (client, name) = (self.async_client().clone(), name.to_owned());
        self.run(async move { client.delete_block_list(&name).await })
    }

    /// Lists block lists; see [`crate::Client::list_block_lists`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::list_block_lists`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn list_block_lists(&self, team: Option<&str>) -> Result<BlockListsResponse> {
        let (client, team) = (self.async_client().clone(), team.map(str::to_owned));
        self.run(async move { client.list_block_lists(team.as_deref()).await })
    }

    /// Imports words into a block list (a task); see [`crate::Client::import_block_list`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::import_block_list`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn import_block_list(
        &self,
        request: ImportBlockListRequest,
    ) -> Result<TaskStarted<BlockListImportResult>> {
        self.start(|client| async move { client.import_block_list(request).await })
    }

    /// Creates or replaces users; see [`crate::Client::upsert_users`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::upsert_users`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn upsert_users(
        &self,
        users: impl IntoIterator<Item = UserRequest>,
    ) -> Result<UpdateUsersResponse> {
        let (client, users) = (
            self.async_client().clone(),
            users.into_iter().collect::<Vec<_>>(),
        );
        let answer = self.run(async move { client.upsert_users(users).await })?;
        Ok(self.users_response(answer))
    }

    /// Changes some fields of users; see [`crate::Client::update_users_partial`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::update_users_partial`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn update_users_partial(
        &self,
        updates: impl IntoIterator<Item = UserPartialUpdate>,
    ) -> Result<UpdateUsersResponse> {
        let (client, updates) = (
            self.async_client().clone(),
            updates.into_iter().collect::<Vec<_>>(),
        );
        let answer = self.run(async move { client.update_users_partial(updates).await })?;
        Ok(self.users_response(answer))
    }

    fn users_response(&self, answer: crate::UpdateUsersResponse) -> UpdateUsersResponse {
        UpdateUsersResponse {
            users: answer.users,
            membership_deletion_task_id: answer.membership_deletion_task_id,
            duration: answer.duration,
            extra: answer.extra,
            client: self.clone(),
        }
    }
}
