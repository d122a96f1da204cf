//! The response objects of the feeds routes, with every field the official Python SDK's
//! models require (`FeedGroupResponse`, `FeedResponse`, `ActivityResponse`,
//! `FollowResponse`, `CommentResponse`, `FeedsReactionResponse`). Times are Unix
//! nanoseconds, as in every other response.

use serde_json::{Value, json};

use super::model::{Activity, Comment, Feed, FeedGroup, FeedsData, Follow, Reaction};

/// A `UserResponse` naming `id`: feeds keep user ids only, so the profile is the emulator's
/// placeholder (role `user`, no custom data).
pub(crate) fn user(id: &str) -> Value {
    json!({
        "id": id,
        "role": "user",
        "created_at": 0,
        "updated_at": 0,
        "banned": false,
        "online": false,
        "invisible": false,
        "shadow_banned": false,
        "language": "",
        "teams": [],
        "blocked_user_ids": [],
        "custom": {},
    })
}

pub(crate) fn group(g: &FeedGroup) -> Value {
    json!({
        "id": g.id,
        "custom": g.custom,
        "created_at": g.created_at,
        "updated_at": g.updated_at,
        "default_visibility": "visible",
    })
}

pub(crate) fn feed(d: &FeedsData, f: &Feed) -> Value {
    let fid = f.fid();
    let (followers, following) = d.follow_counts(&fid);
    let mut out = json!({
        "feed": fid,
        "group_id": f.group_id,
        "id": f.id,
        "name": f.name,
        "description": f.description,
        "custom": f.custom,
        "created_by": user(&f.created_by_id),
        "created_at": f.created_at,
        "updated_at": f.updated_at,
        "activity_count": d.feed_activity_count(&fid),
        "follower_count": followers,
        "following_count": following,
        "member_count": 0,
        "pin_count": 0,
        "visibility": "visible",
    });
    if let Some(t) = f.deleted_at {
        out["deleted_at"] = t.into();
    }
    out
}

pub(crate) fn activity(d: &FeedsData, a: &Activity) -> Value {
    let (comments, reactions) = d.activity_counts(&a.id);
    let mut out = json!({
        "id": a.id,
        "type": a.kind,
        "feeds": a.feeds,
        "user": user(&a.user_id),
        "custom": a.custom,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
        "bookmark_count": 0,
        "comment_count": comments,
        "reaction_count": reactions,
        "share_count": 0,
        "popularity": 0,
        "score": 0.0,
        "hidden": false,
        "preview": false,
        "restrict_replies": "everyone",
        "visibility": "public",
        "attachments": [],
        "comments": [],
        "filter_tags": [],
        "interest_tags": [],
        "latest_reactions": [],
        "mentioned_users": [],
        "own_bookmarks": [],
        "own_reactions": [],
        "collections": {},
        "reaction_groups": {},
        "search_data": {},
    });
    if let Some(text) = &a.text {
        out["text"] = text.as_str().into();
    }
    if let Some(t) = a.deleted_at {
        out["deleted_at"] = t.into();
    }
    out
}

pub(crate) fn follow(d: &FeedsData, f: &Follow) -> Value {
    let side = |fid: &str| {
        d.feeds
            .get(fid)
            .map_or_else(|| json!({"feed": fid}), |feed_row| feed(d, feed_row))
    };
    json!({
        "source_feed": side(&f.source),
        "target_feed": side(&f.target),
        "created_at": f.created_at,
        "updated_at": f.created_at,
        "follower_role": "follower",
        "push_preference": "none",
        "status": "accepted",
        "custom": {},
    })
}

pub(crate) fn comment(c: &Comment) -> Value {
    json!({
        "id": c.id,
        "object_id": c.object_id,
        "object_type": c.object_type,
        "text": c.text,
        "user": user(&c.user_id),
        "created_at": c.created_at,
        "updated_at": c.created_at,
        "bookmark_count": 0,
        "confidence_score": 0.0,
        "downvote_count": 0,
        "reaction_count": 0,
        "reply_count": 0,
        "score": 0,
        "status": "active",
        "upvote_count": 0,
        "mentioned_users": [],
        "own_reactions": [],
        "custom": {},
    })
}

pub(crate) fn reaction(r: &Reaction) -> Value {
    json!({
        "activity_id": r.activity_id,
        "type": r.kind,
        "user": user(&r.user_id),
        "created_at": r.created_at,
        "updated_at": r.created_at,
        "custom": {},
    })
}
