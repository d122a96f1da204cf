//! Channel batch update, the block-list calls and their import, and the
//! membership deletion task of upsert / partial update of users, against
//! scripted servers that answer per the wire contract and record what they got:
//! the bodies sent, the typed results, a failed task, and the argument checks
//! (which send nothing).

use std::future::IntoFuture;
use std::time::UNIX_EPOCH;

use getstream_tasks::webhook;
use getstream_tasks::{
    ChannelBatchFilter, ChannelBatchMember, ChannelBatchOperation as Op, ChannelBatchUpdateRequest,
    ChannelDataUpdate, CreateBlockListRequest, Error, ImportBlockListRequest, PollPolicy,
    TaskEvents, UpdateBlockListRequest, UserPartialUpdate, UserRequest,
};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::support::{Reply, Server, builder, ms, secs};

const BATCH: &str = "/api/v2/chat/channels/batch";

fn started(task_id: &str) -> Reply {
    Reply::json(201, json!({"duration": "1.23ms", "task_id": task_id}))
}

fn completed(task_id: &str, result: Value) -> Reply {
    Reply::task(task_id, "completed").with(json!({ "result": result }))
}

fn batch_result() -> Value {
    json!({"operation": "addMembers", "status": "completed", "success_channels_count": 3,
           "failed_channels": [{"reason": "user u9 does not exist", "cids": ["messaging:a"]}]})
}

#[tokio::test]
async fn batch_update_sends_the_contract_and_waits_for_its_typed_result() {
    let server = Server::start().await;
    server.script(BATCH, [started("b1")]);
    server.task(
        "b1",
        [
            Reply::task("b1", "running"),
            completed("b1", batch_result()),
        ],
    );
    let request = ChannelBatchUpdateRequest::new(
        Op::AddMembers,
        ChannelBatchFilter::cids(["messaging:a", "messaging:b"]),
    )
    .members([
        ChannelBatchMember::new("u1"),
        ChannelBatchMember::new("u9").channel_role("channel_moderator"),
    ]);
    let answer = server
        .client()
        .chat()
        .channel_batch_update(request)
        .await
        .unwrap();
    assert_eq!(answer.task_id.as_deref(), Some("b1"));
    assert_eq!(answer.duration, "1.23ms");
    let result = answer
        .task()
        .unwrap()
        .wait()
        .interval(ms(10))
        .await
        .unwrap();
    assert_eq!(result.operation, "addMembers");
    assert_eq!(result.status, "completed");
    assert_eq!(result.success_channels_count, 3);
    assert_eq!(result.failed_channels[0].reason, "user u9 does not exist");
    assert_eq!(result.failed_cids().collect::<Vec<_>>(), ["messaging:a"]);

    let sent = &server.requests()[0];
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("PUT", BATCH));
    assert_eq!(
        sent.body,
        json!({
            "operation": "addMembers",
            "filter": {"cids": {"$in": ["messaging:a", "messaging:b"]}},
            "members": [{"user_id": "u1"}, {"user_id": "u9", "channel_role": "channel_moderator"}],
        })
    );
}

#[tokio::test]
async fn batch_update_without_a_task_id_has_no_handle() {
    let server = Server::start().await;
    server.script(BATCH, [Reply::json(201, json!({"duration": "0.5ms"}))]);
    let mut set = Map::new();
    set.insert("color".into(), json!("red"));
    let mut data = ChannelDataUpdate::new();
    data.frozen = Some(true);
    let request =
        ChannelBatchUpdateRequest::new(Op::UpdateData, ChannelBatchFilter::types(["team"]))
            .data(data)
            .custom_set(set);
    let answer = server
        .client()
        .chat()
        .channel_batch_update(request)
        .await
        .unwrap();
    assert!(answer.task().is_none());
    assert_eq!(
        serde_json::to_value(&answer).unwrap(),
        json!({"duration": "0.5ms"})
    );
    assert_eq!(
        server.requests()[0].body,
        json!({"operation": "updateData", "filter": {"types": {"$eq": "team"}},
               "data": {"frozen": true}, "custom_set": {"color": "red"}})
    );
}

