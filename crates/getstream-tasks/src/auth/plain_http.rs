//! Plain HTTP only to this machine: the API key and the server token travel
//! in every request, so an `http://` base URL to any other host would hand
//! them to whoever is on the path.

use std::net::IpAddr;

use crate::error::InvalidArgumentError;

/// Whether `host` (as in a URL, IPv6 in brackets) is this machine:
/// `localhost`, 127.0.0.0/8, `::1` (or `::ffff:127.x.y.z`).
///
/// `localhost.` (a trailing dot) is not: a fully qualified name goes to DNS,
/// not to `/etc/hosts`, so whoever answers for it may be anywhere.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

/// Refuses an `http://` base URL to a host that is not loopback, unless the
/// caller opted in.
pub(crate) fn check(
    url: &reqwest::Url,
    allow_insecure_http: bool,
) -> Result<(), InvalidArgumentError> {
    let host = url.host_str().unwrap_or_default();
    if url.scheme() != "http" || allow_insecure_http || is_loopback_host(host) {
        return Ok(());
    }
    Err(InvalidArgumentError::new(
        "base_url",
        format!(
            "{:?} is plain HTTP to {host}, which is not this machine: the API key and the \
             server token would travel unencrypted. Use https://, or opt in with \
             allow_insecure_http(true) if the network path is trusted",
            url.as_str()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "[::ffff:127.0.0.1]",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "example.com",
            "localhost.",
            "LocalHost.",
            "localhost..",
            "localhost.example.com",
            "mylocalhost",
            "10.0.0.1",
            "0.0.0.0",
            "128.0.0.1",
            "[::2]",
            "[::ffff:10.0.0.1]",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn plain_http_needs_loopback_or_opt_in() {
        let url = |s: &str| reqwest::Url::parse(s).unwrap();
        assert!(check(&url("http://127.0.0.1:8080/"), false).is_ok());
        assert!(check(&url("http://[::1]:8080/"), false).is_ok());
        // A trailing-dot name is resolved by DNS, not /etc/hosts.
        let e = check(&url("http://localhost.:1/"), false).unwrap_err();
        assert!(e.reason().contains("not this machine"), "{e}");
        // An address with a trailing dot is still the address.
        assert!(check(&url("http://127.0.0.1.:1/"), false).is_ok());
        assert!(check(&url("https://example.com/"), false).is_ok());
        let e = check(&url("http://example.com/"), false).unwrap_err();
        assert_eq!(e.argument(), "base_url");
        assert!(e.reason().contains("allow_insecure_http(true)"), "{e}");
        assert!(check(&url("http://example.com/"), true).is_ok());
    }
}
