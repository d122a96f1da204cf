//! Pushed events wake waits (a client with a `TaskEvents` hub), on tokio's
//! paused clock: the woken poll comes at once, the GET stays the source of
//! truth, bursts coalesce, the deadline and the request budget still hold.

use std::future::IntoFuture;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use getstream_tasks::webhook::{self, WebhookEvent};
use getstream_tasks::{
    DeleteChannelsRequest, DeleteUsersRequest, PollPolicy, TaskEvents, TaskStatus, WatchEvent,
};
use serde_json::json;
use tokio::time::Instant;

use crate::support::{Reply, Server, builder, ms, secs};

fn event(json: serde_json::Value) -> WebhookEvent {
    webhook::parse(json.to_string().as_bytes()).unwrap()
}

fn export_done(task_id: &str) -> WebhookEvent {
    event(json!({"type": "export.channels.success", "task_id": task_id, "url": "https://x/e.json"}))
}

/// A client of `server` whose waits use `long_running()` (every 5 s; with
/// its hub, every 30 s unless an event woke the poll) and listen to `events`.
fn client(server: &Server, events: &TaskEvents) -> getstream_tasks::Client {
    builder(&server.url)
        .poll_policy(PollPolicy::long_running())
        .task_events(events.clone())
        .build()
        .unwrap()
}

/// Lets spawned waits run up to their next sleep (paused clock: no time passes
/// unless every task is idle).
async fn settle() {
    tokio::time::sleep(ms(1)).await;
}

