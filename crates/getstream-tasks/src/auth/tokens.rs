//! The client's current server token, re-minted before it expires.
//!
//! Every request reads the token: one atomic load of the current one
//! (`arc-swap`, no lock) and one read of the wall clock. When the clock has
//! reached the token's refresh time — [`refresh_margin`] before `exp` — the
//! request signs a fresh one (a few microseconds of HMAC) and publishes it;
//! two requests that race there both sign a valid token and the last one
//! wins, which is harmless. A request therefore never leaves with a token
//! that expires within the margin, let alone an expired one, as long as the
//! local clock is right.
//!
//! If the server's clock runs ahead of ours by more than the margin, it
//! answers 401 with code [`TOKEN_EXPIRED_CODE`]; the transport then calls
//! [`ServerTokens::renew`] and resends the request once.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use arc_swap::ArcSwap;
use http::HeaderValue;

use super::Secret;
use super::jwt::{TokenTimes, server_token};
use crate::error::InvalidArgumentError;
use crate::time::Clock;

/// Stream's error code for "JWTAuth error: token has expired" (with HTTP 401).
pub(crate) const TOKEN_EXPIRED_CODE: i64 = 40;

/// The shortest token lifetime [`ClientBuilder::token_ttl`](crate::ClientBuilder::token_ttl)
/// accepts: a token must outlive the requests sent with it.
pub(crate) const MIN_TOKEN_TTL: Duration = Duration::from_secs(60);

/// How long before `exp` a token is replaced: 5 minutes, or half the lifetime
/// of tokens shorter than 10 minutes. The margin covers a request that takes
/// a while to reach the server and a server clock a little ahead of ours.
pub(crate) fn refresh_margin(ttl: Duration) -> u64 {
    (ttl.as_secs() / 2).min(300)
}

/// One signed token and when to replace it.
struct Minted {
    token: Secret,
    times: TokenTimes,
    refresh_at: u64,
    /// Tells tokens apart for [`ServerTokens::renew`] (1, 2, …).
    generation: u64,
}

/// Which token a request was sent with, for [`ServerTokens::renew`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenId(u64);

/// The signing secret and the current token of one client (shared by its clones).
pub(crate) struct ServerTokens {
    secret: Secret,
    ttl: u64,
    clock: Clock,
    current: ArcSwap<Minted>,
}

impl std::fmt::Debug for ServerTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTokens")
            .field("secret", &self.secret)
            .field("ttl", &self.ttl)
            .field("token", &"[redacted]")
            .finish()
    }
}

impl ServerTokens {
    /// Signs the first token (so a bad secret fails at `build()`).
    pub(crate) fn new(
        secret: Secret,
        ttl: Duration,
        clock: Clock,
    ) -> Result<ServerTokens, InvalidArgumentError> {
        if ttl < MIN_TOKEN_TTL {
            return Err(InvalidArgumentError::new(
                "token_ttl",
                format!(
                    "must be at least {}s, so that a token outlives the requests sent with it",
                    MIN_TOKEN_TTL.as_secs()
                ),
            ));
        }
        let ttl = ttl.as_secs();
        let first = mint(&secret, ttl, unix_secs(&clock), 1)?;
        Ok(ServerTokens {
            secret,
            ttl,
            clock,
            current: ArcSwap::from_pointee(first),
        })
    }

    /// The `Authorization` value for a request about to leave, and which
    /// token it is.
    pub(crate) fn authorization(&self) -> Result<(HeaderValue, TokenId), InvalidArgumentError> {
        let now = unix_secs(&self.clock);
        let current = self.current.load();
        // A clock set back before `iat` also re-mints: the server could
        // refuse a token issued "in the future".
        if now < current.refresh_at && now >= current.times.iat {
            return header(&current);
        }
        self.replace(now, current.generation)
    }

    /// Replaces the token `sent` after the server said it expired, unless a
    /// newer one already replaced it, and returns the current one.
    pub(crate) fn renew(&self, sent: TokenId) -> Result<HeaderValue, InvalidArgumentError> {
        let current = self.current.load();
        if current.generation != sent.0 {
            return header(&current).map(|(value, _)| value);
        }
        let now = unix_secs(&self.clock);
        self.replace(now, current.generation)
            .map(|(value, _)| value)
    }

    fn replace(
        &self,
        now: u64,
        generation: u64,
    ) -> Result<(HeaderValue, TokenId), InvalidArgumentError> {
        let fresh = Arc::new(mint(&self.secret, self.ttl, now, generation + 1)?);
        tracing::debug!(
            iat = fresh.times.iat,
            exp = fresh.times.exp,
            "server token re-minted"
        );
        let result = header(&fresh);
        self.current.store(fresh);
        result
    }
}

