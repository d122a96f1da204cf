//! Asynchronous tasks: reading a task's status ([`get`]), the wait builder
//! ([`builder`]) and its polling loop ([`poller`]), watching a wait as a
//! stream ([`watch`]), waiting on many at once ([`many`]), and the pure
//! polling decisions ([`policy`]). Duplicate polls of one task in one client
//! share one request ([`shared`]). Every poll passes the client's scheduler
//! ([`crate::sched`]): its in-flight bound and request budget.

pub(crate) mod builder;
pub(crate) mod get;
pub(crate) mod many;
pub(crate) mod policy;
pub(crate) mod poller;
pub(crate) mod shared;
pub(crate) mod watch;
