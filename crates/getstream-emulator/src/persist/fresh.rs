//! What a data dir holds before its database is opened. A dir with nothing of an emulator's
//! gets its database created whole; a database file that is empty, or an emulator's leftovers
//! without a database, are refused (starting afresh on them would hide the loss); a reset
//! (`--reset-data`) first moves the old files aside, where they can still be read.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::{DB_FILE, DataDirError, EXPORTS_DIR, code, schema};

/// The files SQLite keeps beside a database (suffixes of its name): a database was here when
/// one of them is.
const SIDECARS: [&str; 3] = ["-wal", "-shm", "-journal"];

/// Most `discarded-*` names tried for one reset (resets within the same second).
const ASIDE_TRIES: u32 = 100;

fn io_error(path: &Path, source: std::io::Error) -> DataDirError {
    DataDirError::Sqlite {
        path: path.to_owned(),
        source: Box::new(source),
    }
}

/// Gets the database `db` of `dir` ready to be opened: creates it when `dir` holds nothing of
/// an emulator's, refuses it when it is empty (0 bytes), and refuses a missing one when
/// leftovers of an earlier emulator show that it was there. A file of some length is checked
/// once open (see [`schema::check`]).
pub(super) fn prepare(dir: &Path, db: &Path) -> Result<(), DataDirError> {
    match std::fs::metadata(db) {
        Ok(meta) if meta.len() == 0 => Err(DataDirError::Empty {
            path: db.to_owned(),
        }),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => match leftover(dir) {
            Some(found) => Err(DataDirError::Orphaned {
                path: dir.to_owned(),
                found,
            }),
            None => create(dir, db),
        },
        Err(source) => Err(io_error(db, source)),
    }
}

/// The first file of `dir` that only an emulator with a database there leaves: a sidecar of
/// the database, or an entry of the exports directory.
fn leftover(dir: &Path) -> Option<PathBuf> {
    SIDECARS
        .iter()
        .map(|suffix| dir.join(format!("{DB_FILE}{suffix}")))
        .find(|path| path.symlink_metadata().is_ok())
        .or_else(|| first_entry(&dir.join(EXPORTS_DIR)))
}

fn first_entry(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|entry| entry.path())
        .next()
}

/// Creates the database whole: written with its schema under a temporary name (committed
/// with SQLite's default `synchronous = FULL`), then linked to its name. So a file at `db`
/// always has our schema, and one without it (0 bytes, no tables) was emptied by something
/// else — even a crash in the middle of this leaves no such file.
fn create(dir: &Path, db: &Path) -> Result<(), DataDirError> {
    let tmp = dir.join(format!(".{DB_FILE}.new-{}", std::process::id()));
    // A leftover of a crashed process that had our pid.
    let _ = std::fs::remove_file(&tmp);
    let built = Connection::open_with_flags(
        &tmp,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .and_then(|mut conn| {
        schema::create(&mut conn)?;
        conn.close().map_err(|(_, e)| e)
    });
    if let Err(e) = built {
        let _ = std::fs::remove_file(&tmp);
        return Err(DataDirError::Sqlite {
            path: tmp,
            source: Box::new(e),
        });
    }
    // A hard link never replaces a file: an emulator that created `db` meanwhile keeps its
    // own (opening it then says it is in use).
    let linked = std::fs::hard_link(&tmp, db).or_else(|e| match e.kind() {
        ErrorKind::AlreadyExists => Ok(()),
        // A file system without hard links: a rename, checked first.
        _ if !db.exists() => std::fs::rename(&tmp, db),
        _ => Ok(()),
    });
    let _ = std::fs::remove_file(&tmp);
    linked.map_err(|source| io_error(db, source))
}

/// A reset: moves the database `db` (with its sidecars) and the entries of the exports
/// directory of `dir` into a new directory `dir/discarded-<UTC time>`, which it returns;
/// `None` when there was nothing to move. Refused while another emulator holds `db`.
pub(super) fn move_aside(dir: &Path, db: &Path) -> Result<Option<PathBuf>, DataDirError> {
    let mut names: Vec<String> = std::iter::once(DB_FILE.to_owned())
        .chain(SIDECARS.iter().map(|suffix| format!("{DB_FILE}{suffix}")))
        .filter(|name| dir.join(name).symlink_metadata().is_ok())
        .collect();
    if first_entry(&dir.join(EXPORTS_DIR)).is_some() {
        names.push(EXPORTS_DIR.to_owned());
    }
    if names.is_empty() {
        return Ok(None);
    }
    if in_use(db) {
        return Err(DataDirError::InUse {
            path: dir.to_owned(),
        });
    }
    let aside = aside_dir(dir)?;
    for name in names {
        let (from, to) = (dir.join(&name), aside.join(&name));
        std::fs::rename(&from, &to).map_err(|source| DataDirError::MoveAside {
            from,
            to,
            source,
        })?;
    }
    Ok(Some(aside))
}

/// Whether another emulator holds `db` (it keeps an exclusive lock while it runs). A file
/// that SQLite cannot use at all is not held by an emulator.
fn in_use(db: &Path) -> bool {
    let Ok(conn) = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) else {
        return false;
    };
    let _ = conn.busy_timeout(Duration::ZERO);
    // A read, not a write transaction, which would write a header into a 0-byte file.
    let taken =
        conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE; SELECT count(*) FROM sqlite_master;");
    matches!(
        taken.as_ref().err().and_then(code),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// A new `discarded-YYYYMMDDTHHMMSSZ` directory in `dir` (`-2`, `-3`... within one second).
fn aside_dir(dir: &Path) -> Result<PathBuf, DataDirError> {
    let t = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "discarded-{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let mut n = 1;
    loop {
        let path = if n == 1 {
            dir.join(&stamp)
        } else {
            dir.join(format!("{stamp}-{n}"))
        };
        match std::fs::create_dir(&path) {
            Err(e) if e.kind() == ErrorKind::AlreadyExists && n < ASIDE_TRIES => n += 1,
            Err(source) => return Err(DataDirError::Create { path, source }),
            Ok(()) => return Ok(path),
        }
    }
}
