//! What changed in an app's data since it was last saved to the data dir: the keys of the
//! changed rows, so a save writes those rows and nothing else. Without a data dir nothing is
//! recorded (each mark is one branch on a `bool`).

use std::collections::BTreeSet;

/// The changed keys of one app's data. Removed entities are marked too: a save that finds
/// no entity under a marked key deletes its row.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    enabled: bool,
    /// Everything changed (a seed, a reset): the app's rows are all rewritten.
    pub all: bool,
    /// User ids (the user row and its hard-deleted mark).
    pub users: BTreeSet<String>,
    /// Cids whose channel row and members changed (and, when the channel is gone, everything).
    pub channels: BTreeSet<String>,
    /// Cids all of whose messages are rewritten (bulk changes: truncate, delete users).
    pub channel_messages: BTreeSet<String>,
    /// Single messages, as (cid, message id).
    pub messages: BTreeSet<(String, String)>,
    /// Block list names.
    pub blocklists: BTreeSet<String>,
    /// Video call cids (see `video`).
    pub calls: BTreeSet<String>,
}

impl Changes {
    /// Starts recording (the app is saved to a data dir).
    pub fn track(&mut self) {
        self.enabled = true;
    }

    pub fn user(&mut self, id: &str) {
        if self.enabled && !self.all {
            self.users.insert(id.to_owned());
        }
    }

    pub fn channel(&mut self, cid: &str) {
        if self.enabled && !self.all {
            self.channels.insert(cid.to_owned());
        }
    }

    pub fn channel_messages(&mut self, cid: &str) {
        if self.enabled && !self.all {
            self.channel_messages.insert(cid.to_owned());
        }
    }

    pub fn message(&mut self, cid: &str, id: &str) {
        if self.enabled && !self.all {
            self.messages.insert((cid.to_owned(), id.to_owned()));
        }
    }

    pub fn blocklist(&mut self, name: &str) {
        if self.enabled && !self.all {
            self.blocklists.insert(name.to_owned());
        }
    }

    pub fn call(&mut self, cid: &str) {
        if self.enabled && !self.all {
            self.calls.insert(cid.to_owned());
        }
    }

    pub fn everything(&mut self) {
        if self.enabled {
            *self = Self {
                enabled: true,
                all: true,
                ..Self::default()
            };
        }
    }

    /// Whether there is nothing to save.
    pub fn is_empty(&self) -> bool {
        !self.all
            && self.users.is_empty()
            && self.channels.is_empty()
            && self.channel_messages.is_empty()
            && self.messages.is_empty()
            && self.blocklists.is_empty()
            && self.calls.is_empty()
    }

    /// The changes so far; recording goes on from empty.
    pub fn take(&mut self) -> Self {
        let enabled = self.enabled;
        let mut taken = std::mem::take(self);
        self.enabled = enabled;
        taken.enabled = enabled;
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_recorded_until_tracking_starts() {
        let mut c = Changes::default();
        c.user("u");
        c.everything();
        assert!(c.is_empty());
        c.track();
        c.user("u");
        c.message("a:b", "m");
        assert!(!c.is_empty());
        let taken = c.take();
        assert!(c.is_empty());
        assert_eq!(taken.users.len(), 1);
        c.everything();
        c.user("v");
        assert!(c.all && c.users.is_empty());
    }
}
