//! The hard-delete task: removes the call with its members, sessions and recordings, and
//! sends `call.deleted`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::model::now_ns;
use super::shape;
use crate::jobs::job::{TaskFailure, TaskResult};
use crate::jobs::pool::{Work, check_cancel};
use crate::webhooks::payload::Event;

/// `call.deleted`: a call was deleted (soft at once, or by the hard-delete task).
pub(crate) const CALL_DELETED: &str = "call.deleted";

/// The task's input (stored with it, so a restart on a data dir runs it again).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct DeleteCallJob {
    pub cid: String,
}

/// `call.deleted` for a call as `call` (a `CallResponse`) shows it. No `task_id`: the event
/// is the call's, as Stream sends it.
pub(crate) fn call_deleted(cid: &str, call: Value) -> Event {
    let mut m = Map::new();
    m.insert("type".into(), CALL_DELETED.into());
    m.insert("created_at".into(), now_ns().into());
    m.insert("custom".into(), Value::Object(Map::new()));
    m.insert("call_cid".into(), cid.into());
    m.insert("call".into(), call);
    Event {
        event_type: CALL_DELETED.into(),
        task_id: None,
        body: Value::Object(m),
    }
}

/// The work of a hard delete: one write lock removes the call whole (a call holds at most
/// `MAX_MEMBERS` members and two counters, so the lock is short). A call already gone
/// (removed by another hard delete) fails the task with `NotFound`.
pub(crate) fn delete_call_work(job: DeleteCallJob) -> Work {
    Box::new(move |app, events, cancel| {
        check_cancel(cancel)?;
        let mut data = app.data_mut();
        let Some((mut call, removed)) = data.remove_call(&job.cid) else {
            return Err(TaskFailure::new(
                "NotFound",
                format!("call {:?} no longer exists", job.cid),
            ));
        };
        call.deleted_at.get_or_insert_with(now_ns);
        let body = shape::call(&call, &data.users);
        drop(data);
        events.push(call_deleted(&job.cid, body));
        Ok(TaskResult::Json(json!({
            "cid": job.cid,
            "deleted": {
                "sessions": removed.sessions,
                "recordings": removed.recordings,
                "members": removed.members,
            },
        })))
    })
}
