//! What the TLS features compiled in allow, checked at `build()` so a
//! mismatch is an argument error there rather than a failure at the first
//! request (or, for rustls without a crypto provider, a panic inside reqwest).

use crate::error::InvalidArgumentError;

/// Whether a TLS feature (`rustls`, `rustls-no-provider`, `native-tls`,
/// `native-tls-vendored`) is compiled in.
pub(crate) const HAS_TLS: bool = cfg!(any(
    feature = "rustls",
    feature = "rustls-no-provider",
    feature = "native-tls",
    feature = "native-tls-vendored"
));

/// Refuses an `https://` base URL when no TLS feature is enabled, and with
/// `rustls-no-provider` alone, a process that installed no rustls crypto
/// provider (reqwest would panic building its client, whatever the URL).
pub(crate) fn check(url: &reqwest::Url) -> Result<(), InvalidArgumentError> {
    if url.scheme() == "https" && !HAS_TLS {
        return Err(InvalidArgumentError::new(
            "base_url",
            format!(
                "{:?} needs TLS, and getstream was built without a TLS feature: enable \
                 `rustls` (the default), `rustls-no-provider` or `native-tls`",
                url.as_str()
            ),
        ));
    }
    check_crypto_provider()
}

#[cfg(all(
    feature = "rustls-no-provider",
    not(feature = "rustls"),
    not(feature = "native-tls"),
    not(feature = "native-tls-vendored")
))]
fn check_crypto_provider() -> Result<(), InvalidArgumentError> {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        return Err(InvalidArgumentError::new(
            "tls",
            "the `rustls-no-provider` feature needs a rustls crypto provider installed \
             before the client is built, e.g. \
             `rustls::crypto::ring::default_provider().install_default()`",
        ));
    }
    Ok(())
}

#[cfg(not(all(
    feature = "rustls-no-provider",
    not(feature = "rustls"),
    not(feature = "native-tls"),
    not(feature = "native-tls-vendored")
)))]
fn check_crypto_provider() -> Result<(), InvalidArgumentError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_needs_a_tls_feature_and_http_does_not() {
        let https = crate::Client::builder("k", "s").build();
        let http = crate::Client::builder("k", "s")
            .base_url("http://127.0.0.1:1")
            .build();
        if cfg!(all(
            feature = "rustls-no-provider",
            not(feature = "rustls"),
            not(feature = "native-tls"),
            not(feature = "native-tls-vendored")
        )) && check_crypto_provider().is_err()
        {
            for result in [https, http] {
                let e = result.unwrap_err();
                assert!(e.to_string().contains("`tls`"), "{e}");
            }
            return;
        }
        assert!(http.is_ok());
        assert_eq!(https.is_ok(), HAS_TLS);
        if let Err(e) = https {
            assert!(e.to_string().contains("without a TLS feature"), "{e}");
        }
    }
}
