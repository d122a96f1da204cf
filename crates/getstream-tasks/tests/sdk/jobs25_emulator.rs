//! Issue 25's operations end to end: the SDK against the real emulator. Bulk image
//! moderation fetches over real sockets, so these tests run on the real clock; nothing in
//! them waits on a duration (the emulator's pace is zero), and a test server on loopback
//! serves the CSV and the images.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use getstream_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Pace};
use getstream_tasks::{Client, Error, PollPolicy};

/// An emulator that runs jobs at once, and a client polling it every 20 ms.
async fn emulator() -> (EmulatorHandle, Client) {
    let emulator = Emulator::start(EmulatorConfig::new().pace(Pace {
        pending: Duration::ZERO,
        min_task_duration: Duration::ZERO,
        per_item_cost: Duration::ZERO,
    }))
    .await
    .unwrap();
    let client = Client::builder(emulator.api_key(), emulator.api_secret())
        .base_url(emulator.base_url())
        .poll_policy(PollPolicy::fixed(Duration::from_millis(20)))
        .build()
        .unwrap();
    (emulator, client)
}

/// Serves `/images.csv` (a header, two safe images, one the emulator's rule flags, one
/// missing) and the images; answers the server's base URL.
async fn image_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let csv = format!(
        "url\n{base}/img/cat.png\n{base}/img/dog.png\n{base}/img/nsfw/frog.png\n{base}/img/gone.png\n"
    );
    let app = Router::new()
        .route("/images.csv", get(move || async move { csv }))
        .route("/img/cat.png", get(|| async { b"\x89PNG cat".to_vec() }))
        .route("/img/dog.png", get(|| async { b"\x89PNG dog".to_vec() }))
        .route(
            "/img/nsfw/frog.png",
            get(|| async { b"\x89PNG frog".to_vec() }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_image_moderation_reads_every_image_and_links_the_results_file() {
    let (emulator, client) = emulator().await;
    let base = image_server().await;
    let started = client
        .moderation()
        .bulk_image_moderation(&format!("{base}/images.csv"))
        .await
        .unwrap();
    assert!(!started.task_id.is_empty());
    let result = started.handle().wait().await.unwrap();
    assert_eq!((result.total, result.flagged, result.failed), (4, 1, 1));
    let file = reqwest::get(&result.url).await.unwrap();
    assert_eq!(file.status(), 200, "{}", result.url);
    let text = file.text().await.unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "url,status,verdict,reason");
    assert_eq!(rows[1], format!("{base}/img/cat.png,ok,safe,"));
    assert_eq!(rows[3], format!("{base}/img/nsfw/frog.png,ok,flagged,"));
    assert!(
        rows[4].starts_with(&format!("{base}/img/gone.png,error,")),
        "{text}"
    );
    assert_eq!(rows.len(), 5, "{text}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_the_emulator_may_not_fetch_is_a_task_error() {
    let (emulator, client) = emulator().await;
    // 192.0.2.0/24 is TEST-NET-1: off loopback, so refused before any connection.
    let started = client
        .moderation()
        .bulk_image_moderation("http://192.0.2.1/images.csv")
        .await
        .unwrap();
    match started.handle().wait().await {
        Err(Error::Task(err)) => {
            assert_eq!(err.task_id(), started.task_id);
            let description = err.description();
            assert!(description.contains("loopback"), "{err:?}");
        }
        other => panic!("expected a task error, got {other:?}"),
    }
    emulator.shutdown().await;
}
