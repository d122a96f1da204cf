//! Server-side credentials: the API secret, the short-lived server tokens
//! signed with it, and the rule that keeps both off plain HTTP.
//!
//! * [`Secret`] holds a value that must never be shown and is wiped from
//!   memory when dropped.
//! * [`jwt`] signs a server token (HS256) with `hmac` + `sha2` + `base64`:
//!   the header and the claims have one fixed shape, so a JWT library (and
//!   its RSA/ECDSA/EdDSA crates) would buy nothing.
//! * [`tokens`] keeps the current token and re-mints it before it expires,
//!   without a lock on the request path.
//! * [`plain_http`] refuses `http://` base URLs to hosts other than loopback.

use std::fmt;

use zeroize::Zeroize;

pub(crate) mod jwt;
pub(crate) mod plain_http;
pub(crate) mod tokens;

/// A string that must never be shown: `Debug` and `Display` print
/// `[redacted]`, and dropping it overwrites its bytes (the whole allocation)
/// with zeros.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; only the signer and the transport call this.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let secret = Secret::new("s3cr3t-value");
        assert_eq!(
            format!("{secret:?} {secret} {:?}", Some(&secret)),
            "Secret([redacted]) [redacted] Some(Secret([redacted]))"
        );
    }
}

#[cfg(test)]
mod refresh_tests;
