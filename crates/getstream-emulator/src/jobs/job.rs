//! The job types: the kinds of job, the failure a job ends with, and the result it leaves.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kinds of background job the emulator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobKind {
    /// `POST /api/v2/chat/channels/delete` with `hard_delete: true`.
    DeleteChannels,
    /// `POST /api/v2/chat/export_channels`.
    ExportChannels,
    /// `POST /api/v2/export/users`.
    ExportUsers,
    /// `POST /api/v2/users/delete`.
    DeleteUsers,
    /// `POST /api/v2/users/deactivate`.
    DeactivateUsers,
    /// `POST /api/v2/users/reactivate`.
    ReactivateUsers,
    /// `POST /api/v2/blocklists/{name}/import`.
    ImportBlockList,
    /// The removal of memberships an upsert or partial update of users started (by taking
    /// teams from users; `membership_deletion_task_id`).
    MembershipDeletion,
    /// `PUT /api/v2/chat/channels/batch`.
    ChannelBatchUpdate,
    /// `POST /api/v2/moderation/bulk_image_moderation`.
    BulkImageModeration,
    /// `POST /api/v2/video/call/{type}/{id}/delete` with `hard: true`.
    DeleteCall,
    /// `DELETE /api/v2/feeds/feed_groups/{group}/feeds/{id}` and `POST /api/v2/feeds/feeds/delete`.
    DeleteFeeds,
    /// `POST /api/v2/feeds/users/{user_id}/delete`.
    DeleteFeedUserData,
    /// `POST /api/v2/feeds/users/{user_id}/export`.
    ExportFeedUserData,
}

impl JobKind {
    /// All kinds.
    pub const ALL: [JobKind; 14] = [
        JobKind::DeleteChannels,
        JobKind::ExportChannels,
        JobKind::ExportUsers,
        JobKind::DeleteUsers,
        JobKind::DeactivateUsers,
        JobKind::ReactivateUsers,
        JobKind::ImportBlockList,
        JobKind::MembershipDeletion,
        JobKind::ChannelBatchUpdate,
        JobKind::BulkImageModeration,
        JobKind::DeleteCall,
        JobKind::DeleteFeeds,
        JobKind::DeleteFeedUserData,
        JobKind::ExportFeedUserData,
    ];

    /// The snake_case name (`"export_channels"`).
    pub fn name(self) -> &'static str {
        match self {
            JobKind::DeleteChannels => "delete_channels",
            JobKind::ExportChannels => "export_channels",
            JobKind::ExportUsers => "export_users",
            JobKind::DeleteUsers => "delete_users",
            JobKind::DeactivateUsers => "deactivate_users",
            JobKind::ReactivateUsers => "reactivate_users",
            JobKind::ImportBlockList => "import_block_list",
            JobKind::MembershipDeletion => "membership_deletion",
            JobKind::ChannelBatchUpdate => "channel_batch_update",
            JobKind::BulkImageModeration => "bulk_image_moderation",
            JobKind::DeleteCall => "delete_call",
            JobKind::DeleteFeeds => "delete_feeds",
            JobKind::DeleteFeedUserData => "delete_feed_user_data",
            JobKind::ExportFeedUserData => "export_feed_user_data",
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of a job name that names no [`JobKind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown job {0:?} (expected one of delete_channels, export_channels, export_users, delete_users, deactivate_users, reactivate_users, import_block_list, membership_deletion, channel_batch_update, bulk_image_moderation, delete_call, delete_feeds, delete_feed_user_data, export_feed_user_data)"
)]
pub struct UnknownJobKind(String);

impl FromStr for JobKind {
    type Err = UnknownJobKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownJobKind(s.to_owned()))
    }
}

/// The `error` object of a failed task (Stream's `ErrorResult`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFailure {
    /// Error type, e.g. `"ExportChannelsError"`.
    #[serde(rename = "type")]
    pub error_type: String,
    /// Human description.
    pub description: String,
    /// Server stack trace (free text).
    #[serde(default)]
    pub stacktrace: String,
    /// Server version.
    #[serde(default)]
    pub version: String,
}

impl TaskFailure {
    /// An error with this type and description, and the emulator's stack trace and version.
    pub fn new(error_type: impl Into<String>, description: impl Into<String>) -> Self {
        let error_type = error_type.into();
        Self {
            stacktrace: format!(
                "{error_type}\n\tat getstream_emulator::jobs::run (emulated stack trace)"
            ),
            error_type,
            description: description.into(),
            version: format!("getstream-emulator-{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

impl Default for TaskFailure {
    fn default() -> Self {
        Self::new(
            "InjectedFailure",
            "the job failed because a failure was injected",
        )
    }
}

/// What a finished job leaves for the status endpoint.
#[derive(Debug, Clone)]
pub(crate) enum TaskResult {
    /// A JSON `result`.
    Json(Value),
    /// An export: `result.url` is built when the task is read, from the reader's host.
    Export { token: String },
    /// A file in the export store with more fields: `result` is `fields` and `url`, the
    /// file's link (named `{token}.{ext}`), built when the task is read.
    File {
        token: String,
        ext: String,
        fields: serde_json::Map<String, Value>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_kind_round_trips() {
        for k in JobKind::ALL {
            assert_eq!(k.name().parse::<JobKind>().unwrap(), k);
        }
        assert!("nope".parse::<JobKind>().is_err());
    }
}
