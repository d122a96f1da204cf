//! The gate in front of the admin API (`/_emulator/…`, but not health or export downloads):
//! off unless enabled, and closed to other web pages.
//!
//! The admin API has no authentication (a local dev tool), so a web page in the user's
//! browser must not reach it: a cross-site `POST` with a "simple" content type (CSRF) is
//! refused by requiring `Content-Type: application/json` (which a browser sends cross-site
//! only after a CORS preflight the emulator never grants), and DNS rebinding (a page on
//! `evil.example` whose name turns into `127.0.0.1`) by requiring a `Host` that is loopback,
//! the configured public URL's host, or — with remote admin allowed — an IP address. (A
//! request without a `Host` is no browser's and passes.)

use std::net::{IpAddr, Ipv6Addr};

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode, header};

use crate::http::error::{ApiError, codes};
use crate::state::EmulatorState;

/// Routes under `/_emulator/` that are not the admin API: liveness, and the export downloads
/// SDK clients follow (their token is their key).
const OPEN_ROUTES: [&str; 2] = ["/_emulator/health", "/_emulator/exports/{file}"];

/// Whether the route template is part of the admin API.
pub(crate) fn is_admin_route(template: &str) -> bool {
    template.starts_with("/_emulator/") && !OPEN_ROUTES.contains(&template)
}

/// Whether `req` matched an admin route.
pub(crate) fn is_admin_request(req: &Request) -> bool {
    req.extensions()
        .get::<MatchedPath>()
        .is_some_and(|p| is_admin_route(p.as_str()))
}

/// Checks an admin request before anything reads its body: 404 when the admin API is off,
/// 403 for a `Host` that may be a rebound name, 415 for a `POST` that is not JSON.
pub(crate) fn check(state: &EmulatorState, req: &Request) -> Result<(), ApiError> {
    crate::handlers::admin::enabled(state)?;
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    let config = state.config();
    let public_host = config.public_base_url().and_then(host_of_url);
    // No Host at all is no browser (a router called in a test, a raw HTTP/1.0 client).
    if !host.is_none_or(|h| host_allowed(h, public_host.as_deref(), config.remote_admin_allowed()))
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            codes::NOT_ALLOWED,
            "the admin API answers only requests whose Host is loopback (127.0.0.1, localhost, [::1]) or the --public-url host",
        ));
    }
    if req.method() == Method::POST && !is_json(req) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            codes::INPUT,
            "admin API POSTs need Content-Type: application/json",
        ));
    }
    Ok(())
}

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// The host of an `http(s)://host[:port]/…` URL (an IPv6 host keeps its brackets).
fn host_of_url(url: &str) -> Option<String> {
    let uri: axum::http::Uri = url.parse().ok()?;
    uri.host().map(str::to_ascii_lowercase)
}

/// The host part of a `Host` header value: `name`, `1.2.3.4` or `[::1]`, without the port.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    host.split(':').next().unwrap_or(host)
}

/// The IP address a host names literally, if it is one (`[::1]` included).
fn ip_literal(host: &str) -> Option<IpAddr> {
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
        None => host.parse().ok(),
    }
}

/// Whether a `Host` header value may reach the admin API.
fn host_allowed(host: &str, public_host: Option<&str>, remote_admin: bool) -> bool {
    let name = strip_port(host.trim()).to_ascii_lowercase();
    let name = name.strip_suffix('.').unwrap_or(&name);
    if name == "localhost" || public_host == Some(name) {
        return true;
    }
    match ip_literal(name) {
        // A literal address cannot be rebound; one of another machine is fine only when the
        // admin API was allowed off loopback.
        Some(ip) => ip.is_loopback() || remote_admin,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for ok in [
            "127.0.0.1",
            "127.0.0.1:8080",
            "localhost:1",
            "LOCALHOST",
            "[::1]:8080",
            "[::1]",
            "127.9.9.9:80",
        ] {
            assert!(host_allowed(ok, None, false), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
            "10.0.0.2:8080",
            "[fe80::1]:80",
            "",
            "127.0.0.1.evil.example",
        ] {
            assert!(!host_allowed(bad, None, false), "{bad}");
        }
        assert!(host_allowed(
            "emu.internal:443",
            Some("emu.internal"),
            false
        ));
        assert!(host_allowed("10.0.0.2:8080", None, true));
        assert!(!host_allowed("evil.example", None, true));
        assert_eq!(
            host_of_url("http://Emu.Internal:9000/x").as_deref(),
            Some("emu.internal")
        );
        assert_eq!(host_of_url("http://[::1]:9000").as_deref(), Some("[::1]"));
    }

    #[test]
    fn admin_routes() {
        assert!(is_admin_route("/_emulator/faults"));
        assert!(is_admin_route("/_emulator/token"));
        assert!(!is_admin_route("/_emulator/health"));
        assert!(!is_admin_route("/_emulator/exports/{file}"));
        assert!(!is_admin_route("/api/v2/tasks/{id}"));
    }
}
