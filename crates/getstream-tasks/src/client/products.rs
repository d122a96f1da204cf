//! The product accessors: `client.chat()` and the like, each a handle that shares this
//! client. A new product's accessor is one method here, `Product::new(self)`, with the
//! product's type and its operations in `ops/<product>.rs`.

use super::Client;
use crate::ops::Chat;

impl Client {
    /// The chat operations (delete and export channels). Cheap: shares this
    /// client.
    pub fn chat(&self) -> Chat {
        Chat::new(self)
    }
}
