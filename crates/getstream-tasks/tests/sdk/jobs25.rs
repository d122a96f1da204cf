//! The feeds jobs (delete one feed, delete feeds in batch, delete and export a
//! user's feed data) and bulk image moderation, against scripted servers that
//! answer per the wire contract and record what they got: the requests sent,
//! the typed results, a failed task, the argument checks (which send nothing),
//! and a pushed `export.bulk_image_moderation.success` waking the wait.

use std::future::IntoFuture;

use getstream_tasks::webhook;
use getstream_tasks::{
    DeleteFeedRequest, DeleteFeedsRequest, Error, FeedId, MAX_DELETE_FEEDS, PollPolicy, TaskEvents,
};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::support::{Reply, Server, builder, ms, secs};

const DELETE_FEEDS: &str = "/api/v2/feeds/feeds/delete";
const BULK_IMAGES: &str = "/api/v2/moderation/bulk_image_moderation";

fn started(status: u16, task_id: &str) -> Reply {
    Reply::json(status, json!({"duration": "1.5ms", "task_id": task_id}))
}

fn completed(task_id: &str, result: Value) -> Reply {
    Reply::task(task_id, "completed").with(json!({ "result": result }))
}

fn fid(s: &str) -> FeedId {
    s.parse().unwrap()
}

#[tokio::test]
async fn delete_feed_sends_its_query_and_waits_for_the_counts() {
    let server = Server::start().await;
    server.script(
        "/api/v2/feeds/feed_groups/user/feeds/alice",
        [started(200, "f1")],
    );
    let result = json!({"feeds": ["user:alice"], "hard_delete": true, "deleted_feeds": 1,
                        "deleted_activities": 12, "purged_activities": 3, "extra_field": "x"});
    server.task(
        "f1",
        [Reply::task("f1", "running"), completed("f1", result)],
    );
    let request = DeleteFeedRequest::new("user", "alice")
        .hard_delete(true)
        .purge_user_activities(true);
    let started = server.client().feeds().delete_feed(request).await.unwrap();
    assert_eq!(
        (started.task_id.as_str(), started.duration.as_str()),
        ("f1", "1.5ms")
    );
    let result = started.handle().wait().interval(ms(10)).await.unwrap();
    assert_eq!(result.feeds, ["user:alice"]);
    assert!(result.hard_delete);
    assert_eq!(
        (
            result.deleted_feeds,
            result.deleted_activities,
            result.purged_activities
        ),
        (1, 12, 3)
    );
    assert_eq!(result.extra["extra_field"], "x");

    let sent = &server.requests()[0];
    assert_eq!(sent.method, "DELETE");
    assert_eq!(
        sent.query.as_deref(),
        Some("api_key=test-api-key&hard_delete=true&purge_user_activities=true")
    );
    assert_eq!(sent.body, Value::Null);

    // A soft delete sends no query at all.
    server
        .client()
        .feeds()
        .delete_feed(DeleteFeedRequest::new("user", "alice"))
        .await
        .unwrap();
    assert_eq!(
        server.requests()[3].query.as_deref(),
        Some("api_key=test-api-key")
    );
}

#[tokio::test]
async fn delete_feeds_sends_the_batch_and_an_unknown_feed_is_an_api_error() {
    let server = Server::start().await;
    server.script(
        DELETE_FEEDS,
        [
            started(201, "f2"),
            Reply::api_error(400, 4, "feeds do not exist: user:ghost"),
        ],
    );
    server.task(
        "f2",
        [completed(
            "f2",
            json!({"feeds": ["user:a", "timeline:a"], "hard_delete": false, "deleted_feeds": 2}),
        )],
    );
    let feeds = server.client().feeds();
    let request = DeleteFeedsRequest::new([fid("user:a"), fid("timeline:a")]);
    let result = feeds
        .delete_feeds(request)
        .await
        .unwrap()
        .into_handle()
        .wait()
        .interval(ms(10))
        .await
        .unwrap();
    assert_eq!(result.deleted_feeds, 2);
    assert_eq!(
        (result.deleted_activities, result.purged_activities),
        (0, 0)
    );
    assert_eq!(
        server.requests()[0].body,
        json!({"feeds": ["user:a", "timeline:a"], "hard_delete": false,
               "purge_user_activities": false})
    );

    let error = feeds
        .delete_feeds(DeleteFeedsRequest::new([fid("user:ghost")]))
        .await
        .unwrap_err();
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.status_code(), 400);
    assert!(api.message().contains("user:ghost"), "{error}");
}

