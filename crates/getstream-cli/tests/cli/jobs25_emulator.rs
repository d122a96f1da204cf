//! `moderation bulk-images` end to end, against the real emulator: a test server on
//! loopback serves the CSV and the images, the emulator fetches them, and the command
//! prints the counts and downloads the results file. A CSV the emulator may not fetch
//! fails the task: exit 1, with the task's reason.
//!
//! The feeds commands (`feeds delete`, `feeds delete-user-data`, `export feed-user`)
//! against an emulator seeded over HTTP: exit codes, output, and the emulator's data
//! afterwards.

use axum::Router;
use axum::routing::get;

use getstream_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Pace};
use serde_json::{Value, json};

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

/// The emulator's feeds API, called with a server token from its admin API.
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
        let answer: Value = http
            .get(format!("{base}/_emulator/token"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Feeds {
            token: answer["token"].as_str().unwrap().to_owned(),
            key: emulator.api_key().to_owned(),
            http,
            base,
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
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

    async fn create(&self, path: &str, body: Value) {
        let (status, answer) = self.send(reqwest::Method::POST, path, Some(body)).await;
        assert_eq!(status, 201, "{path}: {answer}");
    }

    async fn activity_status(&self, id: &str) -> u16 {
        let path = format!("/api/v2/feeds/activities/{id}");
        self.send(reqwest::Method::GET, &path, None).await.0
    }

    /// Every live feed's fid.
    async fn feed_ids(&self) -> Vec<String> {
        let body = json!({"filter": {}, "limit": 100});
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

    /// Feeds `user:alice`, `timeline:alice` (alice's), `user:bob`; alice's `a1` in
    /// `user:alice`, `a2` in `user:alice` and `user:bob`, bob's `b1` in `user:bob`;
    /// `timeline:alice` follows `user:bob`; bob comments on `a1`; alice likes `b1`.
    async fn seed(&self) {
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
            let body = json!({"id": id, "type": "post", "feeds": feeds, "user_id": user});
            self.create("/api/v2/feeds/activities", body).await;
        }
        let follow = json!({"source": "timeline:alice", "target": "user:bob"});
        self.create("/api/v2/feeds/follows", follow).await;
        let comment = json!({"object_id": "a1", "object_type": "activity",
                             "comment": "nice", "user_id": "bob"});
        self.create("/api/v2/feeds/comments", comment).await;
        let like = json!({"type": "like", "user_id": "alice"});
        self.create("/api/v2/feeds/activities/b1/reactions", like)
            .await;
    }
}

/// An emulator (instant jobs, admin API on for the token) with [`Feeds::seed`]'s data.
async fn feeds_emulator() -> (EmulatorHandle, Feeds) {
    let emulator = Emulator::start(EmulatorConfig::new().pace(Pace::instant()).admin(true))
        .await
        .unwrap();
    let feeds = Feeds::new(&emulator).await;
    feeds.seed().await;
    (emulator, feeds)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_delete_hard_removes_one_feed_and_its_activities() {
    let (emu, feeds) = feeds_emulator().await;
    let out = run(
        &emu,
        [
            "feeds",
            "delete",
            "user:alice",
            "--hard",
            "--interval",
            "20ms",
        ],
    )
    .await;
    out.assert_code(0);
    assert!(out.stdout.contains("status:     completed"), "{out:?}");
    assert!(out.stdout.contains("\"deleted_activities\": 1"), "{out:?}");
    assert!(out.stdout.contains("\"purged_activities\": 0"), "{out:?}");
    assert_eq!(feeds.feed_ids().await, ["timeline:alice", "user:bob"]);
    assert_eq!(feeds.activity_status("a1").await, 404);
    // a2 is also in user:bob and was not purged.
    assert_eq!(feeds.activity_status("a2").await, 200);

    // An unknown feed: the API's 404, exit code of an API error, nothing deleted.
    let out = run(&emu, ["feeds", "delete", "user:nobody", "--hard"]).await;
    out.assert_code(4);
    assert!(out.stderr.contains("HTTP 404"), "{out:?}");
    assert!(out.stderr.contains("user:nobody"), "{out:?}");
    // --purge-user-activities needs --hard: a usage error before any request.
    let out = run(
        &emu,
        ["feeds", "delete", "user:bob", "--purge-user-activities"],
    )
    .await;
    out.assert_code(2);
    assert_eq!(feeds.feed_ids().await, ["timeline:alice", "user:bob"]);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_delete_batch_soft_hides_every_feed_and_keeps_the_activities() {
    let (emu, feeds) = feeds_emulator().await;
    // One missing feed: the batch is refused whole, naming it, and nothing starts.
    let out = run(&emu, ["feeds", "delete", "user:alice", "user:nobody"]).await;
    out.assert_code(4);
    assert!(out.stderr.contains("user:nobody"), "{out:?}");
    assert_eq!(
        feeds.feed_ids().await,
        ["timeline:alice", "user:alice", "user:bob"]
    );

    let out = run(
        &emu,
        [
            "feeds",
            "delete",
            "user:alice",
            "user:bob",
            "--json",
            "--interval",
            "20ms",
        ],
    )
    .await;
    out.assert_code(0);
    let task = out.json();
    assert_eq!(task["status"], "completed", "{task}");
    assert_eq!(
        task["result"],
        json!({"feeds": ["user:alice", "user:bob"], "hard_delete": false, "deleted_feeds": 2,
               "deleted_activities": 0, "purged_activities": 0}),
        "{task}"
    );
    assert_eq!(feeds.feed_ids().await, ["timeline:alice"]);
    assert_eq!(feeds.activity_status("a1").await, 200);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_delete_user_data_hard_json_shows_the_counts() {
    let (emu, feeds) = feeds_emulator().await;
    let out = run(
        &emu,
        [
            "feeds",
            "delete-user-data",
            "alice",
            "--hard",
            "--json",
            "--interval",
            "20ms",
        ],
    )
    .await;
    out.assert_code(0);
    let task = out.json();
    assert_eq!(
        task["result"],
        json!({"user_id": "alice", "hard_delete": true, "deleted_feeds": 2,
               "deleted_activities": 2, "deleted_follows": 1, "deleted_comments": 1,
               "deleted_reactions": 1}),
        "{task}"
    );
    assert_eq!(feeds.feed_ids().await, ["user:bob"]);
    assert_eq!(feeds.activity_status("a2").await, 404);
    assert_eq!(feeds.activity_status("b1").await, 200);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_feed_user_downloads_the_users_data() {
    let (emu, _feeds) = feeds_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alice.json");
    let out = run(
        &emu,
        [
            "export",
            "feed-user",
            "alice",
            "--download",
            path.to_str().unwrap(),
            "--interval",
            "20ms",
        ],
    )
    .await;
    out.assert_code(0);
    assert!(out.stdout.contains("status:     completed"), "{out:?}");
    assert!(out.stdout.contains("downloaded: "), "{out:?}");
    let file: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(file["user"]["id"], "alice", "{file}");
    let mut activities: Vec<&str> = file["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    activities.sort_unstable();
    assert_eq!(activities, ["a1", "a2"], "{file}");
    assert_eq!(file["reactions"].as_array().unwrap().len(), 1, "{file}");
    emu.shutdown().await;
}
