//! The HTTP side: the socket and its connections, the router and the per-request layer
//! every route wears, the extractors and Stream's error envelope that handlers answer with.
//!
//! A request flows `server` → `accept` (one `connection` each) → `router` → `stack`
//! (request clock, log, `admin_guard` or authentication, `ratelimit`, `faults`) → a handler
//! under `handlers/`, which decodes with `extract` and answers errors with `error`; the
//! legacy paths' answers are rewritten by `v1`.

pub(crate) mod accept;
pub(crate) mod admin_guard;
pub(crate) mod connection;
pub(crate) mod error;
pub(crate) mod extract;
pub(crate) mod faults;
pub(crate) mod ratelimit;
pub(crate) mod router;
pub(crate) mod server;
pub(crate) mod stack;
pub(crate) mod v1;
