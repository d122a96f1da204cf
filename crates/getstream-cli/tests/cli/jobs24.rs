//! `channels batch-update` and `blocklists import` against a scripted server that answers
//! per the wire contract: what was sent, the output, `--json`, exit codes, and bad arguments
//! (exit 2, nothing sent).

use serde_json::{Value, json};

use crate::scripted::Scripted;

const BATCH: &str = "/api/v2/chat/channels/batch";

fn started(id: &str) -> (u16, Value) {
    (201, json!({"duration": "1.23ms", "task_id": id}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_update_reports_failed_channels_with_exit_1() {
    let server = Scripted::start().await;
    server.script(BATCH, [started("b1")]);
    server.completed(
        "b1",
        json!({"operation": "addMembers", "status": "completed", "success_channels_count": 3,
               "failed_channels": [{"reason": "user u9 does not exist", "cids": ["messaging:a"]}]}),
    );
    let out = server
        .run([
            "channels",
            "batch-update",
            "addMembers",
            "--cid",
            "messaging:a",
            "--cid",
            "messaging:b",
            "--member",
            "u1",
            "--member",
            "u9:channel_moderator",
            "--interval",
            "10ms",
        ])
        .await;
    out.assert_code(1);
    assert!(out.stdout.contains("succeeded:  3 channels"), "{out:?}");
    assert!(
        out.stdout
            .contains("messaging:a: failed (user u9 does not exist)"),
        "{out:?}"
    );
    assert!(
        out.stderr.contains("1 of 4 items failed in task b1"),
        "{out:?}"
    );
    let call = &server.calls()[0];
    assert_eq!((call.method.as_str(), call.path.as_str()), ("PUT", BATCH));
    assert_eq!(
        call.body,
        json!({"operation": "addMembers",
               "filter": {"cids": {"$in": ["messaging:a", "messaging:b"]}},
               "members": [{"user_id": "u1"}, {"user_id": "u9", "channel_role": "channel_moderator"}]})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_update_json_prints_the_task_and_update_data_sends_its_fields() {
    let server = Scripted::start().await;
    server.script(BATCH, [started("b2")]);
    let result = json!({"operation": "updateData", "status": "completed",
                        "success_channels_count": 2, "failed_channels": []});
    server.completed("b2", result.clone());
    let out = server
        .run([
            "channels",
            "batch-update",
            "updateData",
            "--type",
            "team",
            "--data",
            r#"{"frozen": true, "team": "red"}"#,
            "--custom-unset",
            "old",
            "--json",
            "--interval",
            "10ms",
        ])
        .await;
    out.assert_code(0);
    let task = out.json();
    assert_eq!(
        (task["task_id"].clone(), task["result"].clone()),
        (json!("b2"), result)
    );
    assert_eq!(
        server.calls()[0].body,
        json!({"operation": "updateData", "filter": {"types": {"$eq": "team"}},
               "data": {"frozen": true, "team": "red"}, "custom_unset": ["old"]})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_update_without_a_task_id_succeeds_at_once() {
    let server = Scripted::start().await;
    server.script(BATCH, [(201, json!({"duration": "1ms"}))]);
    let out = server
        .run([
            "channels",
            "batch-update",
            "hide",
            "--cid",
            "m:a",
            "--member",
            "u1",
        ])
        .await;
    out.assert_code(0);
    assert!(out.stdout.contains("the server started no task"), "{out:?}");
    assert_eq!(server.requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_update_bad_arguments_exit_2_without_a_request() {
    let server = Scripted::start().await;
    let cases: [&[&str]; 8] = [
        &["freeze", "--cid", "m:a", "--member", "u1"],
        &["hide", "--member", "u1"],
        &["hide", "--cid", "m:a", "--member", ":admin"],
        &["updateData", "--cid", "m:a", "--data", r#"{"frozn": true}"#],
        &["updateData", "--cid", "m:a", "--custom-set", "[1]"],
        &["addMembers", "--cid", "m:a"],
        &["assignRoles", "--cid", "m:a", "--member", "u1"],
        &["hide", "--cid", "no-colon", "--member", "u1"],
    ];
    for case in cases {
        let mut args = vec!["channels", "batch-update"];
        args.extend_from_slice(case);
        let mut cmd = crate::support::bare_command(&args);
        cmd.env("STREAM_API_KEY", "k")
            .env("STREAM_API_SECRET", "s")
            .env("STREAM_BASE_URL", &server.url);
        let out = cmd.output().await.unwrap();
        assert_eq!(out.status.code(), Some(2), "{case:?}: {out:?}");
    }
    assert_eq!(server.requests(), 0);
}

const IMPORT: &str = "/api/v2/blocklists/profanity/import";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocklist_import_of_items_reports_the_counts() {
    let server = Scripted::start().await;
    server.script(IMPORT, [started("i1")]);
    server.completed(
        "i1",
        json!({"blocklist": "profanity", "added": 2, "skipped": 1, "total": 3}),
    );
    let out = server
        .run([
            "blocklists",
            "import",
            "profanity",
            "--item",
            "darn",
            "--item",
            "heck",
            "--item",
            "Darn",
            "--chunk-size",
            "50",
            "--interval",
            "10ms",
        ])
        .await;
    out.assert_code(0);
    assert_eq!(
        out.stdout.trim(),
        "profanity: added 2, skipped 1 of 3 words in 1 call"
    );
    let call = &server.calls()[0];
    assert_eq!((call.method.as_str(), call.path.as_str()), ("POST", IMPORT));
    assert_eq!(
        call.body,
        json!({"items": ["darn", "heck", "Darn"], "chunk_size": 50})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocklist_import_streams_a_big_file_in_bounded_calls_and_sums_them() {
    let server = Scripted::start().await;
    server.script(IMPORT, [started("i1"), started("i2"), started("i3")]);
    for (id, added) in [("i1", 10_000), ("i2", 9_000), ("i3", 5_000)] {
        let skipped = if id == "i2" { 1_000 } else { 0 };
        server.completed(
            id,
            json!({"blocklist": "profanity", "added": added, "skipped": skipped, "total": added + skipped}),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("words.txt");
    let mut text = String::new();
    for i in 0..25_000 {
        text.push_str(&format!("word-{i}\n"));
        if i % 1_000 == 0 {
            text.push_str("   \n");
        }
    }
    std::fs::write(&file, text).unwrap();
    let out = server
        .run([
            "blocklists",
            "import",
            "profanity",
            "--file",
            file.to_str().unwrap(),
            "--json",
            "--interval",
            "10ms",
        ])
        .await;
    out.assert_code(0);
    let doc = out.json();
    assert_eq!(
        (
            doc["added"].clone(),
            doc["skipped"].clone(),
            doc["total"].clone()
        ),
        (json!(24_000), json!(1_000), json!(25_000))
    );
    assert_eq!(doc["tasks"].as_array().unwrap().len(), 3);
    let sizes: Vec<usize> = server
        .calls()
        .iter()
        .map(|c| c.body["items"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [10_000, 10_000, 5_000]);
    assert_eq!(server.calls()[2].body["items"][4_999], "word-24999");

    // Long words: the calls are cut by size (512 KiB) before the 10,000 words.
    let server = Scripted::start().await;
    server.script(IMPORT, [started("j")]);
    server.completed(
        "j",
        json!({"blocklist": "profanity", "added": 1, "skipped": 0, "total": 1}),
    );
    let long: String = (0..5_000).map(|i| format!("{i:0>250}\n")).collect();
    std::fs::write(&file, long).unwrap();
    let out = server
        .run([
            "blocklists",
            "import",
            "profanity",
            "--file",
            file.to_str().unwrap(),
            "--interval",
            "10ms",
        ])
        .await;
    out.assert_code(0);
    let calls = server.calls();
    assert_eq!(calls.len(), 3, "{out:?}");
    for call in &calls {
        assert!(call.body.to_string().len() <= 512 * 1024 + 64);
    }
    let words: usize = calls
        .iter()
        .map(|c| c.body["items"].as_array().unwrap().len())
        .sum();
    assert_eq!(words, 5_000);
    assert!(out.stdout.contains("in 3 calls"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocklist_import_errors_map_to_exit_codes() {
    let server = Scripted::start().await;
    server.script(
        "/api/v2/blocklists/nope/import",
        [(
            404,
            json!({"code": 16, "message": "blocklist nope does not exist", "StatusCode": 404}),
        )],
    );
    let out = server
        .run(["blocklists", "import", "nope", "--item", "x"])
        .await;
    out.assert_code(4);
    assert!(out.stderr.contains("nope does not exist"), "{out:?}");

    server.script(IMPORT, [started("f1")]);
    server.script(
        "/api/v2/tasks/f1",
        [(200, json!({"task_id": "f1", "status": "failed",
                      "error": {"type": "not_found", "description": "block list profanity was deleted"}}))],
    );
    let out = server
        .run([
            "blocklists",
            "import",
            "profanity",
            "--item",
            "x",
            "--json",
            "--interval",
            "10ms",
        ])
        .await;
    out.assert_code(1);
    let error = &out.json()["error"];
    assert_eq!(error["kind"], "task_failed");
    assert_eq!(error["error_type"], "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocklist_import_bad_arguments_exit_2_without_a_request() {
    let server = Scripted::start().await;
    let dir = tempfile::tempdir().unwrap();
    let long = dir.path().join("long.txt");
    std::fs::write(&long, format!("ok\n{}\n", "x".repeat(256))).unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "\n  \n").unwrap();
    let missing = dir.path().join("missing.txt");
    let (long, empty, missing) = (
        long.to_str().unwrap(),
        empty.to_str().unwrap(),
        missing.to_str().unwrap(),
    );
    let cases: [&[&str]; 7] = [
        &["l"],
        &["l", "--item", "a", "--file", empty],
        &["l", "--item", "a", "--chunk-size", "0"],
        &["l", "--item", "a", "--chunk-size", "1001"],
        &["l", "--file", long],
        &["l", "--file", empty],
        &["l", "--file", missing],
    ];
    for case in cases {
        let mut args = vec!["blocklists", "import"];
        args.extend_from_slice(case);
        let mut cmd = crate::support::bare_command(&args);
        cmd.env("STREAM_API_KEY", "k")
            .env("STREAM_API_SECRET", "s")
            .env("STREAM_BASE_URL", &server.url);
        let out = cmd.output().await.unwrap();
        assert_eq!(out.status.code(), Some(2), "{case:?}: {out:?}");
    }
    let out = server
        .run(["blocklists", "import", "l", "--item", "  "])
        .await;
    out.assert_code(2);
    assert_eq!(server.requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_wait_prints_the_task_ids_and_polls_nothing() {
    let server = Scripted::start().await;
    server.script(BATCH, [started("b9")]);
    let out = server
        .run([
            "channels",
            "batch-update",
            "show",
            "--type",
            "messaging",
            "--member",
            "u1",
            "--no-wait",
        ])
        .await;
    out.assert_code(0);
    assert_eq!(out.stdout.trim(), "b9");

    server.script(IMPORT, [started("n1"), started("n2")]);
    let items: Vec<String> = (0..10_001).map(|i| format!("--item=w{i}")).collect();
    let mut args = vec!["blocklists", "import", "profanity", "--no-wait", "--json"];
    args.extend(items.iter().map(String::as_str));
    let mut cmd = crate::support::bare_command(&args);
    cmd.env("STREAM_API_KEY", "k")
        .env("STREAM_API_SECRET", "s")
        .env("STREAM_BASE_URL", &server.url);
    let out = cmd.output().await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["task_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["n1", "n2"]);
    assert_eq!(server.requests(), 3, "no task was polled");
}
