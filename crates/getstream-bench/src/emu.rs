//! The emulator as a separate process (release binary), and its admin API.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};

use crate::BoxError;

/// Where a client finds an emulator.
#[derive(Debug, Clone)]
pub struct Target {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// API key of the default app.
    pub api_key: String,
    /// API secret of the default app.
    pub api_secret: String,
}

/// A running emulator process; killed when dropped.
#[derive(Debug)]
pub struct EmulatorProcess {
    child: Child,
    /// How to reach it.
    pub target: Target,
}

impl EmulatorProcess {
    /// Starts `binary --addr 127.0.0.1:0 --admin --instant --no-rate-limits` and reads its
    /// stdout contract (`base_url=`, `api_key=`, `api_secret=`), for at most 30 s.
    pub fn start(binary: &Path) -> Result<EmulatorProcess, BoxError> {
        EmulatorProcess::start_with(binary, None)
    }

    /// Like [`start`](Self::start); with `rate_limit` (e.g.
    /// `GET /api/v2/tasks/{id}=1200`) that endpoint's limit is enforced (429s)
    /// while every other endpoint keeps the huge default limit.
    pub fn start_with(
        binary: &Path,
        rate_limit: Option<&str>,
    ) -> Result<EmulatorProcess, BoxError> {
        EmulatorProcess::start_extra(binary, rate_limit, &[])
    }

    /// Like [`start_with`](Self::start_with), with `extra` arguments (e.g. `--seed ...`).
    pub fn start_extra(
        binary: &Path,
        rate_limit: Option<&str>,
        extra: &[&str],
    ) -> Result<EmulatorProcess, BoxError> {
        let mut command = Command::new(binary);
        command
            .args(["--addr", "127.0.0.1:0", "--admin", "--instant"])
            .args(match rate_limit {
                None => vec!["--no-rate-limits"],
                Some(limit) => vec!["--rate-limit", limit],
            })
            // Rate-limit headers are still sent with --no-rate-limits; a huge limit keeps
            // `X-RateLimit-Remaining` from reaching 0, which our SDK honours by waiting for the reset.
            .args(["--default-rate-limit", "1000000000"])
            .args(extra);
        EmulatorProcess::spawn(command, "bench")
    }

    /// Runs `command` (the emulator's binary, or this binary's `emulator` subcommand,
    /// with its flags) with a fresh `--api-key` (starting with `key_prefix`) and
    /// `--api-secret` added, and reads its stdout contract (`base_url=`, `api_key=`,
    /// `api_secret=`), for at most 30 s.
    pub fn spawn(mut command: Command, key_prefix: &str) -> Result<EmulatorProcess, BoxError> {
        let api_key = format!(
            "{key_prefix}-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let api_secret = uuid::Uuid::new_v4().simple().to_string();
        let program = command.get_program().to_string_lossy().into_owned();
        let mut child = command
            .args(["--api-key", &api_key, "--api-secret", &api_secret])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {program}: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        // The reader thread ends when the three lines are read or stdout closes; the
        // emulator writes nothing else, so it cannot block the child.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let lines: Vec<String> = BufReader::new(stdout)
                .lines()
                .take(3)
                .map_while(Result::ok)
                .collect();
            let _ = tx.send(lines);
        });
        let mut process = EmulatorProcess {
            child,
            target: Target {
                base_url: String::new(),
                api_key,
                api_secret,
            },
        };
        let lines = rx
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| "the emulator printed no base_url= line within 30 s")?;
        let field = |name: &str| lines.iter().find_map(|l| l.strip_prefix(name));
        process.target.base_url = field("base_url=")
            .ok_or("the emulator exited early")?
            .to_owned();
        if field("api_key=") != Some(process.target.api_key.as_str()) {
            return Err("the emulator printed another api_key than it was given".into());
        }
        Ok(process)
    }
}

impl EmulatorProcess {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process has exited (and how), without waiting.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Sends SIGTERM and waits (at most `cap`) for the process to exit; returns how long it
    /// took, or `None` when it was still running at `cap` (then it is killed).
    pub fn terminate(&mut self, cap: Duration) -> Result<Option<Duration>, BoxError> {
        let started = Instant::now();
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        while started.elapsed() < cap {
            if self.child.try_wait()?.is_some() {
                return Ok(Some(started.elapsed()));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(None)
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The admin API of an emulator started with `--admin`.
#[derive(Debug, Clone)]
pub struct Admin {
    http: reqwest::Client,
    base_url: String,
}

impl Admin {
    /// An admin client for `base_url`.
    pub fn new(base_url: &str) -> Result<Admin, BoxError> {
        Ok(Admin {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
            base_url: base_url.to_owned(),
        })
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, BoxError> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(format!("admin {path}: {status}: {text}").into());
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `POST path` with a JSON body (and so `Content-Type: application/json`).
    pub async fn post(&self, path: &str, body: Value) -> Result<Value, BoxError> {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    /// A server token for the default app (`GET /_emulator/token`).
    pub async fn token(&self) -> Result<String, BoxError> {
        let v = self
            .send(reqwest::Method::GET, "/_emulator/token", None)
            .await?;
        v["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "no token in /_emulator/token".into())
    }

    /// Creates one scripted task: each `(status, duration)` step in turn, then `result`.
    pub async fn script_task(
        &self,
        id: &str,
        steps: &[(&str, Duration)],
        result: Value,
    ) -> Result<(), BoxError> {
        let steps: Vec<Value> = steps
            .iter()
            .map(|(status, d)| json!({"status": status, "duration_ms": d.as_millis() as u64}))
            .collect();
        self.send(
            reqwest::Method::POST,
            "/_emulator/tasks",
            Some(json!({"task_id": id, "steps": steps, "result": result})),
        )
        .await
        .map(drop)
    }

    /// Creates `ids.len()` scripted tasks, 16 requests at a time; each is `running` for
    /// `run_for` from its own creation, then `completed`. Returns how long creation took.
    pub async fn script_many(
        &self,
        ids: &[String],
        run_for: Duration,
    ) -> Result<Duration, BoxError> {
        let started = Instant::now();
        let steps = [("running", run_for), ("completed", Duration::ZERO)];
        let steps = &steps;
        let mut results =
            futures::stream::iter(ids.iter().map(|id| {
                self.script_task(id, steps, json!({"messaging:bench": {"status": "ok"}}))
            }))
            .buffer_unordered(16);
        while let Some(r) = results.next().await {
            r?;
        }
        Ok(started.elapsed())
    }

    /// Makes every request to `path` hang until the faults are cleared (or shutdown).
    pub async fn hang(&self, path: &str) -> Result<(), BoxError> {
        self.send(
            reqwest::Method::POST,
            "/_emulator/faults",
            Some(json!({"route": format!("GET {path}"), "action": "hang", "times": 0})),
        )
        .await
        .map(drop)
    }

    /// Removes all faults.
    pub async fn clear_faults(&self) -> Result<(), BoxError> {
        self.send(reqwest::Method::DELETE, "/_emulator/faults", None)
            .await
            .map(drop)
    }
}
