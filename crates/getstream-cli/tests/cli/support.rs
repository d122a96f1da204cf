//! An emulator on loopback (instant pace, library controls) and a way to run `getstream`
//! against it.

use std::ffi::OsStr;
use std::process::Stdio;
use std::time::Duration;

use getstream_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Pace, SeedSpec};
use serde_json::Value;
use tokio::process::Command;

/// The built binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_getstream");

/// An emulator with instant jobs and a little seed data (users `user-1..4`, channels
/// `messaging:seed-1..3` with 5 messages each).
pub async fn emulator() -> EmulatorHandle {
    let handle = Emulator::start(EmulatorConfig::new().pace(Pace::instant()))
        .await
        .expect("emulator starts");
    handle
        .state()
        .seed(
            handle.api_key(),
            SeedSpec {
                users: 4,
                channels: 3,
                messages: 5,
            },
        )
        .expect("seed");
    handle
}

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// Asserts the exit code, showing the whole run when it differs.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code: {self:#?}");
        self
    }
}

/// `getstream ARGS` with the emulator's credentials in the environment, stdin closed, killed
/// when dropped; stdout and stderr are for the caller to set.
pub fn command<I, S>(emulator: &EmulatorHandle, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = bare_command(args);
    cmd.env("STREAM_API_KEY", emulator.api_key())
        .env("STREAM_API_SECRET", emulator.api_secret())
        .env("STREAM_BASE_URL", emulator.base_url());
    cmd
}

/// `getstream ARGS` with a clean environment (no STREAM_* variables, no RUST_LOG), stdin
/// closed, killed when dropped.
pub fn bare_command<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("STREAM_API_KEY")
        .env_remove("STREAM_API_SECRET")
        .env_remove("STREAM_BASE_URL")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// Runs `getstream ARGS` with the emulator's credentials in the environment (stdout and
/// stderr piped: not a terminal).
pub async fn run<I, S>(emulator: &EmulatorHandle, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    finish(command(emulator, args)).await
}

/// Runs `getstream ARGS` with a clean environment (no STREAM_* variables).
pub async fn run_bare<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    finish(bare_command(args)).await
}

/// Runs a prepared `getstream` command to its end (stdout and stderr piped).
pub async fn finish(mut cmd: Command) -> Run {
    let out = cmd.output().await.expect("the binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A loopback address where nothing listens.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Scripts a task on `emulator`'s default app and returns its id.
pub fn script(emulator: &EmulatorHandle, task: getstream_emulator::ScriptedTask) -> String {
    emulator
        .state()
        .script_task(emulator.api_key(), task)
        .expect("the emulator scripts the task")
}

/// `n` seconds.
pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// `n` milliseconds.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
