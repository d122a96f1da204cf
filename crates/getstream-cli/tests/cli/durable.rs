//! `getstream emulator --data-dir`: killed with SIGKILL in the middle of a job and started
//! again on the same dir and port, the emulator finishes the job, and an SDK wait that ran
//! across the restart (its polls refused meanwhile) ends with the job's real result.

use std::process::Stdio;

use getstream_tasks::{Client, ExportChannelsRequest, TaskStatus};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

use crate::support::{bare_command, ms, secs};

/// A free loopback port (bound, then released for the emulator to take).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `getstream emulator` on `port` and `dir` with slow jobs (3 s running). Returns the child
/// once it prints its contract, with the API key and secret.
async fn start(dir: &std::path::Path, port: u16) -> (Child, String, String) {
    let mut child: Child = bare_command([
        "emulator",
        "--addr",
        &format!("127.0.0.1:{port}"),
        "--data-dir",
        dir.to_str().unwrap(),
        "--seed",
        "channels=2,messages=3,users=2",
        "--pending",
        "100ms",
        "--min-task-duration",
        "3s",
        "--per-item-cost",
        "0s",
    ])
    .env("RUST_LOG", "warn")
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut contract = Vec::new();
    for _ in 0..3 {
        let line = tokio::time::timeout(secs(30), lines.next_line())
            .await
            .expect("the emulator starts")
            .unwrap()
            .expect("a contract line");
        contract.push(line);
    }
    assert_eq!(contract[0], format!("base_url=http://127.0.0.1:{port}"));
    let key = contract[1].strip_prefix("api_key=").unwrap().to_owned();
    let secret = contract[2].strip_prefix("api_secret=").unwrap().to_owned();
    (child, key, secret)
}

/// SIGKILL: no shutdown code runs.
async fn kill9(child: &mut Child) {
    child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_survives_kill_9_and_an_sdk_wait_across_the_restart_gets_its_result() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (mut first, key, secret) = start(dir.path(), port).await;
    let client = Client::builder(&key, &secret)
        .base_url(format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();

    let started = client
        .chat()
        .export_channels(ExportChannelsRequest::new(["messaging:seed-1"]))
        .await
        .unwrap();
    let id = started.task_id.clone();
    let handle = started.handle();
    let waiter = {
        let handle = handle.clone();
        tokio::spawn(async move { handle.wait().interval(ms(100)).timeout(secs(60)).await })
    };
    // Kill it while the job runs.
    let mut running = false;
    for _ in 0..100 {
        if client.get_task(&id).await.unwrap().status == TaskStatus::Running {
            running = true;
            break;
        }
        tokio::time::sleep(ms(20)).await;
    }
    assert!(running, "the job never ran");
    kill9(&mut first).await;
    // The wait polls a closed port for a while.
    tokio::time::sleep(secs(1)).await;
    assert!(
        !waiter.is_finished(),
        "the wait ended while the emulator was down"
    );

    let (mut second, key2, _) = start(dir.path(), port).await;
    assert_eq!(key2, key);
    let export = waiter
        .await
        .unwrap()
        .expect("the wait completes with the job's result");
    let file: serde_json::Value = reqwest::get(&export.url)
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    let channels = file["channels"].as_array().unwrap();
    assert_eq!(channels.len(), 1, "{file}");
    assert_eq!(channels[0]["channel"]["cid"], "messaging:seed-1");
    // The job ran on the stored data, which the seed flag did not seed a second time.
    assert_eq!(
        channels[0]["messages"].as_array().unwrap().len(),
        3,
        "{file}"
    );

    // Finished: after another kill -9 the task and its file are still there.
    kill9(&mut second).await;
    let (mut third, _, _) = start(dir.path(), port).await;
    let task = client.get_task(&id).await.unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    let url = task.result.as_ref().unwrap()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let again: serde_json::Value = reqwest::get(&url)
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["channels"], file["channels"]);
    kill9(&mut third).await;
}

