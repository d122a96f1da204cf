//! Writing an app's changed rows (see [`Changes`]) inside one transaction.

use rusqlite::{Transaction, params};

use super::rows::{BlockListRow, ChannelRow, MemberRow, MessageRow, UserRow};
use crate::data::app_data::{AppData, Channel, Message, User};
use crate::data::blocklists::BlockList;
use crate::data::changes::Changes;

fn json<T: serde::Serialize>(row: &T) -> rusqlite::Result<String> {
    serde_json::to_string(row).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// Saves the rows `changes` names (all of the app's when `changes.all`).
pub(super) fn data(
    tx: &Transaction<'_>,
    app: &str,
    data: &AppData,
    changes: &Changes,
) -> rusqlite::Result<()> {
    if changes.all {
        return everything(tx, app, data);
    }
    for id in &changes.users {
        match data.users.get(id) {
            Some(u) => put_user(tx, app, u)?,
            None => {
                tx.execute(
                    "DELETE FROM users WHERE app = ?1 AND id = ?2",
                    params![app, id],
                )?;
            }
        }
        if data.hard_deleted_users.contains(id) {
            tx.execute(
                "INSERT OR IGNORE INTO hard_deleted_users (app, id) VALUES (?1, ?2)",
                params![app, id],
            )?;
        } else {
            tx.execute(
                "DELETE FROM hard_deleted_users WHERE app = ?1 AND id = ?2",
                params![app, id],
            )?;
        }
    }
    for cid in &changes.channels {
        match data.channels.get(cid) {
            Some(c) => put_channel(tx, app, cid, c)?,
            None => {
                for table in ["channels", "members", "messages"] {
                    tx.execute(
                        &format!("DELETE FROM {table} WHERE app = ?1 AND cid = ?2"),
                        params![app, cid],
                    )?;
                }
            }
        }
    }
    for cid in &changes.channel_messages {
        if let Some(c) = data.channels.get(cid) {
            tx.execute(
                "DELETE FROM messages WHERE app = ?1 AND cid = ?2",
                params![app, cid],
            )?;
            for m in &c.messages {
                put_message(tx, app, cid, m)?;
            }
        }
    }
    for (cid, id) in &changes.messages {
        if changes.channel_messages.contains(cid) {
            continue;
        }
        // New messages are usually the newest: look from the end.
        match data
            .channels
            .get(cid)
            .and_then(|c| c.messages.iter().rev().find(|m| &m.id == id))
        {
            Some(m) => put_message(tx, app, cid, m)?,
            None => {
                tx.execute(
                    "DELETE FROM messages WHERE app = ?1 AND cid = ?2 AND id = ?3",
                    params![app, cid, id],
                )?;
            }
        }
    }
    for name in &changes.blocklists {
        match data.blocklists.get(name) {
            Some(l) => put_blocklist(tx, app, l)?,
            None => {
                tx.execute(
                    "DELETE FROM blocklists WHERE app = ?1 AND name = ?2",
                    params![app, name],
                )?;
            }
        }
    }
    crate::video::persist::save(tx, app, data, &changes.calls)
}

/// Rewrites all of an app's data rows.
fn everything(tx: &Transaction<'_>, app: &str, data: &AppData) -> rusqlite::Result<()> {
    for table in [
        "users",
        "hard_deleted_users",
        "channels",
        "members",
        "messages",
        "blocklists",
    ] {
        tx.execute(&format!("DELETE FROM {table} WHERE app = ?1"), params![app])?;
    }
    for u in data.users.values() {
        put_user(tx, app, u)?;
    }
    for id in &data.hard_deleted_users {
        tx.execute(
            "INSERT INTO hard_deleted_users (app, id) VALUES (?1, ?2)",
            params![app, id],
        )?;
    }
    for (cid, c) in &data.channels {
        put_channel(tx, app, cid, c)?;
        for m in &c.messages {
            put_message(tx, app, cid, m)?;
        }
    }
    for l in data.blocklists.values() {
        put_blocklist(tx, app, l)?;
    }
    crate::video::persist::save_all(tx, app, data)
}

fn put_user(tx: &Transaction<'_>, app: &str, u: &User) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO users (app, id, data) VALUES (?1, ?2, ?3)
         ON CONFLICT (app, id) DO UPDATE SET data = excluded.data",
    )?
    .execute(params![app, u.id, json(&UserRow::new(u))?])?;
    Ok(())
}

/// The channel row and its members (rewritten: a channel has few).
fn put_channel(tx: &Transaction<'_>, app: &str, cid: &str, c: &Channel) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO channels (app, cid, data) VALUES (?1, ?2, ?3)
         ON CONFLICT (app, cid) DO UPDATE SET data = excluded.data",
    )?
    .execute(params![app, cid, json(&ChannelRow::new(c))?])?;
    tx.prepare_cached("DELETE FROM members WHERE app = ?1 AND cid = ?2")?
        .execute(params![app, cid])?;
    let mut insert =
        tx.prepare_cached("INSERT INTO members (app, cid, pos, data) VALUES (?1, ?2, ?3, ?4)")?;
    for (pos, m) in c.members.iter().enumerate() {
        let pos = i64::try_from(pos).unwrap_or(i64::MAX);
        insert.execute(params![app, cid, pos, json(&MemberRow::new(m))?])?;
    }
    Ok(())
}

/// An upsert, never a replace: the row keeps its rowid (the order of messages created at
/// the same time).
fn put_message(tx: &Transaction<'_>, app: &str, cid: &str, m: &Message) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO messages (app, cid, id, data) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (app, cid, id) DO UPDATE SET data = excluded.data",
    )?
    .execute(params![app, cid, m.id, json(&MessageRow::new(m))?])?;
    Ok(())
}

/// A block list, its words in the row (at most `MAX_WORDS` of them).
fn put_blocklist(tx: &Transaction<'_>, app: &str, l: &BlockList) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO blocklists (app, name, data) VALUES (?1, ?2, ?3)
         ON CONFLICT (app, name) DO UPDATE SET data = excluded.data",
    )?
    .execute(params![app, l.name, json(&BlockListRow::new(l))?])?;
    Ok(())
}
