//! Fetching a URL within bounds: one time limit for connect, head and body; a size limit
//! checked against `Content-Length` first and then against every chunk read, so a body past
//! the limit is never read whole; no redirects, no proxy, names resolved by the policy's
//! resolver (see `policy`).

use std::time::Duration;

use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use reqwest::{Client, Url};

use super::policy::PolicyResolver;

/// The HTTP client of one task.
pub(crate) fn client(allow_remote: bool, timeout: Duration) -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(PolicyResolver { allow_remote })
        .connect_timeout(timeout)
        .user_agent(concat!("getstream-emulator/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|e| {
            // Only a TLS backend that fails to load gets here; a plain client still
            // refuses what the policy refuses, as every URL is checked before it is fetched.
            tracing::error!(error = %e, "bulk image moderation client with defaults");
            Client::new()
        })
}

/// What is read, and its bounds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    /// Largest body read, in bytes.
    pub max_bytes: u64,
    /// The flag that sets `max_bytes`, named in the error past it.
    pub max_flag: &'static str,
    /// Longest the whole fetch may take.
    pub timeout: Duration,
}

/// A fetched body's type.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fetched {
    /// Its `Content-Type` (lowercase, without parameters), if it has one.
    pub content_type: Option<String>,
    /// Its length in bytes.
    pub len: u64,
}

/// A network error, as a predicate ("could not be fetched: ...").
fn network(e: reqwest::Error) -> String {
    format!(
        "could not be fetched: {}",
        crate::report::one_line_chain(&e.without_url())
    )
}

/// Fetches `url`, handing each chunk of the body to `sink`.
///
/// # Errors
/// Why it could not be read, as a predicate of the thing fetched ("answered HTTP 404",
/// "is larger than ...", "took longer than ...", "could not be fetched: ..."): a network error, a status other than 2xx, the size or the time
/// limit. The message never holds the URL (which may carry credentials).
pub(crate) async fn fetch(
    client: &Client,
    url: &Url,
    bounds: Bounds,
    mut sink: impl FnMut(&[u8]),
) -> Result<Fetched, String> {
    let too_large = || {
        format!(
            "is larger than {} bytes (the emulator's {})",
            bounds.max_bytes, bounds.max_flag
        )
    };
    let read = async {
        let mut resp = client.get(url.clone()).send().await.map_err(network)?;
        let status = resp.status();
        if status.is_redirection() {
            return Err(format!(
                "answered HTTP {} (redirects are not followed)",
                status.as_u16()
            ));
        }
        if !status.is_success() {
            return Err(format!("answered HTTP {}", status.as_u16()));
        }
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase());
        let declared = resp
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > bounds.max_bytes) {
            return Err(too_large());
        }
        let mut len: u64 = 0;
        while let Some(chunk) = resp.chunk().await.map_err(network)? {
            len = len.saturating_add(chunk.len() as u64);
            if len > bounds.max_bytes {
                return Err(too_large());
            }
            sink(&chunk);
        }
        Ok(Fetched { content_type, len })
    };
    tokio::time::timeout(bounds.timeout, read)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "took longer than {} (the emulator's --fetch-timeout)",
                humantime::format_duration(bounds.timeout)
            ))
        })
}
