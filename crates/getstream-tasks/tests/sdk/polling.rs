//! Poll policies on tokio's paused clock: exact poll times for fixed, backoff
//! and long-running policies, reproducible jitter, client-level defaults,
//! server hints over the policy, the poll-attempt header, and tracing.

use std::time::Duration;

use getstream_tasks::{POLL_ATTEMPT_HEADER, PollPolicy, TaskStatus};
use tokio::time::Instant;

use crate::support::{API_SECRET, Reply, Server, builder, global_logs, ms, secs};

fn running_then_completed(server: &Server, id: &str, running: usize) {
    let mut replies = vec![Reply::task(id, "running"); running];
    replies.push(Reply::task(id, "completed"));
    server.task(id, replies);
}

#[tokio::test(start_paused = true)]
async fn backoff_polls_at_0_1_2_4_8_seconds() {
    let server = Server::start().await;
    running_then_completed(&server, "t1", 4);
    let start = Instant::now();
    let task = server
        .client()
        .wait_for_task("t1")
        .policy(PollPolicy::backoff(secs(1), 2.0, secs(60)))
        .await
        .unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(
        server.arrivals(start),
        [secs(0), secs(1), secs(2), secs(4), secs(8)]
    );
}

#[tokio::test(start_paused = true)]
async fn backoff_stops_growing_at_its_cap_and_the_final_poll_comes_before_the_deadline() {
    let server = Server::with_task("t1", [Reply::task("t1", "running")]).await;
    let start = Instant::now();
    let e = server
        .client()
        .wait_for_task("t1")
        .policy(PollPolicy::backoff(secs(1), 2.0, secs(4)))
        .timeout(secs(17))
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    // Delays 1, 1, 2, 4, then the cap (4 s); the next poll would be at 20 s,
    // past the deadline, so the final one is sent 100 ms before it.
    assert_eq!(
        server.arrivals(start),
        [
            secs(0),
            secs(1),
            secs(2),
            secs(4),
            secs(8),
            secs(12),
            secs(16),
            ms(16_900)
        ]
    );
    assert_eq!(start.elapsed(), secs(17));
}

#[tokio::test(start_paused = true)]
async fn long_running_preset_polls_every_five_seconds() {
    let server = Server::start().await;
    running_then_completed(&server, "t1", 3);
    let start = Instant::now();
    server
        .client()
        .wait_for_task("t1")
        .policy(PollPolicy::long_running())
        .timeout(secs(300))
        .await
        .unwrap();
    assert_eq!(
        server.arrivals(start),
        [secs(0), secs(5), secs(10), secs(15)]
    );
}

#[tokio::test(start_paused = true)]
async fn seeded_jitter_gives_the_same_poll_times_every_run() {
    let policy = PollPolicy::fixed(secs(2)).jitter(0.5).seed(1234);
    let mut runs = Vec::new();
    // The same task twice with one seed, then with another seed.
    for (id, seed) in [("a", 1234), ("a", 1234), ("a", 99)] {
        let server = Server::start().await;
        running_then_completed(&server, id, 6);
        let start = Instant::now();
        server
            .client()
            .wait_for_task(id)
            .policy(policy.seed(seed))
            .await
            .unwrap();
        let path = format!("/api/v2/tasks/{id}");
        let times: Vec<Duration> = server
            .requests()
            .iter()
            .filter(|r| r.path == path)
            .map(|r| r.at - start)
            .collect();
        assert_eq!(times.len(), 7);
        for gap in times.windows(2).map(|w| w[1] - w[0]) {
            assert!(
                gap >= secs(1) && gap <= secs(2),
                "{gap:?} outside [1 s, 2 s]"
            );
        }
        runs.push(times);
    }
    assert_eq!(runs[0], runs[1], "same seed, same poll times");
    assert_ne!(runs[0], runs[2], "another seed, other poll times");
    assert!(
        runs[0].iter().any(|t| t.subsec_nanos() != 0),
        "jitter moved the polls off whole seconds: {:?}",
        runs[0]
    );
}

#[tokio::test(start_paused = true)]
async fn invalid_policies_fail_before_any_request() {
    let server = Server::with_task("t1", [Reply::task("t1", "completed")]).await;
    let client = server.client();
    for policy in [
        PollPolicy::fixed(Duration::ZERO),
        PollPolicy::backoff(secs(1), 0.9, secs(10)),
        PollPolicy::backoff(secs(1), f64::NAN, secs(10)),
        PollPolicy::backoff(Duration::ZERO, 2.0, secs(10)),
        PollPolicy::backoff(secs(5), 2.0, secs(1)),
        PollPolicy::fixed(secs(1)).jitter(2.0),
    ] {
        let e = client.wait_for_task("t1").policy(policy).await.unwrap_err();
        assert!(e.is_invalid_argument(), "{policy:?}: {e}");
    }
    assert!(server.requests().is_empty());
    // A client default is checked when the client is built.
    let e = builder(&server.url)
        .poll_policy(PollPolicy::backoff(secs(1), -1.0, secs(2)))
        .build()
        .unwrap_err();
    assert!(e.is_invalid_argument(), "{e}");
    let e = builder(&server.url)
        .wait_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(e.is_invalid_argument(), "{e}");
}

