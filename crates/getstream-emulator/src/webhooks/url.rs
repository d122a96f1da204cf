//! The check of a webhook URL, shared by the app settings (`webhook_url`), the
//! `event_hooks` and the command line.

/// Longest accepted webhook URL.
pub const MAX_WEBHOOK_URL_LEN: usize = 2048;

/// Checks a webhook URL: absolute `http://` or `https://` with a host, at most
/// [`MAX_WEBHOOK_URL_LEN`] bytes. Returns the problem as text.
pub(crate) fn check_url(url: &str) -> Result<(), String> {
    if url.len() > MAX_WEBHOOK_URL_LEN {
        return Err(format!("must be at most {MAX_WEBHOOK_URL_LEN} bytes"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("is not a valid URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err("must be an http:// or https:// URL with a host".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(check_url("http://127.0.0.1:9000/hooks").is_ok());
        assert!(check_url("https://example.com").is_ok());
        assert!(check_url("ftp://example.com").is_err());
        assert!(check_url("not a url").is_err());
        assert!(check_url("http://").is_err());
        let long = format!("http://h/{}", "a".repeat(MAX_WEBHOOK_URL_LEN));
        assert!(check_url(&long).unwrap_err().contains("2048"));
    }
}
