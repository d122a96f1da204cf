//! `getstream emulator --webhook-url`: the flag reaches the emulator, whose export job then
//! POSTs its signed event to a receiver on loopback.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::support::{BIN, run_bare};

/// Accepts one connection on `listener`, reads one HTTP request, answers 200; returns the
/// request head (lower-cased) and body.
async fn one_request(listener: tokio::net::TcpListener) -> (String, String) {
    let (socket, _) = listener.accept().await.unwrap();
    let mut reader = BufReader::new(socket);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push_str(&line.to_ascii_lowercase());
    }
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.unwrap();
    reader
        .get_mut()
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    (head, String::from_utf8(body).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getstream_emulator_passes_webhook_url_through() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let received = tokio::spawn(one_request(listener));
    let mut child = tokio::process::Command::new(BIN)
        .args([
            "emulator",
            "--addr",
            "127.0.0.1:0",
            "--instant",
            "--seed",
            "channels=1,messages=2,users=2",
            "--webhook-url",
            &hook,
        ])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut contract = Vec::new();
    for _ in 0..3 {
        contract.push(lines.next_line().await.unwrap().expect("a contract line"));
    }
    let value = |i: usize| contract[i].split_once('=').unwrap().1.to_owned();
    let out = tokio::process::Command::new(BIN)
        .args(["export", "channels", "messaging:seed-1", "--json"])
        .env("STREAM_BASE_URL", value(0))
        .env("STREAM_API_KEY", value(1))
        .env("STREAM_API_SECRET", value(2))
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let task: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let (head, body) = tokio::time::timeout(Duration::from_secs(30), received)
        .await
        .expect("no webhook within 30 s")
        .unwrap();
    assert!(head.starts_with("post /hook http/1.1"), "{head}");
    assert!(head.contains("x-webhook-attempt: 1"), "{head}");
    assert!(
        head.contains(&format!("x-api-key: {}", value(1).to_ascii_lowercase())),
        "{head}"
    );
    assert!(head.contains("x-signature: "), "{head}");
    let event: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["type"], "export.channels.success");
    assert_eq!(event["task_id"], task["task_id"]);
    let _ = child.start_kill();
}

#[tokio::test]
async fn a_bad_webhook_url_is_a_usage_error() {
    let run = run_bare(["emulator", "--webhook-url", "ftp://example.com/hook"]).await;
    run.assert_code(2);
    assert!(run.stderr.contains("--webhook-url"), "{}", run.stderr);
}

#[tokio::test]
async fn webhook_serve_documents_its_limits_and_checks_them() {
    let run = run_bare(["webhook", "serve", "--help"]).await;
    run.assert_code(0);
    for flag in [
        "--header-timeout",
        "--body-timeout",
        "--idle-timeout",
        "--max-connections",
        "--max-body-bytes",
        "--body-budget",
        "--log-interval",
        "--replay-window",
    ] {
        assert!(run.stdout.contains(flag), "{flag} missing:\n{}", run.stdout);
    }
    let run = run_bare([
        "webhook",
        "serve",
        "--events",
        "redis://127.0.0.1:1/",
        "--max-connections",
        "0",
    ])
    .await;
    run.assert_code(2);
    assert!(run.stderr.contains("--max-connections"), "{}", run.stderr);
}
