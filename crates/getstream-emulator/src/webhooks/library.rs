//! The webhook controls as library calls on [`EmulatorState`] (the admin API's twins).

use crate::state::{EmulatorState, StateError};

use super::payload;
use super::record::WebhookDelivery;
use super::settings::{WebhookSettings, check_events};
use super::url::check_url;

impl EmulatorState {
    /// Sets where an app's events go (as `PATCH /api/v2/app` does).
    ///
    /// ```
    /// use getstream_emulator::{EmulatorConfig, EmulatorState, WebhookSettings};
    /// let state = EmulatorState::new(EmulatorConfig::new().app("k", "s"));
    /// state.set_webhook("k", WebhookSettings::new().url("http://127.0.0.1:9000/hook")).unwrap();
    /// assert_eq!(state.webhook("k").unwrap().get_url(), Some("http://127.0.0.1:9000/hook"));
    /// assert!(state.set_webhook("k", WebhookSettings::new().url("ftp://x")).is_err());
    /// ```
    ///
    /// # Errors
    /// [`StateError::UnknownApp`]; [`StateError::Invalid`] for a URL that is not `http(s)://`
    /// with a host, or a bad event list.
    pub fn set_webhook(&self, app_key: &str, settings: WebhookSettings) -> Result<(), StateError> {
        self.app(app_key)
            .ok_or_else(|| StateError::UnknownApp(app_key.to_owned()))?;
        if let Some(url) = settings.get_url() {
            check_url(url).map_err(|e| StateError::Invalid(format!("webhook_url {e}")))?;
        }
        check_events(settings.get_events())
            .map_err(|e| StateError::Invalid(format!("webhook_events {e}")))?;
        self.webhooks().set_settings(app_key, settings);
        Ok(())
    }

    /// Sends an event of your own through an app's webhook exactly as the emulator's jobs send
    /// theirs (signed, retried, recorded): any JSON object with a string `type` — a forged,
    /// stale, duplicated or unknown event for your handler's tests. Returns the webhook id, or
    /// `None` when the app has no URL or does not send this type. Call inside a tokio runtime.
    ///
    /// ```
    /// use getstream_emulator::{EmulatorConfig, EmulatorState, WebhookSettings};
    /// use serde_json::json;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let state = EmulatorState::new(EmulatorConfig::new().app("k", "s"));
    /// let event = json!({"type": "export.channels.success", "task_id": "t-1", "url": "http://x/f"});
    /// assert_eq!(state.send_webhook("k", event.clone()).unwrap(), None); // no URL yet
    /// state.set_webhook("k", WebhookSettings::new().url("http://127.0.0.1:9/hook")).unwrap();
    /// let id = state.send_webhook("k", event).unwrap().expect("queued");
    /// assert_eq!(state.webhook_deliveries()[0].webhook_id, id);
    /// assert!(state.send_webhook("k", json!({"no": "type"})).is_err());
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`StateError::UnknownApp`]; [`StateError::Invalid`] when `event` is not an object with a
    /// non-empty string `type`.
    pub fn send_webhook(
        &self,
        app_key: &str,
        event: serde_json::Value,
    ) -> Result<Option<String>, StateError> {
        let app = self
            .app(app_key)
            .ok_or_else(|| StateError::UnknownApp(app_key.to_owned()))?;
        let event =
            payload::custom(event).map_err(|e| StateError::Invalid(format!("event {e}")))?;
        Ok(app.emit(event))
    }

    /// An app's webhook settings.
    ///
    /// # Errors
    /// [`StateError::UnknownApp`].
    pub fn webhook(&self, app_key: &str) -> Result<WebhookSettings, StateError> {
        self.app(app_key)
            .ok_or_else(|| StateError::UnknownApp(app_key.to_owned()))?;
        Ok(self.webhooks().settings(app_key))
    }

    /// The newest deliveries of every app, oldest first (at most
    /// [`MAX_WEBHOOK_RECORDS`](crate::MAX_WEBHOOK_RECORDS)).
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.webhooks().deliveries()
    }

    /// How many events were dropped because the delivery queue was full (since start or the
    /// last [`clear_webhook_deliveries`](Self::clear_webhook_deliveries)).
    pub fn webhooks_dropped(&self) -> u64 {
        self.webhooks().dropped()
    }

    /// Forgets the delivery records and the drop count. Events in flight still finish.
    pub fn clear_webhook_deliveries(&self) {
        self.webhooks().clear();
    }

    /// Returns once no event is queued or being delivered (each ends within the 15 s delivery
    /// deadline), or the emulator shuts down. Handy in tests before reading
    /// [`webhook_deliveries`](Self::webhook_deliveries).
    pub async fn webhooks_settled(&self) {
        self.webhooks().settled().await;
    }
}
