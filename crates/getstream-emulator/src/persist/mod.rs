//! The data dir (`--data-dir`): an embedded SQLite database that the in-memory state writes
//! through to, and that start-up loads back.
//!
//! The in-memory structures stay the working set (reads never touch the file); each
//! mutation saves the rows it changed before its answer is sent. One connection behind a
//! mutex does every write, in WAL mode with `synchronous=NORMAL`: a committed write is in
//! the OS's hands, so it survives the process being killed (`kill -9`), not a power loss.
//! See `docs/durability.md`.

mod exports;
mod fresh;
#[cfg(test)]
mod fresh_tests;
mod load;
mod rows;
mod save;
mod schema;
mod start;
mod tasks;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_lists_teams;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, params};

use crate::data::app_data::AppData;
use crate::state::sync::lock;
use crate::webhooks::settings::WebhookSettings;

pub(crate) use start::Stored;
pub(crate) use tasks::{JobSpec, StoredTask, TaskRow};

/// Serde of an optional time as Unix nanoseconds (the stored input of export jobs).
pub(crate) mod opt_time {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_some(&t.unix_timestamp_nanos()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        Option::<i128>::deserialize(d)?
            .map(|ns| {
                OffsetDateTime::from_unix_timestamp_nanos(ns).map_err(serde::de::Error::custom)
            })
            .transpose()
    }
}

/// The database file inside the data dir.
pub const DB_FILE: &str = "emulator.sqlite3";
/// The directory of export files inside the data dir.
pub const EXPORTS_DIR: &str = "exports";

/// Why a data dir cannot be used. Start-up stops with it (nothing is served).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataDirError {
    /// The directory (or its `exports` directory) could not be created.
    #[error("could not create the data directory {}", path.display())]
    Create {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written in the directory.
    #[error("the data directory {} is not writable", path.display())]
    NotWritable {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The database file is not one of ours: another program's SQLite file, or not SQLite at
    /// all (a damaged file reads the same way).
    #[error(
        "{} is not a getstream-emulator database (another program's file, or a damaged one); move it away or choose another --data-dir",
        path.display()
    )]
    Foreign {
        /// The database file.
        path: PathBuf,
    },
    /// The database file exists but holds nothing: 0 bytes, or an SQLite file without our
    /// tables. The emulator creates its file whole, so something emptied or replaced it;
    /// starting afresh on it would hide the loss.
    #[error(
        "{} is empty (0 bytes, or no emulator tables): its data was lost or replaced; put back a copy if you have one, or start with --reset-data to start afresh (the old files are moved aside)",
        path.display()
    )]
    Empty {
        /// The database file.
        path: PathBuf,
    },
    /// The directory holds files an emulator leaves beside its database (export files, SQLite's
    /// `-wal`), but no database: it was deleted or moved away.
    #[error(
        "{} holds files of an earlier emulator ({}) but no {DB_FILE}: the database was deleted or moved; put it back, or start with --reset-data to start afresh (the old files are moved aside)",
        path.display(),
        found.display()
    )]
    Orphaned {
        /// The directory.
        path: PathBuf,
        /// One of the files found.
        found: PathBuf,
    },
    /// The database file (or its directory) cannot be written: the emulator saves every
    /// change to it.
    #[error(
        "{} is read-only: the emulator saves every change to it; make it writable, or choose another --data-dir",
        path.display()
    )]
    ReadOnly {
        /// The database file.
        path: PathBuf,
    },
    /// A reset could not move an old file aside.
    #[error("could not move {} aside to {}", from.display(), to.display())]
    MoveAside {
        /// The old file.
        from: PathBuf,
        /// Where it was to go.
        to: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The database was written by a newer emulator, with a schema this one does not know.
    #[error(
        "{} was written by a newer getstream-emulator (schema {found}; this one reads up to {known})",
        path.display()
    )]
    Newer {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: i32,
        /// The newest schema this build reads.
        known: i32,
    },
    /// Another emulator holds the database.
    #[error("the data directory {} is in use by another emulator", path.display())]
    InUse {
        /// The directory.
        path: PathBuf,
    },
    /// A stored row does not decode: the file was changed by something else, or damaged.
    #[error("{} holds a row that does not decode ({what}); the file was changed outside the emulator or is damaged", path.display())]
    BadRow {
        /// The database file.
        path: PathBuf,
        /// Which row, and why.
        what: String,
    },
    /// SQLite failed (I/O error, disk full...).
    #[error("could not use the database {}", path.display())]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// The open data dir: its database connection and the exports directory.
pub(crate) struct Persist {
    dir: PathBuf,
    db: PathBuf,
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for Persist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Persist")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn code(e: &rusqlite::Error) -> Option<ErrorCode> {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.code),
        _ => None,
    }
}

/// What an SQLite error at start-up says about the data dir `dir` and its database `db`.
fn open_error(dir: &Path, db: &Path, source: rusqlite::Error) -> DataDirError {
    match code(&source) {
        Some(ErrorCode::NotADatabase) => DataDirError::Foreign {
            path: db.to_owned(),
        },
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => DataDirError::InUse {
            path: dir.to_owned(),
        },
        Some(ErrorCode::ReadOnly) => DataDirError::ReadOnly {
            path: db.to_owned(),
        },
        _ => DataDirError::Sqlite {
            path: db.to_owned(),
            source: Box::new(source),
        },
    }
}

