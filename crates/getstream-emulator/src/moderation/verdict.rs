//! The emulator's verdict on an image. The emulator does not judge images: its verdict is a
//! documented, deterministic rule that tests can steer.
//!
//! **Rule:** an image that was read is `flagged` when its URL's path, lowercased, contains
//! `nsfw` or `flag`; else `safe`. (`http://127.0.0.1:9/img/nsfw-1.png` and
//! `http://127.0.0.1:9/FLAGGED/a.jpg` are flagged; `http://127.0.0.1:9/cat.png?nsfw=1` is
//! safe: the query is not part of the path.)

use reqwest::Url;

/// The verdict on an image that was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Nothing to see.
    Safe,
    /// Flagged by the rule.
    Flagged,
}

impl Verdict {
    /// The results file's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::Flagged => "flagged",
        }
    }

    /// The verdict of the image at `url` (see the module docs).
    pub fn of(url: &Url) -> Self {
        let path = url.path().to_ascii_lowercase();
        if path.contains("nsfw") || path.contains("flag") {
            Verdict::Flagged
        } else {
            Verdict::Safe
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_decides() {
        let v = |s: &str| Verdict::of(&Url::parse(s).unwrap());
        assert_eq!(v("http://127.0.0.1:9/img/nsfw-1.png"), Verdict::Flagged);
        assert_eq!(v("http://127.0.0.1:9/FLAGGED/a.jpg"), Verdict::Flagged);
        assert_eq!(v("http://127.0.0.1:9/cat.png?nsfw=1"), Verdict::Safe);
        assert_eq!(v("http://nsfw.localhost/cat.png"), Verdict::Safe);
        assert_eq!(v("http://127.0.0.1:9/cat.png"), Verdict::Safe);
    }
}