#[tokio::test(start_paused = true)]
async fn an_event_makes_a_sleeping_wait_poll_at_once() {
    let server = Server::with_task(
        "t1",
        [Reply::task("t1", "running"), Reply::task("t1", "completed")],
    )
    .await;
    let events = TaskEvents::new();
    let start = Instant::now();
    let wait = tokio::spawn(client(&server, &events).wait_for_task("t1").into_future());
    tokio::time::sleep(secs(2)).await;
    assert_eq!(events.waits(), 1);
    assert_eq!(events.publish(&export_done("t1")), 1);
    let task = wait.await.unwrap().unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(server.arrivals(start), [secs(0), secs(2)]);
    assert_eq!(start.elapsed(), secs(2));
    // The wait stopped listening when it ended.
    assert_eq!(events.waits(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_forged_event_costs_one_request_and_the_get_decides() {
    let server = Server::with_task(
        "t1",
        [
            Reply::task("t1", "running"),
            Reply::task("t1", "running"),
            Reply::task("t1", "completed"),
        ],
    )
    .await;
    let events = TaskEvents::new();
    let start = Instant::now();
    let wait = tokio::spawn(client(&server, &events).wait_for_task("t1").into_future());
    tokio::time::sleep(secs(2)).await;
    // Says the task is done; the server says it is still running.
    events.publish(&export_done("t1"));
    // Events for other tasks, or naming none, wake nothing.
    assert_eq!(events.publish(&export_done("t2")), 0);
    assert_eq!(events.publish(&event(json!({"type": "message.new"}))), 0);
    let task = wait.await.unwrap().unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    // One extra request at 2 s; it saw the task unfinished, so the
    // schedule's 5 s (not the 30 s safety net) goes on from there.
    assert_eq!(server.arrivals(start), [secs(0), secs(2), secs(7)]);
}

/// With push on, `long_running()` polls every 30 s when no event comes (a
/// safety net), so a job that ends within 30 s costs two requests: the first
/// poll and the one its event causes. Without a hub it polls every 5 s.
#[tokio::test(start_paused = true)]
async fn with_push_long_running_polls_only_as_a_safety_net() {
    let statuses = || {
        [
            Reply::task("t1", "running"),
            Reply::task("t1", "running"),
            Reply::task("t1", "completed"),
        ]
    };
    // The event is lost: the safety net finds the task done.
    let server = Server::with_task("t1", statuses()).await;
    let events = TaskEvents::new();
    let start = Instant::now();
    client(&server, &events)
        .wait_for_task("t1")
        .timeout(secs(300))
        .await
        .unwrap();
    assert_eq!(server.arrivals(start), [secs(0), secs(30), secs(60)]);

    // The event comes at 9.7 s: two requests.
    let server = Server::with_task(
        "t1",
        [Reply::task("t1", "running"), Reply::task("t1", "completed")],
    )
    .await;
    let start = Instant::now();
    let wait = tokio::spawn(client(&server, &events).wait_for_task("t1").into_future());
    tokio::time::sleep(ms(9_700)).await;
    events.publish(&export_done("t1"));
    wait.await.unwrap().unwrap();
    assert_eq!(server.arrivals(start), [secs(0), ms(9_700)]);

    // No hub: the schedule's 5 s.
    let server = Server::with_task("t1", statuses()).await;
    let start = Instant::now();
    builder(&server.url)
        .poll_policy(PollPolicy::long_running())
        .build()
        .unwrap()
        .wait_for_task("t1")
        .await
        .unwrap();
    assert_eq!(server.arrivals(start), [secs(0), secs(5), secs(10)]);
}

/// A failed poll is retried at the schedule's pace even with push on: no
/// event tells that a network error is over.
#[tokio::test(start_paused = true)]
async fn with_push_a_failed_poll_is_retried_at_the_schedule() {
    let server = Server::with_task(
        "t1",
        [
            Reply::task("t1", "running"),
            Reply::api_error(503, 0, "unavailable"),
            Reply::task("t1", "completed"),
        ],
    )
    .await;
    let events = TaskEvents::new();
    let start = Instant::now();
    client(&server, &events)
        .wait_for_task("t1")
        .timeout(secs(300))
        .await
        .unwrap();
    assert_eq!(server.arrivals(start), [secs(0), secs(30), secs(35)]);
}

#[tokio::test(start_paused = true)]
async fn a_burst_causes_one_extra_poll() {
    let server = Server::with_task(
        "t1",
        [
            Reply::task("t1", "running"),
            Reply::task("t1", "running"),
            Reply::task("t1", "running"),
            Reply::task("t1", "completed"),
        ],
    )
    .await;
    let events = TaskEvents::new();
    let start = Instant::now();
    let wait = tokio::spawn(client(&server, &events).wait_for_task("t1").into_future());
    tokio::time::sleep(secs(2)).await;
    // 100 events at once.
    for _ in 0..100 {
        events.publish(&export_done("t1"));
    }
    tokio::time::sleep(secs(1)).await;
    // 100 events over a millisecond (tokio's timer step): the first wakes
    // the wait, the others come while its poll runs or just after.
    for i in 0..100 {
        events.publish(&export_done("t1"));
        if i % 10 == 9 {
            tokio::task::yield_now().await;
        }
        if i == 49 {
            tokio::time::sleep(ms(1)).await;
        }
    }
    wait.await.unwrap().unwrap();
    // The first burst found the task running: the second is kept, and only
    // brings the next poll forward to the schedule's 5 s after the last one.
    assert_eq!(
        server.arrivals(start),
        [secs(0), secs(2), secs(7), secs(12)],
        "one poll per burst, at the schedule's pace"
    );
    assert_eq!(events.published(), 200);
}

/// Replays of one delivery (or forged events) 200 ms apart for a minute: at
/// most one woken poll per second, and once an event found the task
/// unfinished, polls no faster than the schedule (5 s), not one per event.
#[tokio::test(start_paused = true)]
async fn a_stream_of_events_polls_no_faster_than_the_schedule() {
    let server = Server::with_task("t1", [Reply::task("t1", "running")]).await;
    let events = TaskEvents::new();
    let start = Instant::now();
    let wait = tokio::spawn(
        client(&server, &events)
            .wait_for_task("t1")
            .timeout(secs(61))
            .into_future(),
    );
    for _ in 0..300 {
        tokio::time::sleep(ms(200)).await;
        events.publish(&export_done("t1"));
    }
    assert!(wait.await.unwrap().is_err(), "the task never ends");
    let arrivals = server.arrivals(start);
    // 0 s, the first event's poll at 0.2 s, then every 5 s, and the final poll.
    let mut expected = vec![secs(0)];
    expected.extend((0..13).map(|i| ms(200 + 5_000 * i)));
    expected.push(ms(60_900));
    assert_eq!(
        arrivals,
        expected,
        "{} polls for 300 events",
        arrivals.len()
    );
    assert!(events.woken() >= 300);

    // The gap between woken polls is one second even when the schedule's is
    // shorter: a 100 ms schedule, events every 10 ms.
    let server = Server::with_task("t2", [Reply::task("t2", "running")]).await;
    let start = Instant::now();
    let wait = tokio::spawn(
        builder(&server.url)
            .poll_policy(PollPolicy::fixed(ms(100)).push_fallback(secs(30)))
            .task_events(events.clone())
            .build()
            .unwrap()
            .wait_for_task("t2")
            .timeout(ms(5_050))
            .into_future(),
    );
    for _ in 0..500 {
        tokio::time::sleep(ms(10)).await;
        events.publish(&export_done("t2"));
    }
    assert!(wait.await.unwrap().is_err());
    // A woken poll each second (at 10 ms, 1.01 s, …), each followed by the
    // schedule's poll 100 ms later (the fallback's 30 s after that), then the
    // final poll.
    let mut expected = vec![ms(0)];
    for i in 0..5 {
        expected.extend([ms(10 + 1_000 * i), ms(110 + 1_000 * i)]);
    }
    expected.push(ms(4_950));
    assert_eq!(server.arrivals(start), expected);
}

#[tokio::test(start_paused = true)]
async fn an_event_during_the_first_poll_is_not_lost() {
    let server = Server::with_task(
        "t1",
        [
            Reply::task("t1", "running").delayed(ms(300)),
            Reply::task("t1", "completed"),
        ],
    )
    .await;
    let events = TaskEvents::new();
    let start = Instant::now();
    let wait = tokio::spawn(client(&server, &events).wait_for_task("t1").into_future());
    tokio::time::sleep(ms(100)).await;
    // The task finishes while the first answer ("running") is on its way.
    events.publish(&export_done("t1"));
    wait.await.unwrap().unwrap();
    assert_eq!(server.arrivals(start), [secs(0), ms(300)]);
}

#[tokio::test(start_paused = true)]
async fn the_deadline_still_holds() {
    let server = Server::with_task("t1", [Reply::task("t1", "running")]).await;
    let events = TaskEvents::new();
    let start = Instant::now();
    let wait = tokio::spawn(
        client(&server, &events)
            .wait_for_task("t1")
            .timeout(secs(3))
            .into_future(),
    );
    tokio::time::sleep(secs(1)).await;
    events.publish(&export_done("t1"));
    // After the final poll (100 ms before the deadline) events change nothing.
    tokio::time::sleep(ms(1950)).await;
    events.publish(&export_done("t1"));
    let error = wait.await.unwrap().unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert_eq!(start.elapsed(), secs(3));
    assert_eq!(server.arrivals(start), [secs(0), secs(1), ms(2900)]);
}

#[tokio::test(start_paused = true)]
async fn many_task_waits_are_woken_and_keep_their_request_budget() {
    let server = Server::start().await;
    server.task(
        "a",
        [Reply::task("a", "running"), Reply::task("a", "completed")],
    );
    server.task(
        "b",
        [
            Reply::api_error(429, 9, "Too many requests").header("Retry-After", "20"),
            Reply::task("b", "completed"),
        ],
    );
    server.task(
        "c",
        [Reply::task("c", "running"), Reply::task("c", "completed")],
    );
    let events = TaskEvents::new();
    let client = builder(&server.url)
        .poll_policy(PollPolicy::fixed(secs(60)))
        .task_events(events.clone())
        .build()
        .unwrap();
    let start = Instant::now();
    let done: Arc<Mutex<Vec<(String, Duration)>>> = Arc::default();
    let log = done.clone();
    let batch = tokio::spawn(async move {
        let mut outcomes = client.wait_for_tasks(["a", "b"]).timeout(secs(120));
        while let Some(outcome) = outcomes.next().await {
            outcome.result.unwrap();
            log.lock().unwrap().push((outcome.task_id, start.elapsed()));
        }
    });
    tokio::time::sleep(secs(1)).await;
    // b's 429 paused the budget until 20 s: a's woken poll waits for it.
    assert_eq!(events.publish(&export_done("a")), 1);
    batch.await.unwrap();
    let done = done.lock().unwrap().clone();
    assert!(done.contains(&("a".to_owned(), secs(20))), "{done:?}");
    let a: Vec<Duration> = server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/a"))
        .map(|r| r.at - start)
        .collect();
    assert_eq!(a, [secs(0), secs(20)]);

    // Without a pause, the woken poll goes at once.
    let client = builder(&server.url)
        .poll_policy(PollPolicy::fixed(secs(60)))
        .task_events(events.clone())
        .build()
        .unwrap();
    let start = Instant::now();
    let batch = tokio::spawn(async move {
        let mut outcomes = client.wait_for_tasks(["c"]).timeout(secs(120));
        outcomes.next().await.unwrap().result.unwrap();
        start.elapsed()
    });
    tokio::time::sleep(secs(3)).await;
    events.publish(&export_done("c"));
    assert_eq!(batch.await.unwrap(), secs(3));
}

#[tokio::test(start_paused = true)]
async fn watch_yields_the_woken_poll() {
    let server = Server::with_task(
        "t1",
        [
            Reply::task("t1", "running"),
            Reply::task("t1", "running"),
            Reply::task("t1", "completed"),
        ],
    )
    .await;
    let events = TaskEvents::new();
    let client = client(&server, &events);
    let publisher = events.clone();
    tokio::spawn(async move {
        tokio::time::sleep(ms(1500)).await;
        publisher.publish(&export_done("t1"));
    });
    let mut polls = Vec::new();
    let mut stream = client.watch_task("t1");
    while let Some(item) = stream.next().await {
        match item {
            WatchEvent::Polled(seen) => polls.push((seen.poll(), seen.elapsed())),
            WatchEvent::Finished(outcome) => {
                outcome.unwrap();
            }
        }
    }
    assert_eq!(polls, [(1, secs(0)), (2, ms(1500))]);
}

#[tokio::test(start_paused = true)]
async fn channel_deleted_wakes_the_delete_channels_wait_of_that_cid() {
    let server = Server::start().await;
    server.script(
        "/api/v2/chat/channels/delete",
        [Reply::json(
            201,
            json!({"task_id": "d1", "duration": "1ms",
                   "result": {"messaging:a": {"status": "ok"}, "messaging:b": {"status": "ok"}}}),
        )],
    );
    server.task(
        "d1",
        [
            Reply::task("d1", "running"),
            Reply::task("d1", "running"),
            Reply::task("d1", "completed").with(json!({"result": {
                "messaging:a": {"status": "ok"}, "messaging:b": {"status": "ok"}}})),
        ],
    );
    let events = TaskEvents::new();
    let client = client(&server, &events);
    let deleted = client
        .chat()
        .delete_channels(
            DeleteChannelsRequest::new(["messaging:a", "messaging:b"]).hard_delete(true),
        )
        .await
        .unwrap();
    let start = Instant::now();
    let handle = deleted.task().unwrap();
    let wait = tokio::spawn(handle.wait().into_future());
    // A plain wait on the same id knows no cids.
    let plain = tokio::spawn(client.wait_for_task("d1").timeout(secs(30)).into_future());
    settle().await;
    let other = event(json!({"type": "channel.deleted", "cid": "messaging:zzz"}));
    assert_eq!(events.publish(&other), 0);
    tokio::time::sleep(secs(1)).await;
    let mine =
        event(json!({"type": "channel.deleted", "channel_type": "messaging", "channel_id": "b"}));
    let published_at = start.elapsed();
    assert_eq!(
        events.publish(&mine),
        1,
        "only the typed wait knows messaging:b"
    );
    tokio::time::sleep(ms(10)).await;
    let polls: Vec<Duration> = server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v2/tasks/d1")
        .map(|r| r.at - start)
        .collect();
    // Both first polls at once: one request, as the client's scheduler shares
    // the polls of duplicate waits on one task id; then the typed wait's
    // early poll, alone (the plain wait was not woken).
    assert_eq!(polls, [secs(0), published_at], "{polls:?}");
    let result = wait.await.unwrap().unwrap();
    assert!(result.all_ok());
    plain.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn user_events_wake_the_user_job_waits() {
    let server = Server::start().await;
    server.script(
        "/api/v2/users/delete",
        [Reply::json(
            201,
            json!({"task_id": "u1", "duration": "1ms"}),
        )],
    );
    server.task(
        "u1",
        [
            Reply::task("u1", "running"),
            Reply::task("u1", "completed").with(json!({"result": {"alice": {"status": "ok"}}})),
        ],
    );
    let events = TaskEvents::new();
    let client = client(&server, &events);
    let started = client
        .delete_users(DeleteUsersRequest::new(["alice", "bob"]))
        .await
        .unwrap();
    let start = Instant::now();
    let wait = tokio::spawn(started.handle().wait().into_future());
    tokio::time::sleep(secs(2)).await;
    let deleted =
        event(json!({"type": "user.deleted", "user": {"id": "alice"}, "hard_delete": true}));
    assert_eq!(events.publish(&deleted), 1);
    let result = wait.await.unwrap().unwrap();
    assert!(result.all_ok());
    let polls: Vec<Duration> = server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v2/tasks/u1")
        .map(|r| r.at - start)
        .collect();
    assert_eq!(polls, [secs(0), secs(2)]);
}

#[cfg(feature = "blocking")]
#[test]
fn the_blocking_client_is_woken_too() {
    let server = crate::support::server_on_own_thread(|server| {
        server.task(
            "t1",
            [Reply::task("t1", "running"), Reply::task("t1", "completed")],
        );
    });
    let events = TaskEvents::new();
    let client = getstream_tasks::blocking::Client::builder(
        crate::support::API_KEY,
        crate::support::API_SECRET,
    )
    .base_url(&server.url)
    .poll_policy(PollPolicy::fixed(secs(600)))
    .task_events(events.clone())
    .build()
    .unwrap();
    let publisher = std::thread::spawn(move || {
        // Publish (from a plain thread) once the wait listens.
        while events.waits() == 0 {
            std::thread::sleep(ms(5));
        }
        std::thread::sleep(ms(50));
        events.publish(&export_done("t1"))
    });
    let started = std::time::Instant::now();
    let task = client
        .wait_for_task("t1")
        .timeout(secs(600))
        .send()
        .unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(publisher.join().unwrap(), 1);
    // Woken, not polled 10 minutes later.
    assert!(started.elapsed() < secs(60), "{:?}", started.elapsed());
}

#[tokio::test]
async fn listening_keeps_a_wait_small() {
    let server = Server::start().await;
    let events = TaskEvents::new();
    let with_hub = client(&server, &events).wait_for_task("t1").into_future();
    let without = crate::support::client_at(&server.url)
        .wait_for_task("t1")
        .into_future();
    let (with_hub, without) = (
        std::mem::size_of_val(&*with_hub),
        std::mem::size_of_val(&*without),
    );
    eprintln!("wait future: {with_hub} B with a hub, {without} B without");
    // The hub adds its registration and the wake-up to the sleeping state.
    assert!(with_hub < 2048, "{with_hub} B");
}
