//! One app's feeds data: feed groups, feeds, activities, follows, comments and reactions,
//! with the indexes that keep the jobs linear (a user's activities, a feed's activities,
//! an activity's comments and reactions) and the keys changed since the last save.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A feed group (`POST /api/v2/feeds/feed_groups`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FeedGroup {
    pub id: String,
    #[serde(default)]
    pub custom: Map<String, Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A feed, `group:id` (its fid).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Feed {
    pub group_id: String,
    pub id: String,
    /// The owner: the user whose feed data this is.
    pub created_by_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub custom: Map<String, Value>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Set by a soft delete.
    #[serde(default)]
    pub deleted_at: Option<i64>,
}

impl Feed {
    /// `group:id`.
    pub fn fid(&self) -> String {
        format!("{}:{}", self.group_id, self.id)
    }
}

/// An activity, in one or more feeds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Activity {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub feeds: Vec<String>,
    pub user_id: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub custom: Map<String, Value>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Set by a soft delete of the user's feed data.
    #[serde(default)]
    pub deleted_at: Option<i64>,
    /// Insertion order: the tie-break of activities created in the same nanosecond.
    pub seq: u64,
}

/// A follow: `source` feed follows `target` feed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Follow {
    pub source: String,
    pub target: String,
    pub created_at: i64,
}

impl Follow {
    /// The follow's key (fids hold no `>`).
    pub fn key(source: &str, target: &str) -> String {
        format!("{source}>{target}")
    }
}

/// A comment on an activity, by a user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Comment {
    pub id: String,
    pub object_id: String,
    pub object_type: String,
    pub text: String,
    pub user_id: String,
    pub created_at: i64,
}

/// A reaction to an activity, by a user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Reaction {
    pub id: String,
    pub activity_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub user_id: String,
    pub created_at: i64,
}

/// The keys changed since the last save, per table. A key whose entity is gone is a delete.
#[derive(Debug, Default)]
pub(crate) struct FeedChanges {
    /// Everything changed (a reset): the app's rows are all rewritten.
    pub all: bool,
    pub groups: BTreeSet<String>,
    pub feeds: BTreeSet<String>,
    pub activities: BTreeSet<String>,
    pub follows: BTreeSet<String>,
    pub comments: BTreeSet<String>,
    pub reactions: BTreeSet<String>,
}

impl FeedChanges {
    /// Whether there is nothing to save.
    pub fn is_empty(&self) -> bool {
        !self.all
            && self.groups.is_empty()
            && self.feeds.is_empty()
            && self.activities.is_empty()
            && self.follows.is_empty()
            && self.comments.is_empty()
            && self.reactions.is_empty()
    }
}

/// A multimap index: key → set of ids.
type Index = HashMap<String, BTreeSet<String>>;

fn index_add(index: &mut Index, key: &str, id: &str) {
    index
        .entry(key.to_owned())
        .or_default()
        .insert(id.to_owned());
}

fn index_remove(index: &mut Index, key: &str, id: &str) {
    if let Some(set) = index.get_mut(key) {
        set.remove(id);
        if set.is_empty() {
            index.remove(key);
        }
    }
}

/// One app's feeds data. Entities go in and out through the methods, which keep the
/// indexes and the change keys right.
#[derive(Debug, Default)]
pub(crate) struct FeedsData {
    pub groups: BTreeMap<String, FeedGroup>,
    /// By fid.
    pub feeds: BTreeMap<String, Feed>,
    pub activities: HashMap<String, Activity>,
    /// By [`Follow::key`].
    pub follows: BTreeMap<String, Follow>,
    pub comments: HashMap<String, Comment>,
    pub reactions: HashMap<String, Reaction>,
    /// fid → (seq, activity id), oldest first.
    by_feed: HashMap<String, BTreeSet<(u64, String)>>,
    /// user id → activity ids.
    activities_by_user: Index,
    /// activity id → comment ids, and user id → comment ids.
    comments_by_activity: Index,
    comments_by_user: Index,
    /// activity id → reaction ids, and user id → reaction ids.
    reactions_by_activity: Index,
    reactions_by_user: Index,
    /// fid → how many feeds follow it, and how many it follows.
    followers: HashMap<String, usize>,
    following: HashMap<String, usize>,
    next_seq: u64,
    pub changes: FeedChanges,
}

