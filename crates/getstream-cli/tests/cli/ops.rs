//! The task-starting commands: channels delete, export channels|users, users
//! delete|deactivate|reactivate; waiting by default, `--no-wait`, `--download`, `--json`.

use getstream_emulator::{Fault, JobKind, TaskFailure};
use serde_json::{Value, json};

use crate::support::{emulator, run};

fn channel_cids(snapshot: &Value) -> Vec<String> {
    snapshot["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_channels_downloads_the_file_with_the_messages() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.json");
    let out = run(
        &emu,
        [
            "export",
            "channels",
            "messaging:seed-1",
            "messaging:seed-2",
            "--download",
            file.to_str().unwrap(),
            "--interval",
            "50ms",
        ],
    )
    .await;
    out.assert_code(0);
    assert!(out.stdout.contains("status:     completed"), "{out:?}");
    assert!(
        out.stdout.contains("url:        http://127.0.0.1:"),
        "{out:?}"
    );
    let size = std::fs::metadata(&file).unwrap().len();
    assert!(
        out.stdout
            .contains(&format!("({size} bytes) to {}", file.display())),
        "{out:?}"
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let channels = doc["channels"].as_array().unwrap();
    assert_eq!(channels.len(), 2);
    for c in channels {
        assert_eq!(c["messages"].as_array().unwrap().len(), 5, "{c}");
    }
    assert!(
        !dir.path().join("export.json.partial").exists(),
        "no partial file is left behind"
    );
    assert!(out.stderr.is_empty(), "quiet when not a terminal: {out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_json_prints_the_final_task() {
    let emu = emulator().await;
    let out = run(&emu, ["export", "users", "user-1", "user-2", "--json"]).await;
    out.assert_code(0);
    let task = out.json();
    assert_eq!(task["status"], "completed");
    assert!(task["task_id"].as_str().is_some_and(|id| !id.is_empty()));
    let url = task["result"]["url"].as_str().unwrap();
    assert!(url.starts_with(&emu.base_url()), "{url}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_since_until_select_messages_by_time() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("none.json");
    // Seed messages end "now": none of them is older than a day.
    let out = run(
        &emu,
        [
            "export",
            "channels",
            "messaging:seed-1",
            "--until",
            "1day",
            "--download",
            file.to_str().unwrap(),
        ],
    )
    .await;
    out.assert_code(0);
    let doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(doc["channels"][0]["messages"].as_array().unwrap().len(), 0);
    let bad = run(
        &emu,
        [
            "export",
            "channels",
            "messaging:seed-1",
            "--since",
            "whenever",
        ],
    )
    .await;
    bad.assert_code(2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_wait_prints_only_the_task_id_and_tasks_wait_finishes_it() {
    let emu = emulator().await;
    let out = run(
        &emu,
        [
            "channels",
            "delete",
            "messaging:seed-1",
            "--hard",
            "--no-wait",
        ],
    )
    .await;
    out.assert_code(0);
    let id = out.stdout.trim().to_owned();
    assert_eq!(out.stdout.lines().count(), 1, "{out:?}");
    assert!(!id.is_empty() && !id.contains(' '), "{out:?}");
    let waited = run(&emu, ["tasks", "wait", &id, "--json"]).await;
    waited.assert_code(0);
    let task = waited.json();
    assert_eq!(task["task_id"], id.as_str());
    assert_eq!(task["result"]["messaging:seed-1"]["status"], "ok");

    let json = run(&emu, ["users", "delete", "user-4", "--no-wait", "--json"]).await;
    json.assert_code(0);
    let started = json.json();
    assert!(started["task_id"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(started["duration"].is_string(), "{started}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hard_delete_removes_the_channel_and_soft_delete_answers_at_once() {
    let emu = emulator().await;
    let out = run(&emu, ["channels", "delete", "messaging:seed-2", "--hard"]).await;
    out.assert_code(0);
    assert_eq!(out.stdout.trim(), "messaging:seed-2: ok");
    let snapshot = emu.state().snapshot(emu.api_key()).unwrap();
    assert!(!channel_cids(&snapshot).contains(&"messaging:seed-2".to_owned()));

    let soft = run(&emu, ["channels", "delete", "messaging:seed-3", "--json"]).await;
    soft.assert_code(0);
    let v = soft.json();
    assert!(v.get("task_id").is_none(), "a soft delete has no task: {v}");
    assert_eq!(v["result"]["messaging:seed-3"]["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_delete_deactivate_reactivate() {
    let emu = emulator().await;
    let deleted = run(&emu, ["users", "delete", "user-1", "--hard"]).await;
    deleted.assert_code(0);
    assert_eq!(deleted.stdout.trim(), "user-1: ok");
    let snapshot = emu.state().snapshot(emu.api_key()).unwrap();
    let ids: Vec<&str> = snapshot["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert!(!ids.contains(&"user-1"), "{ids:?}");

    let off = run(&emu, ["users", "deactivate", "user-2", "--json"]).await;
    off.assert_code(0);
    assert_eq!(off.json()["result"]["user-2"]["status"], "ok");
    let on = run(&emu, ["users", "reactivate", "user-2"]).await;
    on.assert_code(0);
    assert_eq!(on.stdout.trim(), "user-2: ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_job_exits_1_with_the_task_error() {
    let emu = emulator().await;
    emu.state()
        .fail_next_jobs(
            emu.api_key(),
            JobKind::ExportChannels,
            1,
            TaskFailure::new("S3Error", "bucket gone"),
        )
        .unwrap();
    let out = run(&emu, ["export", "channels", "messaging:seed-1", "--json"]).await;
    out.assert_code(1);
    let v = out.json();
    let e = &v["error"];
    assert_eq!(e["kind"], "task_failed");
    assert_eq!(e["error_type"], "S3Error");
    assert_eq!(e["description"], "bucket gone");
    assert!(
        e["stack_trace"]
            .as_str()
            .is_some_and(|s| s.contains("S3Error")),
        "{e}"
    );
    assert!(
        e["version"]
            .as_str()
            .is_some_and(|s| s.starts_with("getstream-emulator")),
        "{e}"
    );
    assert!(e["task_id"].as_str().is_some_and(|s| !s.is_empty()), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn argument_errors_exit_2_before_any_request() {
    let emu = emulator().await;
    let bad_cid = run(&emu, ["channels", "delete", "not-a-cid", "--json"]).await;
    bad_cid.assert_code(2);
    assert_eq!(bad_cid.json()["error"]["kind"], "invalid_argument");
    let too_many: Vec<String> = (0..26).map(|i| format!("user-{i}")).collect();
    let mut args = vec!["export".to_owned(), "users".to_owned()];
    args.extend(too_many);
    run(&emu, &args).await.assert_code(2);
    // A download into a missing directory is refused before the export starts.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope/file.json");
    let out = run(
        &emu,
        [
            "export",
            "channels",
            "messaging:seed-1",
            "--download",
            missing.to_str().unwrap(),
        ],
    )
    .await;
    out.assert_code(2);
    assert!(out.stderr.contains("does not exist"), "{out:?}");
    // No ids at all: clap's usage error.
    run(&emu, ["users", "delete"]).await.assert_code(2);
    run(
        &emu,
        ["export", "users", "u", "--no-wait", "--download", "f.json"],
    )
    .await
    .assert_code(2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_user_fails_the_export_task() {
    let emu = emulator().await;
    let out = run(&emu, ["export", "users", "user-1", "ghost"]).await;
    out.assert_code(1);
    assert!(out.stderr.contains("ghost"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_that_fail_in_a_completed_job_exit_1_with_the_task_printed() {
    let emu = emulator().await;
    let out = run(
        &emu,
        [
            "channels",
            "delete",
            "messaging:ghost",
            "messaging:seed-1",
            "--hard",
            "--json",
        ],
    )
    .await;
    out.assert_code(1);
    let task = out.json();
    assert_eq!(task["status"], "completed");
    assert_eq!(task["result"]["messaging:ghost"]["status"], "error");
    assert_eq!(task["result"]["messaging:seed-1"]["status"], "ok");
    assert!(
        out.stderr.contains("1 of 2 items failed in task "),
        "{out:?}"
    );
    // Waiting again on the same task gives the same verdict.
    let id = task["task_id"].as_str().unwrap();
    let again = run(&emu, ["tasks", "wait", id]).await;
    again.assert_code(1);
    assert!(
        again.stdout.contains("messaging:ghost: error ("),
        "{again:?}"
    );

    let human = run(&emu, ["users", "deactivate", "ghost", "user-2"]).await;
    human.assert_code(1);
    assert!(human.stdout.contains("ghost: error ("), "{human:?}");
    assert!(human.stdout.contains("user-2: ok"), "{human:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_download_with_json_prints_one_document_the_error() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.json");
    let path = file.to_str().unwrap();
    let export = ["--json", "export", "channels", "messaging:seed-1"];

    // The file server answers 500: exit 4, and stdout is the error alone.
    emu.state()
        .add_fault(Fault::respond("GET /_emulator/exports/{file}", 500));
    let out = run(&emu, export.iter().copied().chain(["--download", path])).await;
    out.assert_code(4);
    let e = &out.json()["error"];
    assert_eq!(e["kind"], "download", "{out:?}");
    assert_eq!(e["status_code"], 500);
    assert!(!file.exists());

    // A completed export without a url is the server's fault too (exit 4), not a usage error.
    emu.state().add_fault(
        Fault::respond("GET /api/v2/tasks/{id}", 200)
            .json_body(json!({"task_id": "t-no-url", "status": "completed"}))
            .times(0),
    );
    let out = run(&emu, export.iter().copied().chain(["--download", path])).await;
    out.assert_code(4);
    let e = &out.json()["error"];
    assert_eq!(e["kind"], "download", "{out:?}");
    assert_eq!(e["task_id"], "t-no-url");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("without a download url"),
        "{out:?}"
    );
    assert!(!file.exists());
}
