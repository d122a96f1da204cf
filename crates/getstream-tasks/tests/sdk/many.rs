//! `client.wait_for_tasks(ids)` against a scripted server on paused time:
//! bounded requests in flight, completion order, a shared budget that slows
//! every wait down on a 429 wave or a low rate-limit window, and nothing fails.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use futures::StreamExt;
use getstream_tasks::{CancellationToken, PollPolicy, TaskOutcome, TaskStatus};
use tokio::time::Instant;

use crate::support::{Recorded, Reply, Server, TestClock, client_at, ms, secs};

/// A scripted server whose answer to each status request is
/// `script(task id, poll number of that task from 1, time since the server
/// started)` -> `(HTTP status, task status or error message, extra headers)`,
/// sent after `delay`.
async fn serve(
    delay: Duration,
    script: impl Fn(&str, usize, Duration) -> (u16, &'static str, Vec<(&'static str, String)>)
    + Send
    + Sync
    + 'static,
) -> (String, Server) {
    let server = Server::start().await;
    server.answer(move |path, n, at| {
        let id = path.rsplit('/').next().unwrap_or_default();
        let (code, what, headers) = script(id, n, at);
        let reply = if code == 200 {
            Reply::task(id, what)
        } else {
            Reply::api_error(code, 9, what)
        };
        headers
            .into_iter()
            .fold(reply, |reply, (name, value)| reply.header(name, &value))
            .delayed(delay)
    });
    (server.url.clone(), server)
}

/// `(arrival since the server started, task id, answered status)` of every
/// request, in arrival order.
fn log(server: &Server, start: Instant) -> Vec<(Duration, String, u16)> {
    server
        .requests()
        .iter()
        .map(|r: &Recorded| {
            let id = r.path.rsplit('/').next().unwrap_or_default().to_owned();
            (r.at - start, id, r.status)
        })
        .collect()
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("task-{i:04}")).collect()
}

fn assert_all_completed(outcomes: &[TaskOutcome], expected: &[String]) {
    let mut seen = BTreeSet::new();
    for o in outcomes {
        match &o.result {
            Ok(task) => {
                assert_eq!(task.status, TaskStatus::Completed);
                assert_eq!(task.task_id, o.task_id);
            }
            Err(e) => panic!("{}: {e}", o.task_id),
        }
        assert!(seen.insert(o.task_id.clone()), "{} twice", o.task_id);
    }
    assert_eq!(seen, expected.iter().cloned().collect::<BTreeSet<_>>());
}

#[tokio::test(start_paused = true)]
async fn a_thousand_tasks_never_more_than_fifty_requests_in_flight() {
    let start = Instant::now();
    let (url, server) = serve(ms(100), |_, n, _| {
        (200, if n < 3 { "running" } else { "completed" }, vec![])
    })
    .await;
    let ids = ids(1000);
    // (The client's own bound, 32 by default, is raised above the batch's.)
    let outcomes: Vec<TaskOutcome> = crate::support::builder(&url)
        .max_in_flight(64)
        .build()
        .unwrap()
        .wait_for_tasks(&ids)
        .concurrency(50)
        .timeout(secs(60))
        .collect()
        .await;
    assert_eq!(outcomes.len(), 1000);
    assert_all_completed(&outcomes, &ids);
    assert_eq!(
        server.max_in_flight(),
        50,
        "the bound is used and never passed"
    );
    let log = log(&server, start);
    assert_eq!(log.len(), 3000);
    let mut polls: HashMap<String, usize> = HashMap::new();
    for (_, id, _) in log {
        *polls.entry(id).or_default() += 1;
    }
    assert!(polls.values().all(|&n| n == 3));
}

#[tokio::test(start_paused = true)]
async fn outcomes_come_in_completion_order() {
    let (url, _server) = serve(Duration::ZERO, |id, n, _| {
        let done_at = match id {
            "slow" => 4,
            "mid" => 2,
            _ => 1,
        };
        let status = if n >= done_at { "completed" } else { "running" };
        (200, status, vec![])
    })
    .await;
    let order: Vec<String> = client_at(&url)
        .wait_for_tasks(["slow", "mid", "fast"])
        .map(|o| o.task_id)
        .collect()
        .await;
    assert_eq!(order, ["fast", "mid", "slow"]);
}

