//! Server-side authentication: the API secret and the server token signed with it.
//!
//! Stream accepts any HS256 JWT signed with the API secret and without a
//! `user_id` as server auth. We send `{"server": true, "iat": <now>}`. The token
//! has no `exp`, so it never expires: it is minted once when the client is built
//! and reused for every request (no signing on the hot path). If an `exp` claim
//! is ever added, the token must be re-minted before it expires.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use crate::error::InvalidArgumentError;

/// A string that must never be shown: `Debug` and `Display` print `[redacted]`.
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

#[derive(Serialize)]
struct ServerClaims {
    server: bool,
    iat: u64,
}

/// Mints the server token (HS256, `{"server": true, "iat": now}`).
pub(crate) fn server_token(
    secret: &Secret,
    now: SystemTime,
) -> Result<Secret, InvalidArgumentError> {
    if secret.expose().is_empty() {
        return Err(InvalidArgumentError::new("api_secret", "must not be empty"));
    }
    let iat = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let claims = ServerClaims { server: true, iat };
    // Messages of signing errors never contain the key.
    let key = EncodingKey::from_secret(secret.expose().as_bytes())
        .map_err(|e| InvalidArgumentError::new("api_secret", format!("is not usable: {e}")))?;
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key)
        .map(Secret)
        .map_err(|e| InvalidArgumentError::new("api_secret", format!("cannot sign a token: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn token_verifies_with_the_secret_and_carries_server_claims() {
        let secret = Secret::new("s3cr3t-value");
        let token = server_token(&secret, SystemTime::now()).unwrap();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<serde_json::Value>(
            token.expose(),
            &DecodingKey::from_secret(b"s3cr3t-value").unwrap(),
            &validation,
        )
        .unwrap();
        assert_eq!(data.claims["server"], true);
        assert!(data.claims["iat"].as_u64().unwrap() > 1_600_000_000);
        assert!(data.claims.get("user_id").is_none());
        assert_eq!(
            format!("{secret:?} {secret} {token:?} {token}"),
            "Secret([redacted]) [redacted] Secret([redacted]) [redacted]"
        );
    }

    #[test]
    fn empty_secret_is_rejected() {
        assert!(server_token(&Secret::new(""), SystemTime::now()).is_err());
    }
}
