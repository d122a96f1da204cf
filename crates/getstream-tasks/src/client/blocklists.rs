//! Block lists: the calls on them, and the import task.

use super::Client;
use crate::error::Result;
use crate::ops::{
    self, BlockListImportResult, BlockListResponse, BlockListsResponse, CreateBlockListRequest,
    ImportBlockListRequest, TaskStarted, UpdateBlockListRequest,
};

impl Client {
    /// Creates a block list at once: `POST /api/v2/blocklists`.
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any
    ///   request, for a blank name or one over [`MAX_BLOCKLIST_ITEM_LENGTH`](crate::MAX_BLOCKLIST_ITEM_LENGTH)
    ///   characters, or a blank word;
    /// * [`Error::Api`](crate::Error::Api) (e.g. 400 for a name in use),
    ///   [`Error::Transport`](crate::Error::Transport) or
    ///   [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn create_block_list(
        &self,
        request: CreateBlockListRequest,
    ) -> Result<BlockListResponse> {
        ops::blocklists::create_block_list(self, request).await
    }

    /// Reads one block list: `GET /api/v2/blocklists/{name}`.
    ///
    /// # Errors
    ///
    /// As [`create_block_list`](Client::create_block_list) (a name it would refuse;
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown list).
    pub async fn get_block_list(&self, name: &str) -> Result<BlockListResponse> {
        ops::blocklists::get_block_list(self, name).await
    }

    /// Changes a block list (its words replace the old ones):
    /// `PUT /api/v2/blocklists/{name}`.
    ///
    /// # Errors
    ///
    /// As [`get_block_list`](Client::get_block_list).
    pub async fn update_block_list(
        &self,
        name: &str,
        request: UpdateBlockListRequest,
    ) -> Result<BlockListResponse> {
        ops::blocklists::update_block_list(self, name, request).await
    }

    /// Deletes a block list: `DELETE /api/v2/blocklists/{name}`.
    ///
    /// # Errors
    ///
    /// As [`get_block_list`](Client::get_block_list).
    pub async fn delete_block_list(&self, name: &str) -> Result<BlockListResponse> {
        ops::blocklists::delete_block_list(self, name).await
    }

    /// Lists the block lists (of one team, when given): `GET /api/v2/blocklists`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api), [`Error::Transport`](crate::Error::Transport)
    /// or [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn list_block_lists(&self, team: Option<&str>) -> Result<BlockListsResponse> {
        ops::blocklists::list_block_lists(self, team).await
    }

    /// Imports words into a block list, as a task:
    /// `POST /api/v2/blocklists/{name}/import`. The task adds the items in
    /// chunks and skips those already present; its result is a
    /// [`BlockListImportResult`]. An unknown list is refused at once (404).
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any
    ///   request, for a bad name (as [`get_block_list`](Client::get_block_list)),
    ///   no items or more than [`MAX_IMPORT_ITEMS`](crate::MAX_IMPORT_ITEMS), an item blank or over
    ///   [`MAX_BLOCKLIST_ITEM_LENGTH`](crate::MAX_BLOCKLIST_ITEM_LENGTH) characters once trimmed, or a chunk size
    ///   outside 1..=[`MAX_IMPORT_CHUNK_SIZE`](crate::MAX_IMPORT_CHUNK_SIZE);
    /// * [`Error::Api`](crate::Error::Api), [`Error::Transport`](crate::Error::Transport)
    ///   or [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn import_block_list(
        &self,
        request: ImportBlockListRequest,
    ) -> Result<TaskStarted<BlockListImportResult>> {
        ops::blocklists::import_block_list(self, request).await
    }
}
