//! [`EventView`]: the typed view of a [`WebhookEvent`], by its `type`. Apart from
//! `event.rs` because it names the views of every file (`event.rs`'s task events,
//! `entity_events.rs`'s per-entity ones), which themselves only read a `WebhookEvent`.

use super::entity_events::{ActivityDeleted, CallDeleted, FeedDeleted};
use super::event::{
    ChannelBatchUpdate, ChannelDeleted, ExportFailed, ExportSucceeded, UserEvent, WebhookEvent,
    export_kind_of,
};

impl WebhookEvent {
    /// A typed view of the event, by its `type`; [`EventView::Other`] for any
    /// other type.
    pub fn view(&self) -> EventView<'_> {
        let event = self;
        match self.event_type() {
            t if export_kind_of(t).is_some() && t.ends_with(".success") => {
                EventView::ExportSucceeded(ExportSucceeded { event })
            }
            t if export_kind_of(t).is_some() && t.ends_with(".error") => {
                EventView::ExportFailed(ExportFailed { event })
            }
            "channel_batch_update.started" | "channel_batch_update.completed" => {
                EventView::ChannelBatchUpdate(ChannelBatchUpdate { event })
            }
            "channel.deleted" => EventView::ChannelDeleted(ChannelDeleted { event }),
            "user.deleted" | "user.deactivated" | "user.reactivated" => {
                EventView::User(UserEvent { event })
            }
            "call.deleted" => EventView::CallDeleted(CallDeleted::new(event)),
            "feeds.feed.deleted" | "feed.deleted" => {
                EventView::FeedDeleted(FeedDeleted::new(event))
            }
            "feeds.activity.deleted" | "activity.deleted" => {
                EventView::ActivityDeleted(ActivityDeleted::new(event))
            }
            _ => EventView::Other,
        }
    }
}

/// A typed view of a [`WebhookEvent`], from [`WebhookEvent::view`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum EventView<'a> {
    /// `export.{channels,users,bulk_image_moderation,moderation_logs,review_queue}.success`.
    ExportSucceeded(ExportSucceeded<'a>),
    /// `export.{channels,users,bulk_image_moderation,moderation_logs,review_queue}.error`.
    ExportFailed(ExportFailed<'a>),
    /// `channel_batch_update.started` or `channel_batch_update.completed`.
    ChannelBatchUpdate(ChannelBatchUpdate<'a>),
    /// `channel.deleted` (sent per channel by a channel delete).
    ChannelDeleted(ChannelDeleted<'a>),
    /// `user.deleted`, `user.deactivated` or `user.reactivated` (sent per
    /// user by the user jobs).
    User(UserEvent<'a>),
    /// `call.deleted` (a call delete sends it; no `task_id`).
    CallDeleted(CallDeleted<'a>),
    /// `feeds.feed.deleted` (also read under `feed.deleted`): one feed removed.
    FeedDeleted(FeedDeleted<'a>),
    /// `feeds.activity.deleted` (also read under `activity.deleted`): one
    /// activity removed.
    ActivityDeleted(ActivityDeleted<'a>),
    /// Any other event type.
    Other,
}
