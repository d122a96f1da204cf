//! `getstream demo` runs the whole story to completion.

use crate::support::run_bare;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_tells_the_whole_story_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo-export.json");
    let out = run_bare(["demo", "--instant", "--download", file.to_str().unwrap()]).await;
    out.assert_code(0);
    for line in [
        "== 1. Export two channels and download the file",
        // The commands shown poll as the demo does.
        "$ getstream export channels messaging:seed-1 messaging:seed-2 --download FILE --interval 100ms",
        "it holds:   2 channels, 24 messages",
        "== 2. Hard-delete a channel",
        "after:      messaging:seed-3 is gone, with its messages",
        "== 3. Export two users, then delete them",
        "users left: user-3, user-4, user-5, user-6",
        "== 4. A job that fails",
        "error_type:  S3Error",
        "description: the export bucket is gone",
        "== 5. A wait that times out, and is resumed",
        "last_status: running",
        "resume with: getstream tasks wait ",
        "status:      completed (the same task, resumed)",
        "== 6. The undo: restore a soft-deleted user, truncate a channel",
        "after:      user-3 is soft-deleted",
        "$ getstream users restore user-3",
        "restored 1 user: user-3",
        "after:      user-3 is back",
        "$ getstream users restore user-1",
        "exit code:  4 (user-1 was hard-deleted",
        "before:     messaging:seed-4 has 12 messages",
        "$ getstream channels truncate messaging:seed-4 --hard",
        "after:      messaging:seed-4 is empty (0 messages)",
        "== 7. An export whose wait is woken by Stream's webhook",
        "waits:       with push: long_running() + events (a poll every 30 s, a safety net)",
        "== All steps went as expected.",
    ] {
        assert!(
            out.stdout.contains(line),
            "missing {line:?} in:\n{}",
            out.stdout
        );
    }
    assert!(file.exists(), "the export file was downloaded");
    assert!(
        out.stderr.is_empty(),
        "no progress when not a terminal: {}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_download_path_is_a_usage_error_before_the_story_starts() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_bare([
        "demo",
        "--instant",
        "--download",
        dir.path().to_str().unwrap(),
    ])
    .await;
    out.assert_code(2);
    assert!(out.stderr.contains("is a directory"), "{out:?}");
    assert!(!out.stdout.contains("== 1."), "nothing ran: {out:?}");
}
