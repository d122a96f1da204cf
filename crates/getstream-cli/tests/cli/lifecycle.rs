//! `getstream users restore` and `getstream channels truncate`, end to end against the
//! emulator: human and `--json` output, and the exit codes (2: nothing sent, 4: the server
//! refused).

use getstream_emulator::EmulatorHandle;
use serde_json::Value;

use crate::support::{closed_port_url, emulator, run, run_bare};

fn snapshot(emu: &EmulatorHandle) -> Value {
    emu.state().snapshot(emu.api_key()).unwrap()
}

fn user(emu: &EmulatorHandle, id: &str) -> Option<Value> {
    snapshot(emu)["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id)
        .cloned()
}

fn texts(emu: &EmulatorHandle, cid: &str) -> Vec<String> {
    snapshot(emu)["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cid"] == cid)
        .unwrap()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_undoes_a_soft_delete_and_refuses_a_hard_one() {
    let emu = emulator().await;
    run(&emu, ["users", "delete", "user-1", "user-2"])
        .await
        .assert_code(0);
    run(&emu, ["users", "delete", "user-3", "--hard"])
        .await
        .assert_code(0);
    assert!(user(&emu, "user-1").unwrap()["deleted_at"].is_i64());

    let out = run(&emu, ["users", "restore", "user-1", "user-2"]).await;
    out.assert_code(0);
    assert_eq!(
        out.stdout.trim(),
        "restored 2 users: user-1, user-2",
        "{out:?}"
    );
    for id in ["user-1", "user-2"] {
        assert!(user(&emu, id).unwrap().get("deleted_at").is_none(), "{id}");
    }

    // The hard-deleted user: the server refuses (exit 4), with --json the error's fields.
    let out = run(&emu, ["users", "restore", "user-3", "--json"]).await;
    out.assert_code(4);
    let error = &out.json()["error"];
    assert_eq!(error["status_code"], 400, "{error}");
    assert!(error.to_string().contains("user-3"), "{error}");

    let out = run(&emu, ["--json", "users", "restore", "user-4"]).await;
    out.assert_code(0);
    let doc = out.json();
    assert_eq!(doc["user_ids"], serde_json::json!(["user-4"]));
    assert!(doc["duration"].is_string(), "{doc}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncate_soft_with_a_message_then_hard_leaves_the_channel_empty() {
    let emu = emulator().await;
    let out = run(
        &emu,
        [
            "channels",
            "truncate",
            "messaging:seed-1",
            "--message",
            "History cleared",
            "--user",
            "user-1",
            "--skip-push",
        ],
    )
    .await;
    out.assert_code(0);
    assert!(
        out.stdout
            .starts_with("truncated messaging:seed-1: messages up to "),
        "{out:?}"
    );
    assert!(out.stdout.contains(" hidden\n"), "{out:?}");
    assert!(out.stdout.contains(": History cleared"), "{out:?}");
    // Soft: the five seeded messages are kept, the system message added.
    assert_eq!(texts(&emu, "messaging:seed-1").len(), 6);

    let out = run(
        &emu,
        [
            "channels",
            "truncate",
            "messaging:seed-1",
            "--hard",
            "--json",
        ],
    )
    .await;
    out.assert_code(0);
    let doc = out.json();
    assert_eq!(doc["channel"]["cid"], "messaging:seed-1", "{doc}");
    assert!(doc["channel"]["truncated_at"].is_string(), "{doc}");
    assert!(texts(&emu, "messaging:seed-1").is_empty());
    assert_eq!(
        texts(&emu, "messaging:seed-2").len(),
        5,
        "other channels stay"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncate_up_to_a_time_and_its_errors() {
    let emu = emulator().await;
    // Seeded messages are one second apart and end now: an hour ago removes none.
    let hour_ago = humantime::format_rfc3339(
        std::time::SystemTime::now() - std::time::Duration::from_secs(3600),
    )
    .to_string();
    run(
        &emu,
        [
            "channels",
            "truncate",
            "messaging:seed-2",
            "--hard",
            "--truncated-at",
            &hour_ago,
        ],
    )
    .await
    .assert_code(0);
    assert_eq!(texts(&emu, "messaging:seed-2").len(), 5);

    // Argument errors: nothing is sent (exit 2), even with no server at all.
    for args in [
        vec!["channels", "truncate", "no-colon"],
        vec![
            "channels",
            "truncate",
            "messaging:a",
            "--message",
            "who sent me?",
        ],
        vec![
            "channels",
            "truncate",
            "messaging:a",
            "--truncated-at",
            "yesterday",
        ],
        vec!["users", "restore"],
        vec!["users", "restore", ""],
    ] {
        let url = closed_port_url();
        let mut full = vec!["--base-url", &url, "--api-key", "k", "--api-secret", "s"];
        full.extend(args.iter().copied());
        let out = run_bare(&full).await;
        out.assert_code(2);
        assert!(!out.stderr.is_empty(), "{args:?}: {out:?}");
    }
    // The server refuses an unknown channel: exit 4.
    run(&emu, ["channels", "truncate", "messaging:nope"])
        .await
        .assert_code(4);
}
