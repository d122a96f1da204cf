//! One module per subcommand.

pub mod channels;
pub mod demo;
pub mod emulator;
pub mod export;
pub mod tasks;
pub mod users;
pub mod webhook;
