//! The binary on data dirs it must not start on: an emptied database, export files without a
//! database, a read-only database; and `--reset-data`, which starts afresh on purpose.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use getstream_emulator::{EmulatorConfig, EmulatorState, SeedSpec};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const DB: &str = "emulator.sqlite3";

fn emulator(dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_getstream-emulator"));
    cmd.args(["--addr", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap()])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Runs `cmd`, which must exit (not serve) with a failure and print nothing on stdout; its
/// stderr.
async fn refused(mut cmd: Command) -> String {
    let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
        .await
        .expect("the emulator refuses to start instead of serving")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{stderr}");
    assert!(out.stdout.is_empty(), "no contract is printed: {stderr}");
    stderr
}

/// A data dir with two users (stored through the library) and one export file.
fn stored(dir: &Path) -> PathBuf {
    let config = EmulatorConfig::new().data_dir(dir);
    let state = EmulatorState::open(config).unwrap();
    state
        .seed(
            getstream_emulator::DEFAULT_API_KEY,
            SeedSpec {
                users: 2,
                channels: 0,
                messages: 0,
            },
        )
        .unwrap();
    drop(state);
    let export = dir.join("exports").join("token-1.json");
    std::fs::write(&export, "{}").unwrap();
    export
}

#[tokio::test]
async fn an_emptied_database_stops_the_start_and_reset_data_starts_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let export = stored(dir.path());
    let db = dir.path().join(DB);
    std::fs::File::create(&db).unwrap();

    let stderr = refused(emulator(dir.path(), &[])).await;
    assert!(
        stderr.contains(&format!("{} is empty", db.display())),
        "{stderr}"
    );
    assert!(stderr.contains("--reset-data"), "{stderr}");
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0, "left as it was");
    assert!(export.is_file());

    // On purpose: the old files are moved aside, and it serves.
    let mut child = emulator(dir.path(), &["--reset-data"]).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the emulator starts")
        .unwrap()
        .expect("a contract line");
    assert!(first.starts_with("base_url=http://127.0.0.1:"), "{first}");
    child.kill().await.unwrap();
    let aside: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains("discarded-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(std::fs::metadata(aside[0].join(DB)).unwrap().len(), 0);
    assert!(aside[0].join("exports").join("token-1.json").is_file());
    assert!(std::fs::metadata(&db).unwrap().len() > 0, "a new database");
}

#[tokio::test]
async fn export_files_without_a_database_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let export = stored(dir.path());
    std::fs::remove_file(dir.path().join(DB)).unwrap();
    let stderr = refused(emulator(dir.path(), &[])).await;
    assert!(
        stderr.contains(&format!(
            "{} holds files of an earlier emulator ({}) but no {DB}",
            dir.path().display(),
            export.display()
        )),
        "{stderr}"
    );
    assert!(!dir.path().join(DB).exists(), "no database is created");
}

/// A database file without write permission. Root writes it regardless, so as root the
/// emulator runs as `nobody`.
#[cfg(unix)]
#[tokio::test]
async fn a_read_only_database_says_read_only() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    stored(dir.path());
    let db = dir.path().join(DB);
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    let mut cmd = emulator(dir.path(), &[]);
    if std::fs::metadata(&db).unwrap().uid() == 0 {
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        cmd.uid(65534).gid(65534);
    }
    let stderr = refused(cmd).await;
    assert!(
        stderr.contains(&format!("{} is read-only", db.display())),
        "{stderr}"
    );
    assert!(!stderr.contains("disk I/O error"), "{stderr}");
}

#[test]
fn reset_data_needs_a_data_dir() {
    use clap::Parser;
    use getstream_emulator::cli::Args;
    let err = Args::try_parse_from(["getstream-emulator", "--reset-data"]).unwrap_err();
    assert!(err.to_string().contains("--data-dir"), "{err}");
    let args =
        Args::try_parse_from(["getstream-emulator", "--data-dir", "d", "--reset-data"]).unwrap();
    assert!(args.config().resets_data());
}
