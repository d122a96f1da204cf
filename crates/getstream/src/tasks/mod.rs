//! Asynchronous tasks: reading a task's status ([`get`]) and waiting for it to
//! finish ([`wait`]), with the polling decisions kept pure in [`policy`].

pub(crate) mod get;
pub(crate) mod policy;
pub(crate) mod wait;
