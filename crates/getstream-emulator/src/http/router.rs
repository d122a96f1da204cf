//! The router: every route the emulator serves, in one list, and the answers for requests
//! no route takes.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};

use crate::handlers::{
    admin, blocklists, channel_batch, channel_query, channel_update as update, channels, exports,
    tasks, truncate, user_jobs, user_lifecycle as life, users,
};
use crate::http::error::{self, ApiError, codes};
use crate::http::stack;
use crate::http::v1;
use crate::state::EmulatorState;

use crate::video;
use crate::webhooks;

/// A v1 route: its successful JSON answers are put into the v1 dialect (see `v1`).
fn v1(route: MethodRouter<EmulatorState>) -> MethodRouter<EmulatorState> {
    route.layer(map_response(v1::rewrite))
}

/// The emulator's router over `state`: Stream's API, export downloads, health and the admin API.
///
/// Jobs started by requests run on the runtime that serves them.
pub fn app(state: EmulatorState) -> Router {
    let body_limit = state.config().max_body_bytes();
    Router::new()
        .route("/api/v2/tasks/{id}", get(tasks::get_task))
        .route(
            "/api/v2/users",
            post(users::upsert_users)
                .get(users::query_users)
                .patch(life::update_users_partial),
        )
        .route(
            "/api/v2/chat/channels/{type}/{id}/query",
            post(channels::query_channel),
        )
        .route(
            "/api/v2/chat/channels/{type}/{id}/message",
            post(channels::send_message),
        )
        .route(
            "/api/v2/chat/channels/batch",
            put(channel_batch::channel_batch_update),
        )
        .route(
            "/api/v2/chat/channels/delete",
            post(channels::delete_channels),
        )
        .route(
            "/api/v2/chat/channels/{type}/{id}",
            delete(channels::delete_channel)
                .post(update::update_channel)
                .patch(update::update_channel_partial),
        )
        .route("/api/v2/chat/channels", post(channel_query::query_channels))
        .route(
            "/api/v2/chat/channels/{type}/{id}/hide",
            post(update::hide_channel),
        )
        .route(
            "/api/v2/chat/channels/{type}/{id}/show",
            post(update::show_channel),
        )
        .route(
            "/api/v2/chat/export_channels",
            post(exports::export_channels),
        )
        .route("/api/v2/export/users", post(exports::export_users))
        .route(
            "/api/v2/moderation/bulk_image_moderation",
            post(crate::moderation::handler::bulk_image_moderation),
        )
        .route("/api/v2/users/delete", post(user_jobs::delete_users))
        .route(
            "/api/v2/users/deactivate",
            post(user_jobs::deactivate_users),
        )
        .route(
            "/api/v2/users/reactivate",
            post(user_jobs::reactivate_users),
        )
        .route("/api/v2/users/restore", post(life::restore_users))
        .route("/api/v2/users/{id}/deactivate", post(life::deactivate_user))
        .route("/api/v2/users/{id}/reactivate", post(life::reactivate_user))
        .route("/api/v2/users/{id}/export", get(life::export_user))
        .route(
            "/api/v2/chat/channels/{type}/{id}/truncate",
            post(truncate::truncate_channel),
        )
        .route(
            "/api/v2/blocklists",
            post(blocklists::create_blocklist).get(blocklists::list_blocklists),
        )
        .route(
            "/api/v2/blocklists/{name}",
            get(blocklists::get_blocklist)
                .put(blocklists::update_blocklist)
                .delete(blocklists::delete_blocklist),
        )
        .route(
            "/api/v2/blocklists/{name}/import",
            post(blocklists::import_blocklist),
        )
        .route(
            "/api/v2/video/call/{type}/{id}",
            post(video::get_or_create_call).get(video::get_call),
        )
        .route(
            "/api/v2/video/call/{type}/{id}/delete",
            post(video::delete_call),
        )
        // The legacy v1 paths (the `stream-chat` SDKs): the same handlers, answering in the v1
        // dialect (`v1::rewrite`: RFC 3339 times, top-level custom fields) where the response
        // holds users, channels or messages; task statuses render RFC 3339 themselves.
        .route("/tasks/{id}", get(tasks::get_task_v1))
        .route("/export_channels/{id}", get(tasks::get_task_v1))
        .route(
            "/users",
            v1(post(users::upsert_users)
                .get(users::query_users)
                .patch(life::update_users_partial)),
        )
        .route("/users/{id}", v1(delete(user_jobs::delete_user)))
        .route("/users/{id}/deactivate", v1(post(life::deactivate_user)))
        .route("/users/{id}/reactivate", v1(post(life::reactivate_user)))
        .route(
            "/channels/{type}/{id}/query",
            v1(post(channels::query_channel)),
        )
        .route(
            "/channels/{type}/{id}/message",
            v1(post(channels::send_message)),
        )
        .route(
            "/channels/{type}/{id}",
            v1(delete(channels::delete_channel)
                .post(update::update_channel)
                .patch(update::update_channel_partial)),
        )
        .route("/channels", v1(post(channel_query::query_channels)))
        .route("/channels/{type}/{id}/hide", v1(post(update::hide_channel)))
        .route("/channels/{type}/{id}/show", v1(post(update::show_channel)))
        .route("/channels/delete", post(channels::delete_channels))
        .route("/export_channels", post(exports::export_channels))
        .route("/export/users", post(exports::export_users))
        .route("/users/delete", post(user_jobs::delete_users))
        .route("/users/deactivate", post(user_jobs::deactivate_users))
        .route("/users/reactivate", post(user_jobs::reactivate_users))
        .route("/users/restore", v1(post(life::restore_users)))
        .route(
            "/channels/{type}/{id}/truncate",
            v1(post(truncate::truncate_channel)),
        )
        .route("/users/{id}/export", v1(get(life::export_user)))
        .route("/_emulator/exports/{file}", get(exports::download_export))
        .route("/_emulator/health", get(admin::health))
        .route(
            "/_emulator/faults",
            post(admin::add_fault)
                .get(admin::list_faults)
                .delete(admin::clear_faults),
        )
        .route("/_emulator/tasks", post(admin::script_task))
        .route("/_emulator/job-failures", post(admin::fail_jobs))
        .route("/_emulator/reset", post(admin::reset))
        .route("/_emulator/seed", post(admin::seed))
        .route("/_emulator/state", get(admin::snapshot))
        .route("/_emulator/token", get(admin::token))
        .route(
            "/api/v2/app",
            get(webhooks::app_api::get_app).patch(webhooks::app_api::update_app),
        )
        .route(
            "/app",
            get(webhooks::app_api::get_app).patch(webhooks::app_api::update_app),
        )
        .route(
            "/_emulator/webhooks",
            get(webhooks::admin::list)
                .post(webhooks::admin::send)
                .delete(webhooks::admin::clear),
        )
        .merge(crate::feeds::router())
        // One route layer does the per-request work (clock, log, rate limit, faults; see
        // `stack`), with the body limit inside it: no `Router::layer`, whose boxed route
        // would be cloned whole on every request.
        .route_layer((
            stack::GuardLayer::new(state.clone()),
            DefaultBodyLimit::max(body_limit),
        ))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// Answers a request no route layer sees (no route, or a method the route lacks) with the
/// error `make` builds, inside the request clock; logs it and adds the rate-limit headers.
async fn fallback(
    state: EmulatorState,
    req: Request,
    make: impl FnOnce(&Request) -> ApiError + Send,
) -> Response {
    let log = stack::RequestLog::start(&req);
    error::with_request_clock(async move {
        let response = stack::with_limit_headers(&state, make(&req).into_response());
        log.finish(&response);
        response
    })
    .await
}

async fn not_found(State(state): State<EmulatorState>, req: Request) -> Response {
    fallback(state, req, |req| {
        ApiError::not_found(format!(
            "no route for {} {}",
            req.method(),
            error::clip(req.uri().path())
        ))
    })
    .await
}

async fn method_not_allowed(State(state): State<EmulatorState>, req: Request) -> Response {
    fallback(state, req, |req| {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            codes::INPUT,
            format!(
                "method {} is not allowed on {}",
                error::clip(req.method().as_str()),
                error::clip(req.uri().path())
            ),
        )
    })
    .await
}
