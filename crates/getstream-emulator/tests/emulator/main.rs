//! Integration tests of the emulator: handlers through the router (no socket), end-to-end
//! jobs over HTTP, fault injection and the admin API, the binary's stdout contract, and the
//! webhooks the jobs push to receivers on loopback.

#![allow(missing_docs)]

mod support;

mod handlers;

mod channels;

mod channel_batch;

mod jobs;

mod faults;

mod cli;

mod data_dir;

mod lifecycle;

mod v1;

mod webhooks;

mod event_hooks;

mod scale;

mod auth_limits;

mod admin_gate;
mod blocklists;
mod connections;
mod feeds;
mod feeds_tasks;
mod memberships;
mod moderation;
mod moderation_hostile;
mod video;
