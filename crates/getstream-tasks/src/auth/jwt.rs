//! HS256 server tokens, signed by hand.
//!
//! A JWT is `base64url(header) . base64url(claims) . base64url(HMAC-SHA256(
//! secret, first two parts))` (RFC 7519, RFC 7515 appendix A.1). Ours always
//! has the header `{"typ":"JWT","alg":"HS256"}` and the claims
//! `{"server":true,"iat":<unix s>,"exp":<unix s>}`; Stream accepts any token
//! signed with the API secret and without `user_id` as server auth.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

use super::Secret;
use crate::error::InvalidArgumentError;

// Field order as jsonwebtoken writes it, so tokens are byte for byte the
// ones the SDK sent when it signed with that crate.
const HEADER: &str = r#"{"typ":"JWT","alg":"HS256"}"#;

/// The time claims of a server token, in seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenTimes {
    /// Issued at.
    pub(crate) iat: u64,
    /// Expires at.
    pub(crate) exp: u64,
}

/// Signs a server token with `secret` (which must not be empty).
pub(crate) fn server_token(
    secret: &Secret,
    times: TokenTimes,
) -> Result<Secret, InvalidArgumentError> {
    if secret.expose().is_empty() {
        return Err(InvalidArgumentError::new("api_secret", "must not be empty"));
    }
    let claims = format!(
        r#"{{"server":true,"iat":{},"exp":{}}}"#,
        times.iat, times.exp
    );
    // header + claims + signature, each base64url: 36 + ~60 + 43 characters.
    let mut token = String::with_capacity(160);
    URL_SAFE_NO_PAD.encode_string(HEADER, &mut token);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(claims, &mut token);
    // HMAC takes keys of any length; the error is unreachable, and its
    // message would not contain the key anyway.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .map_err(|_| InvalidArgumentError::new("api_secret", "is not usable as an HMAC key"))?;
    mac.update(token.as_bytes());
    let signature = mac.finalize().into_bytes();
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(Secret::new(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};

    const TIMES: TokenTimes = TokenTimes {
        iat: 1_700_000_000,
        exp: 1_700_003_600,
    };

    fn decode(token: &str, secret: &[u8]) -> jsonwebtoken::errors::Result<serde_json::Value> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        jsonwebtoken::decode::<serde_json::Value>(
            token,
            &DecodingKey::from_secret(secret).unwrap(),
            &validation,
        )
        .map(|data| data.claims)
    }

    #[test]
    fn jsonwebtoken_verifies_our_token_and_reads_its_claims() {
        for secret in ["s3cr3t-value", "ü-unicode-🔑", &"long".repeat(100)] {
            let token = server_token(&Secret::new(secret), TIMES).unwrap();
            let claims = decode(token.expose(), secret.as_bytes()).unwrap();
            assert_eq!(
                claims,
                serde_json::json!({"server": true, "iat": 1_700_000_000u64, "exp": 1_700_003_600u64})
            );
            let header = jsonwebtoken::decode_header(token.expose()).unwrap();
            assert_eq!(header.alg, Algorithm::HS256);
            assert_eq!(header.typ.as_deref(), Some("JWT"));
            // Another secret does not verify it.
            assert!(decode(token.expose(), b"another-secret").is_err());
        }
    }

    #[test]
    fn same_bytes_as_jsonwebtoken_for_the_same_claims() {
        #[derive(serde::Serialize)]
        struct Claims {
            server: bool,
            iat: u64,
            exp: u64,
        }
        let theirs = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &Claims {
                server: true,
                iat: TIMES.iat,
                exp: TIMES.exp,
            },
            &jsonwebtoken::EncodingKey::from_secret(b"s3cr3t-value").unwrap(),
        )
        .unwrap();
        let ours = server_token(&Secret::new("s3cr3t-value"), TIMES).unwrap();
        assert_eq!(ours.expose(), theirs);
    }

    #[test]
    fn empty_secret_is_rejected() {
        let e = server_token(&Secret::new(""), TIMES).unwrap_err();
        assert_eq!(e.argument(), "api_secret");
    }

    /// PyJWT (the official Python SDK's JWT library) verifies our token.
    /// Needs a Python with PyJWT: `scripts/python-compat.sh` runs it with
    /// `PYJWT_PYTHON=<its virtualenv's python>`.
    #[test]
    #[ignore = "needs Python with PyJWT; run by scripts/python-compat.sh"]
    fn pyjwt_verifies_our_token() {
        use std::io::Write as _;
        let python =
            std::env::var("PYJWT_PYTHON").expect("set PYJWT_PYTHON to a python with PyJWT");
        let token = server_token(&Secret::new("s3cr3t-value-of-at-least-32-bytes"), TIMES).unwrap();
        let script = "import jwt, json, sys\n\
            token = sys.stdin.read().strip()\n\
            claims = jwt.decode(token, 's3cr3t-value-of-at-least-32-bytes', algorithms=['HS256'], options={'verify_exp': False})\n\
            try:\n    jwt.decode(token, 'another-secret-of-at-least-32-bytes', algorithms=['HS256'], options={'verify_exp': False})\n    sys.exit('verified with another secret')\n\
            except jwt.InvalidSignatureError:\n    pass\n\
            print(json.dumps(claims, sort_keys=True))\n";
        let mut child = std::process::Command::new(python)
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(token.expose().as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            String::from_utf8(out.stdout).unwrap().trim(),
            r#"{"exp": 1700003600, "iat": 1700000000, "server": true}"#
        );
    }
}
