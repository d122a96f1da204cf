//! Integration tests of the emulator: handlers through the router (no socket), end-to-end
//! jobs over HTTP, fault injection and the admin API, and the binary's stdout contract.

#![allow(missing_docs)]

mod common;

mod handlers;

mod jobs;

mod faults;

mod cli;

mod lifecycle;
