//! `channels batch-update` and `blocklists import` end to end, against the real emulator:
//! the exit codes and output a user sees, and the emulator's data afterwards.

use getstream_tasks::{Client, CreateBlockListRequest};
use serde_json::Value;

use crate::support::{emulator, run};

fn member_ids(emu: &getstream_emulator::EmulatorHandle, cid: &str) -> Vec<String> {
    let snapshot = emu.state().snapshot(emu.api_key()).unwrap();
    let channel = snapshot["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cid"] == cid)
        .cloned()
        .unwrap();
    let mut ids: Vec<String> = channel["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_update_add_members_changes_the_channels_and_a_missing_user_exits_1() {
    let emu = emulator().await;
    let args = |member: &'static str, json: bool| {
        let mut args = vec![
            "channels",
            "batch-update",
            "addMembers",
            "--cid",
            "messaging:seed-1",
            "--cid",
            "messaging:seed-2",
            "--member",
            member,
            "--interval",
            "20ms",
        ];
        if json {
            args.push("--json");
        }
        args
    };
    let out = run(&emu, args("user-4:channel_moderator", false)).await;
    out.assert_code(0);
    assert!(out.stdout.contains("succeeded:  2 channels"), "{out:?}");
    assert_eq!(
        member_ids(&emu, "messaging:seed-1"),
        ["user-1", "user-2", "user-4"]
    );
    assert_eq!(
        member_ids(&emu, "messaging:seed-2"),
        ["user-2", "user-3", "user-4"]
    );

    let out = run(&emu, args("ghost", false)).await;
    out.assert_code(1);
    for cid in ["messaging:seed-1", "messaging:seed-2"] {
        assert!(
            out.stdout
                .contains(&format!("{cid}: failed (user ghost does not exist)")),
            "{out:?}"
        );
    }
    assert!(out.stderr.contains("2 of 2 items failed"), "{out:?}");
    assert_eq!(
        member_ids(&emu, "messaging:seed-1"),
        ["user-1", "user-2", "user-4"]
    );

    let out = run(&emu, args("user-3", true)).await;
    out.assert_code(0);
    let task = out.json();
    assert_eq!(task["status"], "completed");
    let result = &task["result"];
    assert_eq!(result["operation"], "addMembers");
    assert_eq!(result["success_channels_count"], 2);
    assert_eq!(result["failed_channels"], Value::Array(Vec::new()));
    assert_eq!(
        member_ids(&emu, "messaging:seed-1"),
        ["user-1", "user-2", "user-3", "user-4"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocklist_import_of_a_big_file_sums_the_calls_into_the_list() {
    let emu = emulator().await;
    let client = Client::builder(emu.api_key(), emu.api_secret())
        .base_url(emu.base_url())
        .build()
        .unwrap();
    client
        .create_block_list(CreateBlockListRequest::new("profanity", ["word-7", "darn"]))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("words.txt");
    // 10,500 lines: 9,990 distinct words ("word-7" already listed) and 510
    // repeats of "WORD-8"; a list holds at most 10,000 words, as Stream's.
    let mut text = String::new();
    for i in 0..9_990 {
        text.push_str(&format!("word-{i}\n"));
    }
    for _ in 0..510 {
        text.push_str("WORD-8\n");
    }
    std::fs::write(&file, text).unwrap();
    let out = run(
        &emu,
        [
            "blocklists",
            "import",
            "profanity",
            "--file",
            file.to_str().unwrap(),
            "--chunk-size",
            "1000",
            "--interval",
            "20ms",
        ],
    )
    .await;
    out.assert_code(0);
    // Two calls (10,000 + 500 words); the second's repeats of word-8 are skipped too.
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{out:?}");
    assert!(lines[0].starts_with("call 1: task "), "{out:?}");
    assert!(
        lines[0].ends_with(": added 9989, skipped 11 of 10000"),
        "{out:?}"
    );
    assert!(
        lines[1].ends_with(": added 0, skipped 500 of 500"),
        "{out:?}"
    );
    assert_eq!(
        lines[2],
        "profanity: added 9989, skipped 511 of 10500 words in 2 calls"
    );
    // A fresh rate-limit window's reset, in whole seconds, is no warning.
    assert!(out.stderr.is_empty(), "{out:?}");
    let list = client
        .get_block_list("profanity")
        .await
        .unwrap()
        .blocklist
        .unwrap();
    assert_eq!(list.words.len(), 9_991);
    assert!(list.words.iter().any(|w| w == "word-9989"));

    let out = run(
        &emu,
        ["blocklists", "import", "nope", "--item", "x", "--json"],
    )
    .await;
    assert_ne!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("HTTP 404 (code 16)"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_started_without_waiting_reads_the_same_under_tasks_wait() {
    let emu = emulator().await;
    let out = run(
        &emu,
        [
            "channels",
            "batch-update",
            "archive",
            "--type",
            "messaging",
            "--member",
            "user-2",
            "--no-wait",
        ],
    )
    .await;
    out.assert_code(0);
    let id = out.stdout.trim().to_owned();
    assert!(
        !id.is_empty() && !id.contains(char::is_whitespace),
        "{out:?}"
    );
    // user-2 is a member of seed-1 and seed-2, not of seed-3: that channel fails.
    let out = run(&emu, ["tasks", "wait", &id, "--interval", "20ms"]).await;
    out.assert_code(1);
    assert!(out.stdout.contains("succeeded:  2 channels"), "{out:?}");
    assert!(
        out.stdout
            .contains("messaging:seed-3: failed (user user-2 is not a member of the channel)"),
        "{out:?}"
    );
}
