//! `client.wait_for_tasks(ids)` against a scripted server on paused time:
//! bounded requests in flight, completion order, a shared budget that slows
//! every wait down on a 429 wave or a low rate-limit window, and nothing fails.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use getstream::{CancellationToken, PollPolicy, TaskOutcome, TaskStatus};
use http::StatusCode;
use serde_json::json;
use tokio::time::Instant;

use super::support::client_at;

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// What the scripted server answers: `(task id, poll number of that task from
/// 1, time since the server started)` -> `(HTTP status, task status or error,
/// extra headers)`.
type Script =
    dyn Fn(&str, usize, Duration) -> (u16, &'static str, Vec<(&'static str, String)>) + Send + Sync;

#[derive(Default)]
struct Stats {
    polls: HashMap<String, usize>,
    in_flight: usize,
    max_in_flight: usize,
    /// (arrival since start, task id, answered status code)
    log: Vec<(Duration, String, u16)>,
}

struct Scripted {
    start: Instant,
    delay: Duration,
    script: Box<Script>,
    stats: Mutex<Stats>,
}

async fn handle(State(server): State<Arc<Scripted>>, request: Request) -> Response {
    let id = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let at = server.start.elapsed();
    let n = {
        let mut stats = server.stats.lock().unwrap();
        stats.in_flight += 1;
        stats.max_in_flight = stats.max_in_flight.max(stats.in_flight);
        let n = stats.polls.entry(id.clone()).or_default();
        *n += 1;
        *n
    };
    tokio::time::sleep(server.delay).await;
    let (code, what, headers) = (server.script)(&id, n, at);
    {
        let mut stats = server.stats.lock().unwrap();
        stats.in_flight -= 1;
        stats.log.push((at, id.clone(), code));
    }
    let body = if code == 200 {
        json!({"task_id": id, "status": what, "duration": "0.1ms"})
    } else {
        json!({"code": 9, "message": what, "StatusCode": code, "duration": "0.1ms"})
    };
    let mut response = (StatusCode::from_u16(code).unwrap(), axum::Json(body)).into_response();
    for (name, value) in headers {
        response
            .headers_mut()
            .insert(name, http::HeaderValue::from_str(&value).unwrap());
    }
    response
}

async fn serve(
    delay: Duration,
    script: impl Fn(&str, usize, Duration) -> (u16, &'static str, Vec<(&'static str, String)>)
    + Send
    + Sync
    + 'static,
) -> (String, Arc<Scripted>) {
    let state = Arc::new(Scripted {
        start: Instant::now(),
        delay,
        script: Box::new(script),
        stats: Mutex::new(Stats::default()),
    });
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
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
    let (url, server) = serve(ms(100), |_, n, _| {
        (200, if n < 3 { "running" } else { "completed" }, vec![])
    })
    .await;
    let ids = ids(1000);
    let outcomes: Vec<TaskOutcome> = client_at(&url)
        .wait_for_tasks(&ids)
        .concurrency(50)
        .timeout(secs(60))
        .collect()
        .await;
    assert_eq!(outcomes.len(), 1000);
    assert_all_completed(&outcomes, &ids);
    let stats = server.stats.lock().unwrap();
    assert_eq!(
        stats.max_in_flight, 50,
        "the bound is used and never passed"
    );
    assert_eq!(stats.log.len(), 3000);
    assert!(stats.polls.values().all(|&n| n == 3));
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
    let stats = server.stats.lock().unwrap();
    let first_429 = stats
        .log
        .iter()
        .filter(|(_, _, code)| *code == 429)
        .map(|(at, ..)| *at)
        .min()
        .expect("the wave throttled someone");
    // Without a shared budget, the other 99 waits would poll ~8 times each in
    // the next 2 s; with it, nobody sends a request until Retry-After passes.
    let during: Vec<_> = stats
        .log
        .iter()
        .filter(|(at, ..)| *at > first_429 && *at < first_429 + secs(2))
        .collect();
    assert!(during.is_empty(), "requests during the pause: {during:?}");
    assert!(
        stats.log.iter().any(|(at, ..)| *at >= first_429 + secs(2)),
        "polling resumed after the pause"
    );
}

#[tokio::test(start_paused = true)]
async fn a_low_rate_limit_window_spaces_requests_out() {
    // 4 requests left of 100, the window resets in ~10 s: about one request
    // every 2 s for everyone together.
    let (url, server) = serve(Duration::ZERO, |_, n, _| {
        let reset = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 10;
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
    let stats = server.stats.lock().unwrap();
    let arrivals: Vec<Duration> = stats.log.iter().map(|(at, ..)| *at).collect();
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
    assert!(server.stats.lock().unwrap().log.is_empty());

    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(ms(2500)).await;
        cancel.cancel();
    });
    let start = Instant::now();
    let outcomes: Vec<TaskOutcome> = client
        .wait_for_tasks(["a", "b", "c"])
        .cancel_on(token)
        .collect()
        .await;
    assert_eq!(start.elapsed(), ms(2500));
    assert_eq!(outcomes.len(), 3);
    for o in &outcomes {
        let e = o.result.as_ref().unwrap_err();
        assert!(e.is_cancelled() && !e.is_timeout(), "{e}");
        assert_eq!(e.task_id(), Some(o.task_id.as_str()));
    }
}
