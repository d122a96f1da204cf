//! The `getstream` binary run as a process against an emulator started in this process.

mod cli {
    pub mod support;

    mod demo;
    mod events;
    mod ops;
    mod redis_server;
    #[cfg(unix)]
    mod signals;
    mod tasks;
}
