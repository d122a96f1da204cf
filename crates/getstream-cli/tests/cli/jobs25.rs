//! `feeds delete`, `feeds delete-user-data`, `export feed-user` and `moderation bulk-images`
//! against a scripted server that answers per the wire contract: what was sent, the output,
//! `--json`, `--no-wait`, `--download`, exit codes, and bad arguments (exit 2, nothing sent).

use serde_json::{Value, json};

use crate::scripted::Scripted;

const DELETE_FEEDS: &str = "/api/v2/feeds/feeds/delete";
const BULK_IMAGES: &str = "/api/v2/moderation/bulk_image_moderation";

fn started(status: u16, id: &str) -> (u16, Value) {
    (status, json!({"duration": "1.5ms", "task_id": id}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_feed_uses_the_single_call() {
    let server = Scripted::start().await;
    server.script(
        "/api/v2/feeds/feed_groups/user/feeds/alice",
        [started(200, "f1")],
    );
    server.completed(
        "f1",
        json!({"feeds": ["user:alice"], "hard_delete": true, "deleted_feeds": 1,
               "deleted_activities": 12, "purged_activities": 3}),
    );
    let out = server
        .run([
            "feeds",
            "delete",
            "user:alice",
            "--hard",
            "--purge-user-activities",
            "--interval",
            "10ms",
        ])
        .await;
    out.assert_code(0);
    assert!(out.stdout.contains("status:     completed"), "{out:?}");
    assert!(out.stdout.contains("\"deleted_activities\": 12"), "{out:?}");
    let calls = server.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, "DELETE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_feeds_use_the_batch_call_and_json_prints_the_task() {
    let server = Scripted::start().await;
    server.script(DELETE_FEEDS, [started(201, "f2")]);
    let result = json!({"feeds": ["user:a", "timeline:a"], "hard_delete": false,
                        "deleted_feeds": 2, "deleted_activities": 0, "purged_activities": 0});
    server.completed("f2", result.clone());
    let out = server
        .run([
            "feeds",
            "delete",
            "user:a",
            "timeline:a",
            "--json",
            "--interval",
            "10ms",
        ])
        .await;
    out.assert_code(0);
    let task = out.json();
    assert_eq!(
        (task["task_id"].clone(), task["result"].clone()),
        (json!("f2"), result)
    );
    let call = &server.calls()[0];
    assert_eq!(
        (call.method.as_str(), call.path.as_str()),
        ("POST", DELETE_FEEDS)
    );
    assert_eq!(
        call.body,
        json!({"feeds": ["user:a", "timeline:a"], "hard_delete": false,
               "purge_user_activities": false})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_feed_is_an_api_error_exit_4() {
    let server = Scripted::start().await;
    server.script(
        DELETE_FEEDS,
        [(
            400,
            json!({"code": 4, "message": "feeds do not exist: user:ghost", "StatusCode": 400}),
        )],
    );
    let out = server
        .run(["feeds", "delete", "user:a", "user:ghost"])
        .await;
    out.assert_code(4);
    assert!(out.stderr.contains("user:ghost"), "{out:?}");
    assert_eq!(server.requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_exit_2_without_a_request() {
    let server = Scripted::start().await;
    let many: Vec<String> = (0..=100).map(|i| format!("user:u{i}")).collect();
    let mut too_many = vec!["feeds", "delete"];
    too_many.extend(many.iter().map(String::as_str));
    let cases: [&[&str]; 9] = [
        &["feeds", "delete", "no-colon"],
        &["feeds", "delete", "user:"],
        &["feeds", "delete", "us/er:a"],
        &["feeds", "delete", "user:a", "--purge-user-activities"],
        &["feeds", "delete"],
        &too_many,
        &["feeds", "delete-user-data", " "],
        &["moderation", "bulk-images", "images.csv"],
        &["moderation", "bulk-images", "ftp://127.0.0.1/i.csv"],
    ];
    for case in cases {
        let mut cmd = crate::support::bare_command(case);
        cmd.env("STREAM_API_KEY", "k")
            .env("STREAM_API_SECRET", "s")
            .env("STREAM_BASE_URL", &server.url);
        let out = cmd.output().await.unwrap();
        assert_eq!(out.status.code(), Some(2), "{case:?}: {out:?}");
    }
    assert_eq!(server.requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_user_data_sends_hard_and_a_failed_task_exits_1() {
    let server = Scripted::start().await;
    server.script("/api/v2/feeds/users/alice/delete", [started(201, "d1")]);
    let failed = json!({"task_id": "d1", "status": "failed", "duration": "0.1ms",
                        "error": {"type": "internal", "description": "store unavailable"}});
    server.script("/api/v2/tasks/d1", [(200, failed)]);
    let out = server
        .run([
            "feeds",
            "delete-user-data",
            "alice",
            "--hard",
            "--interval",
            "10ms",
        ])
        .await;
    out.assert_code(1);
    assert!(out.stderr.contains("store unavailable"), "{out:?}");
    assert_eq!(server.calls()[0].body, json!({"hard_delete": true}));

    // --no-wait: the id, and no poll.
    let before = server.requests();
    let out = server
        .run(["feeds", "delete-user-data", "alice", "--no-wait"])
        .await;
    out.assert_code(0);
    assert_eq!(out.stdout.trim(), "d1");
    assert_eq!(server.requests(), before + 1);
    assert_eq!(server.calls()[1].body, json!({"hard_delete": false}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_feed_user_downloads_the_file() {
    let server = Scripted::start().await;
    server.script("/api/v2/feeds/users/alice/export", [started(201, "e1")]);
    let file = json!({"user": {"id": "alice"}, "feeds": [], "activities": [], "follows": [],
                      "comments": [], "reactions": []});
    server.script("/exports/alice.json", [(200, file.clone())]);
    let url = format!("{}/exports/alice.json", server.url);
    server.completed(
        "e1",
        json!({"url": url, "user_id": "alice", "feeds": 0, "activities": 0}),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alice.json");
    let out = server
        .run([
            "export",
            "feed-user",
            "alice",
            "--download",
            path.to_str().unwrap(),
            "--interval",
            "10ms",
        ])
        .await;
    out.assert_code(0);
    assert!(
        out.stdout.contains(&format!("url:        {url}")),
        "{out:?}"
    );
    assert!(out.stdout.contains("downloaded:"), "{out:?}");
    let written: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(written, file);
    assert_eq!(server.calls()[0].body, json!({}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_images_prints_the_counts_and_downloads_the_results() {
    let server = Scripted::start().await;
    server.script(BULK_IMAGES, [started(201, "m1")]);
    // The scripted server answers JSON; the download only has to land byte for byte.
    server.script(
        "/exports/results.csv",
        [(200, json!("url,status,verdict,reason"))],
    );
    let url = format!("{}/exports/results.csv", server.url);
    server.completed(
        "m1",
        json!({"url": url, "total": 3, "flagged": 1, "failed": 1}),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.csv");
    let csv = "http://127.0.0.1:9/images.csv";
    let out = server
        .run([
            "moderation",
            "bulk-images",
            csv,
            "--download",
            path.to_str().unwrap(),
            "--interval",
            "10ms",
        ])
        .await;
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("images:     3 total, 1 flagged, 1 failed"),
        "{out:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "\"url,status,verdict,reason\""
    );
    assert_eq!(server.calls()[0].body, json!({"csv_file": csv}));

    // --json: one document, the task.
    let out = server
        .run([
            "moderation",
            "bulk-images",
            csv,
            "--json",
            "--interval",
            "10ms",
        ])
        .await;
    out.assert_code(0);
    assert_eq!(out.json()["result"]["flagged"], 1);
}
