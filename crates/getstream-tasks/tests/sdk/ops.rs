//! The task-starting operations end to end: through the SDK against the real
//! emulator (on the test's runtime, on tokio's paused clock), and against the
//! scripted server where the exact requests matter.

use std::future::IntoFuture;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use getstream_emulator::{
    Emulator, EmulatorConfig, EmulatorHandle, JobKind, Pace, ScriptedTask, SeedSpec,
    TaskFailure as InjectedError,
};
use getstream_tasks::{
    ChannelRef, Client, DeactivateUsersRequest, DeleteChannelsRequest, DeleteMode,
    DeleteUsersRequest, Error, ExportChannelsRequest, ExportResult, ExportUsersRequest, ItemStatus,
    ReactivateUsersRequest, TaskHandle, TaskStatus,
};
use serde_json::{Value, json};

use crate::support::{Reply, Server};

/// An emulator with `messaging:seed-1..3` (members `user-i`, `user-i+1`), users
/// `user-1..4`, ten messages per channel; its visible default pace.
async fn emulator() -> (EmulatorHandle, Client) {
    let emulator = Emulator::start(EmulatorConfig::new().pace(Pace::default()))
        .await
        .unwrap();
    emulator
        .state()
        .seed(
            emulator.api_key(),
            SeedSpec {
                users: 4,
                channels: 3,
                messages: 10,
            },
        )
        .unwrap();
    let client = Client::builder(emulator.api_key(), emulator.api_secret())
        .base_url(emulator.base_url())
        .build()
        .unwrap();
    (emulator, client)
}

fn snapshot(emulator: &EmulatorHandle) -> Value {
    emulator.state().snapshot(emulator.api_key()).unwrap()
}

fn channel<'a>(snapshot: &'a Value, cid: &str) -> Option<&'a Value> {
    snapshot["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cid"] == cid)
}

fn user<'a>(snapshot: &'a Value, id: &str) -> Option<&'a Value> {
    snapshot["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id)
}

fn nanos_to_time(v: &Value) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(v.as_u64().unwrap())
}

/// Records the statuses a wait saw.
fn status_log() -> (
    Arc<Mutex<Vec<String>>>,
    impl Fn(&getstream_tasks::Polled) + Send + Sync + 'static,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    (seen, move |o: &getstream_tasks::Polled| {
        if let Some(s) = o.status() {
            log.lock().unwrap().push(s.to_string());
        }
    })
}

