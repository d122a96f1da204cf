//! The index of export files: which app owns each file of the exports directory.

use std::path::{Path, PathBuf};

use rusqlite::params;

use super::{DataDirError, Persist};
use crate::exports::ExportEntry;
use crate::state::sync::lock;

impl Persist {
    /// Indexes a committed export file; committed when this returns `Ok` (the task that
    /// links to it finishes after).
    pub fn insert_export(&self, token: &str, entry: &ExportEntry) -> Result<(), DataDirError> {
        let path = entry.path.to_string_lossy();
        let len = i64::try_from(entry.len).unwrap_or(i64::MAX);
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO export_files (token, app, path, len) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (token) DO UPDATE SET app = excluded.app, path = excluded.path,
                 len = excluded.len",
            )?
            .execute(params![token, entry.app_key, path, len])
            .map(drop)
        })
    }

    /// Forgets the file at `path` (evicted; the caller deletes it).
    pub fn delete_export(&self, path: &Path) {
        let path = path.to_string_lossy();
        let r = self.write(|tx| {
            tx.execute("DELETE FROM export_files WHERE path = ?1", params![path])
                .map(drop)
        });
        if let Err(e) = r {
            tracing::error!(error = %crate::report::one_line_chain(&e), "could not forget an export file");
        }
    }

    /// Forgets every export file (a reset).
    pub fn delete_exports(&self) {
        let r = self.write(|tx| tx.execute("DELETE FROM export_files", []).map(drop));
        if let Err(e) = r {
            tracing::error!(error = %crate::report::one_line_chain(&e), "could not forget the export files");
        }
    }

    /// The indexed export files whose file is still there, oldest first. Rows whose file is
    /// gone are forgotten, and `.partial` files (exports a stop cut short) are removed.
    pub fn load_exports(&self, root: &Path) -> Result<Vec<(String, ExportEntry)>, DataDirError> {
        if let Ok(dir) = std::fs::read_dir(root) {
            for entry in dir.flatten() {
                let path = entry.path();
                if path.to_string_lossy().ends_with(".partial") {
                    let _ = std::fs::remove_file(path);
                }
            }
        }
        let rows = {
            let conn = lock(&self.conn);
            let sql = |e| self.sqlite_error(e);
            let mut stmt = conn
                .prepare("SELECT token, app, path, len FROM export_files ORDER BY rowid")
                .map_err(sql)?;
            stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .map_err(sql)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sql)?
        };
        let mut out = Vec::with_capacity(rows.len());
        for (token, app_key, path, len) in rows {
            let path = PathBuf::from(path);
            if path.is_file() {
                let len = u64::try_from(len).unwrap_or(0);
                out.push((token, ExportEntry { app_key, path, len }));
            } else {
                tracing::warn!(path = %path.display(), "an export file is gone; its link no longer works");
                self.delete_export(&path);
            }
        }
        Ok(out)
    }
}
