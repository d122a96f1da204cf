//! End to end, on loopback and tokio's paused clock: the emulator runs the
//! jobs and delivers Stream's signed webhooks, the `axum` receiver verifies
//! them and publishes to the hub, and the hub wakes the waits.

use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use getstream_emulator::{Emulator, EmulatorConfig, Pace, SeedSpec, WebhookSettings};
use getstream_tasks::webhook::axum::Receiver;
use getstream_tasks::{
    ChannelBatchFilter, ChannelBatchOperation, ChannelBatchUpdateRequest, Client,
    DeleteChannelsRequest, ExportChannelsRequest, PollPolicy, TaskEvents,
};
use tokio::time::Instant;

use crate::support::{ms, secs};

const PER_ITEM: Duration = Duration::from_millis(100);

struct Setup {
    emulator: getstream_emulator::EmulatorHandle,
    client: Client,
    events: TaskEvents,
}

/// An emulator whose jobs take 100 ms per item and whose default app sends
/// its events (gzip-compressed when `compress`) to a receiver of `client`.
async fn setup(compress: bool) -> Setup {
    let emulator = Emulator::start(EmulatorConfig::new().pace(Pace {
        pending: Duration::ZERO,
        min_task_duration: Duration::ZERO,
        per_item_cost: PER_ITEM,
    }))
    .await
    .unwrap();
    let key = emulator.api_key().to_owned();
    let seed = SeedSpec {
        users: 3,
        channels: 5,
        messages: 2,
    };
    emulator.state().seed(&key, seed).unwrap();
    let events = TaskEvents::new();
    let client = Client::builder(&key, emulator.api_secret())
        .base_url(emulator.base_url())
        .poll_policy(PollPolicy::long_running())
        .wait_timeout(secs(120))
        .task_events(events.clone())
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/stream", listener.local_addr().unwrap());
    let app: axum::Router = Receiver::for_client(&client).router("/hooks/stream");
    tokio::spawn(async move { axum::serve(listener, app).await });
    emulator
        .state()
        .set_webhook(&key, WebhookSettings::new().url(url).compression(compress))
        .unwrap();
    Setup {
        emulator,
        client,
        events,
    }
}

fn counter() -> (
    Arc<AtomicU32>,
    impl Fn(&getstream_tasks::Polled) + Send + Sync + 'static,
) {
    let polls = Arc::new(AtomicU32::new(0));
    let count = polls.clone();
    (polls, move |_: &getstream_tasks::Polled| {
        count.fetch_add(1, Ordering::Relaxed);
    })
}

