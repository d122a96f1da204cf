//! One module per subcommand.

pub mod channels;
pub mod demo;
pub mod demo_push;
pub mod emulator;
pub mod export;
pub mod tasks;
pub mod users;
