//! The blocking client's delete call against the real emulator, which runs on
//! a runtime thread of its own (real time, instant jobs).

use getstream_emulator::{CallSeed, Emulator, EmulatorConfig, Pace};
use getstream_tasks::{DeleteCallRequest, blocking};

use crate::support::on_own_thread;

fn client_with_call() -> blocking::Client {
    let (key, secret, url) = on_own_thread(|| async {
        let emulator = Emulator::start(EmulatorConfig::new().pace(Pace::instant()))
            .await
            .unwrap();
        let seed = CallSeed::new("livestream", "town-hall")
            .members(["ann", "bob"])
            .sessions(1);
        emulator
            .state()
            .create_call(emulator.api_key(), seed)
            .unwrap();
        let running = (
            emulator.api_key().to_owned(),
            emulator.api_secret().to_owned(),
            emulator.base_url(),
        );
        // The emulator keeps serving on that thread's runtime.
        std::mem::forget(emulator);
        running
    });
    blocking::Client::builder(&key, secret)
        .base_url(url)
        .build()
        .unwrap()
}

#[test]
fn delete_call_soft_then_hard() {
    let client = client_with_call();
    let soft = client
        .video()
        .delete_call(DeleteCallRequest::new("livestream", "town-hall"))
        .unwrap();
    assert!(soft.task.is_none());
    assert!(soft.call.deleted_at.is_some());
    let hard = client
        .video()
        .delete_call(DeleteCallRequest::new("livestream", "town-hall").hard(true))
        .unwrap();
    let result = hard
        .task
        .expect("a task")
        .wait()
        .interval(std::time::Duration::from_millis(20))
        .send()
        .unwrap();
    assert_eq!(result.cid, "livestream:town-hall");
    assert_eq!((result.deleted.sessions, result.deleted.members), (1, 2));
    let e = client
        .video()
        .delete_call(DeleteCallRequest::new("livestream", "town-hall"))
        .unwrap_err();
    assert_eq!(e.status_code().map(|s| s.as_u16()), Some(404), "{e}");
}

#[test]
fn bad_arguments_are_rejected_before_any_request() {
    let client = blocking::Client::builder("key", "secret")
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let e = client
        .video()
        .delete_call(DeleteCallRequest::new("default", "a:b"))
        .unwrap_err();
    assert!(e.is_invalid_argument(), "{e}");
}

#[test]
fn blocking_video_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<blocking::Video>();
    send_sync::<blocking::DeleteCallResponse>();
}
