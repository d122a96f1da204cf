//! `client.watch_task(id)`: a stream of observations ending with the outcome.

use std::time::Duration;

use futures::StreamExt;
use getstream_tasks::{CancellationToken, PollPolicy, TaskStatus, WatchEvent};
use tokio::time::Instant;

use crate::support::{Reply, Server, secs};

/// (poll, elapsed, status, error status code, next poll in) of a `Polled`.
type Seen = (u32, Duration, Option<String>, Option<u16>, Duration);

fn seen(event: &WatchEvent) -> Option<Seen> {
    match event {
        WatchEvent::Polled(p) => Some((
            p.poll(),
            p.elapsed(),
            p.status().map(ToString::to_string),
            p.error()
                .and_then(getstream_tasks::Error::status_code)
                .map(|s| s.as_u16()),
            p.next_poll_in()
                .expect("a watched poll always has a next one"),
        )),
        WatchEvent::Finished(_) => None,
    }
}

#[tokio::test(start_paused = true)]
async fn yields_each_poll_then_the_outcome_then_ends() {
    let server = Server::with_task(
        "t1",
        [
            Reply::task("t1", "waiting"),
            Reply::api_error(502, -1, "bad gateway"),
            Reply::task("t1", "running"),
            Reply::task("t1", "completed"),
        ],
    )
    .await;
    let start = Instant::now();
    let mut events = server.client().watch_task("t1");
    let mut polled = Vec::new();
    let mut finished = None;
    while let Some(event) = events.next().await {
        assert!(finished.is_none(), "an event after Finished");
        match event {
            WatchEvent::Finished(outcome) => finished = Some(outcome),
            other => {
                if let WatchEvent::Polled(p) = &other {
                    assert_eq!(p.task_id(), "t1");
                    // The last status seen survives a failed poll.
                    if p.poll() == 2 {
                        assert_eq!(p.last_status(), Some(&TaskStatus::Waiting));
                    }
                }
                polled.push(seen(&other).unwrap());
            }
        }
    }
    let s = |x: &str| Some(x.to_owned());
    assert_eq!(
        polled,
        [
            (1, secs(0), s("waiting"), None, secs(1)),
            (2, secs(1), None, Some(502), secs(1)),
            (3, secs(2), s("running"), None, secs(1)),
        ]
    );
    let task = finished.unwrap().unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(start.elapsed(), secs(3));
    assert!(events.next().await.is_none(), "the stream stays ended");
}

#[tokio::test(start_paused = true)]
async fn the_outcome_is_what_the_wait_returns_failed_timeout_invalid() {
    let server = Server::with_task(
        "bad",
        [
            Reply::task("bad", "running"),
            Reply::task("bad", "failed").with(serde_json::json!({
                "error": {"type": "export_error", "description": "disk full"}
            })),
        ],
    )
    .await;
    server.task("slow", [Reply::task("slow", "running")]);
    let client = server.client();

    let events: Vec<_> = client.watch_task("bad").collect().await;
    assert_eq!(events.len(), 2);
    let Some(WatchEvent::Finished(Err(e))) = events.into_iter().last() else {
        panic!("no outcome");
    };
    assert!(e.is_task(), "{e}");

    let events: Vec<_> = client
        .wait_for_task("slow")
        .policy(PollPolicy::backoff(secs(1), 2.0, secs(60)))
        .timeout(secs(5))
        .watch()
        .collect()
        .await;
    // Polls at 0, 1, 2, 4 s; the next would be at 6 s, past the deadline, so
    // the final one is sent at 4.9 s and its answer ends the wait.
    let times: Vec<Duration> = events
        .iter()
        .filter_map(seen)
        .map(|(_, elapsed, ..)| elapsed)
        .collect();
    assert_eq!(times, [secs(0), secs(1), secs(2), secs(4)]);
    let Some(WatchEvent::Finished(Err(e))) = events.into_iter().last() else {
        panic!("no outcome");
    };
    assert!(e.is_timeout(), "{e}");
    let getstream_tasks::Error::Transport(t) = &e else {
        panic!("{e}")
    };
    assert_eq!(t.polls(), Some(5));
    assert_eq!(t.elapsed(), Some(Duration::from_secs(5)));

    let before = server.requests().len();
    let mut events = client.watch_task("");
    let first = events.next().await.unwrap();
    assert!(matches!(first, WatchEvent::Finished(Err(ref e)) if e.is_invalid_argument()));
    assert!(events.next().await.is_none());
    assert_eq!(server.requests().len(), before);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_stream_or_cancelling_its_token_stops_polling() {
    let server = Server::with_task("t1", [Reply::task("t1", "running")]).await;
    let start = Instant::now();
    let mut events = server.client().watch_task("t1");
    assert!(matches!(events.next().await, Some(WatchEvent::Polled(_))));
    assert!(matches!(events.next().await, Some(WatchEvent::Polled(_))));
    drop(events);
    tokio::time::sleep(secs(30)).await;
    assert_eq!(server.arrivals(start), [secs(0), secs(1)]);

    let server = Server::with_task("t2", [Reply::task("t2", "running")]).await;
    let token = CancellationToken::new();
    let start = Instant::now();
    let mut events = server
        .client()
        .wait_for_task("t2")
        .cancel_on(token.clone())
        .watch();
    assert!(matches!(events.next().await, Some(WatchEvent::Polled(_))));
    let cancel = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        cancel.cancel();
    });
    let last = events.next().await.unwrap().into_finished().unwrap();
    assert!(last.unwrap_err().is_cancelled());
    assert_eq!(start.elapsed(), Duration::from_millis(400));
    assert!(events.next().await.is_none());
    assert_eq!(server.arrivals(start), [secs(0)]);
}

