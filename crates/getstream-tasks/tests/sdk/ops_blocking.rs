//! The blocking client's task-starting operations against the real emulator,
//! which runs on a runtime thread of its own (real time, instant jobs).

use std::time::Duration;

use getstream_emulator::{
    Emulator, EmulatorConfig, EmulatorState, JobKind, Pace, SeedSpec, TaskFailure as InjectedError,
};
use getstream_tasks::{
    DeactivateUsersRequest, DeleteChannelsRequest, DeleteMode, DeleteUsersRequest, Error,
    ExportChannelsRequest, ExportUsersRequest, ReactivateUsersRequest, blocking,
};
use serde_json::Value;

use crate::support::on_own_thread;

struct Running {
    state: EmulatorState,
    key: String,
    client: blocking::Client,
}

impl Running {
    fn snapshot(&self) -> Value {
        self.state.snapshot(&self.key).unwrap()
    }

    fn has_channel(&self, cid: &str) -> bool {
        self.snapshot()["channels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["cid"] == cid)
    }

    fn user(&self, id: &str) -> Option<Value> {
        self.snapshot()["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == id)
            .cloned()
    }
}

/// A seeded emulator (users `user-1..4`, channels `messaging:seed-1..3`) on
/// its own runtime thread, and a blocking client for it.
fn emulator() -> Running {
    let (state, key, secret, url) = on_own_thread(|| async {
        let emulator = Emulator::start(EmulatorConfig::new().pace(Pace::instant()))
            .await
            .unwrap();
        let seed = SeedSpec {
            users: 4,
            channels: 3,
            messages: 5,
        };
        emulator.state().seed(emulator.api_key(), seed).unwrap();
        let running = (
            emulator.state().clone(),
            emulator.api_key().to_owned(),
            emulator.api_secret().to_owned(),
            emulator.base_url(),
        );
        // The emulator keeps serving on that thread's runtime.
        std::mem::forget(emulator);
        running
    });
    let client = blocking::Client::builder(&key, secret)
        .base_url(url)
        .build()
        .unwrap();
    Running { state, key, client }
}

const FAST: Duration = Duration::from_millis(20);

#[test]
fn hard_delete_channels() {
    let emu = emulator();
    let response = emu
        .client
        .chat()
        .delete_channels(DeleteChannelsRequest::new(["messaging:seed-1"]).hard_delete(true))
        .unwrap();
    assert!(response.result["messaging:seed-1"].is_ok());
    let handle = response.task().unwrap();
    assert_eq!(Some(handle.task_id()), response.task_id.as_deref());
    let result = handle.wait().interval(FAST).send().unwrap();
    assert!(result.get("messaging:seed-1").unwrap().is_ok());
    assert!(!emu.has_channel("messaging:seed-1"));
    assert!(emu.has_channel("messaging:seed-2"));
}

#[test]
fn export_channels() {
    let emu = emulator();
    let started = emu
        .client
        .chat()
        .export_channels(ExportChannelsRequest::new(["messaging:seed-2"]))
        .unwrap();
    let handle = started.handle();
    assert_eq!(handle.task_id(), started.task_id);
    let export = handle.wait().interval(FAST).send().unwrap();
    assert!(export.url.contains("/_emulator/exports/"), "{}", export.url);
    let task = handle.get().unwrap();
    assert_eq!(task.status, getstream_tasks::TaskStatus::Completed);
}

#[test]
fn export_users() {
    let emu = emulator();
    let started = emu
        .client
        .export_users(ExportUsersRequest::new(["user-1"]))
        .unwrap();
    let export = started.handle().wait().interval(FAST).send().unwrap();
    assert!(export.url.contains("/_emulator/exports/"), "{}", export.url);
}

#[test]
fn delete_users() {
    let emu = emulator();
    let started = emu
        .client
        .delete_users(DeleteUsersRequest::new(["user-3"]).user(DeleteMode::Hard))
        .unwrap();
    let result = started.into_handle().wait().interval(FAST).send().unwrap();
    assert!(result.all_ok(), "{result:?}");
    assert!(emu.user("user-3").is_none());
    assert!(emu.user("user-4").is_some());
}

#[test]
fn deactivate_and_reactivate_users() {
    let emu = emulator();
    let started = emu
        .client
        .deactivate_users(DeactivateUsersRequest::new(["user-2"]))
        .unwrap();
    let result = started.handle().wait().interval(FAST).send().unwrap();
    assert_eq!(result["user-2"]["status"], "ok", "{result}");
    assert!(emu.user("user-2").unwrap().get("deactivated_at").is_some());
    let started = emu
        .client
        .reactivate_users(ReactivateUsersRequest::new(["user-2"]))
        .unwrap();
    started.handle().wait().interval(FAST).send().unwrap();
    assert!(emu.user("user-2").unwrap().get("deactivated_at").is_none());
}

#[test]
fn a_failed_job_is_a_task_error() {
    let emu = emulator();
    emu.state
        .fail_next_jobs(
            &emu.key,
            JobKind::DeleteUsers,
            1,
            InjectedError::new("DeleteError", "no luck"),
        )
        .unwrap();
    let started = emu
        .client
        .delete_users(DeleteUsersRequest::new(["user-1"]).user(DeleteMode::Hard))
        .unwrap();
    let error = started.handle().wait().interval(FAST).send().unwrap_err();
    let Error::Task(e) = &error else {
        panic!("expected a task error, got {error:?}");
    };
    assert_eq!(e.task_id(), started.task_id);
    assert_eq!(e.error_type(), "DeleteError");
    assert_eq!(e.description(), "no luck");
    assert!(e.stack_trace().is_some() && e.version().is_some());
    // The call marked the user deleted at once (as Stream: query users stops
    // listing them); the failed job did nothing more: the user is not removed.
    let user = emu
        .user("user-1")
        .expect("a failed hard delete removes no one");
    assert!(user.get("deleted_at").is_some(), "{user}");
}

#[test]
fn bad_arguments_are_rejected_before_any_request() {
    // Nothing listens here: a request would be a transport error, not this.
    let client = blocking::Client::builder("key", "secret")
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let errors = [
        client
            .chat()
            .delete_channels(DeleteChannelsRequest::new(["no-colon"]))
            .unwrap_err(),
        client
            .chat()
            .export_channels(ExportChannelsRequest::new(Vec::<String>::new()))
            .unwrap_err(),
        client
            .export_users(ExportUsersRequest::new((0..26).map(|i| format!("u{i}"))))
            .unwrap_err(),
        client
            .delete_users(DeleteUsersRequest::new([""]))
            .unwrap_err(),
    ];
    for (i, e) in errors.iter().enumerate() {
        assert!(e.is_invalid_argument(), "case {i}: {e}");
    }
}

#[test]
fn blocking_handles_are_send_and_sync() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<blocking::Chat>();
    send_sync::<blocking::TaskHandle<getstream_tasks::ExportResult>>();
    send_sync::<blocking::TaskStarted<getstream_tasks::DeleteUsersResult>>();
    send_sync::<blocking::DeleteChannelsResponse>();
    send_sync::<blocking::WaitForTask<getstream_tasks::DeleteChannelsResult>>();
}

/// The blocking mirror of issue 24's calls, against a scripted server on its own thread.
mod jobs24 {
    use getstream_tasks::{
        ChannelBatchFilter, ChannelBatchOperation, ChannelBatchUpdateRequest,
        ImportBlockListRequest, UserRequest,
    };
    use serde_json::json;

