//! The feeds tables in the data dir: one table per entity, keyed by app and id, each row
//! the entity as JSON. Created when missing (an additive change: older builds never read
//! them); loaded at start-up; written through [`FeedsWrite`], which saves the changed rows
//! when it is dropped, before the answer goes out.

use std::ops::{Deref, DerefMut};
use std::sync::RwLockWriteGuard;

use rusqlite::types::Type;
use rusqlite::{Connection, Transaction, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::model::{Activity, Comment, Feed, FeedChanges, FeedGroup, FeedsData, Follow, Reaction};
use crate::persist::{DataDirError, Persist};
use crate::state::app_state::AppState;
use crate::state::sync::write;

/// The feeds tables, as `CREATE TABLE IF NOT EXISTS`.
const TABLES: &str = "
CREATE TABLE IF NOT EXISTS feed_groups (
    app TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feeds (
    app TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feed_activities (
    app TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feed_follows (
    app TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feed_comments (
    app TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feed_reactions (
    app TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app, id)) WITHOUT ROWID;
";

fn rows<T: DeserializeOwned>(
    conn: &Connection,
    table: &str,
    app: &str,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = conn.prepare(&format!("SELECT data FROM {table} WHERE app = ?1"))?;
    let mut out = Vec::new();
    let mut rows = stmt.query(params![app])?;
    while let Some(r) = rows.next()? {
        let json: String = r.get(0)?;
        let row = serde_json::from_str(&json)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, Type::Text, Box::new(e)))?;
        out.push(row);
    }
    Ok(out)
}

/// Creates the feeds tables when missing and loads `app`'s feeds data.
///
/// # Errors
/// SQLite failed, or a row does not decode.
pub(crate) fn load(persist: &Persist, app: &str) -> Result<FeedsData, DataDirError> {
    persist.with_conn(|conn| {
        conn.execute_batch(TABLES)?;
        Ok(FeedsData::from_rows(
            rows::<FeedGroup>(conn, "feed_groups", app)?,
            rows::<Feed>(conn, "feeds", app)?,
            rows::<Activity>(conn, "feed_activities", app)?,
            rows::<Follow>(conn, "feed_follows", app)?,
            rows::<Comment>(conn, "feed_comments", app)?,
            rows::<Reaction>(conn, "feed_reactions", app)?,
        ))
    })
}

fn put<T: Serialize>(
    tx: &Transaction<'_>,
    table: &str,
    app: &str,
    id: &str,
    row: Option<&T>,
) -> rusqlite::Result<()> {
    match row {
        Some(row) => {
            let json = serde_json::to_string(row)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            tx.prepare_cached(&format!(
                "INSERT INTO {table} (app, id, data) VALUES (?1, ?2, ?3)
                 ON CONFLICT (app, id) DO UPDATE SET data = excluded.data"
            ))?
            .execute(params![app, id, json])?;
        }
        None => {
            tx.prepare_cached(&format!("DELETE FROM {table} WHERE app = ?1 AND id = ?2"))?
                .execute(params![app, id])?;
        }
    }
    Ok(())
}

/// Writes the rows `changes` names (all of the app's when `changes.all`).
fn save(
    tx: &Transaction<'_>,
    app: &str,
    d: &FeedsData,
    changes: &FeedChanges,
) -> rusqlite::Result<()> {
    if changes.all {
        for table in [
            "feed_groups",
            "feeds",
            "feed_activities",
            "feed_follows",
            "feed_comments",
            "feed_reactions",
        ] {
            tx.execute(&format!("DELETE FROM {table} WHERE app = ?1"), params![app])?;
        }
        for (k, v) in &d.groups {
            put(tx, "feed_groups", app, k, Some(v))?;
        }
        for (k, v) in &d.feeds {
            put(tx, "feeds", app, k, Some(v))?;
        }
        for (k, v) in &d.activities {
            put(tx, "feed_activities", app, k, Some(v))?;
        }
        for (k, v) in &d.follows {
            put(tx, "feed_follows", app, k, Some(v))?;
        }
        for (k, v) in &d.comments {
            put(tx, "feed_comments", app, k, Some(v))?;
        }
        for (k, v) in &d.reactions {
            put(tx, "feed_reactions", app, k, Some(v))?;
        }
        return Ok(());
    }
    for k in &changes.groups {
        put(tx, "feed_groups", app, k, d.groups.get(k))?;
    }
    for k in &changes.feeds {
        put(tx, "feeds", app, k, d.feeds.get(k))?;
    }
    for k in &changes.activities {
        put(tx, "feed_activities", app, k, d.activities.get(k))?;
    }
    for k in &changes.follows {
        put(tx, "feed_follows", app, k, d.follows.get(k))?;
    }
    for k in &changes.comments {
        put(tx, "feed_comments", app, k, d.comments.get(k))?;
    }
    for k in &changes.reactions {
        put(tx, "feed_reactions", app, k, d.reactions.get(k))?;
    }
    Ok(())
}

/// A write lock on an app's feeds data that saves the changed rows to the data dir when
/// dropped (without a data dir, the change keys are just forgotten).
pub(crate) struct FeedsWrite<'a> {
    guard: RwLockWriteGuard<'a, FeedsData>,
    app: &'a AppState,
}

/// Takes the write lock on `app`'s feeds data.
pub(crate) fn feeds_mut(app: &AppState) -> FeedsWrite<'_> {
    FeedsWrite {
        guard: write(&app.feeds),
        app,
    }
}

impl Deref for FeedsWrite<'_> {
    type Target = FeedsData;
    fn deref(&self) -> &FeedsData {
        &self.guard
    }
}

impl DerefMut for FeedsWrite<'_> {
    fn deref_mut(&mut self) -> &mut FeedsData {
        &mut self.guard
    }
}

impl Drop for FeedsWrite<'_> {
    fn drop(&mut self) {
        let changes = std::mem::take(&mut self.guard.changes);
        if changes.is_empty() {
            return;
        }
        let Some(persist) = self.app.persist() else {
            return;
        };
        let key = self.app.creds.key();
        let data = &*self.guard;
        if let Err(e) = persist.write(|tx| save(tx, key, data, &changes)) {
            tracing::error!(app = key, error = %crate::report::one_line_chain(&e), "could not save feeds to the data dir");
        }
    }
}
