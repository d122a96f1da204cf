//! The scheduler's admission on tokio's paused clock: the bound, the order
//! while requests are scarce, deadlines and cancellation while queued.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn throttled_for(after: Duration) -> Observation {
    Observation {
        throttled: true,
        info: None,
        retry_after: Some(after),
    }
}

#[tokio::test(start_paused = true)]
async fn at_most_the_bound_is_admitted_and_a_freed_slot_admits_the_next() {
    let scheduler = Arc::new(Scheduler::new(2));
    let far = Instant::now() + Duration::from_secs(60);
    let a = scheduler.admit(Priority::default(), far).await.unwrap();
    let _b = scheduler.admit(Priority::default(), far).await.unwrap();
    let third = {
        let scheduler = scheduler.clone();
        tokio::spawn(async move {
            let _c = scheduler.admit(Priority::default(), far).await.unwrap();
            Instant::now()
        })
    };
    tokio::time::sleep(ms(500)).await;
    assert!(
        !third.is_finished(),
        "a third request went past a bound of 2"
    );
    let freed = Instant::now();
    drop(a);
    assert_eq!(third.await.unwrap(), freed);
    assert_eq!(scheduler.peak_in_flight(), 2);
}

#[tokio::test(start_paused = true)]
async fn queued_requests_give_up_at_their_deadline_not_later() {
    let scheduler = Scheduler::new(1);
    let t0 = Instant::now();
    let _held = scheduler.admit(Priority::default(), t0 + ms(10_000)).await;
    let outcome = scheduler.admit(Priority::default(), t0 + ms(700)).await;
    assert!(outcome.is_none());
    assert_eq!(Instant::now(), t0 + ms(700));
    // A 429 pause longer than the deadline: the same.
    let scheduler = Scheduler::new(4);
    scheduler.observe(
        &throttled_for(ms(5_000)),
        std::time::SystemTime::UNIX_EPOCH,
        "test",
    );
    assert!(scheduler.is_limiting());
    let outcome = scheduler.admit(Priority::default(), t0 + ms(1_500)).await;
    assert!(outcome.is_none());
    assert_eq!(Instant::now(), t0 + ms(1_500));
}

#[tokio::test(start_paused = true)]
async fn a_request_dropped_while_queued_leaves_the_queue() {
    let scheduler = Arc::new(Scheduler::new(1));
    let t0 = Instant::now();
    let far = t0 + Duration::from_secs(60);
    let held = scheduler.admit(Priority::default(), far).await.unwrap();
    // Queued first (it would go next), then cancelled.
    let first = {
        let scheduler = scheduler.clone();
        tokio::spawn(async move { scheduler.admit(Priority::default(), far).await.is_some() })
    };
    tokio::time::sleep(ms(10)).await;
    let second = {
        let scheduler = scheduler.clone();
        tokio::spawn(async move {
            let _p = scheduler.admit(Priority::default(), far).await.unwrap();
            Instant::now()
        })
    };
    tokio::time::sleep(ms(10)).await;
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    assert_eq!(scheduler.lock().queue.len(), 1);
    drop(held);
    assert_eq!(second.await.unwrap(), t0 + ms(20));
    assert!(scheduler.lock().queue.is_empty());
}

/// While a 429 pauses everything, requests queue up; when it ends they go
/// final polls first, then by polls made (fewest first), then by deadline.
#[tokio::test(start_paused = true)]
async fn scarce_requests_go_to_final_polls_then_to_the_least_polled() {
    let scheduler = Arc::new(Scheduler::new(1));
    let t0 = Instant::now();
    scheduler.observe(
        &throttled_for(ms(1_000)),
        std::time::SystemTime::UNIX_EPOCH,
        "test",
    );
    let order = Arc::new(Mutex::new(Vec::new()));
    let far = t0 + Duration::from_secs(60);
    let mut tasks = Vec::new();
    // (name, polls made, final poll at, deadline)
    let waits = [
        ("polled-3", 3, None, far),
        ("polled-0-late", 0, None, far),
        ("polled-1", 1, None, far),
        ("polled-0-soon", 0, None, t0 + ms(30_000)),
        ("final", 7, Some(t0 + ms(500)), t0 + ms(40_000)),
        ("op", 0, None, t0 + ms(50_000)),
    ];
    for (name, polls, final_at, deadline) in waits {
        let scheduler = scheduler.clone();
        let order = order.clone();
        tasks.push(tokio::spawn(async move {
            let permit = scheduler
                .admit(Priority { polls, final_at }, deadline)
                .await
                .unwrap();
            order.lock().unwrap().push((name, Instant::now()));
            // Each holds the one slot for 100 ms.
            tokio::time::sleep(ms(100)).await;
            drop(permit);
        }));
        tokio::time::sleep(ms(1)).await;
    }
    for task in tasks {
        task.await.unwrap();
    }
    let order = order.lock().unwrap().clone();
    let names: Vec<_> = order.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "final",
            "polled-0-soon",
            "op",
            "polled-0-late",
            "polled-1",
            "polled-3"
        ]
    );
    // Nothing went during the pause; then one after the other.
    assert_eq!(order[0].1, t0 + ms(1_000));
    assert_eq!(order[5].1, t0 + ms(1_500));
}

/// The budget paces admissions from the headers it observes.
#[tokio::test(start_paused = true)]
async fn admissions_follow_the_pace_of_the_window() {
    let scheduler = Scheduler::new(64);
    let t0 = Instant::now();
    let wall = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    scheduler.observe(
        &Observation {
            throttled: false,
            info: Some(crate::models::RateLimitInfo {
                limit: Some(100),
                remaining: Some(10),
                reset: Some(wall + Duration::from_secs(10)),
            }),
            retry_after: None,
        },
        wall,
        "test",
    );
    let far = t0 + Duration::from_secs(60);
    let mut times = Vec::new();
    for _ in 0..10 {
        let permit = scheduler.admit(Priority::default(), far).await.unwrap();
        times.push(Instant::now() - t0);
        drop(permit);
    }
    // 10 left over 10 s: one a second (a burst is at most a tenth of what
    // remains); all before the reset.
    let expected: Vec<_> = (0..10).map(Duration::from_secs).collect();
    assert_eq!(times, expected);
}