/// Whole seconds since the Unix epoch (0 for a clock set before 1970).
fn unix_secs(clock: &Clock) -> u64 {
    clock
        .now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn mint(
    secret: &Secret,
    ttl: u64,
    now: u64,
    generation: u64,
) -> Result<Minted, InvalidArgumentError> {
    let times = TokenTimes {
        iat: now,
        exp: now.saturating_add(ttl),
    };
    Ok(Minted {
        token: server_token(secret, times)?,
        times,
        refresh_at: times.exp - refresh_margin(Duration::from_secs(ttl)),
        generation,
    })
}

/// A sensitive header value (hyper leaves it out of its debug output and
/// HPACK tables). It is a per-request copy: the HTTP stack drops it with the
/// request, without wiping it.
fn header(minted: &Minted) -> Result<(HeaderValue, TokenId), InvalidArgumentError> {
    let mut value = HeaderValue::from_str(minted.token.expose()).map_err(|_| {
        InvalidArgumentError::new("api_secret", "gives a token that is not a valid header")
    })?;
    value.set_sensitive(true);
    Ok((value, TokenId(minted.generation)))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::SystemTime;

    const T0: u64 = 1_700_000_000;

    /// A wall clock at whole seconds the test sets.
    #[derive(Debug)]
    pub(crate) struct SetClock(pub(crate) Arc<AtomicU64>);

    impl crate::TimeSource for SetClock {
        fn now(&self) -> SystemTime {
            UNIX_EPOCH + Duration::from_secs(self.0.load(Ordering::SeqCst))
        }
    }

    fn clock() -> (Arc<AtomicU64>, Clock) {
        let now = Arc::new(AtomicU64::new(T0));
        (now.clone(), Clock::new(Arc::new(SetClock(now))))
    }

    fn claims(value: &HeaderValue) -> serde_json::Value {
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.validate_exp = false;
        jsonwebtoken::decode::<serde_json::Value>(
            value.to_str().unwrap(),
            &jsonwebtoken::DecodingKey::from_secret(b"secret").unwrap(),
            &validation,
        )
        .unwrap()
        .claims
    }

    #[test]
    fn margins() {
        assert_eq!(refresh_margin(Duration::from_secs(3600)), 300);
        assert_eq!(refresh_margin(Duration::from_secs(600)), 300);
        assert_eq!(refresh_margin(Duration::from_secs(120)), 60);
        assert_eq!(refresh_margin(Duration::from_secs(60)), 30);
    }

    #[test]
    fn reuses_the_token_until_the_margin_then_re_mints() {
        let (now, clock) = clock();
        let tokens =
            ServerTokens::new(Secret::new("secret"), Duration::from_secs(3600), clock).unwrap();
        let (first, id1) = tokens.authorization().unwrap();
        assert!(first.is_sensitive());
        assert_eq!(claims(&first)["iat"], T0);
        assert_eq!(claims(&first)["exp"], T0 + 3600);

        now.store(T0 + 3299, Ordering::SeqCst);
        let (same, id) = tokens.authorization().unwrap();
        assert_eq!((same.clone(), id), (first.clone(), id1));

        now.store(T0 + 3300, Ordering::SeqCst);
        let (fresh, id2) = tokens.authorization().unwrap();
        assert_ne!(id2, id1);
        assert_eq!(claims(&fresh)["iat"], T0 + 3300);
        assert_eq!(claims(&fresh)["exp"], T0 + 6900);
        // ... and keeps it.
        assert_eq!(tokens.authorization().unwrap(), (fresh, id2));
    }

    #[test]
    fn a_clock_set_back_before_iat_re_mints() {
        let (now, clock) = clock();
        let tokens =
            ServerTokens::new(Secret::new("secret"), Duration::from_secs(3600), clock).unwrap();
        now.store(T0 - 10, Ordering::SeqCst);
        let (value, _) = tokens.authorization().unwrap();
        assert_eq!(claims(&value)["iat"], T0 - 10);
    }

    #[test]
    fn renew_replaces_only_the_token_that_was_sent() {
        let (now, clock) = clock();
        let tokens =
            ServerTokens::new(Secret::new("secret"), Duration::from_secs(3600), clock).unwrap();
        let (_, sent) = tokens.authorization().unwrap();
        now.store(T0 + 10, Ordering::SeqCst);
        let renewed = tokens.renew(sent).unwrap();
        assert_eq!(claims(&renewed)["iat"], T0 + 10);
        // A second request that failed with the same old token gets the
        // renewed one instead of signing yet another.
        now.store(T0 + 20, Ordering::SeqCst);
        assert_eq!(tokens.renew(sent).unwrap(), renewed);
        assert_eq!(tokens.authorization().unwrap().0, renewed);
    }

    #[test]
    fn ttl_below_a_minute_is_refused() {
        let e = ServerTokens::new(
            Secret::new("topsecret"),
            Duration::from_secs(59),
            Clock::default(),
        )
        .unwrap_err();
        assert_eq!(e.argument(), "token_ttl");
        // The system clock is read by default.
        let tokens =
            ServerTokens::new(Secret::new("topsecret"), MIN_TOKEN_TTL, Clock::default()).unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let iat = tokens.current.load().times.iat;
        assert!(iat <= now && now - iat < 60, "iat {iat} now {now}");
        let debug = format!("{tokens:?}");
        assert!(
            !debug.contains("topsecret") && !debug.contains("eyJ"),
            "{debug}"
        );
    }
}
