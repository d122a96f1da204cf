//! Verifying a webhook with the client's API secret.

use super::Client;
use crate::error::Result;
use crate::webhook::{self, WebhookEvent};

impl Client {
    /// [`webhook::verify_and_parse`] with this client's API
    /// secret: `body` is the raw request body, `signature` the `X-Signature`
    /// header.
    ///
    /// ```
    /// let client = getstream_tasks::Client::new("api-key", "api-secret")?;
    /// let body = br#"{"type":"export.channels.error","task_id":"t1","error":"boom"}"#;
    /// let signature = getstream_tasks::webhook::sign(body, "api-secret");
    /// let event = client.verify_webhook(body, &signature)?;
    /// assert_eq!(event.task_id(), Some("t1"));
    /// assert!(client.verify_webhook(body, &"0".repeat(64)).is_err());
    /// # Ok::<(), getstream_tasks::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`webhook::verify_and_parse`].
    pub fn verify_webhook(&self, body: &[u8], signature: &str) -> Result<WebhookEvent> {
        webhook::verify_and_parse(body, signature, self.webhook_secret())
    }
}
