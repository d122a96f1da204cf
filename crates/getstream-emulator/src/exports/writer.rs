//! Writing an export file's JSON a chunk at a time: each chunk is serialized into a small
//! buffer under its own short read lock, then written to the file with no lock held. Memory
//! stays bounded by a chunk, and requests reading the same app wait for one chunk at most.
//!
//! The file is not a snapshot: a change made while an export runs may land in it or not, as
//! with any long-running export of live data.

use std::io::Write;
use std::ops::Bound;

use tokio_util::sync::CancellationToken;

use crate::data::app_data::{AppData, Channel, Message};
use crate::exports::store::ExportFile;
use crate::jobs::job::TaskFailure;
use crate::jobs::pool::check_cancel;
use crate::state::app_state::AppState;
use crate::state::sync::read;

/// Messages serialized per chunk (per lock taken).
pub(crate) const CHUNK: usize = 1_000;

/// An export file being written, with the error type its failures carry.
pub(crate) struct JsonOut<'a> {
    out: &'a mut ExportFile,
    error_type: &'static str,
}

impl<'a> JsonOut<'a> {
    pub fn new(out: &'a mut ExportFile, error_type: &'static str) -> Self {
        Self { out, error_type }
    }

    /// A failure of this export.
    pub fn fail(&self, e: impl std::fmt::Display) -> TaskFailure {
        TaskFailure::new(self.error_type, e.to_string())
    }

    /// Writes raw bytes.
    pub fn raw(&mut self, bytes: &[u8]) -> Result<(), TaskFailure> {
        self.out.write_all(bytes).map_err(|e| self.fail(e))
    }

    /// Writes a JSON object without its closing brace (so more members can follow).
    pub fn open_object(&mut self, value: &serde_json::Value) -> Result<(), TaskFailure> {
        let mut bytes = serde_json::to_vec(value).map_err(|e| self.fail(e))?;
        if bytes.last() == Some(&b'}') {
            bytes.pop();
        }
        self.raw(&bytes)
    }

    /// Writes the messages of channel `cid` a chunk at a time: `each` is called on every
    /// message under the chunk's read lock and appends what it makes (with its own
    /// separators) to the buffer. Stops quietly if the channel goes away.
    pub fn message_chunks(
        &mut self,
        app: &AppState,
        cid: &str,
        cancel: &CancellationToken,
        mut each: impl FnMut(&AppData, &Channel, &Message, &mut Vec<u8>) -> serde_json::Result<()>,
    ) -> Result<(), TaskFailure> {
        let mut from: usize = 0;
        let mut buf = Vec::new();
        loop {
            check_cancel(cancel)?;
            buf.clear();
            let more = {
                let data = read(&app.data);
                let Some(ch) = data.channels.get(cid) else {
                    return Ok(());
                };
                let end = from.saturating_add(CHUNK).min(ch.messages.len());
                for m in ch.messages.get(from..end).unwrap_or(&[]) {
                    each(&data, ch, m, &mut buf).map_err(|e| self.fail(e))?;
                }
                from = end;
                end < ch.messages.len()
            };
            self.raw(&buf)?;
            if !more {
                return Ok(());
            }
        }
    }

    /// Serializes items chunk by chunk: `each` runs on `CHUNK` items at a time under one read
    /// lock, appending to the buffer.
    pub fn item_chunks<T>(
        &mut self,
        app: &AppState,
        items: &[T],
        cancel: &CancellationToken,
        mut each: impl FnMut(&AppData, &T, &mut Vec<u8>) -> serde_json::Result<()>,
    ) -> Result<(), TaskFailure> {
        let mut buf = Vec::new();
        for chunk in items.chunks(CHUNK) {
            check_cancel(cancel)?;
            buf.clear();
            {
                let data = read(&app.data);
                for item in chunk {
                    each(&data, item, &mut buf).map_err(|e| self.fail(e))?;
                }
            }
            self.raw(&buf)?;
        }
        Ok(())
    }
}

/// The first channel cid after `after` (or the first one), in order, under a short lock:
/// walks every channel without holding the lock or a list of all of them.
pub(crate) fn next_channel(app: &AppState, after: Option<&str>) -> Option<String> {
    let data = read(&app.data);
    let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
    data.channels
        .range::<str, _>((lower, Bound::Unbounded))
        .next()
        .map(|(cid, _)| cid.clone())
}

/// Appends `,` before every element but the first.
pub(crate) fn separator(first: &mut bool, buf: &mut Vec<u8>) {
    if !std::mem::take(first) {
        buf.push(b',');
    }
}