#[tokio::test(start_paused = true)]
async fn a_429_wave_pauses_every_wait_and_nothing_fails() {
    // Every request that arrives between 1.0 s and 1.2 s is throttled with
    // Retry-After: 2; tasks complete from 4 s on.
    let start = Instant::now();
    let (url, server) = serve(Duration::ZERO, |_, _, at| {
        if at >= ms(1000) && at < ms(1200) {
            (
                429,
                "Too many requests",
                vec![("retry-after", "2".to_owned())],
            )
        } else if at >= secs(4) {
            (200, "completed", vec![])
        } else {
            (200, "running", vec![])
        }
    })
    .await;
    let ids = ids(100);
    let outcomes: Vec<TaskOutcome> = client_at(&url)
        .wait_for_tasks(&ids)
        .concurrency(100)
        // Jitter spreads the polls out, so that waits do not move in lockstep.
        .policy(PollPolicy::fixed(ms(250)).jitter(0.5).seed(7))
        .timeout(secs(30))
        .collect()
        .await;
    assert_all_completed(&outcomes, &ids);
    let log = log(&server, start);
    let first_429 = log
        .iter()
        .filter(|(_, _, code)| *code == 429)
        .map(|(at, ..)| *at)
        .min()
        .expect("the wave throttled someone");
    // Without a shared budget, the other 99 waits would poll ~8 times each in
    // the next 2 s; with it, nobody sends a request until Retry-After passes.
    let during: Vec<_> = log
        .iter()
        .filter(|(at, ..)| *at > first_429 && *at < first_429 + secs(2))
        .collect();
    assert!(during.is_empty(), "requests during the pause: {during:?}");
    assert!(
        log.iter().any(|(at, ..)| *at >= first_429 + secs(2)),
        "polling resumed after the pause"
    );
}

#[tokio::test(start_paused = true)]
async fn a_low_rate_limit_window_spaces_requests_out() {
    // 4 requests left of 100, the window resets in ~10 s: about one request
    // every 2 s for everyone together.
    let start = Instant::now();
    let (url, server) = serve(Duration::ZERO, |_, n, at| {
        // Unix seconds on the client's test clock.
        let reset = TestClock::unix_secs(at + secs(10));
        let headers = vec![
            ("x-ratelimit-limit", "100".to_owned()),
            ("x-ratelimit-remaining", "4".to_owned()),
            ("x-ratelimit-reset", reset.to_string()),
        ];
        (200, if n < 2 { "running" } else { "completed" }, headers)
    })
    .await;
    let ids = ids(5);
    let outcomes: Vec<TaskOutcome> = client_at(&url)
        .wait_for_tasks(&ids)
        .timeout(secs(60))
        .collect()
        .await;
    assert_all_completed(&outcomes, &ids);
    let arrivals = server.arrivals(start);
    // The first wave goes out before any answer; then the second polls are
    // spread out instead of all at 1 s.
    assert_eq!(&arrivals[..5], &[Duration::ZERO; 5]);
    for gap in arrivals[5..].windows(2).map(|w| w[1] - w[0]) {
        assert!(gap >= ms(1500), "{arrivals:?}");
    }
    assert_eq!(arrivals.len(), 10);
}

#[tokio::test(start_paused = true)]
async fn zero_concurrency_and_cancellation_are_reported_per_task() {
    let (url, server) = serve(Duration::ZERO, |_, _, _| (200, "running", vec![])).await;
    let client = client_at(&url);
    let outcomes: Vec<TaskOutcome> = client
        .wait_for_tasks(["a", "b"])
        .concurrency(0)
        .collect()
        .await;
    assert_eq!(outcomes.len(), 2);
    assert!(
        outcomes
            .iter()
            .all(|o| o.result.as_ref().unwrap_err().is_invalid_argument())
    );
    assert!(server.requests().is_empty());

    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(ms(2500)).await;
        cancel.cancel();
    });
    let started = Instant::now();
    let outcomes: Vec<TaskOutcome> = client
        .wait_for_tasks(["a", "b", "c"])
        .cancel_on(token)
        .collect()
        .await;
    assert_eq!(started.elapsed(), ms(2500));
    assert_eq!(outcomes.len(), 3);
    for o in &outcomes {
        let e = o.result.as_ref().unwrap_err();
        assert!(e.is_cancelled() && !e.is_timeout(), "{e}");
        assert_eq!(e.task_id(), Some(o.task_id.as_str()));
    }
}
