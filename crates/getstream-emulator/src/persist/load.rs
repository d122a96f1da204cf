//! Reading an app's rows back at start-up.

use rusqlite::{OptionalExtension, params};

use super::rows::{BlockListRow, ChannelRow, MemberRow, MessageRow, UserRow};
use super::{DataDirError, Persist};
use crate::data::app_data::AppData;
use crate::state::sync::lock;
use crate::webhooks::settings::WebhookSettings;

/// The stored webhook settings, as `WebhookSettings` serializes them.
#[derive(serde::Deserialize)]
struct SettingsRow {
    url: Option<String>,
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    compression: bool,
    #[serde(default)]
    hooks: Vec<crate::webhooks::hooks::EventHook>,
}

impl Persist {
    fn bad_row(&self, what: String) -> DataDirError {
        DataDirError::BadRow {
            path: self.db.clone(),
            what,
        }
    }

    /// All rows of `app`'s data: users, channels with their members and messages (messages
    /// ordered by time, ties in the order they were added). Changes are not tracked yet.
    pub fn load_data(&self, app: &str) -> Result<AppData, DataDirError> {
        let conn = lock(&self.conn);
        let sql = |e| self.sqlite_error(e);
        let mut data = AppData::default();
        let decode = |table: &str, key: &str, e: &dyn std::fmt::Display| {
            self.bad_row(format!("{table} row {key:?} of app {app:?}: {e}"))
        };

        let mut stmt = conn
            .prepare("SELECT id, data FROM users WHERE app = ?1")
            .map_err(sql)?;
        let mut rows = stmt.query(params![app]).map_err(sql)?;
        while let Some(r) = rows.next().map_err(sql)? {
            let id: String = r.get(0).map_err(sql)?;
            let json: String = r.get(1).map_err(sql)?;
            let user = serde_json::from_str::<UserRow>(&json)
                .map_err(|e| e.to_string())
                .and_then(|row| row.into_user(id.clone()))
                .map_err(|e| decode("users", &id, &e))?;
            data.users.insert(id, user);
        }
        drop(rows);
        drop(stmt);

        let mut stmt = conn
            .prepare("SELECT id FROM hard_deleted_users WHERE app = ?1")
            .map_err(sql)?;
        let ids = stmt
            .query_map(params![app], |r| r.get::<_, String>(0))
            .map_err(sql)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sql)?;
        data.hard_deleted_users.extend(ids);
        drop(stmt);

        let mut stmt = conn
            .prepare("SELECT cid, data FROM channels WHERE app = ?1")
            .map_err(sql)?;
        let mut rows = stmt.query(params![app]).map_err(sql)?;
        while let Some(r) = rows.next().map_err(sql)? {
            let cid: String = r.get(0).map_err(sql)?;
            let json: String = r.get(1).map_err(sql)?;
            let channel = serde_json::from_str::<ChannelRow>(&json)
                .map_err(|e| e.to_string())
                .and_then(ChannelRow::into_channel)
                .map_err(|e| decode("channels", &cid, &e))?;
            data.channels.insert(cid, channel);
        }
        drop(rows);
        drop(stmt);

        let mut stmt = conn
            .prepare("SELECT cid, pos, data FROM members WHERE app = ?1 ORDER BY cid, pos")
            .map_err(sql)?;
        let mut rows = stmt.query(params![app]).map_err(sql)?;
        while let Some(r) = rows.next().map_err(sql)? {
            let cid: String = r.get(0).map_err(sql)?;
            let json: String = r.get(2).map_err(sql)?;
            let member = serde_json::from_str::<MemberRow>(&json)
                .map_err(|e| e.to_string())
                .and_then(MemberRow::into_member)
                .map_err(|e| decode("members", &cid, &e))?;
            let channel = data
                .channels
                .get_mut(&cid)
                .ok_or_else(|| decode("members", &cid, &"no such channel"))?;
            channel.members.push(member);
        }
        drop(rows);
        drop(stmt);

        let mut stmt = conn
            .prepare("SELECT cid, id, data FROM messages WHERE app = ?1 ORDER BY rowid")
            .map_err(sql)?;
        let mut rows = stmt.query(params![app]).map_err(sql)?;
        while let Some(r) = rows.next().map_err(sql)? {
            let cid: String = r.get(0).map_err(sql)?;
            let id: String = r.get(1).map_err(sql)?;
            let json: String = r.get(2).map_err(sql)?;
            let message = serde_json::from_str::<MessageRow>(&json)
                .map_err(|e| e.to_string())
                .and_then(|row| row.into_message(id.clone()))
                .map_err(|e| decode("messages", &id, &e))?;
            let channel = data
                .channels
                .get_mut(&cid)
                .ok_or_else(|| decode("messages", &id, &"no such channel"))?;
            channel.messages.push(message);
        }
        drop(rows);
        drop(stmt);
        let mut stmt = conn
            .prepare("SELECT name, data FROM blocklists WHERE app = ?1")
            .map_err(sql)?;
        let mut rows = stmt.query(params![app]).map_err(sql)?;
        while let Some(r) = rows.next().map_err(sql)? {
            let name: String = r.get(0).map_err(sql)?;
            let json: String = r.get(1).map_err(sql)?;
            let list = serde_json::from_str::<BlockListRow>(&json)
                .map_err(|e| e.to_string())
                .and_then(|row| row.into_blocklist(name.clone()))
                .map_err(|e| decode("blocklists", &name, &e))?;
            data.blocklists.insert(name, list);
        }
        drop(rows);
        drop(stmt);
        crate::video::persist::load(&conn, app, &mut data)
            .map_err(sql)?
            .map_err(|(cid, e)| decode("calls", &cid, &e))?;
        // Rowid order is the order they were added: a stable sort by time restores the
        // in-memory order (by time, ties in the order added).
        for c in data.channels.values_mut() {
            c.messages.sort_by_key(|m| m.created_at);
        }
        Ok(data)
    }

    /// `app`'s stored webhook settings, if any were saved.
    pub fn load_settings(&self, app: &str) -> Result<Option<WebhookSettings>, DataDirError> {
        let conn = lock(&self.conn);
        let json: Option<String> = conn
            .query_row(
                "SELECT data FROM app_settings WHERE app = ?1 AND name = 'webhooks'",
                params![app],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sqlite_error(e))?;
        let Some(json) = json else {
            return Ok(None);
        };
        let row: SettingsRow = serde_json::from_str(&json)
            .map_err(|e| self.bad_row(format!("webhook settings of app {app:?}: {e}")))?;
        let mut settings = WebhookSettings::new()
            .url(row.url.unwrap_or_default())
            .events(row.events)
            .compression(row.compression);
        settings.set_hooks(row.hooks);
        Ok(Some(settings))
    }
}