#[tokio::test(start_paused = true)]
async fn typed_waits_watch_and_batch_with_the_same_knobs() {
    use getstream_tasks::{ExportResult, TaskHandle, WaitForTasks};
    let server = Server::start().await;
    for (id, running) in [("e1", 2), ("e2", 0), ("e3", 1)] {
        let mut replies = vec![Reply::task(id, "running"); running];
        replies.push(Reply::task(id, "completed").with(serde_json::json!({
            "result": {"url": format!("https://example.invalid/{id}.json"), "rows": 3}
        })));
        server.task(id, replies);
    }
    let client = server.client();

    // A typed watch: the same events, the outcome decoded.
    let handle = TaskHandle::<ExportResult>::new(&client, "e1");
    let events: Vec<WatchEvent<ExportResult>> = handle
        .wait()
        .policy(PollPolicy::backoff(secs(2), 2.0, secs(60)))
        .watch()
        .collect()
        .await;
    let times: Vec<Duration> = events
        .iter()
        .filter_map(|e| match e {
            WatchEvent::Polled(p) => Some(p.elapsed()),
            WatchEvent::Finished(_) => None,
        })
        .collect();
    assert_eq!(times, [secs(0), secs(2)]);
    let Some(WatchEvent::Finished(Ok(export))) = events.into_iter().last() else {
        panic!("no typed outcome");
    };
    assert_eq!(export.url, "https://example.invalid/e1.json");
    assert_eq!(export.extra["rows"], 3);

    // Typed waits in a batch, in completion order.
    let handles: Vec<TaskHandle<ExportResult>> = ["e2", "e3"]
        .into_iter()
        .map(|id| TaskHandle::new(&client, id))
        .collect();
    let done: Vec<(String, String)> =
        WaitForTasks::from_waits(handles.iter().map(|h| h.wait().interval(secs(1))))
            .map(|o| (o.task_id, o.result.unwrap().url))
            .collect()
            .await;
    assert_eq!(
        done,
        [
            (
                "e2".to_owned(),
                "https://example.invalid/e2.json".to_owned()
            ),
            (
                "e3".to_owned(),
                "https://example.invalid/e3.json".to_owned()
            ),
        ]
    );
}

#[cfg(feature = "blocking")]
mod blocking {
    use super::*;

    use crate::support::{blocking_client as client, server_on_own_thread as server};

    #[test]
    fn the_blocking_watch_is_an_iterator_ending_with_the_outcome() {
        let server = server(|s| {
            s.task(
                "t1",
                [
                    Reply::task("t1", "waiting"),
                    Reply::task("t1", "running"),
                    Reply::task("t1", "completed"),
                ],
            )
        });
        let events: Vec<WatchEvent> = client(&server)
            .wait_for_task("t1")
            .interval(Duration::from_millis(10))
            .watch()
            .collect();
        let statuses: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                WatchEvent::Polled(p) => Some((p.poll(), p.status().cloned())),
                WatchEvent::Finished(_) => None,
            })
            .collect();
        assert_eq!(
            statuses,
            [
                (1, Some(TaskStatus::Waiting)),
                (2, Some(TaskStatus::Running))
            ]
        );
        let Some(WatchEvent::Finished(Ok(task))) = events.into_iter().last() else {
            panic!("no outcome");
        };
        assert_eq!(task.status, TaskStatus::Completed);
        assert_eq!(server.requests().len(), 3);
    }

    #[test]
    fn dropping_the_blocking_watch_stops_polling() {
        let server = server(|s| s.task("t1", [Reply::task("t1", "running")]));
        let mut events = client(&server)
            .wait_for_task("t1")
            .interval(Duration::from_millis(10))
            .timeout(secs(60))
            .watch();
        assert!(matches!(events.next(), Some(WatchEvent::Polled(_))));
        drop(events);
        // At most a poll already under way when the iterator was dropped.
        std::thread::sleep(Duration::from_millis(100));
        let after_drop = server.requests().len();
        assert!(after_drop <= 2, "{after_drop}");
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(server.requests().len(), after_drop, "polled after drop");
    }
}
