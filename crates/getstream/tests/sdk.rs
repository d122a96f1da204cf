//! Integration tests of the SDK against real HTTP servers on loopback.

#[path = "sdk/doc_server.rs"]
mod doc_server;
mod sdk {
    pub mod support;

    #[cfg(feature = "blocking")]
    mod blocking;
    mod cancel;
    mod client;
    mod get;
    mod lifecycle;
    #[cfg(feature = "blocking")]
    mod lifecycle_blocking;
    mod many;
    mod ops;
    #[cfg(feature = "blocking")]
    mod ops_blocking;
    mod polling;
    mod send_sync;
    mod wait;
    mod watch;
}
