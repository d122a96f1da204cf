//! Bulk image moderation: serves a CSV of image URLs (and the images) on
//! loopback, asks for the images to be moderated, waits for the task and
//! prints the results file (one row per image: `url,status,verdict,reason`).
//!
//! ```sh
//! cargo run -p getstream-tasks --example bulk_images
//! ```
//!
//! Runs against the local emulator started in this process (no network, no
//! credentials), which fetches loopback URLs only unless told otherwise. With
//! `STREAM_API_KEY`, `STREAM_API_SECRET` (and `STREAM_BASE_URL`) set and a
//! public `CSV_URL`, against that app instead.

use std::time::Duration;

use axum::routing::get;
use getstream_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Pace};
use getstream_tasks::Client;

/// A CSV listing three images on this server, and the images (tiny PNG-like bytes).
async fn serve_images() -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let csv = format!(
        "url\n{base}/img/cat.png\n{base}/img/dog.png\n{base}/img/nsfw/frog.png\n\n{base}/img/missing.png\n"
    );
    let app = axum::Router::new()
        .route("/images.csv", get(move || async move { csv }))
        .route("/img/cat.png", get(|| async { b"\x89PNG cat".to_vec() }))
        .route("/img/dog.png", get(|| async { b"\x89PNG dog".to_vec() }))
        // The emulator flags an image whose URL path names `nsfw` or `flag` (its documented
        // rule: it does not judge pictures); Stream's answer comes from its models.
        .route(
            "/img/nsfw/frog.png",
            get(|| async { b"\x89PNG frog".to_vec() }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("{base}/images.csv"))
}

/// The app from the environment, else the emulator.
async fn client() -> Result<(Client, Option<EmulatorHandle>), Box<dyn std::error::Error>> {
    let env = |name| std::env::var(name).ok();
    if let (Some(key), Some(secret)) = (env("STREAM_API_KEY"), env("STREAM_API_SECRET")) {
        let mut builder = Client::builder(key, secret);
        if let Some(url) = env("STREAM_BASE_URL") {
            builder = builder.base_url(url);
        }
        return Ok((builder.build()?, None));
    }
    let emulator = Emulator::start(EmulatorConfig::new().pace(Pace::default())).await?;
    let client = Client::builder(emulator.api_key(), emulator.api_secret())
        .base_url(emulator.base_url())
        .build()?;
    Ok((client, Some(emulator)))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let csv_url = match std::env::var("CSV_URL") {
        Ok(url) => url,
        Err(_) => serve_images().await?,
    };
    let (client, _emulator) = client().await?;

    // Checked before any request: the CSV must be named by an http(s) URL.
    let refused = client
        .moderation()
        .bulk_image_moderation("images.csv")
        .await;
    println!("refused before sending: {}", refused.unwrap_err());

    let started = client.moderation().bulk_image_moderation(&csv_url).await?;
    println!(
        "moderating the images of {csv_url}: task {}",
        started.task_id
    );
    let result = started
        .handle()
        .wait()
        .interval(Duration::from_millis(250))
        .await?;
    println!(
        "{} images: {} flagged, {} could not be read",
        result.total, result.flagged, result.failed
    );
    let rows = reqwest::get(&result.url)
        .await?
        .error_for_status()?
        .text()
        .await?;
    print!("{rows}");
    Ok(())
}
