//! Extractors whose rejections are Stream's error envelope: JSON bodies, path parameters,
//! and server-side authentication.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::de::DeserializeOwned;

use crate::http::error::{ApiError, codes};
use crate::http::ratelimit::api_key_of;
use crate::state::EmulatorState;
use crate::state::app_state::{AppState, TokenTimes};

/// A JSON body. An empty body reads as `{}`; anything that is not JSON of the right shape is a
/// 400 (code 4); a body over the size limit is a 413.
#[derive(Debug)]
pub(crate) struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<EmulatorState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &EmulatorState) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large(state.config().max_body_bytes())
            } else {
                ApiError::input(format!(
                    "could not read the request body: {}",
                    e.body_text()
                ))
            }
        })?;
        let body: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(body)
            .map(ApiJson)
            .map_err(|e| ApiError::input(format!("invalid JSON body: {e}")))
    }
}

/// Path parameters; a bad one is a 400 (code 4).
#[derive(Debug)]
pub(crate) struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|e| ApiError::input(format!("invalid path: {}", e.body_text())))
    }
}

/// Query parameters; bad ones are a 400 (code 4).
#[derive(Debug)]
pub(crate) struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError::input(format!("invalid query: {}", e.body_text())))
    }
}

/// The request's `Host` header, if any (a cheap reference-counted copy; the full header map is
/// not cloned).
#[derive(Debug)]
pub(crate) struct RequestHost(pub Option<HeaderValue>);

impl<S: Send + Sync> FromRequestParts<S> for RequestHost {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.headers.get(header::HOST).cloned()))
    }
}

/// A request authenticated as server-side for one app: the `api_key` names a configured app and
/// `Authorization` carries an HS256 JWT signed with that app's secret, without `user_id`.
#[derive(Debug, Clone)]
pub(crate) struct Authed(pub Arc<AppState>);

/// The leeway on `exp` and `nbf`, in seconds.
const LEEWAY_SECS: u64 = 5;

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Checks the time claims of a token at `now` (Unix seconds), with [`LEEWAY_SECS`]. The
/// arithmetic saturates: a huge `exp` is "never", not an overflow.
fn check_times_at(times: TokenTimes, now: u64) -> Result<(), ApiError> {
    if times
        .exp
        .is_some_and(|exp| exp.saturating_add(LEEWAY_SECS) < now)
    {
        return Err(ApiError::unauthorized(
            codes::TOKEN_EXPIRED,
            "JWTAuth error: token has expired",
        ));
    }
    if times
        .nbf
        .is_some_and(|nbf| nbf > now.saturating_add(LEEWAY_SECS))
    {
        return Err(ApiError::unauthorized(
            codes::TOKEN_NOT_VALID_YET,
            "JWTAuth error: token is not valid yet",
        ));
    }
    Ok(())
}

/// Verifies a token for `app`, using the app's cache of tokens verified before (the cache
/// keeps the time claims, which are checked again on every use).
fn verify_for_app(token: &str, app: &AppState) -> Result<(), ApiError> {
    if let Some(times) = app.verified_token(token) {
        return check_times_at(times, unix_now());
    }
    let times = verify_token_times(token, app.creds.secret())?;
    app.remember_token(token, times);
    Ok(())
}

/// Checks a server token against `secret`. Errors are Stream's auth errors; they never echo
/// the token.
pub(crate) fn verify_token(token: &str, secret: &str) -> Result<(), ApiError> {
    verify_token_times(token, secret).map(|_| ())
}

/// A NumericDate claim (RFC 7519: seconds, an integer or not) as whole seconds: a fraction is
/// dropped, a negative time is 0 and a huge one saturates. `Err` when it is not a number.
fn numeric_date(
    claims: &serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Result<Option<u64>, ApiError> {
    match claims.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => match (v.as_u64(), v.as_f64()) {
            (Some(n), _) => Ok(Some(n)),
            // `as` saturates (and makes a negative time 0), which is what an expiry needs.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            (None, Some(f)) => Ok(Some(f as u64)),
            (None, None) => Err(ApiError::unauthorized(
                codes::AUTHENTICATION,
                format!("JWTAuth error: the {name} claim is not a number"),
            )),
        },
    }
}

fn verify_token_times(token: &str, secret: &str) -> Result<TokenTimes, ApiError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| {
        ApiError::unauthorized(
            codes::AUTHENTICATION,
            "JWTAuth error: token is malformed or its algorithm is not supported (use HS256)",
        )
    })?;
    if header.alg != Algorithm::HS256 {
        return Err(ApiError::unauthorized(
            codes::AUTHENTICATION,
            format!(
                "JWTAuth error: signing method {:?} is not supported (use HS256)",
                header.alg
            ),
        ));
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    // The time claims are checked below, as NumericDates: the library takes only integers,
    // while Stream (and RFC 7519) accept fractions too.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let key = DecodingKey::from_secret(secret.as_bytes())
        .map_err(|_| ApiError::internal("the app's secret cannot be used as an HS256 key"))?;
    let data = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
        token,
        &key,
        &validation,
    )
    .map_err(|e| match e.kind() {
        ErrorKind::ExpiredSignature => {
            ApiError::unauthorized(codes::TOKEN_EXPIRED, "JWTAuth error: token has expired")
        }
        ErrorKind::ImmatureSignature => ApiError::unauthorized(
            codes::TOKEN_NOT_VALID_YET,
            "JWTAuth error: token is not valid yet",
        ),
        ErrorKind::InvalidSignature => ApiError::unauthorized(
            codes::TOKEN_SIGNATURE_INVALID,
            "JWTAuth error: signature is not valid. Make sure the token is created using the secret key of this app",
        ),
        _ => ApiError::unauthorized(
            codes::AUTHENTICATION,
            "JWTAuth error: token is malformed or its claims are invalid",
        ),
    })?;
    if data.claims.contains_key("user_id") {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            codes::NOT_ALLOWED,
            "this endpoint needs server-side auth: a token signed with the API secret and without user_id",
        ));
    }
    let times = TokenTimes {
        exp: numeric_date(&data.claims, "exp")?,
        nbf: numeric_date(&data.claims, "nbf")?,
    };
    check_times_at(times, unix_now())?;
    Ok(times)
}