#[tokio::test(start_paused = true)]
async fn the_pushed_export_event_ends_a_long_running_wait_at_once() {
    for compress in [false, true] {
        let Setup {
            emulator,
            client,
            events,
        } = setup(compress).await;
        let start = Instant::now();
        let started = client
            .chat()
            .export_channels(ExportChannelsRequest::new([
                "messaging:seed-1",
                "messaging:seed-2",
                "messaging:seed-3",
            ]))
            .await
            .unwrap();
        let (polls, on_poll) = counter();
        let export = started.handle().wait().on_poll(on_poll).await.unwrap();
        assert!(export.url.contains("/exports/"), "{}", export.url);
        // The job takes 300 ms; without the event the next poll would be at 5 s.
        let took = start.elapsed();
        assert!(
            took >= ms(300) && took < ms(400),
            "compress {compress}: {took:?}"
        );
        assert_eq!(polls.load(Ordering::Relaxed), 2, "compress {compress}");
        assert!(events.woken() >= 1);
        let delivered = emulator.state().webhook_deliveries();
        assert!(
            delivered
                .iter()
                .any(|d| d.event_type == "export.channels.success"
                    && d.task_id.as_deref() == Some(started.task_id.as_str())),
            "{delivered:?}"
        );
        emulator.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn channel_deleted_events_end_a_hard_delete_wait() {
    let Setup {
        emulator,
        client,
        events,
    } = setup(false).await;
    let start = Instant::now();
    let deleted = client
        .chat()
        .delete_channels(
            DeleteChannelsRequest::new(["messaging:seed-4", "messaging:seed-5"]).hard_delete(true),
        )
        .await
        .unwrap();
    let (polls, on_poll) = counter();
    let wait = tokio::spawn(
        deleted
            .task()
            .unwrap()
            .wait()
            .on_poll(on_poll)
            .into_future(),
    );
    let result = wait.await.unwrap().unwrap();
    assert!(result.all_ok());
    let took = start.elapsed();
    assert!(took >= ms(200) && took < ms(300), "{took:?}");
    assert_eq!(polls.load(Ordering::Relaxed), 2);
    assert!(events.published() >= 2);
    emulator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn without_events_the_same_wait_polls_on_its_interval() {
    let Setup {
        emulator, client, ..
    } = setup(false).await;
    // The same client settings, but no hub: the wait learns at its 5 s poll.
    let plain = Client::builder(emulator.api_key(), emulator.api_secret())
        .base_url(emulator.base_url())
        .poll_policy(PollPolicy::long_running())
        .build()
        .unwrap();
    let start = Instant::now();
    let started = plain
        .chat()
        .export_channels(ExportChannelsRequest::new(["messaging:seed-1"]))
        .await
        .unwrap();
    started.handle().wait().await.unwrap();
    assert_eq!(start.elapsed(), secs(5));
    drop(client);
    emulator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_pushed_batch_completed_event_ends_a_long_running_wait_at_once() {
    let Setup {
        emulator,
        client,
        events,
    } = setup(false).await;
    let start = Instant::now();
    let request = ChannelBatchUpdateRequest::new(
        ChannelBatchOperation::Hide,
        ChannelBatchFilter::cids(["messaging:seed-1", "messaging:seed-2"]),
    )
    .members(["user-2"]);
    let answer = client.chat().channel_batch_update(request).await.unwrap();
    let task_id = answer.task_id.clone().unwrap();
    let (polls, on_poll) = counter();
    let result = answer
        .task()
        .unwrap()
        .wait()
        .on_poll(on_poll)
        .await
        .unwrap();
    assert_eq!(result.success_channels_count, 2, "{result:?}");
    // Two channels at 100 ms each; without the event the next poll would be at 30 s.
    let took = start.elapsed();
    assert!(took >= ms(200) && took < ms(300), "{took:?}");
    assert_eq!(polls.load(Ordering::Relaxed), 2);
    assert!(events.woken() >= 1);
    let delivered = emulator.state().webhook_deliveries();
    let of_type = |kind: &str| delivered.iter().filter(|d| d.event_type == kind).count();
    for kind in [
        "channel_batch_update.started",
        "channel_batch_update.completed",
    ] {
        assert!(
            delivered
                .iter()
                .any(|d| d.event_type == kind && d.task_id.as_deref() == Some(task_id.as_str())),
            "{kind}: {delivered:?}"
        );
    }
    assert_eq!(of_type("channel.hidden"), 2, "{delivered:?}");
    emulator.shutdown().await;
}

/// Bulk image moderation fetches over real sockets, so this runs on the real clock. The
/// wait polls every 10 minutes: only the pushed `export.bulk_image_moderation.success` can
/// end it within the test's minute. The CSV is served only after the first poll, so the
/// task cannot finish before the wait is waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pushed_bulk_image_event_ends_a_wait_polling_every_ten_minutes() {
    use axum::routing::get;
    let Setup {
        emulator,
        client,
        events,
    } = setup(false).await;
    let first_poll = Arc::new(tokio::sync::Notify::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let csv = format!("{base}/img/cat.png\n{base}/img/nsfw/frog.png\n");
    let gate = first_poll.clone();
    let app = axum::Router::new()
        .route(
            "/images.csv",
            get(move || async move {
                gate.notified().await;
                csv
            }),
        )
        .route("/img/cat.png", get(|| async { b"cat".to_vec() }))
        .route("/img/nsfw/frog.png", get(|| async { b"frog".to_vec() }));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let started = client
        .moderation()
        .bulk_image_moderation(&format!("{base}/images.csv"))
        .await
        .unwrap();
    let (polls, count) = counter();
    let opened = first_poll.clone();
    let wait = started
        .handle()
        .wait()
        .policy(PollPolicy::fixed(secs(600)))
        .timeout(secs(900))
        .on_poll(move |polled| {
            count(polled);
            opened.notify_one();
        });
    let result = tokio::time::timeout(secs(60), wait)
        .await
        .expect("the pushed event ends the wait long before its next poll")
        .unwrap();
    assert_eq!((result.total, result.flagged, result.failed), (2, 1, 0));
    assert_eq!(polls.load(Ordering::Relaxed), 2);
    assert!(events.woken() >= 1);
    let delivered = emulator.state().webhook_deliveries();
    assert!(
        delivered
            .iter()
            .any(|d| d.event_type == "export.bulk_image_moderation.success"
                && d.task_id.as_deref() == Some(started.task_id.as_str())),
        "{delivered:?}"
    );
    emulator.shutdown().await;
}
