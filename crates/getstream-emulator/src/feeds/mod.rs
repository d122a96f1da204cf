//! Stream Feeds (v3) in the emulator: feed groups, feeds, activities, follows, comments
//! and reactions per app, the routes that keep them, and the four feeds tasks (delete a
//! feed, delete feeds in batch, delete and export a user's feed data).
//!
//! The data sits beside the chat data under its own lock (`AppState::feeds`), is indexed
//! so the tasks are linear in what they remove, and is saved to the data dir's feeds
//! tables. What the routes and tasks do, and the result shapes: the crate's
//! `docs/feeds.md`.

mod check;
mod events;
mod export;
mod jobs;
mod model;
mod query;
mod routes;
mod shapes;
mod start;
mod store;

use axum::Router;
use axum::routing::{get, post};

use crate::state::EmulatorState;

pub(crate) use model::FeedsData;
pub(crate) use start::resume;
pub(crate) use store::{feeds_mut, load};

/// The feeds routes, merged into the emulator's router (before its route layer, so they
/// get the same auth, clock, rate limits and faults as every other route).
pub(crate) fn router() -> Router<EmulatorState> {
    Router::new()
        .route("/api/v2/feeds/feed_groups", post(routes::create_feed_group))
        .route(
            "/api/v2/feeds/feed_groups/{group}/feeds/{id}",
            post(routes::get_or_create_feed).delete(start::delete_feed),
        )
        .route("/api/v2/feeds/feeds/query", post(query::query_feeds))
        .route(
            "/api/v2/feeds/feeds/delete",
            post(start::delete_feeds_batch),
        )
        .route("/api/v2/feeds/activities", post(routes::add_activity))
        .route(
            "/api/v2/feeds/activities/query",
            post(query::query_activities),
        )
        .route("/api/v2/feeds/activities/{id}", get(routes::get_activity))
        .route(
            "/api/v2/feeds/activities/{id}/reactions",
            post(routes::add_reaction),
        )
        .route("/api/v2/feeds/follows", post(routes::follow))
        .route("/api/v2/feeds/comments", post(routes::add_comment))
        .route(
            "/api/v2/feeds/users/{user_id}/delete",
            post(start::delete_user_data),
        )
        .route(
            "/api/v2/feeds/users/{user_id}/export",
            post(start::export_user_data),
        )
}
