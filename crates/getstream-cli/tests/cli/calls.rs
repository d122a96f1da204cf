//! `calls delete` end to end, against the real emulator: soft (no task, exit 0), hard (the
//! task waited for, its result shown), `--json`, `--no-wait`, a failed task (exit 1), an
//! unknown call (exit 4) and bad arguments (exit 2, nothing sent).

use getstream_emulator::{CallSeed, EmulatorHandle, JobKind, TaskFailure};

use crate::support::{emulator, run};

fn seed_call(emu: &EmulatorHandle, id: &str) {
    let seed = CallSeed::new("default", id)
        .created_by("user-1")
        .members(["user-1", "user-2"])
        .sessions(3)
        .recordings(2);
    emu.state().create_call(emu.api_key(), seed).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soft_delete_prints_the_call_and_starts_no_task() {
    let emu = emulator().await;
    seed_call(&emu, "standup");
    let out = run(&emu, ["calls", "delete", "default:standup"]).await;
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("deleted call default:standup: marked deleted"),
        "{out:?}"
    );
    let out = run(&emu, ["calls", "delete", "default:standup", "--json"]).await;
    out.assert_code(0);
    let json = out.json();
    assert_eq!(json["call"]["cid"], "default:standup");
    assert!(json["call"]["deleted_at"].is_string(), "{json}");
    assert!(json.get("task_id").is_none(), "{json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hard_delete_waits_and_shows_what_was_removed() {
    let emu = emulator().await;
    seed_call(&emu, "standup");
    seed_call(&emu, "retro");
    let out = run(
        &emu,
        [
            "calls",
            "delete",
            "default:standup",
            "--hard",
            "--interval",
            "20ms",
        ],
    )
    .await;
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("removed call default:standup: 3 sessions, 2 recordings, 2 members"),
        "{out:?}"
    );
    // Gone: another delete is the server's 404 (API error, exit 4).
    let out = run(&emu, ["calls", "delete", "default:standup"]).await;
    out.assert_code(4);
    assert!(out.stderr.contains("404"), "{out:?}");

    let out = run(
        &emu,
        [
            "calls",
            "delete",
            "default:retro",
            "--hard",
            "--json",
            "--interval",
            "20ms",
        ],
    )
    .await;
    out.assert_code(0);
    let task = out.json();
    assert_eq!(task["status"], "completed");
    assert_eq!(task["result"]["cid"], "default:retro");
    assert_eq!(task["result"]["deleted"]["members"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_wait_prints_the_task_id_and_a_failed_task_exits_1() {
    let emu = emulator().await;
    seed_call(&emu, "a");
    seed_call(&emu, "b");
    let out = run(
        &emu,
        ["calls", "delete", "default:a", "--hard", "--no-wait"],
    )
    .await;
    out.assert_code(0);
    let id = out.stdout.trim();
    assert!(!id.is_empty() && !id.contains(' '), "{out:?}");
    let out = run(&emu, ["tasks", "wait", id, "--interval", "20ms", "--json"]).await;
    out.assert_code(0);
    assert_eq!(out.json()["result"]["cid"], "default:a");

    emu.state()
        .fail_next_jobs(
            emu.api_key(),
            JobKind::DeleteCall,
            1,
            TaskFailure::new("StorageError", "recordings bucket unavailable"),
        )
        .unwrap();
    let out = run(
        &emu,
        [
            "calls",
            "delete",
            "default:b",
            "--hard",
            "--interval",
            "20ms",
        ],
    )
    .await;
    out.assert_code(1);
    assert!(
        out.stderr.contains("recordings bucket unavailable"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_call_ids_exit_2_before_any_request() {
    let emu = emulator().await;
    for cid in [
        "standup",
        "default:",
        ":standup",
        "default:a/b",
        "default:a:b",
    ] {
        let out = run(&emu, ["calls", "delete", cid, "--hard"]).await;
        out.assert_code(2);
        assert!(out.stdout.is_empty(), "{out:?}");
    }
    let out = run(&emu, ["calls", "delete", "default:nope"]).await;
    out.assert_code(4);
}
