//! The `getstream` binary run as a process against an emulator started in this process.

mod support;

mod calls;
mod demo;
#[cfg(unix)]
mod durable;
mod escapes;
mod events;
mod jobs24;
mod jobs24_emulator;
mod jobs25;
mod jobs25_emulator;
mod lifecycle;
mod ops;
#[cfg(target_os = "linux")]
mod receiver_soak;
// The SDK's tests start redis-server the same way: one helper for both test binaries.
// Each binary uses part of it.
#[allow(dead_code)]
#[path = "../../../getstream-tasks/tests/sdk/redis_server.rs"]
mod redis_server;
mod scripted;
#[cfg(unix)]
mod signals;
mod tasks;
mod webhook;