/// What removing activities removed with them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Removed {
    pub activities: usize,
    pub comments: usize,
    pub reactions: usize,
}

impl FeedsData {
    /// Rebuilds the indexes of entities loaded from the data dir (changes not recorded).
    pub fn from_rows(
        groups: Vec<FeedGroup>,
        feeds: Vec<Feed>,
        activities: Vec<Activity>,
        follows: Vec<Follow>,
        comments: Vec<Comment>,
        reactions: Vec<Reaction>,
    ) -> Self {
        let mut d = Self {
            groups: groups.into_iter().map(|g| (g.id.clone(), g)).collect(),
            feeds: feeds.into_iter().map(|f| (f.fid(), f)).collect(),
            ..Self::default()
        };
        for a in activities {
            d.next_seq = d.next_seq.max(a.seq.saturating_add(1));
            d.index_activity(&a);
            d.activities.insert(a.id.clone(), a);
        }
        for f in follows {
            d.count_follow(&f, true);
            d.follows.insert(Follow::key(&f.source, &f.target), f);
        }
        for c in comments {
            d.index_comment(&c);
            d.comments.insert(c.id.clone(), c);
        }
        for r in reactions {
            d.index_reaction(&r);
            d.reactions.insert(r.id.clone(), r);
        }
        d
    }

    fn index_activity(&mut self, a: &Activity) {
        for fid in &a.feeds {
            self.by_feed
                .entry(fid.clone())
                .or_default()
                .insert((a.seq, a.id.clone()));
        }
        index_add(&mut self.activities_by_user, &a.user_id, &a.id);
    }

    fn index_comment(&mut self, c: &Comment) {
        index_add(&mut self.comments_by_activity, &c.object_id, &c.id);
        index_add(&mut self.comments_by_user, &c.user_id, &c.id);
    }

    fn index_reaction(&mut self, r: &Reaction) {
        index_add(&mut self.reactions_by_activity, &r.activity_id, &r.id);
        index_add(&mut self.reactions_by_user, &r.user_id, &r.id);
    }

    /// Empties everything; the next save rewrites the app's rows (a reset).
    pub fn clear(&mut self) {
        *self = Self::default();
        self.changes.all = true;
    }

    pub fn put_group(&mut self, g: FeedGroup) {
        self.changes.groups.insert(g.id.clone());
        self.groups.insert(g.id.clone(), g);
    }

    pub fn put_feed(&mut self, f: Feed) {
        let fid = f.fid();
        self.changes.feeds.insert(fid.clone());
        self.feeds.insert(fid, f);
    }

    /// Marks a feed soft-deleted at `now`; whether it was live.
    pub fn soft_delete_feed(&mut self, fid: &str, now: i64) -> bool {
        match self.feeds.get_mut(fid) {
            Some(f) if f.deleted_at.is_none() => {
                f.deleted_at = Some(now);
                f.updated_at = now;
                self.changes.feeds.insert(fid.to_owned());
                true
            }
            _ => false,
        }
    }

    /// Adds an activity (its `seq` is assigned here).
    pub fn add_activity(&mut self, mut a: Activity) -> Activity {
        a.seq = self.next_seq;
        self.next_seq += 1;
        self.index_activity(&a);
        self.changes.activities.insert(a.id.clone());
        self.activities.insert(a.id.clone(), a.clone());
        a
    }

    /// Marks an activity soft-deleted at `now`; whether it was live.
    pub fn soft_delete_activity(&mut self, id: &str, now: i64) -> bool {
        match self.activities.get_mut(id) {
            Some(a) if a.deleted_at.is_none() => {
                a.deleted_at = Some(now);
                a.updated_at = now;
                self.changes.activities.insert(id.to_owned());
                true
            }
            _ => false,
        }
    }

    /// Removes an activity with its comments and reactions; `None` when unknown.
    pub fn remove_activity(&mut self, id: &str) -> Option<(Activity, Removed)> {
        let a = self.activities.remove(id)?;
        self.changes.activities.insert(id.to_owned());
        for fid in &a.feeds {
            if let Some(set) = self.by_feed.get_mut(fid) {
                set.remove(&(a.seq, a.id.clone()));
                if set.is_empty() {
                    self.by_feed.remove(fid);
                }
            }
        }
        index_remove(&mut self.activities_by_user, &a.user_id, id);
        let mut removed = Removed {
            activities: 1,
            ..Removed::default()
        };
        for cid in self.comments_by_activity.remove(id).unwrap_or_default() {
            removed.comments += usize::from(self.remove_comment(&cid));
        }
        for rid in self.reactions_by_activity.remove(id).unwrap_or_default() {
            removed.reactions += usize::from(self.remove_reaction(&rid));
        }
        Some((a, removed))
    }