#[tokio::test(start_paused = true)]
async fn client_defaults_apply_to_every_wait_and_a_wait_overrides_them() {
    let server = Server::start().await;
    let client = builder(&server.url)
        .poll_policy(PollPolicy::backoff(secs(2), 3.0, secs(60)))
        .wait_timeout(secs(10))
        .build()
        .unwrap();

    // The client's policy and timeout: delays 2, 2, 6 s give polls at 0, 2,
    // 4; the next (10 s) is not before the final poll slot, 9.9 s.
    server.task("t1", [Reply::task("t1", "running")]);
    let start = Instant::now();
    let e = client.wait_for_task("t1").await.unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert_eq!(
        server.arrivals(start),
        [secs(0), secs(2), secs(4), ms(9900)]
    );

    // The wait's own interval and timeout win.
    let server = Server::start().await;
    let client = builder(&server.url)
        .poll_policy(PollPolicy::long_running())
        .wait_timeout(secs(10))
        .build()
        .unwrap();
    server.task("t2", [Reply::task("t2", "running")]);
    let start = Instant::now();
    let e = client
        .wait_for_task("t2")
        .interval(secs(1))
        .timeout(secs(3))
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert_eq!(
        server.arrivals(start),
        [secs(0), secs(1), secs(2), ms(2900)]
    );
}

#[tokio::test(start_paused = true)]
async fn server_hints_win_over_the_policy() {
    let server = Server::with_task(
        "t1",
        [
            Reply::task("t1", "running"),
            Reply::api_error(429, 9, "Too many requests").header("retry-after", "10"),
            Reply::task("t1", "running"),
            Reply::task("t1", "completed"),
        ],
    )
    .await;
    let start = Instant::now();
    server
        .client()
        .wait_for_task("t1")
        .policy(PollPolicy::backoff(secs(1), 2.0, secs(60)))
        .await
        .unwrap();
    // 0; +1 (backoff); +10 (Retry-After beats the backoff's 1 s); +2 (backoff).
    assert_eq!(
        server.arrivals(start),
        [secs(0), secs(1), secs(11), secs(13)]
    );
}

#[tokio::test(start_paused = true)]
async fn the_poll_attempt_header_is_off_by_default_and_counts_polls_when_on() {
    let server = Server::start().await;
    running_then_completed(&server, "t1", 2);
    server.client().wait_for_task("t1").await.unwrap();
    assert!(
        server
            .requests()
            .iter()
            .all(|r| !r.headers.contains_key(POLL_ATTEMPT_HEADER))
    );

    let server = Server::with_task(
        "t1",
        [
            Reply::task("t1", "running"),
            Reply::api_error(503, -1, "busy"),
            Reply::task("t1", "completed"),
        ],
    )
    .await;
    let client = builder(&server.url)
        .poll_attempt_header(true)
        .build()
        .unwrap();
    client.wait_for_task("t1").await.unwrap();
    let attempts: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.headers[POLL_ATTEMPT_HEADER].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(attempts, ["1", "2", "3"]);
    // A plain get_task is not a poll of a wait: no header.
    client.get_task("t1").await.unwrap();
    let last = server.requests().pop().unwrap();
    assert!(!last.headers.contains_key(POLL_ATTEMPT_HEADER));
}

#[tokio::test(start_paused = true)]
async fn tracing_has_a_span_per_wait_and_an_event_per_poll_without_secrets() {
    let server = Server::with_task(
        "t-traced",
        [
            Reply::task("t-traced", "running"),
            Reply::api_error(503, -1, "busy"),
            Reply::task("t-traced", "completed"),
        ],
    )
    .await;
    let captured = global_logs();
    server.client().wait_for_task("t-traced").await.unwrap();
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The capture is global (see `global_logs`): this wait's lines carry its span.
    let polls: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("task_id=t-traced"))
        .filter(|l| l.contains("polled task") || l.contains("poll failed"))
        .collect();
    assert_eq!(polls.len(), 3, "{log}");
    for (n, line) in (1..).zip(&polls) {
        assert!(
            line.contains("wait_for_task{task_id=t-traced}"),
            "no span: {line}"
        );
        assert!(line.contains(&format!("attempt={n}")), "{line}");
    }
    assert!(polls[0].contains("status=running") && polls[0].contains("delay=Some(1s)"));
    assert!(polls[1].contains("503"), "{}", polls[1]);
    assert!(polls[2].contains("status=completed") && polls[2].contains("delay=None"));
    assert!(!log.contains(API_SECRET), "the secret leaked: {log}");
    assert!(!log.contains("eyJ"), "a JWT leaked: {log}");
}
