//! Integration tests of the emulator: handlers through the router (no socket), end-to-end
//! jobs over HTTP, fault injection and the admin API, and the binary's stdout contract.

#![allow(missing_docs)]

#[path = "emulator/common.rs"]
mod common;

#[path = "emulator/handlers.rs"]
mod handlers;

#[path = "emulator/jobs.rs"]
mod jobs;

#[path = "emulator/faults.rs"]
mod faults;

#[path = "emulator/cli.rs"]
mod cli;

#[path = "emulator/webhooks.rs"]
mod webhooks;
