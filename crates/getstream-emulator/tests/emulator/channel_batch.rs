//! The channel batch update task (`PUT /api/v2/chat/channels/batch`): each operation's
//! effect on the data, failures per channel, the events it sends, bad requests, and a
//! batch over 10,000 channels.

use std::time::Duration;

use getstream_emulator::SeedSpec;
use reqwest::Method;
use serde_json::{Value, json};

use crate::channels::query;
use crate::support::*;
use crate::webhooks::{next, receiver};

const BATCH: &str = "/api/v2/chat/channels/batch";

async fn put(http: &Http, body: Value) -> (u16, Value) {
    let (s, _, b) = http.send(Method::PUT, BATCH, Some(body)).await.unwrap();
    (s, b)
}

/// Runs a batch to its end; returns the completed task's result.
async fn batch(http: &Http, body: Value) -> Value {
    let (s, b) = put(http, body).await;
    assert_eq!(s, 201, "{b}");
    assert!(b["duration"].is_string(), "{b}");
    let (task, _) = http.wait(b["task_id"].as_str().unwrap()).await;
    assert_eq!(task["status"], "completed", "{task}");
    task["result"].clone()
}

/// The channel `cid` as `user` sees it in query channels (hidden ones included).
async fn channel(http: &Http, cid: &str, user: &str) -> Value {
    let found = query(
        http,
        json!({"filter_conditions": {"cid": cid, "hidden": {"$in": [true, false]}}, "user_id": user}),
    )
    .await;
    assert_eq!(found.len(), 1, "{cid}: {found:?}");
    found[0].clone()
}

