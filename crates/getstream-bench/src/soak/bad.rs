//! Bad input, sent all through the soak: over HTTP (garbage JSON, a body over
//! the limit, bad tokens, unknown task ids, bad cids, wrong method, a huge
//! unknown key), each of which must get a 4xx with Stream's error envelope,
//! never a 5xx, a hang or a dropped connection; and over raw TCP (headers sent
//! a byte at a time, half-closed requests, garbage bytes), which must not hurt
//! the others (their latency is measured meanwhile).

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::Ctx;
use super::faults::DROPPING_ROUTES;
use super::jobs::Rng;
use super::ledger::bump;
use super::raw::Raw;

/// A bad request with no answer within this is a hang.
pub const BAD_TIMEOUT: Duration = Duration::from_secs(10);

/// The bad HTTP requests, one kind per number.
const KINDS: u64 = 11;

fn request(ctx: &Ctx, kind: u64, rng: &mut Rng) -> (&'static str, reqwest::RequestBuilder) {
    let raw = &ctx.bad;
    let any_task = ctx
        .ledger
        .pick(rng.next(), 0)
        .unwrap_or_else(|| "no-task-yet".into());
    match kind {
        0 => (
            "garbage JSON",
            raw.request(Method::POST, "/api/v2/chat/export_channels")
                .header("content-type", "application/json")
                .body("{\"channels\": [{\"cid\": "),
        ),
        1 => (
            "a 2 MiB body",
            raw.request(Method::POST, "/api/v2/chat/export_channels")
                .header("content-type", "application/json")
                .body(format!("{{\"channels\": [], \"pad\": \"{}\"}}", "x".repeat(2 << 20))),
        ),
        2 => (
            "an unknown task id",
            raw.request(
                Method::GET,
                &format!("/api/v2/tasks/{:016x}-not-a-task", rng.next()),
            ),
        ),
        3 => (
            "a garbage token",
            raw.request_as(
                Method::GET,
                &format!("/api/v2/tasks/{any_task}"),
                "not.a.jwt",
            ),
        ),
        4 => {
            // A real token with its signature changed: bad signature.
            let mut token = raw.token.clone();
            let last = if token.ends_with('A') { "B" } else { "A" };
            token.pop();
            token.push_str(last);
            (
                "a token with a bad signature",
                raw.request_as(Method::GET, &format!("/api/v2/tasks/{any_task}"), &token),
            )
        }
        5 => (
            "bad cids",
            raw.request(Method::POST, "/api/v2/chat/export_channels")
                .json(&json!({"channels": [{"cid": "nocolon"}, {"cid": "messaging:"}, {"cid": ":x"}]})),
        ),
        6 => (
            "no user ids",
            raw.request(Method::POST, "/api/v2/users/delete")
                .json(&json!({"user_ids": []})),
        ),
        7 => (
            "a malformed cid to delete",
            raw.request(Method::POST, "/api/v2/chat/channels/delete")
                .json(&json!({"cids": ["no type here"], "hard_delete": true})),
        ),
        8 => (
            "a wrong method on the task route",
            raw.request(Method::DELETE, &format!("/api/v2/tasks/{any_task}")),
        ),
        9 => (
            "a 20 KB unknown api_key",
            raw.http.get(format!(
                "{}/api/v2/tasks/{any_task}?api_key={}",
                raw.base_url,
                "k".repeat(20_000)
            )),
        ),
        _ => (
            "a text/plain body",
            raw.request(Method::POST, "/api/v2/export/users")
                .header("content-type", "text/plain")
                .body("user_ids=user-1"),
        ),
    }
}