#[tokio::test]
async fn a_failed_batch_is_a_task_error() {
    let server = Server::start().await;
    server.script(BATCH, [started("b2")]);
    server.task(
        "b2",
        [Reply::task("b2", "failed")
            .with(json!({"error": {"type": "internal", "description": "the batch broke"}}))],
    );
    let request =
        ChannelBatchUpdateRequest::new(Op::Hide, ChannelBatchFilter::cids(["m:a"])).members(["u1"]);
    let handle = server
        .client()
        .chat()
        .channel_batch_update(request)
        .await
        .unwrap()
        .task()
        .unwrap();
    let Error::Task(error) = handle.wait().interval(ms(10)).await.unwrap_err() else {
        panic!("not a task error");
    };
    assert_eq!(error.task_id(), "b2");
    assert_eq!(error.error_type(), "internal");
    assert_eq!(error.description(), "the batch broke");
}

#[tokio::test]
async fn batch_argument_checks_send_nothing() {
    let server = Server::start().await;
    let chat = server.client().chat();
    let cids = || ChannelBatchFilter::cids(["messaging:a"]);
    let too_many: Vec<String> = (0..=100).map(|i| format!("u{i}")).collect();
    let bad = [
        ChannelBatchUpdateRequest::new(Op::AddMembers, cids()),
        ChannelBatchUpdateRequest::new(Op::Archive, cids()).members(&too_many),
        ChannelBatchUpdateRequest::new(Op::AssignRoles, cids()).members(["u1"]),
        ChannelBatchUpdateRequest::new(Op::UpdateData, cids()),
        ChannelBatchUpdateRequest::new(Op::Show, cids())
            .members(["u1"])
            .custom_unset(["k"]),
        ChannelBatchUpdateRequest::new(Op::AddMembers, cids())
            .members(["u1"])
            .hide_history_before(UNIX_EPOCH),
        ChannelBatchUpdateRequest::new(Op::Hide, ChannelBatchFilter::cids(["no-colon"]))
            .members(["u1"]),
        ChannelBatchUpdateRequest::new(Op::Hide, ChannelBatchFilter::types(Vec::<String>::new()))
            .members(["u1"]),
    ];
    for (i, request) in bad.into_iter().enumerate() {
        let error = chat.channel_batch_update(request).await.unwrap_err();
        assert!(error.is_invalid_argument(), "case {i}: {error}");
    }
    assert!(server.requests().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_batch_completed_event_wakes_the_wait() {
    let server = Server::start().await;
    server.script(BATCH, [started("b7-batch")]);
    server.task(
        "b7-batch",
        [
            Reply::task("b7-batch", "running"),
            completed("b7-batch", batch_result()),
        ],
    );
    let events = TaskEvents::new();
    let client = builder(&server.url)
        .poll_policy(PollPolicy::long_running())
        .task_events(events.clone())
        .build()
        .unwrap();
    let request = ChannelBatchUpdateRequest::new(Op::Unarchive, ChannelBatchFilter::cids(["m:a"]))
        .members(["u1"]);
    let handle = client
        .chat()
        .channel_batch_update(request)
        .await
        .unwrap()
        .task()
        .unwrap();
    let start = Instant::now();
    let wait = tokio::spawn(handle.wait().into_future());
    tokio::time::sleep(secs(2)).await;
    // The fixture of Stream's webhook for this event.
    let body = include_bytes!("../data/webhook/channel_batch_update_completed.json");
    let event = webhook::parse(body).unwrap();
    assert_eq!(events.publish(&event), 1);
    let result = wait.await.unwrap().unwrap();
    assert_eq!(result.success_channels_count, 3);
    let polls: Vec<_> = server
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/api/v2/tasks/"))
        .map(|r| r.at - start)
        .collect();
    // Without the event, the second poll would come 30 s later.
    assert_eq!(polls, [secs(0), secs(2)]);
}

fn blocklist(name: &str, words: &[&str]) -> Value {
    json!({"name": name, "type": "word", "words": words, "team": "red",
           "created_at": "2025-03-04T05:06:07Z", "updated_at": "2025-03-04T05:06:07Z",
           "is_leet_check_enabled": false, "id": "bl-1"})
}

#[tokio::test]
async fn block_list_calls_answer_typed_lists() {
    let server = Server::start().await;
    server.script(
        "/api/v2/blocklists",
        [Reply::json(201, json!({"duration": "1ms"}))],
    );
    server.script(
        "/api/v2/blocklists/profanity",
        [Reply::json(
            200,
            json!({"duration": "1ms", "blocklist": blocklist("profanity", &["darn"])}),
        )],
    );
    let client = server.client();
    let created = client
        .create_block_list(CreateBlockListRequest::new("profanity", ["darn"]).team("red"))
        .await
        .unwrap();
    assert!(created.blocklist.is_none());
    let list = client
        .get_block_list("profanity")
        .await
        .unwrap()
        .blocklist
        .unwrap();
    assert_eq!(
        (list.name.as_str(), list.kind.as_str()),
        ("profanity", "word")
    );
    assert_eq!(
        (list.words.clone(), list.team.as_deref()),
        (vec!["darn".to_owned()], Some("red"))
    );
    assert!(list.created_at.is_some());
    assert_eq!(list.extra["id"], "bl-1");
    let mut update = UpdateBlockListRequest::default();
    update.words = Some(vec!["darn".into(), "heck".into()]);
    client.update_block_list("profanity", update).await.unwrap();
    client.delete_block_list("profanity").await.unwrap();
    server.script(
        "/api/v2/blocklists",
        [Reply::json(
            200,
            json!({"duration": "1ms", "blocklists": [blocklist("a", &[]), blocklist("b", &["x"])]}),
        )],
    );
    let all = client.list_block_lists(Some("red")).await.unwrap();
    assert_eq!(all.blocklists.len(), 2);

    let sent: Vec<(String, String, Value)> = server
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path, r.body))
        .collect();
    assert_eq!(sent[0].0, "POST");
    assert_eq!(
        sent[0].2,
        json!({"name": "profanity", "words": ["darn"], "team": "red"})
    );
    assert_eq!(
        (sent[1].0.as_str(), sent[1].2.clone()),
        ("GET", Value::Null)
    );
    assert_eq!(
        (sent[2].0.as_str(), sent[2].2.clone()),
        ("PUT", json!({"words": ["darn", "heck"]}))
    );
    assert_eq!(sent[3].0, "DELETE");
    assert_eq!(sent[4].0, "GET");
    assert!(
        server.requests()[4]
            .query
            .as_deref()
            .unwrap()
            .contains("team=red")
    );
}

