//! What a hostile or broken server cannot make the client do: read a body
//! past the cap, run a wait past its deadline, follow a redirect (and send
//! the credentials or a `Referer` elsewhere).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use futures::StreamExt;
use getstream_tasks::Error;
use tokio::time::Instant;

use crate::support::{Reply, Server, builder, ms, secs, transport_error};

/// A server answering every request with a 200 whose body never ends: chunks
/// of 16 KiB, one every `every` (or as fast as the client reads), with no
/// `Content-Length`. Counts the bytes it handed to the connection.
async fn endless(every: Option<Duration>) -> (String, Arc<AtomicU64>) {
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let app = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            let chunk = Bytes::from(vec![b' '; 16 * 1024]);
            let body = futures::stream::repeat(()).then(move |()| {
                let (chunk, counter) = (chunk.clone(), counter.clone());
                async move {
                    if let Some(every) = every {
                        tokio::time::sleep(every).await;
                    }
                    counter.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                    Ok::<_, std::convert::Infallible>(chunk)
                }
            });
            axum::response::Response::builder()
                .header("content-type", "application/json")
                .body(Body::from_stream(body))
                .unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, sent)
}

/// Real time: the body streams as fast as it is read, and the client must
/// stop at the cap on its own (no timer would stop it within the test).
#[tokio::test]
async fn an_endless_body_stops_at_the_cap_with_an_error_naming_it() {
    let (url, sent) = endless(None).await;
    let cap = 256 * 1024;
    let client = builder(&url).max_response_size(cap).build().unwrap();
    let e = client.get_task("t1").await.unwrap_err();
    let t = transport_error(&e);
    assert!(!t.is_retryable(), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("limit of 262144 bytes") && text.contains("max_response_size"),
        "{text}"
    );
    // The server produced what the connection's buffers took and no more:
    // the client stopped reading at the cap instead of draining the stream.
    drop(client);
    let produced = sent.load(Ordering::SeqCst);
    assert!(produced < 64 * 1024 * 1024, "{produced} bytes produced");

    // A wait gets the same error at once, instead of reading until its deadline.
    let client = builder(&url).max_response_size(cap).build().unwrap();
    let start = std::time::Instant::now();
    let e = client
        .wait_for_task("t1")
        .timeout(secs(600))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("limit of 262144 bytes"), "{e}");
    assert!(start.elapsed() < secs(60), "{:?}", start.elapsed());
}

/// The default cap is in the tens of MiB, and a `Content-Length` above the
/// cap is refused before the body is read.
#[tokio::test(start_paused = true)]
async fn an_announced_length_over_the_cap_is_refused_unread() {
    assert_eq!(getstream_tasks::DEFAULT_MAX_RESPONSE_SIZE, 32 * 1024 * 1024);
    let server = Server::start().await;
    let body = format!(
        r#"{{"task_id":"t1","status":"completed","pad":"{}"}}"#,
        "x".repeat(2000)
    );
    server.task("t1", [Reply::text(200, &body)]);
    let small = builder(&server.url)
        .max_response_size(1000)
        .build()
        .unwrap();
    let e = small.get_task("t1").await.unwrap_err();
    assert!(e.to_string().contains("limit of 1000 bytes"), "{e}");
    // At the cap exactly, the body is read and decoded.
    let exact = builder(&server.url)
        .max_response_size(body.len())
        .build()
        .unwrap();
    assert_eq!(exact.get_task("t1").await.unwrap().task_id, "t1");
    let zero = builder(&server.url)
        .max_response_size(0)
        .build()
        .unwrap_err();
    assert!(zero.is_invalid_argument(), "{zero}");
}

/// Paused clock: a body that trickles forever (a chunk a second) holds the
/// wait exactly until its deadline, not a moment longer.
#[tokio::test(start_paused = true)]
async fn a_trickling_endless_body_ends_the_wait_at_its_deadline() {
    let (url, _) = endless(Some(secs(1))).await;
    let client = builder(&url).build().unwrap();
    let start = Instant::now();
    let e = client
        .wait_for_task("t1")
        .timeout(ms(10_500))
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), ms(10_500), "{e}");
    assert!(e.is_timeout(), "{e}");
}

/// A 302 to another server is an error naming the `Location`; the other
/// server sees no request (no credentials, no `Referer` sent there).
#[tokio::test(start_paused = true)]
async fn a_redirect_is_an_error_naming_the_location_and_is_not_followed() {
    let elsewhere = Server::with_task("t1", [Reply::task("t1", "completed")]).await;
    let target = format!("{}/api/v2/tasks/t1", elsewhere.url);
    let server = Server::with_task("t1", [Reply::text(302, "").header("location", &target)]).await;
    let client = server.client();
    let e = client.get_task("t1").await.unwrap_err();
    let Error::Api(api) = &e else { panic!("{e}") };
    assert_eq!(api.status_code().as_u16(), 302);
    assert!(e.to_string().contains(&target), "{e}");
    assert!(!e.is_retryable());
    assert!(elsewhere.requests().is_empty());

    // A wait stops at the redirect too (it is not a transient failure).
    let e = client
        .wait_for_task("t1")
        .timeout(secs(30))
        .await
        .unwrap_err();
    assert_eq!(e.status_code().map(|s| s.as_u16()), Some(302), "{e}");
    assert!(elsewhere.requests().is_empty());
    for request in server.requests() {
        assert!(request.headers.get("referer").is_none(), "{request:?}");
    }

    // Without a Location, the error says so.
    let server = Server::with_task("t2", [Reply::text(307, "")]).await;
    let e = server.client().get_task("t2").await.unwrap_err();
    assert!(e.to_string().contains("no Location header"), "{e}");
}
