//! The feeds tasks' work: delete feeds (one or a batch), delete a user's feed data. Each
//! works in chunks under short write locks on the app's feeds (saved to the data dir per
//! chunk), so requests — task polls among them — wait for one chunk at most. The export
//! is in `export.rs`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::events;
use super::model::{FeedsData, Removed};
use super::store::feeds_mut;
use crate::jobs::job::TaskResult;
use crate::jobs::pool::{Work, check_cancel};
use crate::state::app_state::AppState;
use crate::state::sync::read;
use crate::webhooks::payload::{Event, now_ns};

/// Activities removed under one write lock.
pub(crate) const CHUNK: usize = 500;

/// The checked input of a delete-feeds task (stored with it, to resume it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DeleteFeedsJob {
    pub feeds: Vec<String>,
    pub hard: bool,
    pub purge: bool,
}

/// The checked input of a delete-user-data task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DeleteUserDataJob {
    pub user_id: String,
    pub hard: bool,
}

/// Running totals of a task.
#[derive(Debug, Default)]
struct Counts {
    feeds: usize,
    activities: usize,
    purged: usize,
    follows: usize,
    comments: usize,
    reactions: usize,
}

impl Counts {
    fn add(&mut self, r: Removed) {
        self.activities += r.activities;
        self.comments += r.comments;
        self.reactions += r.reactions;
    }
}

/// Sends `events` (built under a lock) with no lock held.
fn send(app: &AppState, events: Vec<Event>) {
    for e in events {
        app.emit(e);
    }
}

/// Removes the activities `ids` a chunk at a time with `remove` (which returns what it
/// removed, if anything); sends `activity.deleted` for each when the app has a webhook.
fn remove_chunked(
    app: &AppState,
    ids: &[String],
    cancel: &tokio_util::sync::CancellationToken,
    mut remove: impl FnMut(&mut FeedsData, &str) -> Option<(super::model::Activity, Removed)>,
) -> Result<Removed, crate::jobs::job::TaskFailure> {
    let hooks = app.has_webhook();
    let mut total = Removed::default();
    for chunk in ids.chunks(CHUNK) {
        check_cancel(cancel)?;
        let mut out = Vec::new();
        {
            let mut d = feeds_mut(app);
            for id in chunk {
                if let Some((a, r)) = remove(&mut d, id) {
                    total.activities += r.activities;
                    total.comments += r.comments;
                    total.reactions += r.reactions;
                    if hooks {
                        out.push(events::activity_deleted(&d, &a));
                    }
                }
            }
        }
        send(app, out);
    }
    Ok(total)
}

/// Hard-deletes feed `fid`: its activities (those in other feeds too stay there), its
/// follows both ways, the feed. Returns the feed's owner when it existed.
fn hard_delete_feed(
    app: &AppState,
    fid: &str,
    counts: &mut Counts,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<Option<String>, crate::jobs::job::TaskFailure> {
    let (owner, ids) = {
        let d = read(&app.feeds);
        let Some(f) = d.feeds.get(fid) else {
            return Ok(None);
        };
        (f.created_by_id.clone(), d.feed_activity_ids(fid))
    };
    counts.add(remove_chunked(app, &ids, cancel, |d, id| {
        d.detach_activity(id, fid)
    })?);
    let event = {
        let mut d = feeds_mut(app);
        let fids = BTreeSet::from([fid.to_owned()]);
        for key in d.follows_touching(&fids) {
            counts.follows += usize::from(d.remove_follow(&key));
        }
        let feed = d.feeds.remove(fid);
        d.changes.feeds.insert(fid.to_owned());
        feed.map(|f| events::feed_deleted(&f))
    };
    if let Some(e) = event {
        counts.feeds += 1;
        app.emit(e);
    }
    Ok(Some(owner))
}

/// The work of a delete-feeds task.
pub(crate) fn delete_feeds_work(job: DeleteFeedsJob) -> Work {
    Box::new(move |app, _events, cancel| {
        let mut counts = Counts::default();
        for fid in &job.feeds {
            check_cancel(cancel)?;
            if !job.hard {
                let event = {
                    let mut d = feeds_mut(app);
                    let now = now_ns();
                    d.soft_delete_feed(fid, now)
                        .then(|| d.feeds.get(fid).map(events::feed_deleted))
                        .flatten()
                };
                if let Some(e) = event {
                    counts.feeds += 1;
                    app.emit(e);
                }
                continue;
            }
            let owner = hard_delete_feed(app, fid, &mut counts, cancel)?;
            if let (true, Some(owner)) = (job.purge, owner) {
                let ids = read(&app.feeds).user_activity_ids(&owner);
                let r = remove_chunked(app, &ids, cancel, |d, id| d.remove_activity(id))?;
                counts.purged += r.activities;
            }
        }
        Ok(TaskResult::Json(json!({
            "feeds": job.feeds,
            "hard_delete": job.hard,
            "deleted_feeds": counts.feeds,
            "deleted_activities": counts.activities,
            "purged_activities": counts.purged,
        })))
    })
}

/// Soft-deletes a user's feeds and activities; the counts of what it marked.
fn soft_delete_user_data(app: &AppState, user: &str, counts: &mut Counts) {
    let (fids, ids) = {
        let d = read(&app.feeds);
        (d.user_feed_ids(user), d.user_activity_ids(user))
    };
    for chunk in ids.chunks(CHUNK) {
        let mut d = feeds_mut(app);
        let now = now_ns();
        for id in chunk {
            counts.activities += usize::from(d.soft_delete_activity(id, now));
        }
    }
    let mut out = Vec::new();
    {
        let mut d = feeds_mut(app);
        let now = now_ns();
        for fid in &fids {
            if d.soft_delete_feed(fid, now) {
                counts.feeds += 1;
                out.extend(d.feeds.get(fid).map(events::feed_deleted));
            }
        }
    }
    send(app, out);
}

/// The work of a delete-user-data task.
pub(crate) fn delete_user_data_work(job: DeleteUserDataJob) -> Work {
    Box::new(move |app, _events, cancel| {
        let user = job.user_id.as_str();
        let mut counts = Counts::default();
        if job.hard {
            let ids = read(&app.feeds).user_activity_ids(user);
            counts.add(remove_chunked(app, &ids, cancel, |d, id| {
                d.remove_activity(id)
            })?);
            let fids = read(&app.feeds).user_feed_ids(user);
            for fid in &fids {
                check_cancel(cancel)?;
                hard_delete_feed(app, fid, &mut counts, cancel)?;
            }
            let (comments, reactions) = {
                let d = read(&app.feeds);
                (d.user_comment_ids(user), d.user_reaction_ids(user))
            };
            for chunk in comments.chunks(CHUNK) {
                let mut d = feeds_mut(app);
                for id in chunk {
                    counts.comments += usize::from(d.remove_comment(id));
                }
            }
            for chunk in reactions.chunks(CHUNK) {
                let mut d = feeds_mut(app);
                for id in chunk {
                    counts.reactions += usize::from(d.remove_reaction(id));
                }
            }
        } else {
            soft_delete_user_data(app, user, &mut counts);
        }
        Ok(TaskResult::Json(json!({
            "user_id": job.user_id,
            "hard_delete": job.hard,
            "deleted_feeds": counts.feeds,
            "deleted_activities": counts.activities,
            "deleted_follows": counts.follows,
            "deleted_comments": counts.comments,
            "deleted_reactions": counts.reactions,
        })))
    })
}
