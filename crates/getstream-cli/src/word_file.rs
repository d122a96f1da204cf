//! A file of one word a line, read in bounded batches: each line's length is capped while
//! reading (a file with one endless line costs no more memory than a long word), blank lines
//! are skipped, and words are handed out in batches that fit one request.

use std::io::{BufRead, Read};
use std::path::Path;

use crate::error::CliError;

/// The longest line read, in bytes (a word is at most 255 characters: 1,020 bytes of UTF-8,
/// plus spaces around it).
const MAX_LINE_BYTES: usize = 4096;

/// Reads the words of a file one by one.
pub struct Words<R> {
    reader: R,
    line: usize,
    path: String,
}

impl Words<std::io::BufReader<std::fs::File>> {
    /// Opens `path`.
    ///
    /// # Errors
    /// [`CliError::Usage`] when the file cannot be opened.
    pub fn open(path: &Path) -> Result<Self, CliError> {
        let file = std::fs::File::open(path)
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
        Ok(Words::new(
            std::io::BufReader::new(file),
            path.display().to_string(),
        ))
    }
}

impl<R: BufRead> Words<R> {
    /// Words from `reader`, named `path` in errors.
    pub fn new(reader: R, path: String) -> Self {
        Words {
            reader,
            line: 0,
            path,
        }
    }

    /// The next word (trimmed, non-empty), or `None` at the end of the file.
    ///
    /// # Errors
    /// [`CliError::Usage`] naming the line for a line that is too long, not UTF-8, or a word
    /// over `max_chars` characters; the read error otherwise.
    pub fn next_word(&mut self, max_chars: usize) -> Result<Option<String>, CliError> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let read = (&mut self.reader)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut buf)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", self.path)))?;
            if read == 0 {
                return Ok(None);
            }
            self.line += 1;
            if buf.len() > MAX_LINE_BYTES {
                return Err(self.bad("is too long"));
            }
            let text = std::str::from_utf8(&buf).map_err(|_| self.bad("is not UTF-8"))?;
            let word = text.trim();
            if word.is_empty() {
                continue;
            }
            let chars = word.chars().count();
            if chars > max_chars {
                return Err(self.bad(&format!(
                    "has {chars} characters; at most {max_chars} are allowed"
                )));
            }
            return Ok(Some(word.to_owned()));
        }
    }

    fn bad(&self, why: &str) -> CliError {
        CliError::Usage(format!("{} line {}: the word {why}", self.path, self.line))
    }
}

/// Splits words into batches of at most `max_items` words and about `max_bytes` bytes of
/// JSON each (a single word always fits).
pub struct Batcher {
    max_items: usize,
    max_bytes: usize,
    batch: Vec<String>,
    bytes: usize,
}

impl Batcher {
    /// An empty batcher.
    pub fn new(max_items: usize, max_bytes: usize) -> Self {
        Batcher {
            max_items,
            max_bytes,
            batch: Vec::new(),
            bytes: 0,
        }
    }

    /// Adds a word; returns the full batch it closed, if any.
    pub fn push(&mut self, word: String) -> Option<Vec<String>> {
        // The word as a JSON string, and its comma.
        let size = serde_json::to_string(&word).map_or(word.len(), |s| s.len()) + 1;
        let full = !self.batch.is_empty()
            && (self.batch.len() >= self.max_items || self.bytes + size > self.max_bytes);
        let closed = full.then(|| self.take());
        self.bytes += size;
        self.batch.push(word);
        closed
    }

    /// The last, partial batch (`None` when empty).
    pub fn finish(&mut self) -> Option<Vec<String>> {
        (!self.batch.is_empty()).then(|| self.take())
    }

    fn take(&mut self) -> Vec<String> {
        self.bytes = 0;
        std::mem::take(&mut self.batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_trimmed_blank_lines_skipped_and_long_lines_refused() {
        let text = b"darn\n\n  heck  \r\nlast";
        let mut words = Words::new(&text[..], "w.txt".into());
        let mut all = Vec::new();
        while let Some(word) = words.next_word(255).unwrap() {
            all.push(word);
        }
        assert_eq!(all, ["darn", "heck", "last"]);

        let long = format!("ok\n{}\n", "x".repeat(300));
        let mut words = Words::new(long.as_bytes(), "w.txt".into());
        assert_eq!(words.next_word(255).unwrap().as_deref(), Some("ok"));
        let error = words.next_word(255).unwrap_err().to_string();
        assert!(error.contains("w.txt line 2"), "{error}");

        let endless = vec![b'y'; 100_000];
        let error = Words::new(&endless[..], "e".into())
            .next_word(255)
            .unwrap_err();
        assert!(error.to_string().contains("too long"), "{error}");
        let bad = [b'a', 0xff, b'\n'];
        assert!(Words::new(&bad[..], "b".into()).next_word(255).is_err());
    }

    #[test]
    fn batches_hold_at_most_their_items_and_bytes() {
        let mut batcher = Batcher::new(3, 1_000);
        let closed: Vec<_> = (0..7)
            .filter_map(|i| batcher.push(format!("w{i}")))
            .collect();
        assert_eq!(closed, [vec!["w0", "w1", "w2"], vec!["w3", "w4", "w5"]]);
        assert_eq!(batcher.finish().unwrap(), ["w6"]);
        assert!(batcher.finish().is_none());

        let mut batcher = Batcher::new(100, 10);
        assert!(batcher.push("abcdef".into()).is_none());
        assert_eq!(batcher.push("g".into()).unwrap(), ["abcdef"]);
    }
}
