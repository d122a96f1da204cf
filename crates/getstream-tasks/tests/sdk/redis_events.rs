//! `TaskEvents::redis` against a real `redis-server` on loopback: an event
//! published by one hub (one process) wakes a wait of another; Redis killed
//! mid-wait; a thousand waits share one subscription. Real time (the network
//! is real): the assertions are about which poll ended a wait, not how fast.

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use getstream_tasks::webhook::{self, WebhookEvent};
use getstream_tasks::{PollPolicy, TaskEvents, TaskStatus};
use getstream_test_support::RedisServer;
use serde_json::json;

use crate::support::{Reply, Server, builder, ms, secs};

fn export_done(task_id: &str) -> WebhookEvent {
    let event = json!({"type": "export.users.success", "task_id": task_id, "url": "https://x/e"});
    webhook::parse(event.to_string().as_bytes()).unwrap()
}

/// A client of `server` that polls every `interval` and listens to `events`.
fn client(server: &Server, events: &TaskEvents, interval: Duration) -> getstream_tasks::Client {
    builder(&server.url)
        .poll_policy(PollPolicy::fixed(interval))
        .task_events(events.clone())
        .build()
        .unwrap()
}

/// Waits (real time, at most 20 s) until `done` holds.
async fn until(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < secs(20), "timed out waiting until {what}");
        tokio::time::sleep(ms(5)).await;
    }
}

fn receiver(redis: &RedisServer) -> TaskEvents {
    TaskEvents::redis_builder(&redis.url())
        .subscribe(false)
        .build()
        .unwrap()
}

fn waiter(redis: &RedisServer) -> TaskEvents {
    TaskEvents::redis_builder(&redis.url())
        .publish(false)
        .build()
        .unwrap()
}

fn subscribed(events: &TaskEvents) -> bool {
    events.redis_stats().unwrap().subscribed
}

#[tokio::test]
async fn an_event_published_by_one_hub_wakes_a_wait_listening_to_another() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let server = Server::with_statuses("t1", &["running", "completed"]).await;
    let (receiver, waiter) = (receiver(&redis), waiter(&redis));
    until("the waiter is subscribed", || subscribed(&waiter)).await;

    let start = Instant::now();
    let wait = tokio::spawn(
        client(&server, &waiter, secs(30))
            .wait_for_task("t1")
            .timeout(secs(120))
            .into_future(),
    );
    until("the wait polled once and listens", || {
        server.requests().len() == 1 && waiter.waits() == 1
    })
    .await;
    // Published in the receiver: no wait there; it travels through Redis.
    assert_eq!(receiver.publish(&export_done("t1")), 0);
    let task = wait.await.unwrap().unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    // Two polls: the first, and the one the event caused (the next tick
    // was 30 s away).
    assert_eq!(server.requests().len(), 2);
    assert!(start.elapsed() < secs(30), "{:?}", start.elapsed());
    let (sent, got) = (
        receiver.redis_stats().unwrap(),
        waiter.redis_stats().unwrap(),
    );
    assert_eq!((sent.sent, sent.dropped), (1, 0));
    assert_eq!((got.received, got.ignored), (1, 0));
    // The waiter never published: one connection each.
    assert_eq!(redis.clients(), 2);
}

#[tokio::test]
async fn a_hub_that_publishes_and_subscribes_ignores_its_own_messages() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let both = TaskEvents::redis(&redis.url()).unwrap();
    let other = waiter(&redis);
    until("both are subscribed", || {
        subscribed(&both) && subscribed(&other)
    })
    .await;
    both.publish(&export_done("t"));
    until("the other hub got it", || {
        other.redis_stats().unwrap().received == 1
    })
    .await;
    until("its own echo came back", || {
        both.redis_stats().unwrap().ignored == 1
    })
    .await;
    assert_eq!(both.redis_stats().unwrap().received, 0);
}

#[tokio::test]
async fn redis_killed_mid_wait_the_wait_polls_on_and_events_wake_again_once_it_is_back() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let server = Server::with_statuses("t1", &["running", "running", "completed"]).await;
    let (receiver, waiter) = (receiver(&redis), waiter(&redis));
    until("the waiter is subscribed", || subscribed(&waiter)).await;

    let wait = tokio::spawn(
        client(&server, &waiter, ms(300))
            .wait_for_task("t1")
            .timeout(secs(60))
            .into_future(),
    );
    until("the wait polled once", || server.requests().len() == 1).await;
    redis.kill();
    // No event can come: polling alone ends the wait.
    assert_eq!(receiver.publish(&export_done("t1")), 0);
    let task = wait.await.unwrap().unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(server.requests().len(), 3);
    until("the subscriber noticed", || !subscribed(&waiter)).await;
    assert_eq!(waiter.redis_stats().unwrap().received, 0);

    redis.restart();
    until("the subscriber is back", || subscribed(&waiter)).await;
    assert_eq!(waiter.redis_stats().unwrap().reconnects, 1);

    // Later events wake waits again (the publisher reconnects on its own).
    server.task(
        "t2",
        [Reply::task("t2", "running"), Reply::task("t2", "completed")],
    );
    let before = server.requests().len();
    let wait = tokio::spawn(
        client(&server, &waiter, secs(30))
            .wait_for_task("t2")
            .timeout(secs(120))
            .into_future(),
    );
    until("the second wait polled once and listens", || {
        server.requests().len() == before + 1 && waiter.waits() == 1
    })
    .await;
    receiver.publish(&export_done("t2"));
    let task = wait.await.unwrap().unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(server.requests().len(), before + 2);
}

