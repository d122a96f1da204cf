//! Entity events built from an app's data: the channel or user as the event shows it, taken
//! at the right moment (before a hard delete removes it, after a (de)activation changes it).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::data::app_data::{AppData, DeleteMode, DeleteUsersPlan, Member};
use crate::data::shapes;

use super::payload::{self, Event, UserDeletion};

/// `channel.deleted` for `cid` as the data holds it now, if it exists.
pub(crate) fn channel_deleted(data: &AppData, cid: &str) -> Option<Event> {
    data.channels
        .get(cid)
        .map(|c| payload::channel_deleted(cid, shapes::channel(c, &data.users)))
}

/// Whether `cid` exists and is not soft-deleted yet (so deleting it is news).
pub(crate) fn is_live_channel(data: &AppData, cid: &str) -> bool {
    data.channels
        .get(cid)
        .is_some_and(|c| c.deleted_at.is_none())
}

/// The users among `ids` as they are now (taken before a delete).
pub(crate) fn users_before(data: &AppData, ids: &[String]) -> BTreeMap<String, Value> {
    ids.iter()
        .filter_map(|id| data.users.get(id).map(|u| (id.clone(), shapes::user(u))))
        .collect()
}

fn mode_name(mode: Option<DeleteMode>) -> String {
    match mode {
        None => String::new(),
        Some(DeleteMode::Soft) => "soft".to_owned(),
        Some(DeleteMode::Pruning) => "pruning".to_owned(),
        Some(DeleteMode::Hard) => "hard".to_owned(),
    }
}

/// `user.deleted` for each user the job deleted.
pub(crate) fn users_deleted(
    before: BTreeMap<String, Value>,
    results: &BTreeMap<String, Result<(), String>>,
    plan: DeleteUsersPlan,
    events: &mut Vec<Event>,
) {
    let how = UserDeletion {
        user: mode_name(plan.user),
        messages: mode_name(plan.messages),
        conversations: mode_name(plan.conversations),
    };
    for (id, user) in before {
        if matches!(results.get(&id), Some(Ok(()))) {
            events.push(payload::user_deleted(user, &how));
        }
    }
}

/// `user.deactivated` / `user.reactivated` (`active`) for each user the job changed, with
/// `created_by` when the request named an existing user.
pub(crate) fn users_activation(
    data: &AppData,
    results: &BTreeMap<String, Result<(), String>>,
    created_by_id: Option<&str>,
    active: bool,
    events: &mut Vec<Event>,
) {
    let created_by = created_by_id
        .and_then(|id| data.users.get(id))
        .map(shapes::user);
    for (id, r) in results {
        if let (Ok(()), Some(u)) = (r, data.users.get(id)) {
            events.push(payload::user_activation(
                shapes::user(u),
                created_by.clone(),
                active,
            ));
        }
    }
}

/// `member.removed` for `member`, just removed from `cid` (the channel as it is now).
pub(crate) fn member_removed(data: &AppData, cid: &str, member: &Member) -> Option<Event> {
    let channel = data.channels.get(cid)?;
    Some(payload::member_removed(
        cid,
        shapes::channel(channel, &data.users),
        shapes::member(member, &data.users),
    ))
}
