//! Delete call end to end: the SDK against the real emulator (on the test's
//! runtime, on tokio's paused clock) — a soft delete answers the call and no
//! task, a hard delete's task removes the call with what belonged to it, bad
//! arguments are refused before any request.

use getstream_emulator::{CallSeed, Emulator, EmulatorConfig, EmulatorHandle, Pace};
use getstream_tasks::{Client, DeleteCallRequest, MAX_CALL_ID_LENGTH};

async fn emulator() -> (EmulatorHandle, Client) {
    let emulator = Emulator::start(EmulatorConfig::new().pace(Pace::default()))
        .await
        .unwrap();
    let seed = CallSeed::new("default", "standup")
        .created_by("alice")
        .members(["alice", "bob", "carol"])
        .sessions(4)
        .recordings(2);
    emulator
        .state()
        .create_call(emulator.api_key(), seed)
        .unwrap();
    let client = Client::builder(emulator.api_key(), emulator.api_secret())
        .base_url(emulator.base_url())
        .build()
        .unwrap();
    (emulator, client)
}

#[tokio::test(start_paused = true)]
async fn a_hard_delete_waits_for_the_typed_result_and_the_call_is_gone() {
    let (_emulator, client) = emulator().await;
    let answer = client
        .video()
        .delete_call(DeleteCallRequest::new("default", "standup").hard(true))
        .await
        .unwrap();
    assert_eq!(answer.call.cid, "default:standup");
    assert_eq!(answer.call.call_type, "default");
    assert_eq!(answer.call.id, "standup");
    assert!(answer.call.created_at.is_some());
    assert!(answer.call.deleted_at.is_some());
    assert!(answer.call.extra.contains_key("created_by"));
    assert!(!answer.duration.is_empty());
    let task = answer.task.expect("a hard delete starts a task");
    assert_eq!(Some(task.task_id()), answer.task_id.as_deref());
    let result = task.wait().await.unwrap();
    assert_eq!(result.cid, "default:standup");
    assert_eq!(result.deleted.sessions, 4);
    assert_eq!(result.deleted.recordings, 2);
    assert_eq!(result.deleted.members, 3);

    // Gone: deleting again is the server's 404.
    let again = client
        .video()
        .delete_call(DeleteCallRequest::new("default", "standup"))
        .await
        .unwrap_err();
    assert_eq!(
        again.status_code().map(|s| s.as_u16()),
        Some(404),
        "{again}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_soft_delete_answers_the_call_and_no_task() {
    let (emulator, client) = emulator().await;
    let answer = client
        .video()
        .delete_call(DeleteCallRequest::new("default", "standup"))
        .await
        .unwrap();
    assert!(answer.task.is_none());
    assert!(answer.task_id.is_none());
    assert!(answer.call.deleted_at.is_some());
    // Serializes to the fields as sent, without a task id.
    let json = serde_json::to_value(&answer).unwrap();
    assert_eq!(json["call"]["cid"], "default:standup");
    assert!(json.get("task_id").is_none());
    // The call is still there: a hard delete of it still finds it.
    let hard = client
        .video()
        .delete_call(DeleteCallRequest::new("default", "standup").hard(true))
        .await
        .unwrap();
    let result = hard.task.unwrap().wait().await.unwrap();
    assert_eq!(result.deleted.members, 3);
    drop(emulator);
}

#[tokio::test]
async fn bad_arguments_are_refused_before_any_request() {
    // Nothing listens here: a request would be a transport error, not this.
    let client = Client::builder("key", "secret")
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let long = "x".repeat(MAX_CALL_ID_LENGTH + 1);
    for (t, id) in [
        ("", "abc"),
        ("default", ""),
        ("default", "a:b"),
        ("default", "a/b"),
        ("de fault", "abc"),
        ("default", long.as_str()),
    ] {
        let e = client
            .video()
            .delete_call(DeleteCallRequest::new(t, id).hard(true))
            .await
            .unwrap_err();
        assert!(e.is_invalid_argument(), "{t:?} {id:?}: {e}");
    }
}