    /// Takes feed `fid` out of an activity's feeds; removes the activity (as
    /// [`remove_activity`](Self::remove_activity)) when it is left in no feed.
    pub fn detach_activity(&mut self, id: &str, fid: &str) -> Option<(Activity, Removed)> {
        let a = self.activities.get_mut(id)?;
        if a.feeds.len() <= 1 {
            return self.remove_activity(id);
        }
        let seq = a.seq;
        a.feeds.retain(|f| f != fid);
        self.changes.activities.insert(id.to_owned());
        if let Some(set) = self.by_feed.get_mut(fid) {
            set.remove(&(seq, id.to_owned()));
            if set.is_empty() {
                self.by_feed.remove(fid);
            }
        }
        None
    }

    /// The ids of the activities in feed `fid`, oldest first.
    pub fn feed_activity_ids(&self, fid: &str) -> Vec<String> {
        self.by_feed
            .get(fid)
            .map(|s| s.iter().map(|(_, id)| id.clone()).collect())
            .unwrap_or_default()
    }

    /// How many activities feed `fid` holds (soft-deleted ones included).
    pub fn feed_activity_count(&self, fid: &str) -> usize {
        self.by_feed.get(fid).map_or(0, BTreeSet::len)
    }

    /// The newest activities of feed `fid`, at most `limit`, newest first.
    pub fn feed_latest(&self, fid: &str, limit: usize) -> Vec<&Activity> {
        self.by_feed
            .get(fid)
            .into_iter()
            .flat_map(|s| s.iter().rev())
            .filter_map(|(_, id)| self.activities.get(id))
            .filter(|a| a.deleted_at.is_none())
            .take(limit)
            .collect()
    }

