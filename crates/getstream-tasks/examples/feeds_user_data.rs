//! A GDPR erasure of one user's feeds data: export everything the app holds
//! about them (profile, feeds, activities, follows, comments, reactions) to a
//! file, then hard-delete it, waiting on both tasks with their typed results.
//!
//! ```sh
//! cargo run -p getstream-tasks --example feeds_user_data -- alice
//! ```
//!
//! Runs against the local emulator started in this process (no network, no
//! credentials); with `STREAM_API_KEY`, `STREAM_API_SECRET` and
//! `STREAM_BASE_URL` set, against that app instead.

use std::time::Duration;

use getstream_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Pace};
use getstream_tasks::Client;

/// The app from the environment, else the emulator (kept running as long as
/// the handle lives).
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
    let user = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "alice".to_owned());
    let (client, _emulator) = client().await?;
    let feeds = client.feeds();

    // 1. The copy the user is entitled to, first.
    let export = feeds.export_user_data(&user).await?;
    println!("export started: task {}", export.task_id);
    let export = export
        .handle()
        .wait()
        .interval(Duration::from_millis(250))
        .await?;
    println!(
        "exported {}: {} feeds, {} activities, {} follows, {} comments, {} reactions",
        export.user_id,
        export.feeds,
        export.activities,
        export.follows,
        export.comments,
        export.reactions
    );
    let file = reqwest::get(&export.url)
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let path = std::env::temp_dir().join(format!("feeds-export-{user}.json"));
    std::fs::write(&path, &file)?;
    println!("saved {} bytes to {}", file.len(), path.display());

    // 2. Then the erasure: hard, so nothing is left to restore.
    let deleted = feeds.delete_user_data(&user, true).await?;
    println!("delete started: task {}", deleted.task_id);
    let deleted = deleted
        .handle()
        .wait()
        .interval(Duration::from_millis(250))
        .await?;
    println!(
        "deleted {}'s data: {} feeds, {} activities, {} follows, {} comments, {} reactions",
        deleted.user_id,
        deleted.deleted_feeds,
        deleted.deleted_activities,
        deleted.deleted_follows,
        deleted.deleted_comments,
        deleted.deleted_reactions
    );
    Ok(())
}