/// `getstream emulator --data-dir DIR` with a `DIR` it cannot use: no server, a failing
/// exit and one line saying what is wrong with which path.
async fn refused(dir: &std::path::Path) -> crate::support::Run {
    let run = tokio::time::timeout(
        secs(30),
        crate::support::run_bare([
            "emulator",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            dir.to_str().unwrap(),
        ]),
    )
    .await
    .expect("the emulator refuses to start instead of serving");
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stdout.is_empty(), "no contract is printed: {run:?}");
    run
}

#[tokio::test]
async fn a_foreign_database_file_stops_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("emulator.sqlite3");
    std::fs::write(&db, "these are my notes, not a database\n".repeat(50)).unwrap();
    let run = refused(dir.path()).await;
    assert!(
        run.stderr.contains(&format!(
            "{} is not a getstream-emulator database",
            db.display()
        )),
        "{run:?}"
    );
    // Left as it was.
    assert!(
        std::fs::read_to_string(&db)
            .unwrap()
            .starts_with("these are my notes")
    );
}

/// `/proc/self` takes no new files, even from root (the tests may run as root).
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_data_dir_that_is_not_writable_stops_the_start_with_a_clear_error() {
    let run = refused(std::path::Path::new("/proc/self")).await;
    assert!(
        run.stderr
            .contains("the data directory /proc/self is not writable"),
        "{run:?}"
    );
}

#[tokio::test]
async fn an_emptied_database_stops_the_start_and_reset_data_starts_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("emulator.sqlite3");
    let export = dir.path().join("exports").join("token-1.json");
    std::fs::create_dir(dir.path().join("exports")).unwrap();
    std::fs::write(&export, "{}").unwrap();
    std::fs::File::create(&db).unwrap();
    let run = refused(dir.path()).await;
    assert!(
        run.stderr.contains(&format!("{} is empty", db.display())),
        "{run:?}"
    );
    assert!(run.stderr.contains("--reset-data"), "{run:?}");
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0, "left as it was");
    assert!(export.is_file());

    let mut child = bare_command([
        "emulator",
        "--addr",
        "127.0.0.1:0",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--reset-data",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(secs(30), lines.next_line())
        .await
        .expect("the emulator starts")
        .unwrap()
        .expect("a contract line");
    assert!(first.starts_with("base_url=http://127.0.0.1:"), "{first}");
    kill9(&mut child).await;
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains("discarded-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert!(aside[0].join("exports").join("token-1.json").is_file());
    assert_eq!(
        std::fs::metadata(aside[0].join("emulator.sqlite3"))
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn export_files_without_a_database_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("exports").join("token-1.json");
    std::fs::create_dir(dir.path().join("exports")).unwrap();
    std::fs::write(&export, "{}").unwrap();
    let run = refused(dir.path()).await;
    assert!(
        run.stderr.contains(&format!(
            "{} holds files of an earlier emulator ({}) but no emulator.sqlite3",
            dir.path().display(),
            export.display()
        )),
        "{run:?}"
    );
    assert!(!dir.path().join("emulator.sqlite3").exists());
}

/// A database file without write permission. Root writes it regardless, so as root the
/// emulator runs as `nobody`.
#[cfg(unix)]
#[tokio::test]
async fn a_read_only_database_says_read_only() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let config = getstream_emulator::EmulatorConfig::new().data_dir(dir.path());
    drop(getstream_emulator::EmulatorState::open(config).unwrap());
    let db = dir.path().join("emulator.sqlite3");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    let mut cmd = bare_command([
        "emulator",
        "--addr",
        "127.0.0.1:0",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    if std::fs::metadata(&db).unwrap().uid() == 0 {
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        cmd.uid(65534).gid(65534);
    }
    let out = tokio::time::timeout(secs(30), cmd.output())
        .await
        .expect("the emulator refuses to start instead of serving")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(out.stdout.is_empty(), "{stderr}");
    assert!(
        stderr.contains(&format!("{} is read-only", db.display())),
        "{stderr}"
    );
}
