//! An emulator on loopback (instant pace, library controls) and a way to run `getstream`
//! against it.

use std::ffi::OsStr;
use std::process::Output;

use getstream_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Pace, SeedSpec};
use serde_json::Value;

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

fn finish(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `getstream ARGS` with the emulator's credentials in the environment (stdin closed,
/// stdout and stderr piped: not a terminal).
pub async fn run<I, S>(emulator: &EmulatorHandle, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(args)
        .env("STREAM_API_KEY", emulator.api_key())
        .env("STREAM_API_SECRET", emulator.api_secret())
        .env("STREAM_BASE_URL", emulator.base_url());
    output(cmd).await
}

/// Runs `getstream ARGS` with a clean environment (no STREAM_* variables).
pub async fn run_bare<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(args)
        .env_remove("STREAM_API_KEY")
        .env_remove("STREAM_API_SECRET")
        .env_remove("STREAM_BASE_URL");
    output(cmd).await
}

async fn output(mut cmd: tokio::process::Command) -> Run {
    cmd.env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    finish(cmd.output().await.expect("the binary runs"))
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
