//! The fetch policy: which URLs the emulator may fetch, checked before anything touches the
//! network, and a resolver that enforces it again on every name the HTTP client resolves.
//!
//! By default only loopback is allowed: `localhost` (answered as `127.0.0.1` and `::1`
//! without asking any resolver), `127.0.0.0/8` and `::1` (also as `::ffff:127.x.y.z`). Any
//! other host is refused before a name is resolved or a connection is made. With
//! `allow_remote` every host is allowed. Redirects are never followed (a `3xx` is an error),
//! so no answer can lead a fetch elsewhere; no proxy is used.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a URL is not fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refused {
    /// Not an absolute `http`/`https` URL with a host.
    #[error("is not an absolute http(s) URL")]
    NotHttp,
    /// A host off loopback, without `allow_remote`.
    #[error(
        "host {0} is not loopback; the emulator fetches only localhost, 127.0.0.0/8 and ::1 unless started with --allow-remote-fetch"
    )]
    Remote(String),
}

/// Parses an absolute `http`/`https` URL with a host.
pub(crate) fn parse_http(raw: &str) -> Result<Url, Refused> {
    let url = Url::parse(raw.trim()).map_err(|_| Refused::NotHttp)?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Refused::NotHttp);
    }
    Ok(url)
}

fn loopback_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    name.eq_ignore_ascii_case("localhost")
}

/// Checks `url` against the policy, without touching the network.
pub(crate) fn check(url: &Url, allow_remote: bool) -> Result<(), Refused> {
    if allow_remote {
        return Ok(());
    }
    let host = url.host_str().ok_or(Refused::NotHttp)?;
    // The URL parser writes an IPv6 host in brackets and an IPv4 one in dotted form.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let local = match bare.parse::<IpAddr>() {
        Ok(ip) => loopback_ip(ip),
        Err(_) => is_localhost(host),
    };
    if local {
        Ok(())
    } else {
        Err(Refused::Remote(host.to_owned()))
    }
}

/// The HTTP client's resolver: `localhost` is loopback without a lookup; other names are
/// looked up only with `allow_remote` (else refused, so no lookup leaves the machine).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PolicyResolver {
    pub allow_remote: bool,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allow_remote = self.allow_remote;
        Box::pin(async move {
            if is_localhost(&host) {
                let addrs: Addrs = Box::new(
                    [
                        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                        SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
                    ]
                    .into_iter(),
                );
                return Ok(addrs);
            }
            if !allow_remote {
                return Err(
                    Box::new(Refused::Remote(host)) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(raw: &str, allow_remote: bool) -> Result<(), Refused> {
        check(&parse_http(raw)?, allow_remote)
    }

    #[test]
    fn only_absolute_http_urls_parse() {
        assert!(parse_http("http://127.0.0.1:8/a.csv").is_ok());
        assert!(parse_http("https://localhost/a.csv").is_ok());
        for bad in [
            "",
            "a.csv",
            "/a.csv",
            "ftp://127.0.0.1/a",
            "file:///etc/passwd",
            "http://",
            "data:text/csv,a",
        ] {
            assert_eq!(parse_http(bad).unwrap_err(), Refused::NotHttp, "{bad}");
        }
    }

    #[test]
    fn loopback_is_allowed_and_the_rest_is_not_without_the_flag() {
        for ok in [
            "http://127.0.0.1:9/x",
            "http://127.8.9.10/x",
            "http://[::1]:9/x",
            "http://[::ffff:127.0.0.1]/x",
            "http://localhost:9/x",
            "http://LOCALHOST./x",
            // WHATWG reads a bare number as an IPv4 address.
            "http://2130706433/x",
        ] {
            assert_eq!(checked(ok, false), Ok(()), "{ok}");
        }
        for remote in [
            "http://192.0.2.1/x",
            "http://example.com/x",
            "http://localhost.example.com/x",
            "http://0.0.0.0/x",
            "http://[::]/x",
            "http://10.0.0.1/x",
            "http://169.254.169.254/latest",
            "http://127.0.0.1.nip.io/x",
        ] {
            assert!(
                matches!(checked(remote, false), Err(Refused::Remote(_))),
                "{remote}"
            );
            assert_eq!(checked(remote, true), Ok(()), "{remote}");
        }
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_off_loopback_without_a_lookup() {
        let strict = PolicyResolver {
            allow_remote: false,
        };
        let addrs: Vec<SocketAddr> = strict
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && addrs.len() == 2);
        let err = match strict.resolve("example.com".parse().unwrap()).await {
            Err(e) => e.to_string(),
            Ok(_) => panic!("example.com resolved"),
        };
        assert!(err.contains("not loopback"), "{err}");
    }
}
