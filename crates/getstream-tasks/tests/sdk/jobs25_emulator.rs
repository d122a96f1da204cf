//! Issue 25's operations end to end: the SDK against the real emulator. Bulk image
//! moderation fetches over real sockets, so its tests run on the real clock; nothing in
//! them waits on a duration (the emulator's pace is zero), and a test server on loopback
//! serves the CSV and the images. The feeds tasks seed the emulator over HTTP, then
//! check each task's typed result and the emulator's data afterwards, on the paused clock.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use getstream_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Pace};
use getstream_tasks::{Client, DeleteFeedRequest, DeleteFeedsRequest, Error, FeedId, PollPolicy};

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

// ---- Feeds: the four tasks against the emulator's feeds, seeded over HTTP. They do no
// network I/O but the test's own, so they run on tokio's paused clock.

/// The emulator's feeds, seeded over its HTTP routes with a server token from its admin
/// API, as any app would write them.
struct Feeds {
    http: reqwest::Client,
    base: String,
    key: String,
    token: String,
}

impl Feeds {
    async fn new(emulator: &EmulatorHandle) -> Feeds {
        let http = reqwest::Client::new();
        let base = emulator.base_url().trim_end_matches('/').to_owned();
        let answer: serde_json::Value = http
            .get(format!("{base}/_emulator/token"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = answer["token"].as_str().unwrap().to_owned();
        let key = emulator.api_key().to_owned();
        Feeds {
            http,
            base,
            key,
            token,
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}?api_key={}", self.base, self.key))
            .header("authorization", &self.token)
            .header("stream-auth-type", "jwt");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    /// Posts `body`, asserting a 201.
    async fn create(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let (status, answer) = self.send(reqwest::Method::POST, path, Some(body)).await;
        assert_eq!(status, 201, "{path}: {answer}");
        answer
    }

    /// The status of `GET /api/v2/feeds/activities/{id}`.
    async fn activity_status(&self, id: &str) -> u16 {
        let path = format!("/api/v2/feeds/activities/{id}");
        self.send(reqwest::Method::GET, &path, None).await.0
    }

    /// The activity `id` (asserting it is there).
    async fn activity(&self, id: &str) -> serde_json::Value {
        let path = format!("/api/v2/feeds/activities/{id}");
        let (status, answer) = self.send(reqwest::Method::GET, &path, None).await;
        assert_eq!(status, 200, "{answer}");
        answer["activity"].clone()
    }

    /// The fids query feeds lists (every live feed).
    async fn feed_ids(&self) -> Vec<String> {
        let body = serde_json::json!({"filter": {}, "limit": 100});
        let (status, answer) = self
            .send(
                reqwest::Method::POST,
                "/api/v2/feeds/feeds/query",
                Some(body),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        answer["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["feed"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Feeds `user:alice`, `timeline:alice` (owned by alice) and `user:bob`; alice's `a1`
    /// in `user:alice` and `a2` in `user:alice` and `user:bob`, bob's `b1` in `user:bob`;
    /// `timeline:alice` follows `user:bob`; bob comments on `a1`, alice on `b1`; alice
    /// likes `b1`.
    async fn seed(&self) {
        use serde_json::json;
        for group in ["user", "timeline"] {
            self.create("/api/v2/feeds/feed_groups", json!({"id": group}))
                .await;
        }
        for (group, id, owner) in [
            ("user", "alice", "alice"),
            ("timeline", "alice", "alice"),
            ("user", "bob", "bob"),
        ] {
            let path = format!("/api/v2/feeds/feed_groups/{group}/feeds/{id}");
            self.create(&path, json!({"user_id": owner})).await;
        }
        for (id, user, feeds) in [
            ("a1", "alice", vec!["user:alice"]),
            ("a2", "alice", vec!["user:alice", "user:bob"]),
            ("b1", "bob", vec!["user:bob"]),
        ] {
            let body = json!({"id": id, "type": "post", "feeds": feeds, "user_id": user,
                              "text": format!("{id} text")});
            self.create("/api/v2/feeds/activities", body).await;
        }
        let follow = json!({"source": "timeline:alice", "target": "user:bob"});
        self.create("/api/v2/feeds/follows", follow).await;
        for (activity, user) in [("a1", "bob"), ("b1", "alice")] {
            let body = json!({"object_id": activity, "object_type": "activity",
                              "comment": "nice", "user_id": user});
            self.create("/api/v2/feeds/comments", body).await;
        }
        let like = json!({"type": "like", "user_id": "alice"});
        self.create("/api/v2/feeds/activities/b1/reactions", like)
            .await;
    }
}

/// An emulator (admin API on, instant jobs) with [`Feeds::seed`]'s data, and a client.
async fn feeds_emulator() -> (EmulatorHandle, Client, Feeds) {
    let emulator = Emulator::start(EmulatorConfig::new().pace(Pace::instant()).admin(true))
        .await
        .unwrap();
    let feeds = Feeds::new(&emulator).await;
    feeds.seed().await;
    let client = Client::builder(emulator.api_key(), emulator.api_secret())
        .base_url(emulator.base_url())
        .build()
        .unwrap();
    (emulator, client, feeds)
}

#[tokio::test(start_paused = true)]
async fn delete_feed_hard_with_purge_removes_the_feed_and_its_owners_activities() {
    let (emulator, client, feeds) = feeds_emulator().await;
    let request = DeleteFeedRequest::new("user", "alice")
        .hard_delete(true)
        .purge_user_activities(true);
    let started = client.feeds().delete_feed(request).await.unwrap();
    let result = started.handle().wait().await.unwrap();
    assert_eq!(result.feeds, ["user:alice"]);
    assert!(result.hard_delete);
    // a1 was only in the feed; a2, also in user:bob, is alice's: purged from there.
    assert_eq!(
        (
            result.deleted_feeds,
            result.deleted_activities,
            result.purged_activities
        ),
        (1, 1, 1),
        "{result:?}"
    );
    assert_eq!(feeds.feed_ids().await, ["timeline:alice", "user:bob"]);
    assert_eq!(feeds.activity_status("a1").await, 404);
    assert_eq!(feeds.activity_status("a2").await, 404);
    assert_eq!(
        feeds.activity("b1").await["feeds"],
        serde_json::json!(["user:bob"])
    );
    emulator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn delete_feeds_batch_deletes_them_all_and_a_missing_feed_starts_nothing() {
    let (emulator, client, feeds) = feeds_emulator().await;
    let fid = |s: &str| s.parse::<FeedId>().unwrap();

    let missing =
        DeleteFeedsRequest::new([fid("user:alice"), fid("user:nobody")]).hard_delete(true);
    let error = client.feeds().delete_feeds(missing).await.unwrap_err();
    let Error::Api(api) = &error else {
        panic!("expected an API error, got {error:?}")
    };
    assert_eq!(api.status_code().as_u16(), 400, "{api:?}");
    assert!(api.message().contains("user:nobody"), "{api:?}");
    assert!(!api.message().contains("user:alice"), "{api:?}");
    // No task ran: every feed is still there.
    assert_eq!(
        feeds.feed_ids().await,
        ["timeline:alice", "user:alice", "user:bob"]
    );

    let batch = DeleteFeedsRequest::new([fid("user:alice"), fid("user:bob")]).hard_delete(true);
    let result = client
        .feeds()
        .delete_feeds(batch)
        .await
        .unwrap()
        .handle()
        .wait()
        .await
        .unwrap();
    assert_eq!(result.feeds, ["user:alice", "user:bob"]);
    // a1, a2 and b1 were in no other feed.
    assert_eq!(
        (
            result.deleted_feeds,
            result.deleted_activities,
            result.purged_activities
        ),
        (2, 3, 0),
        "{result:?}"
    );
    assert_eq!(feeds.feed_ids().await, ["timeline:alice"]);
    for id in ["a1", "a2", "b1"] {
        assert_eq!(feeds.activity_status(id).await, 404, "{id}");
    }
    emulator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn delete_user_data_hard_removes_everything_of_the_user() {
    let (emulator, client, feeds) = feeds_emulator().await;
    let started = client
        .feeds()
        .delete_user_data("alice", true)
        .await
        .unwrap();
    let result = started.handle().wait().await.unwrap();
    assert_eq!(result.user_id, "alice");
    assert!(result.hard_delete);
    // Bob's comment on a1 goes with a1; alice's comment and like on b1 go as hers.
    assert_eq!(
        (
            result.deleted_feeds,
            result.deleted_activities,
            result.deleted_follows,
            result.deleted_comments,
            result.deleted_reactions
        ),
        (2, 2, 1, 2, 1),
        "{result:?}"
    );
    assert_eq!(feeds.feed_ids().await, ["user:bob"]);
    assert_eq!(feeds.activity_status("a1").await, 404);
    assert_eq!(feeds.activity_status("a2").await, 404);
    let b1 = feeds.activity("b1").await;
    assert_eq!(
        (&b1["comment_count"], &b1["reaction_count"]),
        (&0.into(), &0.into()),
        "{b1}"
    );
    emulator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn export_user_data_counts_and_links_a_file_with_the_users_activities() {
    let (emulator, client, _feeds) = feeds_emulator().await;
    let started = client.feeds().export_user_data("alice").await.unwrap();
    let result = started.handle().wait().await.unwrap();
    assert_eq!(result.user_id, "alice");
    assert_eq!(
        (
            result.feeds,
            result.activities,
            result.follows,
            result.comments,
            result.reactions
        ),
        (2, 2, 1, 1, 1),
        "{result:?}"
    );
    let file: serde_json::Value = reqwest::get(&result.url)
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(file["user"]["id"], "alice", "{file}");
    let ids = |key: &str, field: &str| -> Vec<String> {
        let mut ids: Vec<String> = file[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key} in {file}"))
            .iter()
            .map(|v| v[field].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids("activities", "id"), ["a1", "a2"]);
    assert_eq!(ids("feeds", "feed"), ["timeline:alice", "user:alice"]);
    assert_eq!(ids("comments", "object_id"), ["b1"]);
    emulator.shutdown().await;
}