#[tokio::test]
async fn user_data_delete_and_export_have_typed_results() {
    let server = Server::start().await;
    server.script("/api/v2/feeds/users/alice/delete", [started(201, "d1")]);
    server.script("/api/v2/feeds/users/alice/export", [started(201, "e1")]);
    server.task(
        "d1",
        [completed(
            "d1",
            json!({"user_id": "alice", "hard_delete": true, "deleted_feeds": 2,
                   "deleted_activities": 40, "deleted_follows": 3, "deleted_comments": 5,
                   "deleted_reactions": 7}),
        )],
    );
    server.task(
        "e1",
        [completed(
            "e1",
            json!({"url": "http://127.0.0.1:1/exports/x.json?sig=1", "user_id": "alice",
                   "feeds": 2, "activities": 40, "follows": 3, "comments": 5, "reactions": 7}),
        )],
    );
    let feeds = server.client().feeds();
    let export = feeds.export_user_data("alice").await.unwrap();
    let export = export.handle().wait().interval(ms(10)).await.unwrap();
    assert_eq!(export.url, "http://127.0.0.1:1/exports/x.json?sig=1");
    assert_eq!(
        (export.feeds, export.activities, export.reactions),
        (2, 40, 7)
    );
    let deleted = feeds.delete_user_data("alice", true).await.unwrap();
    let deleted = deleted.handle().wait().interval(ms(10)).await.unwrap();
    assert_eq!(deleted.user_id, "alice");
    assert!(deleted.hard_delete);
    assert_eq!(
        (
            deleted.deleted_follows,
            deleted.deleted_comments,
            deleted.deleted_reactions
        ),
        (3, 5, 7)
    );
    let requests = server.requests();
    assert_eq!(requests[0].body, json!({}));
    assert_eq!(requests[2].body, json!({"hard_delete": true}));
    assert!(
        requests
            .iter()
            .all(|r| r.method == "POST" || r.method == "GET")
    );
}

#[tokio::test]
async fn a_failed_feeds_task_is_a_task_error() {
    let server = Server::start().await;
    server.script("/api/v2/feeds/users/bob/delete", [started(201, "d2")]);
    server.task(
        "d2",
        [Reply::task("d2", "failed")
            .with(json!({"error": {"type": "internal", "description": "store unavailable"}}))],
    );
    let started = server
        .client()
        .feeds()
        .delete_user_data("bob", false)
        .await
        .unwrap();
    let error = started.handle().wait().interval(ms(10)).await.unwrap_err();
    let Error::Task(task) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(task.task_id(), "d2");
    assert_eq!(task.description(), "store unavailable");
}

