//! The export-feed-user-data task: a JSON file with the user's profile, feeds, activities,
//! follows (from or to their feeds), comments and reactions, written a chunk at a time under
//! short read locks, and linked from `result.url` (signed, as the chat exports are).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::jobs::CHUNK;
use super::shapes;
use crate::exports::writer::JsonOut;
use crate::jobs::job::{TaskFailure, TaskResult};
use crate::jobs::pool::{Work, check_cancel};
use crate::state::EmulatorState;
use crate::state::app_state::AppState;
use crate::state::sync::read;

/// The `error.type` of a failed export.
const ERROR_TYPE: &str = "ExportFeedUserDataError";

/// The checked input of an export-feed-user-data task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ExportUserDataJob {
    pub user_id: String,
}

/// Writes `ids` as a JSON array named `name` (after a comma), each through `shape` under
/// a read lock per chunk; returns how many were written (ids gone meanwhile are skipped).
fn array(
    out: &mut JsonOut<'_>,
    app: &AppState,
    name: &str,
    ids: &[String],
    cancel: &tokio_util::sync::CancellationToken,
    shape: impl Fn(&super::model::FeedsData, &str) -> Option<Value>,
) -> Result<usize, TaskFailure> {
    out.raw(format!(",\"{name}\":[").as_bytes())?;
    let mut n = 0;
    let mut buf = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        check_cancel(cancel)?;
        buf.clear();
        {
            let d = read(&app.feeds);
            for id in chunk {
                if let Some(v) = shape(&d, id) {
                    if n > 0 {
                        buf.push(b',');
                    }
                    serde_json::to_writer(&mut buf, &v).map_err(|e| out.fail(e))?;
                    n += 1;
                }
            }
        }
        out.raw(&buf)?;
    }
    out.raw(b"]")?;
    Ok(n)
}

/// The user's profile: their chat user when there is one, else their id.
fn profile(app: &AppState, user: &str) -> Value {
    read(&app.data)
        .users
        .get(user)
        .map_or_else(|| json!({ "id": user }), crate::data::shapes::user)
}

/// The work of an export-feed-user-data task.
pub(crate) fn export_work(state: EmulatorState, job: ExportUserDataJob) -> Work {
    Box::new(move |app, _events, cancel| {
        let failed = |e: std::io::Error| TaskFailure::new(ERROR_TYPE, e.to_string());
        let exports = state.exports();
        let mut file = exports.create().map_err(failed)?;
        let user = job.user_id.as_str();
        let (fids, activities, comments, reactions, follows) = {
            let d = read(&app.feeds);
            let fids = d.user_feed_ids(user);
            let set: BTreeSet<String> = fids.iter().cloned().collect();
            (
                fids,
                d.user_activity_ids(user),
                d.user_comment_ids(user),
                d.user_reaction_ids(user),
                d.follows_touching(&set),
            )
        };
        let mut out = JsonOut::new(&mut file, ERROR_TYPE);
        out.open_object(&json!({ "user": profile(app, user) }))?;
        let feeds = array(&mut out, app, "feeds", &fids, cancel, |d, id| {
            d.feeds.get(id).map(|f| shapes::feed(d, f))
        })?;
        let activities = array(&mut out, app, "activities", &activities, cancel, |d, id| {
            d.activities.get(id).map(|a| shapes::activity(d, a))
        })?;
        let follows = array(&mut out, app, "follows", &follows, cancel, |d, id| {
            d.follows.get(id).map(|f| shapes::follow(d, f))
        })?;
        let comments = array(&mut out, app, "comments", &comments, cancel, |d, id| {
            d.comments.get(id).map(shapes::comment)
        })?;
        let reactions = array(&mut out, app, "reactions", &reactions, cancel, |d, id| {
            d.reactions.get(id).map(shapes::reaction)
        })?;
        out.raw(b"}")?;
        let token = exports.commit(app.creds.key(), file).map_err(failed)?;
        let mut fields = Map::new();
        fields.insert("user_id".into(), job.user_id.clone().into());
        fields.insert("feeds".into(), feeds.into());
        fields.insert("activities".into(), activities.into());
        fields.insert("follows".into(), follows.into());
        fields.insert("comments".into(), comments.into());
        fields.insert("reactions".into(), reactions.into());
        Ok(TaskResult::File {
            token,
            ext: "json".into(),
            fields,
        })
    })
}
