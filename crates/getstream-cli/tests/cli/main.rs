//! The `getstream` binary run as a process against an emulator started in this process.

mod support;

mod demo;
mod ops;
#[cfg(unix)]
mod signals;
mod tasks;
mod webhook;
