//! Data dirs whose database was emptied or lost, or cannot be written, and `reset_data`.

use std::path::{Path, PathBuf};

use rusqlite::OpenFlags;

use super::{DB_FILE, DataDirError, EXPORTS_DIR, Persist};
use crate::config::{EmulatorConfig, SeedSpec};
use crate::state::EmulatorState;

fn config(dir: &Path) -> EmulatorConfig {
    EmulatorConfig::new().app("a", "secret-a").data_dir(dir)
}

fn open_err(config: EmulatorConfig) -> DataDirError {
    match EmulatorState::open(config) {
        Ok(_) => panic!("the data dir opened"),
        Err(e) => e,
    }
}

fn users(state: &EmulatorState) -> usize {
    state.snapshot("a").unwrap()["users"]
        .as_array()
        .unwrap()
        .len()
}

/// A data dir with two users and one export file, closed.
fn stored(dir: &Path) -> PathBuf {
    let state = EmulatorState::open(config(dir)).unwrap();
    state
        .seed(
            "a",
            SeedSpec {
                users: 2,
                channels: 0,
                messages: 0,
            },
        )
        .unwrap();
    drop(state);
    let export = dir.join(EXPORTS_DIR).join("token-1.json");
    std::fs::write(&export, "{}").unwrap();
    export
}

#[test]
fn a_zero_byte_database_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let export = stored(dir.path());
    let db = dir.path().join(DB_FILE);
    std::fs::File::create(&db).unwrap();
    let e = open_err(config(dir.path()));
    assert!(matches!(e, DataDirError::Empty { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("{} is empty", db.display())),
        "{msg}"
    );
    assert!(msg.contains("--reset-data"), "{msg}");
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0);
    assert!(export.is_file());
}

#[test]
fn an_sqlite_file_without_tables_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(DB_FILE);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("CREATE TABLE t (x); DROP TABLE t;")
        .unwrap();
    drop(conn);
    let before = std::fs::read(&db).unwrap();
    assert!(!before.is_empty());
    let e = open_err(config(dir.path()));
    assert!(matches!(e, DataDirError::Empty { .. }), "{e:?}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "not switched to WAL");
}

#[test]
fn export_files_without_a_database_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let export = stored(dir.path());
    std::fs::remove_file(dir.path().join(DB_FILE)).unwrap();
    let e = open_err(config(dir.path()));
    match &e {
        DataDirError::Orphaned { path, found } => {
            assert_eq!(path, dir.path());
            assert_eq!(found, &export);
        }
        _ => panic!("{e:?}"),
    }
    let msg = e.to_string();
    assert!(msg.contains(&format!("no {DB_FILE}")), "{msg}");
    assert!(msg.contains("--reset-data"), "{msg}");
    assert!(!dir.path().join(DB_FILE).exists(), "no database is created");
}

#[test]
fn a_wal_without_a_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let wal = dir.path().join(format!("{DB_FILE}-wal"));
    std::fs::write(&wal, [0u8; 64]).unwrap();
    let e = open_err(config(dir.path()));
    assert!(
        matches!(&e, DataDirError::Orphaned { found, .. } if *found == wal),
        "{e:?}"
    );
}

#[test]
fn a_dir_with_nothing_of_an_emulator_is_new() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(EXPORTS_DIR)).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    // What a crash while creating the database would leave.
    std::fs::write(dir.path().join(format!(".{DB_FILE}.new-1")), "").unwrap();
    let state = EmulatorState::open(config(dir.path())).unwrap();
    assert_eq!(users(&state), 0);
    drop(state);
    EmulatorState::open(config(dir.path())).unwrap();
}

/// The one `discarded-*` directory of `dir`.
fn discarded(dir: &Path) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("discarded-"))
        })
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

#[test]
fn reset_data_moves_the_old_files_aside_and_starts_afresh() {
    let dir = tempfile::tempdir().unwrap();
    stored(dir.path());
    let state = EmulatorState::open(config(dir.path()).reset_data(true)).unwrap();
    assert_eq!(users(&state), 0);
    drop(state);
    // The old data is whole where it was moved.
    let aside = discarded(dir.path());
    assert!(aside.join(EXPORTS_DIR).join("token-1.json").is_file());
    let old = rusqlite::Connection::open(aside.join(DB_FILE)).unwrap();
    let n: i64 = old
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
    // The new dir is an ordinary one.
    assert_eq!(users(&EmulatorState::open(config(dir.path())).unwrap()), 0);
}

#[test]
fn reset_data_starts_afresh_on_an_emptied_database() {
    let dir = tempfile::tempdir().unwrap();
    stored(dir.path());
    std::fs::File::create(dir.path().join(DB_FILE)).unwrap();
    EmulatorState::open(config(dir.path()).reset_data(true)).unwrap();
    let aside = discarded(dir.path());
    assert_eq!(std::fs::metadata(aside.join(DB_FILE)).unwrap().len(), 0);
}

#[test]
fn reset_data_on_a_new_dir_moves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    EmulatorState::open(config(dir.path()).reset_data(true)).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.to_string_lossy().starts_with("discarded-")),
        "{names:?}"
    );
}

#[test]
fn reset_data_is_refused_while_another_emulator_holds_the_dir() {
    let dir = tempfile::tempdir().unwrap();
    stored(dir.path());
    let first = EmulatorState::open(config(dir.path())).unwrap();
    let e = open_err(config(dir.path()).reset_data(true));
    assert!(matches!(e, DataDirError::InUse { .. }), "{e:?}");
    drop(first);
    assert_eq!(users(&EmulatorState::open(config(dir.path())).unwrap()), 2);
}

/// File modes do not stop root (the tests may run as root): SQLite's read-only open makes
/// the same connection a file without write permission gets.
#[test]
fn a_read_only_database_is_named_read_only() {
    let dir = tempfile::tempdir().unwrap();
    drop(Persist::open(dir.path(), false).unwrap());
    let e = Persist::open_with(dir.path(), false, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap_err();
    let db = dir.path().join(DB_FILE);
    assert!(matches!(e, DataDirError::ReadOnly { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "{} is read-only: the emulator saves every change to it; make it writable, or choose another --data-dir",
            db.display()
        )
    );
}

#[test]
fn sqlites_read_only_error_is_named_read_only() {
    let dir = tempfile::tempdir().unwrap();
    drop(Persist::open(dir.path(), false).unwrap());
    let db = dir.path().join(DB_FILE);
    let conn =
        rusqlite::Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let write = conn.execute_batch("CREATE TABLE t (x)").unwrap_err();
    let e = super::open_error(dir.path(), &db, write);
    assert!(
        matches!(&e, DataDirError::ReadOnly { path } if *path == db),
        "{e:?}"
    );
}
