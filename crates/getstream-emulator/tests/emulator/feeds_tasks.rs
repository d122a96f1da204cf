//! The four feeds tasks end to end over HTTP: their results, the state afterwards, failing
//! items, their webhook events, and a restart on a data dir mid-way and after.

use std::time::Duration;

use getstream_emulator::{EmulatorConfig, Pace};
use serde_json::{Value, json};

use crate::feeds::{feed_ids, fixture};
use crate::support::*;
use crate::webhooks::{next, receiver};

async fn delete(http: &Http, path: &str) -> (u16, Value) {
    let (s, _, b) = http
        .send(reqwest::Method::DELETE, path, None)
        .await
        .unwrap();
    (s, b)
}

/// Starts a task with `DELETE path` (asserting the `200`) and waits for it.
async fn run_delete(http: &Http, path: &str) -> Value {
    let (s, b) = delete(http, path).await;
    assert_eq!(s, 200, "{b}");
    assert!(b["duration"].is_string(), "{b}");
    http.wait(b["task_id"].as_str().unwrap()).await.0
}

#[tokio::test]
async fn hard_delete_feed_removes_it_with_its_activities_and_purge_takes_the_owners_others() {
    let (handle, http) = start(config()).await;
    fixture(&http).await;

    let t = run_delete(
        &http,
        "/api/v2/feeds/feed_groups/user/feeds/alice?hard_delete=true",
    )
    .await;
    assert_eq!(t["status"], "completed", "{t}");
    assert_eq!(
        t["result"],
        json!({"feeds": ["user:alice"], "hard_delete": true, "deleted_feeds": 1,
               "deleted_activities": 1, "purged_activities": 0})
    );
    assert!(
        !feed_ids(&http, json!({}))
            .await
            .contains(&"user:alice".to_owned())
    );
    assert_eq!(http.get("/api/v2/feeds/activities/a1").await.0, 404);
    // a2 was in timeline:bob too: it stays there.
    let (s, b) = http.get("/api/v2/feeds/activities/a2").await;
    assert_eq!(
        (s, &b["activity"]["feeds"]),
        (200, &json!(["timeline:bob"]))
    );
    // The follow of the deleted feed went with it.
    let (_, b) = http
        .post("/api/v2/feeds/feed_groups/timeline/feeds/bob", json!({}))
        .await;
    assert_eq!(b["feed"]["following_count"], 0, "{b}");

    let t = run_delete(
        &http,
        "/api/v2/feeds/feed_groups/timeline/feeds/alice?hard_delete=true&purge_user_activities=true",
    )
    .await;
    assert_eq!(t["result"]["deleted_activities"], 1, "{t}");
    assert_eq!(t["result"]["purged_activities"], 2, "{t}");
    for id in ["a2", "a3", "b2"] {
        assert_eq!(
            http.get(&format!("/api/v2/feeds/activities/{id}")).await.0,
            404
        );
    }
    assert_eq!(http.get("/api/v2/feeds/activities/b1").await.0, 200);
    handle.shutdown().await;
}

#[tokio::test]
async fn soft_delete_feed_hides_it_and_keeps_its_activities() {
    let (handle, http) = start(config()).await;
    fixture(&http).await;
    let t = run_delete(&http, "/api/v2/feeds/feed_groups/user/feeds/alice").await;
    assert_eq!(t["result"]["hard_delete"], false, "{t}");
    assert_eq!(t["result"]["deleted_feeds"], 1, "{t}");
    assert_eq!(t["result"]["deleted_activities"], 0, "{t}");
    assert!(
        !feed_ids(&http, json!({}))
            .await
            .contains(&"user:alice".to_owned())
    );
    assert_eq!(http.get("/api/v2/feeds/activities/a1").await.0, 200);
    let (_, b) = http
        .post("/api/v2/feeds/feed_groups/user/feeds/alice", json!({}))
        .await;
    assert_eq!(b["created"], false);
    assert!(b["feed"]["deleted_at"].is_i64(), "{b}");
    handle.shutdown().await;
}

