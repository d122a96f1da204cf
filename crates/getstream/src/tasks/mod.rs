//! Asynchronous tasks: reading a task's status ([`get`]), waiting for it to
//! finish ([`wait`]), watching it, and waiting on many at once ([`many`]), with
//! the polling decisions kept pure in [`policy`].

pub(crate) mod get;
pub(crate) mod many;
pub(crate) mod policy;
pub(crate) mod wait;
