//! Ctrl-C while waiting (exit 130, how to resume) and a closed stdout pipe (not an error).

use std::process::Stdio;
use std::time::Duration;

use getstream_emulator::{Fault, ScriptedTask};

use tokio::process::{Child, Command};

use crate::support::{bare_command, command, emulator, ms, script, secs};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_waiting_exits_130_and_says_how_to_resume() {
    let emu = emulator().await;
    let id = script(&emu, ScriptedTask::new().step("running", secs(3600)));
    // A pass-through fault on the first poll tells us when the wait is under way.
    emu.state()
        .add_fault(Fault::delay("GET /api/v2/tasks/{id}", Duration::ZERO).times(1));
    let child = piped(command(
        &emu,
        ["tasks", "wait", &id, "--interval", "100ms", "--json"],
    ));
    let mut polled = false;
    for _ in 0..500 {
        if emu.state().faults().is_empty() {
            polled = true;
            break;
        }
        tokio::time::sleep(ms(20)).await;
    }
    assert!(polled, "the wait never polled");
    interrupt(&child).await;
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(130), "{out:?}");
    let stdout: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stdout["error"]["kind"], "cancelled");
    assert_eq!(stdout["error"]["task_id"], id.as_str());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("resume with `getstream tasks wait {id}`")),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_pipe_is_not_an_error() {
    // `getstream tasks get ID | head -c 0`: the reader is gone before anything is written.
    let emu = emulator().await;
    let id = script(&emu, ScriptedTask::new().step("running", secs(3600)));
    let mut child = piped(command(&emu, ["tasks", "get", &id]));
    drop(child.stdout.take());
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getstream_emulator_prints_its_credentials_serves_and_stops_on_ctrl_c() {
    use tokio::io::{AsyncBufReadExt, BufReader};

    let mut child = bare_command([
        "emulator",
        "--addr",
        "127.0.0.1:0",
        "--seed",
        "channels=1,messages=2,users=2",
    ])
    .env("RUST_LOG", "warn")
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut contract = Vec::new();
    for _ in 0..3 {
        contract.push(lines.next_line().await.unwrap().expect("a contract line"));
    }
    let base_url = contract[0]
        .strip_prefix("base_url=")
        .expect("base_url first");
    assert!(base_url.starts_with("http://127.0.0.1:"), "{contract:?}");
    let key = contract[1]
        .strip_prefix("api_key=")
        .expect("api_key second");
    let secret = contract[2]
        .strip_prefix("api_secret=")
        .expect("api_secret third");

    // The printed credentials work: `getstream export channels` against it.
    let out = bare_command([
        "export",
        "channels",
        "messaging:seed-1",
        "--json",
        "--interval",
        "100ms",
    ])
    .env("STREAM_API_KEY", key)
    .env("STREAM_API_SECRET", secret)
    .env("STREAM_BASE_URL", base_url)
    .output()
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let task: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(task["status"], "completed");

    interrupt(&child).await;
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), Some(0), "a graceful shutdown");
}

/// Spawns `cmd` with stdout and stderr piped.
fn piped(mut cmd: Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Sends SIGINT (Ctrl-C) to `child`.
async fn interrupt(child: &Child) {
    let pid = child.id().unwrap().to_string();
    let kill = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .unwrap();
    assert!(kill.success());
}
