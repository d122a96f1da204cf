//! The typed results of the feeds tasks. Stream leaves these `result` maps
//! unspecified: the fields are the emulator's reading (`docs/stream-wire.md`),
//! every one defaulted when missing, and anything else kept in `extra`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The result of deleting one feed or feeds in batch
/// ([`Feeds::delete_feed`](crate::Feeds::delete_feed),
/// [`Feeds::delete_feeds`](crate::Feeds::delete_feeds)).
///
/// ```
/// let result: getstream_tasks::DeleteFeedsResult = serde_json::from_value(serde_json::json!({
///     "feeds": ["user:alice"], "hard_delete": true, "deleted_feeds": 1,
///     "deleted_activities": 12, "purged_activities": 3,
/// }))?;
/// assert_eq!(result.deleted_activities, 12);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeleteFeedsResult {
    /// The feeds the task deleted (`GROUP:ID`).
    #[serde(default)]
    pub feeds: Vec<String>,
    /// Whether it was a hard delete (feeds and activities removed) rather
    /// than a soft one (feeds marked deleted).
    #[serde(default)]
    pub hard_delete: bool,
    /// How many feeds were deleted.
    #[serde(default)]
    pub deleted_feeds: u64,
    /// How many activities of those feeds were removed.
    #[serde(default)]
    pub deleted_activities: u64,
    /// How many of the feeds' owners' activities were removed from other
    /// feeds (`purge_user_activities`; 0 when not purging).
    #[serde(default)]
    pub purged_activities: u64,
    /// Any other field of the result, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The result of deleting a user's feed data
/// ([`Feeds::delete_user_data`](crate::Feeds::delete_user_data)).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeleteFeedUserDataResult {
    /// The user whose data was deleted.
    #[serde(default)]
    pub user_id: String,
    /// Whether it was a hard delete.
    #[serde(default)]
    pub hard_delete: bool,
    /// How many of the user's feeds were deleted.
    #[serde(default)]
    pub deleted_feeds: u64,
    /// How many of the user's activities were deleted.
    #[serde(default)]
    pub deleted_activities: u64,
    /// How many follows (by or of the user's feeds) were removed.
    #[serde(default)]
    pub deleted_follows: u64,
    /// How many of the user's comments were deleted.
    #[serde(default)]
    pub deleted_comments: u64,
    /// How many of the user's reactions were deleted.
    #[serde(default)]
    pub deleted_reactions: u64,
    /// Any other field of the result, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The result of exporting a user's feed data
/// ([`Feeds::export_user_data`](crate::Feeds::export_user_data)): where to
/// download the file, and what it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FeedUserExportResult {
    /// A signed link to the export file (JSON: the user's profile, feeds,
    /// activities, follows, comments and reactions). Links expire; each status
    /// request ([`TaskHandle::get`](crate::TaskHandle::get)) issues a fresh one.
    pub url: String,
    /// The user exported.
    #[serde(default)]
    pub user_id: String,
    /// How many feeds the file holds.
    #[serde(default)]
    pub feeds: u64,
    /// How many activities.
    #[serde(default)]
    pub activities: u64,
    /// How many follows.
    #[serde(default)]
    pub follows: u64,
    /// How many comments.
    #[serde(default)]
    pub comments: u64,
    /// How many reactions.
    #[serde(default)]
    pub reactions: u64,
    /// Any other field of the result, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
