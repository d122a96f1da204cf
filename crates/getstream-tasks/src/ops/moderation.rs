//! Moderation operations that start tasks: bulk image moderation.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{OpRequest, TaskStarted, start};
use crate::client::Client;
use crate::error::{InvalidArgumentError, Result};

/// Moderation operations, from [`Client::moderation`].
#[derive(Debug, Clone)]
pub struct Moderation {
    client: Client,
}

impl Moderation {
    pub(crate) fn new(client: &Client) -> Moderation {
        Moderation {
            client: client.clone(),
        }
    }

    /// Moderates the images a CSV file lists:
    /// `POST /api/v2/moderation/bulk_image_moderation`. `csv_file` is the URL
    /// of a CSV whose first column holds image URLs. The task's result is a
    /// [`BulkImageModerationResult`] with a link to the results file; the
    /// `export.bulk_image_moderation.success` / `.error` events name the
    /// task, so a [`TaskEvents`](crate::TaskEvents) hub wakes its waits.
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any
    ///   request, when `csv_file` is not an absolute `http` or `https` URL;
    /// * [`Error::Api`](crate::Error::Api), [`Error::Transport`](crate::Error::Transport)
    ///   or [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn bulk_image_moderation(
        &self,
        csv_file: &str,
    ) -> Result<TaskStarted<BulkImageModerationResult>> {
        let request = BulkImageModeration { csv_file };
        start(&self.client, &request).await
    }
}

#[derive(Serialize)]
struct BulkImageModeration<'a> {
    csv_file: &'a str,
}

impl OpRequest for BulkImageModeration<'_> {
    const PATH: &'static [&'static str] = &["api", "v2", "moderation", "bulk_image_moderation"];

    fn validate(&self) -> Result<()> {
        check_csv_url(self.csv_file)
    }
}

/// Checks that `csv_file` is an absolute `http(s)` URL with a host.
pub(crate) fn check_csv_url(csv_file: &str) -> Result<()> {
    let refuse = |why: &str| Err(InvalidArgumentError::new("csv_file", why.to_owned()).into());
    if csv_file.trim().is_empty() {
        return refuse("must not be empty");
    }
    match reqwest::Url::parse(csv_file) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(()),
        Ok(_) => refuse("must be an http or https URL"),
        Err(_) => refuse("is not an absolute URL"),
    }
}

/// The result of a bulk image moderation: where to download the results file
/// (CSV, `url,status,verdict,reason`, one row per image) and the counts.
///
/// ```
/// let result: getstream_tasks::BulkImageModerationResult = serde_json::from_value(
///     serde_json::json!({"url": "https://x/r.csv", "total": 3, "flagged": 1, "failed": 0}),
/// )?;
/// assert_eq!((result.total, result.flagged), (3, 1));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BulkImageModerationResult {
    /// A signed link to the results file.
    pub url: String,
    /// How many images the CSV listed.
    #[serde(default)]
    pub total: u64,
    /// How many were flagged.
    #[serde(default)]
    pub flagged: u64,
    /// How many could not be read.
    #[serde(default)]
    pub failed: u64,
    /// Any other field of the result, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_urls_are_checked() {
        for good in [
            "http://127.0.0.1:9/i.csv",
            "https://example.com/a/b.csv?x=1",
        ] {
            assert!(check_csv_url(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "  ",
            "images.csv",
            "/tmp/i.csv",
            "ftp://h/i.csv",
            "file:///i.csv",
        ] {
            let e = check_csv_url(bad).unwrap_err();
            assert!(e.is_invalid_argument(), "{bad:?}: {e}");
            assert!(e.to_string().contains("csv_file"), "{e}");
        }
    }
}
