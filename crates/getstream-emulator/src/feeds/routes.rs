//! The feeds data routes: create a feed group, get-or-create a feed, add and get an
//! activity, follow, add a comment, add an activity reaction. (The queries are in
//! `query.rs`, the task-starting routes in `jobs.rs`.)

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::check::{self, MAX_ACTIVITY_FEEDS};
use super::model::{Activity, Comment, Feed, FeedGroup, Follow, Reaction};
use super::shapes;
use super::store::feeds_mut;
use crate::http::error::{ApiError, duration};
use crate::http::extract::{ApiJson, ApiPath, Authed};
use crate::state::sync::read;
use crate::webhooks::payload::now_ns;

/// A `201` JSON answer with `duration` added.
pub(super) fn created(mut body: Value) -> Response {
    body["duration"] = duration().into();
    (StatusCode::CREATED, Json(body)).into_response()
}

/// A `200` JSON answer with `duration` added.
pub(super) fn ok(mut body: Value) -> Response {
    body["duration"] = duration().into();
    Json(body).into_response()
}

#[derive(Debug, Deserialize)]
pub(crate) struct CreateGroupRequest {
    id: Option<String>,
    custom: Option<Map<String, Value>>,
}

/// `POST /api/v2/feeds/feed_groups`: creates a group; an existing one is answered as it is.
pub(crate) async fn create_feed_group(
    Authed(app): Authed,
    ApiJson(req): ApiJson<CreateGroupRequest>,
) -> Result<Response, ApiError> {
    let id = check::required("id", req.id)?;
    check::id("id", &id)?;
    let mut feeds = feeds_mut(&app);
    let group = match feeds.groups.get(&id) {
        Some(g) => g.clone(),
        None => {
            let now = now_ns();
            let g = FeedGroup {
                id,
                custom: req.custom.unwrap_or_default(),
                created_at: now,
                updated_at: now,
            };
            feeds.put_group(g.clone());
            g
        }
    };
    Ok(created(json!({ "feed_group": shapes::group(&group) })))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct FeedInput {
    name: Option<String>,
    description: Option<String>,
    custom: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GetOrCreateFeedRequest {
    user_id: Option<String>,
    data: Option<FeedInput>,
    limit: Option<i64>,
}

/// `POST /api/v2/feeds/feed_groups/{group}/feeds/{id}`: the feed, created (owned by
/// `user_id`) when it does not exist, with its newest activities. The group must exist. A
/// soft-deleted feed is answered as it is, `deleted_at` set.
pub(crate) async fn get_or_create_feed(
    Authed(app): Authed,
    ApiPath((group, id)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<GetOrCreateFeedRequest>,
) -> Result<Response, ApiError> {
    check::id("feed_group_id", &group)?;
    check::id("feed_id", &id)?;
    let (limit, _) = check::page(req.limit, None)?;
    let fid = format!("{group}:{id}");
    let mut feeds = feeds_mut(&app);
    if !feeds.groups.contains_key(&group) {
        return Err(ApiError::not_found(format!(
            "feed group {group:?} does not exist"
        )));
    }
    let created_now = !feeds.feeds.contains_key(&fid);
    if created_now {
        let owner = check::user_id("user_id", req.user_id)?;
        let data = req.data.unwrap_or_default();
        let now = now_ns();
        feeds.put_feed(Feed {
            group_id: group,
            id,
            created_by_id: owner,
            name: check::text("data.name", data.name)?.unwrap_or_default(),
            description: check::text("data.description", data.description)?.unwrap_or_default(),
            custom: data.custom.unwrap_or_default(),
            created_at: now,
            updated_at: now,
            deleted_at: None,
        });
    }
    let feed = &feeds.feeds[&fid];
    let activities: Vec<Value> = feeds
        .feed_latest(&fid, limit)
        .into_iter()
        .map(|a| shapes::activity(&feeds, a))
        .collect();
    let body = json!({
        "created": created_now,
        "feed": shapes::feed(&feeds, feed),
        "activities": activities,
        "aggregated_activities": [],
        "followers": [],
        "following": [],
        "members": [],
        "pinned_activities": [],
    });
    Ok(created(body))
}

#[derive(Debug, Deserialize)]
pub(crate) struct AddActivityRequest {
    #[serde(rename = "type")]
    kind: Option<String>,
    feeds: Option<Vec<String>>,
    id: Option<String>,
    text: Option<String>,
    user_id: Option<String>,
    custom: Option<Map<String, Value>>,
}

/// `POST /api/v2/feeds/activities`: adds an activity by `user_id` to live feeds.
pub(crate) async fn add_activity(
    Authed(app): Authed,
    ApiJson(req): ApiJson<AddActivityRequest>,
) -> Result<Response, ApiError> {
    let kind = check::required("type", req.kind)?;
    if kind.chars().count() > 64 {
        return Err(ApiError::field("type", "must be at most 64 characters"));
    }
    let fids = req.feeds.unwrap_or_default();
    if fids.is_empty() || fids.len() > MAX_ACTIVITY_FEEDS {
        return Err(ApiError::field(
            "feeds",
            format!("must hold 1..={MAX_ACTIVITY_FEEDS} feed ids"),
        ));
    }
    for (i, f) in fids.iter().enumerate() {
        check::fid(&format!("feeds[{i}]"), f)?;
    }
    let user_id = check::user_id("user_id", req.user_id)?;
    let text = check::text("text", req.text)?;
    let id = match req.id {
        Some(id) => {
            check::id("id", &id)?;
            id
        }
        None => uuid::Uuid::new_v4().to_string(),
    };
    let mut feeds = feeds_mut(&app);
    let missing: Vec<&str> = fids
        .iter()
        .filter(|f| {
            feeds
                .feeds
                .get(*f)
                .is_none_or(|feed| feed.deleted_at.is_some())
        })
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::field(
            "feeds",
            format!("name feeds that do not exist: {}", missing.join(", ")),
        ));
    }
    if feeds.activities.contains_key(&id) {
        return Err(ApiError::field(
            "id",
            format!("activity {id:?} already exists"),
        ));
    }
    let mut unique = Vec::with_capacity(fids.len());
    for f in fids {
        if !unique.contains(&f) {
            unique.push(f);
        }
    }
    let now = now_ns();
    let a = feeds.add_activity(Activity {
        id,
        kind,
        feeds: unique,
        user_id,
        text,
        custom: req.custom.unwrap_or_default(),
        created_at: now,
        updated_at: now,
        deleted_at: None,
        seq: 0,
    });
    Ok(created(json!({ "activity": shapes::activity(&feeds, &a) })))
}

/// `GET /api/v2/feeds/activities/{id}`: 404 once hard-deleted.
pub(crate) async fn get_activity(
    Authed(app): Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let feeds = read(&app.feeds);
    let a = feeds.activities.get(&id).ok_or_else(|| {
        ApiError::not_found(format!(
            "activity {:?} does not exist",
            crate::http::error::clip(&id)
        ))
    })?;
    Ok(ok(json!({ "activity": shapes::activity(&feeds, a) })))
}

#[derive(Debug, Deserialize)]
pub(crate) struct FollowRequest {
    source: Option<String>,
    target: Option<String>,
}

/// `POST /api/v2/feeds/follows`: feed `source` follows feed `target` (both must exist).
pub(crate) async fn follow(
    Authed(app): Authed,
    ApiJson(req): ApiJson<FollowRequest>,
) -> Result<Response, ApiError> {
    let source = check::fid("source", &check::required("source", req.source)?)?;
    let target = check::fid("target", &check::required("target", req.target)?)?;
    if source == target {
        return Err(ApiError::field("target", "must differ from source"));
    }
    let mut feeds = feeds_mut(&app);
    for (field, fid) in [("source", &source), ("target", &target)] {
        if feeds.feeds.get(fid).is_none_or(|f| f.deleted_at.is_some()) {
            return Err(ApiError::field(field, format!("feed {fid} does not exist")));
        }
    }
    let key = Follow::key(&source, &target);
    if !feeds.follows.contains_key(&key) {
        feeds.put_follow(Follow {
            source,
            target,
            created_at: now_ns(),
        });
    }
    let body = json!({ "follow": shapes::follow(&feeds, &feeds.follows[&key]) });
    Ok(created(body))
}

#[derive(Debug, Deserialize)]
pub(crate) struct AddCommentRequest {
    object_id: Option<String>,
    object_type: Option<String>,
    comment: Option<String>,
    user_id: Option<String>,
}

/// `POST /api/v2/feeds/comments`: a comment by `user_id` on an activity.
pub(crate) async fn add_comment(
    Authed(app): Authed,
    ApiJson(req): ApiJson<AddCommentRequest>,
) -> Result<Response, ApiError> {
    let object_id = check::required("object_id", req.object_id)?;
    let object_type = check::required("object_type", req.object_type)?;
    if object_type != "activity" {
        return Err(ApiError::field(
            "object_type",
            format!(
                "must be \"activity\" (the emulator keeps comments on activities), got {object_type:?}"
            ),
        ));
    }
    let text =
        check::text("comment", Some(check::required("comment", req.comment)?))?.unwrap_or_default();
    let user_id = check::user_id("user_id", req.user_id)?;
    let mut feeds = feeds_mut(&app);
    if !feeds.activities.contains_key(&object_id) {
        return Err(ApiError::not_found(format!(
            "activity {:?} does not exist",
            crate::http::error::clip(&object_id)
        )));
    }
    let c = Comment {
        id: uuid::Uuid::new_v4().to_string(),
        object_id,
        object_type,
        text,
        user_id,
        created_at: now_ns(),
    };
    feeds.add_comment(c.clone());
    Ok(created(json!({ "comment": shapes::comment(&c) })))
}

#[derive(Debug, Deserialize)]
pub(crate) struct AddReactionRequest {
    #[serde(rename = "type")]
    kind: Option<String>,
    user_id: Option<String>,
}

/// `POST /api/v2/feeds/activities/{id}/reactions`: a reaction by `user_id`.
pub(crate) async fn add_reaction(
    Authed(app): Authed,
    ApiPath(activity_id): ApiPath<String>,
    ApiJson(req): ApiJson<AddReactionRequest>,
) -> Result<Response, ApiError> {
    let kind = check::required("type", req.kind)?;
    if kind.chars().count() > 64 {
        return Err(ApiError::field("type", "must be at most 64 characters"));
    }
    let user_id = check::user_id("user_id", req.user_id)?;
    let mut feeds = feeds_mut(&app);
    if !feeds.activities.contains_key(&activity_id) {
        return Err(ApiError::not_found(format!(
            "activity {:?} does not exist",
            crate::http::error::clip(&activity_id)
        )));
    }
    let r = Reaction {
        id: uuid::Uuid::new_v4().to_string(),
        activity_id,
        kind,
        user_id,
        created_at: now_ns(),
    };
    feeds.add_reaction(r.clone());
    let activity = shapes::activity(&feeds, &feeds.activities[&r.activity_id]);
    Ok(created(
        json!({ "activity": activity, "reaction": shapes::reaction(&r) }),
    ))
}
