//! Bench 1: sequential `GET /api/v2/tasks/{id}` round trips from this process.
//!
//! Several clients can be measured in one process: they take turns in chunks (each
//! chunk's CPU time is a getrusage delta while only that client runs), so a change in
//! the machine's load during the run hits them alike.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use crate::emu::{Admin, Target};
use crate::{BoxError, measure};

/// Which client makes the calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Impl {
    /// `getstream_tasks::Client::get_task` (reqwest inside, JSON decoded into a `Task`).
    Ours,
    /// reqwest with the same URL and headers; the body is read, not decoded.
    BareReqwest,
    /// One hyper HTTP/1.1 keep-alive connection, same URL and headers; body read, not decoded.
    BareHyper,
}

const CLIENT_HEADER: &str = "getstream-tasks-0.1.0";
const USER_AGENT: &str = "getstream-tasks/0.1.0";

enum Caller {
    Ours {
        client: getstream_tasks::Client,
        task_id: String,
    },
    Reqwest {
        http: reqwest::Client,
        url: String,
        authorization: String,
    },
    Hyper {
        sender: SendRequest<Empty<Bytes>>,
        path_and_query: String,
        authority: String,
        authorization: String,
    },
}

impl Caller {
    async fn new(which: Impl, target: &Target, task_id: &str) -> Result<Caller, BoxError> {
        let path_and_query = format!("/api/v2/tasks/{task_id}?api_key={}", target.api_key);
        Ok(match which {
            Impl::Ours => Caller::Ours {
                client: getstream_tasks::Client::builder(&target.api_key, &target.api_secret)
                    .base_url(&target.base_url)
                    .build()?,
                task_id: task_id.to_owned(),
            },
            Impl::BareReqwest => Caller::Reqwest {
                http: reqwest::Client::new(),
                url: format!("{}{path_and_query}", target.base_url),
                authorization: Admin::new(&target.base_url)?.token().await?,
            },
            Impl::BareHyper => {
                let authority = target
                    .base_url
                    .strip_prefix("http://")
                    .ok_or("base_url is not http://")?
                    .to_owned();
                let stream = tokio::net::TcpStream::connect(&authority).await?;
                stream.set_nodelay(true)?;
                let (sender, conn) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
                tokio::spawn(conn);
                Caller::Hyper {
                    sender,
                    path_and_query,
                    authority,
                    authorization: Admin::new(&target.base_url)?.token().await?,
                }
            }
        })
    }

    async fn call(&mut self) -> Result<(), BoxError> {
        match self {
            Caller::Ours { client, task_id } => {
                let task = client.get_task(task_id).await?;
                if task.task_id != *task_id {
                    return Err("answer about another task".into());
                }
                Ok(())
            }
            Caller::Reqwest {
                http,
                url,
                authorization,
            } => {
                let response = http
                    .get(url.as_str())
                    .header("authorization", authorization.as_str())
                    .header("stream-auth-type", "jwt")
                    .header("x-stream-client", CLIENT_HEADER)
                    .header("x-client-request-id", uuid::Uuid::new_v4().to_string())
                    .header("user-agent", USER_AGENT)
                    .send()
                    .await?;
                let ok = response.status().is_success();
                let _body = response.bytes().await?;
                if ok { Ok(()) } else { Err("non-2xx".into()) }
            }
            Caller::Hyper {
                sender,
                path_and_query,
                authority,
                authorization,
            } => {
                let request = http::Request::get(path_and_query.as_str())
                    .header("host", authority.as_str())
                    .header("authorization", authorization.as_str())
                    .header("stream-auth-type", "jwt")
                    .header("x-stream-client", CLIENT_HEADER)
                    .header("x-client-request-id", uuid::Uuid::new_v4().to_string())
                    .header("user-agent", USER_AGENT)
                    .header("accept", "*/*")
                    .body(Empty::<Bytes>::new())?;
                sender.ready().await?;
                let response = sender.send_request(request).await?;
                let ok = response.status().is_success();
                let _body = response.into_body().collect().await?.to_bytes();
                if ok { Ok(()) } else { Err("non-2xx".into()) }
            }
        }
    }
}

#[derive(Default)]
struct Tally {
    wall: Duration,
    cpu: Duration,
    errors: u32,
    samples: Vec<f64>,
}

/// `warmup` calls per client, then `n` calls per client in `chunks` turns.
pub async fn run(
    target: &Target,
    which: &[Impl],
    task_id: &str,
    n: u32,
    warmup: u32,
    chunks: u32,
) -> Result<Value, BoxError> {
    let mut callers = Vec::new();
    for &w in which {
        callers.push((w, Caller::new(w, target, task_id).await?, Tally::default()));
    }
    for (_, caller, tally) in &mut callers {
        for _ in 0..warmup {
            if caller.call().await.is_err() {
                tally.errors += 1;
            }
        }
    }
    let chunks = chunks.clamp(1, n.max(1));
    let per_chunk = n / chunks;
    let n = per_chunk * chunks;
    for chunk in 0..chunks as usize {
        let len = callers.len();
        for k in 0..len {
            // Rotate who goes first, so no client always follows another.
            let (_, caller, tally) = &mut callers[(chunk + k) % len];
            let cpu0 = measure::cpu_time();
            let t0 = Instant::now();
            for _ in 0..per_chunk {
                let t = Instant::now();
                if caller.call().await.is_err() {
                    tally.errors += 1;
                }
                tally.samples.push(t.elapsed().as_secs_f64() * 1e6);
            }
            tally.wall += t0.elapsed();
            tally.cpu += measure::cpu_time().saturating_sub(cpu0);
        }
    }
    let results: Vec<Value> = callers
        .into_iter()
        .map(|(w, _, mut t)| {
            t.samples.sort_by(f64::total_cmp);
            json!({
                "impl": format!("{w:?}"),
                "n": n,
                "errors": t.errors,
                "wall_us_per_call": t.wall.as_secs_f64() * 1e6 / f64::from(n),
                "cpu_us_per_call": t.cpu.as_secs_f64() * 1e6 / f64::from(n),
                "p50_us": measure::quantile(&t.samples, 0.5),
                "p99_us": measure::quantile(&t.samples, 0.99),
            })
        })
        .collect();
    Ok(json!({ "results": results }))
}
