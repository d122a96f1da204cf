//! One app's data as plain values: users, channels, members, messages, block lists and
//! teams, and the operations on them. No I/O, no locks: `state/` holds an app's data behind
//! its lock, `persist/` saves the rows `changes` names.
//!
//! `app_data` defines `AppData` and its entities; each other file adds one concern's
//! operations as an `impl AppData` block (`blocklist_ops`, `teams`, `channel_ops`,
//! `lifecycle`) or reads the data (`channel_filter`, `shapes`, `state_page`), so that
//! `app_data` imports only the types its fields hold.

pub(crate) mod app_data;
pub(crate) mod blocklist_ops;
pub(crate) mod blocklists;
pub(crate) mod changes;
pub(crate) mod channel_filter;
pub(crate) mod channel_ops;
pub(crate) mod lifecycle;
pub(crate) mod shapes;
pub(crate) mod state_page;
pub(crate) mod teams;
