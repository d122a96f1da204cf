//! The ready axum receiver (feature `axum`), over real HTTP on loopback.

use std::io::Write;
use std::sync::{Arc, Mutex};

use getstream_tasks::TaskEvents;
use getstream_tasks::webhook::{self, WebhookEvent, axum::Receiver};

const SECRET: &str = "receiver-test-secret";

async fn serve(receiver: Receiver) -> String {
    let app: axum::Router = receiver.router("/hooks/stream");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/hooks/stream")
}

async fn post(url: &str, body: Vec<u8>, signature: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    if let Some(signature) = signature {
        request = request.header("X-Signature", signature);
    }
    request.send().await.unwrap().status().as_u16()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test]
async fn verified_events_reach_the_hub_and_the_callback_bad_ones_do_not() {
    let events = TaskEvents::new();
    let seen: Arc<Mutex<Vec<WebhookEvent>>> = Arc::default();
    let log = seen.clone();
    let url = serve(
        Receiver::new(SECRET)
            .events(events.clone())
            .on_event(move |event| log.lock().unwrap().push(event))
            .max_payload_size(4096),
    )
    .await;

    let body =
        br#"{"type":"export.channels.success","task_id":"t-1","url":"https://x/1"}"#.to_vec();
    let signature = webhook::sign(&body, SECRET);
    assert_eq!(post(&url, body.clone(), Some(&signature)).await, 200);
    // Compressed, signed over the uncompressed bytes; upper-case hex.
    assert_eq!(
        post(&url, gzip(&body), Some(&signature.to_uppercase())).await,
        200
    );
    // Unknown types are events too.
    let other = br#"{"type":"message.new","message":{"id":"m"}}"#.to_vec();
    assert_eq!(
        post(&url, other.clone(), Some(&webhook::sign(&other, SECRET))).await,
        200
    );

    // Refused: no signature, a wrong one, a signature of the compressed body,
    // a re-serialised body, another secret.
    assert_eq!(post(&url, body.clone(), None).await, 401);
    assert_eq!(post(&url, body.clone(), Some(&"0".repeat(64))).await, 401);
    let compressed = gzip(&body);
    assert_eq!(
        post(
            &url,
            compressed.clone(),
            Some(&webhook::sign(&compressed, SECRET))
        )
        .await,
        401
    );
    let reserialised =
        serde_json::to_vec_pretty(&serde_json::from_slice::<serde_json::Value>(&body).unwrap())
            .unwrap();
    assert_eq!(post(&url, reserialised, Some(&signature)).await, 401);
    assert_eq!(
        post(&url, body.clone(), Some(&webhook::sign(&body, "other"))).await,
        401
    );
    // Too large as sent, or once inflated; not gzip that says it is.
    let big = format!(r#"{{"type":"x","pad":"{}"}}"#, "a".repeat(5000)).into_bytes();
    assert_eq!(
        post(&url, big.clone(), Some(&webhook::sign(&big, SECRET))).await,
        413
    );
    assert_eq!(
        post(&url, gzip(&big), Some(&webhook::sign(&big, SECRET))).await,
        413
    );
    let broken = vec![0x1f, 0x8b, 0x08, 0, 1, 2, 3];
    assert_eq!(post(&url, broken, Some(&signature)).await, 400);

    let seen = seen.lock().unwrap();
    let types: Vec<&str> = seen.iter().map(WebhookEvent::event_type).collect();
    assert_eq!(
        types,
        [
            "export.channels.success",
            "export.channels.success",
            "message.new"
        ]
    );
    assert_eq!(events.published(), 3);
}

#[tokio::test]
async fn for_client_uses_the_clients_secret_and_hub() {
    let events = TaskEvents::new();
    let client = getstream_tasks::Client::builder("key", SECRET)
        .task_events(events.clone())
        .build()
        .unwrap();
    let url = serve(Receiver::for_client(&client)).await;
    let body = br#"{"type":"user.deleted","user":{"id":"u1"}}"#.to_vec();
    assert_eq!(
        post(&url, body.clone(), Some(&webhook::sign(&body, SECRET))).await,
        200
    );
    assert_eq!(
        post(&url, body.clone(), Some(&webhook::sign(&body, "nope"))).await,
        401
    );
    assert_eq!(events.published(), 1);
    // The secret never shows.
    assert!(!format!("{:?}", Receiver::for_client(&client)).contains(SECRET));
}