/// Sends the bad HTTP requests in turn, one every `every`, until the load ends.
pub async fn http(ctx: Arc<Ctx>, every: Duration) {
    let mut rng = Rng::new(7);
    let mut kind = 0u64;
    while ctx.running() {
        let (what, req) = request(&ctx, kind % KINDS, &mut rng);
        kind += 1;
        let path_can_drop = {
            let probe = req.try_clone().and_then(|r| r.build().ok());
            probe.is_some_and(|r| {
                DROPPING_ROUTES
                    .iter()
                    .any(|p| r.url().path().starts_with(p))
            })
        };
        bump(&ctx.ledger.counters.bad_requests);
        let started = Instant::now();
        match tokio::time::timeout(BAD_TIMEOUT, Raw::send(req)).await {
            Err(_) => ctx.ledger.violation(format!(
                "bad input ({what}): no answer within {} s",
                BAD_TIMEOUT.as_secs()
            )),
            Ok(Err(e)) if started.elapsed() >= BAD_TIMEOUT => ctx.ledger.violation(format!(
                "bad input ({what}): no answer within {} s ({e})",
                BAD_TIMEOUT.as_secs()
            )),
            Ok(Err(_)) if path_can_drop => {
                bump(&ctx.ledger.counters.bad_faulted);
                ctx.ledger.bad_status("no answer (injected drop)");
            }
            Ok(Err(e)) => {
                ctx.ledger.bad_status("no answer");
                ctx.ledger
                    .violation(format!("bad input ({what}): no answer: {e}"));
            }
            Ok(Ok(a)) if a.is_fault() => {
                bump(&ctx.ledger.counters.bad_faulted);
                ctx.ledger.bad_status("injected fault");
            }
            Ok(Ok(a)) => {
                ctx.ledger.bad_status(a.status.as_str());
                let envelope = a.json();
                if !a.status.is_client_error() {
                    ctx.ledger.violation(format!(
                        "bad input ({what}): answered {} (not a 4xx): {}",
                        a.status,
                        String::from_utf8_lossy(&a.body[..a.body.len().min(200)])
                    ));
                } else if envelope.get("code").is_none() || envelope.get("message").is_none() {
                    ctx.ledger.violation(format!(
                        "bad input ({what}): {} without Stream's error envelope: {:?}",
                        a.status,
                        String::from_utf8_lossy(&a.body[..a.body.len().min(200)])
                    ));
                }
            }
        }
        tokio::time::sleep(every).await;
    }
}

/// What one raw connection does.
#[derive(Clone, Copy)]
enum Conn {
    /// A request's headers, one byte every 100 ms, never finished.
    SlowHeaders,
    /// A whole request, then the write side shut (a half-closed connection).
    HalfClosed,
    /// Bytes that are not HTTP.
    Garbage,
}

/// Keeps `at_once` raw bad connections going until the load ends; each lives
/// at most `life`. Counts those the server closed or answered within that.
pub async fn connections(ctx: Arc<Ctx>, at_once: usize, life: Duration) {
    let addr = ctx.target.base_url.trim_start_matches("http://").to_owned();
    let mut set = tokio::task::JoinSet::new();
    let mut n = 0u64;
    while ctx.running() {
        while set.len() < at_once && ctx.running() {
            let kind = [Conn::SlowHeaders, Conn::HalfClosed, Conn::Garbage][(n % 3) as usize];
            n += 1;
            let (addr, ctx) = (addr.clone(), ctx.clone());
            set.spawn(async move {
                bump(&ctx.ledger.counters.bad_connections);
                if let Ok(Ok(true)) = tokio::time::timeout(life, one(&addr, kind, &ctx)).await {
                    bump(&ctx.ledger.counters.bad_connections_closed);
                }
            });
        }
        let _ = set.join_next().await;
    }
    while set.join_next().await.is_some() {}
}

/// Runs one connection; `Ok(true)` when the server answered or closed it.
async fn one(addr: &str, kind: Conn, ctx: &Ctx) -> std::io::Result<bool> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!(
        "GET /api/v2/tasks/x?api_key={} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {}\r\n\r\n",
        ctx.target.api_key, ctx.bad.token
    );
    match kind {
        Conn::SlowHeaders => {
            for b in request.as_bytes()[..request.len() - 4].chunks(1) {
                if stream.write_all(b).await.is_err() {
                    return Ok(true);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                if !ctx.running() {
                    return Ok(false);
                }
            }
            Ok(false)
        }
        Conn::HalfClosed => {
            stream.write_all(request.as_bytes()).await?;
            stream.shutdown().await?;
            read_to_close(&mut stream).await
        }
        Conn::Garbage => {
            stream
                .write_all(b"\x00\x01\x02 NOT HTTP \xff\r\n\r\n")
                .await?;
            read_to_close(&mut stream).await
        }
    }
}

async fn read_to_close(stream: &mut TcpStream) -> std::io::Result<bool> {
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return Ok(true),
            Ok(_) => {}
        }
    }
}
