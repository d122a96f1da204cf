//! The client-wide scheduler against scripted loopback servers on paused
//! time: the in-flight bound (counted as concurrent requests and as
//! connections on the server), duplicate waits sharing their polls, and the
//! request budget pacing many waits through a rate-limited route.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use getstream_tasks::{CancellationToken, TaskStatus};
use tokio::time::Instant;

use crate::support::{Reply, Server, TestClock, builder, ms, secs, waits_complete};

/// A server where every task completes on its `done_on`-th poll, each answer
/// after `delay`.
async fn tasks_done_on(done_on: usize, delay: Duration) -> Server {
    let server = Server::start().await;
    server.answer(move |path, n, _| {
        let id = path.rsplit('/').next().unwrap_or_default();
        let status = if n >= done_on { "completed" } else { "running" };
        Reply::task(id, status).delayed(delay)
    });
    server
}

fn peers(server: &Server) -> usize {
    server
        .requests()
        .iter()
        .map(|r| r.peer)
        .collect::<BTreeSet<_>>()
        .len()
}

#[tokio::test(start_paused = true)]
async fn independent_waits_never_pass_the_clients_bound() {
    let server = tasks_done_on(3, ms(100)).await;
    let client = builder(&server.url).build().unwrap();
    // Each wait on a clone of the client: clones share the bound.
    waits_complete(&client, "task-", 500, ms(200), secs(120)).await;
    let bound = getstream_tasks::DEFAULT_MAX_IN_FLIGHT;
    assert_eq!(server.requests().len(), 1500);
    assert_eq!(
        server.max_in_flight(),
        bound,
        "the bound is used, never passed"
    );
    assert_eq!(client.peak_in_flight(), bound);
    assert!(peers(&server) <= bound, "{} connections", peers(&server));
}

#[tokio::test(start_paused = true)]
async fn waits_and_operations_of_clones_share_one_small_bound() {
    let server = tasks_done_on(2, ms(50)).await;
    let client = builder(&server.url).max_in_flight(3).build().unwrap();
    let mut jobs = Vec::new();
    for i in 0..40 {
        let client = client.clone();
        jobs.push(tokio::spawn(async move {
            if i % 2 == 0 {
                client.get_task(&format!("op-{i}")).await.map(|_| ())
            } else {
                client
                    .wait_for_tasks([format!("a-{i}"), format!("b-{i}")])
                    .for_each(|o| async move {
                        o.result.unwrap();
                    })
                    .await;
                Ok(())
            }
        }));
    }
    for job in jobs {
        job.await.unwrap().unwrap();
    }
    assert_eq!(server.max_in_flight(), 3);
    assert!(peers(&server) <= 3, "{} connections", peers(&server));
}

#[tokio::test(start_paused = true)]
async fn a_queued_wait_still_ends_at_its_deadline_and_can_be_cancelled() {
    let server = Server::start().await;
    server.answer(|path, _, _| {
        let id = path.rsplit('/').next().unwrap_or_default();
        if id == "stuck" {
            Reply::hang()
        } else {
            Reply::task(id, "running")
        }
    });
    let client = builder(&server.url).max_in_flight(1).build().unwrap();
    // The one slot is held by a request that never gets its answer.
    let holder = tokio::spawn({
        let client = client.clone();
        async move { client.wait_for_task("stuck").timeout(secs(60)).await }
    });
    tokio::time::sleep(ms(10)).await;
    let start = Instant::now();
    let error = client
        .wait_for_task("queued")
        .timeout(secs(2))
        .await
        .unwrap_err();
    assert_eq!(Instant::now() - start, secs(2), "not a moment late");
    assert!(
        crate::support::transport_error(&error).is_wait_timeout(),
        "{error}"
    );
    let token = CancellationToken::new();
    let cancelled = tokio::spawn({
        let client = client.clone();
        let token = token.clone();
        async move { client.wait_for_task("queued").cancel_on(token).await }
    });
    tokio::time::sleep(secs(1)).await;
    token.cancel();
    assert!(cancelled.await.unwrap().unwrap_err().is_cancelled());
    holder.abort();
    // Nothing but the holder ever reached the server.
    assert!(server.requests().iter().all(|r| r.path.ends_with("/stuck")));
}