fn role(state: &Value, user: &str) -> Value {
    state["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == user)
        .map_or(Value::Null, |m| m["channel_role"].clone())
}

async fn setup() -> (getstream_emulator::EmulatorHandle, Http) {
    let (handle, http) = start(config()).await;
    http.upsert_users(&["u1", "u2", "u3", "u4"]).await;
    for (kind, id) in [("messaging", "a"), ("messaging", "b"), ("team", "c")] {
        http.create_channel(kind, id, &["u1", "u2"]).await;
    }
    (handle, http)
}

fn ok(result: &Value, op: &str, n: u64) {
    assert_eq!(result["operation"], op, "{result}");
    assert_eq!(result["status"], "completed", "{result}");
    assert_eq!(result["success_channels_count"], n, "{result}");
    assert_eq!(result["failed_channels"], json!([]), "{result}");
}

#[tokio::test]
async fn each_member_operation_changes_the_matched_channels() {
    let (handle, http) = setup().await;
    let messaging = json!({"types": {"$eq": "messaging"}});
    let a = json!({"cids": {"$in": ["messaging:a"]}});
    let m = |id: &str, role: Option<&str>| match role {
        Some(r) => json!([{"user_id": id, "channel_role": r}]),
        None => json!([{"user_id": id}]),
    };
    let r = batch(&http, json!({"operation": "addMembers", "filter": messaging, "members": m("u3", Some("channel_moderator"))})).await;
    ok(&r, "addMembers", 2);
    assert_eq!(
        role(&channel(&http, "messaging:b", "u1").await, "u3"),
        "channel_moderator"
    );
    assert_eq!(
        role(&channel(&http, "team:c", "u1").await, "u3"),
        Value::Null
    );

    ok(&batch(&http, json!({"operation": "assignRoles", "filter": a, "members": m("u3", Some("channel_lead"))})).await, "assignRoles", 1);
    assert_eq!(
        role(&channel(&http, "messaging:a", "u1").await, "u3"),
        "channel_lead"
    );
    ok(&batch(&http, json!({"operation": "demoteModerators", "filter": {"cids": "messaging:b"}, "members": m("u3", None)})).await, "demoteModerators", 1);
    assert_eq!(
        role(&channel(&http, "messaging:b", "u1").await, "u3"),
        "channel_member"
    );
    ok(&batch(&http, json!({"operation": "addModerators", "filter": {"types": "team"}, "members": m("u2", None)})).await, "addModerators", 1);
    assert_eq!(
        role(&channel(&http, "team:c", "u1").await, "u2"),
        "channel_moderator"
    );

    ok(
        &batch(
            &http,
            json!({"operation": "inviteMembers", "filter": a, "members": m("u4", None)}),
        )
        .await,
        "inviteMembers",
        1,
    );
    ok(&batch(&http, json!({"operation": "invites", "filter": {"cids": "messaging:b"}, "members": m("u4", None)})).await, "invites", 1);
    for cid in ["messaging:a", "messaging:b"] {
        assert_eq!(
            channel(&http, cid, "u4").await["membership"]["invited"],
            true
        );
    }
    ok(
        &batch(
            &http,
            json!({"operation": "removeMembers", "filter": messaging, "members": m("u4", None)}),
        )
        .await,
        "removeMembers",
        2,
    );
    assert_eq!(
        role(&channel(&http, "messaging:a", "u1").await, "u4"),
        Value::Null
    );

    ok(
        &batch(
            &http,
            json!({"operation": "hide", "filter": a, "members": m("u1", None)}),
        )
        .await,
        "hide",
        1,
    );
    let as_u1 = json!({"filter_conditions": {"type": "messaging"}, "user_id": "u1"});
    assert_eq!(query(&http, as_u1.clone()).await.len(), 1);
    assert_eq!(channel(&http, "messaging:a", "u1").await["hidden"], true);
    ok(
        &batch(
            &http,
            json!({"operation": "show", "filter": a, "members": m("u1", None)}),
        )
        .await,
        "show",
        1,
    );
    assert_eq!(query(&http, as_u1).await.len(), 2);

    ok(
        &batch(
            &http,
            json!({"operation": "archive", "filter": messaging, "members": m("u2", None)}),
        )
        .await,
        "archive",
        2,
    );
    assert!(channel(&http, "messaging:b", "u2").await["membership"]["archived_at"].is_i64());
    ok(
        &batch(
            &http,
            json!({"operation": "unarchive", "filter": messaging, "members": m("u2", None)}),
        )
        .await,
        "unarchive",
        2,
    );
    assert!(
        channel(&http, "messaging:b", "u2").await["membership"]
            .get("archived_at")
            .is_none()
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn update_data_sets_replaces_and_unsets_channel_data() {
    let (handle, http) = setup().await;
    let r = batch(
        &http,
        json!({"operation": "updateData", "filter": {"types": {"$in": ["messaging", "team"]}},
               "data": {"frozen": true, "team": "blue", "custom": {"k": 1, "j": 2}, "auto_translation_enabled": true}}),
    )
    .await;
    ok(&r, "updateData", 3);
    let c = channel(&http, "team:c", "u1").await["channel"].clone();
    assert_eq!(
        (&c["frozen"], &c["team"], &c["custom"]),
        (&json!(true), &json!("blue"), &json!({"k": 1, "j": 2}))
    );
    assert_eq!(c["auto_translation_enabled"], true);
    let r = batch(
        &http,
        json!({"operation": "updateData", "filter": {"cids": "team:c"}, "custom_set": {"x": "y"}, "custom_unset": ["k"]}),
    )
    .await;
    ok(&r, "updateData", 1);
    let c = channel(&http, "team:c", "u1").await["channel"].clone();
    assert_eq!(c["custom"], json!({"j": 2, "x": "y"}));
    assert_eq!(c["frozen"], true);
    handle.shutdown().await;
}

#[tokio::test]
async fn failing_channels_are_grouped_by_reason_and_the_task_still_completes() {
    let (handle, http) = setup().await;
    let r = batch(&http, json!({"operation": "addMembers", "filter": {"types": "messaging"}, "members": [{"user_id": "u9"}]})).await;
    assert_eq!(r["status"], "completed");
    assert_eq!(r["success_channels_count"], 0);
    assert_eq!(
        r["failed_channels"],
        json!([{"reason": "user u9 does not exist", "cids": ["messaging:a", "messaging:b"]}])
    );
    // u3 is a member of messaging:a only: hiding fails on the others.
    batch(&http, json!({"operation": "addMembers", "filter": {"cids": "messaging:a"}, "members": [{"user_id": "u3"}]})).await;
    let r = batch(&http, json!({"operation": "hide", "filter": {"cids": {"$in": ["messaging:a", "messaging:b", "team:c"]}}, "members": [{"user_id": "u3"}]})).await;
    assert_eq!(r["success_channels_count"], 1, "{r}");
    assert_eq!(
        r["failed_channels"],
        json!([{"reason": "user u3 is not a member of the channel", "cids": ["messaging:b", "team:c"]}])
    );
    // A deleted channel is not matched.
    let (s, _, b) = http
        .send(Method::DELETE, "/api/v2/chat/channels/messaging/b", None)
        .await
        .unwrap();
    assert_eq!(s, 200, "{b}");
    let r = batch(&http, json!({"operation": "updateData", "filter": {"types": "messaging"}, "data": {"disabled": true}})).await;
    ok(&r, "updateData", 1);
    // Nothing matched: completed, zero channels.
    let r = batch(&http, json!({"operation": "updateData", "filter": {"cids": "messaging:nope", "types": "team"}, "data": {"frozen": true}})).await;
    ok(&r, "updateData", 0);
    handle.shutdown().await;
}

#[tokio::test]
async fn bad_requests_are_refused_before_any_task() {
    let (handle, http) = setup().await;
    let f = json!({"types": "messaging"});
    let m = json!([{"user_id": "u1"}]);
    let too_many: Vec<Value> = (0..101)
        .map(|i| json!({"user_id": format!("u{i}")}))
        .collect();
    for (body, field) in [
        (
            json!({"operation": "frobnicate", "filter": f, "members": m}),
            "is not supported",
        ),
        (json!({"filter": f, "members": m}), "operation"),
        (json!({"operation": "addMembers", "members": m}), "filter"),
        (
            json!({"operation": "addMembers", "filter": {}, "members": m}),
            "filter",
        ),
        (
            json!({"operation": "addMembers", "filter": {"owner": "x"}, "members": m}),
            "filter.owner",
        ),
        (
            json!({"operation": "addMembers", "filter": {"cids": 5}, "members": m}),
            "filter.cids",
        ),
        (
            json!({"operation": "addMembers", "filter": {"cids": {"$gt": "a:b"}}, "members": m}),
            "filter.cids",
        ),
        (
            json!({"operation": "addMembers", "filter": {"cids": {"$in": ["nocolon"]}}, "members": m}),
            "filter.cids",
        ),
        (
            json!({"operation": "addMembers", "filter": {"types": {"$in": []}}, "members": m}),
            "filter.types",
        ),
        (json!({"operation": "addMembers", "filter": f}), "members"),
        (
            json!({"operation": "hide", "filter": f, "members": []}),
            "members",
        ),
        (
            json!({"operation": "addMembers", "filter": f, "members": too_many}),
            "members",
        ),
        (
            json!({"operation": "addMembers", "filter": f, "members": [{"channel_role": "x"}]}),
            "members[0].user_id",
        ),
        (
            json!({"operation": "assignRoles", "filter": f, "members": m}),
            "members[0].channel_role",
        ),
        (
            json!({"operation": "addMembers", "filter": f, "members": m, "data": {"frozen": true}}),
            "data",
        ),
        (json!({"operation": "updateData", "filter": f}), "data"),
        (
            json!({"operation": "updateData", "filter": f, "data": {"owner": "x"}}),
            "data.owner",
        ),
        (
            json!({"operation": "updateData", "filter": f, "data": {"frozen": "yes"}}),
            "data.frozen",
        ),
        (
            json!({"operation": "updateData", "filter": f, "data": {"custom": {}}, "custom_set": {"a": 1}}),
            "data.custom",
        ),
        (
            json!({"operation": "updateData", "filter": f, "custom_unset": "a"}),
            "custom_unset",
        ),
        (
            json!({"operation": "addMembers", "filter": f, "members": m, "hide_history_before": "2025-01-01T00:00:00Z"}),
            "hide_history_before",
        ),
    ] {
        let (s, b) = put(&http, body.clone()).await;
        assert_eq!((s, &b["code"]), (400, &json!(4)), "{body}: {b}");
        let msg = b["message"].as_str().unwrap();
        assert!(msg.contains(field), "{body}: {msg}");
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn a_batch_sends_started_then_per_channel_events_then_completed() {
    let (url, mut rx) = receiver().await;
    let (handle, http) = start(config().webhook_url(url)).await;
    http.upsert_users(&["u1", "u2", "u3"]).await;
    http.create_channel("messaging", "a", &["u1", "u2"]).await;
    http.create_channel("messaging", "b", &["u1", "u2"]).await;
    let (s, b) = put(&http, json!({"operation": "addMembers", "filter": {"types": "messaging"}, "members": [{"user_id": "u3"}, {"user_id": "u9"}]})).await;
    assert_eq!(s, 201, "{b}");
    let task_id = b["task_id"].as_str().unwrap().to_owned();
    let started = next(&mut rx).await;
    assert!(started.verified);
    let e = &started.event;
    assert_eq!(
        (&e["type"], &e["status"], &e["task_id"]),
        (
            &json!("channel_batch_update.started"),
            &json!("started"),
            &json!(task_id)
        )
    );
    assert_eq!(
        (&e["operation"], &e["success_channels_count"]),
        (&json!("addMembers"), &json!(0))
    );
    assert!(
        e["batch_created_at"].is_i64() && e["finished_at"].is_i64() && e["custom"] == json!({}),
        "{e}"
    );
    let completed = next(&mut rx).await;
    // Read at once: the completed event comes after the task reads completed.
    assert_eq!(http.task(&task_id).await["status"], "completed");
    let e = &completed.event;
    assert_eq!(e["type"], "channel_batch_update.completed", "{e}");
    assert_eq!(
        (&e["status"], &e["success_channels_count"]),
        (&json!("completed"), &json!(0))
    );
    assert_eq!(e["failed_channels"][0]["reason"], "user u9 does not exist");
    assert!(
        e["finished_at"].as_i64() >= e["batch_created_at"].as_i64(),
        "{e}"
    );

    batch(&http, json!({"operation": "addMembers", "filter": {"types": "messaging"}, "members": [{"user_id": "u3"}]})).await;
    let mut seen = Vec::new();
    while seen.last().map(String::as_str) != Some("channel_batch_update.completed") {
        let d = next(&mut rx).await;
        if d.event["type"] == "member.added" {
            assert_eq!(d.event["member"]["user_id"], "u3", "{}", d.event);
            assert_eq!(d.event["user"]["id"], "u3");
            assert_eq!(d.event["channel_member_count"], 3);
            seen.push(format!("member.added {}", d.event["cid"].as_str().unwrap()));
        } else {
            seen.push(d.event["type"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(
        seen,
        [
            "channel_batch_update.started",
            "member.added messaging:a",
            "member.added messaging:b",
            "channel_batch_update.completed"
        ]
    );

    batch(&http, json!({"operation": "updateData", "filter": {"cids": "messaging:a"}, "data": {"frozen": true}})).await;
    let mut types = Vec::new();
    while types.last().map(String::as_str) != Some("channel_batch_update.completed") {
        types.push(
            next(&mut rx).await.event["type"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(
        types,
        [
            "channel_batch_update.started",
            "channel.updated",
            "channel.frozen",
            "channel_batch_update.completed"
        ]
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_over_ten_thousand_channels_completes_while_polls_are_answered() {
    let seed = SeedSpec {
        users: 10,
        channels: 10_000,
        messages: 0,
    };
    let (handle, http) = start(config().seed(seed)).await;
    let (s, b) = put(&http, json!({"operation": "updateData", "filter": {"types": "messaging"}, "data": {"frozen": true}})).await;
    assert_eq!(s, 201, "{b}");
    let id = b["task_id"].as_str().unwrap().to_owned();
    let mut polls_while_running = 0;
    let task = loop {
        let t = http.task(&id).await;
        if t["status"] == "completed" || t["status"] == "failed" {
            break t;
        }
        if t["status"] == "running" {
            polls_while_running += 1;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    assert_eq!(task["result"]["success_channels_count"], 10_000, "{task}");
    assert!(
        polls_while_running >= 1,
        "no poll was answered while the batch ran"
    );
    let left = query(&http, json!({"filter_conditions": {"frozen": false}})).await;
    assert!(left.is_empty(), "{left:?}");
    handle.shutdown().await;
}
