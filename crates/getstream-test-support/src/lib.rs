//! What the tests of several crates of this workspace share, so that no test reaches into
//! another crate's files: a real `redis-server` started on a free loopback port
//! ([`RedisServer`]), and the tiny task server the SDK's doc examples run against
//! ([`serve`]).
//!
//! A dev-dependency only, by path and without a version: `cargo publish` drops it from
//! the packages that use it.

mod doc_server;
mod redis_server;

pub use doc_server::serve;
pub use redis_server::RedisServer;
