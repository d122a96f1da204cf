//! The membership deletion an upsert or partial update of users starts when it takes teams
//! from users who are members of those teams' channels (`membership_deletion_task_id`; our
//! reading, see `teams`): one task per call, covering every user of the call.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::starter::JobStarter;
use crate::data::app_data::AppData;
use crate::http::error::ApiError;
use crate::jobs::job::{JobKind, TaskResult};
use crate::jobs::pool::{Work, check_cancel};
use crate::webhooks::entities;

/// The teams taken from one user whose channels the user is a member of.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TeamRemoval {
    user_id: String,
    teams: Vec<String>,
}

/// The membership deletion task's input.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct MembershipDeletionJob {
    removals: Vec<TeamRemoval>,
}

/// What a call that sets users' teams takes from them: `teams` maps each user whose teams
/// the call sets to the teams they end with (the last update of a user that appears twice
/// wins). Reads the data as it is before the call changes it.
pub(super) fn plan(data: &AppData, teams: &BTreeMap<String, Vec<String>>) -> Vec<TeamRemoval> {
    teams
        .iter()
        .filter_map(|(id, new)| {
            let taken = data.teams_losing_memberships(id, new);
            (!taken.is_empty()).then(|| TeamRemoval {
                user_id: id.clone(),
                teams: taken,
            })
        })
        .collect()
}

/// Starts the membership deletion of `removals`, if there is anything to remove; returns
/// its task id. Called under the app's data lock, before the call's changes are applied:
/// when the task cannot start, nothing is changed, and the task cannot run before the
/// changes are in (its work takes the same lock).
///
/// # Errors
/// As [`JobStarter::submit_work`]: too many unfinished tasks, or the task not stored.
pub(super) fn start(
    jobs: &JobStarter,
    removals: Vec<TeamRemoval>,
) -> Result<Option<String>, ApiError> {
    if removals.is_empty() {
        return Ok(None);
    }
    let n = removals.len();
    let job = MembershipDeletionJob { removals };
    jobs.submit_work(JobKind::MembershipDeletion, n, job, membership_work)
        .map(Some)
}

/// Adds `membership_deletion_task_id` to an upsert's or partial update's body: the task's id,
/// or `""` when nothing is to be removed — as Stream sends it (the official Python SDK's
/// model requires the field), so a client reads `""` as "no task".
pub(super) fn with_task_id(mut body: Value, task_id: Option<String>) -> Value {
    if let Value::Object(o) = &mut body {
        o.insert(
            "membership_deletion_task_id".into(),
            task_id.unwrap_or_default().into(),
        );
    }
    body
}

/// The work of a membership deletion: one user at a time under the app's write lock. A
/// team the user belongs to again by then keeps its memberships. Each removal sends
/// `member.removed` once the task reads completed.
pub(crate) fn membership_work(job: MembershipDeletionJob) -> Work {
    Box::new(move |app, events, cancel| {
        let mut removed_memberships = Vec::new();
        let mut removed_count = 0;
        for r in &job.removals {
            check_cancel(cancel)?;
            let mut data = app.data_mut();
            let removed = data.remove_team_memberships(&r.user_id, &r.teams);
            if removed.is_empty() {
                continue;
            }
            events.extend(
                removed
                    .iter()
                    .filter_map(|(cid, m)| entities::member_removed(&data, cid, m)),
            );
            drop(data);
            removed_count += removed.len();
            let cids: Vec<String> = removed.into_iter().map(|(cid, _)| cid).collect();
            removed_memberships.push(json!({ "user_id": r.user_id, "cids": cids }));
        }
        Ok(TaskResult::Json(json!({
            "removed_memberships": removed_memberships,
            "removed_count": removed_count,
        })))
    })
}
