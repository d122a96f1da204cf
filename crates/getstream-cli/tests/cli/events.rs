//! `getstream webhook serve --events` and `getstream tasks wait --events`: a
//! webhook posted to the receiver process wakes a wait in a second process,
//! through a real `redis-server`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use getstream_emulator::ScriptedTask;
use getstream_test_support::RedisServer;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::support::{BIN, emulator, script};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_posted_to_the_receiver_process_wakes_a_wait_in_another_process() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let emu = emulator().await;
    let id = script(
        &emu,
        ScriptedTask::new()
            .step("running", Duration::from_millis(500))
            .step("completed", Duration::ZERO),
    );

    // Process A: the receiver, on a free port it prints.
    let mut receiver = tokio::process::Command::new(BIN)
        .args([
            "webhook",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--events",
            &redis.url(),
        ])
        .env("STREAM_API_SECRET", emu.api_secret())
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(receiver.stdout.take().unwrap()).lines();
    let line = lines.next_line().await.unwrap().unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();

    // Process B: a wait polling every 30 s, listening to Redis.
    let start = Instant::now();
    let wait = tokio::process::Command::new(BIN)
        .args([
            "tasks",
            "wait",
            &id,
            "--interval",
            "30s",
            "--timeout",
            "120s",
        ])
        .args(["--events", &redis.url()])
        .env("STREAM_API_KEY", emu.api_key())
        .env("STREAM_API_SECRET", emu.api_secret())
        .env("STREAM_BASE_URL", emu.base_url())
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let wait = tokio::spawn(wait);
    while redis.subscribers("getstream:task-events") == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the wait never subscribed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // After the task completed, Stream's webhook reaches the receiver.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let body = format!(r#"{{"type":"export.channels.success","task_id":"{id}"}}"#);
    let http = reqwest::Client::new();
    let forged = http
        .post(format!("{url}/any/path"))
        .header("X-Signature", "0".repeat(64))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401, "a forged webhook is refused");
    let posted = http
        .post(format!("{url}/webhooks/stream"))
        .header(
            "X-Signature",
            getstream_tasks::webhook::sign(body.as_bytes(), emu.api_secret()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);

    let out = wait.await.unwrap().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("completed"), "{stdout}");
    // Woken by the event: the next poll was 30 s away.
    assert!(
        start.elapsed() < Duration::from_secs(25),
        "{:?}",
        start.elapsed()
    );
    receiver.kill().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_needs_the_secret_and_hides_the_redis_password() {
    let out = tokio::process::Command::new(BIN)
        .args([
            "webhook",
            "serve",
            "--events",
            "redis://:hunter2@127.0.0.1:1/",
        ])
        .env_remove("STREAM_API_SECRET")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("STREAM_API_SECRET"), "{stderr}");

    let out = tokio::process::Command::new(BIN)
        .args([
            "webhook",
            "serve",
            "--events",
            "http://:hunter2@127.0.0.1:1/",
        ])
        .env("STREAM_API_SECRET", "s")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        !stderr.contains("hunter2") && stderr.contains("***"),
        "{stderr}"
    );
}
