//! Calls in the data dir: one `calls` row per call (the whole call as JSON, its members
//! inside: a call has at most `MAX_MEMBERS`).

use rusqlite::{Connection, Transaction, params};

use super::model::Call;
use crate::data::app_data::AppData;

/// The table, created in a new file and added to an older one (see `persist::schema`).
pub(crate) const TABLE: &str = "
CREATE TABLE IF NOT EXISTS calls (
    app TEXT NOT NULL, cid TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app, cid)) WITHOUT ROWID;
";

fn put(tx: &Transaction<'_>, app: &str, cid: &str, call: &Call) -> rusqlite::Result<()> {
    let json = serde_json::to_string(call)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.prepare_cached(
        "INSERT INTO calls (app, cid, data) VALUES (?1, ?2, ?3)
         ON CONFLICT (app, cid) DO UPDATE SET data = excluded.data",
    )?
    .execute(params![app, cid, json])?;
    Ok(())
}

/// Saves the calls `cids` names as `data` holds them (a call no longer there loses its row).
pub(crate) fn save<'a>(
    tx: &Transaction<'_>,
    app: &str,
    data: &AppData,
    cids: impl IntoIterator<Item = &'a String>,
) -> rusqlite::Result<()> {
    for cid in cids {
        match data.calls.get(cid) {
            Some(call) => put(tx, app, cid, call)?,
            None => {
                tx.execute(
                    "DELETE FROM calls WHERE app = ?1 AND cid = ?2",
                    params![app, cid],
                )?;
            }
        }
    }
    Ok(())
}

/// Rewrites all of an app's calls.
pub(crate) fn save_all(tx: &Transaction<'_>, app: &str, data: &AppData) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM calls WHERE app = ?1", params![app])?;
    for (cid, call) in &data.calls {
        put(tx, app, cid, call)?;
    }
    Ok(())
}

/// Why a stored call did not load: its cid and the problem.
pub(crate) type BadCall = (String, String);

/// Loads an app's calls into `data`. The outer error is SQLite's; the inner one names a
/// row that does not decode.
pub(crate) fn load(
    conn: &Connection,
    app: &str,
    data: &mut AppData,
) -> rusqlite::Result<Result<(), BadCall>> {
    let mut stmt = conn.prepare("SELECT cid, data FROM calls WHERE app = ?1")?;
    let mut rows = stmt.query(params![app])?;
    while let Some(r) = rows.next()? {
        let cid: String = r.get(0)?;
        let json: String = r.get(1)?;
        match serde_json::from_str::<Call>(&json) {
            Ok(call) if call.cid() == cid => {
                data.calls.insert(cid, call);
            }
            Ok(call) => return Ok(Err((cid, format!("holds call {:?}", call.cid())))),
            Err(e) => return Ok(Err((cid, e.to_string()))),
        }
    }
    Ok(Ok(()))
}
