//! Feeds operations that start tasks: delete one feed, delete feeds in batch,
//! delete and export a user's feed data.

use http::Method;
use serde::Serialize;

use super::feeds_id::check_part;
use super::send::StartedWire;
use super::{
    DeleteFeedUserDataResult, DeleteFeedsResult, FeedId, FeedUserExportResult, OpRequest,
    TaskStarted, call, check_count, start,
};
use crate::client::Client;
use crate::error::{InvalidArgumentError, Result};
use crate::transport::Request;

/// At most this many feeds in one delete feeds request.
pub const MAX_DELETE_FEEDS: usize = 100;

/// Feeds operations, from [`Client::feeds`].
///
/// No pushed event names these tasks: their waits poll (a
/// [`TaskEvents`](crate::TaskEvents) hub does not wake them).
#[derive(Debug, Clone)]
pub struct Feeds {
    client: Client,
}

impl Feeds {
    pub(crate) fn new(client: &Client) -> Feeds {
        Feeds {
            client: client.clone(),
        }
    }

    /// Deletes one feed:
    /// `DELETE /api/v2/feeds/feed_groups/{group}/feeds/{id}`. The task's
    /// result is a [`DeleteFeedsResult`].
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any
    ///   request, for a group or id [`FeedId`] refuses, or
    ///   `purge_user_activities` without `hard_delete`;
    /// * [`Error::Api`](crate::Error::Api) (404 for an unknown feed),
    ///   [`Error::Transport`](crate::Error::Transport) or
    ///   [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn delete_feed(
        &self,
        request: DeleteFeedRequest,
    ) -> Result<TaskStarted<DeleteFeedsResult>> {
        request.validate()?;
        let path = [
            "api",
            "v2",
            "feeds",
            "feed_groups",
            request.group.as_str(),
            "feeds",
            request.id.as_str(),
        ];
        let mut http = Request::new(Method::DELETE, &path)?;
        if request.hard_delete {
            http = http.query("hard_delete", "true");
        }
        if request.purge_user_activities {
            http = http.query("purge_user_activities", "true");
        }
        let wire: StartedWire = self.client.transport().send(http).await?.into_body();
        Ok(wire.into_started(&self.client))
    }

    /// Deletes feeds in batch: `POST /api/v2/feeds/feeds/delete`. Every feed
    /// must exist (else the server refuses the request and starts nothing).
    /// The task's result is a [`DeleteFeedsResult`].
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any
    ///   request, for no feeds, more than [`MAX_DELETE_FEEDS`], or
    ///   `purge_user_activities` without `hard_delete`;
    /// * [`Error::Api`](crate::Error::Api) (400 naming missing feeds),
    ///   [`Error::Transport`](crate::Error::Transport) or
    ///   [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn delete_feeds(
        &self,
        request: DeleteFeedsRequest,
    ) -> Result<TaskStarted<DeleteFeedsResult>> {
        start(&self.client, &request).await
    }

    /// Deletes a user's feed data (their feeds, activities, follows, comments
    /// and reactions): `POST /api/v2/feeds/users/{user_id}/delete`. The
    /// task's result is a [`DeleteFeedUserDataResult`].
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any
    ///   request, for a blank user id;
    /// * [`Error::Api`](crate::Error::Api), [`Error::Transport`](crate::Error::Transport)
    ///   or [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn delete_user_data(
        &self,
        user_id: &str,
        hard_delete: bool,
    ) -> Result<TaskStarted<DeleteFeedUserDataResult>> {
        #[derive(Serialize)]
        struct Body {
            hard_delete: bool,
        }
        self.user_task(user_id, "delete", &Body { hard_delete })
            .await
    }

    /// Exports a user's feed data (profile, feeds, activities, follows,
    /// comments, reactions) to a file: `POST /api/v2/feeds/users/{user_id}/export`.
    /// The task's result is a [`FeedUserExportResult`] with a download link.
    ///
    /// # Errors
    ///
    /// As [`delete_user_data`](Self::delete_user_data).
    pub async fn export_user_data(
        &self,
        user_id: &str,
    ) -> Result<TaskStarted<FeedUserExportResult>> {
        self.user_task(user_id, "export", &serde_json::Map::new())
            .await
    }

    async fn user_task<T>(
        &self,
        user_id: &str,
        action: &str,
        body: &impl Serialize,
    ) -> Result<TaskStarted<T>> {
        if user_id.trim().is_empty() {
            return Err(InvalidArgumentError::new("user_id", "must not be empty").into());
        }
        let path = ["api", "v2", "feeds", "users", user_id, action];
        let wire: StartedWire = call(&self.client, Method::POST, &path, Some(body)).await?;
        Ok(wire.into_started(&self.client))
    }
}

fn check_purge(hard_delete: bool, purge_user_activities: bool) -> Result<()> {
    if purge_user_activities && !hard_delete {
        return Err(InvalidArgumentError::new(
            "purge_user_activities",
            "needs hard_delete: a soft delete keeps the activities",
        )
        .into());
    }
    Ok(())
}

