//! The feeds query routes: query feeds and query activities, with `$eq`/`$in` filters and
//! offset cursors (`next`).

use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::check::{filter, next_cursor, page};
use super::model::{Activity, Feed, FeedsData};
use super::routes::ok;
use super::shapes;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, Authed};
use crate::state::sync::read;

#[derive(Debug, Deserialize)]
pub(crate) struct QueryRequest {
    filter: Option<Map<String, Value>>,
    limit: Option<i64>,
    next: Option<String>,
}

/// Whether `value` is one of the filter's values for `key` (true when the filter does not
/// name `key`).
fn allows(filters: &[(String, Vec<String>)], key: &str, value: &str) -> bool {
    filters
        .iter()
        .filter(|(k, _)| k == key)
        .all(|(_, vals)| vals.iter().any(|v| v == value))
}

fn feed_matches(filters: &[(String, Vec<String>)], fid: &str, f: &Feed) -> bool {
    f.deleted_at.is_none()
        && allows(filters, "feed", fid)
        && allows(filters, "group_id", &f.group_id)
        && allows(filters, "id", &f.id)
        && allows(filters, "created_by_id", &f.created_by_id)
}

/// `POST /api/v2/feeds/feeds/query`: live feeds (soft- and hard-deleted ones are left out),
/// in fid order; filters on `feed`, `group_id`, `id` and `created_by_id`.
pub(crate) async fn query_feeds(
    Authed(app): Authed,
    ApiJson(req): ApiJson<QueryRequest>,
) -> Result<Response, ApiError> {
    let filters = filter(req.filter, &["feed", "group_id", "id", "created_by_id"])?;
    let (limit, offset) = page(req.limit, req.next.as_deref())?;
    let d = read(&app.feeds);
    let matched: Vec<&Feed> = match filters.iter().find(|(k, _)| k == "feed") {
        // A fid filter names the rows: no scan.
        Some((_, fids)) => {
            let mut fids: Vec<&String> = fids.iter().collect();
            fids.sort();
            fids.dedup();
            fids.into_iter()
                .filter_map(|fid| d.feeds.get(fid).map(|f| (fid, f)))
                .filter(|(fid, f)| feed_matches(&filters, fid, f))
                .map(|(_, f)| f)
                .collect()
        }
        None => d
            .feeds
            .iter()
            .filter(|(fid, f)| feed_matches(&filters, fid, f))
            .map(|(_, f)| f)
            .collect(),
    };
    let total = matched.len();
    let end = offset.saturating_add(limit).min(total);
    let feeds: Vec<Value> = matched
        .get(offset.min(total)..end)
        .unwrap_or(&[])
        .iter()
        .map(|f| shapes::feed(&d, f))
        .collect();
    let mut body = json!({ "feeds": feeds });
    if let Some(next) = next_cursor(end, total) {
        body["next"] = next.into();
    }
    Ok(ok(body))
}

fn activity_matches(filters: &[(String, Vec<String>)], a: &Activity) -> bool {
    a.deleted_at.is_none()
        && allows(filters, "id", &a.id)
        && allows(filters, "user_id", &a.user_id)
        && allows(filters, "activity_type", &a.kind)
        && allows(filters, "type", &a.kind)
        && filters
            .iter()
            .filter(|(k, _)| k == "feeds" || k == "feed")
            .all(|(_, vals)| vals.iter().any(|v| a.feeds.contains(v)))
}

/// The candidate activities of a query: through an index when the filter names feeds or a
/// user, else all of them.
fn candidates<'a>(d: &'a FeedsData, filters: &[(String, Vec<String>)]) -> Vec<&'a Activity> {
    let ids: Option<Vec<String>> = filters
        .iter()
        .find(|(k, _)| k == "feeds" || k == "feed")
        .map(|(_, fids)| fids.iter().flat_map(|f| d.feed_activity_ids(f)).collect())
        .or_else(|| {
            filters
                .iter()
                .find(|(k, _)| k == "user_id")
                .map(|(_, users)| users.iter().flat_map(|u| d.user_activity_ids(u)).collect())
        });
    match ids {
        Some(mut ids) => {
            ids.sort();
            ids.dedup();
            ids.iter().filter_map(|id| d.activities.get(id)).collect()
        }
        None => d.activities.values().collect(),
    }
}

/// `POST /api/v2/feeds/activities/query`: live activities, newest first; filters on
/// `feeds` (or `feed`), `user_id`, `activity_type` (or `type`) and `id`.
pub(crate) async fn query_activities(
    Authed(app): Authed,
    ApiJson(req): ApiJson<QueryRequest>,
) -> Result<Response, ApiError> {
    let filters = filter(
        req.filter,
        &["feeds", "feed", "user_id", "activity_type", "type", "id"],
    )?;
    let (limit, offset) = page(req.limit, req.next.as_deref())?;
    let d = read(&app.feeds);
    let mut matched: Vec<&Activity> = candidates(&d, &filters)
        .into_iter()
        .filter(|a| activity_matches(&filters, a))
        .collect();
    matched.sort_by_key(|a| std::cmp::Reverse((a.created_at, a.seq)));
    let total = matched.len();
    let end = offset.saturating_add(limit).min(total);
    let activities: Vec<Value> = matched
        .get(offset.min(total)..end)
        .unwrap_or(&[])
        .iter()
        .map(|a| shapes::activity(&d, a))
        .collect();
    let mut body = json!({ "activities": activities });
    if let Some(next) = next_cursor(end, total) {
        body["next"] = next.into();
    }
    Ok(ok(body))
}
