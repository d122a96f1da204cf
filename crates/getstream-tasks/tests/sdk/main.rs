//! Integration tests of the SDK against real HTTP servers on loopback.
//!
//! One binary; every module sits beside this file. [`support`] holds the
//! shared helpers (the scripted server, clients with the test credentials and
//! clock, `secs`/`ms`, addresses that refuse or drop connections).

mod support;

#[cfg(feature = "blocking")]
mod blocking;
mod cancel;
mod client;
mod get;
mod hostile_limits;
mod jobs24;
mod jobs24_emulator;
mod jobs25;
mod jobs25_emulator;
mod lifecycle;
#[cfg(feature = "blocking")]
mod lifecycle_blocking;
mod limits;
mod many;
mod ops;
#[cfg(feature = "blocking")]
mod ops_blocking;
mod polling;
mod push;
#[cfg(feature = "axum")]
mod push_emulator;
#[cfg(feature = "axum")]
mod receiver;
#[cfg(feature = "axum")]
mod receiver_limits;
#[cfg(feature = "redis")]
mod redis_events;
mod sched;
mod sched_sockets;
mod send_sync;
#[cfg(feature = "blocking")]
mod video_blocking;
mod video_emulator;
mod wait;
mod watch;
mod webhook;