#[tokio::test]
async fn delete_feed_refuses_bad_requests_before_any_task() {
    let (handle, http) = start(config()).await;
    fixture(&http).await;
    let (s, b) = delete(
        &http,
        "/api/v2/feeds/feed_groups/user/feeds/alice?purge_user_activities=true",
    )
    .await;
    assert_eq!((s, &b["code"]), (400, &json!(4)), "{b}");
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("purge_user_activities")
    );
    let (s, b) = delete(&http, "/api/v2/feeds/feed_groups/user/feeds/nobody").await;
    assert_eq!((s, &b["code"]), (404, &json!(16)), "{b}");
    let (s, b) = delete(
        &http,
        "/api/v2/feeds/feed_groups/user/feeds/alice?hard_delete=maybe",
    )
    .await;
    assert_eq!(s, 400, "{b}");

    let (s, b) = http
        .post(
            "/api/v2/feeds/feeds/delete",
            json!({"feeds": ["user:alice", "user:nobody", "x:gone"], "hard_delete": true}),
        )
        .await;
    assert_eq!((s, &b["code"]), (400, &json!(4)), "{b}");
    let message = b["message"].as_str().unwrap();
    assert!(
        message.contains("user:nobody") && message.contains("x:gone"),
        "{b}"
    );
    assert!(!message.contains("user:alice"), "{b}");
    // Nothing was deleted.
    assert_eq!(feed_ids(&http, json!({})).await.len(), 4);
    for body in [
        json!({"feeds": []}),
        json!({"feeds": ["nocolon"]}),
        json!({"feeds": ["user:alice"], "purge_user_activities": true}),
        json!({"feeds": (0..101).map(|i| format!("user:u{i}")).collect::<Vec<_>>()}),
    ] {
        let (s, b) = http.post("/api/v2/feeds/feeds/delete", body).await;
        assert_eq!((s, &b["code"]), (400, &json!(4)), "{b}");
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn delete_feeds_batch_deletes_every_feed() {
    let (handle, http) = start(config()).await;
    fixture(&http).await;
    let (t, _) = http
        .run_task(
            "/api/v2/feeds/feeds/delete",
            json!({"feeds": ["user:alice", "user:bob"], "hard_delete": true}),
        )
        .await;
    assert_eq!(
        t["result"],
        json!({"feeds": ["user:alice", "user:bob"], "hard_delete": true, "deleted_feeds": 2,
               "deleted_activities": 3, "purged_activities": 0}),
        "{t}"
    );
    assert_eq!(
        feed_ids(&http, json!({})).await,
        ["timeline:alice", "timeline:bob"]
    );
    handle.shutdown().await;
}

async fn assert_alice_is_gone(http: &Http) {
    for id in ["a1", "a2", "a3", "b2"] {
        assert_eq!(
            http.get(&format!("/api/v2/feeds/activities/{id}")).await.0,
            404
        );
    }
    let (s, b) = http.get("/api/v2/feeds/activities/b1").await;
    assert_eq!(
        (s, &b["activity"]["comment_count"]),
        (200, &json!(0)),
        "{b}"
    );
    assert_eq!(
        feed_ids(http, json!({})).await,
        ["timeline:bob", "user:bob"]
    );
}

const ALICE_HARD: &str = "/api/v2/feeds/users/alice/delete";

fn alice_result() -> Value {
    json!({"user_id": "alice", "hard_delete": true, "deleted_feeds": 2,
           "deleted_activities": 4, "deleted_follows": 2, "deleted_comments": 2,
           "deleted_reactions": 2})
}

#[tokio::test]
async fn delete_user_data_removes_feeds_activities_follows_comments_reactions() {
    let (handle, http) = start(config()).await;
    fixture(&http).await;
    let (t, _) = http
        .run_task(ALICE_HARD, json!({"hard_delete": true}))
        .await;
    assert_eq!(t["result"], alice_result(), "{t}");
    assert_alice_is_gone(&http).await;
    // An unknown user still gets a task, with zero counts.
    let (t, _) = http
        .run_task("/api/v2/feeds/users/nobody/delete", json!({}))
        .await;
    assert_eq!(t["result"]["deleted_activities"], 0, "{t}");
    let (s, b) = http
        .post("/api/v2/feeds/users/bad%20id/delete", json!({}))
        .await;
    assert_eq!((s, &b["code"]), (400, &json!(4)), "{b}");
    handle.shutdown().await;
}

#[tokio::test]
async fn soft_delete_user_data_hides_feeds_and_activities() {
    let (handle, http) = start(config()).await;
    fixture(&http).await;
    let (t, _) = http
        .run_task(ALICE_HARD, json!({"hard_delete": false}))
        .await;
    assert_eq!(t["result"]["deleted_feeds"], 2, "{t}");
    assert_eq!(t["result"]["deleted_activities"], 3, "{t}");
    assert_eq!(t["result"]["deleted_comments"], 0, "{t}");
    assert_eq!(
        feed_ids(&http, json!({})).await,
        ["timeline:bob", "user:bob"]
    );
    let (_, b) = http
        .post(
            "/api/v2/feeds/activities/query",
            json!({"filter": {"user_id": "alice"}}),
        )
        .await;
    assert_eq!(b["activities"], json!([]), "{b}");
    let (s, b) = http.get("/api/v2/feeds/activities/a1").await;
    assert_eq!(s, 200);
    assert!(b["activity"]["deleted_at"].is_i64(), "{b}");
    handle.shutdown().await;
}

#[tokio::test]
async fn export_user_data_links_a_file_with_the_users_feed_data() {
    let (handle, http) = start(config()).await;
    http.upsert_users(&["alice"]).await;
    fixture(&http).await;
    let (t, _) = http
        .run_task("/api/v2/feeds/users/alice/export", json!({}))
        .await;
    assert_eq!(t["status"], "completed", "{t}");
    let r = &t["result"];
    assert_eq!(
        (
            &r["user_id"],
            &r["feeds"],
            &r["activities"],
            &r["follows"],
            &r["comments"],
            &r["reactions"]
        ),
        (
            &json!("alice"),
            &json!(2),
            &json!(3),
            &json!(2),
            &json!(1),
            &json!(1)
        ),
        "{t}"
    );
    let url = r["url"].as_str().unwrap();
    assert!(url.contains("signature="), "{url}");
    let (s, file) = http.download(url).await;
    assert_eq!(s, 200);
    assert_eq!(file["user"]["id"], "alice");
    assert_eq!(file["user"]["name"], "User alice", "{file}");
    assert_eq!(file["feeds"].as_array().unwrap().len(), 2);
    assert_eq!(file["activities"].as_array().unwrap().len(), 3);
    assert_eq!(file["comments"][0]["object_id"], "b1");
    assert_eq!(file["reactions"][0]["activity_id"], "b1");
    // A tampered link is refused.
    let (s, _) = http
        .download(&url.replace("signature=", "signature=0"))
        .await;
    assert_eq!(s, 403);
    handle.shutdown().await;
}

#[tokio::test]
async fn feed_tasks_send_feed_and_activity_deleted_events_without_task_id() {
    let (url, mut rx) = receiver().await;
    let (handle, http) = start(config().webhook_url(url)).await;
    fixture(&http).await;
    run_delete(
        &http,
        "/api/v2/feeds/feed_groups/user/feeds/alice?hard_delete=true",
    )
    .await;
    let mut feed = None;
    let mut activity = None;
    while feed.is_none() || activity.is_none() {
        let d = next(&mut rx).await;
        assert!(d.verified);
        match d.event["type"].as_str() {
            Some("feed.deleted") => feed = Some(d.event),
            Some("activity.deleted") => activity = Some(d.event),
            _ => {}
        }
    }
    let (feed, activity) = (feed.unwrap(), activity.unwrap());
    assert_eq!(feed["fid"], "user:alice");
    assert!(feed.get("task_id").is_none(), "{feed}");
    assert!(
        feed["created_at"].is_i64() && feed["custom"].is_object(),
        "{feed}"
    );
    assert_eq!(activity["activity"]["id"], "a1");
    assert_eq!(activity["fid"], "user:alice");
    assert!(activity.get("task_id").is_none(), "{activity}");
    handle.shutdown().await;
}

#[tokio::test]
async fn feeds_and_a_delete_task_survive_a_restart_mid_way_and_after() {
    let dir = tempfile::tempdir().unwrap();
    let slow = Pace {
        pending: Duration::ZERO,
        min_task_duration: Duration::from_secs(3600),
        per_item_cost: Duration::ZERO,
    };
    let cfg = |pace: Pace| -> EmulatorConfig { config().data_dir(dir.path()).pace(pace) };

    let (handle, http) = start(cfg(slow)).await;
    fixture(&http).await;
    let (s, b) = http.post(ALICE_HARD, json!({"hard_delete": true})).await;
    assert_eq!(s, 201, "{b}");
    let task_id = b["task_id"].as_str().unwrap().to_owned();
    assert_ne!(http.task(&task_id).await["status"], "completed");
    handle.shutdown().await;

    // Mid-way: the data and the unfinished task were stored; the job resumes.
    let (handle, http) = start(cfg(Pace::instant())).await;
    let (t, _) = http.wait(&task_id).await;
    assert_eq!(t["result"], alice_result(), "{t}");
    assert_alice_is_gone(&http).await;
    handle.shutdown().await;

    // After: the deletion and the finished task stay.
    let (handle, http) = start(cfg(Pace::instant())).await;
    assert_eq!(http.task(&task_id).await["result"], alice_result());
    assert_alice_is_gone(&http).await;
    let (s, b) = http.get("/api/v2/feeds/activities/b1").await;
    assert_eq!(
        (s, &b["activity"]["reaction_count"]),
        (200, &json!(0)),
        "{b}"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn reset_forgets_feeds_in_memory_and_in_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = || config().admin(true).data_dir(dir.path());
    let (handle, http) = start(cfg()).await;
    fixture(&http).await;
    let (s, b) = http.post("/_emulator/reset", json!({})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(feed_ids(&http, json!({})).await, Vec::<String>::new());
    assert_eq!(http.get("/api/v2/feeds/activities/a1").await.0, 404);
    // New data after the reset is kept, the old is not back.
    let (s, b) = http
        .post("/api/v2/feeds/feed_groups", json!({"id": "fresh"}))
        .await;
    assert_eq!(s, 201, "{b}");
    http.post(
        "/api/v2/feeds/feed_groups/fresh/feeds/one",
        json!({"user_id": "carol"}),
    )
    .await;
    handle.shutdown().await;
    let (handle, http) = start(cfg()).await;
    assert_eq!(feed_ids(&http, json!({})).await, ["fresh:one"]);
    assert_eq!(http.get("/api/v2/feeds/activities/a1").await.0, 404);
    handle.shutdown().await;
}
