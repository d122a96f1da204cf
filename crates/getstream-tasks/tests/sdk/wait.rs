//! `wait_for_task` on tokio's paused clock: exact timing, the three outcomes,
//! transient faults that do not end the wait, permanent ones that do.

use std::time::Duration;

use getstream_tasks::{Error, TaskStatus};
use serde_json::json;
use tokio::time::Instant;

use crate::support::{
    Reply, Server, TestClock, builder, client_at, dropping_server, ms, refusing_url, secs,
    transport_error,
};

#[tokio::test(start_paused = true)]
async fn completed_on_the_first_poll() {
    let server = Server::with_task(
        "t1",
        [Reply::task("t1", "completed")
            .with(json!({"result": {"url": "https://example.invalid/e.json"}}))],
    )
    .await;
    let start = Instant::now();
    let task = server.client().wait_for_task("t1").await.unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(
        task.result.unwrap()["url"],
        "https://example.invalid/e.json"
    );
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(server.arrivals(start), [Duration::ZERO]);
}

#[tokio::test(start_paused = true)]
async fn waiting_then_running_then_completed_polls_every_interval() {
    let server = Server::with_statuses("t1", &["waiting", "running", "completed"]).await;
    let start = Instant::now();
    let task = server.client().wait_for_task("t1").await.unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(server.arrivals(start), [secs(0), secs(1), secs(2)]);
    assert_eq!(start.elapsed(), secs(2));
}

#[tokio::test(start_paused = true)]
async fn statuses_match_case_insensitively() {
    let server = Server::with_statuses("t1", &["Running", "COMPLETED"]).await;
    let start = Instant::now();
    let task = server.client().wait_for_task("t1").await.unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(server.arrivals(start), [secs(0), secs(1)]);
}

#[tokio::test(start_paused = true)]
async fn a_custom_interval_is_used() {
    let server = Server::with_statuses("t1", &["running", "running", "completed"]).await;
    let start = Instant::now();
    server
        .client()
        .wait_for_task("t1")
        .interval(ms(250))
        .await
        .unwrap();
    assert_eq!(server.arrivals(start), [ms(0), ms(250), ms(500)]);
}

#[tokio::test(start_paused = true)]
async fn failed_task_carries_every_field() {
    let server = Server::with_task(
        "t1",
        [
            Reply::task("t1", "running"),
            Reply::task("t1", "failed").with(json!({"error": {
                "type": "internal",
                "description": "hard delete failed for messaging:general",
                "stacktrace": "goroutine 1 [running]:\nmain.main()",
                "version": "v5.12.3",
            }, "result": {"messaging:general": {"status": "error"}}})),
        ],
    )
    .await;
    let start = Instant::now();
    let e = server.client().wait_for_task("t1").await.unwrap_err();
    assert_eq!(start.elapsed(), secs(1));
    assert!(e.is_task() && !e.is_timeout() && !e.is_api(), "{e}");
    assert_eq!(e.task_id(), Some("t1"));
    let Error::Task(t) = &e else { unreachable!() };
    assert_eq!(t.task_id(), "t1");
    assert_eq!(t.error_type(), "internal");
    assert_eq!(t.description(), "hard delete failed for messaging:general");
    assert_eq!(t.stack_trace(), Some("goroutine 1 [running]:\nmain.main()"));
    assert_eq!(t.version(), Some("v5.12.3"));
    assert_eq!(
        t.task().result.as_ref().unwrap()["messaging:general"]["status"],
        "error"
    );
    assert_eq!(
        e.to_string(),
        "task t1 failed (internal): hard delete failed for messaging:general"
    );
}

#[tokio::test(start_paused = true)]
async fn failed_task_without_error_object() {
    let server = Server::with_task("t1", [Reply::task("t1", "failed")]).await;
    let e = server.client().wait_for_task("t1").await.unwrap_err();
    let Error::Task(t) = &e else { panic!("{e}") };
    assert_eq!(t.error_type(), "unknown");
    assert_eq!(t.description(), "");
    assert_eq!((t.stack_trace(), t.version()), (None, None));
}

