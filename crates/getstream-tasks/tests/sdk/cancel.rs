//! Cancellation (dropping the future, a cancellation token, async and
//! blocking) and resuming a wait that timed out.

use std::future::IntoFuture;

use getstream_tasks::{CancellationToken, TaskStatus};
use tokio::time::Instant;

use crate::support::{Reply, Server, client_at, ms, secs};

/// A server whose every request hangs.
async fn hanging_server() -> Server {
    let server = Server::start().await;
    server.answer(|_, _, _| Reply::hang());
    server
}

/// Lets the server's runtime tasks run (the clock is paused, so this is
/// instant) until `done()` or a generous number of turns.
async fn settle(done: impl Fn() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        tokio::time::sleep(ms(1)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn dropping_the_wait_closes_the_request_in_flight_and_sends_no_more() {
    let server = hanging_server().await;
    let url = server.url.clone();
    let wait = client_at(&url)
        .wait_for_task("t1")
        .timeout(secs(60))
        .into_future();
    // Drop the wait after 2 s, while its first request hangs.
    assert!(tokio::time::timeout(secs(2), wait).await.is_err());
    settle(|| server.abandoned() == 1).await;
    assert_eq!(server.requests().len(), 1);
    assert_eq!(server.abandoned(), 1, "the server still holds the request");
    tokio::time::sleep(secs(120)).await;
    assert_eq!(server.requests().len(), 1, "a request after the drop");
}

#[tokio::test(start_paused = true)]
async fn a_token_cancels_a_sleeping_wait_at_once_and_it_is_not_a_timeout() {
    let server = Server::with_task("t1", [Reply::task("t1", "running")]).await;
    let token = CancellationToken::new();
    let start = Instant::now();
    let wait = tokio::spawn(
        server
            .client()
            .wait_for_task("t1")
            .timeout(secs(60))
            .cancel_on(token.clone())
            .into_future(),
    );
    tokio::time::sleep(ms(2500)).await;
    token.cancel();
    let e = wait.await.unwrap().unwrap_err();
    assert_eq!(start.elapsed(), ms(2500));
    assert!(e.is_cancelled() && !e.is_timeout(), "{e}");
    assert_eq!(e.task_id(), Some("t1"));
    assert!(e.to_string().contains("may still be running"), "{e}");
    tokio::time::sleep(secs(10)).await;
    assert_eq!(server.arrivals(start), [secs(0), secs(1), secs(2)]);
}

#[tokio::test(start_paused = true)]
async fn a_token_cuts_a_hanging_request_short() {
    let server = hanging_server().await;
    let url = server.url.clone();
    let token = CancellationToken::new();
    let start = Instant::now();
    let wait = tokio::spawn(
        client_at(&url)
            .wait_for_task("t1")
            .timeout(secs(60))
            .cancel_on(token.clone())
            .into_future(),
    );
    tokio::time::sleep(secs(3)).await;
    token.cancel();
    let e = wait.await.unwrap().unwrap_err();
    assert_eq!(start.elapsed(), secs(3));
    assert!(e.is_cancelled(), "{e}");
    settle(|| server.abandoned() == 1).await;
    assert_eq!(server.abandoned(), 1);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_token_cancelled_before_the_wait_starts_makes_no_request() {
    let server = Server::with_task("t1", [Reply::task("t1", "completed")]).await;
    let token = CancellationToken::new();
    token.cancel();
    let e = server
        .client()
        .wait_for_task("t1")
        .cancel_on(token)
        .await
        .unwrap_err();
    assert!(e.is_cancelled(), "{e}");
    assert!(server.requests().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_completed_task_is_returned_even_if_the_token_is_cancelled_later() {
    let server = Server::with_statuses("t1", &["running", "completed"]).await;
    let token = CancellationToken::new();
    let task = server
        .client()
        .wait_for_task("t1")
        .cancel_on(token.clone())
        .await
        .unwrap();
    token.cancel();
    assert_eq!(task.status, TaskStatus::Completed);
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_wait_says_how_to_resume_and_resuming_just_works() {
    let server = Server::with_statuses(
        "export-42",
        &["waiting", "running", "running", "running", "completed"],
    )
    .await;
    let client = server.client();
    let e = client
        .wait_for_task("export-42")
        .timeout(secs(2))
        .await
        .unwrap_err();
    let getstream_tasks::Error::Transport(timeout) = &e else {
        panic!("not a timeout: {e}");
    };
    assert!(timeout.is_wait_timeout());
    assert_eq!(timeout.task_id(), Some("export-42"));
    assert_eq!(timeout.last_status(), Some(&TaskStatus::Running));
    let text = e.to_string();
    assert!(
        text.contains("export-42") && text.contains("running") && text.contains("wait again"),
        "{text}"
    );
    // Resume: a new wait on the id from the error.
    let start = Instant::now();
    let task = client
        .wait_for_task(timeout.task_id().unwrap())
        .await
        .unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(start.elapsed(), secs(1));
}

#[cfg(feature = "blocking")]
mod blocking {
    use super::*;

    use crate::support::{blocking_client as client, server_on_own_thread as server};

    #[test]
    fn a_token_cancelled_from_another_thread_ends_a_blocking_wait() {
        let server = server(|s| s.task("t1", [Reply::task("t1", "running")]));
        let token = CancellationToken::new();
        let stop = token.clone();
        // Cancel once the wait is really polling (on a loaded machine the
        // blocking client's runtime thread may take a while to start).
        let watched = server.clone();
        let canceller = std::thread::spawn(move || {
            let give_up = std::time::Instant::now() + secs(30);
            while watched.requests().is_empty() && std::time::Instant::now() < give_up {
                std::thread::sleep(ms(10));
            }
            std::thread::sleep(ms(50));
            stop.cancel();
        });
        let started = std::time::Instant::now();
        let e = client(&server)
            .wait_for_task("t1")
            .interval(ms(20))
            .timeout(secs(120))
            .cancel_on(token)
            .send()
            .unwrap_err();
        canceller.join().unwrap();
        assert!(e.is_cancelled() && !e.is_timeout(), "{e}");
        // Well before the 120 s timeout (the only other way this could end).
        assert!(started.elapsed() < secs(60), "{:?}", started.elapsed());
        let polls = server.requests().len();
        assert!(polls >= 1);
        std::thread::sleep(ms(200));
        assert_eq!(server.requests().len(), polls, "polled after cancel");
    }

    #[test]
    fn a_cancelled_token_makes_no_request_and_the_client_keeps_working() {
        let server = server(|s| s.task("t1", [Reply::task("t1", "completed")]));
        let client = client(&server);
        let token = CancellationToken::new();
        token.cancel();
        let e = client
            .wait_for_task("t1")
            .cancel_on(token)
            .send()
            .unwrap_err();
        assert!(e.is_cancelled(), "{e}");
        assert!(server.requests().is_empty());
        let task = client
            .wait_for_task("t1")
            .policy(getstream_tasks::PollPolicy::long_running())
            .send()
            .unwrap();
        assert_eq!(task.status, TaskStatus::Completed);
    }
}