async fn download(url: &str) -> Value {
    let response = reqwest::get(url).await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn exported_channels_file_holds_exactly_the_messages_in_range() {
    let (emulator, client) = emulator().await;
    let before = snapshot(&emulator);
    // The seeded messages are one second apart; export the 4th..=7th of each.
    let in_range = |cid: &str| -> Vec<Value> {
        channel(&before, cid).unwrap()["messages"]
            .as_array()
            .unwrap()[3..7]
            .to_vec()
    };
    let first = in_range("messaging:seed-1");
    let since = nanos_to_time(&first[0]["created_at"]);
    let until = nanos_to_time(&first[3]["created_at"]);

    let started = client
        .chat()
        .export_channels(
            ExportChannelsRequest::new([
                ChannelRef::cid("messaging:seed-1"),
                ChannelRef::new("messaging", "seed-2"),
            ])
            .messages_since(since)
            .messages_until(until)
            .export_users(true),
        )
        .await
        .unwrap();
    assert!(!started.task_id.is_empty());
    assert!(!started.duration.is_empty());
    let handle = started.handle();
    assert_eq!(handle.task_id(), started.task_id);

    let (seen, on_poll) = status_log();
    let export: ExportResult = handle
        .wait()
        .interval(Duration::from_millis(100))
        .on_poll(on_poll)
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.last().map(String::as_str), Some("completed"));
    assert!(seen.iter().any(|s| s == "running"), "{seen:?}");
    assert!(
        export.url.starts_with(&emulator.base_url()),
        "{}",
        export.url
    );

    let file = download(&export.url).await;
    let channels = file["channels"].as_array().unwrap();
    assert_eq!(channels.len(), 2, "{file}");
    for exported in channels {
        let cid = exported["channel"]["cid"].as_str().unwrap();
        let ids = |messages: &[Value]| -> Vec<(String, String)> {
            messages
                .iter()
                .map(|m| {
                    (
                        m["id"].as_str().unwrap().to_owned(),
                        m["text"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        };
        // Both channels were seeded in the same seconds: the same range applies.
        assert_eq!(
            ids(exported["messages"].as_array().unwrap()),
            ids(&in_range(cid)),
            "{cid}"
        );
    }
    let mut cids: Vec<&str> = channels
        .iter()
        .map(|c| c["channel"]["cid"].as_str().unwrap())
        .collect();
    cids.sort_unstable();
    assert_eq!(cids, ["messaging:seed-1", "messaging:seed-2"]);
    let users = file["users"].as_array().unwrap();
    assert!(users.iter().any(|u| u["id"] == "user-1"), "{file}");

    // The raw task is still reachable, with the same result.
    let task = handle.get().await.unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert!(task.result.unwrap()["url"].as_str().is_some());
    emulator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn hard_deleted_channels_are_really_gone() {
    let (emulator, client) = emulator().await;
    let response = client
        .chat()
        .delete_channels(
            DeleteChannelsRequest::new(["messaging:seed-1", "messaging:seed-2"]).hard_delete(true),
        )
        .await
        .unwrap();
    assert_eq!(
        response.result.keys().collect::<Vec<_>>(),
        ["messaging:seed-1", "messaging:seed-2"]
    );
    let handle = response.task().expect("a hard delete starts a task");
    assert_eq!(Some(handle.task_id()), response.task_id.as_deref());
    let result = handle.wait().await.unwrap();
    assert!(result.all_ok(), "{result:?}");
    assert_eq!(
        result.iter().map(|(cid, _)| cid).collect::<Vec<_>>(),
        ["messaging:seed-1", "messaging:seed-2"]
    );

    let after = snapshot(&emulator);
    assert!(channel(&after, "messaging:seed-1").is_none(), "{after}");
    assert!(channel(&after, "messaging:seed-2").is_none(), "{after}");
    let kept = channel(&after, "messaging:seed-3").unwrap();
    assert_eq!(kept["messages"].as_array().unwrap().len(), 10);
    emulator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn soft_delete_answers_at_once_without_a_task() {
    let (emulator, client) = emulator().await;
    let response = client
        .chat()
        .delete_channels(DeleteChannelsRequest::new([
            "messaging:seed-3",
            "messaging:no-such-channel",
        ]))
        .await
        .unwrap();
    assert!(response.task_id.is_none());
    assert!(response.task().is_none());
    assert!(response.result["messaging:seed-3"].is_ok());
    let missing = &response.result["messaging:no-such-channel"];
    assert_eq!(missing.status, ItemStatus::Error);
    assert!(
        missing.error.as_deref().unwrap().contains("does not exist"),
        "{missing:?}"
    );
    // The response serializes back to the wire's fields.
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(json["result"]["messaging:seed-3"], json!({"status": "ok"}));
    assert!(json.get("task_id").is_none(), "{json}");

    let after = snapshot(&emulator);
    let soft = channel(&after, "messaging:seed-3").unwrap();
    assert!(soft.get("deleted_at").is_some(), "{soft}");
    emulator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn exported_users_file_holds_the_users_and_their_messages() {
    let (emulator, client) = emulator().await;
    let started = client
        .export_users(ExportUsersRequest::new(["user-1", "user-2"]))
        .await
        .unwrap();
    let export = started.handle().wait().await.unwrap();
    let file = download(&export.url).await;
    let users = file["users"].as_array().unwrap();
    let ids: Vec<&str> = users
        .iter()
        .map(|u| u["user"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["user-1", "user-2"], "{file}");
    // user-1 wrote the even-numbered seed messages of seed-1 (and others).
    let messages = users[0]["messages"].as_array().unwrap();
    assert!(!messages.is_empty());
    assert!(
        messages.iter().all(|m| m["user"]["id"] == "user-1"),
        "{messages:?}"
    );
    emulator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn deleted_users_are_gone_with_their_messages() {
    let (emulator, client) = emulator().await;
    let started = client
        .delete_users(
            DeleteUsersRequest::new(["user-1", "ghost"])
                .user(DeleteMode::Hard)
                .messages(DeleteMode::Hard),
        )
        .await
        .unwrap();
    let result = started.handle().wait().await.unwrap();
    assert!(result.get("user-1").unwrap().is_ok());
    let ghost = result.get("ghost").unwrap();
    assert_eq!(ghost.status, ItemStatus::Error);
    assert!(
        ghost.error.as_deref().unwrap().contains("ghost"),
        "{ghost:?}"
    );
    assert_eq!(
        result.failures().map(|(id, _)| id).collect::<Vec<_>>(),
        ["ghost"]
    );

    let after = snapshot(&emulator);
    assert!(user(&after, "user-1").is_none(), "{after}");
    assert!(user(&after, "user-2").is_some());
    for c in after["channels"].as_array().unwrap() {
        for m in c["messages"].as_array().unwrap() {
            assert_ne!(m["user"]["id"], "user-1", "{m}");
        }
    }
    emulator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn deactivate_then_reactivate() {
    let (emulator, client) = emulator().await;
    let started = client
        .deactivate_users(DeactivateUsersRequest::new(["user-2"]).mark_messages_deleted(true))
        .await
        .unwrap();
    let result: Value = started.handle().wait().await.unwrap();
    assert_eq!(result["user-2"]["status"], "ok", "{result}");
    let after = snapshot(&emulator);
    assert!(
        user(&after, "user-2")
            .unwrap()
            .get("deactivated_at")
            .is_some()
    );
    let seed1 = channel(&after, "messaging:seed-1").unwrap();
    let by_user2: Vec<&Value> = seed1["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["user"]["id"] == "user-2")
        .collect();
    assert!(!by_user2.is_empty());
    assert!(by_user2.iter().all(|m| m.get("deleted_at").is_some()));

    let started = client
        .reactivate_users(ReactivateUsersRequest::new(["user-2"]).restore_messages(true))
        .await
        .unwrap();
    started.handle().wait().await.unwrap();
    let after = snapshot(&emulator);
    assert!(
        user(&after, "user-2")
            .unwrap()
            .get("deactivated_at")
            .is_none()
    );
    let seed1 = channel(&after, "messaging:seed-1").unwrap();
    assert!(
        seed1["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m.get("deleted_at").is_none())
    );
    emulator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_job_is_a_task_error_with_every_field() {
    let (emulator, client) = emulator().await;
    emulator
        .state()
        .fail_next_jobs(
            emulator.api_key(),
            JobKind::ExportChannels,
            1,
            InjectedError::new("S3Error", "bucket gone"),
        )
        .unwrap();
    let started = client
        .chat()
        .export_channels(ExportChannelsRequest::new(["messaging:seed-1"]))
        .await
        .unwrap();
    let error = started.handle().wait().await.unwrap_err();
    let Error::Task(e) = &error else {
        panic!("expected a task error, got {error:?}");
    };
    assert_eq!(e.task_id(), started.task_id);
    assert_eq!(e.error_type(), "S3Error");
    assert_eq!(e.description(), "bucket gone");
    assert!(e.stack_trace().unwrap().contains("S3Error"));
    assert!(
        e.version().unwrap().starts_with("getstream-emulator-"),
        "{e:?}"
    );
    assert_eq!(e.task().status, TaskStatus::Failed);
    // Nothing was exported, and the next job runs normally.
    let export = client
        .chat()
        .export_channels(ExportChannelsRequest::new(["messaging:seed-1"]))
        .await
        .unwrap()
        .handle()
        .wait()
        .await
        .unwrap();
    assert!(!export.url.is_empty());
    emulator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn typed_waits_take_every_knob_and_resume_from_an_id() {
    let (emulator, client) = emulator().await;
    let id = emulator
        .state()
        .script_task(
            emulator.api_key(),
            ScriptedTask::new()
                .step("running", Duration::from_secs(30))
                .step("completed", Duration::ZERO)
                .result(json!({"url": "http://127.0.0.1:1/x.json"})),
        )
        .unwrap();
    let handle = TaskHandle::<ExportResult>::new(&client, id.clone());
    let started = tokio::time::Instant::now();
    let error = handle
        .wait()
        .interval(Duration::from_secs(2))
        .timeout(Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert_eq!(error.task_id(), Some(id.as_str()));
    // Polls every 2 s up to 8 s, then the final one 100 ms before the
    // deadline; the timeout comes at the deadline itself.
    assert_eq!(started.elapsed(), Duration::from_secs(10));
    // Resume on the same id: it completes, typed.
    let export = handle
        .wait()
        .deadline((tokio::time::Instant::now() + Duration::from_secs(60)).into_std())
        .await
        .unwrap();
    assert_eq!(export.url, "http://127.0.0.1:1/x.json");
    // The raw wait is still there.
    let task = handle.wait_task().await.unwrap();
    assert_eq!(task.task_id, id);
    emulator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_result_of_the_wrong_shape_is_a_decode_error_and_the_raw_task_stays_reachable() {
    let server = Server::start().await;
    server.script(
        "/api/v2/export/users",
        [Reply::json(
            201,
            json!({"task_id": "t-odd", "duration": "1ms"}),
        )],
    );
    server.task(
        "t-odd",
        [Reply::task("t-odd", "completed").with(json!({"result": {"link": "elsewhere"}}))],
    );
    let client = server.client();
    let started = client
        .export_users(ExportUsersRequest::new(["u1"]))
        .await
        .unwrap();
    assert_eq!(started.task_id, "t-odd");
    let error = started.handle().wait().await.unwrap_err();
    assert!(error.is_decode(), "{error}");
    assert!(error.to_string().contains("url"), "{error}");
    let task = started.handle().get().await.unwrap();
    assert_eq!(task.result.unwrap()["link"], "elsewhere");
}

#[tokio::test(start_paused = true)]
async fn an_answer_without_a_task_id_is_a_decode_error() {
    let server = Server::start().await;
    server.script(
        "/api/v2/users/delete",
        [Reply::json(201, json!({"duration": "1ms"}))],
    );
    let error = server
        .client()
        .delete_users(DeleteUsersRequest::new(["u1"]))
        .await
        .unwrap_err();
    assert!(error.is_decode(), "{error}");
}

#[tokio::test(start_paused = true)]
async fn api_errors_of_an_operation_are_api_errors() {
    let server = Server::start().await;
    server.script(
        "/api/v2/chat/export_channels",
        [Reply::api_error(429, 9, "Too many requests").header("Retry-After", "7")],
    );
    let error = server
        .client()
        .chat()
        .export_channels(ExportChannelsRequest::new(["messaging:a"]))
        .await
        .unwrap_err();
    assert!(error.is_rate_limited(), "{error}");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "operations are not retried");
    assert_eq!(requests[0].method, "POST");
}

#[tokio::test(start_paused = true)]
async fn bad_arguments_are_rejected_before_any_request() {
    let server = Server::start().await;
    let client = server.client();
    let chat = client.chat();
    let many = |n: usize| (0..n).map(|i| format!("u{i}")).collect::<Vec<_>>();
    let many_cids = |n: usize| {
        (0..n)
            .map(|i| format!("messaging:c{i}"))
            .collect::<Vec<_>>()
    };
    let now = SystemTime::now();
    let errors = vec![
        chat.delete_channels(DeleteChannelsRequest::new(Vec::<String>::new()))
            .await
            .unwrap_err(),
        chat.delete_channels(DeleteChannelsRequest::new(many_cids(101)))
            .await
            .unwrap_err(),
        chat.delete_channels(DeleteChannelsRequest::new(["general"]))
            .await
            .unwrap_err(),
        chat.export_channels(ExportChannelsRequest::new(["messaging:"]))
            .await
            .unwrap_err(),
        chat.export_channels(ExportChannelsRequest::new(many_cids(101)))
            .await
            .unwrap_err(),
        chat.export_channels(
            ExportChannelsRequest::new(["messaging:a"])
                .messages_since(now)
                .messages_until(now - Duration::from_secs(1)),
        )
        .await
        .unwrap_err(),
        client
            .export_users(ExportUsersRequest::new(many(26)))
            .await
            .unwrap_err(),
        client
            .export_users(ExportUsersRequest::new([""]))
            .await
            .unwrap_err(),
        client
            .delete_users(DeleteUsersRequest::new(many(101)))
            .await
            .unwrap_err(),
        client
            .deactivate_users(DeactivateUsersRequest::new(Vec::<String>::new()))
            .await
            .unwrap_err(),
        client
            .reactivate_users(ReactivateUsersRequest::new(["ok", " "]))
            .await
            .unwrap_err(),
    ];
    for (i, error) in errors.iter().enumerate() {
        assert!(error.is_invalid_argument(), "case {i}: {error}");
    }
    let Error::InvalidArgument(e) = &errors[2] else {
        unreachable!()
    };
    assert_eq!(e.argument(), "cids");
    assert!(e.reason().contains("\"general\""), "{e}");
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn operations_handles_and_their_futures_are_send() {
    fn send_sync<T: Send + Sync + 'static>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let client = Client::new("key", "secret").unwrap();
    let handle = TaskHandle::<ExportResult>::new(&client, "t1");
    send_sync(&handle);
    send_sync(&handle.wait());
    send_sync(&client.chat());
    send_sync(&ExportChannelsRequest::new(["messaging:a"]));
    send(&handle.get());
    send(&handle.wait().into_future());
    send(
        &client
            .chat()
            .export_channels(ExportChannelsRequest::new(["messaging:a"])),
    );
    send(
        &client
            .chat()
            .delete_channels(DeleteChannelsRequest::new(["messaging:a"])),
    );
    send(&client.export_users(ExportUsersRequest::new(["u"])));
    send(&client.delete_users(DeleteUsersRequest::new(["u"])));
    send(&client.deactivate_users(DeactivateUsersRequest::new(["u"])));
    send(&client.reactivate_users(ReactivateUsersRequest::new(["u"])));
}

#[tokio::test(start_paused = true)]
async fn export_options_reach_the_server() {
    let (emulator, client) = emulator().await;
    client
        .chat()
        .delete_channels(DeleteChannelsRequest::new(["messaging:seed-3"]))
        .await
        .unwrap();
    // A soft-deleted channel is exported only when asked for.
    let request = ExportChannelsRequest::new(["messaging:seed-3"]);
    let error = client
        .chat()
        .export_channels(request.clone())
        .await
        .unwrap()
        .handle()
        .wait()
        .await
        .unwrap_err();
    assert!(error.is_task(), "{error}");
    let export = client
        .chat()
        .export_channels(
            request
                .clone()
                .include_soft_deleted_channels(true)
                .include_truncated_messages(true)
                .clear_deleted_message_text(false)
                .version("v2")
                .format(getstream_tasks::ExportFormat::Json),
        )
        .await
        .unwrap()
        .handle()
        .wait()
        .await
        .unwrap();
    let file = download(&export.url).await;
    assert_eq!(file["channels"][0]["channel"]["cid"], "messaging:seed-3");
    assert_eq!(
        file["channels"][0]["messages"].as_array().unwrap().len(),
        10
    );
    assert!(
        file.get("users").is_none(),
        "export_users was not asked for"
    );

    // The emulator only writes JSON: its 400 comes back as an API error with
    // the field named.
    let error = client
        .chat()
        .export_channels(request.format(getstream_tasks::ExportFormat::Csv))
        .await
        .unwrap_err();
    let Error::Api(e) = &error else {
        panic!("expected an API error, got {error:?}");
    };
    assert_eq!(e.status_code(), 400);
    assert_eq!(e.code(), 4);
    assert!(e.exception_fields().contains_key("format"), "{e:?}");
    emulator.shutdown().await;
}