    use crate::support::{Reply, blocking_client, ms, server_on_own_thread};

    fn completed(id: &str, result: serde_json::Value) -> Reply {
        Reply::task(id, "completed").with(json!({ "result": result }))
    }

    #[test]
    fn batch_update_import_and_membership_deletion_wait_for_typed_results() {
        let server = server_on_own_thread(|s| {
            let started = |id: &str| Reply::json(201, json!({"duration": "1ms", "task_id": id}));
            s.script("/api/v2/chat/channels/batch", [started("b1")]);
            s.script("/api/v2/blocklists/words/import", [started("i1")]);
            s.script(
                "/api/v2/blocklists/words",
                [Reply::json(200, json!({"duration": "1ms", "blocklist": {"name": "words", "type": "word", "words": ["a"]}}))],
            );
            s.script(
                "/api/v2/users",
                [Reply::json(
                    201,
                    json!({"duration": "1ms", "users": {}, "membership_deletion_task_id": "m1"}),
                )],
            );
            s.task(
                "b1",
                [completed("b1", json!({"operation": "archive", "status": "completed", "success_channels_count": 2, "failed_channels": []}))],
            );
            s.task(
                "i1",
                [completed(
                    "i1",
                    json!({"blocklist": "words", "added": 1, "skipped": 1, "total": 2}),
                )],
            );
            s.task(
                "m1",
                [completed(
                    "m1",
                    json!({"removed_memberships": [], "removed_count": 0}),
                )],
            );
        });
        let client = blocking_client(&server);

        let request = ChannelBatchUpdateRequest::new(
            ChannelBatchOperation::Archive,
            ChannelBatchFilter::types(["messaging"]),
        )
        .members(["u1"]);
        let answer = client.chat().channel_batch_update(request).unwrap();
        let result = answer
            .task()
            .unwrap()
            .wait()
            .interval(ms(10))
            .send()
            .unwrap();
        assert_eq!(
            (result.operation.as_str(), result.success_channels_count),
            ("archive", 2)
        );
        assert!(result.all_ok());

        let import = ImportBlockListRequest::new("words", ["a", "b"]);
        let counts = client
            .import_block_list(import)
            .unwrap()
            .handle()
            .wait()
            .send()
            .unwrap();
        assert_eq!((counts.added, counts.skipped, counts.total), (1, 1, 2));
        let list = client.get_block_list("words").unwrap().blocklist.unwrap();
        assert_eq!(list.words, ["a"]);

        let answer = client
            .upsert_users([UserRequest::new("ann").teams(Vec::<String>::new())])
            .unwrap();
        let removed = answer
            .membership_deletion_task()
            .unwrap()
            .wait()
            .send()
            .unwrap();
        assert_eq!(removed.removed_count, 0);

        // The checks run before any request here too.
        let bad = ChannelBatchUpdateRequest::new(
            ChannelBatchOperation::AddMembers,
            ChannelBatchFilter::cids(["m:a"]),
        );
        assert!(
            client
                .chat()
                .channel_batch_update(bad)
                .unwrap_err()
                .is_invalid_argument()
        );
        assert!(
            client
                .import_block_list(ImportBlockListRequest::new("words", Vec::<String>::new()))
                .unwrap_err()
                .is_invalid_argument()
        );
        assert_eq!(server.requests().len(), 7);
    }
}

#[test]
fn channel_batch_update_and_block_list_import() {
    use getstream_tasks::{
        ChannelBatchFilter, ChannelBatchOperation, ChannelBatchUpdateRequest,
        CreateBlockListRequest, ImportBlockListRequest, UserPartialUpdate,
    };
    let emu = emulator();
    let request = ChannelBatchUpdateRequest::new(
        ChannelBatchOperation::RemoveMembers,
        ChannelBatchFilter::types(["messaging"]),
    )
    .members(["user-2"]);
    let answer = emu.client.chat().channel_batch_update(request).unwrap();
    let result = answer.task().unwrap().wait().interval(FAST).send().unwrap();
    assert_eq!(
        (result.operation.as_str(), result.success_channels_count),
        ("removeMembers", 3)
    );
    let seed1 = &emu.snapshot()["channels"][0];
    assert_eq!(seed1["cid"], "messaging:seed-1");
    assert!(
        !seed1["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["user_id"] == "user-2"),
        "{seed1}"
    );

    emu.client
        .create_block_list(CreateBlockListRequest::new("spam", ["buy"]))
        .unwrap();
    let started = emu
        .client
        .import_block_list(ImportBlockListRequest::new("spam", ["BUY", "now", "cheap"]))
        .unwrap();
    let counts = started.handle().wait().interval(FAST).send().unwrap();
    assert_eq!((counts.added, counts.skipped, counts.total), (2, 1, 3));
    let words = emu
        .client
        .get_block_list("spam")
        .unwrap()
        .blocklist
        .unwrap()
        .words;
    assert_eq!(words, ["buy", "now", "cheap"]);
    let unknown = emu
        .client
        .import_block_list(ImportBlockListRequest::new("nope", ["x"]))
        .unwrap_err();
    assert!(
        matches!(&unknown, Error::Api(api) if api.code() == 16),
        "{unknown}"
    );

    // No team taken: no membership deletion task.
    let answer = emu
        .client
        .update_users_partial([
            UserPartialUpdate::new("user-1").set("teams", serde_json::json!(["red"]))
        ])
        .unwrap();
    assert!(answer.membership_deletion_task().is_none());
}
