//! Server strings reach the terminal escaped: a task whose fields hold terminal control
//! sequences (clipboard write, window title, clear screen, a C1 CSI, a bidi override) is
//! shown with visible escapes, and `--json` stays JSON that decodes to the server's text.

use std::time::Duration;

use getstream_emulator::{ScriptedTask, TaskFailure};
use serde_json::json;

use crate::support::{emulator, run, script};

/// Each one acts on a terminal when printed raw.
const HOSTILE: &str = "x\u{1b}]52;c;aGVsbG8=\u{7}\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m\u{202e}y";

fn assert_inert(text: &str) {
    for c in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
        assert!(!text.contains(c), "{c:?} reached the terminal: {text:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_tasks_strings_are_escaped_for_a_person_and_kept_in_json() {
    let emu = emulator().await;
    let id = script(
        &emu,
        ScriptedTask::new()
            .step("failed", Duration::ZERO)
            .error(TaskFailure {
                stacktrace: format!("at a.go:1\n{HOSTILE}\nat b.go:2"),
                version: HOSTILE.into(),
                ..TaskFailure::new(HOSTILE, HOSTILE)
            }),
    );
    for args in [["tasks", "get", &id], ["tasks", "wait", &id]] {
        let out = run(&emu, args).await;
        assert_inert(&out.stdout);
        assert_inert(&out.stderr);
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(
            all.contains("description: x\\u{1b}]52;c;aGVsbG8=\\u{7}"),
            "{out:?}"
        );
        // The stack trace keeps its own lines, each escaped.
        assert!(all.contains("at a.go:1\n"), "{out:?}");
    }

    let out = run(&emu, ["tasks", "get", &id, "--json"]).await;
    assert_inert(&out.stdout);
    let v = out.json();
    assert_eq!(v["error"]["description"], HOSTILE);
    assert_eq!(v["error"]["version"], HOSTILE);
    let out = run(&emu, ["tasks", "wait", &id, "--json"]).await;
    out.assert_code(1);
    assert_inert(&out.stdout);
    assert_inert(&out.stderr);
    assert_eq!(out.json()["error"]["description"], HOSTILE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_fields_urls_and_per_item_reports_are_escaped() {
    let emu = emulator().await;
    for result in [
        json!({"url": format!("https://files.example/{HOSTILE}")}),
        json!({"messaging:a": {"status": "ok"}, HOSTILE: {"status": HOSTILE, "error": HOSTILE}}),
        json!({"anything": HOSTILE, "nested": [HOSTILE]}),
    ] {
        let id = script(
            &emu,
            ScriptedTask::new()
                .step("completed", Duration::ZERO)
                .result(result.clone()),
        );
        for args in [["tasks", "get", &id], ["tasks", "wait", &id]] {
            let out = run(&emu, args).await;
            assert_inert(&out.stdout);
            assert_inert(&out.stderr);
            // Shown escaped: ours (`\\u{1b}`), or JSON's own in a raw JSON result.
            assert!(
                out.stdout.contains("\\u{1b}") || out.stdout.contains("\\u001b"),
                "{out:?}"
            );
        }
        let out = run(&emu, ["tasks", "get", &id, "--json"]).await;
        assert_inert(&out.stdout);
        assert_eq!(out.json()["result"], result);
    }
}
