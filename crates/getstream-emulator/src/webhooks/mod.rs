//! Webhooks: the emulator sends Stream's events to each app's `webhook_url`, signed and retried
//! as Stream does, from a bounded background queue.
//!
//! - [`settings`]: per-app URL, event types, compression; [`hooks`]: `event_hooks`;
//! - [`payload`]: the events and their fields; [`entities`]: channel/user events from data;
//! - [`signer`]: `X-Signature` and gzip;
//! - [`policy`]: retry or give up (pure);
//! - [`delivery`]: the queue worker and the HTTP attempts;
//! - [`record`]: what `GET /_emulator/webhooks` lists;
//! - [`app_api`] and [`admin`]: the HTTP routes; [`library`]: the same as library calls.

pub(crate) mod admin;
pub(crate) mod app_api;
pub(crate) mod channel_events;
pub(crate) mod delivery;
pub(crate) mod entities;
pub(crate) mod hooks;
mod library;
pub(crate) mod payload;
pub(crate) mod policy;
pub(crate) mod record;
pub(crate) mod settings;
pub(crate) mod signer;
pub(crate) mod url;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use crate::config::AppCredentials;
use crate::state::sync::{lock, read, write};
use delivery::Outgoing;
use payload::Event;
use record::{DeliveryLog, DeliveryState, WebhookDelivery};
use settings::WebhookSettings;

/// What the worker shares with the hub: the log and the counters (not the queue's sender, so
/// the queue closes when the hub goes away).
#[derive(Debug, Default)]
pub(crate) struct Shared {
    log: Mutex<DeliveryLog>,
    dropped: AtomicU64,
    /// Events queued or being delivered.
    pending: AtomicUsize,
    idle: Notify,
}

impl Shared {
    /// One queued event is done (delivered, failed or abandoned at shutdown).
    fn finished(&self) {
        if self.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.idle.notify_waiters();
        }
    }
}

/// The emulator's webhook sender: settings per app, the queue, the delivery log. Cheap to
/// clone.
#[derive(Debug, Clone)]
pub(crate) struct WebhookHub {
    inner: Arc<HubInner>,
}

#[derive(Debug)]
struct HubInner {
    settings: RwLock<HashMap<String, WebhookSettings>>,
    queue: mpsc::Sender<Outgoing>,
    /// Taken by the worker, which starts with the first event (on the runtime that emits it).
    receiver: Mutex<Option<mpsc::Receiver<Outgoing>>>,
    shared: Arc<Shared>,
    public_url: Option<String>,
    local_addr: OnceLock<SocketAddr>,
    shutdown: CancellationToken,
    /// The data dir settings are saved to, if any.
    persist: OnceLock<Arc<crate::persist::Persist>>,
}

impl WebhookHub {
    pub fn new(
        queue_capacity: usize,
        public_url: Option<String>,
        shutdown: CancellationToken,
    ) -> Self {
        let (queue, receiver) = mpsc::channel(queue_capacity.max(1));
        Self {
            inner: Arc::new(HubInner {
                settings: RwLock::default(),
                queue,
                receiver: Mutex::new(Some(receiver)),
                shared: Arc::default(),
                public_url,
                local_addr: OnceLock::new(),
                shutdown,
                persist: OnceLock::new(),
            }),
        }
    }

    pub fn settings(&self, api_key: &str) -> WebhookSettings {
        read(&self.inner.settings)
            .get(api_key)
            .cloned()
            .unwrap_or_default()
    }

    pub fn set_settings(&self, api_key: &str, settings: WebhookSettings) {
        let mut all = write(&self.inner.settings);
        if let Some(persist) = self.inner.persist.get() {
            persist.save_settings(api_key, &settings);
        }
        all.insert(api_key.to_owned(), settings);
    }

    /// Changes an app's settings in place (one lock, so concurrent PATCHes do not lose fields).
    pub fn update_settings(&self, api_key: &str, f: impl FnOnce(&mut WebhookSettings)) {
        let mut all = write(&self.inner.settings);
        let settings = all.entry(api_key.to_owned()).or_default();
        f(settings);
        if let Some(persist) = self.inner.persist.get() {
            persist.save_settings(api_key, settings);
        }
    }

    /// Saves every settings change to `persist` (the data dir) from now on.
    pub fn persist_to(&self, persist: Arc<crate::persist::Persist>) {
        let _ = self.inner.persist.set(persist);
    }

    pub fn set_local_addr(&self, addr: SocketAddr) {
        let _ = self.inner.local_addr.set(addr);
    }

