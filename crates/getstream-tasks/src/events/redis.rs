//! [`TaskEvents`] across processes and machines, over Redis pub/sub.
//!
//! ```text
//!  Stream ──webhooks──▶ receiver replicas ──PUBLISH──▶ Redis ──one SUBSCRIBE──▶ each worker
//!                        (verify, publish)             channel   per process    (1..n waits)
//! ```
//!
//! Events are hints: a wait's `GET` stays the source of truth and its
//! interval goes on, so a lost event (Redis down, buffer full) costs latency,
//! never a result.

use std::any::Any;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::StreamExt as _;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::{Backend, Hub, TaskEvents};
use crate::InvalidArgumentError;
use crate::webhook::{EventView, WebhookEvent};
use url_mask::RedisUrl;

mod connect;
mod resp_guard;
mod url_mask;

/// The channel events go to unless [`RedisEventsBuilder::channel`] says
/// otherwise.
pub const REDIS_DEFAULT_CHANNEL: &str = "getstream:task-events";
/// How many events wait for Redis before new ones are dropped (and counted).
pub const REDIS_DEFAULT_BUFFER: usize = 1024;
/// The version of the message on the channel (`"v"`); messages of other
/// versions are ignored (counted in [`RedisStats::ignored`]).
pub const REDIS_MESSAGE_VERSION: u64 = 1;
/// Messages larger than this are ignored: a compact event is well under it.
const MAX_MESSAGE: usize = 4096;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
impl TaskEvents {
    /// A hub whose events also travel through Redis: every event given to
    /// [`publish`](Self::publish) is sent to the channel
    /// [`REDIS_DEFAULT_CHANNEL`], and events other processes send there wake this
    /// process's waits. One subscription (one connection) per hub, however
    /// many waits; one more connection for publishing. See
    /// [`redis_builder`](Self::redis_builder) for the knobs.
    ///
    /// Must be called inside a Tokio runtime (it starts the connections'
    /// tasks, which stop when the last clone of the hub is dropped). It
    /// never waits for Redis: a URL that parses is enough, and the
    /// connections come (and come back) on their own.
    ///
    /// ```no_run
    /// # async fn demo() -> getstream_tasks::Result<()> {
    /// use getstream_tasks::{Client, PollPolicy, TaskEvents};
    ///
    /// let events = TaskEvents::redis("redis://:password@127.0.0.1:6379/0")?;
    /// let client = Client::builder("api-key", "api-secret")
    ///     .poll_policy(PollPolicy::long_running())
    ///     .task_events(events)
    ///     .build()?;
    /// // Waits of `client` now wake on events published by any process.
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// An invalid argument error for a URL Redis cannot use (the message
    /// shows the URL without its password) or when called outside a Tokio
    /// runtime.
    pub fn redis(url: &str) -> crate::Result<TaskEvents> {
        TaskEvents::redis_builder(url).build()
    }

    /// A builder for a Redis-backed hub (channel, buffer, which halves run).
    pub fn redis_builder(url: &str) -> RedisEventsBuilder {
        RedisEventsBuilder {
            url: RedisUrl::new(url),
            channel: REDIS_DEFAULT_CHANNEL.to_owned(),
            buffer: REDIS_DEFAULT_BUFFER,
            publish: true,
            subscribe: true,
        }
    }

    /// The Redis half's counters, for a hub built by
    /// [`redis`](Self::redis); `None` for an in-process hub.
    pub fn redis_stats(&self) -> Option<RedisStats> {
        let backend = self.hub.backend.get()?;
        let redis = backend.as_any().downcast_ref::<RedisBackend>()?;
        Some(redis.stats.snapshot())
    }
}

/// Builds a [`TaskEvents`] hub on Redis pub/sub; from
/// [`TaskEvents::redis_builder`].
pub struct RedisEventsBuilder {
    url: RedisUrl,
    channel: String,
    buffer: usize,
    publish: bool,
    subscribe: bool,
}

impl fmt::Debug for RedisEventsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisEventsBuilder")
            .field("url", &self.url)
            .field("channel", &self.channel)
            .field("buffer", &self.buffer)
            .field("publish", &self.publish)
            .field("subscribe", &self.subscribe)
            .finish()
    }
}

impl RedisEventsBuilder {
    /// The pub/sub channel (default [`REDIS_DEFAULT_CHANNEL`]); processes that
    /// share events must use the same one.
    pub fn channel(mut self, channel: impl Into<String>) -> Self {
        self.channel = channel.into();
        self
    }

    /// How many events may wait for Redis (default [`REDIS_DEFAULT_BUFFER`]);
    /// when it is full, `publish` drops the event for Redis (it still wakes
    /// this process's waits) and counts it in [`RedisStats::dropped`].
    pub fn buffer(mut self, events: usize) -> Self {
        self.buffer = events;
        self
    }