#[tokio::test(start_paused = true)]
async fn a_500_then_completed_succeeds() {
    let server = Server::with_task(
        "t1",
        [
            Reply::api_error(500, -1, "internal error"),
            Reply::task("t1", "completed"),
        ],
    )
    .await;
    let start = Instant::now();
    let task = server.client().wait_for_task("t1").await.unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(server.arrivals(start), [secs(0), secs(1)]);
}

#[tokio::test(start_paused = true)]
async fn an_html_502_is_retried_and_reported_cleanly() {
    let server = Server::start().await;
    let html = "<html><body>502 Bad Gateway</body></html>";
    server.task(
        "t1",
        [Reply::text(502, html), Reply::task("t1", "completed")],
    );
    let start = Instant::now();
    assert!(server.client().wait_for_task("t1").await.is_ok());
    assert_eq!(server.arrivals(start), [secs(0), secs(1)]);

    // With the official behaviour, the same 502 ends the wait as a clean ApiError.
    server.task(
        "t2",
        [Reply::text(502, html), Reply::task("t2", "completed")],
    );
    let e = server
        .client()
        .wait_for_task("t2")
        .abort_on_error(true)
        .await
        .unwrap_err();
    let Error::Api(api) = &e else { panic!("{e}") };
    assert_eq!((api.status_code().as_u16(), api.code()), (502, 0));
    assert_eq!(api.raw_body(), html);
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/t2"))
            .count(),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_with_retry_after_delays_the_next_poll() {
    let server = Server::with_task(
        "t1",
        [
            Reply::api_error(429, 9, "Too many requests").header("retry-after", "2"),
            Reply::task("t1", "completed"),
        ],
    )
    .await;
    let start = Instant::now();
    let task = server.client().wait_for_task("t1").await.unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(server.arrivals(start), [secs(0), secs(2)]);
}

#[tokio::test(start_paused = true)]
async fn a_429_without_retry_after_waits_for_the_rate_limit_reset() {
    let server = Server::start().await;
    // Unix seconds, on the client's test clock: the reset is 10 s away.
    let reset = TestClock::unix_secs(secs(10)).to_string();
    server.task(
        "t1",
        [
            Reply::api_error(429, 9, "Too many requests")
                .header("x-ratelimit-limit", "60")
                .header("x-ratelimit-remaining", "0")
                .header("x-ratelimit-reset", &reset),
            Reply::task("t1", "completed"),
        ],
    );
    let start = Instant::now();
    server.client().wait_for_task("t1").await.unwrap();
    assert_eq!(server.arrivals(start), [secs(0), secs(10)]);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_the_deadline_ends_the_wait_at_its_deadline() {
    let server = Server::with_task(
        "t1",
        [Reply::api_error(429, 9, "Too many requests").header("retry-after", "30")],
    )
    .await;
    let start = Instant::now();
    let e = server.wait_error("t1", secs(5)).await;
    // The 429 pauses every request of the client for 30 s: the final poll
    // cannot be sent before the deadline, so the wait gives up at the
    // deadline (not a moment later) without another request.
    assert_eq!(server.arrivals(start), [secs(0)]);
    assert_eq!(start.elapsed(), secs(5));
    let t = transport_error(&e);
    assert!(t.is_wait_timeout());
    assert_eq!(t.polls(), Some(2));
    let last = t.last_error().map(ToString::to_string).unwrap_or_default();
    assert!(last.contains("no request slot"), "{last}");
}

#[tokio::test(start_paused = true)]
async fn a_spent_window_on_a_success_waits_for_the_reset() {
    let server = Server::with_task(
        "t1",
        [
            Reply::task("t1", "running")
                .header("x-ratelimit-remaining", "0")
                .header(
                    "x-ratelimit-reset",
                    &TestClock::unix_secs(secs(5)).to_string(),
                ),
            Reply::task("t1", "completed"),
        ],
    )
    .await;
    let start = Instant::now();
    server.client().wait_for_task("t1").await.unwrap();
    assert_eq!(server.arrivals(start), [secs(0), secs(5)]);
}

#[tokio::test(start_paused = true)]
async fn a_401_ends_the_wait_after_exactly_one_request() {
    let server = Server::with_task(
        "t1",
        [
            Reply::api_error(401, 5, "invalid signature"),
            Reply::task("t1", "completed"),
        ],
    )
    .await;
    let start = Instant::now();
    let e = server.client().wait_for_task("t1").await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(e.status_code(), Some(http::StatusCode::UNAUTHORIZED));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn permanent_errors_end_the_wait_at_once() {
    let server = Server::start().await;
    let mut unrecoverable = Reply::api_error(503, 17, "task store disabled");
    unrecoverable = unrecoverable.with(json!({"unrecoverable": true}));
    let cases = [
        ("bad-request", Reply::api_error(400, 4, "bad id"), 400),
        ("forbidden", Reply::api_error(403, 17, "not allowed"), 403),
        (
            "missing",
            Reply::api_error(404, 16, "Can't find task with id missing"),
            404,
        ),
        ("unrecoverable", unrecoverable, 503),
    ];
    for (id, reply, status) in cases {
        server.task(id, [reply, Reply::task(id, "completed")]);
        let e = server.client().wait_for_task(id).await.unwrap_err();
        assert_eq!(e.status_code().map(|s| s.as_u16()), Some(status), "{e}");
        let count = server
            .requests()
            .iter()
            .filter(|r| r.path.ends_with(&format!("/{id}")))
            .count();
        assert_eq!(count, 1, "{id}");
    }
    server.task(
        "missing",
        [Reply::api_error(404, 16, "Can't find task with id missing")],
    );
    let e = server.client().wait_for_task("missing").await.unwrap_err();
    assert!(e.is_not_found() && !e.is_timeout());
}

#[tokio::test(start_paused = true)]
async fn a_malformed_200_ends_the_wait_with_a_decode_error() {
    let server = Server::start().await;
    server.task(
        "t1",
        [
            Reply::text(200, "{\"task_id\": \"t1\", \"stat"),
            Reply::task("t1", "completed"),
        ],
    );
    let e = server.client().wait_for_task("t1").await.unwrap_err();
    assert!(e.is_decode(), "{e}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_unknown_status_keeps_polling_until_the_timeout() {
    let server = Server::with_task("t1", [Reply::task("t1", "Suspended")]).await;
    let start = Instant::now();
    let e = server.wait_error("t1", secs(3)).await;
    // First poll at once, then every second; the final one is sent 100 ms
    // before the deadline; the wait gives up at the deadline itself.
    assert_eq!(
        server.arrivals(start),
        [secs(0), secs(1), secs(2), ms(2900)]
    );
    assert_eq!(start.elapsed(), secs(3));
    assert!(e.is_timeout() && e.is_transport());
    assert_eq!(e.task_id(), Some("t1"));
    let t = transport_error(&e);
    assert_eq!(t.error_type(), "timeout");
    assert_eq!(
        t.last_status(),
        Some(&TaskStatus::Unknown("Suspended".into()))
    );
    assert_eq!(t.polls(), Some(4));
    assert_eq!(t.elapsed(), Some(secs(3)));
    assert!(t.last_error().is_none());
    let text = e.to_string();
    assert!(
        text.contains("t1") && text.contains("Suspended") && text.contains("may still be running"),
        "{text}"
    );
    assert!(text.contains("wait again"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn the_last_sleep_is_cut_to_send_the_final_poll_before_the_deadline() {
    let server = Server::with_task("t1", [Reply::task("t1", "running")]).await;
    let start = Instant::now();
    let e = server.wait_error("t1", ms(2500)).await;
    assert_eq!(
        server.arrivals(start),
        [ms(0), ms(1000), ms(2000), ms(2400)]
    );
    assert_eq!(start.elapsed(), ms(2500));
    let t = transport_error(&e);
    assert_eq!(t.last_status(), Some(&TaskStatus::Running));
}

#[tokio::test(start_paused = true)]
async fn a_task_finishing_by_the_final_poll_is_still_seen() {
    let server = Server::with_statuses("t1", &["running", "running", "completed"]).await;
    let start = Instant::now();
    let task = server
        .client()
        .wait_for_task("t1")
        .timeout(secs(2))
        .await
        .unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(server.arrivals(start), [secs(0), secs(1), ms(1900)]);
    assert_eq!(start.elapsed(), ms(1900));
}

#[tokio::test(start_paused = true)]
async fn a_hung_server_cannot_hold_the_wait_past_its_deadline() {
    let server = Server::with_task("t1", [Reply::hang()]).await;
    let start = Instant::now();
    let e = server.wait_error("t1", secs(2)).await;
    // Not the 30 s request timeout: the request itself is capped by the deadline.
    assert_eq!(start.elapsed(), secs(2));
    let t = transport_error(&e);
    assert!(t.is_timeout() && t.is_wait_timeout());
    assert_eq!(t.polls(), Some(1));
    assert_eq!(t.last_status(), None);
    let last = t.last_error().expect("the cut-off request is the source");
    assert!(last.is_timeout(), "{last}");
    assert!(std::error::Error::source(&e).is_some());
}

#[tokio::test(start_paused = true)]
async fn a_tiny_timeout_is_not_stretched_by_a_hung_server() {
    let server = Server::with_task("t1", [Reply::hang()]).await;
    let start = Instant::now();
    let e = server.wait_error("t1", ms(50)).await;
    assert!(e.is_timeout());
    // Shorter than LAST_POLL_BUDGET: the one poll is still made at once.
    assert_eq!(server.arrivals(start), [ms(0)]);
    assert_eq!(start.elapsed(), ms(50));
}

#[tokio::test(start_paused = true)]
async fn a_stall_on_the_final_poll_ends_the_wait_exactly_at_the_deadline() {
    let server = Server::with_task("t1", [Reply::task("t1", "running"), Reply::hang()]).await;
    let start = Instant::now();
    let e = server.wait_error("t1", secs(1)).await;
    // The final poll is sent LAST_POLL_BUDGET before the deadline and cut off
    // at the deadline itself: not a millisecond later.
    assert_eq!(getstream_tasks::LAST_POLL_BUDGET, ms(100));
    assert_eq!(server.arrivals(start), [secs(0), ms(900)]);
    assert_eq!(start.elapsed(), secs(1));
    assert!(e.is_timeout(), "{e}");
    let t = transport_error(&e);
    assert_eq!(t.polls(), Some(2));
    assert!(t.last_error().is_some_and(Error::is_timeout));

    // Answered within the window: the task is seen.
    let server = Server::with_task(
        "t2",
        [
            Reply::task("t2", "running"),
            Reply::task("t2", "completed").delayed(ms(40)),
        ],
    )
    .await;
    let start = Instant::now();
    let task = server
        .client()
        .wait_for_task("t2")
        .timeout(secs(1))
        .await
        .unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(server.arrivals(start), [secs(0), ms(900)]);
    assert_eq!(start.elapsed(), ms(940));

    // Answered too late (150 ms after it was sent): cut off at the deadline.
    let server = Server::with_task(
        "t3",
        [
            Reply::task("t3", "running"),
            Reply::task("t3", "completed").delayed(ms(150)),
        ],
    )
    .await;
    let start = Instant::now();
    let e = server.wait_error("t3", secs(1)).await;
    assert!(e.is_timeout(), "{e}");
    assert_eq!(start.elapsed(), secs(1));
}

#[tokio::test(start_paused = true)]
async fn a_server_that_hangs_after_answering_is_cut_at_the_deadline() {
    let server = Server::with_task("t1", [Reply::task("t1", "running"), Reply::hang()]).await;
    let start = Instant::now();
    let e = server.wait_error("t1", ms(1500)).await;
    assert_eq!(start.elapsed(), ms(1500));
    let t = transport_error(&e);
    assert_eq!(
        (t.polls(), t.last_status()),
        (Some(2), Some(&TaskStatus::Running))
    );
}

#[tokio::test(start_paused = true)]
async fn a_request_cut_off_by_its_own_timeout_is_retried() {
    let server = Server::with_task("t1", [Reply::hang(), Reply::task("t1", "completed")]).await;
    let client = builder(&server.url).timeout(secs(3)).build().unwrap();
    let start = Instant::now();
    let task = client.wait_for_task("t1").timeout(secs(10)).await.unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    // Cut off at 3 s, then one interval.
    assert_eq!(server.arrivals(start), [secs(0), secs(4)]);
}

#[tokio::test(start_paused = true)]
async fn a_slow_answer_within_the_deadline_is_waited_for() {
    let server = Server::with_task("t1", [Reply::task("t1", "completed").delayed(ms(1500))]).await;
    let start = Instant::now();
    server
        .client()
        .wait_for_task("t1")
        .timeout(secs(2))
        .await
        .unwrap();
    assert_eq!(start.elapsed(), ms(1500));
}

#[tokio::test(start_paused = true)]
async fn connection_resets_do_not_end_the_wait() {
    let url = dropping_server().await;
    let client = client_at(&url);
    let start = Instant::now();
    let e = client
        .wait_for_task("t1")
        .timeout(secs(3))
        .await
        .unwrap_err();
    // Polls at 0, 1, 2 s and the final one at 2.9 s, each reset at once; the
    // wait gives up at the deadline.
    assert_eq!(start.elapsed(), secs(3));
    let t = transport_error(&e);
    assert!(t.is_wait_timeout());
    assert_eq!(t.polls(), Some(4));
    let last = t.last_error().unwrap();
    let reset = transport_error(last);
    assert_eq!(reset.error_type(), "connection_reset", "{reset}");

    // The official behaviour: the first reset ends the wait.
    let e = client
        .wait_for_task("t1")
        .abort_on_error(true)
        .await
        .unwrap_err();
    let t = transport_error(&e);
    assert_eq!(t.error_type(), "connection_reset");
    assert!(!t.is_wait_timeout());
}

#[tokio::test(start_paused = true)]
async fn refused_connections_do_not_end_the_wait() {
    let url = refusing_url().await;
    let client = client_at(&url);
    let start = Instant::now();
    let e = client
        .wait_for_task("t1")
        .timeout(secs(2))
        .await
        .unwrap_err();
    // Polls at 0 and 1 s and the final one at 1.9 s, each refused at once;
    // the wait gives up at the deadline.
    assert_eq!(start.elapsed(), secs(2));
    let t = transport_error(&e);
    assert_eq!(t.polls(), Some(3));
    let Some(Error::Transport(refused)) = t.last_error() else {
        panic!("{e}")
    };
    assert!(refused.is_connect());
}

#[tokio::test(start_paused = true)]
async fn an_absolute_deadline_is_honoured() {
    let server = Server::with_task("t1", [Reply::task("t1", "running")]).await;
    let start = Instant::now();
    let deadline = (start + ms(1750)).into_std();
    let e = server
        .client()
        .wait_for_task("t1")
        .deadline(deadline)
        .await
        .unwrap_err();
    assert!(e.is_timeout());
    assert_eq!(server.arrivals(start), [ms(0), ms(1000), ms(1650)]);
    assert_eq!(start.elapsed(), ms(1750));

    // A deadline later than the default timeout replaces it…
    let start = Instant::now();
    let e = server
        .client()
        .wait_for_task("t1")
        .interval(secs(30))
        .deadline((start + secs(90)).into_std())
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), secs(90));
    assert!(e.is_timeout());
    // …and with both, the earlier one wins.
    let start = Instant::now();
    server
        .client()
        .wait_for_task("t1")
        .timeout(secs(1))
        .deadline((start + secs(90)).into_std())
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), secs(1));
}

#[tokio::test(start_paused = true)]
async fn the_default_timeout_is_60_seconds() {
    let server = Server::with_task("t1", [Reply::task("t1", "running")]).await;
    let start = Instant::now();
    let e = server.client().wait_for_task("t1").await.unwrap_err();
    // Polls every second from 0 to 59 s, then the final one at 59.9 s; the
    // timeout comes at 60 s.
    assert_eq!(start.elapsed(), secs(60));
    let t = transport_error(&e);
    assert_eq!(t.polls(), Some(61));
}

#[tokio::test(start_paused = true)]
async fn invalid_knobs_are_argument_errors_before_any_request() {
    let server = Server::with_task("t1", [Reply::task("t1", "completed")]).await;
    let client = server.client();
    let past = Instant::now().into_std();
    tokio::time::advance(ms(1)).await;
    let cases = [
        (
            client.wait_for_task("t1").interval(Duration::ZERO),
            "interval",
        ),
        (
            client.wait_for_task("t1").timeout(Duration::ZERO),
            "timeout",
        ),
        (client.wait_for_task("t1").deadline(past), "deadline"),
        (client.wait_for_task(""), "task_id"),
    ];
    for (wait, argument) in cases {
        let e = wait.await.unwrap_err();
        let Error::InvalidArgument(a) = &e else {
            panic!("{e}")
        };
        assert_eq!(a.argument(), argument);
    }
    assert!(server.requests().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_wait_can_be_resumed_on_the_same_id() {
    let server = Server::with_statuses("t1", &["running", "running", "completed"]).await;
    let client = server.client();
    let e = client
        .wait_for_task("t1")
        .timeout(ms(500))
        .await
        .unwrap_err();
    assert_eq!(e.task_id(), Some("t1"));
    let task = client.wait_for_task(e.task_id().unwrap()).await.unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_future_stops_polling() {
    let server = Server::with_task("t1", [Reply::task("t1", "running")]).await;
    let start = Instant::now();
    let wait = server.client().wait_for_task("t1").into_future();
    assert!(tokio::time::timeout(ms(2500), wait).await.is_err());
    tokio::time::sleep(secs(10)).await;
    assert_eq!(server.arrivals(start), [secs(0), secs(1), secs(2)]);
}

use std::future::IntoFuture;

#[tokio::test(start_paused = true)]
async fn on_poll_reports_every_poll() {
    let server = Server::with_task(
        "t1",
        [
            Reply::task("t1", "waiting"),
            Reply::api_error(503, -1, "busy").header("retry-after", "3"),
            Reply::task("t1", "running"),
            Reply::task("t1", "completed"),
        ],
    )
    .await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let task = server
        .client()
        .wait_for_task("t1")
        .on_poll(move |o| {
            assert_eq!(o.task_id(), "t1");
            log.lock().unwrap().push((
                o.poll(),
                o.elapsed(),
                o.status().map(ToString::to_string),
                o.last_status().map(ToString::to_string),
                o.error().and_then(Error::status_code).map(|s| s.as_u16()),
                o.next_poll_in(),
            ));
        })
        .await
        .unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    let s = |x: &str| Some(x.to_owned());
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (1, secs(0), s("waiting"), s("waiting"), None, Some(secs(1))),
            (2, secs(1), None, s("waiting"), Some(503), Some(secs(3))),
            (3, secs(4), s("running"), s("running"), None, Some(secs(1))),
            (4, secs(5), s("completed"), s("completed"), None, None),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn huge_timeouts_do_not_overflow_the_clock() {
    let server = Server::with_statuses("t1", &["running", "completed"]).await;
    let client = builder(&server.url)
        .timeout(Duration::MAX)
        .connect_timeout(Duration::MAX)
        .build()
        .unwrap();
    let task = client
        .wait_for_task("t1")
        .timeout(Duration::MAX)
        .interval(secs(1))
        .await
        .unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
}
