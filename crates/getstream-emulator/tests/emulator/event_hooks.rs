//! Stream's `event_hooks` app setting: `PATCH`/`GET /api/v2/app` round-trip, bad input,
//! delivery to each enabled webhook hook with its own filter, and a data-dir restart.

use serde_json::{Value, json};

use crate::support::*;
use crate::webhooks::{next, receiver};

async fn patch(http: &Http, body: Value) -> (u16, Value) {
    http.send(reqwest::Method::PATCH, "/api/v2/app", Some(body))
        .await
        .map(|(s, _, b)| (s, b))
        .unwrap()
}

#[tokio::test]
async fn event_hooks_round_trip_without_secrets() {
    let (_handle, http) = start(config()).await;
    let (s, b) = patch(
        &http,
        json!({"event_hooks": [
            {"hook_type": "webhook", "enabled": true, "webhook_url": "http://127.0.0.1:9/h",
             "event_types": ["user.deleted"], "timeout_ms": 1500},
            {"hook_type": "sqs", "enabled": false, "sqs_queue_url": "https://sqs.example/q",
             "sqs_key": "AKIA", "sqs_secret": "very-secret", "sqs_region": "us-east-1"},
        ]}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (_, b) = http.get("/api/v2/app").await;
    let hooks = b["app"]["event_hooks"].as_array().unwrap();
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0]["hook_type"], "webhook");
    assert_eq!(hooks[0]["webhook_url"], "http://127.0.0.1:9/h");
    assert_eq!(hooks[0]["event_types"], json!(["user.deleted"]));
    assert_eq!(hooks[0]["timeout_ms"], 1500);
    assert_eq!(hooks[0]["enabled"], true);
    assert!(!hooks[0]["id"].as_str().unwrap().is_empty());
    assert_eq!(hooks[1]["sqs_queue_url"], "https://sqs.example/q");
    assert_eq!(hooks[1]["enabled"], false);
    assert!(!b.to_string().contains("very-secret"));
    // Other settings leave the hooks alone; an empty list clears them.
    patch(&http, json!({"webhook_events": []})).await;
    let (_, b) = http.get("/api/v2/app").await;
    assert_eq!(b["app"]["event_hooks"].as_array().unwrap().len(), 2);
    patch(&http, json!({"event_hooks": []})).await;
    let (_, b) = http.get("/api/v2/app").await;
    assert_eq!(b["app"]["event_hooks"], json!([]));
}

#[tokio::test]
async fn bad_event_hooks_are_400s_and_change_nothing() {
    let (_handle, http) = start(config()).await;
    let ok = json!({"hook_type": "webhook", "webhook_url": "http://127.0.0.1:9/h"});
    let many_types: Vec<String> = (0..101).map(|i| format!("t{i}")).collect();
    for (body, field) in [
        (json!({"event_hooks": "all"}), "event_hooks"),
        (json!({"event_hooks": vec![ok.clone(); 11]}), "event_hooks"),
        (json!({"event_hooks": [7]}), "event_hooks"),
        (
            json!({"event_hooks": [{"hook_type": "kafka"}]}),
            "event_hooks[0].hook_type",
        ),
        (
            json!({"event_hooks": [{"hook_type": "webhook"}]}),
            "event_hooks[0].webhook_url",
        ),
        (
            json!({"event_hooks": [ok, {"webhook_url": "ftp://x"}]}),
            "event_hooks[1].webhook_url",
        ),
        (
            json!({"event_hooks": [{"webhook_url": "http://h/", "event_types": many_types}]}),
            "event_hooks[0].event_types",
        ),
        (
            json!({"event_hooks": [{"webhook_url": "http://h/", "timeout_ms": 600000}]}),
            "event_hooks[0].timeout_ms",
        ),
        (
            json!({"event_hooks": [{"webhook_url": "http://h/", "enabled": "yes"}]}),
            "event_hooks[0].enabled",
        ),
    ] {
        let (s, b) = patch(&http, body.clone()).await;
        assert_eq!(s, 400, "{body} -> {b}");
        assert_eq!(b["code"], 4, "{b}");
        assert!(b["exception_fields"].get(field).is_some(), "{body} -> {b}");
    }
    let (_, b) = http.get("/api/v2/app").await;
    assert_eq!(b["app"]["event_hooks"], json!([]));
}

#[tokio::test]
async fn each_enabled_webhook_hook_gets_the_events_it_selects() {
    let (only_deleted, mut rx_deleted) = receiver().await;
    let (all, mut rx_all) = receiver().await;
    let (disabled, mut rx_disabled) = receiver().await;
    let (handle, http) = start(config()).await;
    let (s, b) = patch(
        &http,
        json!({"event_hooks": [
            {"hook_type": "webhook", "webhook_url": only_deleted, "event_types": ["user.deleted"]},
            {"hook_type": "webhook", "enabled": true, "webhook_url": all, "event_types": []},
            {"hook_type": "webhook", "enabled": false, "webhook_url": disabled},
            {"hook_type": "sns", "sns_topic_arn": "arn:aws:sns:us-east-1:1:t"},
        ]}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    http.upsert_users(&["ann", "bob"]).await;
    http.post("/api/v2/users/deactivate", json!({"user_ids": ["ann"]}))
        .await;
    let (_, b) = http
        .post("/api/v2/users/delete", json!({"user_ids": ["bob"]}))
        .await;
    http.wait(b["task_id"].as_str().unwrap()).await;
    handle.state().webhooks_settled().await;

    let d = next(&mut rx_deleted).await;
    assert!(d.verified);
    assert_eq!(d.event["type"], "user.deleted");
    assert!(
        rx_deleted.try_recv().is_err(),
        "only user.deleted goes there"
    );
    let mut types = vec![
        next(&mut rx_all).await.event["type"].clone(),
        next(&mut rx_all).await.event["type"].clone(),
    ];
    types.sort_by_key(ToString::to_string);
    assert_eq!(types, [json!("user.deactivated"), json!("user.deleted")]);
    assert!(rx_all.try_recv().is_err());
    assert!(
        rx_disabled.try_recv().is_err(),
        "a disabled hook gets nothing"
    );
    // Each delivery is its own record.
    let urls: Vec<String> = handle
        .state()
        .webhook_deliveries()
        .iter()
        .map(|d| d.url.clone())
        .collect();
    assert_eq!(urls.iter().filter(|u| **u == only_deleted).count(), 1);
    assert_eq!(urls.iter().filter(|u| **u == all).count(), 2);
    assert!(!urls.contains(&disabled));
}

#[tokio::test]
async fn event_hooks_survive_a_data_dir_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (handle, http) = start(config().data_dir(dir.path())).await;
    let hooks = json!([
        {"id": "h1", "hook_type": "webhook", "enabled": true, "webhook_url": "http://127.0.0.1:9/h",
         "event_types": ["user.deleted"], "timeout_ms": 2000},
        {"id": "h2", "hook_type": "sns", "enabled": false, "webhook_url": "", "event_types": [],
         "sns_topic_arn": "arn:aws:sns:us-east-1:1:t", "should_send_custom_events": true},
    ]);
    let (s, b) = patch(&http, json!({"event_hooks": hooks})).await;
    assert_eq!(s, 200, "{b}");
    handle.shutdown().await;

    let (_handle, http) = start(config().data_dir(dir.path())).await;
    let (_, b) = http.get("/api/v2/app").await;
    assert_eq!(b["app"]["event_hooks"], hooks);
}