/// Authenticates a request as server-side for one app (see [`Authed`]) from its URI and
/// headers; the app, or Stream's auth error.
pub(crate) fn authenticate(
    state: &EmulatorState,
    uri: &axum::http::Uri,
    headers: &axum::http::HeaderMap,
) -> Result<Arc<AppState>, ApiError> {
    let key = api_key_of(uri).ok_or_else(|| {
        ApiError::unauthorized(
            codes::ACCESS_KEY,
            "api_key not found: pass it as the api_key query parameter",
        )
    })?;
    let app = state.app(&key).ok_or_else(|| {
        ApiError::unauthorized(
            codes::ACCESS_KEY,
            format!(
                "api_key not valid: no app with api_key {:?}",
                crate::http::error::clip(&key)
            ),
        )
    })?;
    if let Some(kind) = headers.get("stream-auth-type")
        && !kind.as_bytes().eq_ignore_ascii_case(b"jwt")
    {
        return Err(ApiError::unauthorized(
            codes::AUTHENTICATION,
            "stream-auth-type must be \"jwt\" for server-side requests",
        ));
    }
    let raw = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::unauthorized(
                codes::AUTHENTICATION,
                "JWTAuth error: the Authorization header is missing",
            )
        })?
        .to_str()
        .map_err(|_| {
            ApiError::unauthorized(
                codes::AUTHENTICATION,
                "JWTAuth error: the Authorization header is not valid text",
            )
        })?
        .trim();
    let token = raw
        .strip_prefix("Bearer ")
        .or_else(|| raw.strip_prefix("bearer "))
        .unwrap_or(raw)
        .trim();
    if token.is_empty() {
        return Err(ApiError::unauthorized(
            codes::AUTHENTICATION,
            "JWTAuth error: the Authorization header is empty",
        ));
    }
    verify_for_app(token, app)?;
    Ok(Arc::clone(app))
}

impl FromRequestParts<EmulatorState> for Authed {
    type Rejection = ApiError;

    /// The app the request layer (`stack`) authenticated, else authenticates now.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &EmulatorState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(authed) = parts.extensions.get::<Authed>() {
            return Ok(authed.clone());
        }
        authenticate(state, &parts.uri, &parts.headers).map(Authed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: &serde_json::Value) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            claims,
            &jsonwebtoken::EncodingKey::from_secret(b"secret").unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn a_fractional_exp_is_kept_and_expires() {
        let exp = unix_now() + 3600;
        let times = verify_token_times(
            &token(&serde_json::json!({"exp": exp as f64 + 0.5})),
            "secret",
        )
        .unwrap();
        assert_eq!(times.exp, Some(exp));
        // What the token cache re-checks on every later use.
        assert!(check_times_at(times, exp).is_ok());
        let late = check_times_at(times, exp + LEEWAY_SECS + 1).unwrap_err();
        assert_eq!(late.code(), codes::TOKEN_EXPIRED);
        // Already expired, with a fraction: refused on first use too.
        let past = serde_json::json!({"exp": (unix_now() - 600) as f64 + 0.25});
        let err = verify_token_times(&token(&past), "secret").unwrap_err();
        assert_eq!(err.code(), codes::TOKEN_EXPIRED);
        let nbf = serde_json::json!({"nbf": (unix_now() + 600) as f64 + 0.5});
        let err = verify_token_times(&token(&nbf), "secret").unwrap_err();
        assert_eq!(err.code(), codes::TOKEN_NOT_VALID_YET);
    }

    #[test]
    fn huge_and_odd_time_claims_saturate_or_are_refused() {
        for exp in [serde_json::json!(u64::MAX), serde_json::json!(1e300)] {
            let times =
                verify_token_times(&token(&serde_json::json!({ "exp": exp })), "secret").unwrap();
            assert_eq!(times.exp, Some(u64::MAX));
            assert!(check_times_at(times, unix_now()).is_ok());
            assert!(check_times_at(times, u64::MAX).is_ok());
        }
        let huge_nbf = TokenTimes {
            exp: None,
            nbf: Some(u64::MAX),
        };
        assert!(check_times_at(huge_nbf, u64::MAX).is_ok());
        let negative = serde_json::json!({"exp": -5});
        let err = verify_token_times(&token(&negative), "secret").unwrap_err();
        assert_eq!(err.code(), codes::TOKEN_EXPIRED);
        let text = serde_json::json!({"exp": "soon"});
        let err = verify_token_times(&token(&text), "secret").unwrap_err();
        assert_eq!(err.code(), codes::AUTHENTICATION);
    }
}
