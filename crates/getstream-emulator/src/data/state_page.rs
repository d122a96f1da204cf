//! A page of an app's data for `GET /_emulator/state`: a window of its users and channels, and of
//! each channel's messages, so inspecting a million messages never builds them all at once.

use serde_json::{Value, json};

use crate::data::app_data::AppData;
use crate::data::shapes;

/// Users and channels per page when `limit` is not given.
pub const DEFAULT_STATE_LIMIT: usize = 100;
/// The largest `limit`.
pub const MAX_STATE_LIMIT: usize = 1_000;
/// Messages per channel when `messages_limit` is not given.
pub const DEFAULT_STATE_MESSAGES_LIMIT: usize = 100;
/// The largest `messages_limit`.
pub const MAX_STATE_MESSAGES_LIMIT: usize = 1_000;
/// The most messages one page may hold: `limit × messages_limit` must not pass it.
pub const MAX_STATE_PAGE_MESSAGES: usize = 20_000;

/// Which window of an app's data a state page shows (see the constants for the defaults and
/// bounds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatePage {
    /// The first user and channel shown (both ordered by id).
    pub offset: usize,
    /// Users and channels shown, at most.
    pub limit: usize,
    /// The first message shown of each channel (oldest first).
    pub messages_offset: usize,
    /// Messages shown per channel, at most.
    pub messages_limit: usize,
}

impl Default for StatePage {
    fn default() -> Self {
        Self {
            offset: 0,
            limit: DEFAULT_STATE_LIMIT,
            messages_offset: 0,
            messages_limit: DEFAULT_STATE_MESSAGES_LIMIT,
        }
    }
}

impl StatePage {
    /// A page at `offset` of `limit` users and channels, with the default message window.
    pub fn new(offset: usize, limit: usize) -> Self {
        Self {
            offset,
            limit,
            ..Self::default()
        }
    }

    /// Sets the window of each channel's messages.
    #[must_use]
    pub fn messages(mut self, offset: usize, limit: usize) -> Self {
        self.messages_offset = offset;
        self.messages_limit = limit;
        self
    }

    /// Checks the bounds; the error names the field and its limit.
    ///
    /// # Errors
    /// `(field, problem)` for a limit past its maximum.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.limit > MAX_STATE_LIMIT {
            return Err(("limit", format!("must be at most {MAX_STATE_LIMIT}")));
        }
        if self.messages_limit > MAX_STATE_MESSAGES_LIMIT {
            return Err((
                "messages_limit",
                format!("must be at most {MAX_STATE_MESSAGES_LIMIT}"),
            ));
        }
        if self.limit.saturating_mul(self.messages_limit) > MAX_STATE_PAGE_MESSAGES {
            return Err((
                "messages_limit",
                format!(
                    "limit × messages_limit must be at most {MAX_STATE_PAGE_MESSAGES} messages per page"
                ),
            ));
        }
        Ok(())
    }

    /// The page of `data`.
    pub(crate) fn render(&self, data: &AppData) -> Value {
        let users: Vec<Value> = data
            .users
            .values()
            .skip(self.offset)
            .take(self.limit)
            .map(shapes::user)
            .collect();
        let channels: Vec<Value> = data
            .channels
            .values()
            .skip(self.offset)
            .take(self.limit)
            .map(|c| {
                let window = c.messages.iter().skip(self.messages_offset);
                let mut ch = shapes::channel_with(c, &data.users, window.take(self.messages_limit));
                ch["messages_total"] = json!(c.messages.len());
                ch
            })
            .collect();
        let end = self.offset.saturating_add(self.limit);
        let more = end < data.users.len() || end < data.channels.len();
        json!({
            "users": users,
            "users_total": data.users.len(),
            "channels": channels,
            "channels_total": data.channels.len(),
            "offset": self.offset,
            "limit": self.limit,
            "messages_offset": self.messages_offset,
            "messages_limit": self.messages_limit,
            "next_offset": more.then_some(end),
        })
    }
}
