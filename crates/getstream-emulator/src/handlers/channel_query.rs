//! `POST /api/v2/chat/channels`: query channels.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::data::app_data::{Channel, valid_user_id};
use crate::data::channel_filter::{Filter, USER_FIELDS, last_updated, sort_order};
use crate::data::shapes;
use crate::http::error::{ApiError, duration};
use crate::http::extract::{ApiJson, Authed};
use crate::state::sync::read;

/// Stream's documented limits: 10 channels a page by default, at most 30; members and
/// messages per channel.
const DEFAULT_LIMIT: u64 = 10;
const MAX_LIMIT: u64 = 30;
const MAX_OFFSET: u64 = 1000;
const MAX_MEMBER_LIMIT: u64 = 100;
const DEFAULT_MESSAGE_LIMIT: u64 = 25;
const MAX_MESSAGE_LIMIT: u64 = 300;

#[derive(Debug, Deserialize)]
pub(crate) struct QueryChannelsRequest {
    filter_conditions: Option<Map<String, Value>>,
    sort: Option<Vec<SortParam>>,
    limit: Option<u64>,
    offset: Option<u64>,
    member_limit: Option<u64>,
    message_limit: Option<u64>,
    user_id: Option<String>,
    user: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
struct SortParam {
    field: Option<String>,
    direction: Option<i64>,
}

fn capped(field: &str, v: Option<u64>, default: u64, max: u64) -> Result<usize, ApiError> {
    let v = v.unwrap_or(default);
    if v > max {
        return Err(ApiError::field(
            field,
            format!("must be at most {max}, got {v}"),
        ));
    }
    Ok(usize::try_from(v).unwrap_or(usize::MAX))
}

/// One channel as query channels answers it (`ChannelStateResponseFields`).
fn channel_state(
    c: &Channel,
    users: &std::collections::BTreeMap<String, crate::data::app_data::User>,
    user: Option<&str>,
    members: usize,
    messages: usize,
) -> Value {
    let cid = c.cid();
    let membership = user.and_then(|u| c.members.iter().find(|m| m.user_id == u));
    // A member added with hide_history does not see what came before.
    let hide_before = membership.and_then(|m| m.hide_messages_before);
    let shown = || {
        c.visible_messages()
            .filter(move |m| hide_before.is_none_or(|t| m.created_at > t))
    };
    let visible = shown().count();
    let mut out = json!({
        "channel": shapes::channel(c, users),
        "members": c.members.iter().take(members).map(|m| shapes::member(m, users)).collect::<Vec<_>>(),
        "messages": shown().skip(visible.saturating_sub(messages)).map(|m| shapes::message(m, &cid, users)).collect::<Vec<_>>(),
        "pinned_messages": [],
        "threads": [],
        "read": [],
        "watchers": [],
        "watcher_count": 0,
        "hidden": membership.is_some_and(|m| m.hidden),
    });
    if let Some(m) = membership {
        out["membership"] = shapes::member(m, users);
        if let Some(t) = m.hide_messages_before {
            out["hide_messages_before"] = shapes::ts(t);
        }
    }
    out
}

/// `POST /api/v2/chat/channels`: the channels `filter_conditions` matches, sorted (`sort`;
/// by default the most recently active first), a page of `limit` from `offset`. With a
/// `user_id`, the channels that user hid are left out unless the filter names `hidden`, and
/// `membership` is that user's. Deleted channels are never listed.
pub(crate) async fn query_channels(
    Authed(app): Authed,
    ApiJson(req): ApiJson<QueryChannelsRequest>,
) -> Result<Response, ApiError> {
    let filter = Filter::parse(&req.filter_conditions.unwrap_or_default())
        .map_err(|e| ApiError::field("filter_conditions", e))?;
    let limit = capped("limit", req.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let offset = capped("offset", req.offset, 0, MAX_OFFSET)?;
    let member_limit = capped(
        "member_limit",
        req.member_limit,
        MAX_MEMBER_LIMIT,
        MAX_MEMBER_LIMIT,
    )?;
    let message_limit = capped(
        "message_limit",
        req.message_limit,
        DEFAULT_MESSAGE_LIMIT,
        MAX_MESSAGE_LIMIT,
    )?;
    let user = match (req.user_id, req.user.as_ref().and_then(|u| u.get("id"))) {
        (Some(id), _) => Some(id),
        (None, Some(Value::String(id))) => Some(id.clone()),
        (None, Some(_)) => return Err(ApiError::field("user.id", "must be a string")),
        (None, None) => None,
    };
    if let Some(u) = user.as_deref().filter(|u| !valid_user_id(u)) {
        return Err(ApiError::field(
            "user_id",
            format!("is not a valid user id: {u:?}"),
        ));
    }
    if user.is_none()
        && let Some(f) = USER_FIELDS.iter().find(|f| filter.names(f))
    {
        return Err(ApiError::field(
            &format!("filter_conditions.{f}"),
            "needs a user_id (whose view of the channels)",
        ));
    }
    let mut sort = Vec::new();
    for (i, s) in req.sort.unwrap_or_default().into_iter().enumerate() {
        let field = s
            .field
            .filter(|f| !f.is_empty())
            .ok_or_else(|| ApiError::field(&format!("sort[{i}].field"), "is a required field"))?;
        let dir = s.direction.unwrap_or(1);
        if dir != 1 && dir != -1 {
            return Err(ApiError::field(
                &format!("sort[{i}].direction"),
                "must be 1 or -1",
            ));
        }
        sort.push((field, dir));
    }
    let user = user.as_deref();
    let skip_hidden = user.is_some() && !filter.names("hidden");
    let data = read(&app.data);
    let mut found: Vec<&Channel> = data
        .channels
        .values()
        .filter(|c| c.deleted_at.is_none())
        .filter(|c| {
            !skip_hidden
                || !c
                    .members
                    .iter()
                    .any(|m| Some(m.user_id.as_str()) == user && m.hidden)
        })
        .filter(|c| filter.matches(c, user))
        .collect();
    if sort.is_empty() {
        found.sort_by_cached_key(|c| std::cmp::Reverse(last_updated(c)));
    } else {
        found.sort_by(|a, b| {
            sort.iter()
                .map(|(f, dir)| {
                    let o = sort_order(a, b, f, user);
                    if *dir < 0 { o.reverse() } else { o }
                })
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
    let channels: Vec<Value> = found
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|c| channel_state(c, &data.users, user, member_limit, message_limit))
        .collect();
    drop(data);
    Ok(Json(json!({ "channels": channels, "duration": duration() })).into_response())
}
