//! Per-app webhook settings: where an app's events go, which ones, and whether the body is
//! gzip-compressed (Stream's app settings `webhook_url`, `webhook_events`,
//! `enable_hook_payload_compression`).

use serde::Serialize;

use super::hooks::EventHook;

/// Most entries in `webhook_events`.
pub const MAX_WEBHOOK_EVENTS: usize = 256;

/// Where and how an app's events are delivered. Built with chained setters.
///
/// With no URL nothing is sent. An empty event list sends every event type; a non-empty one
/// sends only the types it names (`"*"` names all).
///
/// ```
/// use getstream_emulator::WebhookSettings;
/// let s = WebhookSettings::new()
///     .url("http://127.0.0.1:9000/hooks")
///     .events(["export.channels.success", "export.channels.error"])
///     .compression(true);
/// assert!(s.sends("export.channels.success"));
/// assert!(!s.sends("user.deleted"));
/// assert!(WebhookSettings::new().url("http://h/").sends("user.deleted"));
/// assert!(!WebhookSettings::new().sends("user.deleted"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[must_use]
pub struct WebhookSettings {
    url: Option<String>,
    events: Vec<String>,
    compression: bool,
    /// Stream's `event_hooks` (set over `PATCH /api/v2/app`).
    hooks: Vec<EventHook>,
}

impl WebhookSettings {
    /// No URL (nothing is sent), all event types, no compression.
    pub fn new() -> Self {
        Self::default()
    }

    /// The URL events are `POST`ed to. An empty string means none. Default none.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.url = (!url.is_empty()).then_some(url);
        self
    }

    /// The event types to send; empty sends all. Default empty.
    pub fn events<I, S>(mut self, events: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.events = events.into_iter().map(Into::into).collect();
        self
    }

    /// Gzip the body (Stream's `enable_hook_payload_compression`; there is no header for it:
    /// receivers detect the gzip magic bytes). The signature is still over the uncompressed
    /// body. Default off.
    pub fn compression(mut self, on: bool) -> Self {
        self.compression = on;
        self
    }

    /// The URL, if any.
    pub fn get_url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// The event types sent (empty: all).
    pub fn get_events(&self) -> &[String] {
        &self.events
    }

    /// Whether bodies are gzip-compressed.
    pub fn get_compression(&self) -> bool {
        self.compression
    }

    /// The `event_hooks`.
    pub(crate) fn get_hooks(&self) -> &[EventHook] {
        &self.hooks
    }

    /// Replaces the `event_hooks`.
    pub(crate) fn set_hooks(&mut self, hooks: Vec<EventHook>) {
        self.hooks = hooks;
    }

    /// Whether any destination (the URL or an enabled webhook hook) may get events.
    pub(crate) fn has_destination(&self) -> bool {
        self.url.is_some()
            || self
                .hooks
                .iter()
                .any(|h| h.enabled && h.hook_type == "webhook")
    }

    /// Whether an event of this type is sent: a URL is set and the type is selected.
    pub fn sends(&self, event_type: &str) -> bool {
        self.url.is_some()
            && (self.events.is_empty() || self.events.iter().any(|e| e == event_type || e == "*"))
    }
}

/// Checks a `webhook_events` list: at most [`MAX_WEBHOOK_EVENTS`] names of 1..=100 bytes.
pub(crate) fn check_events(events: &[String]) -> Result<(), String> {
    if events.len() > MAX_WEBHOOK_EVENTS {
        return Err(format!("must contain at most {MAX_WEBHOOK_EVENTS} items"));
    }
    match events.iter().position(|e| e.is_empty() || e.len() > 100) {
        Some(i) => Err(format!("item {i} must be 1..=100 bytes")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_select_types() {
        let s = WebhookSettings::new().url("http://h/").events(["*"]);
        assert!(s.sends("anything"));
        assert!(check_events(&["".to_owned()]).is_err());
        assert!(check_events(&vec!["a".to_owned(); MAX_WEBHOOK_EVENTS + 1]).is_err());
        assert_eq!(WebhookSettings::new().url("").get_url(), None);
    }
}
