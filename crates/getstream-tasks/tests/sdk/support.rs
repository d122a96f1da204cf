//! What the tests share: a scripted HTTP server on 127.0.0.1:0, spawned on the
//! test's own runtime so that tokio's paused clock stays exact (each path has a
//! queue of replies, the last one repeats, or a function answers; every
//! request is recorded with its headers and the (tokio) instant it arrived);
//! clients with the test credentials and a wall clock the tests control;
//! addresses that refuse or drop connections; `secs`/`ms`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde_json::{Value, json};
use tokio::time::Instant;

pub const API_KEY: &str = "test-api-key";
pub const API_SECRET: &str = "test-api-secret-3f9a7c1d";

/// One scripted reply.
#[derive(Clone, Debug)]
pub struct Reply {
    status: StatusCode,
    body: ReplyBody,
    headers: Vec<(String, String)>,
    delay: Duration,
}

#[derive(Clone, Debug)]
enum ReplyBody {
    Json(Value),
    Text(String),
    Hang,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            body: ReplyBody::Json(body),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn text(status: u16, body: &str) -> Reply {
        Reply {
            body: ReplyBody::Text(body.to_owned()),
            ..Reply::json(status, Value::Null)
        }
    }

    /// A task in `status` (timestamps in nanoseconds, as the v2 API sends them).
    pub fn task(id: &str, status: &str) -> Reply {
        Reply::json(
            200,
            json!({
                "task_id": id,
                "status": status,
                "created_at": 1_700_000_000_000_000_000_i64,
                "updated_at": 1_700_000_002_500_000_000_i64,
                "duration": "0.42ms",
            }),
        )
    }

    /// Stream's APIError envelope.
    pub fn api_error(status: u16, code: i64, message: &str) -> Reply {
        Reply::json(
            status,
            json!({
                "code": code,
                "message": message,
                "StatusCode": status,
                "duration": "0.01ms",
                "more_info": "https://getstream.io/chat/docs/api_errors_response",
                "details": [],
            }),
        )
    }

