//! Connections at their edges, with raw sockets on loopback and tokio's paused clock: slow
//! heads, idle keep-alive connections, the connection cap, shutdown, and the envelope for
//! heads hyper would refuse with an empty body.

use std::time::Duration;

use getstream_emulator::{ConnectionLimits, EmulatorHandle, Fault};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::support::*;

fn limits() -> ConnectionLimits {
    ConnectionLimits::default()
        .header_timeout(Duration::from_secs(10))
        .idle_timeout(Duration::from_secs(60))
}

async fn emulator(limits: ConnectionLimits) -> EmulatorHandle {
    start(config().connections(limits)).await.0
}

/// How many sockets this process may open, from `/proc/self/limits` (a guess elsewhere).
fn open_files_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            l.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).map(str::to_owned))
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(1024)
}

/// Reads one answer (head and `Content-Length` body); `None` when the connection closed first.
async fn read_answer(s: &mut TcpStream) -> Option<(u16, Value)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let status = head.split(' ').nth(1)?.parse().ok()?;
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |n| n.trim().parse().unwrap_or(0));
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = &buf[end + 4..end + 4 + len];
            return Some((status, serde_json::from_slice(body).unwrap_or(Value::Null)));
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Whether the server closed the connection (EOF or reset) before `within` passed.
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut b = [0u8; 64];
    matches!(
        tokio::time::timeout(within, s.read(&mut b)).await,
        Ok(Ok(0) | Err(_))
    )
}

fn get(path: &str) -> String {
    format!(
        "GET {path}?api_key={KEY} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {}\r\nStream-Auth-Type: jwt\r\n\r\n",
        token(SECRET)
    )
}

