//! A real `redis-server` on a free loopback port, started (and killed) by
//! the tests.
//!
//! When `redis-server` is not installed the tests fail, saying how to
//! install it (`.ci/run` does); locally, `GETSTREAM_SKIP_REDIS=1` skips them
//! instead (never under `CI`).

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child process on a loopback port, killed when dropped.
pub struct RedisServer {
    /// The loopback port it listens on.
    pub port: u16,
    child: Option<Child>,
    /// Configuration arguments beyond the defaults.
    extra: Vec<String>,
}

impl RedisServer {
    /// A fresh server, or `None` when redis-server is missing and the local
    /// skip is on.
    pub fn start() -> Option<RedisServer> {
        RedisServer::start_with(&[])
    }

    /// [`start`](Self::start), with more configuration arguments.
    pub fn start_with(extra: &[&str]) -> Option<RedisServer> {
        if Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            let skip = std::env::var_os("GETSTREAM_SKIP_REDIS").is_some_and(|v| v == "1");
            if skip && std::env::var_os("CI").is_none() {
                eprintln!("redis-server is not installed: skipped (GETSTREAM_SKIP_REDIS=1)");
                return None;
            }
            panic!(
                "redis-server is not installed: `apt-get install -y redis-server` \
                 (or set GETSTREAM_SKIP_REDIS=1 to skip the Redis tests locally)"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = RedisServer {
            port,
            child: None,
            extra: extra.iter().map(|a| a.to_string()).collect(),
        };
        server.restart();
        Some(server)
    }

    /// Its `redis://` URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts the server (again) on its port and waits until it accepts.
    pub fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kills the server (SIGKILL: Redis going away, not shutting down).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }

    /// How many clients are connected, besides the one asking (a blocking
    /// query: it must not depend on a runtime busy with the waits).
    pub fn clients(&self) -> usize {
        let client = redis::Client::open(self.url()).unwrap();
        let mut conn = client.get_connection().unwrap();
        let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut conn).unwrap();
        list.lines().filter(|l| !l.trim().is_empty()).count() - 1
    }

    /// How many clients subscribe to `channel` (PUBSUB NUMSUB).
    pub fn subscribers(&self, channel: &str) -> usize {
        let client = redis::Client::open(self.url()).unwrap();
        let mut conn = client.get_connection().unwrap();
        let (_, n): (String, usize) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(channel)
            .query(&mut conn)
            .unwrap();
        n
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
