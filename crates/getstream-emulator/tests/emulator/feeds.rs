//! Feeds data routes over HTTP: feed groups, get-or-create feeds, activities, queries,
//! follows, comments, reactions, and bad input answered as Stream's error envelope.

use axum::http::Method;
use getstream_emulator::app;
use serde_json::{Value, json};

use crate::support::*;

/// Two users' feeds, activities, follows, comments and reactions:
/// - feeds `user:alice`, `timeline:alice` (owner alice), `user:bob`, `timeline:bob` (bob);
/// - activities `a1` (alice, in `user:alice`), `a2` (alice, in `user:alice` and
///   `timeline:bob`), `a3` (alice, in `user:bob`), `b1` (bob, in `user:bob`), `b2` (bob, in
///   `timeline:alice`);
/// - follows `timeline:alice → user:bob`, `timeline:bob → user:alice`;
/// - comments: bob on `a1`, alice on `b1`; reactions: bob on `a1`, alice on `b1`.
pub async fn fixture(http: &Http) {
    for group in ["user", "timeline"] {
        let (s, b) = http
            .post("/api/v2/feeds/feed_groups", json!({"id": group}))
            .await;
        assert_eq!(s, 201, "{b}");
        assert_eq!(b["feed_group"]["id"], group);
    }
    for (fid, owner) in [
        ("user:alice", "alice"),
        ("timeline:alice", "alice"),
        ("user:bob", "bob"),
        ("timeline:bob", "bob"),
    ] {
        let (g, id) = fid.split_once(':').unwrap();
        let (s, b) = http
            .post(
                &format!("/api/v2/feeds/feed_groups/{g}/feeds/{id}"),
                json!({"user_id": owner, "data": {"name": fid}}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        assert_eq!(b["created"], true, "{b}");
        assert_eq!(b["feed"]["feed"], fid);
        assert_eq!(b["feed"]["created_by"]["id"], owner);
    }
    for (id, user, feeds) in [
        ("a1", "alice", vec!["user:alice"]),
        ("a2", "alice", vec!["user:alice", "timeline:bob"]),
        ("a3", "alice", vec!["user:bob"]),
        ("b1", "bob", vec!["user:bob"]),
        ("b2", "bob", vec!["timeline:alice"]),
    ] {
        let (s, b) = http
            .post(
                "/api/v2/feeds/activities",
                json!({"id": id, "type": "post", "feeds": feeds, "user_id": user, "text": format!("{id} text")}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        assert_eq!(b["activity"]["id"], id);
        assert_eq!(b["activity"]["user"]["id"], user);
    }
    for (source, target) in [
        ("timeline:alice", "user:bob"),
        ("timeline:bob", "user:alice"),
    ] {
        let (s, b) = http
            .post(
                "/api/v2/feeds/follows",
                json!({"source": source, "target": target}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        assert_eq!(b["follow"]["source_feed"]["feed"], source);
    }
    for (activity, user) in [("a1", "bob"), ("b1", "alice")] {
        let (s, b) = http
            .post(
                "/api/v2/feeds/comments",
                json!({"object_id": activity, "object_type": "activity", "comment": "nice", "user_id": user}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        assert_eq!(b["comment"]["object_id"], activity);
        let (s, b) = http
            .post(
                &format!("/api/v2/feeds/activities/{activity}/reactions"),
                json!({"type": "like", "user_id": user}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        assert_eq!(b["reaction"]["user"]["id"], user);
        assert_eq!(b["activity"]["reaction_count"], 1);
    }
}

/// The fids `POST /api/v2/feeds/feeds/query` lists for `filter`.
pub async fn feed_ids(http: &Http, filter: Value) -> Vec<String> {
    let (s, b) = http
        .post("/api/v2/feeds/feeds/query", json!({"filter": filter}))
        .await;
    assert_eq!(s, 200, "{b}");
    b["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["feed"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn feed_routes_keep_groups_feeds_activities_and_answer_them() {
    let (handle, http) = start(config()).await;
    fixture(&http).await;

    let (s, b) = http.get("/api/v2/feeds/activities/a2").await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["activity"]["feeds"],
        json!(["user:alice", "timeline:bob"])
    );
    assert_eq!(b["activity"]["text"], "a2 text");
    assert!(b["activity"]["created_at"].is_i64(), "{b}");
    let (s, b) = http.get("/api/v2/feeds/activities/a1").await;
    assert_eq!((s, &b["activity"]["comment_count"]), (200, &json!(1)));

    // Get-or-create answers an existing feed with its newest activities first.
    let (s, b) = http
        .post(
            "/api/v2/feeds/feed_groups/user/feeds/alice",
            json!({"user_id": "someone-else"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["created"], false);
    assert_eq!(b["feed"]["created_by"]["id"], "alice");
    assert_eq!(b["feed"]["activity_count"], 2);
    assert_eq!(b["feed"]["follower_count"], 1);
    let ids: Vec<&str> = b["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a2", "a1"]);

    assert_eq!(
        feed_ids(&http, json!({"created_by_id": {"$eq": "alice"}})).await,
        ["timeline:alice", "user:alice"]
    );
    assert_eq!(
        feed_ids(
            &http,
            json!({"group_id": "user", "feed": {"$in": ["user:bob", "user:zed"]}})
        )
        .await,
        ["user:bob"]
    );
    // Pages follow `next`.
    let (_, first) = http
        .post("/api/v2/feeds/feeds/query", json!({"limit": 3}))
        .await;
    assert_eq!(first["feeds"].as_array().unwrap().len(), 3);
    let (_, rest) = http
        .post(
            "/api/v2/feeds/feeds/query",
            json!({"limit": 3, "next": first["next"]}),
        )
        .await;
    assert_eq!(rest["feeds"].as_array().unwrap().len(), 1);
    assert!(rest.get("next").is_none(), "{rest}");

    let (s, b) = http
        .post(
            "/api/v2/feeds/activities/query",
            json!({"filter": {"feeds": {"$in": ["user:bob"]}}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let ids: Vec<&str> = b["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["b1", "a3"]);
    let (_, b) = http
        .post(
            "/api/v2/feeds/activities/query",
            json!({"filter": {"user_id": "bob"}}),
        )
        .await;
    assert_eq!(b["activities"].as_array().unwrap().len(), 2);
    handle.shutdown().await;
}

#[tokio::test]
async fn bad_feeds_input_is_stream_error_envelope() {
    let router = app(getstream_emulator::EmulatorState::new(config()));
    let post = |path: &'static str, body: Value| {
        let router = router.clone();
        async move { api(&router, Method::POST, path, Some(body)).await }
    };
    post("/api/v2/feeds/feed_groups", json!({}))
        .await
        .assert_error(400, 4);
    post("/api/v2/feeds/feed_groups", json!({"id": "has:colon"}))
        .await
        .assert_error(400, 4);
    // Unknown group.
    post(
        "/api/v2/feeds/feed_groups/nope/feeds/x",
        json!({"user_id": "u"}),
    )
    .await
    .assert_error(404, 16);
    post("/api/v2/feeds/feed_groups", json!({"id": "user"})).await;
    // A new feed needs its owner.
    let r = post("/api/v2/feeds/feed_groups/user/feeds/x", json!({})).await;
    r.assert_error(400, 4);
    assert!(
        r.body["message"].as_str().unwrap().contains("user_id"),
        "{:?}",
        r.body
    );
    let r = post(
        "/api/v2/feeds/activities",
        json!({"feeds": ["user:x"], "user_id": "u"}),
    )
    .await;
    r.assert_error(400, 4);
    assert!(r.body["message"].as_str().unwrap().contains("type"));
    post(
        "/api/v2/feeds/activities",
        json!({"type": "post", "feeds": ["nocolon"], "user_id": "u"}),
    )
    .await
    .assert_error(400, 4);
    let r = post(
        "/api/v2/feeds/activities",
        json!({"type": "post", "feeds": ["user:ghost"], "user_id": "u"}),
    )
    .await;
    r.assert_error(400, 4);
    assert!(r.body["message"].as_str().unwrap().contains("user:ghost"));
    post(
        "/api/v2/feeds/activities",
        json!({"type": "post", "feeds": ["user:x"], "user_id": "u", "text": "x".repeat(10_001)}),
    )
    .await
    .assert_error(400, 4);
    post(
        "/api/v2/feeds/feeds/query",
        json!({"filter": {"color": "red"}}),
    )
    .await
    .assert_error(400, 4);
    post("/api/v2/feeds/feeds/query", json!({"limit": 1000}))
        .await
        .assert_error(400, 4);
    post(
        "/api/v2/feeds/comments",
        json!({"object_id": "nope", "object_type": "activity", "comment": "c", "user_id": "u"}),
    )
    .await
    .assert_error(404, 16);
    post(
        "/api/v2/feeds/activities/nope/reactions",
        json!({"type": "like", "user_id": "u"}),
    )
    .await
    .assert_error(404, 16);
    post(
        "/api/v2/feeds/follows",
        json!({"source": "user:a", "target": "user:b"}),
    )
    .await
    .assert_error(400, 4);
    api(&router, Method::GET, "/api/v2/feeds/activities/nope", None)
        .await
        .assert_error(404, 16);
    // Not JSON at all.
    let r = call(
        &router,
        Method::POST,
        &format!("/api/v2/feeds/activities?api_key={KEY}"),
        Some(&token(SECRET)),
        Some(axum::body::Body::from("{not json")),
    )
    .await;
    r.assert_error(400, 4);
    // No auth.
    let r = call(
        &router,
        Method::POST,
        "/api/v2/feeds/feeds/query",
        None,
        None,
    )
    .await;
    assert_eq!(r.status.as_u16(), 401, "{:?}", r.body);
}
