//! The [`Client`]: a facade over one shared state (`ClientInner`), and its
//! [`ClientBuilder`].
//!
//! Every method of `Client` lives in this folder as a short call into the
//! module that does the work: `waits.rs` into `tasks/`, `users.rs` and
//! `blocklists.rs` into `ops/`, `products.rs` (the `chat()`-style accessors)
//! into `ops/`, `webhooks.rs` into `webhook/`. The struct itself (this file)
//! and its state (`inner.rs`) import none of them, so those modules can hold
//! a `Client` without an import loop.

use std::fmt;
use std::sync::Arc;

use crate::events::TaskEvents;
use crate::transport::Transport;

mod blocklists;
mod builder;
mod inner;
mod products;
mod users;
mod waits;
mod webhooks;

pub use builder::{
    ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TIMEOUT, DEFAULT_TOKEN_TTL,
};
pub(crate) use inner::{ClientInner, WaitDefaults};

/// A client for Stream's server-side API.
///
/// Cheap to clone: clones share one connection pool (kept alive across polls)
/// and one server token. The secret and the token never show in `Debug`.
///
/// ```
/// let client = getstream_tasks::Client::new("my-api-key", "my-api-secret")?;
/// let debug = format!("{client:?}");
/// assert!(debug.contains("my-api-key") && !debug.contains("my-api-secret"));
/// # Ok::<(), getstream_tasks::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    /// Everything the client's clones share.
    pub(crate) inner: Arc<ClientInner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transport = &self.inner.transport;
        f.debug_struct("Client")
            .field("base_url", &transport.base_url().as_str())
            .field("api_key", &transport.api_key())
            .field("api_secret", &"[redacted]")
            .field("timeout", &transport.request_timeout())
            .finish()
    }
}

impl Client {
    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.inner.transport.base_url().as_str()
    }

    /// The API key this client sends.
    pub fn api_key(&self) -> &str {
        self.inner.transport.api_key()
    }

    /// The hub of pushed events this client's waits listen to, if any.
    pub fn task_events(&self) -> Option<&TaskEvents> {
        self.inner.events.as_ref()
    }

    /// The most requests this client (with its clones) has had in flight at
    /// once; never more than its
    /// [`max_in_flight`](ClientBuilder::max_in_flight).
    pub fn peak_in_flight(&self) -> usize {
        self.inner.transport.scheduler().peak_in_flight()
    }

    /// The HTTP side: what every operation sends its requests through.
    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// The API secret, kept to verify webhook signatures.
    pub(crate) fn webhook_secret(&self) -> &str {
        self.inner.webhook_secret.expose()
    }
}