    /// The download link of an export file, as an event carries it: the public URL, else the
    /// bound address (an event has no request whose `Host` could be used).
    pub fn export_url(&self, token: &str) -> String {
        let base = match (&self.inner.public_url, self.inner.local_addr.get()) {
            (Some(url), _) => url.clone(),
            (None, Some(addr)) => format!("http://{addr}"),
            (None, None) => "http://localhost".to_owned(),
        };
        format!("{base}/_emulator/exports/{token}.json")
    }

    /// Queues `event` for the app's webhook URL and for each enabled webhook hook that takes
    /// its type (each a delivery of its own); returns the first webhook id then. Never waits:
    /// when the queue is full the event is dropped, logged and counted. Call inside a tokio
    /// runtime (the worker starts on it with the first event).
    pub fn emit(&self, app: &AppCredentials, event: Event) -> Option<String> {
        let settings = self.settings(app.key());
        let mut targets: Vec<(String, Option<std::time::Duration>)> = Vec::new();
        if let Some(url) = settings
            .get_url()
            .filter(|_| settings.sends(&event.event_type))
        {
            targets.push((url.to_owned(), None));
        }
        for hook in settings.get_hooks() {
            if hook.delivers(&event.event_type) {
                targets.push((hook.webhook_url.clone(), hook.timeout()));
            }
        }
        if targets.is_empty() {
            return None;
        }
        let body = match serde_json::to_vec(&event.body) {
            Ok(b) => Bytes::from(b),
            Err(e) => {
                tracing::error!(error = %e, event = %event.event_type, "could not serialize a webhook event");
                return None;
            }
        };
        let mut first = None;
        for (url, timeout) in targets {
            let id = self.queue_one(app, &event, &body, url, timeout, settings.get_compression());
            first.get_or_insert(id);
        }
        first
    }

    /// Records and queues one delivery of `event` to `url`; returns its webhook id.
    fn queue_one(
        &self,
        app: &AppCredentials,
        event: &Event,
        body: &Bytes,
        url: String,
        timeout: Option<std::time::Duration>,
        compress: bool,
    ) -> String {
        let webhook_id = uuid::Uuid::new_v4().to_string();
        let shared = &self.inner.shared;
        lock(&shared.log).push(WebhookDelivery {
            webhook_id: webhook_id.clone(),
            api_key: app.key().to_owned(),
            event_type: event.event_type.to_string(),
            task_id: event.task_id.clone(),
            url: url.clone(),
            attempts: 0,
            last_status: None,
            last_error: None,
            state: DeliveryState::Queued,
            payload: event.body.clone(),
        });
        self.start_worker();
        shared.pending.fetch_add(1, Ordering::AcqRel);
        let job = Outgoing {
            webhook_id: webhook_id.clone(),
            api_key: app.key().to_owned(),
            secret: app.secret().to_owned(),
            url,
            body: body.clone(),
            compress,
            timeout,
        };
        if let Err(e) = self.inner.queue.try_send(job) {
            shared.finished();
            let total = shared.dropped.fetch_add(1, Ordering::AcqRel) + 1;
            lock(&shared.log).update(&webhook_id, |r| r.state = DeliveryState::Dropped);
            let why = match e {
                mpsc::error::TrySendError::Full(_) => "the delivery queue is full",
                mpsc::error::TrySendError::Closed(_) => "the sender has stopped",
            };
            tracing::warn!(
                webhook_id = %webhook_id,
                event = %event.event_type,
                dropped_total = total,
                "webhook event dropped: {why}"
            );
        }
        webhook_id
    }

    fn start_worker(&self) {
        let mut slot = lock(&self.inner.receiver);
        if slot.is_none() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::error!("webhook events need a tokio runtime; the sender did not start");
            return;
        };
        if let Some(receiver) = slot.take() {
            runtime.spawn(delivery::run(
                receiver,
                Arc::clone(&self.inner.shared),
                self.inner.shutdown.clone(),
            ));
        }
    }

    pub fn deliveries(&self) -> Vec<WebhookDelivery> {
        lock(&self.inner.shared.log).list()
    }

    pub fn dropped(&self) -> u64 {
        self.inner.shared.dropped.load(Ordering::Acquire)
    }

    pub fn pending(&self) -> usize {
        self.inner.shared.pending.load(Ordering::Acquire)
    }

    /// Forgets the delivery records and the drop count (events in flight still finish).
    pub fn clear(&self) {
        lock(&self.inner.shared.log).clear();
        self.inner.shared.dropped.store(0, Ordering::Release);
    }

    /// Returns once no event is queued or being delivered, or the emulator shuts down.
    pub async fn settled(&self) {
        let shared = &self.inner.shared;
        loop {
            let idle = shared.idle.notified();
            if shared.pending.load(Ordering::Acquire) == 0 {
                return;
            }
            tokio::select! {
                () = idle => {}
                () = self.inner.shutdown.cancelled() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests;
