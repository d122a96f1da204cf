//! A scripted HTTP server on loopback for the commands whose server side the emulator does
//! not have yet: each path answers its queue of replies in order (the last one repeats) and
//! every request is recorded with its method and JSON body.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::support::{Run, bare_command};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub body: Value,
}

#[derive(Default)]
struct Script {
    routes: HashMap<String, VecDeque<(u16, Value)>>,
    seen: Vec<Seen>,
}

/// The server.
#[derive(Clone)]
pub struct Scripted {
    pub url: String,
    script: Arc<Mutex<Script>>,
}

impl Scripted {
    pub async fn start() -> Scripted {
        let script: Arc<Mutex<Script>> = Arc::default();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Scripted { url, script }
    }

    /// Replies for `path`, in order; the last one repeats.
    pub fn script(&self, path: &str, replies: impl IntoIterator<Item = (u16, Value)>) {
        self.script
            .lock()
            .unwrap()
            .routes
            .insert(path.to_owned(), replies.into_iter().collect());
    }

    /// Task `id`: completed with `result`.
    pub fn completed(&self, id: &str, result: Value) {
        let task =
            json!({"task_id": id, "status": "completed", "result": result, "duration": "0.1ms"});
        self.script(&format!("/api/v2/tasks/{id}"), [(200, task)]);
    }

    /// Every request so far except the task polls.
    pub fn calls(&self) -> Vec<Seen> {
        let script = self.script.lock().unwrap();
        script
            .seen
            .iter()
            .filter(|s| !s.path.starts_with("/api/v2/tasks/"))
            .cloned()
            .collect()
    }

    /// How many requests came, polls included.
    pub fn requests(&self) -> usize {
        self.script.lock().unwrap().seen.len()
    }

    /// Runs `getstream ARGS` against this server (stdout and stderr piped).
    pub async fn run<const N: usize>(&self, args: [&str; N]) -> Run {
        let mut cmd = bare_command(args);
        cmd.env("STREAM_API_KEY", "cli-key")
            .env("STREAM_API_SECRET", "cli-secret")
            .env("STREAM_BASE_URL", &self.url);
        let out = cmd.output().await.expect("the binary runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

async fn handle(State(script): State<Arc<Mutex<Script>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 16 << 20)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let (status, reply) = {
        let mut script = script.lock().unwrap();
        script.seen.push(Seen {
            method: parts.method.to_string(),
            path: path.clone(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        });
        match script.routes.get_mut(&path) {
            Some(queue) if queue.len() > 1 => queue.pop_front().unwrap(),
            Some(queue) => queue.front().cloned().unwrap(),
            None => (
                404,
                json!({"code": 16, "message": "no scripted reply", "StatusCode": 404}),
            ),
        }
    };
    let mut response = Response::new(Body::from(reply.to_string()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    response
}
