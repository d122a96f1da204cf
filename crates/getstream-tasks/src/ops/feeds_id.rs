//! [`FeedId`]: a feed's `GROUP:ID`, checked once when built.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, InvalidArgumentError, Result};

/// The most characters the SDK accepts in a feed group or feed id (Stream's
/// own rule is stricter; the server has the last word).
pub const MAX_FEED_ID_PART: usize = 255;

/// A feed's id: its group and its id, written `GROUP:ID` (Stream's `fid`).
///
/// Both parts are non-empty, at most [`MAX_FEED_ID_PART`] characters, and hold
/// no `:` or `/`; anything else is refused when the id is built.
///
/// ```
/// use getstream_tasks::FeedId;
/// let fid: FeedId = "user:alice".parse()?;
/// assert_eq!((fid.group(), fid.id()), ("user", "alice"));
/// assert_eq!(fid.to_string(), "user:alice");
/// assert!("user".parse::<FeedId>().is_err());
/// assert!(FeedId::new("user", "a/b").is_err());
/// # Ok::<(), getstream_tasks::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeedId {
    group: String,
    id: String,
}

impl FeedId {
    /// The feed `id` of the feed group `group`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when a part is empty, longer than
    /// [`MAX_FEED_ID_PART`] characters, or holds `:` or `/`.
    pub fn new(group: impl Into<String>, id: impl Into<String>) -> Result<FeedId> {
        let (group, id) = (group.into(), id.into());
        check_part("feed group", &group)?;
        check_part("feed id", &id)?;
        Ok(FeedId { group, id })
    }

    /// The feed group, e.g. `user`.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The feed's id within its group, e.g. `alice`.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// Checks one part of a feed id (a group or an id).
pub(super) fn check_part(argument: &str, part: &str) -> Result<()> {
    let problem = if part.is_empty() {
        Some("must not be empty".to_owned())
    } else if part.contains([':', '/']) {
        Some(format!("{part:?} must not contain ':' or '/'"))
    } else if part.chars().count() > MAX_FEED_ID_PART {
        Some(format!("has more than {MAX_FEED_ID_PART} characters"))
    } else {
        None
    };
    match problem {
        Some(problem) => Err(InvalidArgumentError::new(argument, problem).into()),
        None => Ok(()),
    }
}

impl FromStr for FeedId {
    type Err = Error;

    fn from_str(fid: &str) -> Result<FeedId> {
        let Some((group, id)) = fid.split_once(':') else {
            return Err(InvalidArgumentError::new(
                "feed",
                format!("{fid:?} is not a feed id of the form \"group:id\""),
            )
            .into());
        };
        FeedId::new(group, id)
    }
}

impl fmt::Display for FeedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.group, self.id)
    }
}

impl Serialize for FeedId {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FeedId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let fid = String::deserialize(deserializer)?;
        fid.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_ids_parse_and_refuse() {
        let fid: FeedId = "timeline:a-b_1".parse().unwrap();
        assert_eq!(fid, FeedId::new("timeline", "a-b_1").unwrap());
        assert_eq!(serde_json::to_value(&fid).unwrap(), "timeline:a-b_1");
        let long = "x".repeat(MAX_FEED_ID_PART + 1);
        for bad in [
            "",
            "user",
            ":a",
            "user:",
            "user:a:b",
            "us/er:a",
            &format!("u:{long}"),
        ] {
            let e = bad.parse::<FeedId>().unwrap_err();
            assert!(e.is_invalid_argument(), "{bad:?}: {e}");
        }
        assert!(serde_json::from_str::<FeedId>("\"user\"").is_err());
    }
}
