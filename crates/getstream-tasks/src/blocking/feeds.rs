//! The blocking mirror of the feeds operations.

use crate::blocking::Client;
use crate::error::Result;
use crate::ops::{
    DeleteFeedRequest, DeleteFeedUserDataResult, DeleteFeedsRequest, DeleteFeedsResult,
    FeedUserExportResult,
};

use super::ops::TaskStarted;

impl Client {
    /// The feeds operations; see [`crate::Client::feeds`].
    pub fn feeds(&self) -> Feeds {
        Feeds {
            client: self.clone(),
        }
    }
}

/// Blocking feeds operations, from [`Client::feeds`].
#[derive(Debug, Clone)]
pub struct Feeds {
    client: Client,
}

impl Feeds {
    /// Deletes one feed; see [`crate::Feeds::delete_feed`].
    ///
    /// # Errors
    ///
    /// As [`crate::Feeds::delete_feed`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn delete_feed(
        &self,
        request: DeleteFeedRequest,
    ) -> Result<TaskStarted<DeleteFeedsResult>> {
        self.client
            .start(|client| async move { client.feeds().delete_feed(request).await })
    }

    /// Deletes feeds in batch; see [`crate::Feeds::delete_feeds`].
    ///
    /// # Errors
    ///
    /// As [`crate::Feeds::delete_feeds`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn delete_feeds(
        &self,
        request: DeleteFeedsRequest,
    ) -> Result<TaskStarted<DeleteFeedsResult>> {
        self.client
            .start(|client| async move { client.feeds().delete_feeds(request).await })
    }

    /// Deletes a user's feed data; see [`crate::Feeds::delete_user_data`].
    ///
    /// # Errors
    ///
    /// As [`crate::Feeds::delete_user_data`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn delete_user_data(
        &self,
        user_id: &str,
        hard_delete: bool,
    ) -> Result<TaskStarted<DeleteFeedUserDataResult>> {
        let user_id = user_id.to_owned();
        self.client.start(|client| async move {
            client.feeds().delete_user_data(&user_id, hard_delete).await
        })
    }

    /// Exports a user's feed data; see [`crate::Feeds::export_user_data`].
    ///
    /// # Errors
    ///
    /// As [`crate::Feeds::export_user_data`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn export_user_data(&self, user_id: &str) -> Result<TaskStarted<FeedUserExportResult>> {
        let user_id = user_id.to_owned();
        self.client
            .start(|client| async move { client.feeds().export_user_data(&user_id).await })
    }
}
