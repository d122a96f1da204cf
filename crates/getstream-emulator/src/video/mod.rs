//! Video calls: each app keeps its calls (get-or-create, get, delete), and a hard delete
//! runs as a task that removes the call with its members, sessions and recordings.
//!
//! The emulator runs no media. So that a call has sessions and recordings to remove, it
//! counts them by the rule the crate docs state: every get-or-create request opens a
//! session (the request joins the call), and one sent with `video: true` also records it;
//! [`CallSeed`] puts a call with any number of them in place.

mod calls;
mod handlers;
mod job;
mod model;
pub(crate) mod persist;
mod seed;
mod shape;
#[cfg(test)]
mod tests;

pub(crate) use handlers::{delete_call, get_call, get_or_create_call};
pub(crate) use job::delete_call_work;
pub(crate) use model::Call;
pub use seed::CallSeed;
