//! Signed, expiring download links of export files, as Stream's are (a signed URL that expires).
//!
//! A link is `{base}/_emulator/exports/{token}.json?api_key={key}&expires={unix seconds}&signature={hex}`,
//! where `signature` is the lowercase hex HMAC-SHA256, keyed with the owning app's API secret,
//! of `"{token}\n{api_key}\n{expires}"`. A download checks that `api_key` names the app that owns
//! the file, that the signature verifies with that app's secret, and that `expires` has not
//! passed: a link of one app never serves another app's file, and a link cannot be extended
//! without the secret. Each read of the task signs a fresh link.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::webhooks::signer::sign;

/// How long an export link is valid by default: 24 hours.
pub const DEFAULT_EXPORT_LINK_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// The wall clock, in Unix seconds.
pub(crate) fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn payload(token: &str, api_key: &str, expires: u64) -> String {
    format!("{token}\n{api_key}\n{expires}")
}

/// The query of a link to `token` for `api_key`, valid until `now + ttl`.
pub(crate) fn signed_query(
    token: &str,
    api_key: &str,
    secret: &str,
    ttl: Duration,
    now: u64,
) -> String {
    let expires = now.saturating_add(ttl.as_secs());
    let signature = sign(payload(token, api_key, expires).as_bytes(), secret);
    let key: String = form_urlencoded::byte_serialize(api_key.as_bytes()).collect();
    format!("api_key={key}&expires={expires}&signature={signature}")
}

/// `link` (to `{token}.json`) as a link to the same file named `{token}.{ext}`: the download
/// route answers the extension's content type.
pub(crate) fn with_ext(link: &str, token: &str, ext: &str) -> String {
    link.replacen(&format!("{token}.json"), &format!("{token}.{ext}"), 1)
}

/// Why a download link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LinkError {
    /// `api_key`, `expires` or `signature` is missing or malformed.
    #[error("the link is not signed: it needs api_key, expires and signature")]
    Unsigned,
    /// The link names another app, or its signature does not verify.
    #[error("the link's signature does not match this file")]
    BadSignature,
    /// The link expired.
    #[error("the link expired; read the task again for a fresh one")]
    Expired,
}

/// The signed parts of a link's query.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct LinkQuery {
    pub api_key: Option<String>,
    pub expires: Option<String>,
    pub signature: Option<String>,
}

impl LinkQuery {
    /// The parts of a raw query string (unknown parameters are ignored).
    pub fn parse(query: Option<&str>) -> Self {
        let mut q = Self::default();
        for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let slot = match k.as_ref() {
                "api_key" => &mut q.api_key,
                "expires" => &mut q.expires,
                "signature" => &mut q.signature,
                _ => continue,
            };
            *slot = Some(v.into_owned());
        }
        q
    }
}

/// Checks a link to `token` for a file owned by `owner_key` (whose secret is `owner_secret`)
/// at time `now` (Unix seconds).
///
/// # Errors
/// The [`LinkError`] that refuses it.
pub(crate) fn verify(
    q: &LinkQuery,
    token: &str,
    owner_key: &str,
    owner_secret: &str,
    now: u64,
) -> Result<(), LinkError> {
    let (Some(key), Some(expires), Some(signature)) = (&q.api_key, &q.expires, &q.signature) else {
        return Err(LinkError::Unsigned);
    };
    let expires_at: u64 = expires.parse().map_err(|_| LinkError::Unsigned)?;
    if key != owner_key {
        return Err(LinkError::BadSignature);
    }
    let expected = sign(payload(token, key, expires_at).as_bytes(), owner_secret);
    if !same(expected.as_bytes(), signature.as_bytes()) {
        return Err(LinkError::BadSignature);
    }
    if now > expires_at {
        return Err(LinkError::Expired);
    }
    Ok(())
}

/// Constant-time equality (a signature check must not leak how much of a guess matched).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    fn query(q: &str) -> LinkQuery {
        LinkQuery::parse(Some(q))
    }

    #[test]
    fn a_fresh_link_verifies_until_it_expires() {
        let now = 1_700_000_000;
        let q = query(&signed_query("tok", "key-a", "secret-a", DAY, now));
        assert_eq!(verify(&q, "tok", "key-a", "secret-a", now), Ok(()));
        assert_eq!(verify(&q, "tok", "key-a", "secret-a", now + 86_400), Ok(()));
        assert_eq!(
            verify(&q, "tok", "key-a", "secret-a", now + 86_401),
            Err(LinkError::Expired)
        );
    }

    #[test]
    fn another_app_another_file_or_a_changed_expiry_is_refused() {
        let now = 1_700_000_000;
        let signed = signed_query("tok", "key-a", "secret-a", DAY, now);
        let q = query(&signed);
        // App B's file: the link names app A.
        assert_eq!(
            verify(&q, "tok", "key-b", "secret-b", now),
            Err(LinkError::BadSignature)
        );
        // Another file of app A.
        assert_eq!(
            verify(&q, "other", "key-a", "secret-a", now),
            Err(LinkError::BadSignature)
        );
        // A pushed-back expiry.
        let later = signed.replace(
            &format!("expires={}", now + 86_400),
            &format!("expires={}", now + 10 * 86_400),
        );
        assert_eq!(
            verify(&query(&later), "tok", "key-a", "secret-a", now),
            Err(LinkError::BadSignature)
        );
        // Relabelled as app B, signed with A's secret: B's secret does not verify it.
        let relabelled = signed.replace("api_key=key-a", "api_key=key-b");
        assert_eq!(
            verify(&query(&relabelled), "tok", "key-b", "secret-b", now),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            verify(&query(""), "tok", "key-a", "secret-a", now),
            Err(LinkError::Unsigned)
        );
        assert_eq!(
            verify(
                &query("api_key=key-a&expires=x&signature=00"),
                "tok",
                "key-a",
                "secret-a",
                now
            ),
            Err(LinkError::Unsigned)
        );
    }

    #[test]
    fn a_huge_ttl_saturates() {
        let q = query(&signed_query("t", "k", "s", Duration::MAX, u64::MAX - 5));
        assert_eq!(q.expires.as_deref(), Some(u64::MAX.to_string().as_str()));
        assert_eq!(verify(&q, "t", "k", "s", u64::MAX), Ok(()));
    }
}
