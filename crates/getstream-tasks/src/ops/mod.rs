//! Operations that start tasks, and the typed handles to wait on them.
//!
//! Each operation sends one request and answers with what the server said at
//! once ([`TaskStarted`], or [`DeleteChannelsResponse`] for delete channels)
//! plus a [`TaskHandle`] whose [`wait`](TaskHandle::wait) resolves to the
//! operation's typed result ([`ExportResult`], [`DeleteChannelsResult`],
//! [`DeleteUsersResult`]). Requests are checked against the spec's limits
//! before anything is sent.

mod batch;
mod batch_parts;
pub(crate) mod blocklists;
mod chat;
mod feeds;
mod feeds_id;
mod feeds_results;
mod handle;
mod moderation;
mod records;
mod results;
mod send;
mod truncate;
pub(crate) mod user_lifecycle;
pub(crate) mod user_upsert;
mod users;
mod validate;
mod video;

pub use handle::TaskHandle;
#[cfg(feature = "__fuzz")]
pub(crate) use handle::decode_result;
pub(crate) use results::lenient_string;
pub use results::{
    BlockListImportResult, ChannelBatchUpdateResult, DeleteChannelsResult, DeleteUsersResult,
    ExportResult, FailedChannels, ItemResult, ItemStatus, MembershipDeletionResult,
    RemovedMemberships,
};
pub use send::TaskStarted;
pub(crate) use send::{OpRequest, call, send, start};
pub(crate) use validate::{check_count, check_ids, check_optional_id};

pub use batch::{
    ChannelBatchFilter, ChannelBatchMember, ChannelBatchOperation, ChannelBatchUpdateRequest,
    ChannelBatchUpdateResponse, ChannelDataUpdate, MAX_BATCH_MEMBERS,
};
pub use blocklists::{
    BlockList, BlockListResponse, BlockListType, BlockListsResponse, CreateBlockListRequest,
    ImportBlockListRequest, MAX_BLOCKLIST_ITEM_LENGTH, MAX_IMPORT_CHUNK_SIZE, MAX_IMPORT_ITEMS,
    UpdateBlockListRequest,
};
pub use chat::{
    ChannelRef, Chat, DeleteChannelsRequest, DeleteChannelsResponse, ExportChannelsRequest,
    ExportFormat,
};
pub use feeds::{DeleteFeedRequest, DeleteFeedsRequest, Feeds, MAX_DELETE_FEEDS};
pub use feeds_id::{FeedId, MAX_FEED_ID_PART};
pub use feeds_results::{DeleteFeedUserDataResult, DeleteFeedsResult, FeedUserExportResult};
pub use moderation::{BulkImageModerationResult, Moderation};
pub use records::{Channel, Message, User};
pub use truncate::{MAX_MESSAGE_LENGTH, TruncateChannelRequest, TruncateChannelResponse};
pub use user_lifecycle::{
    DeactivateUserRequest, DeleteUserRequest, ExportUserResponse, ReactivateUserRequest,
    RestoreUsersRequest, RestoreUsersResponse, UserResponse,
};
pub use user_upsert::{UpdateUsersResponse, UserPartialUpdate, UserRequest};
pub use users::{
    DeactivateUsersRequest, DeleteMode, DeleteUsersRequest, ExportUsersRequest,
    ReactivateUsersRequest,
};
pub use video::{
    Call, DeleteCallRequest, DeleteCallResponse, DeleteCallResult, DeletedCallParts,
    MAX_CALL_ID_LENGTH, Video,
};

/// At most this many channel ids in one delete channels or export channels
/// request (the spec's limit).
pub const MAX_CHANNELS: usize = 100;
/// At most this many user ids in one export users request.
pub const MAX_EXPORT_USERS: usize = 25;
/// At most this many user ids in one delete, deactivate or reactivate users
/// request.
pub const MAX_USERS: usize = 100;
