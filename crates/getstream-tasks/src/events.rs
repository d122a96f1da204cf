//! [`TaskEvents`]: pushed events wake the waits they name.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tokio::sync::Notify;

use crate::webhook::{EventView, WebhookEvent};

#[cfg(feature = "redis")]
pub(crate) mod redis;

/// A hub that turns pushed events into early polls.
///
/// Build a client with [`ClientBuilder::task_events`](crate::ClientBuilder::task_events)
/// and hand every event your webhook receiver (or SQS/SNS consumer) gets to
/// [`publish`](Self::publish): each wait of that client — single waits,
/// [`watch_task`](crate::Client::watch_task), many-task waits, the typed
/// waits of task handles and the blocking client — whose task the event names
/// polls **at once** instead of at the next tick of its interval.
///
/// The event is a hint, never the result: the wait's `GET` stays the source
/// of truth, so a forged, stale or duplicated event changes nothing but the
/// time of a poll, and what events can add is bounded. A wait polls early
/// for an event at most once per
/// [`MIN_WOKEN_POLL_GAP`](crate::MIN_WOKEN_POLL_GAP) (one second); and once
/// an event has found the task unfinished, later events only bring the next
/// poll forward to the schedule's delay after the last poll (the policy's
/// interval, not its push fallback: 5 s for
/// [`PollPolicy::long_running`](crate::PollPolicy::long_running)). An event
/// that comes sooner is kept: the wait polls when the bound allows. So no
/// stream of events — replayed deliveries, forged messages on a shared Redis
/// channel — makes a wait poll faster than its own schedule. Events for
/// one wait coalesce: those that come while the poll an event caused is
/// running, or within 50 ms of its start, are the same burst and cause no
/// further poll (100 events in a millisecond: one poll). An event that comes
/// while a scheduled poll is running is kept: one more poll follows it. The
/// client's request budget (its scheduler) and every deadline still hold: after
/// the final poll (100 ms before the deadline) events change nothing.
///
/// Besides `task_id` (exports, bulk image moderation, channel batch
/// updates), the per-entity events
/// wake the typed waits that know their entities: a `channel.deleted` with a
/// cid of a `delete_channels` task, and `user.deleted` / `user.deactivated` /
/// `user.reactivated` for a user job's user ids. (Those jobs send their
/// entity events as they go, so the poll they cause can still see the task
/// running; it then goes on at its interval.)
///
/// Cheap to clone: clones share one hub. With push on, a long interval is
/// the sensible default: events wake the wait, polls are only the safety net
/// for a lost event. [`PollPolicy::long_running()`](crate::PollPolicy::long_running)
/// polls every 5 s without a hub and every 30 s with one
/// ([`PollPolicy::push_fallback`](crate::PollPolicy::push_fallback)), and the
/// event makes the wait return within milliseconds of the task's end (two
/// requests for a job that ends within 30 s):
///
/// ```no_run
/// # async fn demo(body: &[u8], signature: &str) -> getstream_tasks::Result<()> {
/// use getstream_tasks::{Client, PollPolicy, TaskEvents};
///
/// let events = TaskEvents::new();
/// let client = Client::builder("api-key", "api-secret")
///     .poll_policy(PollPolicy::long_running())
///     .task_events(events.clone())
///     .build()?;
///
/// // In the webhook handler (see the `webhook` module):
/// let event = client.verify_webhook(body, signature)?;
/// events.publish(&event);
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct TaskEvents {
    hub: Arc<Hub>,
}

#[derive(Default)]
struct Hub {
    waits: Mutex<HashMap<WakeKey, Vec<Arc<Notify>>>>,
    published: AtomicU64,
    woken: AtomicU64,
    /// Where published events also go (other processes), set once by a
    /// backend's constructor; it lives (and its tasks run) as long as the hub.
    backend: OnceLock<Box<dyn Backend>>,
}

