//! Rate-limit headers a proxy's bug or a hostile server could send, on paused
//! time: one such answer holds the client's requests back for at most a
//! minute (Stream's window), and a later wait on the same client still gets
//! its requests sent.

use getstream_tasks::TaskStatus;
use tokio::time::Instant;

use crate::support::{Reply, Server, TestClock, builder, global_logs, ms, secs};

/// `X-RateLimit-Reset` (Unix seconds) of the last second of the year 9999.
const YEAR_9999: &str = "253402300799";
/// The same instant as an HTTP date.
const YEAR_9999_DATE: &str = "Fri, 31 Dec 9999 23:59:59 GMT";

/// A server whose answer to task `hostile` is `reply`, and where every
/// other task is completed (answers without rate-limit headers).
async fn server_answering(reply: Reply) -> Server {
    let server = Server::start().await;
    server.task("hostile", [reply]);
    server.answer(|path, _, _| {
        let id = path.rsplit('/').next().unwrap_or_default();
        Reply::task(id, "completed")
    });
    server
}

fn limits(reply: Reply, limit: &str, remaining: &str, reset: &str) -> Reply {
    reply
        .header("x-ratelimit-limit", limit)
        .header("x-ratelimit-remaining", remaining)
        .header("x-ratelimit-reset", reset)
}

fn throttled() -> Reply {
    Reply::api_error(429, 9, "Too many requests")
}

/// After one hostile answer, later waits on other tasks (more than a burst
/// of them, on clones of the client) get their polls sent within a minute
/// and complete.
async fn later_waits_still_poll(reply: Reply) {
    let server = server_answering(reply).await;
    let client = builder(&server.url).build().unwrap();
    let _ = client.get_task("hostile").await;
    let answered = Instant::now();
    let ids: Vec<String> = (0..8).map(|i| format!("later-{i}")).collect();
    for id in &ids {
        let task = client
            .clone()
            .wait_for_task(id)
            .timeout(secs(600))
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(task.status, TaskStatus::Completed);
    }
    let polls: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("later"))
        .collect();
    assert_eq!(polls.len(), ids.len(), "one poll each");
    for poll in polls {
        assert!(
            poll.at - answered <= secs(60),
            "{} sent {:?} after the hostile answer",
            poll.path,
            poll.at - answered
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_limit_of_zero_does_not_mean_never() {
    // A window that allows nothing, with plenty "remaining" and a far reset.
    let reply = Reply::task("hostile", "running");
    later_waits_still_poll(limits(reply, "0", "1000", YEAR_9999)).await;
    let reply = Reply::task("hostile", "running").header("x-ratelimit-limit", "0");
    later_waits_still_poll(reply).await;
}

#[tokio::test(start_paused = true)]
async fn a_spent_window_resetting_in_the_year_9999_holds_requests_for_a_minute() {
    let reply = Reply::task("hostile", "running");
    later_waits_still_poll(limits(reply, "60", "0", YEAR_9999)).await;
    later_waits_still_poll(limits(throttled(), "60", "0", YEAR_9999)).await;
    // Not spent, but what remains spread over 8,000 years.
    let reply = Reply::task("hostile", "running");
    later_waits_still_poll(limits(reply, "60", "5", YEAR_9999)).await;
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_of_thirty_thousand_years_holds_requests_for_a_minute() {
    later_waits_still_poll(throttled().header("retry-after", "999999999999")).await;
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_date_in_the_year_9999_holds_requests_for_a_minute() {
    later_waits_still_poll(throttled().header("retry-after", YEAR_9999_DATE)).await;
}

/// A wait that gets the hostile answer itself polls again within a minute.
#[tokio::test(start_paused = true)]
async fn the_wait_that_got_the_answer_polls_again_within_a_minute() {
    let server = Server::start().await;
    server.task(
        "t",
        [
            throttled().header("retry-after", "999999999999"),
            Reply::task("t", "completed"),
        ],
    );
    let client = builder(&server.url).build().unwrap();
    let start = Instant::now();
    let task = client.wait_for_task("t").timeout(secs(600)).await.unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(server.arrivals(start), [ms(0), secs(60)]);
}

/// The first answer that asks for more is logged (a warning), later ones are not.
#[tokio::test(start_paused = true)]
async fn asking_for_more_is_logged_once_per_client() {
    let logs = global_logs();
    let server = Server::start().await;
    let reset = TestClock::unix_secs(secs(3600)).to_string();
    for id in ["asks-more-0e4f1", "asks-more-9b2c7"] {
        let reply = limits(Reply::task(id, "running"), "60", "0", &reset);
        server.task(id, [reply]);
    }
    // Room to wait out the pause (a request waits for its slot at most its timeout).
    let client = builder(&server.url).timeout(secs(120)).build().unwrap();
    client.get_task("asks-more-0e4f1").await.unwrap();
    client.clone().get_task("asks-more-9b2c7").await.unwrap();
    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    let warned = |id: &str| {
        text.lines()
            .filter(|l| l.contains(id) && l.contains("WARN") && l.contains("at most one window"))
            .count()
    };
    assert_eq!(warned("asks-more-0e4f1"), 1, "{text}");
    assert_eq!(warned("asks-more-9b2c7"), 0);
    // The second request was held back a minute, not an hour.
    let arrivals = server.arrivals(server.requests()[0].at);
    assert_eq!(arrivals, [ms(0), secs(60)]);
}
