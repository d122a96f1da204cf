//! The admin API's gate: JSON POSTs only (CSRF), loopback or public-URL `Host`s only (DNS
//! rebinding), off means 404 before the body is read, never faulted; `--admin` off loopback
//! refused at start; bodiless fault statuses.

use std::io::{Read, Write};
use std::time::Duration;

use getstream_emulator::{Emulator, EmulatorConfig, Fault, StartError};
use serde_json::{Value, json};

use crate::support::*;

/// Sends raw bytes to the emulator and reads the whole answer (the request asks to close).
fn raw(addr: std::net::SocketAddr, request: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn body_of(answer: &str) -> Value {
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or(Value::Null)
}

fn status_of(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_posts_need_json_and_a_loopback_or_public_host() {
    let (handle, _) = start(config().admin(true).public_url("http://emu.test:9000")).await;
    let addr = handle.addr();
    let answers = tokio::task::spawn_blocking(move || {
        let post = |host: &str, ct: &str| {
            raw(
                addr,
                &format!(
                    "POST /_emulator/faults HTTP/1.1\r\nHost: {host}\r\n{ct}Content-Length: 27\r\nConnection: close\r\n\r\n{{\"route\":\"/x\",\"status\":500}}"
                ),
            )
        };
        let get = |host: &str| {
            raw(
                addr,
                &format!("GET /_emulator/token HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
            )
        };
        vec![
            // The browser-made CSRF: a "simple" content type.
            post("127.0.0.1", "Content-Type: text/plain\r\n"),
            post("127.0.0.1", ""),
            // DNS rebinding: the attacker's name, resolving to loopback.
            post("evil.example:8080", "Content-Type: application/json\r\n"),
            get("evil.example"),
            get("localhost:1"),
            get("[::1]:8080"),
            get("emu.test:9000"),
            post("localhost", "Content-Type: application/json; charset=utf-8\r\n"),
            // Not admin routes: health and downloads answer any Host.
            raw(addr, "GET /_emulator/health HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"),
        ]
    })
    .await
    .unwrap();
    let statuses: Vec<u16> = answers.iter().map(|a| status_of(a)).collect();
    assert_eq!(
        statuses,
        [415, 415, 403, 403, 200, 200, 200, 200, 200],
        "{answers:#?}"
    );
    assert_eq!(body_of(&answers[0])["code"], 4, "{}", answers[0]);
    assert_eq!(body_of(&answers[2])["code"], 17, "{}", answers[2]);
    // Only the JSON POST from a loopback Host added its fault.
    assert_eq!(handle.state().faults().len(), 1);
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn admin_routes_are_never_faulted() {
    let (handle, http) = start(config().admin(true)).await;
    for route in [
        "POST /_emulator/faults",
        "/_emulator/reset",
        "/_emulator/token",
    ] {
        handle.state().add_fault(Fault::hang(route).times(0));
        handle
            .state()
            .add_fault(Fault::respond(route, 500).times(0));
    }
    let (s, body) = http
        .post("/_emulator/faults", json!({"route": "/x", "status": 503}))
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = http.get("/_emulator/token").await;
    assert_eq!(s, 200, "{body}");
    // The reset clears the faults: the admin was never locked out.
    let (s, body) = http.post("/_emulator/reset", json!({})).await;
    assert_eq!(s, 200, "{body}");
    assert!(handle.state().faults().is_empty());
    // Other routes are still faulted as asked.
    handle
        .state()
        .add_fault(Fault::respond("/api/v2/tasks/{id}", 500));
    let (s, body) = http.get("/api/v2/tasks/x").await;
    assert_eq!(s, 500, "{body}");
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_off_is_404_before_the_body_is_read() {
    let (handle, _) = start(config()).await;
    let addr = handle.addr();
    // A body that is neither JSON nor complete: a 404 comes back anyway, at once.
    let answer = tokio::task::spawn_blocking(move || {
        raw(
            addr,
            "POST /_emulator/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\nnot json",
        )
    })
    .await
    .unwrap();
    assert_eq!(status_of(&answer), 404, "{answer}");
    assert_eq!(body_of(&answer)["code"], 16, "{answer}");
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodiless_fault_statuses_send_no_body_and_no_length() {
    let (handle, _) = start(config()).await;
    for status in [204, 304] {
        handle.state().add_fault(
            Fault::respond("GET /api/v2/tasks/{id}", status).json_body(json!({"a": "bcdef"})),
        );
        let addr = handle.addr();
        let answer = tokio::task::spawn_blocking(move || {
            raw(
                addr,
                "GET /api/v2/tasks/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            )
        })
        .await
        .unwrap();
        assert_eq!(status_of(&answer), status, "{answer}");
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert_eq!(body, "", "{answer}");
        let head = head.to_ascii_lowercase();
        assert!(
            !head.contains("content-length") || head.contains("content-length: 0"),
            "{answer}"
        );
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn admin_off_loopback_is_refused_unless_allowed() {
    // TEST-NET-1 (RFC 5737): never bound, so nothing listens off loopback in this test.
    let remote: std::net::SocketAddr = "192.0.2.1:0".parse().unwrap();
    let refused = Emulator::start(EmulatorConfig::new().admin(true).addr(remote)).await;
    assert!(
        matches!(refused, Err(StartError::RemoteAdmin { addr }) if addr == remote),
        "{refused:?}"
    );
    // Allowed, it gets as far as binding (which this address cannot).
    let allowed = EmulatorConfig::new()
        .admin(true)
        .allow_remote_admin(true)
        .addr(remote);
    assert!(matches!(
        Emulator::start(allowed).await,
        Err(StartError::Bind { .. })
    ));
    // The command line refuses it too, from the flag or the environment.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_getstream-emulator"))
        .args(["--admin"])
        .env("GETSTREAM_EMULATOR_ADDR", "192.0.2.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--allow-remote-admin"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing was served");
}
