//! Block lists: named lists of words (or regexes, domains, emails) per app, and the import
//! that adds words to one in chunks (its chunks go through `blocklist_ops`). Pure data, no
//! I/O, no locks.
//!
//! Words are compared trimmed and case-insensitively: importing `" Cream"` into a list that
//! holds `"cream"` skips it.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Most block lists per app. Stream documents 15 per app; the emulator allows more so a long
/// test run on one emulator does not exhaust them, and still refuses past a bound.
pub(crate) const MAX_BLOCKLISTS: usize = 100;
/// Most words in one block list (Stream's documented limit).
pub(crate) const MAX_WORDS: usize = 10_000;
/// Longest word, in characters, after trimming.
pub(crate) const MAX_WORD_CHARS: usize = 255;
/// Longest block list name, in characters.
pub(crate) const MAX_NAME_CHARS: usize = 255;
/// The types a block list may have (`word` when not given).
pub(crate) const TYPES: [&str; 6] = [
    "word",
    "regex",
    "domain",
    "domain_allowlist",
    "email",
    "email_allowlist",
];

/// Whether `s` is a valid block list name: 1..=255 ASCII letters, digits, `_` or `-`.
pub(crate) fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME_CHARS
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

/// The key a word is compared by: trimmed, lowercase.
pub(crate) fn word_key(word: &str) -> String {
    word.trim().to_lowercase()
}

/// The options of a block list besides its words (all off unless set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BlockListFlags {
    #[serde(default)]
    pub leet_check: bool,
    #[serde(default)]
    pub plural_check: bool,
    #[serde(default)]
    pub confusable_folding: bool,
    #[serde(default)]
    pub substring_matching: bool,
}

/// One block list.
#[derive(Debug, Clone)]
pub(crate) struct BlockList {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub team: Option<String>,
    pub flags: BlockListFlags,
    /// Trimmed, in the order added, no two with the same [`word_key`].
    words: Vec<String>,
    /// The [`word_key`]s of `words`.
    keys: HashSet<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Why an import chunk was not added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ImportRefusal {
    /// The list no longer exists.
    Gone,
    /// The chunk would take the list past [`MAX_WORDS`].
    Full,
}

impl BlockList {
    /// A list with these words (trimmed; later duplicates dropped), created now.
    pub fn new(
        name: String,
        kind: String,
        team: Option<String>,
        flags: BlockListFlags,
        words: &[String],
    ) -> Self {
        let t = OffsetDateTime::now_utc();
        let mut list = Self {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            kind,
            team,
            flags,
            words: Vec::new(),
            keys: HashSet::new(),
            created_at: t,
            updated_at: t,
        };
        list.replace_words(words);
        list
    }

    /// The words, in the order added.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// Replaces the words (trimmed; later duplicates dropped).
    pub fn replace_words(&mut self, words: &[String]) {
        self.words.clear();
        self.keys.clear();
        for w in words {
            self.push(w);
        }
    }

    /// Adds `word` unless a word with its key is there; returns whether it was added.
    pub(super) fn push(&mut self, word: &str) -> bool {
        let added = self.keys.insert(word_key(word));
        if added {
            self.words.push(word.trim().to_owned());
        }
        added
    }

    /// How many of `items` are new to the list (distinct keys not present).
    pub fn count_new<'a>(&self, items: impl IntoIterator<Item = &'a String>) -> usize {
        let mut seen = HashSet::new();
        items
            .into_iter()
            .map(|w| word_key(w))
            .filter(|k| !self.keys.contains(k) && seen.insert(k.clone()))
            .count()
    }
}

/// Distinct word keys of `words`: more than [`MAX_WORDS`] is refused by the handlers.
pub(crate) fn distinct_words(words: &[String]) -> usize {
    words
        .iter()
        .map(|w| word_key(w))
        .collect::<HashSet<_>>()
        .len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rule() {
        assert!(valid_name("profanity_en-2"));
        assert!(!valid_name(""));
        assert!(!valid_name("a b"));
        assert!(!valid_name("é"));
        assert!(!valid_name(&"x".repeat(256)));
    }
}