/// A transport that carries published events to the hubs of other
/// processes. It must never block: `forward` runs in webhook handlers.
pub(crate) trait Backend: Send + Sync + 'static {
    /// Hands an event over for sending (or counts it dropped).
    fn forward(&self, event: &WebhookEvent);
    /// For the backend's own typed accessors.
    #[allow(dead_code)]
    fn as_any(&self) -> &dyn std::any::Any;
}

/// The channels or users of a job whose per-entity events wake its waits.
pub(crate) type Entities = Option<Arc<[WakeKey]>>;

/// What an event names: a task, a channel or a user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum WakeKey {
    Task(Box<str>),
    Channel(Box<str>),
    User(Box<str>),
}

impl fmt::Debug for TaskEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskEvents")
            .field("waits", &self.waits())
            .field("published", &self.published())
            .finish()
    }
}

impl TaskEvents {
    /// An empty hub.
    pub fn new() -> Self {
        TaskEvents::default()
    }

    /// Wakes every wait the event names (by `task_id`, or by the channel or
    /// user of an entity event); returns how many waits it woke. An event
    /// naming no running wait does nothing.
    ///
    /// ```
    /// let events = getstream_tasks::TaskEvents::new();
    /// let event = getstream_tasks::webhook::parse(br#"{"type":"export.users.success","task_id":"t1"}"#)?;
    /// assert_eq!(events.publish(&event), 0); // no wait on t1
    /// assert_eq!(events.published(), 1);
    /// # Ok::<(), getstream_tasks::Error>(())
    /// ```
    pub fn publish(&self, event: &WebhookEvent) -> usize {
        self.hub.published.fetch_add(1, Ordering::Relaxed);
        if let Some(backend) = self.hub.backend.get() {
            backend.forward(event);
        }
        self.wake(event)
    }

    /// Wakes the waits of this process only (an event that came from a
    /// backend, which must not be forwarded again).
    pub(crate) fn wake(&self, event: &WebhookEvent) -> usize {
        let mut keys: Vec<WakeKey> = Vec::with_capacity(2);
        if let Some(task_id) = event.task_id() {
            keys.push(WakeKey::Task(task_id.into()));
        }
        match event.view() {
            EventView::ChannelDeleted(deleted) => {
                if let Some(cid) = deleted.cid() {
                    keys.push(WakeKey::Channel(cid.into()));
                }
            }
            EventView::User(user) => {
                if let Some(id) = user.user_id() {
                    keys.push(WakeKey::User(id.into()));
                }
            }
            _ => {}
        }
        if keys.is_empty() {
            return 0;
        }
        let waits = self
            .hub
            .waits
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut woken = 0;
        for key in &keys {
            for notify in waits.get(key).into_iter().flatten() {
                // A stored permit: a wait that is polling right now polls
                // once more when it is done; many events, still one permit.
                notify.notify_one();
                woken += 1;
            }
        }
        drop(waits);
        self.hub.woken.fetch_add(woken as u64, Ordering::Relaxed);
        woken
    }

    /// How many events were published so far.
    pub fn published(&self) -> u64 {
        self.hub.published.load(Ordering::Relaxed)
    }

    /// How many waits events have woken so far (a wait woken by two events
    /// counts twice).
    pub fn woken(&self) -> u64 {
        self.hub.woken.load(Ordering::Relaxed)
    }

    /// How many waits are listening right now.
    pub fn waits(&self) -> usize {
        let waits = self
            .hub
            .waits
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut all: Vec<*const Notify> = waits.values().flatten().map(Arc::as_ptr).collect();
        all.sort_unstable();
        all.dedup();
        all.len()
    }

    /// Registers a wait under `keys`; it listens until the subscription is
    /// dropped.
    pub(crate) fn subscribe(&self, keys: Vec<WakeKey>) -> Subscription {
        let notify = Arc::new(Notify::new());
        let mut waits = self
            .hub
            .waits
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for key in &keys {
            waits.entry(key.clone()).or_default().push(notify.clone());
        }
        drop(waits);
        Subscription {
            hub: self.hub.clone(),
            keys: keys.into_boxed_slice(),
            notify,
        }
    }
}

