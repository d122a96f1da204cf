//! One module per subcommand.

pub mod batch_update;
pub mod blocklists;
pub mod calls;
pub mod channels;
pub mod demo;
pub mod demo_push;
pub mod emulator;
pub mod export;
pub mod feeds;
pub mod moderation;
pub mod restore;
pub mod tasks;
pub mod truncate;
pub mod users;
pub mod webhook;
