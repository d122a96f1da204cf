//! A GDPR erasure of one user's feeds data: export everything the app holds
//! about them (profile, feeds, activities, follows, comments, reactions) to a
//! file, then hard-delete it, waiting on both tasks with their typed results.
//!
//! ```sh
//! cargo run -p getstream-tasks --example feeds_user_data -- alice
//! ```
//!
//! Runs against the local emulator started in this process (no network, no
//! credentials), seeded with a little feeds data for the user first; with
//! `STREAM_API_KEY`, `STREAM_API_SECRET` and `STREAM_BASE_URL` set, against
//! that app (and its data) instead.

use std::time::Duration;

use getstream_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Pace};
use getstream_tasks::Client;
use serde_json::{Value, json};

type BoxError = Box<dyn std::error::Error>;

/// The app from the environment, else the emulator (kept running as long as
/// the handle lives), seeded with `user`'s feeds data.
async fn client(user: &str) -> Result<(Client, Option<EmulatorHandle>), BoxError> {
    let env = |name| std::env::var(name).ok();
    if let (Some(key), Some(secret)) = (env("STREAM_API_KEY"), env("STREAM_API_SECRET")) {
        let mut builder = Client::builder(key, secret);
        if let Some(url) = env("STREAM_BASE_URL") {
            builder = builder.base_url(url);
        }
        return Ok((builder.build()?, None));
    }
    // The admin API hands out the server token the seeding calls use.
    let config = EmulatorConfig::new().pace(Pace::default()).admin(true);
    let emulator = Emulator::start(config).await?;
    seed(&emulator, user).await?;
    let client = Client::builder(emulator.api_key(), emulator.api_secret())
        .base_url(emulator.base_url())
        .build()?;
    Ok((client, Some(emulator)))
}

/// `user`'s feed with three posts (a friend comments on the first), the
/// friend's post (the user comments on it and likes it), and the user's
/// timeline following the friend — over the emulator's feeds routes, as an
/// app would write them.
async fn seed(emulator: &EmulatorHandle, user: &str) -> Result<(), BoxError> {
    let http = reqwest::Client::new();
    let base = emulator.base_url().trim_end_matches('/').to_owned();
    let token: Value = http
        .get(format!("{base}/_emulator/token"))
        .send()
        .await?
        .json()
        .await?;
    let token = token["token"].as_str().ok_or("no token")?.to_owned();
    let post = |path: String, body: Value| {
        let request = http
            .post(format!("{base}{path}?api_key={}", emulator.api_key()))
            .header("authorization", &token)
            .header("stream-auth-type", "jwt")
            .json(&body);
        async move { request.send().await?.error_for_status().map(drop) }
    };
    for group in ["user", "timeline"] {
        post("/api/v2/feeds/feed_groups".into(), json!({"id": group})).await?;
    }
    for (group, owner) in [("user", user), ("timeline", user), ("user", "friend")] {
        let path = format!("/api/v2/feeds/feed_groups/{group}/feeds/{owner}");
        post(path, json!({"user_id": owner})).await?;
    }
    let posts = [
        ("post-1", user),
        ("post-2", user),
        ("post-3", user),
        ("hello", "friend"),
    ];
    for (id, author) in posts {
        let activity = json!({"id": id, "type": "post", "user_id": author,
                              "feeds": [format!("user:{author}")], "text": id});
        post("/api/v2/feeds/activities".into(), activity).await?;
    }
    for (on, by) in [("post-1", "friend"), ("hello", user)] {
        let comment = json!({"object_id": on, "object_type": "activity",
                             "comment": "nice", "user_id": by});
        post("/api/v2/feeds/comments".into(), comment).await?;
    }
    let like = json!({"type": "like", "user_id": user});
    post("/api/v2/feeds/activities/hello/reactions".into(), like).await?;
    let follow = json!({"source": format!("timeline:{user}"), "target": "user:friend"});
    post("/api/v2/feeds/follows".into(), follow).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let user = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "alice".to_owned());
    let (client, _emulator) = client(&user).await?;
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