#[tokio::test]
async fn every_argument_check_sends_nothing() {
    let server = Server::start().await;
    let client = server.client();
    let over: Vec<FeedId> = (0..=MAX_DELETE_FEEDS)
        .map(|i| fid(&format!("user:u{i}")))
        .collect();
    let errors = [
        client
            .feeds()
            .delete_feed(DeleteFeedRequest::new("", "a"))
            .await
            .unwrap_err(),
        client
            .feeds()
            .delete_feed(DeleteFeedRequest::new("user", "a/b"))
            .await
            .unwrap_err(),
        client
            .feeds()
            .delete_feed(DeleteFeedRequest::new("user", "a").purge_user_activities(true))
            .await
            .unwrap_err(),
        client
            .feeds()
            .delete_feeds(DeleteFeedsRequest::new([]))
            .await
            .unwrap_err(),
        client
            .feeds()
            .delete_feeds(DeleteFeedsRequest::new(over))
            .await
            .unwrap_err(),
        client
            .feeds()
            .delete_feeds(DeleteFeedsRequest::new([fid("user:a")]).purge_user_activities(true))
            .await
            .unwrap_err(),
        client
            .feeds()
            .delete_user_data(" ", true)
            .await
            .unwrap_err(),
        client.feeds().export_user_data("").await.unwrap_err(),
        client.feeds().export_user_data("..").await.unwrap_err(),
        client
            .moderation()
            .bulk_image_moderation("")
            .await
            .unwrap_err(),
        client
            .moderation()
            .bulk_image_moderation("images.csv")
            .await
            .unwrap_err(),
        client
            .moderation()
            .bulk_image_moderation("ftp://h/i.csv")
            .await
            .unwrap_err(),
        "user:".parse::<FeedId>().unwrap_err(),
    ];
    for (i, error) in errors.iter().enumerate() {
        assert!(error.is_invalid_argument(), "case {i}: {error}");
    }
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn bulk_image_moderation_sends_the_csv_url_and_reads_the_counts() {
    let server = Server::start().await;
    server.script(BULK_IMAGES, [started(201, "m1")]);
    server.task(
        "m1",
        [completed(
            "m1",
            json!({"url": "http://127.0.0.1:1/exports/r.csv", "total": 3, "flagged": 1,
                   "failed": 1, "rows": "x"}),
        )],
    );
    let csv = "http://127.0.0.1:8/images.csv";
    let started = server
        .client()
        .moderation()
        .bulk_image_moderation(csv)
        .await
        .unwrap();
    let result = started.handle().wait().interval(ms(10)).await.unwrap();
    assert_eq!(result.url, "http://127.0.0.1:1/exports/r.csv");
    assert_eq!((result.total, result.flagged, result.failed), (3, 1, 1));
    assert_eq!(result.extra["rows"], "x");
    assert_eq!(server.requests()[0].body, json!({"csv_file": csv}));
}

#[tokio::test(start_paused = true)]
async fn a_pushed_bulk_image_event_wakes_the_long_running_wait() {
    let server = Server::start().await;
    server.script(BULK_IMAGES, [started(201, "m2")]);
    let result = json!({"url": "http://127.0.0.1:1/r.csv", "total": 1, "flagged": 0, "failed": 0});
    server.task(
        "m2",
        [Reply::task("m2", "running"), completed("m2", result)],
    );
    let events = TaskEvents::new();
    let client = builder(&server.url)
        .poll_policy(PollPolicy::long_running())
        .task_events(events.clone())
        .build()
        .unwrap();
    let started = client
        .moderation()
        .bulk_image_moderation("http://127.0.0.1:8/i.csv")
        .await
        .unwrap();
    let start = Instant::now();
    let wait = tokio::spawn(started.handle().wait().into_future());
    tokio::time::sleep(secs(3)).await;
    assert_eq!(events.waits(), 1);
    let body = include_bytes!("../data/webhook/export_bulk_image_moderation_success.json");
    let mut event = webhook::parse(body).unwrap().into_json();
    event["task_id"] = json!("m2");
    let event = getstream_tasks::webhook::WebhookEvent::from_value(event).unwrap();
    assert_eq!(events.publish(&event), 1);
    let result = wait.await.unwrap().unwrap();
    assert_eq!(result.total, 1);
    // Polled at once, then at the event: long before long_running's next
    // poll (30 s with a hub).
    let polls: Vec<_> = server
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/api/v2/tasks/"))
        .map(|r| r.at - start)
        .collect();
    assert_eq!(polls, [secs(0), secs(3)]);
}

#[cfg(feature = "blocking")]
#[test]
fn the_blocking_mirror_starts_and_waits() {
    let server = crate::support::server_on_own_thread(|server| {
        server.script(
            "/api/v2/feeds/feed_groups/user/feeds/a",
            [started(200, "b1")],
        );
        server.script(DELETE_FEEDS, [started(201, "b2")]);
        server.script("/api/v2/feeds/users/a/export", [started(201, "b3")]);
        server.script(BULK_IMAGES, [started(201, "b4")]);
        server.task("b1", [completed("b1", json!({"deleted_feeds": 1}))]);
        server.task("b2", [completed("b2", json!({"deleted_feeds": 2}))]);
        server.task(
            "b3",
            [completed("b3", json!({"url": "http://127.0.0.1:1/x"}))],
        );
        server.task(
            "b4",
            [completed(
                "b4",
                json!({"url": "http://127.0.0.1:1/r", "total": 4}),
            )],
        );
    });
    let client = crate::support::blocking_client(&server);
    let feeds = client.feeds();
    let one = feeds
        .delete_feed(DeleteFeedRequest::new("user", "a"))
        .unwrap();
    assert_eq!(one.handle().wait().send().unwrap().deleted_feeds, 1);
    let batch = feeds
        .delete_feeds(DeleteFeedsRequest::new([fid("user:a"), fid("user:b")]))
        .unwrap();
    assert_eq!(batch.handle().wait().send().unwrap().deleted_feeds, 2);
    let export = feeds.export_user_data("a").unwrap();
    assert_eq!(
        export.handle().wait().send().unwrap().url,
        "http://127.0.0.1:1/x"
    );
    let images = client
        .moderation()
        .bulk_image_moderation("http://127.0.0.1:8/i.csv")
        .unwrap();
    assert_eq!(images.handle().wait().send().unwrap().total, 4);
    // The checks hold in the mirror too, before any request.
    let before = server.requests().len();
    assert!(
        feeds
            .delete_user_data("", true)
            .unwrap_err()
            .is_invalid_argument()
    );
    assert!(
        client
            .moderation()
            .bulk_image_moderation("x")
            .unwrap_err()
            .is_invalid_argument()
    );
    assert_eq!(server.requests().len(), before);
}