#[tokio::test(start_paused = true)]
async fn slow_heads_are_closed_by_the_header_timeout() {
    let handle = emulator(limits()).await;
    // 500 clients where the process may hold both ends of each (a smaller run elsewhere).
    let clients = 500.min(open_files_limit().saturating_sub(100) / 2);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let addr = handle.addr();
        tasks.spawn(async move {
            let s = TcpStream::connect(addr).await.unwrap();
            let (mut read, mut write) = s.into_split();
            let trickle = async move {
                // One byte a second of a head that would take a minute.
                for b in
                    "GET /api/v2/tasks/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: .......".bytes()
                {
                    if write.write_all(&[b]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                std::future::pending::<()>().await;
            };
            let mut buf = [0u8; 64];
            tokio::select! {
                n = read.read(&mut buf) => {
                    // Closed without an answer: the client never sent a request.
                    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
                    Instant::now()
                }
                () = trickle => unreachable!(),
            }
        });
    }
    let mut closed = Vec::new();
    while let Some(closed_at) = tasks.join_next().await {
        closed.push((closed_at.unwrap() - started).as_millis());
    }
    closed.sort_unstable();
    let (first, last) = (closed[0], closed[closed.len() - 1]);
    assert!(
        first >= 10_000 && last < 12_000,
        "closed after {first}..{last} ms: {closed:?}"
    );
    // The server still serves.
    let mut s = TcpStream::connect(handle.addr()).await.unwrap();
    s.write_all(get("/api/v2/tasks/x").as_bytes())
        .await
        .unwrap();
    assert_eq!(read_answer(&mut s).await.unwrap().0, 404);
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn idle_keep_alive_connections_close_but_busy_ones_stay() {
    let handle = emulator(limits()).await;
    handle.state().add_fault(Fault::delay(
        "GET /api/v2/tasks/slow",
        Duration::from_secs(120),
    ));
    let mut idle = TcpStream::connect(handle.addr()).await.unwrap();
    idle.write_all(get("/api/v2/tasks/x").as_bytes())
        .await
        .unwrap();
    assert_eq!(read_answer(&mut idle).await.unwrap().0, 404);
    let mut busy = TcpStream::connect(handle.addr()).await.unwrap();
    busy.write_all(get("/api/v2/tasks/slow").as_bytes())
        .await
        .unwrap();
    let answered = Instant::now();
    // Still open before the idle timeout, closed after it.
    assert!(!closed_within(&mut idle, Duration::from_secs(59)).await);
    assert!(closed_within(&mut idle, Duration::from_secs(2)).await);
    assert!(answered.elapsed() < Duration::from_secs(62));
    // A connection never used is idle too.
    let mut unused = TcpStream::connect(handle.addr()).await.unwrap();
    assert!(closed_within(&mut unused, Duration::from_secs(61)).await);
    // The slow request (2 minutes) kept its connection open past the idle timeout.
    let (status, _) = read_answer(&mut busy).await.unwrap();
    assert_eq!(status, 404);
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn past_the_cap_new_connections_wait_and_idle_ones_make_room() {
    let handle = emulator(limits().max_connections(2)).await;
    handle
        .state()
        .add_fault(Fault::delay("GET /api/v2/tasks/slow", Duration::from_secs(5)).times(2));
    let start = Instant::now();
    let mut a = TcpStream::connect(handle.addr()).await.unwrap();
    let mut b = TcpStream::connect(handle.addr()).await.unwrap();
    for s in [&mut a, &mut b] {
        s.write_all(get("/api/v2/tasks/slow").as_bytes())
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The third connection is queued by the kernel, not served, while both slots are busy.
    let mut c = TcpStream::connect(handle.addr()).await.unwrap();
    c.write_all(get("/api/v2/tasks/x").as_bytes())
        .await
        .unwrap();
    let third = tokio::spawn(async move {
        let answer = read_answer(&mut c).await;
        (answer, Instant::now())
    });
    // The busy ones are served in full.
    for s in [&mut a, &mut b] {
        assert_eq!(read_answer(s).await.unwrap().0, 404);
    }
    // Then, idle, one of them makes room (long before the idle timeout) for the third.
    let (answer, at) = third.await.unwrap();
    assert_eq!(answer.unwrap().0, 404);
    let waited = at - start;
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_secs(6),
        "{waited:?}"
    );
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_returns_at_once_when_idle_and_within_the_grace_otherwise() {
    let handle = emulator(limits().shutdown_grace(Duration::from_secs(1))).await;
    let mut idle = TcpStream::connect(handle.addr()).await.unwrap();
    idle.write_all(get("/api/v2/tasks/x").as_bytes())
        .await
        .unwrap();
    assert_eq!(read_answer(&mut idle).await.unwrap().0, 404);
    let t = Instant::now();
    handle.shutdown().await;
    assert!(
        t.elapsed() < Duration::from_millis(100),
        "{:?}",
        t.elapsed()
    );
    assert!(closed_within(&mut idle, Duration::from_secs(1)).await);

    // A client in the middle of its head holds the server no longer than the grace.
    let handle = emulator(limits().shutdown_grace(Duration::from_secs(1))).await;
    let mut slow = TcpStream::connect(handle.addr()).await.unwrap();
    slow.write_all(b"GET /api/v2/tasks/x HTTP/1.1\r\nHo")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    let t = Instant::now();
    handle.shutdown().await;
    let took = t.elapsed();
    assert!(took <= Duration::from_millis(1600), "{took:?}");
    assert!(closed_within(&mut slow, Duration::from_secs(1)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_heads_get_the_error_envelope() {
    let handle = emulator(limits()).await;
    let send = |request: String| {
        let addr = handle.addr();
        async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(request.as_bytes()).await.unwrap();
            read_answer(&mut s).await.unwrap()
        }
    };
    // A 20 KB URL.
    let long = format!(
        "GET /api/v2/tasks/{} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "x".repeat(20_000)
    );
    let (status, body) = send(long).await;
    assert_eq!((status, &body["code"]), (414, &Value::from(4)), "{body}");
    assert_eq!(body["StatusCode"], 414);
    // 1,000 header fields.
    let mut many = String::from("GET /api/v2/tasks/x HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for i in 0..1000 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    many.push_str("\r\n");
    let (status, body) = send(many).await;
    assert_eq!((status, &body["code"]), (431, &Value::from(4)), "{body}");
    // Garbage: hyper answers 400 itself, with no body (documented in docs/admin-api.md).
    let (status, _) = send("\u{1}\u{2}garbage\r\n\r\n".to_owned()).await;
    assert_eq!(status, 400);
    // Still serving.
    let (status, body) = send(get("/api/v2/tasks/x")).await;
    assert_eq!(status, 404, "{body}");
    handle.shutdown().await;
}

/// Reads the emulator binary's `base_url=` line and returns its address.
fn base_addr(child: &mut std::process::Child) -> std::net::SocketAddr {
    use std::io::BufRead;
    let stdout = child.stdout.take().unwrap();
    let line = std::io::BufReader::new(stdout)
        .lines()
        .next()
        .unwrap()
        .unwrap();
    line.strip_prefix("base_url=http://")
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_file_descriptors_it_keeps_serving_and_recovers() {
    // The binary with 64 file descriptors: a few dozen connections exhaust them.
    let mut child = std::process::Command::new("sh")
        .args([
            "-c",
            "ulimit -n 64 && exec \"$0\" --addr 127.0.0.1:0 --instant",
        ])
        .arg(env!("CARGO_BIN_EXE_getstream-emulator"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let addr = base_addr(&mut child);
    let request = "GET /api/v2/tasks/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    let mut kept = TcpStream::connect(addr).await.unwrap();
    kept.write_all(request.as_bytes()).await.unwrap();
    assert_eq!(read_answer(&mut kept).await.unwrap().0, 401);
    // A request under way when the descriptors run out (an idle keep-alive connection would
    // be closed to free one).
    let (first, rest) = request.split_at(10);
    kept.write_all(first.as_bytes()).await.unwrap();
    let mut flood = Vec::new();
    for _ in 0..100 {
        flood.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Out of descriptors, the connection it has is still served.
    kept.write_all(rest.as_bytes()).await.unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(10), read_answer(&mut kept)).await;
    assert_eq!(answer.unwrap().unwrap().0, 401);
    // Once the flood is gone, new connections are served again.
    drop(flood);
    let fresh = async {
        loop {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(request.as_bytes()).await.unwrap();
            if let Some((status, _)) = read_answer(&mut s).await {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let status = tokio::time::timeout(Duration::from_secs(10), fresh).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status.unwrap(), 401);
}
