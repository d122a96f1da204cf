//! `PUT /api/v2/chat/channels/batch`: the channel batch update, a task (see
//! `channel_batch_job`).

use std::collections::BTreeSet;

use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::channel_batch_job::{ChannelBatchJob, OPERATIONS, batch_work};
use super::channel_input::{data_change, members, object, strings};
use super::reply::task_started;
use super::starter::JobStarter;
use crate::data::app_data::{parse_cid, valid_channel_type};
use crate::data::channel_ops::MemberOp;
use crate::http::error::ApiError;
use crate::http::extract::ApiJson;
use crate::jobs::job::JobKind;
use crate::webhooks::payload::now_ns;

/// The request, read loosely so each bad field gets its own error.
#[derive(Debug, Deserialize)]
pub(crate) struct ChannelBatchRequest {
    operation: Option<Value>,
    filter: Option<Value>,
    members: Option<Value>,
    data: Option<Value>,
    custom_set: Option<Value>,
    custom_unset: Option<Value>,
    hide_history_before: Option<Value>,
}

/// The values one filter key allows: `"x"`, `{"$eq": "x"}` or `{"$in": ["x", ...]}`.
fn filter_values(
    field: &str,
    v: &Value,
    valid: fn(&str) -> bool,
) -> Result<BTreeSet<String>, ApiError> {
    let bad = || {
        ApiError::field(
            field,
            "must be a string, {\"$eq\": value} or {\"$in\": [values]}",
        )
    };
    let values: Vec<&Value> = match v {
        Value::String(_) => vec![v],
        Value::Object(o) if o.len() == 1 => match (o.get("$eq"), o.get("$in")) {
            (Some(x @ Value::String(_)), _) => vec![x],
            (_, Some(Value::Array(a))) if !a.is_empty() => a.iter().collect(),
            (_, Some(Value::Array(_))) => {
                return Err(ApiError::field(field, "$in must list at least one value"));
            }
            _ => return Err(bad()),
        },
        _ => return Err(bad()),
    };
    values
        .into_iter()
        .map(|x| match x.as_str() {
            Some(s) if valid(s) => Ok(s.to_owned()),
            Some(s) => Err(ApiError::field(
                field,
                format!("has an invalid value {s:?}"),
            )),
            None => Err(bad()),
        })
        .collect()
}

type Filter = (Option<BTreeSet<String>>, Option<BTreeSet<String>>);

fn filter(v: Option<&Value>) -> Result<Filter, ApiError> {
    let f = object("filter", v)?.ok_or_else(|| ApiError::field("filter", "is a required field"))?;
    let (mut cids, mut types) = (None, None);
    for (k, v) in f {
        match k.as_str() {
            "cids" => {
                cids = Some(filter_values("filter.cids", v, |s| parse_cid(s).is_some())?);
            }
            "types" => types = Some(filter_values("filter.types", v, valid_channel_type)?),
            other => {
                return Err(ApiError::field(
                    &format!("filter.{other}"),
                    "is not supported (the filter takes cids and types)",
                ));
            }
        }
    }
    if cids.is_none() && types.is_none() {
        return Err(ApiError::field("filter", "must have cids or types"));
    }
    Ok((cids, types))
}

/// `PUT /api/v2/chat/channels/batch`: checks the request and starts the task.
pub(crate) async fn channel_batch_update(
    jobs: JobStarter,
    ApiJson(req): ApiJson<ChannelBatchRequest>,
) -> Result<Response, ApiError> {
    let operation = match &req.operation {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => {
            return Err(ApiError::field("operation", "is a required field"));
        }
        Some(_) => return Err(ApiError::field("operation", "must be a string")),
    };
    let Some(op) = OPERATIONS
        .iter()
        .find(|(name, _)| *name == operation)
        .map(|(_, op)| *op)
    else {
        return Err(ApiError::field(
            "operation",
            format!("{operation:?} is not supported"),
        ));
    };
    let (cids, types) = filter(req.filter.as_ref())?;
    if !matches!(req.hide_history_before, None | Some(Value::Null)) {
        return Err(ApiError::field(
            "hide_history_before",
            "is only allowed with the operation addMembersHideHistory, which is not supported",
        ));
    }
    let members = members("members", req.members.as_ref(), false)?.unwrap_or_default();
    let data = object("data", req.data.as_ref())?;
    let custom_set = object("custom_set", req.custom_set.as_ref())?;
    let custom_unset = strings("custom_unset", req.custom_unset.as_ref())?;
    let change = match op {
        Some(op) => {
            if members.is_empty() {
                return Err(ApiError::field(
                    "members",
                    format!("is required (at least one) for {operation}"),
                ));
            }
            if op == MemberOp::AssignRoles
                && let Some(i) = members.iter().position(|m| m.channel_role.is_none())
            {
                return Err(ApiError::field(
                    &format!("members[{i}].channel_role"),
                    "is required for assignRoles",
                ));
            }
            for (name, given) in [
                ("data", data.is_some()),
                ("custom_set", custom_set.is_some()),
                ("custom_unset", custom_unset.is_some()),
            ] {
                if given {
                    return Err(ApiError::field(name, "is only allowed with updateData"));
                }
            }
            Default::default()
        }
        None => {
            if !members.is_empty() {
                return Err(ApiError::field("members", "is not used by updateData"));
            }
            if data.is_none() && custom_set.is_none() && custom_unset.is_none() {
                return Err(ApiError::field(
                    "data",
                    "is required for updateData (or custom_set / custom_unset)",
                ));
            }
            let mut change = data_change("data", data.unwrap_or(&Map::new()), false)?;
            if change.custom.is_some() && (custom_set.is_some() || custom_unset.is_some()) {
                return Err(ApiError::field(
                    "data.custom",
                    "cannot be given with custom_set or custom_unset",
                ));
            }
            change.custom_set = custom_set.cloned().unwrap_or_default();
            change.custom_unset = custom_unset.unwrap_or_default();
            change
        }
    };
    let items = cids.as_ref().map_or(1, BTreeSet::len);
    let job = ChannelBatchJob {
        operation,
        cids,
        types,
        members,
        data: change,
        created_at_ns: now_ns(),
    };
    let task_id = jobs.submit_work(JobKind::ChannelBatchUpdate, items, job, batch_work)?;
    Ok(task_started(task_id))
}