    /// Accepts the request and never answers.
    pub fn hang() -> Reply {
        Reply {
            body: ReplyBody::Hang,
            ..Reply::json(200, Value::Null)
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Answers only after `delay` (on the runtime's clock).
    pub fn delayed(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    /// Adds fields to a JSON body.
    pub fn with(mut self, fields: Value) -> Reply {
        if let (ReplyBody::Json(Value::Object(body)), Value::Object(extra)) =
            (&mut self.body, fields)
        {
            body.extend(extra);
        }
        self
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub at: Instant,
    /// The client's address: one per connection.
    pub peer: std::net::SocketAddr,
    /// The status of the reply (404 when nothing was scripted).
    pub status: u16,
    /// The body as JSON (`null` when empty or not JSON).
    pub body: Value,
}

/// Answers a request from its path, its number on that path (from 1) and the
/// time since the server started.
type Responder = dyn Fn(&str, usize, Duration) -> Reply + Send + Sync;

struct Script {
    started: Instant,
    routes: HashMap<String, VecDeque<Reply>>,
    responder: Option<Box<Responder>>,
    requests: Vec<Recorded>,
    per_path: HashMap<String, usize>,
    in_flight: usize,
    max_in_flight: usize,
    abandoned: usize,
}

#[derive(Clone)]
pub struct Server {
    pub url: String,
    script: Arc<Mutex<Script>>,
}

impl Server {
    pub async fn start() -> Server {
        let script = Arc::new(Mutex::new(Script {
            started: Instant::now(),
            routes: HashMap::new(),
            responder: None,
            requests: Vec::new(),
            per_path: HashMap::new(),
            in_flight: 0,
            max_in_flight: 0,
            abandoned: 0,
        }));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
        Server { url, script }
    }

    /// Replies for `path` (as received, still percent-encoded), in order; the
    /// last one repeats.
    pub fn script(&self, path: &str, replies: impl IntoIterator<Item = Reply>) {
        self.script
            .lock()
            .unwrap()
            .routes
            .insert(path.to_owned(), replies.into_iter().collect());
    }

    /// Answers every path that has no scripted replies with `responder(path,
    /// number of the request on that path from 1, time since the server
    /// started)`: for many tasks whose answers follow a rule.
    pub fn answer(
        &self,
        responder: impl Fn(&str, usize, Duration) -> Reply + Send + Sync + 'static,
    ) {
        self.script.lock().unwrap().responder = Some(Box::new(responder));
    }

    /// The most requests the server held at once (answered or waiting for
    /// their reply's delay).
    pub fn max_in_flight(&self) -> usize {
        self.script.lock().unwrap().max_in_flight
    }

    /// How many requests the client abandoned before their reply (closed
    /// the connection, e.g. a hanging request of a dropped wait).
    pub fn abandoned(&self) -> usize {
        self.script.lock().unwrap().abandoned
    }

    /// A server with `replies` scripted for task `id`.
    pub async fn with_task(id: &str, replies: impl IntoIterator<Item = Reply>) -> Server {
        let server = Server::start().await;
        server.task(id, replies);
        server
    }

    /// A server where task `id` goes through `statuses`, one per poll (the
    /// last one repeats).
    pub async fn with_statuses(id: &str, statuses: &[&str]) -> Server {
        Server::with_task(id, statuses.iter().map(|s| Reply::task(id, s))).await
    }

    /// Waits on task `id` with [`client`](Self::client) and `timeout`, expecting
    /// the wait to fail: its error.
    pub async fn wait_error(&self, id: &str, timeout: Duration) -> getstream_tasks::Error {
        self.client()
            .wait_for_task(id)
            .timeout(timeout)
            .await
            .unwrap_err()
    }

    /// Replies for `/api/v2/tasks/{id}`.
    pub fn task(&self, id: &str, replies: impl IntoIterator<Item = Reply>) {
        self.script(&format!("/api/v2/tasks/{id}"), replies);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.script.lock().unwrap().requests.clone()
    }

    /// Arrival times of the requests, relative to `start`.
    pub fn arrivals(&self, start: Instant) -> Vec<Duration> {
        self.requests().iter().map(|r| r.at - start).collect()
    }

    pub fn client(&self) -> getstream_tasks::Client {
        client_at(&self.url)
    }
}

async fn handle(
    State(script): State<Arc<Mutex<Script>>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    request: Request,
) -> Response {
    // The arrival is timed before the body is read: reading may yield, and
    // the paused clock would move on meanwhile.
    let arrived = Instant::now();
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 16 << 20)
        .await
        .unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let request = Request::from_parts(parts, Body::empty());
    let reply = {
        let mut script = script.lock().unwrap();
        let script = &mut *script;
        let path = request.uri().path().to_owned();
        let at = arrived;
        let n = script.per_path.entry(path.clone()).or_default();
        *n += 1;
        let n = *n;
        let reply = match script.routes.get_mut(&path) {
            Some(queue) if queue.len() > 1 => queue.pop_front(),
            Some(queue) => queue.front().cloned(),
            None => script
                .responder
                .as_ref()
                .map(|answer| answer(&path, n, at - script.started)),
        };
        script.requests.push(Recorded {
            method: request.method().to_string(),
            path,
            query: request.uri().query().map(str::to_owned),
            headers: request.headers().clone(),
            at,
            peer,
            status: reply.as_ref().map_or(404, |r| r.status.as_u16()),
            body,
        });
        script.in_flight += 1;
        script.max_in_flight = script.max_in_flight.max(script.in_flight);
        reply
    };
    // Counted out on drop: a request the client abandons (the handler future
    // dropped with its connection) leaves too, and is counted as abandoned.
    let mut in_flight = InFlight {
        script,
        answered: false,
    };
    let response = respond(reply).await;
    in_flight.answered = true;
    response
}

struct InFlight {
    script: Arc<Mutex<Script>>,
    answered: bool,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut script = self.script.lock().unwrap_or_else(|p| p.into_inner());
        script.in_flight -= 1;
        if !self.answered {
            script.abandoned += 1;
        }
    }
}

async fn respond(reply: Option<Reply>) -> Response {
    let Some(reply) = reply else {
        return json_response(
            StatusCode::NOT_FOUND,
            &json!({"code": 16, "message": "no scripted reply for this path", "StatusCode": 404}),
            &[],
        );
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    match &reply.body {
        ReplyBody::Hang => std::future::pending().await,
        ReplyBody::Json(body) => json_response(reply.status, body, &reply.headers),
        ReplyBody::Text(text) => {
            let mut response = Response::new(Body::from(text.clone()));
            *response.status_mut() = reply.status;
            response
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("text/html"));
            add_headers(&mut response, &reply.headers);
            response
        }
    }
}

fn json_response(status: StatusCode, body: &Value, headers: &[(String, String)]) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    add_headers(&mut response, headers);
    response
}

fn add_headers(response: &mut Response, headers: &[(String, String)]) {
    for (name, value) in headers {
        response.headers_mut().append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
}

/// A listener that accepts connections and drops them at once (a server that
/// resets every request). Returns its base URL.
pub async fn dropping_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            drop(socket);
        }
    });
    url
}

