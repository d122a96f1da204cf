//! An app's block lists: listing, storing, changing and removing them, and the import of a
//! chunk of words into one (all or nothing, within [`MAX_WORDS`]). Each change is marked in
//! the app's `changes` for the data dir. Pure data, no I/O, no locks.

use crate::data::app_data::{AppData, now};
use crate::data::blocklists::{BlockList, ImportRefusal, MAX_WORDS};

impl AppData {
    /// Block lists of `team` (all when `None`), by name.
    pub fn blocklists_of<'a>(
        &'a self,
        team: Option<&'a str>,
    ) -> impl Iterator<Item = &'a BlockList> + 'a {
        self.blocklists
            .values()
            .filter(move |l| team.is_none_or(|t| l.team.as_deref() == Some(t)))
    }

    /// Inserts or replaces a block list.
    pub fn put_blocklist(&mut self, list: BlockList) {
        self.changes.blocklist(&list.name);
        self.blocklists.insert(list.name.clone(), list);
    }

    /// Changes the block list `name` with `change`; `None` when it does not exist.
    pub fn update_blocklist<R>(
        &mut self,
        name: &str,
        change: impl FnOnce(&mut BlockList) -> R,
    ) -> Option<R> {
        let list = self.blocklists.get_mut(name)?;
        self.changes.blocklist(name);
        let r = change(list);
        list.updated_at = now();
        Some(r)
    }

    /// Removes the block list `name`; returns whether it existed.
    pub fn remove_blocklist(&mut self, name: &str) -> bool {
        self.changes.blocklist(name);
        self.blocklists.remove(name).is_some()
    }

    /// Adds `items` to the block list `name` whose id is `id`, skipping those present (by
    /// `blocklists::word_key`). Returns (added, skipped); all or nothing.
    ///
    /// # Errors
    /// The list does not exist (a list of the same name created since has another id), or
    /// the chunk would take it past [`MAX_WORDS`].
    pub fn import_words(
        &mut self,
        name: &str,
        id: &str,
        items: &[String],
    ) -> Result<(usize, usize), ImportRefusal> {
        let list = self
            .blocklists
            .get(name)
            .filter(|l| l.id == id)
            .ok_or(ImportRefusal::Gone)?;
        if list.words().len() + list.count_new(items) > MAX_WORDS {
            return Err(ImportRefusal::Full);
        }
        let added = self
            .update_blocklist(name, |l| items.iter().filter(|w| l.push(w)).count())
            .ok_or(ImportRefusal::Gone)?;
        Ok((added, items.len() - added))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::blocklists::BlockListFlags;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn import_skips_present_words_and_duplicates_case_insensitively() {
        let mut d = AppData::default();
        d.put_blocklist(BlockList::new(
            "l".into(),
            "word".into(),
            None,
            BlockListFlags::default(),
            &words(&["Cream", "fudge", " cream "]),
        ));
        assert_eq!(d.blocklists["l"].words(), ["Cream", "fudge"]);
        let id = d.blocklists["l"].id.clone();
        let r = d.import_words("l", &id, &words(&[" CREAM", "sugar", "Sugar", "salt "]));
        assert_eq!(r, Ok((2, 2)));
        assert_eq!(
            d.blocklists["l"].words(),
            ["Cream", "fudge", "sugar", "salt"]
        );
        let gone = Err(ImportRefusal::Gone);
        assert_eq!(d.import_words("nope", &id, &words(&["x"])), gone);
        assert_eq!(d.import_words("l", "another-id", &words(&["x"])), gone);
    }

    #[test]
    fn import_refuses_a_chunk_past_the_cap_whole() {
        let mut d = AppData::default();
        let many: Vec<String> = (0..MAX_WORDS - 1).map(|i| format!("w{i}")).collect();
        d.put_blocklist(BlockList::new(
            "l".into(),
            "word".into(),
            None,
            BlockListFlags::default(),
            &many,
        ));
        let id = d.blocklists["l"].id.clone();
        // Present words do not count against the cap.
        assert_eq!(d.import_words("l", &id, &words(&["w0", "new"])), Ok((1, 1)));
        assert_eq!(
            d.import_words("l", &id, &words(&["one-more"])),
            Err(ImportRefusal::Full)
        );
        assert_eq!(d.blocklists["l"].words().len(), MAX_WORDS);
    }
}
