//! The channel batch update task: one operation over every channel a filter matches, in
//! chunks under short write locks, with its failures grouped by reason.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::data::app_data::AppData;
use crate::data::channel_ops::{DataChange, EventSink, MemberOp, MemberSpec};
use crate::jobs::job::TaskResult;
use crate::jobs::pool::{Work, check_cancel, current_task_id};
use crate::state::app_state::AppState;
use crate::state::sync::read;
use crate::webhooks::channel_events::{BatchProgress, batch_event};
use crate::webhooks::payload::now_ns;

/// Channels changed under one write lock: requests (task polls among them) wait for at most
/// one chunk.
const CHUNK: usize = 100;

/// The twelve operations, by their wire names, and the member change each one is (`None`:
/// `updateData`).
pub(crate) const OPERATIONS: [(&str, Option<MemberOp>); 12] = [
    ("addMembers", Some(MemberOp::Add)),
    ("removeMembers", Some(MemberOp::Remove)),
    ("inviteMembers", Some(MemberOp::Invite)),
    ("invites", Some(MemberOp::Invite)),
    ("assignRoles", Some(MemberOp::AssignRoles)),
    ("addModerators", Some(MemberOp::AddModerators)),
    ("demoteModerators", Some(MemberOp::DemoteModerators)),
    ("hide", Some(MemberOp::Hide)),
    ("show", Some(MemberOp::Show)),
    ("archive", Some(MemberOp::Archive)),
    ("unarchive", Some(MemberOp::Unarchive)),
    ("updateData", None),
];

/// The checked input of a channel batch update (stored with its task, to resume it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ChannelBatchJob {
    /// The wire name, one of [`OPERATIONS`].
    pub operation: String,
    /// The filter: channels whose cid is one of `cids` (when given) and whose type is one of
    /// `types` (when given).
    pub cids: Option<BTreeSet<String>>,
    pub types: Option<BTreeSet<String>>,
    pub members: Vec<MemberSpec>,
    pub data: DataChange,
    /// When the batch was asked for (Unix ns), for the events' `batch_created_at`.
    pub created_at_ns: i64,
}

impl ChannelBatchJob {
    /// The live (not deleted) channels the filter matches, in cid order.
    fn matched(&self, data: &AppData) -> Vec<String> {
        let type_ok = |kind: &str| self.types.as_ref().is_none_or(|t| t.contains(kind));
        let live = |cid: &String| {
            data.channels
                .get(cid)
                .is_some_and(|c| c.deleted_at.is_none() && type_ok(&c.kind))
        };
        match &self.cids {
            Some(cids) => cids.iter().filter(|c| live(c)).cloned().collect(),
            None => data.channels.keys().filter(|c| live(c)).cloned().collect(),
        }
    }

    /// Does the operation on one channel.
    fn apply(&self, data: &mut AppData, cid: &str, events: &mut EventSink) -> Result<(), String> {
        let op = OPERATIONS
            .iter()
            .find(|(name, _)| *name == self.operation)
            .map(|(_, op)| *op)
            .ok_or_else(|| format!("operation {} is not supported", self.operation))?;
        match op {
            Some(op) => data.change_members(cid, op, &self.members, None, events),
            None => data.change_data(cid, &self.data, None, events),
        }
    }
}

/// `[{reason, cids}]`, reasons in order.
fn failed_channels(failed: &BTreeMap<String, Vec<String>>) -> Value {
    failed
        .iter()
        .map(|(reason, cids)| json!({"reason": reason, "cids": cids}))
        .collect()
}

/// The work of a channel batch update: sends `channel_batch_update.started`, changes the
/// matched channels a chunk at a time (their events go out per chunk, outside the lock),
/// and leaves the result and `channel_batch_update.completed` (sent once the task reads
/// completed).
pub(crate) fn batch_work(job: ChannelBatchJob) -> Work {
    Box::new(move |app: &AppState, events, cancel| {
        let task_id = current_task_id();
        let mut progress = BatchProgress {
            task_id: &task_id,
            operation: &job.operation,
            success_channels_count: 0,
            failed_channels: Value::Array(Vec::new()),
            batch_created_at_ns: job.created_at_ns,
            finished_at_ns: now_ns(),
        };
        app.emit(batch_event(&progress, false));
        let matched = job.matched(&read(&app.data));
        let mut failed: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut ok = 0;
        for chunk in matched.chunks(CHUNK) {
            check_cancel(cancel)?;
            let mut chunk_events = EventSink::new(app.has_webhook());
            {
                let mut data = app.data_mut();
                for cid in chunk {
                    match job.apply(&mut data, cid, &mut chunk_events) {
                        Ok(()) => ok += 1,
                        Err(reason) => failed.entry(reason).or_default().push(cid.clone()),
                    }
                }
            }
            for e in chunk_events.into_events() {
                app.emit(e);
            }
        }
        progress.success_channels_count = ok;
        progress.failed_channels = failed_channels(&failed);
        progress.finished_at_ns = now_ns();
        events.push(batch_event(&progress, true));
        Ok(TaskResult::Json(json!({
            "operation": job.operation,
            "status": "completed",
            "success_channels_count": ok,
            "failed_channels": progress.failed_channels,
        })))
    })
}