#[tokio::test]
async fn import_block_list_waits_for_its_counts_and_a_deleted_list_fails_it() {
    let server = Server::start().await;
    server.script(
        "/api/v2/blocklists/profanity/import",
        [started("i1"), started("i2")],
    );
    server.task(
        "i1",
        [completed(
            "i1",
            json!({"blocklist": "profanity", "added": 120, "skipped": 3, "total": 123}),
        )],
    );
    server.task(
        "i2",
        [Reply::task("i2", "failed").with(
            json!({"error": {"type": "not_found", "description": "block list profanity was deleted"}}),
        )],
    );
    let client = server.client();
    let request = ImportBlockListRequest::new("profanity", ["darn", " heck "]).chunk_size(50);
    let started = client.import_block_list(request.clone()).await.unwrap();
    let result = started.handle().wait().interval(ms(10)).await.unwrap();
    assert_eq!(
        (
            result.blocklist.as_str(),
            result.added,
            result.skipped,
            result.total
        ),
        ("profanity", 120, 3, 123)
    );
    assert_eq!(
        server.requests()[0].body,
        json!({"items": ["darn", " heck "], "chunk_size": 50})
    );
    let failed = client.import_block_list(request).await.unwrap();
    let Error::Task(error) = failed.handle().wait().interval(ms(10)).await.unwrap_err() else {
        panic!("not a task error");
    };
    assert_eq!(error.error_type(), "not_found");
    assert!(error.description().contains("profanity"));
}

#[tokio::test]
async fn importing_into_an_unknown_list_is_refused_at_once() {
    let server = Server::start().await;
    server.script(
        "/api/v2/blocklists/nope/import",
        [Reply::api_error(404, 16, "blocklist nope does not exist")],
    );
    let error = server
        .client()
        .import_block_list(ImportBlockListRequest::new("nope", ["x"]))
        .await
        .unwrap_err();
    let Error::Api(api) = error else {
        panic!("{error}")
    };
    assert_eq!((api.status_code().as_u16(), api.code()), (404, 16));
}