    /// Whether published events are sent to Redis (default `true`). A
    /// waiter-only process can turn it off and save a connection.
    pub fn publish(mut self, on: bool) -> Self {
        self.publish = on;
        self
    }

    /// Whether events from Redis wake this process's waits (default
    /// `true`). A receiver-only process can turn it off and save a
    /// connection.
    pub fn subscribe(mut self, on: bool) -> Self {
        self.subscribe = on;
        self
    }

    /// Starts the hub's Redis tasks (inside a Tokio runtime).
    ///
    /// # Errors
    /// An invalid argument error for a URL Redis cannot use, an empty
    /// channel, a zero buffer, or no Tokio runtime.
    pub fn build(self) -> crate::Result<TaskEvents> {
        if self.channel.is_empty() {
            return Err(InvalidArgumentError::new("channel", "must not be empty").into());
        }
        if self.buffer == 0 {
            return Err(InvalidArgumentError::new("buffer", "must be at least 1").into());
        }
        let client = redis::Client::open(self.url.raw.as_str()).map_err(|e| {
            InvalidArgumentError::new(
                "redis url",
                format!("{} is not a Redis URL: {}", self.url, self.url.scrub(&e)),
            )
        })?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            InvalidArgumentError::new("redis", "TaskEvents::redis needs a Tokio runtime")
        })?;

        let events = TaskEvents::new();
        let stop = CancellationToken::new();
        let stats = Arc::new(Stats::default());
        // Tells this hub's own messages from others' (its waits were woken
        // when the event was published).
        let origin = crate::request_id::new_v4().replace('-', "");
        let link = Arc::new(Link {
            origin: origin.clone(),
            client,
            url: self.url,
            channel: self.channel,
            stats: stats.clone(),
            stop: stop.clone(),
        });
        let queue = if self.publish {
            let (tx, rx) = mpsc::channel(self.buffer);
            runtime.spawn(link.clone().publisher(rx));
            Some(tx)
        } else {
            None
        };
        if self.subscribe {
            runtime.spawn(link.clone().subscriber(Arc::downgrade(&events.hub)));
        }
        let backend = RedisBackend {
            origin,
            queue,
            stats,
            _stop: stop.drop_guard(),
        };
        if events.hub.backend.set(Box::new(backend)).is_err() {
            unreachable!("a new hub has no backend");
        }
        Ok(events)
    }
}

/// Counters of a Redis-backed hub, from [`TaskEvents::redis_stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisStats {
    /// Events sent to Redis (`PUBLISH` answered).
    pub sent: u64,
    /// Events not sent: the buffer was full, or the `PUBLISH` failed.
    pub dropped: u64,
    /// Events received from other processes.
    pub received: u64,
    /// Messages ignored: this hub's own, another version, too large or
    /// not an event.
    pub ignored: u64,
    /// Whether the subscription is up right now.
    pub subscribed: bool,
    /// How many times the subscription came back after Redis went away.
    pub reconnects: u64,
}

#[derive(Default)]
struct Stats {
    sent: AtomicU64,
    dropped: AtomicU64,
    received: AtomicU64,
    ignored: AtomicU64,
    subscribed: AtomicBool,
    reconnects: AtomicU64,
}

impl Stats {
    fn snapshot(&self) -> RedisStats {
        RedisStats {
            sent: self.sent.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            received: self.received.load(Ordering::Relaxed),
            ignored: self.ignored.load(Ordering::Relaxed),
            subscribed: self.subscribed.load(Ordering::Relaxed),
            reconnects: self.reconnects.load(Ordering::Relaxed),
        }
    }
}

/// What the hub holds: the queue to the publisher, and the guard that stops
/// both tasks when the hub goes.
struct RedisBackend {
    origin: String,
    queue: Option<mpsc::Sender<String>>,
    stats: Arc<Stats>,
    _stop: DropGuard,
}

