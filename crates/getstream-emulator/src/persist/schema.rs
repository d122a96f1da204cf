//! The database file's schema, and the checks that a file is ours before we use it.

use rusqlite::{Connection, OptionalExtension};

/// `PRAGMA application_id` of our files ("GSEm"): a file with another id is not ours.
pub(super) const APPLICATION_ID: i32 = 0x4753_456d;
/// `PRAGMA user_version`: the schema version this build writes.
pub(super) const SCHEMA_VERSION: i32 = 1;

/// Every table is keyed by the app (its API key) first, so one file holds many apps and an
/// app's rows are found by prefix. Each row is one entity as JSON (`data`), so a new field
/// needs no migration; a message insert writes one `messages` row, not its channel.
const SCHEMA: &str = "
CREATE TABLE users (
    app TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app, id)) WITHOUT ROWID;
CREATE TABLE hard_deleted_users (
    app TEXT NOT NULL, id TEXT NOT NULL,
    PRIMARY KEY (app, id)) WITHOUT ROWID;
CREATE TABLE channels (
    app TEXT NOT NULL, cid TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app, cid)) WITHOUT ROWID;
CREATE TABLE members (
    app TEXT NOT NULL, cid TEXT NOT NULL, pos INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app, cid, pos)) WITHOUT ROWID;
-- A rowid table: rowid order is insertion order, the tie-break of messages created at the
-- same time (an update keeps its rowid: it is an upsert, never a replace).
CREATE TABLE messages (
    app TEXT NOT NULL, cid TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
    UNIQUE (app, cid, id));
-- `job`: what resumes the task's job after a restart (kind and request); `data`: its state.
CREATE TABLE tasks (
    app TEXT NOT NULL, id TEXT NOT NULL, job TEXT, data TEXT NOT NULL,
    PRIMARY KEY (app, id)) WITHOUT ROWID;
CREATE TABLE app_settings (
    app TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app, name)) WITHOUT ROWID;
-- The index of the files in the exports directory: whose each one is, and where.
CREATE TABLE export_files (
    token TEXT PRIMARY KEY NOT NULL, app TEXT NOT NULL, path TEXT NOT NULL,
    len INTEGER NOT NULL);
";

/// Tables added after schema 1 shipped: created in a new file and, when missing, in an
/// older one (an additive change needs no new version: an older build never reads them).
const ADDED_TABLES: &str = "
CREATE TABLE IF NOT EXISTS blocklists (
    app TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app, name)) WITHOUT ROWID;
";

/// What [`check`] found in a file that is not ours to use.
#[derive(Debug)]
pub(super) enum Refusal {
    /// Another program's SQLite file (another application id, or tables but no id).
    Foreign,
    /// An SQLite file with no tables and no ids: never ours, since we create our file whole
    /// (see [`create`]); emptied or replaced.
    Empty,
    /// Written by a newer emulator (a schema this build does not know).
    Newer(i32),
}

/// Writes our schema and ids into a new, empty database, in one transaction.
pub(super) fn create(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    let tx = conn.transaction()?;
    tx.execute_batch(SCHEMA)?;
    tx.execute_batch(ADDED_TABLES)?;
    tx.execute_batch(crate::video::persist::TABLE)?;
    tx.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"
    ))?;
    tx.commit()
}

/// Checks that the file is ours, with a schema this build reads. A file that is not SQLite
/// at all fails here (or before) with SQLite's "file is not a database".
pub(super) fn check(conn: &Connection) -> Result<Result<(), Refusal>, rusqlite::Error> {
    let app_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let any_table: Option<String> = conn
        .query_row("SELECT name FROM sqlite_master LIMIT 1", [], |r| r.get(0))
        .optional()?;
    if app_id == 0 && version == 0 && any_table.is_none() {
        return Ok(Err(Refusal::Empty));
    }
    if app_id != APPLICATION_ID {
        return Ok(Err(Refusal::Foreign));
    }
    if version > SCHEMA_VERSION {
        return Ok(Err(Refusal::Newer(version)));
    }
    conn.execute_batch(ADDED_TABLES)?;
    conn.execute_batch(crate::video::persist::TABLE)?;
    Ok(Ok(()))
}