#[tokio::test]
async fn block_list_argument_checks_send_nothing() {
    let server = Server::start().await;
    let client = server.client();
    let long = "x".repeat(256);
    let over: Vec<String> = (0..=10_000).map(|i| format!("w{i}")).collect();
    let imports = [
        ImportBlockListRequest::new("l", Vec::<String>::new()),
        ImportBlockListRequest::new("l", &over),
        ImportBlockListRequest::new("l", ["ok", "   "]),
        ImportBlockListRequest::new("l", [&long]),
        ImportBlockListRequest::new("l", ["a"]).chunk_size(0),
        ImportBlockListRequest::new("l", ["a"]).chunk_size(1_001),
        ImportBlockListRequest::new(" ", ["a"]),
    ];
    for (i, request) in imports.into_iter().enumerate() {
        let error = client.import_block_list(request).await.unwrap_err();
        assert!(error.is_invalid_argument(), "case {i}: {error}");
    }
    let errors = [
        client
            .create_block_list(CreateBlockListRequest::new("", ["a"]))
            .await,
        client
            .create_block_list(CreateBlockListRequest::new("l", [""]))
            .await,
        client.get_block_list(&long).await,
        client.delete_block_list("").await,
    ];
    for (i, outcome) in errors.into_iter().enumerate() {
        assert!(outcome.unwrap_err().is_invalid_argument(), "case {i}");
    }
    assert!(server.requests().is_empty());
}

fn users_answer(task: Option<&str>) -> Reply {
    let mut body = json!({"duration": "2ms", "users": {"ann": {"id": "ann", "teams": ["blue"]}}});
    if let Some(id) = task {
        body["membership_deletion_task_id"] = json!(id);
    }
    Reply::json(201, body)
}

#[tokio::test]
async fn user_updates_answer_the_membership_deletion_as_a_typed_handle() {
    let server = Server::start().await;
    server.script(
        "/api/v2/users",
        [
            users_answer(Some("m1")),
            users_answer(Some("")),
            users_answer(None),
        ],
    );
    server.task(
        "m1",
        [completed(
            "m1",
            json!({"removed_memberships": [{"user_id": "ann", "cids": ["messaging:red-general"]}],
                   "removed_count": 1}),
        )],
    );
    let client = server.client();
    let answer = client
        .upsert_users([UserRequest::new("ann").teams(["blue"]).name("Ann")])
        .await
        .unwrap();
    assert_eq!(answer.users["ann"].id, "ann");
    let result = answer
        .membership_deletion_task()
        .unwrap()
        .wait()
        .interval(ms(10))
        .await
        .unwrap();
    assert_eq!(result.removed_count, 1);
    assert_eq!(result.removed_memberships[0].user_id, "ann");
    assert_eq!(
        result.removed_memberships[0].cids,
        ["messaging:red-general"]
    );

    // Stream's schema says the field may come empty: that is no task.
    let update = UserPartialUpdate::new("ann").set("teams", json!(["blue"]));
    let answer = client.update_users_partial([update.clone()]).await.unwrap();
    assert!(answer.membership_deletion_task().is_none());
    let answer = client.update_users_partial([update]).await.unwrap();
    assert!(answer.membership_deletion_task().is_none());

    let sent = server.requests();
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/api/v2/users")
    );
    assert_eq!(
        sent[0].body,
        json!({"users": {"ann": {"id": "ann", "name": "Ann", "teams": ["blue"]}}})
    );
    let patch = sent.iter().find(|r| r.method == "PATCH").unwrap();
    assert_eq!(
        patch.body,
        json!({"users": [{"id": "ann", "set": {"teams": ["blue"]}}]})
    );
}

#[tokio::test]
async fn user_update_checks_send_nothing() {
    let server = Server::start().await;
    let client = server.client();
    let many: Vec<UserRequest> = (0..=100)
        .map(|i| UserRequest::new(format!("u{i}")))
        .collect();
    let upserts = [
        vec![],
        many,
        vec![UserRequest::new(" ")],
        vec![UserRequest::new("a"), UserRequest::new("a")],
        vec![UserRequest::new("a").teams(["red", ""])],
    ];
    for (i, users) in upserts.into_iter().enumerate() {
        let error = client.upsert_users(users).await.unwrap_err();
        assert!(error.is_invalid_argument(), "case {i}: {error}");
    }
    let partials = [
        vec![],
        vec![UserPartialUpdate::new("a")],
        vec![UserPartialUpdate::new("a").unset([""])],
        vec![UserPartialUpdate::new("").unset(["x"])],
    ];
    for (i, updates) in partials.into_iter().enumerate() {
        let error = client.update_users_partial(updates).await.unwrap_err();
        assert!(error.is_invalid_argument(), "case {i}: {error}");
    }
    assert!(server.requests().is_empty());
}