#[tokio::test(start_paused = true)]
async fn duplicate_waits_on_one_task_share_their_polls() {
    let server = Server::start().await;
    // The task completes 3 s after the server starts.
    server.answer(|path, _, at| {
        let id = path.rsplit('/').next().unwrap_or_default();
        let status = if at >= secs(3) {
            "completed"
        } else {
            "running"
        };
        Reply::task(id, status).delayed(ms(50))
    });
    let client = builder(&server.url).build().unwrap();
    let polls_seen = Arc::new(Mutex::new(0_u32));
    let mut waits = Vec::new();
    for _ in 0..20 {
        let client = client.clone();
        let polls_seen = polls_seen.clone();
        waits.push(tokio::spawn(async move {
            client
                .wait_for_task("same")
                .interval(secs(1))
                .on_poll(move |_| *polls_seen.lock().unwrap() += 1)
                .await
        }));
    }
    // One of them gives up early and another is cancelled: the others go on.
    let short = client.wait_for_task("same").timeout(ms(1500));
    let token = CancellationToken::new();
    let cancelled = tokio::spawn({
        let wait = client.wait_for_task("same").cancel_on(token.clone());
        async move { wait.await }
    });
    let short_error = short.await.unwrap_err();
    assert!(short_error.is_timeout(), "{short_error}");
    token.cancel();
    assert!(cancelled.await.unwrap().unwrap_err().is_cancelled());
    for wait in waits {
        assert_eq!(wait.await.unwrap().unwrap().status, TaskStatus::Completed);
    }
    let requests = server.requests().len();
    // Each wait saw its own polls (about 4 each), but the server answered
    // each round once.
    let seen = *polls_seen.lock().unwrap();
    assert!(seen >= 20 * 4, "{seen}");
    assert!(
        requests <= 6,
        "{requests} requests for 22 waits of ~4 polls"
    );
}

/// Issue 16's scenario on paused time: 300 tasks done 3 s after they start,
/// a route limited to 1,200 requests a minute (fixed windows, 429 past it),
/// waits polling every 200 ms with a 90 s timeout.
async fn rate_limited_route() -> (Server, Arc<Mutex<HashMap<u64, u64>>>) {
    let server = Server::start().await;
    let windows: Arc<Mutex<HashMap<u64, u64>>> = Arc::default();
    let counts = windows.clone();
    server.answer(move |path, _, at| {
        let id = path.rsplit('/').next().unwrap_or_default();
        let window = at.as_secs() / 60;
        let used = {
            let mut counts = counts.lock().unwrap();
            let used = counts.entry(window).or_default();
            *used += 1;
            *used
        };
        let reset = TestClock::unix_secs(secs((window + 1) * 60)).to_string();
        let remaining = 1200_u64.saturating_sub(used).to_string();
        let reply = if used > 1200 {
            Reply::api_error(429, 9, "Too many requests")
        } else if at >= secs(3) {
            Reply::task(id, "completed")
        } else {
            Reply::task(id, "running")
        };
        reply
            .header("x-ratelimit-limit", "1200")
            .header("x-ratelimit-remaining", &remaining)
            .header("x-ratelimit-reset", &reset)
            .delayed(ms(20))
    });
    (server, windows)
}

fn check_paced(server: &Server, took: Duration) {
    let requests = server.requests();
    let throttled = requests.iter().filter(|r| r.status == 429).count();
    assert_eq!(throttled, 0, "the window was burned");
    assert!(took <= secs(25), "all seen after {took:?}");
    // The ideal: one poll per task once done, plus what the window allows
    // in the 3 s before (20 a second).
    let ideal = 300 + 60;
    assert!(
        requests.len() * 2 <= ideal * 3,
        "{} polls, ideal {ideal}",
        requests.len()
    );
}

#[tokio::test(start_paused = true)]
async fn independent_waits_pace_to_the_window() {
    let (server, _) = rate_limited_route().await;
    let client = builder(&server.url).build().unwrap();
    let start = Instant::now();
    waits_complete(&client, "task-", 300, ms(200), secs(90)).await;
    check_paced(&server, Instant::now() - start);
}

#[tokio::test(start_paused = true)]
async fn a_many_task_wait_paces_to_the_window() {
    let (server, _) = rate_limited_route().await;
    let client = builder(&server.url).build().unwrap();
    let start = Instant::now();
    let ids: Vec<String> = (0..300).map(|i| format!("task-{i}")).collect();
    let outcomes: Vec<_> = client
        .wait_for_tasks(&ids)
        .concurrency(300)
        .interval(ms(200))
        .timeout(secs(90))
        .collect()
        .await;
    assert!(outcomes.iter().all(|o| o.result.is_ok()));
    check_paced(&server, Instant::now() - start);
}