    /// The ids of `user`'s activities.
    pub fn user_activity_ids(&self, user: &str) -> Vec<String> {
        self.activities_by_user
            .get(user)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The ids of `user`'s comments.
    pub fn user_comment_ids(&self, user: &str) -> Vec<String> {
        self.comments_by_user
            .get(user)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The ids of `user`'s reactions.
    pub fn user_reaction_ids(&self, user: &str) -> Vec<String> {
        self.reactions_by_user
            .get(user)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The fids of `user`'s feeds.
    pub fn user_feed_ids(&self, user: &str) -> Vec<String> {
        self.feeds
            .iter()
            .filter(|(_, f)| f.created_by_id == user)
            .map(|(fid, _)| fid.clone())
            .collect()
    }

    /// The keys of the follows from or to any of `fids`.
    pub fn follows_touching(&self, fids: &BTreeSet<String>) -> Vec<String> {
        self.follows
            .iter()
            .filter(|(_, f)| fids.contains(&f.source) || fids.contains(&f.target))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Counts a follow in (or, `add` false, out of) the follower/following counts.
    fn count_follow(&mut self, f: &Follow, add: bool) {
        for (map, fid) in [
            (&mut self.followers, &f.target),
            (&mut self.following, &f.source),
        ] {
            let n = map.entry(fid.clone()).or_default();
            *n = if add { *n + 1 } else { n.saturating_sub(1) };
            if *n == 0 {
                map.remove(fid);
            }
        }
    }

    /// Adds a follow (a follow already there is kept as it is).
    pub fn put_follow(&mut self, f: Follow) {
        let key = Follow::key(&f.source, &f.target);
        if self.follows.contains_key(&key) {
            return;
        }
        self.count_follow(&f, true);
        self.changes.follows.insert(key.clone());
        self.follows.insert(key, f);
    }

    pub fn remove_follow(&mut self, key: &str) -> bool {
        let Some(f) = self.follows.remove(key) else {
            return false;
        };
        self.count_follow(&f, false);
        self.changes.follows.insert(key.to_owned());
        true
    }

    pub fn add_comment(&mut self, c: Comment) {
        self.index_comment(&c);
        self.changes.comments.insert(c.id.clone());
        self.comments.insert(c.id.clone(), c);
    }

    pub fn remove_comment(&mut self, id: &str) -> bool {
        let Some(c) = self.comments.remove(id) else {
            return false;
        };
        self.changes.comments.insert(id.to_owned());
        index_remove(&mut self.comments_by_activity, &c.object_id, id);
        index_remove(&mut self.comments_by_user, &c.user_id, id);
        true
    }

    pub fn add_reaction(&mut self, r: Reaction) {
        self.index_reaction(&r);
        self.changes.reactions.insert(r.id.clone());
        self.reactions.insert(r.id.clone(), r);
    }

    pub fn remove_reaction(&mut self, id: &str) -> bool {
        let Some(r) = self.reactions.remove(id) else {
            return false;
        };
        self.changes.reactions.insert(id.to_owned());
        index_remove(&mut self.reactions_by_activity, &r.activity_id, id);
        index_remove(&mut self.reactions_by_user, &r.user_id, id);
        true
    }

    /// The comment and reaction counts of an activity.
    pub fn activity_counts(&self, id: &str) -> (usize, usize) {
        (
            self.comments_by_activity.get(id).map_or(0, BTreeSet::len),
            self.reactions_by_activity.get(id).map_or(0, BTreeSet::len),
        )
    }

    /// The followers and followings counts of feed `fid`.
    pub fn follow_counts(&self, fid: &str) -> (usize, usize) {
        (
            self.followers.get(fid).copied().unwrap_or(0),
            self.following.get(fid).copied().unwrap_or(0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity(id: &str, feeds: &[&str], user: &str) -> Activity {
        Activity {
            id: id.into(),
            kind: "post".into(),
            feeds: feeds.iter().map(|f| (*f).to_owned()).collect(),
            user_id: user.into(),
            text: None,
            custom: Map::new(),
            created_at: 1,
            updated_at: 1,
            deleted_at: None,
            seq: 0,
        }
    }

    #[test]
    fn indexes_follow_adds_and_removes() {
        let mut d = FeedsData::default();
        d.add_activity(activity("a1", &["user:alice", "timeline:bob"], "alice"));
        d.add_activity(activity("a2", &["user:alice"], "alice"));
        d.add_comment(Comment {
            id: "c1".into(),
            object_id: "a1".into(),
            object_type: "activity".into(),
            text: "hi".into(),
            user_id: "bob".into(),
            created_at: 1,
        });
        assert_eq!(d.feed_activity_ids("user:alice"), ["a1", "a2"]);
        assert_eq!(d.user_activity_ids("alice").len(), 2);
        assert!(d.detach_activity("a1", "timeline:bob").is_none());
        assert_eq!(d.feed_activity_count("timeline:bob"), 0);
        assert_eq!(d.activities["a1"].feeds, ["user:alice"]);
        let (_, removed) = d.detach_activity("a1", "user:alice").unwrap();
        assert_eq!(removed.comments, 1);
        assert!(d.comments.is_empty() && d.user_comment_ids("bob").is_empty());
        assert_eq!(d.feed_activity_ids("user:alice"), ["a2"]);
        let back = FeedsData::from_rows(
            vec![],
            vec![],
            d.activities.values().cloned().collect(),
            vec![],
            vec![],
            vec![],
        );
        assert_eq!(back.user_activity_ids("alice"), ["a2"]);
        assert_eq!(back.next_seq, 2);
    }

    #[test]
    fn follow_counts_follow_puts_and_removes() {
        let mut d = FeedsData::default();
        let follow = |s: &str, t: &str| Follow {
            source: s.into(),
            target: t.into(),
            created_at: 1,
        };
        d.put_follow(follow("a:1", "b:1"));
        d.put_follow(follow("a:1", "b:1"));
        d.put_follow(follow("c:1", "b:1"));
        assert_eq!(d.follow_counts("b:1"), (2, 0));
        assert_eq!(d.follow_counts("a:1"), (0, 1));
        assert!(d.remove_follow(&Follow::key("a:1", "b:1")));
        assert!(!d.remove_follow(&Follow::key("a:1", "b:1")));
        assert_eq!(d.follow_counts("b:1"), (1, 0));
        assert_eq!(d.follow_counts("a:1"), (0, 0));
    }
}