/// A loopback address where nothing listens (connections are refused).
pub async fn refusing_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// The transport error inside `error` (a test failure if it is another kind).
pub fn transport_error(error: &getstream_tasks::Error) -> &getstream_tasks::TransportError {
    match error {
        getstream_tasks::Error::Transport(t) => t,
        other => panic!("not a transport error: {other}"),
    }
}

/// Every message of an error's cause chain, one per line.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut out = format!("{error}\n{error:?}");
    let mut source = error.source();
    while let Some(e) = source {
        out.push_str(&format!("\n{e}\n{e:?}"));
        source = e.source();
    }
    out
}

/// A client builder with the test credentials and the [`TestClock`], for `url`.
pub fn builder(url: &str) -> getstream_tasks::ClientBuilder {
    getstream_tasks::Client::builder(API_KEY, API_SECRET)
        .base_url(url)
        .time_source(TestClock::new())
}

/// Starts `n` waits at once, each on a clone of `client`, on the tasks
/// `{prefix}0` to `{prefix}{n-1}`, each polling every `interval` for at most
/// `timeout`, and checks that every one completed.
pub async fn waits_complete(
    client: &getstream_tasks::Client,
    prefix: &str,
    n: usize,
    interval: Duration,
    timeout: Duration,
) {
    let waits: Vec<_> = (0..n)
        .map(|i| {
            let wait = client
                .clone()
                .wait_for_task(format!("{prefix}{i}"))
                .interval(interval)
                .timeout(timeout);
            tokio::spawn(async move { wait.await })
        })
        .collect();
    for wait in waits {
        let task = wait.await.unwrap().unwrap();
        assert_eq!(task.status, getstream_tasks::TaskStatus::Completed);
    }
}

/// The wall-clock time (Unix seconds) a [`TestClock`] starts at.
pub const WALL_START: u64 = 1_700_000_000;

/// A wall clock that reads [`WALL_START`] when it is made and then follows
/// tokio's (paused) clock, so that `X-RateLimit-Reset` times are exact.
#[derive(Debug)]
pub struct TestClock {
    start: Instant,
}

impl TestClock {
    pub fn new() -> TestClock {
        TestClock {
            start: Instant::now(),
        }
    }

    /// Unix seconds, `after` past the clock's start.
    pub fn unix_secs(after: Duration) -> u64 {
        WALL_START + after.as_secs()
    }
}

impl getstream_tasks::TimeSource for TestClock {
    fn now(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + secs(WALL_START) + self.start.elapsed()
    }
}

pub const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

pub const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A client with the test credentials, for `url`.
pub fn client_at(url: &str) -> getstream_tasks::Client {
    builder(url).build().unwrap()
}

/// Runs `start` on a runtime thread of its own (real time) and returns what it
/// gives; the runtime then keeps running what `start` spawned (servers) until
/// the test binary exits. Keeps the value alive there with a clone: `start`
/// hands back what the test needs.
#[cfg(feature = "blocking")]
pub fn on_own_thread<T, F, Fut>(start: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = T>,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            tx.send(start().await).unwrap();
            std::future::pending::<()>().await;
        });
    });
    rx.recv().unwrap()
}

/// Starts a scripted server on a runtime thread of its own (real time), for the
/// blocking client's tests.
#[cfg(feature = "blocking")]
pub fn server_on_own_thread(script: impl FnOnce(&Server) + Send + 'static) -> Server {
    on_own_thread(|| async move {
        let server = Server::start().await;
        script(&server);
        server
    })
}

/// A `tracing` writer that keeps everything logged.
#[derive(Clone, Default)]
pub struct Captured(pub Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The log of every test in this binary, captured by one global subscriber at TRACE.
///
/// Global, not scoped: a subscriber set with `set_default` on one test's thread races with
/// tracing's callsite-interest cache while other tests run in parallel, and then misses
/// events. Tests read their own lines by something unique to them (a task id).
pub fn global_logs() -> Captured {
    static LOGS: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        logs
    })
    .clone()
}

/// A blocking client of `server`, with the test credentials.
#[cfg(feature = "blocking")]
pub fn blocking_client(server: &Server) -> getstream_tasks::blocking::Client {
    getstream_tasks::blocking::Client::builder(API_KEY, API_SECRET)
        .base_url(&server.url)
        .build()
        .unwrap()
}
