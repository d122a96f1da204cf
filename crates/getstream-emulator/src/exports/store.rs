//! The export file store: files on disk under one root directory, indexed by their token.
//!
//! A job writes its file through an [`ExportFile`] (a buffered writer on
//! `<root>/<token>.json.partial`); [`ExportStore::commit`] — the one place an export file comes
//! into being — flushes it, renames it to `<root>/<token>.json` and indexes it with the app that
//! owns it. A file that is never committed (the job failed or was cancelled) is removed when its
//! writer is dropped. Memory holds only the index, never a file's bytes.
//!
//! The root is a fresh directory under the system temp dir unless the config names one
//! (`EmulatorConfig::exports_dir`); a temp root is removed with the store, a named one is kept.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use std::sync::Arc;

use crate::persist::Persist;
use crate::state::sync::lock;

/// Most export files kept: past it, the oldest one is forgotten (and deleted from disk).
pub const MAX_EXPORT_FILES: usize = 10_000;

/// The buffer of an export file's writer: memory per running export is about this much.
const WRITE_BUFFER: usize = 256 * 1024;

/// One stored export file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExportEntry {
    /// The API key of the app that owns the file.
    pub app_key: String,
    /// Where the file is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub len: u64,
}

#[derive(Debug, Default)]
struct Index {
    files: HashMap<String, ExportEntry>,
    /// Tokens, oldest first.
    order: VecDeque<String>,
}

/// Export files on disk, indexed by token (see the module docs).
#[derive(Debug)]
pub(crate) struct ExportStore {
    root: PathBuf,
    /// Whether the root is ours to remove (a temp dir).
    temporary: bool,
    index: Mutex<Index>,
    /// The data dir the index is saved to, if any.
    persist: Option<Arc<Persist>>,
}

/// An export file being written: a buffered writer on its `.partial` file.
#[derive(Debug)]
pub(crate) struct ExportFile {
    token: String,
    partial: PathBuf,
    out: Option<BufWriter<File>>,
}

impl ExportFile {
    /// The writer of the file's bytes.
    pub fn out(&mut self) -> &mut BufWriter<File> {
        self.out
            .as_mut()
            .unwrap_or_else(|| unreachable!("taken only by commit, which consumes the file"))
    }
}

impl Write for ExportFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out().write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out().write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out().flush()
    }
}

impl Drop for ExportFile {
    /// An uncommitted file is removed.
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

fn new_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

impl ExportStore {
    /// A store under `root`, or under a fresh temp dir when `None`. Nothing is created on disk
    /// until the first file.
    pub fn new(root: Option<PathBuf>) -> Self {
        let (root, temporary) = match root {
            Some(r) => (r, false),
            None => (
                std::env::temp_dir().join(format!(
                    "getstream-emulator-{}-{}",
                    std::process::id(),
                    uuid::Uuid::new_v4().simple()
                )),
                true,
            ),
        };
        Self {
            root,
            temporary,
            index: Mutex::default(),
            persist: None,
        }
    }

    /// Saves the index to `persist` (the data dir) from now on: a committed file is found
    /// again after a restart.
    pub fn with_persist(mut self, persist: Option<Arc<Persist>>) -> Self {
        self.persist = persist;
        self
    }

    /// The directory the files are in.
    #[allow(dead_code)]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Starts a new export file under a fresh token.
    ///
    /// # Errors
    /// When the root cannot be created or the file cannot be opened.
    pub fn create(&self) -> io::Result<ExportFile> {
        std::fs::create_dir_all(&self.root)?;
        let token = new_token();
        let partial = self.root.join(format!("{token}.json.partial"));
        let file = File::create(&partial)?;
        Ok(ExportFile {
            token,
            partial,
            out: Some(BufWriter::with_capacity(WRITE_BUFFER, file)),
        })
    }

