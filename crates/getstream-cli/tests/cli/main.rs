//! The `getstream` binary run as a process against an emulator started in this process.

mod support;

mod demo;
#[cfg(unix)]
mod durable;
mod escapes;
mod events;
mod lifecycle;
mod ops;
mod redis_server;
#[cfg(unix)]
mod signals;
mod tasks;
mod webhook;
