//! The delivery log: one record per event sent (or dropped), the newest kept.

use std::collections::VecDeque;

use serde::Serialize;
use serde_json::Value;

/// Most delivery records kept; past it the oldest is forgotten.
pub const MAX_WEBHOOK_RECORDS: usize = 1000;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeliveryState {
    /// Waiting in the queue.
    Queued,
    /// An attempt is in flight, or a retry is due.
    Sending,
    /// The receiver answered 2xx.
    Delivered,
    /// Out of attempts or time, or a non-retryable answer (e.g. 401).
    Failed,
    /// Never sent: the queue was full.
    Dropped,
}

/// One event sent (or dropped) to an app's webhook, as `GET /_emulator/webhooks` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct WebhookDelivery {
    /// The `X-Webhook-Id` header: a UUID, the same on every attempt.
    pub webhook_id: String,
    /// The app the event belongs to (`X-Api-Key`).
    pub api_key: String,
    /// The event type, e.g. `export.channels.success`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The task the event reports on (export events), if any.
    pub task_id: Option<String>,
    /// Where it was sent.
    pub url: String,
    /// Attempts made so far (the last `X-Webhook-Attempt`).
    pub attempts: u32,
    /// The HTTP status of the last answer, if there was one.
    pub last_status: Option<u16>,
    /// Why the last attempt failed without an answer (`timeout`, a connection error).
    pub last_error: Option<String>,
    /// Where it stands.
    pub state: DeliveryState,
    /// The event body (uncompressed JSON), as signed.
    pub payload: Value,
}

/// The newest [`MAX_WEBHOOK_RECORDS`] records, oldest first.
#[derive(Debug, Default)]
pub(crate) struct DeliveryLog {
    records: VecDeque<WebhookDelivery>,
}

impl DeliveryLog {
    pub fn push(&mut self, record: WebhookDelivery) {
        if self.records.len() >= MAX_WEBHOOK_RECORDS {
            self.records.pop_front();
        }
        self.records.push_back(record);
    }

    /// Changes the record of `webhook_id`, if still kept (newest records are searched first).
    pub fn update(&mut self, webhook_id: &str, f: impl FnOnce(&mut WebhookDelivery)) {
        if let Some(r) = self
            .records
            .iter_mut()
            .rev()
            .find(|r| r.webhook_id == webhook_id)
        {
            f(r);
        }
    }

    pub fn list(&self) -> Vec<WebhookDelivery> {
        self.records.iter().cloned().collect()
    }

    pub fn clear(&mut self) {
        self.records.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: usize) -> WebhookDelivery {
        WebhookDelivery {
            webhook_id: id.to_string(),
            api_key: "k".into(),
            event_type: "t".into(),
            task_id: None,
            url: "http://h/".into(),
            attempts: 0,
            last_status: None,
            last_error: None,
            state: DeliveryState::Queued,
            payload: Value::Null,
        }
    }

    #[test]
    fn the_log_is_bounded_and_updates_by_id() {
        let mut log = DeliveryLog::default();
        for i in 0..MAX_WEBHOOK_RECORDS + 5 {
            log.push(record(i));
        }
        let all = log.list();
        assert_eq!(all.len(), MAX_WEBHOOK_RECORDS);
        assert_eq!(all[0].webhook_id, "5");
        log.update("7", |r| r.attempts = 2);
        log.update("0", |r| r.attempts = 9);
        assert_eq!(log.list()[2].attempts, 2);
        assert!(log.list().iter().all(|r| r.attempts != 9));
    }
}
