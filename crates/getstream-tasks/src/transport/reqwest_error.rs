//! Classifying reqwest's errors into [`TransportError`]s: what failed
//! (connection, timeout, DNS, TLS) and whether the request ever connected.

use std::error::Error as StdError;

use crate::error::{TransportError, TransportKind};

impl TransportError {
    /// Maps a reqwest error (already stripped of its URL) to a transport error.
    pub(crate) fn from_reqwest(what: &str, err: reqwest::Error) -> Self {
        let (kind, connect) = classify(&err);
        let detail = describe(&err);
        let mut e = TransportError::new(kind, format!("{what}: {detail}"), Some(Box::new(err)));
        e.connect = connect;
        e
    }
}

/// Every `io::ErrorKind` in the cause chain, outermost first. An `io::Error`'s
/// own `source()` skips the error it wraps, so descend through `get_ref()`.
fn io_kinds(err: &(dyn StdError + 'static)) -> Vec<std::io::ErrorKind> {
    let mut kinds = Vec::new();
    let mut current = Some(err);
    while let Some(e) = current {
        current = match e.downcast_ref::<std::io::Error>() {
            Some(io) => {
                kinds.push(io.kind());
                match io.get_ref() {
                    Some(inner) => Some(inner as &(dyn StdError + 'static)),
                    None => e.source(),
                }
            }
            None => e.source(),
        };
    }
    kinds
}

fn chain_text(err: &(dyn StdError + 'static)) -> String {
    let mut out = String::new();
    let mut current = Some(err);
    while let Some(e) = current {
        out.push_str(&e.to_string().to_ascii_lowercase());
        out.push('\n');
        current = e.source();
    }
    out
}

/// Classifies a reqwest error: (type, could-not-connect).
///
/// reqwest does not expose rustls or hyper-util's error types, so TLS failures are
/// recognised by an `InvalidData` I/O error (or TLS words) in the cause chain of
/// a connect error, everything else by reqwest's predicates and the
/// `io::ErrorKind` found in the chain.
fn classify(err: &reqwest::Error) -> (TransportKind, bool) {
    use std::io::ErrorKind as K;
    let connect = err.is_connect();
    if err.is_timeout() {
        return (TransportKind::Timeout, connect);
    }
    if err.is_dns() {
        return (TransportKind::DnsFailure, true);
    }
    let kinds = io_kinds(err);
    if connect {
        // The TLS layer reports its failures (rustls errors, alerts, bad
        // certificates) as `InvalidData` I/O errors; TCP connect never does.
        let text = chain_text(err);
        if kinds.contains(&K::InvalidData)
            || text.contains("tls")
            || text.contains("certificate")
            || text.contains("handshake")
        {
            return (TransportKind::TlsHandshakeFailed, true);
        }
    }
    if kinds.contains(&K::TimedOut) {
        return (TransportKind::Timeout, connect);
    }
    let broken = |kind: &K| {
        matches!(
            kind,
            K::ConnectionRefused
                | K::ConnectionReset
                | K::ConnectionAborted
                | K::BrokenPipe
                | K::UnexpectedEof
                | K::NotConnected
                | K::AddrNotAvailable
                | K::NetworkUnreachable
                | K::HostUnreachable
                | K::NetworkDown
        )
    };
    if kinds.iter().any(broken) {
        return (TransportKind::ConnectionReset, connect);
    }
    if connect {
        return (TransportKind::ConnectionReset, true);
    }
    // Sending the request or reading the response failed without a more specific
    // cause: the connection broke ("connection closed before message completed").
    if err.is_request() || err.is_body() {
        return (TransportKind::ConnectionReset, false);
    }
    (TransportKind::Unknown, false)
}

/// The cause chain of a reqwest error, joined on one line (no URL: callers strip
/// it and name the method and path themselves).
fn describe(err: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}
