//! The receiver facing a hostile sender, over real sockets on loopback:
//! replays, the body budget shared by all requests, slow bodies and heads,
//! idle connections, the connection cap (`webhook::axum::serve`).

use std::net::SocketAddr;
use std::time::Duration;

use getstream_tasks::TaskEvents;
use getstream_tasks::webhook::{self, Deliveries, axum::Receiver, axum::ReceiverLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

const SECRET: &str = "receiver-limits-secret";

/// Serves `receiver` with `webhook::axum::serve` under `limits`.
async fn start(receiver: Receiver, limits: ReceiverLimits) -> SocketAddr {
    let app: axum::Router = receiver.limits(limits.clone()).router("/hook");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        webhook::axum::serve(listener, app, &limits, std::future::pending()).await;
    });
    address
}

/// A signed delivery of about `size` bytes.
fn delivery(task_id: &str, size: usize) -> (Vec<u8>, String) {
    let body = format!(
        r#"{{"type":"export.users.success","task_id":"{task_id}","pad":"{}"}}"#,
        "a".repeat(size.saturating_sub(60))
    )
    .into_bytes();
    let signature = webhook::sign(&body, SECRET);
    (body, signature)
}

async fn post(address: SocketAddr, body: Vec<u8>, signature: &str, id: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new()
        .post(format!("http://{address}/hook"))
        .header("x-signature", signature)
        .body(body);
    if let Some(id) = id {
        request = request.header("x-webhook-id", id);
    }
    request.send().await.unwrap().status().as_u16()
}

/// Reads until the peer closes or answers; the bytes read (empty: closed
/// without an answer).
async fn read_answer(socket: &mut TcpStream) -> String {
    let mut answer = vec![0; 4096];
    let n = socket.read(&mut answer).await.unwrap_or(0);
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

#[tokio::test]
async fn a_replayed_delivery_is_answered_but_not_published_again() {
    let events = TaskEvents::new();
    let address = start(
        Receiver::new(SECRET).events(events.clone()),
        ReceiverLimits::default(),
    )
    .await;
    let (body, signature) = delivery("t1", 100);
    // An unsigned request with the id first: it must not shadow the genuine one.
    assert_eq!(
        post(address, body.clone(), &"0".repeat(64), Some("d-1")).await,
        401
    );
    for _ in 0..5 {
        assert_eq!(
            post(address, body.clone(), &signature, Some("d-1")).await,
            200
        );
    }
    assert_eq!(
        events.published(),
        1,
        "Stream's retries and replays: one event"
    );
    assert_eq!(
        post(address, body.clone(), &signature, Some("d-2")).await,
        200
    );
    assert_eq!(post(address, body.clone(), &signature, None).await, 200);
    assert_eq!(events.published(), 3);

    // With no memory of deliveries, each is published.
    let events = TaskEvents::new();
    let address = start(
        Receiver::new(SECRET)
            .events(events.clone())
            .deliveries(Deliveries::new().window(Duration::ZERO)),
        ReceiverLimits::default(),
    )
    .await;
    for _ in 0..3 {
        assert_eq!(
            post(address, body.clone(), &signature, Some("d-1")).await,
            200
        );
    }
    assert_eq!(events.published(), 3);
}

// Multi-threaded, as a server runs: a body over 64 KiB is verified on the receiver's own thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_budget_is_shared_by_all_requests() {
    let events = TaskEvents::new();
    let limits = ReceiverLimits::default()
        .max_body_bytes(200_000)
        .body_budget(250_000);
    let address = start(Receiver::new(SECRET).events(events.clone()), limits).await;

    // Announced larger than the cap: refused at once, nothing read.
    let mut big = TcpStream::connect(address).await.unwrap();
    big.write_all(b"POST /hook HTTP/1.1\r\nhost: x\r\ncontent-length: 10000000\r\n\r\n")
        .await
        .unwrap();
    assert!(read_answer(&mut big).await.starts_with("HTTP/1.1 413"));

    // An unsigned sender holds 200,000 bytes of the budget with a slow body.
    let mut holder = TcpStream::connect(address).await.unwrap();
    holder
        .write_all(b"POST /hook HTTP/1.1\r\nhost: x\r\ncontent-length: 200000\r\n\r\n{\"type\"")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A 100,000-byte delivery does not fit in what is left: 503, retried by
    // Stream; a small one (at most 64 KiB) has a reserve of its own.
    let (large, large_signature) = delivery("t1", 100_000);
    assert_eq!(
        post(address, large.clone(), &large_signature, None).await,
        503
    );
    let (small, small_signature) = delivery("t2", 60_000);
    assert_eq!(post(address, small, &small_signature, None).await, 200);
    // The holder leaves: its bytes are given back.
    drop(holder);
    let mut answer = 0;
    for _ in 0..50 {
        answer = post(address, large.clone(), &large_signature, None).await;
        if answer == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(answer, 200);
    assert_eq!(events.published(), 2);
}

#[tokio::test]
async fn slow_bodies_and_heads_and_idle_connections_are_cut_off() {
    let limits = ReceiverLimits::default()
        .header_timeout(Duration::from_millis(300))
        .body_timeout(Duration::from_millis(300))
        .idle_timeout(Duration::from_millis(600));
    let address = start(Receiver::new(SECRET), limits).await;

    // A body that stops coming: 408 after the body timeout.
    let mut slow_body = TcpStream::connect(address).await.unwrap();
    slow_body
        .write_all(b"POST /hook HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{")
        .await
        .unwrap();
    let started = Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(5), read_answer(&mut slow_body))
        .await
        .expect("answered");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() >= Duration::from_millis(250));

    // A head sent a byte at a time: closed after the header timeout.
    let mut slow_head = TcpStream::connect(address).await.unwrap();
    let started = Instant::now();
    let trickle = async {
        for byte in b"POST /hook HTTP/1.1\r\nhost: x\r\n" {
            if slow_head.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), trickle)
        .await
        .expect("the trickle ends (the socket is closed)");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        read_answer(&mut slow_head).await,
        "",
        "closed without an answer"
    );

    // A connection that sends nothing: closed after the idle timeout.
    let mut idle = TcpStream::connect(address).await.unwrap();
    let started = Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(5), read_answer(&mut idle))
        .await
        .expect("closed");
    assert_eq!(answer, "");
    assert!(started.elapsed() >= Duration::from_millis(500));
}

#[tokio::test]
async fn at_the_connection_cap_idle_connections_make_room_for_a_delivery() {
    let events = TaskEvents::new();
    let limits = ReceiverLimits::default().max_connections(8);
    let address = start(Receiver::new(SECRET).events(events.clone()), limits).await;
    // Eight connections that send nothing take every slot, and a ninth waits.
    let mut squatters = Vec::new();
    for _ in 0..16 {
        squatters.push(TcpStream::connect(address).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (body, signature) = delivery("t1", 100);
    let started = Instant::now();
    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        post(address, body, &signature, None),
    )
    .await
    .expect("the delivery is served while the squatters hold on");
    assert_eq!(answer, 200);
    // The squatters are closed after a second each (the idle timeout is 30 s).
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(events.published(), 1);
    let mut closed = 0;
    for socket in &mut squatters {
        if let Ok(answer) =
            tokio::time::timeout(Duration::from_millis(50), read_answer(socket)).await
        {
            assert_eq!(answer, "");
            closed += 1;
        }
    }
    assert!(closed >= 8, "{closed} closed");
}
