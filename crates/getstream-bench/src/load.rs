//! Bench 5: load on the emulator's `GET /api/v2/tasks/{id}` vs a bare axum route that
//! returns the same bytes as a fixed body, side by side in one run.
//!
//! Both servers run in this process on one tokio runtime with ONE worker thread; the
//! load generator runs on a current-thread runtime on the main thread (one thread), so
//! on a 2-core machine each side has a core. HTTP/1.1 keep-alive, `connections`
//! connections, each sending its next request when the previous answer is read.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use getstream_emulator::{Emulator, EmulatorConfig, Pace, RateLimits, ScriptedTask};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use crate::{BoxError, measure};

/// Requests per connection are capped at this (a bound besides the duration).
const MAX_REQUESTS_PER_CONNECTION: usize = 5_000_000;

struct Servers {
    emulator: SocketAddr,
    bare: SocketAddr,
    path_and_query: String,
    token: String,
    body_len: usize,
}

/// Starts both servers on a 1-worker runtime on its own thread; they live until the
/// process ends.
fn start_servers() -> Result<Servers, BoxError> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("bench-servers".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            runtime.block_on(async move {
                match serve().await {
                    Ok(servers) => {
                        let _ = tx.send(Ok(servers));
                        // Serve until the process exits.
                        std::future::pending::<()>().await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                    }
                }
            });
        })?;
    rx.recv_timeout(Duration::from_secs(30))
        .map_err(|_| "the servers did not start within 30 s")?
        .map_err(Into::into)
}

async fn serve() -> Result<Servers, BoxError> {
    let config = EmulatorConfig::new()
        .pace(Pace::instant())
        .rate_limits(RateLimits::disabled())
        .admin(true);
    let emulator = Emulator::start(config).await?;
    let key = emulator.api_key().to_owned();
    let task_id = emulator.state().script_task(
        &key,
        ScriptedTask::new()
            .step("completed", Duration::ZERO)
            .result(json!({"messaging:general": {"status": "ok"}, "messaging:random": {"status": "ok"}})),
    )?;
    let base = emulator.base_url();
    let token = reqwest::get(format!("{base}/_emulator/token"))
        .await?
        .json::<Value>()
        .await?["token"]
        .as_str()
        .ok_or("no token")?
        .to_owned();
    let path_and_query = format!("/api/v2/tasks/{task_id}?api_key={key}");
    let response = reqwest::Client::new()
        .get(format!("{base}{path_and_query}"))
        .header("authorization", &token)
        .header("stream-auth-type", "jwt")
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(format!("emulator answered {}", response.status()).into());
    }
    let body = response.bytes().await?;
    let body_len = body.len();
    let emulator_addr = emulator.addr();
    // Keep the emulator alive for the life of the process.
    std::mem::forget(emulator);

    let fixed = body.clone();
    let bare = axum::Router::new().route(
        "/api/v2/tasks/{id}",
        axum::routing::get(move || {
            let body = fixed.clone();
            async move { ([(http::header::CONTENT_TYPE, "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let bare_addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, bare).await;
    });
    Ok(Servers {
        emulator: emulator_addr,
        bare: bare_addr,
        path_and_query,
        token,
        body_len,
    })
}

/// One connection's loop: requests until `until`; returns latencies in µs.
async fn connection(
    addr: SocketAddr,
    servers: std::rc::Rc<(String, String)>,
    until: Instant,
) -> Result<Vec<u32>, BoxError> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::task::spawn_local(conn);
    let host = addr.to_string();
    let mut latencies = Vec::with_capacity(1 << 16);
    while Instant::now() < until && latencies.len() < MAX_REQUESTS_PER_CONNECTION {
        let request = http::Request::get(servers.0.as_str())
            .header("host", host.as_str())
            .header("authorization", servers.1.as_str())
            .header("stream-auth-type", "jwt")
            .header("x-stream-client", "getstream-tasks-0.1.0")
            .header("x-client-request-id", uuid::Uuid::new_v4().to_string())
            .header("user-agent", "getstream-tasks/0.1.0")
            .body(Empty::<Bytes>::new())?;
        let t = Instant::now();
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        if !response.status().is_success() {
            return Err(format!("{addr} answered {}", response.status()).into());
        }
        response.into_body().collect().await?;
        latencies.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
    }
    Ok(latencies)
}

/// Load on `addr` for `duration` over `connections` connections; (requests, latencies µs, seconds).
async fn phase(
    addr: SocketAddr,
    servers: &Servers,
    connections: usize,
    duration: Duration,
) -> Result<(Vec<u32>, f64), BoxError> {
    let shared = std::rc::Rc::new((servers.path_and_query.clone(), servers.token.clone()));
    let t0 = Instant::now();
    let until = t0 + duration;
    let handles: Vec<_> = (0..connections)
        .map(|_| tokio::task::spawn_local(connection(addr, shared.clone(), until)))
        .collect();
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await??);
    }
    Ok((all, t0.elapsed().as_secs_f64()))
}

/// Runs `rounds` x (emulator, bare) phases of `duration` each, after a short warm-up of both.
pub fn run(connections: usize, duration: Duration, rounds: u32) -> Result<Value, BoxError> {
    let servers = start_servers()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let warm = Duration::from_millis(500).min(duration);
        phase(servers.emulator, &servers, connections, warm).await?;
        phase(servers.bare, &servers, connections, warm).await?;
        let mut emu = (Vec::new(), 0.0);
        let mut bare = (Vec::new(), 0.0);
        for _ in 0..rounds {
            let (l, s) = phase(servers.emulator, &servers, connections, duration).await?;
            emu.0.extend(l);
            emu.1 += s;
            let (l, s) = phase(servers.bare, &servers, connections, duration).await?;
            bare.0.extend(l);
            bare.1 += s;
        }
        let summary = |(mut lat, secs): (Vec<u32>, f64)| {
            lat.sort_unstable();
            let f: Vec<f64> = lat.iter().map(|&x| f64::from(x)).collect();
            json!({
                "requests": lat.len(),
                "rps": lat.len() as f64 / secs,
                "p50_us": measure::quantile(&f, 0.5),
                "p99_us": measure::quantile(&f, 0.99),
            })
        };
        let e = summary(emu);
        let b = summary(bare);
        let ratio = e["rps"].as_f64().unwrap_or(0.0) / b["rps"].as_f64().unwrap_or(f64::NAN);
        Ok(json!({
            "connections": connections,
            "phase_s": duration.as_secs_f64(),
            "rounds": rounds,
            "body_bytes": servers.body_len,
            "emulator": e,
            "bare": b,
            "ratio": ratio,
        }))
    })
}