    /// Finishes `file` as an export of `app_key`'s: flushed, renamed to its final name and
    /// indexed. Returns its token.
    ///
    /// # Errors
    /// When flushing or renaming fails (the partial file is removed then).
    pub fn commit(&self, app_key: &str, mut file: ExportFile) -> io::Result<String> {
        let out = file
            .out
            .take()
            .unwrap_or_else(|| unreachable!("committed once"));
        let finish = |out: BufWriter<File>| -> io::Result<u64> {
            let f = out.into_inner().map_err(io::IntoInnerError::into_error)?;
            f.sync_data()?;
            Ok(f.metadata()?.len())
        };
        let len = match finish(out) {
            Ok(len) => len,
            Err(e) => {
                let _ = std::fs::remove_file(&file.partial);
                return Err(e);
            }
        };
        let path = self.root.join(format!("{}.json", file.token));
        if let Err(e) = std::fs::rename(&file.partial, &path) {
            let _ = std::fs::remove_file(&file.partial);
            return Err(e);
        }
        let token = std::mem::take(&mut file.token);
        let entry = ExportEntry {
            app_key: app_key.to_owned(),
            path,
            len,
        };
        if let Some(persist) = &self.persist
            && let Err(e) = persist.insert_export(&token, &entry)
        {
            // A link a restart would break is not handed out.
            let _ = std::fs::remove_file(&entry.path);
            return Err(io::Error::other(crate::report::one_line_chain(&e)));
        }
        self.register(&token, entry);
        Ok(token)
    }

    /// Indexes a file already on disk under `token` (a commit, or a store reloaded from
    /// disk), forgetting and deleting the oldest file past [`MAX_EXPORT_FILES`].
    pub fn register(&self, token: &str, entry: ExportEntry) {
        let evicted = {
            let mut index = lock(&self.index);
            let evicted = if index.files.len() >= MAX_EXPORT_FILES {
                index
                    .order
                    .pop_front()
                    .and_then(|oldest| index.files.remove(&oldest))
            } else {
                None
            };
            index.order.push_back(token.to_owned());
            index.files.insert(token.to_owned(), entry);
            evicted
        };
        if let Some(old) = evicted {
            if let Some(persist) = &self.persist {
                persist.delete_export(&old.path);
            }
            let _ = std::fs::remove_file(old.path);
        }
    }

    /// The file of a token.
    pub fn get(&self, token: &str) -> Option<ExportEntry> {
        lock(&self.index).files.get(token).cloned()
    }

    /// The number of files.
    pub fn len(&self) -> usize {
        lock(&self.index).files.len()
    }

    /// Forgets every file and deletes it from disk.
    pub fn clear(&self) {
        let old = std::mem::take(&mut *lock(&self.index));
        if let Some(persist) = &self.persist {
            persist.delete_exports();
        }
        for (_, entry) in old.files {
            let _ = std::fs::remove_file(entry.path);
        }
    }
}

impl Drop for ExportStore {
    /// A temp root goes with the store; a configured one is kept.
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_committed_file_is_indexed_and_an_abandoned_one_removed() {
        let store = ExportStore::new(None);
        let mut f = store.create().unwrap();
        f.write_all(b"{\"a\":1}").unwrap();
        let token = store.commit("k", f).unwrap();
        let entry = store.get(&token).unwrap();
        assert_eq!(entry.app_key, "k");
        assert_eq!(entry.len, 7);
        assert_eq!(std::fs::read(&entry.path).unwrap(), b"{\"a\":1}");

        let mut abandoned = store.create().unwrap();
        abandoned.write_all(b"half").unwrap();
        let partial = abandoned.partial.clone();
        assert!(partial.exists());
        drop(abandoned);
        assert!(!partial.exists());

        let root = store.root().to_owned();
        store.clear();
        assert!(store.get(&token).is_none() && !entry.path.exists());
        drop(store);
        assert!(!root.exists(), "a temp root goes with the store");
    }

    #[test]
    fn a_configured_root_is_kept() {
        let dir = std::env::temp_dir().join(format!("emu-exports-{}", uuid::Uuid::new_v4()));
        {
            let store = ExportStore::new(Some(dir.clone()));
            let f = store.create().unwrap();
            store.commit("k", f).unwrap();
        }
        assert!(dir.exists());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
