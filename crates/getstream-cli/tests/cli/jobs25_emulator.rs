//! `moderation bulk-images` end to end, against the real emulator: a test server on
//! loopback serves the CSV and the images, the emulator fetches them, and the command
//! prints the counts and downloads the results file. A CSV the emulator may not fetch
//! fails the task: exit 1, with the task's reason.

use axum::Router;
use axum::routing::get;

use crate::support::{emulator, run};

/// Serves `/images.csv` (a safe image, one the emulator's rule flags, one missing).
async fn image_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let csv = format!("{base}/img/cat.png\n{base}/img/flagged/frog.png\n{base}/img/gone.png\n");
    let app = Router::new()
        .route("/images.csv", get(move || async move { csv }))
        .route("/img/cat.png", get(|| async { b"\x89PNG cat".to_vec() }))
        .route(
            "/img/flagged/frog.png",
            get(|| async { b"\x89PNG frog".to_vec() }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_images_moderates_each_image_and_downloads_the_results() {
    let emu = emulator().await;
    let base = image_server().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.csv");
    let csv = format!("{base}/images.csv");
    let out = run(
        &emu,
        [
            "moderation",
            "bulk-images",
            &csv,
            "--download",
            path.to_str().unwrap(),
            "--interval",
            "20ms",
        ],
    )
    .await;
    out.assert_code(0);
    assert!(
        out.stdout.contains("3 total, 1 flagged, 1 failed"),
        "{out:?}"
    );
    let results = std::fs::read_to_string(&path).unwrap();
    let rows: Vec<&str> = results.lines().collect();
    assert_eq!(rows[0], "url,status,verdict,reason");
    assert_eq!(rows[1], format!("{base}/img/cat.png,ok,safe,"));
    assert_eq!(rows[2], format!("{base}/img/flagged/frog.png,ok,flagged,"));
    assert!(
        rows[3].starts_with(&format!("{base}/img/gone.png,error,")),
        "{results}"
    );

    // --json: the finished task, with the counts in its result.
    let out = run(
        &emu,
        [
            "moderation",
            "bulk-images",
            &csv,
            "--json",
            "--interval",
            "20ms",
        ],
    )
    .await;
    out.assert_code(0);
    let task = out.json();
    assert_eq!(task["status"], "completed", "{task}");
    assert_eq!(task["result"]["total"], 3, "{task}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_off_loopback_fails_the_task_and_exits_1() {
    let emu = emulator().await;
    // TEST-NET-1: refused by the emulator's fetch policy before any connection.
    let out = run(
        &emu,
        [
            "moderation",
            "bulk-images",
            "http://192.0.2.1/images.csv",
            "--interval",
            "20ms",
        ],
    )
    .await;
    out.assert_code(1);
    assert!(out.stderr.contains("loopback"), "{out:?}");
}