/// A wait's registration with a [`TaskEvents`] hub.
pub(crate) struct Subscription {
    hub: Arc<Hub>,
    keys: Box<[WakeKey]>,
    notify: Arc<Notify>,
}

impl Subscription {
    /// Resolves when an event names this wait (at once if one came since the
    /// last call).
    #[cfg(test)]
    pub(crate) fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.notify.notified()
    }

    /// Sleeps until `until`, or less when an event names this wait (at once
    /// if one came since the last wake-up); `true` when an event ended it.
    pub(crate) async fn sleep_until(&self, until: tokio::time::Instant) -> bool {
        // `select` polls its first future first: an event that comes with
        // the deadline counts as an event.
        let notified = std::pin::pin!(self.notify.notified());
        let sleep = std::pin::pin!(tokio::time::sleep_until(until));
        matches!(
            futures_util::future::select(notified, sleep).await,
            futures_util::future::Either::Left(_)
        )
    }

    /// Forgets an event that came since the last wake-up.
    pub(crate) fn clear(&self) {
        use futures_util::FutureExt as _;
        let _ = self.notify.notified().now_or_never();
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut waits = self
            .hub
            .waits
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for key in self.keys.iter() {
            if let Some(list) = waits.get_mut(key) {
                list.retain(|n| !Arc::ptr_eq(n, &self.notify));
                if list.is_empty() {
                    waits.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook;

    fn event(json: &str) -> WebhookEvent {
        webhook::parse(json.as_bytes()).unwrap()
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn events_wake_the_subscriptions_they_name_and_coalesce() {
        let events = TaskEvents::new();
        let task = events.subscribe(vec![WakeKey::Task("t1".into())]);
        let channels = events.subscribe(vec![
            WakeKey::Task("t2".into()),
            WakeKey::Channel("messaging:a".into()),
            WakeKey::Channel("messaging:b".into()),
        ]);
        let user = events.subscribe(vec![WakeKey::User("u1".into())]);
        assert_eq!(events.waits(), 3);

        let done = event(r#"{"type":"export.users.success","task_id":"t1"}"#);
        for _ in 0..100 {
            assert_eq!(events.publish(&done), 1);
        }
        // One stored permit for a hundred events.
        task.notified().await;
        let again = tokio::time::timeout(std::time::Duration::from_secs(1), task.notified());
        assert!(
            again.await.is_err(),
            "a burst must leave one wake-up, not many"
        );

        assert_eq!(
            events.publish(&event(r#"{"type":"channel.deleted","cid":"messaging:b"}"#)),
            1
        );
        channels.notified().await;
        assert_eq!(
            events.publish(&event(r#"{"type":"user.deactivated","user":{"id":"u1"}}"#)),
            1
        );
        user.notified().await;
        // Events that name nothing listening, or nothing at all.
        assert_eq!(
            events.publish(&event(r#"{"type":"channel.deleted","cid":"messaging:z"}"#)),
            0
        );
        assert_eq!(events.publish(&event(r#"{"type":"message.new"}"#)), 0);
        assert_eq!(events.published(), 104);
        assert_eq!(events.woken(), 102);

        drop(channels);
        assert_eq!(events.waits(), 2);
        assert_eq!(
            events.publish(&event(r#"{"type":"channel.deleted","cid":"messaging:a"}"#)),
            0
        );
        drop((task, user));
        assert_eq!(events.waits(), 0);
        assert!(events.hub.waits.lock().unwrap().is_empty());
    }

    #[test]
    fn clones_share_one_hub() {
        let events = TaskEvents::new();
        let clone = events.clone();
        let _sub = clone.subscribe(vec![WakeKey::Task("t".into())]);
        assert_eq!(events.publish(&event(r#"{"type":"x","task_id":"t"}"#)), 1);
        assert_eq!(clone.published(), 1);
    }
}
