//! `getstream tasks get|wait`, and every exit code through them.

use std::time::Duration;

use getstream_emulator::{ScriptedTask, TaskFailure};
use serde_json::json;

use crate::support::{
    bare_command, closed_port_url, emulator, finish, ms, run, run_bare, script, secs,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_on_a_completed_task_exits_0_and_prints_it() {
    let emu = emulator().await;
    let id = script(
        &emu,
        ScriptedTask::new()
            .step("running", ms(300))
            .step("completed", Duration::ZERO)
            .result(json!({"url": "http://example.invalid/file.json"})),
    );
    let human = run(&emu, ["tasks", "wait", &id, "--interval", "100ms"]).await;
    human.assert_code(0);
    assert!(
        human.stdout.contains(&format!("task_id:    {id}")),
        "{human:?}"
    );
    assert!(human.stdout.contains("status:     completed"), "{human:?}");
    assert!(
        human
            .stdout
            .contains("url:        http://example.invalid/file.json"),
        "{human:?}"
    );
    assert!(
        human.stderr.is_empty(),
        "quiet when not a terminal: {human:?}"
    );

    let machine = run(&emu, ["tasks", "wait", &id, "--json"]).await;
    machine.assert_code(0);
    let task = machine.json();
    assert_eq!(task["task_id"], id.as_str());
    assert_eq!(task["status"], "completed");
    assert_eq!(task["result"]["url"], "http://example.invalid/file.json");
    assert!(task["created_at"].is_string(), "{task}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_get_shows_a_running_task_and_exits_0() {
    let emu = emulator().await;
    let id = script(&emu, ScriptedTask::new().step("running", secs(3600)));
    let out = run(&emu, ["tasks", "get", &id, "--json"]).await;
    out.assert_code(0);
    assert_eq!(out.json()["status"], "running");
    let human = run(&emu, ["tasks", "get", &id]).await;
    human.assert_code(0);
    assert!(human.stdout.contains("status:     running"), "{human:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_task_exits_1_with_every_field_of_its_error() {
    let emu = emulator().await;
    let id = script(
        &emu,
        ScriptedTask::new()
            .step("failed", Duration::ZERO)
            .error(TaskFailure {
                stacktrace: "at delete.go:42".into(),
                version: "v5.1.0".into(),
                ..TaskFailure::new("HardDeleteError", "channel is locked")
            }),
    );
    let out = run(&emu, ["tasks", "wait", &id, "--json"]).await;
    out.assert_code(1);
    let v = out.json();
    let e = &v["error"];
    assert_eq!(e["kind"], "task_failed");
    assert_eq!(e["task_id"], id.as_str());
    assert_eq!(e["error_type"], "HardDeleteError");
    assert_eq!(e["description"], "channel is locked");
    assert_eq!(e["stack_trace"], "at delete.go:42");
    assert_eq!(e["version"], "v5.1.0");
    assert_eq!(e["exit_code"], 1);
    assert_eq!(e["task"]["status"], "failed");

    let human = run(&emu, ["tasks", "wait", &id]).await;
    human.assert_code(1);
    assert!(human.stdout.is_empty(), "{human:?}");
    let line = human.stderr.lines().next().unwrap_or_default();
    assert!(
        line.contains(&format!(
            "task {id} failed (HardDeleteError): channel is locked"
        )),
        "{human:?}"
    );
    for field in [
        "  error_type:  HardDeleteError",
        "  description: channel is locked",
        "  stack_trace: at delete.go:42",
        "  version:     v5.1.0",
    ] {
        assert!(human.stderr.contains(field), "missing {field:?}: {human:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_that_times_out_exits_3_and_says_how_to_resume() {
    let emu = emulator().await;
    let id = script(&emu, ScriptedTask::new().step("running", secs(3600)));
    let out = run(
        &emu,
        [
            "tasks",
            "wait",
            &id,
            "--interval",
            "100ms",
            "--timeout",
            "350ms",
            "--json",
        ],
    )
    .await;
    out.assert_code(3);
    let v = out.json();
    let e = &v["error"];
    assert_eq!(e["kind"], "timeout");
    assert_eq!(e["error_type"], "timeout");
    assert_eq!(e["task_id"], id.as_str());
    assert_eq!(e["last_status"], "running");
    assert!(e["polls"].as_u64().is_some_and(|p| p >= 2), "{e}");
    // The SDK sends its final poll LAST_POLL_BUDGET before the deadline, so a wait can end
    // a little early; exact timings are tested in the SDK on paused time. Here: reported.
    assert!(e["elapsed_ms"].as_u64().is_some_and(|ms| ms > 0), "{e}");
    assert!(e["elapsed"].as_f64().is_some_and(|s| s > 0.0), "{e}");
    assert_eq!(e["hint"], format!("resume with: getstream tasks wait {id}"));
    assert_eq!(e["exit_code"], 3);

    let human = run(&emu, ["tasks", "wait", &id, "--timeout", "200ms"]).await;
    human.assert_code(3);
    assert!(human.stderr.contains("may still be running"), "{human:?}");
    assert!(
        human.stderr.contains(&format!("getstream tasks wait {id}")),
        "{human:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_task_is_an_api_error_exit_4_with_its_fields() {
    let emu = emulator().await;
    let out = run(&emu, ["tasks", "get", "no-such-task", "--json"]).await;
    out.assert_code(4);
    let v = out.json();
    let e = &v["error"];
    assert_eq!(e["kind"], "api");
    assert_eq!(e["status_code"], 404);
    assert_eq!(e["code"], 16);
    assert!(
        e["message_from_server"]
            .as_str()
            .is_some_and(|m| m.contains("Can't find task with id")),
        "{e}"
    );
    assert!(e["duration"].is_string(), "{e}");
    assert!(e["more_info"].is_string(), "{e}");
    assert_eq!(e["exit_code"], 4);

    let waited = run(&emu, ["tasks", "wait", "no-such-task"]).await;
    waited.assert_code(4);
    assert_eq!(waited.stderr.lines().count(), 1, "one line: {waited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_are_an_api_error_and_the_secret_never_shows() {
    let emu = emulator().await;
    let out = run(
        &emu,
        [
            "tasks",
            "get",
            "t1",
            "--api-secret",
            "a-wrong-secret-that-must-not-leak",
            "--json",
        ],
    )
    .await;
    out.assert_code(4);
    assert_eq!(out.json()["error"]["status_code"], 401);
    assert!(!out.stdout.contains("a-wrong-secret"), "{out:?}");
    assert!(!out.stderr.contains("a-wrong-secret"), "{out:?}");
    assert!(!out.stderr.contains(emu.api_secret()), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_is_a_transport_error_exit_5() {
    let url = closed_port_url();
    let conn = ["--api-key", "k", "--api-secret", "s", "--base-url", &url];
    let to_closed_port = |args: &[&str]| {
        let all: Vec<String> = args.iter().chain(&conn).map(|a| a.to_string()).collect();
        run_bare(all)
    };
    let out = to_closed_port(&["tasks", "wait", "t1", "--timeout", "2s", "--json"]).await;
    // The wait retries a refused connection within its deadline, then gives up: a timeout
    // whose last error is the transport error. A single get reports it directly.
    out.assert_code(3);
    let v = out.json();
    assert!(
        v["error"]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("connection_reset")),
        "{v}"
    );
    let get = to_closed_port(&["tasks", "get", "t1", "--json"]).await;
    get.assert_code(5);
    let v = get.json();
    assert_eq!(v["error"]["kind"], "transport");
    assert_eq!(v["error"]["error_type"], "connection_reset");
    assert_eq!(v["error"]["is_connect"], true);
    assert_eq!(v["error"]["exit_code"], 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2() {
    // clap's own: a missing argument, an unknown flag, a bad duration.
    run_bare(["tasks", "wait"]).await.assert_code(2);
    run_bare(["tasks", "get", "t1", "--frobnicate"])
        .await
        .assert_code(2);
    let bad = run_bare(["tasks", "wait", "t1", "--interval", "soon"]).await;
    bad.assert_code(2);
    assert!(bad.stderr.contains("--interval"), "{bad:?}");
    // Missing credentials: nothing is sent.
    let missing = run_bare(["tasks", "get", "t1"]).await;
    missing.assert_code(2);
    assert!(missing.stderr.contains("STREAM_API_KEY"), "{missing:?}");
    // The SDK's argument errors: a zero interval, a bad base URL.
    let emu = emulator().await;
    let zero = run(&emu, ["tasks", "wait", "t1", "--interval", "0s", "--json"]).await;
    zero.assert_code(2);
    let v = zero.json();
    assert_eq!(v["error"]["kind"], "invalid_argument");
    assert_eq!(v["error"]["argument"], "interval");
    run(&emu, ["tasks", "get", "t1", "--base-url", "ftp://nope"])
        .await
        .assert_code(2);
    // Help is not an error.
    let help = run_bare(["--help"]).await;
    help.assert_code(0);
    assert!(help.stdout.contains("Exit codes:"), "{help:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_flags_work_before_the_command_and_after_it_they_win() {
    let emu = emulator().await;
    let id = script(&emu, ScriptedTask::new().step("completed", Duration::ZERO));
    let (key, secret, url) = (emu.api_key(), emu.api_secret(), &emu.base_url());
    // `getstream --api-key ROOT --api-secret S --base-url U tasks [--api-key GROUP] get ID`
    let get = |root_key: &str, group_key: Option<&str>| {
        let mut args = vec![
            "--api-key",
            root_key,
            "--api-secret",
            secret,
            "--base-url",
            url,
            "tasks",
        ];
        if let Some(group_key) = group_key {
            args.extend(["--api-key", group_key]);
        }
        args.extend(["get", &id]);
        run_bare(args.into_iter().map(str::to_owned).collect::<Vec<_>>())
    };
    // Before the command group, as many users type them.
    let before = get(key, None).await;
    before.assert_code(0);
    assert!(before.stdout.contains("completed"), "{before:?}");
    // After the group, the same flags win over those before it: a wrong key
    // before, the right one after, succeeds; the other way round is refused.
    get("wrong-key", Some(key)).await.assert_code(0);
    let wrong_after = get(key, Some("wrong-key")).await;
    wrong_after.assert_code(4);
    assert!(!wrong_after.stderr.contains(secret), "{wrong_after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_flag_before_the_command_wins_over_the_environment() {
    let emu = emulator().await;
    let id = script(&emu, ScriptedTask::new().step("completed", Duration::ZERO));
    let (key, secret, url) = (emu.api_key(), emu.api_secret(), emu.base_url());
    // A flag typed on the command line beats a variable left in the environment, before
    // the command group as after it.
    for args in [
        vec!["--api-key", key, "tasks", "get", &id],
        vec!["tasks", "--api-key", key, "get", &id],
    ] {
        let mut cmd = bare_command(args.clone());
        cmd.env("STREAM_API_KEY", "wrong-key")
            .env("STREAM_API_SECRET", secret)
            .env("STREAM_BASE_URL", &url);
        let got = finish(cmd).await;
        got.assert_code(0);
        assert!(got.stdout.contains("completed"), "{args:?}: {got:?}");
    }
}
