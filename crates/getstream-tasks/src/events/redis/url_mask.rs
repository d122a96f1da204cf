//! A Redis URL, and how to show it (and errors that quote it) without its
//! password.

use std::fmt;

/// The URL, and how to show it without its password.
pub(super) struct RedisUrl {
    pub(super) raw: String,
    /// What to mask: the password as written in the URL.
    passwords: Vec<String>,
}

impl RedisUrl {
    pub(super) fn new(raw: &str) -> Self {
        let rest = raw.split_once("://").map_or("", |(_, rest)| rest);
        let in_authority = rest
            .split(['/', '?', '#'])
            .next()
            .and_then(|authority| authority.rsplit_once('@'))
            .map(|(userinfo, _)| match userinfo.split_once(':') {
                Some((_, password)) => password,
                // `redis://password@host` is how some write it.
                None => userinfo,
            });
        // `redis+unix:///path?pass=…` (and `unix://`) carry it in the query.
        let query = rest
            .split('#')
            .next()
            .and_then(|r| r.split_once('?'))
            .map_or("", |(_, query)| query);
        let in_query = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .filter(|(key, _)| *key == "pass")
            .map(|(_, value)| value);
        let passwords = in_authority
            .into_iter()
            .chain(in_query)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        RedisUrl {
            raw: raw.to_owned(),
            passwords,
        }
    }

    /// An error's text, with the password (raw or decoded) masked.
    pub(super) fn scrub(&self, error: &dyn fmt::Display) -> String {
        let mut text = error.to_string();
        for password in &self.passwords {
            // Longest first, so that no part of a longer form is left.
            let decoded = percent_encoding::percent_decode_str(password).decode_utf8_lossy();
            let form = percent_encoding::percent_decode_str(&password.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned();
            let mut forms = [password.clone(), decoded.into_owned(), form];
            forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
            for form in forms.iter().filter(|f| !f.is_empty()) {
                text = text.replace(form.as_str(), "***");
            }
        }
        text
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scrub(&self.raw))
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows() {
        for url in [
            "redis://:s3cr%40t@host:6379/0",
            "rediss://user:s3cr%40t@host/",
            "redis://s3cr%40t@host",
        ] {
            let parsed = RedisUrl::new(url);
            let shown = format!("{parsed} {parsed:?}");
            assert!(!shown.contains("s3cr"), "{shown}");
            assert!(shown.contains("***@host"), "{shown}");
            let error = "auth failed for s3cr@t and s3cr%40t";
            assert!(!parsed.scrub(&error).contains("s3cr"));
        }
        assert!(!RedisUrl::new("redis://host:1").to_string().contains("***"));
    }

    #[test]
    fn a_unix_socket_urls_pass_never_shows() {
        for url in [
            "redis+unix:///run/redis.sock?pass=s3cr%40t+x",
            "unix:///run/redis.sock?db=2&pass=s3cr%40t+x#frag",
            "redis+unix:///run/redis.sock?user=u&pass=s3cr%40t+x&protocol=resp3",
        ] {
            let parsed = RedisUrl::new(url);
            let shown = format!("{parsed} {parsed:?}");
            assert!(!shown.contains("s3cr"), "{shown}");
            assert!(shown.contains("pass=***"), "{shown}");
            assert!(shown.contains("/run/redis.sock"), "{shown}");
            // As the redis crate decodes it (`+` is a space in a query).
            let error = "auth failed for s3cr@t x, s3cr@t+x and s3cr%40t+x";
            let scrubbed = parsed.scrub(&error);
            assert!(!scrubbed.contains("s3cr"), "{scrubbed}");
        }
        // A parameter that merely ends in "pass" is not the password.
        let other = RedisUrl::new("redis+unix:///s?bypass=visible");
        assert!(other.to_string().contains("visible"));
    }
}