impl Backend for RedisBackend {
    fn forward(&self, event: &WebhookEvent) {
        let Some(queue) = &self.queue else { return };
        if queue.try_send(encode(event, &self.origin)).is_err() {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// What both tasks share.
struct Link {
    client: redis::Client,
    url: RedisUrl,
    channel: String,
    stats: Arc<Stats>,
    stop: CancellationToken,
    origin: String,
}

impl Link {
    async fn connect(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
    }

    /// Sends queued events; while Redis is away, waits with backoff (the
    /// queue fills and `publish` drops and counts).
    async fn publisher(self: Arc<Self>, mut queue: mpsc::Receiver<String>) {
        let mut outage = Outage::new("publishing task events", &self.url);
        let mut connection = None;
        loop {
            let message = tokio::select! {
                () = self.stop.cancelled() => return,
                message = queue.recv() => match message {
                    Some(message) => message,
                    None => return,
                },
            };
            // A connection that broke while idle (Redis restarted) fails
            // the first PUBLISH: one retry on a fresh connection.
            for attempt in 0..2 {
                if connection.is_none() {
                    match self.connect().await {
                        Ok(c) => connection = Some(c),
                        Err(e) => {
                            outage.down(&self.url.scrub(&e));
                            // This event is lost (events are hints); later
                            // ones wait in the queue meanwhile, or are dropped.
                            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                            if self.sleep(outage.backoff()).await {
                                return;
                            }
                            break;
                        }
                    }
                }
                let Some(conn) = connection.as_mut() else {
                    break;
                };
                let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
                    .arg(&self.channel)
                    .arg(&message)
                    .query_async(conn)
                    .await;
                match sent {
                    Ok(_) => {
                        outage.up();
                        self.stats.sent.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    Err(e) => {
                        connection = None;
                        if attempt == 1 {
                            outage.down(&self.url.scrub(&e));
                            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
        }
    }

    /// Keeps one subscription up (reconnecting with backoff) and wakes the
    /// hub's waits with what comes.
    async fn subscriber(self: Arc<Self>, hub: Weak<Hub>) {
        let mut outage = Outage::new("receiving task events", &self.url);
        let mut was_up = false;
        loop {
            let subscribed = async {
                // Not `get_async_pubsub`: its replies would be read whole.
                let mut pubsub = connect::pubsub(&self.client).await?;
                pubsub.subscribe(&self.channel).await?;
                redis::RedisResult::Ok(pubsub)
            };
            let subscribed = tokio::select! {
                () = self.stop.cancelled() => return,
                s = tokio::time::timeout(CONNECT_TIMEOUT, subscribed) => s,
            };
            match subscribed {
                Ok(Ok(pubsub)) => {
                    if was_up {
                        self.stats.reconnects.fetch_add(1, Ordering::Relaxed);
                    }
                    was_up = true;
                    outage.up();
                    self.stats.subscribed.store(true, Ordering::Relaxed);
                    let mut messages = pubsub.into_on_message();
                    loop {
                        let message = tokio::select! {
                            () = self.stop.cancelled() => return,
                            m = messages.next() => m,
                        };
                        let Some(message) = message else { break };
                        let Some(hub) = hub.upgrade() else { return };
                        match decode(message.get_payload_bytes(), &self.origin) {
                            Some(event) => {
                                self.stats.received.fetch_add(1, Ordering::Relaxed);
                                TaskEvents { hub }.wake(&event);
                            }
                            None => {
                                self.stats.ignored.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    self.stats.subscribed.store(false, Ordering::Relaxed);
                    outage.down("the connection closed");
                }
                Ok(Err(e)) => outage.down(&self.url.scrub(&e)),
                Err(_) => outage.down("connecting timed out"),
            }
            if self.sleep(outage.backoff()).await {
                return;
            }
        }
    }

    /// Sleeps, or returns `true` when the hub is gone.
    async fn sleep(&self, pause: Duration) -> bool {
        tokio::select! {
            () = self.stop.cancelled() => true,
            () = tokio::time::sleep(pause) => false,
        }
    }
}

/// Logs once when Redis goes away and once when it is back; the backoff in
/// between.
struct Outage {
    what: &'static str,
    url: String,
    down: bool,
    backoff: Duration,
}

impl Outage {
    fn new(what: &'static str, url: &RedisUrl) -> Self {
        Outage {
            what,
            url: url.to_string(),
            down: false,
            backoff: FIRST_BACKOFF,
        }
    }

    fn down(&mut self, why: &str) {
        if !self.down {
            self.down = true;
            tracing::warn!(
                redis = %self.url,
                error = why,
                "Redis is unreachable; {} stops until it is back (waits go on polling)",
                self.what
            );
        }
    }

    fn up(&mut self) {
        if self.down {
            self.down = false;
            tracing::info!(redis = %self.url, "Redis is back; {} again", self.what);
        }
        self.backoff = FIRST_BACKOFF;
    }

    fn backoff(&mut self) -> Duration {
        let pause = self.backoff;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        // Jitter so that many processes do not reconnect in step.
        pause.mul_f64(0.5 + fastrand::f64() / 2.0)
    }
}

/// The message: `{"v":1,"o":origin,"type":…,"task_id"?,"cid"?,"user_id"?,"created_at"?}`.
fn encode(event: &WebhookEvent, origin: &str) -> String {
    let mut message = Map::new();
    message.insert("v".into(), REDIS_MESSAGE_VERSION.into());
    message.insert("o".into(), origin.into());
    message.insert("type".into(), event.event_type().into());
    if let Some(task_id) = event.task_id() {
        message.insert("task_id".into(), task_id.into());
    }
    match event.view() {
        EventView::ChannelDeleted(deleted) => {
            if let Some(cid) = deleted.cid() {
                message.insert("cid".into(), cid.into());
            }
        }
        EventView::User(user) => {
            if let Some(id) = user.user_id() {
                message.insert("user_id".into(), id.into());
            }
        }
        _ => {}
    }
    if let Some(created_at) = event.json().get("created_at") {
        message.insert("created_at".into(), created_at.clone());
    }
    Value::Object(message).to_string()
}

/// The event a message carries; `None` for this hub's own messages (their
/// waits were woken when published), other versions and anything else.
fn decode(payload: &[u8], origin: &str) -> Option<WebhookEvent> {
    if payload.len() > MAX_MESSAGE {
        return None;
    }
    let message: Map<String, Value> = serde_json::from_slice(payload).ok()?;
    if message.get("v")?.as_u64()? != REDIS_MESSAGE_VERSION {
        return None;
    }
    if message.get("o").and_then(Value::as_str) == Some(origin) {
        return None;
    }
    let field = |name: &str| message.get(name).and_then(Value::as_str);
    let mut event = Map::new();
    event.insert("type".into(), field("type")?.into());
    if let Some(task_id) = field("task_id") {
        event.insert("task_id".into(), task_id.into());
    }
    if let Some(cid) = field("cid") {
        event.insert("cid".into(), cid.into());
    }
    if let Some(user_id) = field("user_id") {
        event.insert("user".into(), json!({ "id": user_id }));
    }
    if let Some(created_at) = message.get("created_at") {
        event.insert("created_at".into(), created_at.clone());
    }
    WebhookEvent::from_value(Value::Object(event)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook;

    #[test]
    fn messages_round_trip_what_wakes_waits_and_skip_their_origin() {
        for json in [
            r#"{"type":"export.users.success","task_id":"t1","created_at":"2026-01-01T00:00:00Z","url":"https://x"}"#,
            r#"{"type":"export.bulk_image_moderation.error","task_id":"t1","error":"big"}"#,
            r#"{"type":"channel.deleted","channel_type":"messaging","channel_id":"a"}"#,
            r#"{"type":"user.deleted","user":{"id":"u1","name":"big"}}"#,
        ] {
            let event = webhook::parse(json.as_bytes()).unwrap();
            let message = encode(&event, "me");
            assert!(!message.contains("https://x") && !message.contains("big"));
            assert!(decode(message.as_bytes(), "me").is_none());
            let back = decode(message.as_bytes(), "other").unwrap();
            assert_eq!(back.event_type(), event.event_type());
            assert_eq!(back.task_id(), event.task_id());
            assert_eq!(back.created_at(), event.created_at());
            let events = TaskEvents::new();
            let keys_of = |e: &WebhookEvent| {
                let _sub = events.subscribe(vec![
                    super::super::WakeKey::Task("t1".into()),
                    super::super::WakeKey::Channel("messaging:a".into()),
                    super::super::WakeKey::User("u1".into()),
                ]);
                events.wake(e)
            };
            assert_eq!(keys_of(&back), 1, "{json}");
        }
        assert!(decode(br#"{"v":2,"type":"x","task_id":"t"}"#, "me").is_none());
        assert!(decode(b"not json", "me").is_none());
        assert!(decode(&vec![b' '; MAX_MESSAGE + 1], "me").is_none());
    }

    #[test]
    fn the_builders_debug_hides_the_password() {
        let builder = TaskEvents::redis_builder("redis://u:hunter2@h");
        assert!(!format!("{builder:?}").contains("hunter2"));
        let builder = TaskEvents::redis_builder("redis+unix:///s?pass=hunter2");
        assert!(!format!("{builder:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn bad_arguments_are_typed_errors_without_the_password() {
        let error = TaskEvents::redis("http://:hunter2@host").unwrap_err();
        assert!(error.is_invalid_argument(), "{error}");
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(!format!("{error:?}").contains("hunter2"), "{error:?}");
        let empty = TaskEvents::redis_builder("redis://h").channel("").build();
        assert!(empty.unwrap_err().is_invalid_argument());
        let zero = TaskEvents::redis_builder("redis://h").buffer(0).build();
        assert!(zero.unwrap_err().is_invalid_argument());
    }

    #[test]
    fn outside_a_runtime_is_a_typed_error() {
        let error = TaskEvents::redis("redis://127.0.0.1:1").unwrap_err();
        assert!(error.is_invalid_argument(), "{error}");
    }
}