impl Persist {
    /// Opens the data dir and its database (creating both when the dir holds nothing of an
    /// emulator's), and takes the database for this process alone. With `reset`, the old
    /// database and export files are first moved aside (see [`fresh::move_aside`]).
    pub fn open(dir: &Path, reset: bool) -> Result<Self, DataDirError> {
        Self::open_with(dir, reset, OpenFlags::SQLITE_OPEN_READ_WRITE)
    }

    /// [`open`](Self::open) with SQLite's open `flags` (tests pass a read-only one: file
    /// modes do not stop root).
    fn open_with(dir: &Path, reset: bool, flags: OpenFlags) -> Result<Self, DataDirError> {
        let dir = dir.to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|source| DataDirError::Create {
            path: dir.clone(),
            source,
        })?;
        // SQLite's own error for an unwritable directory is "unable to open database
        // file": a probe file names the real cause.
        let probe = dir.join(format!(".write-probe-{}", std::process::id()));
        std::fs::write(&probe, b"")
            .and_then(|()| std::fs::remove_file(&probe))
            .map_err(|source| DataDirError::NotWritable {
                path: dir.clone(),
                source,
            })?;
        let db = dir.join(DB_FILE);
        if reset && let Some(aside) = fresh::move_aside(&dir, &db)? {
            tracing::warn!(path = %aside.display(), "reset: the old database and export files were moved aside");
        }
        fresh::prepare(&dir, &db)?;
        let exports = dir.join(EXPORTS_DIR);
        std::fs::create_dir_all(&exports).map_err(|source| DataDirError::Create {
            path: exports,
            source,
        })?;
        let sqlite = |source| open_error(&dir, &db, source);
        // No CREATE: `prepare` made the file, or it was there.
        let conn = Connection::open_with_flags(&db, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(sqlite)?;
        // SQLite opens a file it may not write read-only, and fails later with "disk I/O
        // error": say why now.
        if conn.is_readonly(rusqlite::MAIN_DB).map_err(sqlite)? {
            return Err(DataDirError::ReadOnly { path: db });
        }
        // Exclusive locking: a second emulator on the same dir is refused (its working set
        // would drift from ours); the OS drops the lock when this process dies, even by
        // `kill -9`. Taken (and the file's header read) before anything is written.
        conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;")
            .map_err(sqlite)?;
        let refusal = match schema::check(&conn).map_err(sqlite)? {
            Ok(()) => None,
            Err(schema::Refusal::Foreign) => Some(DataDirError::Foreign { path: db.clone() }),
            Err(schema::Refusal::Empty) => Some(DataDirError::Empty { path: db.clone() }),
            Err(schema::Refusal::Newer(found)) => Some(DataDirError::Newer {
                path: db.clone(),
                found,
                known: schema::SCHEMA_VERSION,
            }),
        };
        if let Some(refusal) = refusal {
            return Err(refusal);
        }
        // WAL: a commit appends to the log, no rewrite of the pages in place. Set once the
        // file is known to be ours (a refused file is left as it was).
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .map_err(sqlite)?;
        Ok(Self {
            dir,
            db,
            conn: Mutex::new(conn),
        })
    }

    /// The directory export files are written to.
    pub fn exports_dir(&self) -> PathBuf {
        self.dir.join(EXPORTS_DIR)
    }

    fn sqlite_error(&self, source: rusqlite::Error) -> DataDirError {
        DataDirError::Sqlite {
            path: self.db.clone(),
            source: Box::new(source),
        }
    }

    /// Runs `f` on the connection, outside a transaction (the feeds tables' loads).
    pub(crate) fn with_conn<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, DataDirError> {
        f(&lock(&self.conn)).map_err(|e| self.sqlite_error(e))
    }

    /// Runs `f` in one transaction, committed before this returns.
    pub(crate) fn write(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<()>,
    ) -> Result<(), DataDirError> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction().map_err(|e| self.sqlite_error(e))?;
        f(&tx).map_err(|e| self.sqlite_error(e))?;
        tx.commit().map_err(|e| self.sqlite_error(e))
    }

    /// Saves the rows of `app`'s data that changed since the last save. A failure is logged:
    /// the change stays in memory (the answer was already decided), and the next start will
    /// not see it.
    pub fn save_data(&self, app: &str, data: &mut AppData) {
        let changes = data.changes.take();
        if changes.is_empty() {
            return;
        }
        let data = &*data;
        if let Err(e) = self.write(|tx| save::data(tx, app, data, &changes)) {
            tracing::error!(app, error = %crate::report::one_line_chain(&e), "could not save to the data dir");
        }
    }

    /// Saves `app`'s webhook settings.
    pub fn save_settings(&self, app: &str, settings: &WebhookSettings) {
        let json = serde_json::to_string(settings).unwrap_or_default();
        let r = self.write(|tx| {
            tx.execute(
                "INSERT INTO app_settings (app, name, data) VALUES (?1, 'webhooks', ?2)
                 ON CONFLICT (app, name) DO UPDATE SET data = excluded.data",
                params![app, json],
            )
            .map(drop)
        });
        if let Err(e) = r {
            tracing::error!(app, error = %crate::report::one_line_chain(&e), "could not save the webhook settings");
        }
    }
}
