//! Bulk image moderation against hostile CSVs: too large (streamed or declared), too slow,
//! not CSV (HTML, binary), too many rows, a redirect, and URLs the emulator may not fetch.
//! Each ends the task `failed` with a description naming the bound, and never reads a body
//! past its cap.

use std::sync::atomic::Ordering;
use std::time::Duration;

use getstream_emulator::FetchLimits;
use serde_json::Value;

use crate::moderation::{files, limits, moderate};
use crate::support::*;

#[track_caller]
fn failed_with(task: &Value, words: &[&str]) {
    assert_eq!(task["status"], "failed", "{task}");
    assert_eq!(task["error"]["type"], "BulkImageModerationError", "{task}");
    let why = task["error"]["description"].as_str().unwrap();
    for w in words {
        assert!(why.contains(w), "{why:?} lacks {w:?}");
    }
}

#[tokio::test]
async fn a_huge_csv_is_cut_at_the_cap_without_being_read_whole() {
    let (base, seen) = files().await;
    let (handle, http) = start(config().fetch_limits(limits())).await;
    // The body never ends: the task finishing at all shows the read stopped.
    let task = moderate(&http, &format!("{base}/huge.csv")).await;
    failed_with(
        &task,
        &[
            "csv_file",
            "is larger than 65536 bytes",
            "--fetch-max-csv-bytes",
        ],
    );
    let streamed = seen.streamed.load(Ordering::Relaxed);
    // What left the server: the cap, plus what socket buffers took before the emulator hung up.
    assert!(streamed < 64 * 1024 * 1024, "{streamed} bytes streamed");
    // A declared length past the cap is refused before the body is read.
    let task = moderate(&http, &format!("{base}/declared-huge.csv")).await;
    failed_with(&task, &["is larger than 65536 bytes"]);
    handle.shutdown().await;
}

#[tokio::test]
async fn a_stalled_csv_times_out() {
    let (base, _) = files().await;
    let (handle, http) = start(config().fetch_limits(limits())).await;
    let task = moderate(&http, &format!("{base}/slow.csv")).await;
    failed_with(
        &task,
        &["csv_file took longer than 400ms", "--fetch-timeout"],
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn the_whole_task_is_bounded_in_time() {
    let (base, seen) = files().await;
    let stalls = format!("{base}/img/stall.png\n").repeat(3);
    seen.csv.lock().unwrap().insert("stalls".into(), stalls);
    let bounds = FetchLimits {
        fetch_timeout: Duration::from_secs(60),
        task_timeout: Duration::from_millis(300),
        ..limits()
    };
    let (handle, http) = start(config().fetch_limits(bounds)).await;
    let task = moderate(&http, &format!("{base}/csv/stalls")).await;
    failed_with(
        &task,
        &["the task took longer than 300ms", "--fetch-task-timeout"],
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn what_is_not_a_csv_of_urls_is_refused() {
    let (base, seen) = files().await;
    seen.csv
        .lock()
        .unwrap()
        .insert("prose".into(), "Dear reader,\nthese are not URLs\n".into());
    seen.csv
        .lock()
        .unwrap()
        .insert("blank".into(), "url\n\n\n".into());
    let (handle, http) = start(config().fetch_limits(limits())).await;
    let html = moderate(&http, &format!("{base}/page.html")).await;
    failed_with(&html, &["answered HTML (text/html)"]);
    let binary = moderate(&http, &format!("{base}/binary.csv")).await;
    failed_with(&binary, &["binary", "not a CSV of image URLs"]);
    let prose = moderate(&http, &format!("{base}/csv/prose")).await;
    failed_with(
        &prose,
        &["row 1", "\"Dear reader\"", "not an absolute http(s) URL"],
    );
    let blank = moderate(&http, &format!("{base}/csv/blank")).await;
    failed_with(&blank, &["lists no image URLs"]);
    let missing = moderate(&http, &format!("{base}/csv/nope")).await;
    failed_with(&missing, &["csv_file answered HTTP 404"]);
    let moved = moderate(&http, &format!("{base}/moved.csv")).await;
    failed_with(&moved, &["answered HTTP 302", "redirects are not followed"]);
    handle.shutdown().await;
}

#[tokio::test]
async fn too_many_rows_fail_the_task() {
    let (base, seen) = files().await;
    let rows = |n: usize| {
        (0..n)
            .map(|i| format!("{base}/img/{i}.png\n"))
            .collect::<String>()
    };
    seen.csv.lock().unwrap().insert("ten".into(), rows(10));
    seen.csv.lock().unwrap().insert("eleven".into(), rows(11));
    let (handle, http) = start(config().fetch_limits(limits())).await;
    let ten = moderate(&http, &format!("{base}/csv/ten")).await;
    assert_eq!(ten["status"], "completed", "{ten}");
    assert_eq!(ten["result"]["total"], 10, "{ten}");
    assert_eq!(ten["result"]["failed"], 0, "{ten}");
    let eleven = moderate(&http, &format!("{base}/csv/eleven")).await;
    failed_with(&eleven, &["more than 10 image URLs", "--fetch-max-rows"]);
    handle.shutdown().await;
}

#[tokio::test]
async fn urls_off_loopback_are_refused_without_touching_the_network() {
    let (handle, http) = start(config().fetch_limits(limits())).await;
    // No lookup and no connection happen: these fail at once, whatever the network is.
    for url in [
        "http://192.0.2.1/images.csv",
        "http://example.com/images.csv",
        "https://[2001:db8::1]/images.csv",
        "http://10.1.2.3:8080/images.csv",
        "http://0.0.0.0:1/images.csv",
    ] {
        let task = moderate(&http, url).await;
        failed_with(
            &task,
            &["csv_file: host", "is not loopback", "--allow-remote-fetch"],
        );
    }
    handle.shutdown().await;
}
