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
mod scripted;
#[cfg(unix)]
mod signals;
mod tasks;
mod webhook;