/// What [`Feeds::delete_feed`] deletes: one feed, softly (marked deleted) or
/// for good.
///
/// ```
/// let request = getstream_tasks::DeleteFeedRequest::new("user", "alice")
///     .hard_delete(true)
///     .purge_user_activities(true);
/// assert_eq!(request.feed()?.to_string(), "user:alice");
/// # Ok::<(), getstream_tasks::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct DeleteFeedRequest {
    group: String,
    id: String,
    hard_delete: bool,
    purge_user_activities: bool,
}

impl DeleteFeedRequest {
    /// Deletes the feed `id` of the feed group `group` (soft unless
    /// [`hard_delete`](Self::hard_delete)).
    pub fn new(group: impl Into<String>, id: impl Into<String>) -> Self {
        DeleteFeedRequest {
            group: group.into(),
            id: id.into(),
            hard_delete: false,
            purge_user_activities: false,
        }
    }

    /// Deletes the feed `fid`.
    pub fn from_feed(fid: &FeedId) -> Self {
        DeleteFeedRequest::new(fid.group(), fid.id())
    }

    /// Removes the feed and its activities for good (`hard_delete`).
    pub fn hard_delete(mut self, on: bool) -> Self {
        self.hard_delete = on;
        self
    }

    /// Also removes the feed owner's activities from every other feed
    /// (`purge_user_activities`; needs [`hard_delete`](Self::hard_delete)).
    pub fn purge_user_activities(mut self, on: bool) -> Self {
        self.purge_user_activities = on;
        self
    }

    /// The feed, checked.
    ///
    /// # Errors
    ///
    /// As [`FeedId::new`].
    pub fn feed(&self) -> Result<FeedId> {
        FeedId::new(self.group.clone(), self.id.clone())
    }

    fn validate(&self) -> Result<()> {
        check_part("feed group", &self.group)?;
        check_part("feed id", &self.id)?;
        check_purge(self.hard_delete, self.purge_user_activities)
    }
}

/// The body of `POST /api/v2/feeds/feeds/delete`.
///
/// ```
/// use getstream_tasks::{DeleteFeedsRequest, FeedId};
/// let feeds: Vec<FeedId> = vec!["user:alice".parse()?, "timeline:alice".parse()?];
/// let request = DeleteFeedsRequest::new(feeds).hard_delete(true);
/// assert_eq!(
///     serde_json::to_value(&request).unwrap(),
///     serde_json::json!({"feeds": ["user:alice", "timeline:alice"],
///                        "hard_delete": true, "purge_user_activities": false}),
/// );
/// # Ok::<(), getstream_tasks::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[must_use]
pub struct DeleteFeedsRequest {
    feeds: Vec<FeedId>,
    hard_delete: bool,
    purge_user_activities: bool,
}

impl DeleteFeedsRequest {
    /// Deletes these feeds (1 to [`MAX_DELETE_FEEDS`], all existing), softly
    /// unless [`hard_delete`](Self::hard_delete).
    pub fn new(feeds: impl IntoIterator<Item = FeedId>) -> Self {
        DeleteFeedsRequest {
            feeds: feeds.into_iter().collect(),
            hard_delete: false,
            purge_user_activities: false,
        }
    }

    /// Removes the feeds and their activities for good.
    pub fn hard_delete(mut self, on: bool) -> Self {
        self.hard_delete = on;
        self
    }

    /// Also removes the owners' activities from every other feed (needs
    /// [`hard_delete`](Self::hard_delete)).
    pub fn purge_user_activities(mut self, on: bool) -> Self {
        self.purge_user_activities = on;
        self
    }

    /// The feeds to delete.
    pub fn feeds(&self) -> &[FeedId] {
        &self.feeds
    }
}

impl OpRequest for DeleteFeedsRequest {
    const PATH: &'static [&'static str] = &["api", "v2", "feeds", "feeds", "delete"];

    fn validate(&self) -> Result<()> {
        check_count("feeds", self.feeds.len(), MAX_DELETE_FEEDS)?;
        check_purge(self.hard_delete, self.purge_user_activities)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_checked() {
        let fid: FeedId = "user:a".parse().unwrap();
        assert!(DeleteFeedRequest::new("user", "a").validate().is_ok());
        assert!(
            DeleteFeedRequest::from_feed(&fid)
                .hard_delete(true)
                .purge_user_activities(true)
                .validate()
                .is_ok()
        );
        let max = vec![fid.clone(); MAX_DELETE_FEEDS];
        assert!(DeleteFeedsRequest::new(max.clone()).validate().is_ok());
        let bad_single = [
            DeleteFeedRequest::new("", "a"),
            DeleteFeedRequest::new("user", "a:b"),
            DeleteFeedRequest::new("user", "a").purge_user_activities(true),
        ];
        for request in bad_single {
            let e = request.validate().unwrap_err();
            assert!(e.is_invalid_argument(), "{e}");
        }
        let mut over = max;
        over.push(fid.clone());
        let bad_batch = [
            DeleteFeedsRequest::new([]),
            DeleteFeedsRequest::new(over),
            DeleteFeedsRequest::new([fid]).purge_user_activities(true),
        ];
        for request in bad_batch {
            let e = request.validate().unwrap_err();
            assert!(e.is_invalid_argument(), "{e}");
        }
    }
}
