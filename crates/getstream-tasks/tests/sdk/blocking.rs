//! The blocking client, on real time with short intervals; the test server runs
//! on a runtime thread of its own.

use std::time::{Duration, Instant};

use getstream_tasks::{Error, TaskStatus, blocking};

use crate::support::{
    API_KEY, API_SECRET, Reply, blocking_client as client, server_on_own_thread as server,
};

#[test]
fn waits_through_statuses_and_a_transient_error() {
    let server = server(|s| {
        s.task(
            "t1",
            [
                Reply::task("t1", "waiting"),
                Reply::api_error(503, -1, "try later"),
                Reply::task("t1", "running"),
                Reply::task("t1", "completed"),
            ],
        )
    });
    let client = client(&server);
    let polls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = polls.clone();
    let task = client
        .wait_for_task("t1")
        .on_poll(move |o| counter.store(o.poll(), std::sync::atomic::Ordering::SeqCst))
        .interval(Duration::from_millis(20))
        .timeout(Duration::from_secs(10))
        .send()
        .unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(server.requests().len(), 4);
    assert_eq!(polls.load(std::sync::atomic::Ordering::SeqCst), 4);
    assert_eq!(client.get_task("t1").unwrap().status, TaskStatus::Completed);
}

#[test]
fn failures_timeouts_and_argument_errors_are_the_same_as_async() {
    let server = server(|s| {
        s.task("failed", [Reply::task("failed", "failed")]);
        s.task("running", [Reply::task("running", "running")]);
        s.task(
            "missing",
            [Reply::api_error(404, 16, "Can't find task with id missing")],
        );
    });
    let client = client(&server);
    let e = client.wait_for_task("failed").send().unwrap_err();
    let Error::Task(t) = &e else { panic!("{e}") };
    assert_eq!((t.error_type(), t.description()), ("unknown", ""));

    let start = Instant::now();
    let e = client
        .wait_for_task("running")
        .interval(Duration::from_millis(20))
        .timeout(Duration::from_millis(300))
        .send()
        .unwrap_err();
    let elapsed = start.elapsed();
    assert!(e.is_timeout(), "{e}");
    // Real time: the final poll is sent LAST_POLL_BUDGET (100 ms) before the
    // deadline, so the wait ends between then and the deadline (exact times
    // are asserted on the paused clock in the async tests).
    assert!(
        elapsed >= Duration::from_millis(300) - getstream_tasks::LAST_POLL_BUDGET
            && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    assert_eq!(e.task_id(), Some("running"));

    let deadline = Instant::now() + Duration::from_millis(100);
    let e = client
        .wait_for_task("running")
        .deadline(deadline)
        .send()
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");

    assert!(
        client
            .wait_for_task("missing")
            .send()
            .unwrap_err()
            .is_not_found()
    );
    assert!(client.get_task("").unwrap_err().is_invalid_argument());
    let e = client
        .wait_for_task("running")
        .interval(Duration::ZERO)
        .send()
        .unwrap_err();
    assert!(e.is_invalid_argument());
}

#[test]
fn clones_work_from_several_threads() {
    let server = server(|s| s.task("t1", [Reply::task("t1", "completed")]));
    let client = client(&server);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || client.get_task("t1").unwrap().status)
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), TaskStatus::Completed);
    }
    assert_eq!(server.requests().len(), 4);
}

/// A sync library called from an async program through `spawn_blocking`:
/// blocking is allowed there, though a runtime handle is current.
#[tokio::test]
async fn works_inside_spawn_blocking() {
    let server = server(|s| s.task("t1", [Reply::task("t1", "completed")]));
    let client = client(&server);
    let (status, last) = tokio::task::spawn_blocking(move || {
        assert!(tokio::runtime::Handle::try_current().is_ok());
        let status = client.get_task("t1").unwrap().status;
        let last = client.wait_for_task("t1").watch().last();
        (status, last)
    })
    .await
    .unwrap();
    assert_eq!(status, TaskStatus::Completed);
    let Some(getstream_tasks::WatchEvent::Finished(Ok(task))) = last else {
        panic!("{last:?}")
    };
    assert_eq!(task.status, TaskStatus::Completed);
}

/// `block_in_place` turns the current worker thread into one where blocking
/// is allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_inside_block_in_place() {
    let server = server(|s| s.task("t1", [Reply::task("t1", "completed")]));
    let client = client(&server);
    let task = tokio::task::block_in_place(|| {
        client
            .wait_for_task("t1")
            .interval(Duration::from_millis(20))
            .send()
    })
    .unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
}

/// In a task spawned on a multi-threaded runtime, too, blocking is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_inside_a_spawned_async_task() {
    let client = blocking::Client::new(API_KEY, API_SECRET).unwrap();
    let panic = tokio::spawn(async move { client.wait_for_task("t1").watch().next() })
        .await
        .unwrap_err()
        .into_panic();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("on a thread running async tasks")
            && message.contains("WatchTask was iterated"),
        "{message}"
    );
}

#[tokio::test]
#[should_panic(expected = "inside an async runtime, on a thread running async tasks")]
async fn calling_it_inside_an_async_runtime_panics_instead_of_deadlocking() {
    // Building and dropping are fine here; only blocking calls panic.
    let client = blocking::Client::new(API_KEY, API_SECRET).unwrap();
    let _ = client.get_task("t1");
}

#[test]
fn a_panic_in_on_poll_reaches_the_caller_and_the_client_keeps_working() {
    let server = server(|s| s.task("t1", [Reply::task("t1", "completed")]));
    let client = client(&server);
    let wait = client
        .wait_for_task("t1")
        .on_poll(|_| panic!("callback exploded"));
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wait.send())).unwrap_err();
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"callback exploded"));
    assert_eq!(client.get_task("t1").unwrap().status, TaskStatus::Completed);
}