#[tokio::test]
async fn a_thousand_waits_share_one_subscription() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let server = Server::start().await;
    server.answer(|path, _, _| {
        let id = path.rsplit('/').next().unwrap();
        Reply::task(id, "running")
    });
    let waiter = waiter(&redis);
    until("the waiter is subscribed", || subscribed(&waiter)).await;
    let client = client(&server, &waiter, secs(30));
    let waits: Vec<_> = (0..1000)
        .map(|i| {
            tokio::spawn(
                client
                    .wait_for_task(format!("t{i}"))
                    .timeout(secs(120))
                    .into_future(),
            )
        })
        .collect();
    until("all polled once and listen", || {
        server.requests().len() == 1000 && waiter.waits() == 1000
    })
    .await;
    assert_eq!(redis.clients(), 1, "one subscription for 1000 waits");

    // One of them, woken through Redis, polls again.
    server.task("t7", [Reply::task("t7", "completed")]);
    let receiver = receiver(&redis);
    receiver.publish(&export_done("t7"));
    let mut waits = waits;
    let woken = waits.remove(7).await.unwrap().unwrap();
    assert_eq!(woken.status, TaskStatus::Completed);
    assert_eq!(waiter.redis_stats().unwrap().received, 1);
    for wait in waits {
        wait.abort();
    }
}

#[tokio::test]
async fn publishing_without_redis_never_blocks_and_counts_what_it_drops() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    redis.kill();
    let events = TaskEvents::redis_builder(&url).buffer(4).build().unwrap();
    let start = Instant::now();
    for i in 0..100 {
        events.publish(&export_done(&format!("t{i}")));
    }
    assert!(start.elapsed() < secs(1), "publish must not wait for Redis");
    // At most the buffer and the one being sent got past `publish`; every
    // other event is counted dropped.
    let stats = events.redis_stats().unwrap();
    assert!(stats.dropped >= 95, "{stats:?}");
    assert_eq!(stats.sent, 0);
    assert_eq!(events.published(), 100);
}

/// Publishes a `len`-byte message of `byte`s to `channel`, streamed from a
/// small buffer (the test process never holds it), and waits for Redis's
/// answer.
async fn publish_raw(redis: &RedisServer, channel: &str, len: usize, byte: u8) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", redis.port))
        .await
        .unwrap();
    let head = format!(
        "*3\r\n$7\r\nPUBLISH\r\n${}\r\n{channel}\r\n${len}\r\n",
        channel.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![byte; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len());
        conn.write_all(&chunk[..n]).await.unwrap();
        left -= n;
    }
    conn.write_all(b"\r\n").await.unwrap();
    let mut answer = [0_u8; 4];
    conn.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b":1\r\n", "one subscriber got it");
}

#[cfg(target_os = "linux")]
/// The process's peak resident memory since the last [`reset_peak_rss`], in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[cfg(target_os = "linux")]
fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

/// A Redis without an output-buffer limit for subscribers passes on a
/// 160 MB publish whole; the waiter skips it as it arrives (peak memory
/// grows by far less than the message), keeps its subscription, and the
/// next small event still wakes a wait.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_huge_message_on_the_channel_is_skipped_as_it_arrives_and_later_events_still_wake() {
    let Some(redis) = RedisServer::start_with(&["--client-output-buffer-limit", "pubsub 0 0 0"])
    else {
        return;
    };
    let server = Server::with_statuses("t1", &["running", "completed"]).await;
    let (receiver, waiter) = (receiver(&redis), waiter(&redis));
    until("the waiter is subscribed", || subscribed(&waiter)).await;
    let wait = tokio::spawn(
        client(&server, &waiter, secs(30))
            .wait_for_task("t1")
            .timeout(secs(120))
            .into_future(),
    );
    until("the wait polled once and listens", || {
        server.requests().len() == 1 && waiter.waits() == 1
    })
    .await;

    const HUGE: usize = 160 << 20;
    reset_peak_rss();
    let before = peak_rss();
    publish_raw(&redis, getstream_tasks::REDIS_DEFAULT_CHANNEL, HUGE, b'{').await;
    until("the huge message was read and ignored", || {
        waiter.redis_stats().unwrap().ignored == 1
    })
    .await;
    let grew = peak_rss().saturating_sub(before);
    eprintln!(
        "peak RSS grew by {} KiB while a {} MiB message went by",
        grew >> 10,
        HUGE >> 20
    );
    assert!(
        grew < (HUGE / 4) as u64,
        "peak memory grew by {} MiB for a {} MiB message",
        grew >> 20,
        HUGE >> 20
    );

    // The subscription stayed up, and the next event wakes the wait.
    receiver.publish(&export_done("t1"));
    let task = wait.await.unwrap().unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(server.requests().len(), 2);
    let stats = waiter.redis_stats().unwrap();
    assert_eq!((stats.received, stats.ignored), (1, 1), "{stats:?}");
    assert_eq!(stats.reconnects, 0, "{stats:?}");
    assert!(stats.subscribed);
}
