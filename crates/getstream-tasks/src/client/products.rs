//! The product accessors: `client.chat()` and the like, each a handle that shares this
//! client. A new product's accessor is one method here, `Product::new(self)`, with the
//! product's type and its operations in `ops/<product>.rs`.

use super::Client;
use crate::ops::{Chat, Feeds, Moderation, Video};

impl Client {
    /// The chat operations (delete and export channels). Cheap: shares this
    /// client.
    pub fn chat(&self) -> Chat {
        Chat::new(self)
    }

    /// The video operations (delete a call). Cheap: shares this client.
    pub fn video(&self) -> Video {
        Video::new(self)
    }

    /// The feeds operations (delete feeds, delete and export a user's feed
    /// data). Cheap: shares this client.
    pub fn feeds(&self) -> Feeds {
        Feeds::new(self)
    }

    /// The moderation operations (bulk image moderation). Cheap: shares this
    /// client.
    pub fn moderation(&self) -> Moderation {
        Moderation::new(self)
    }
}
