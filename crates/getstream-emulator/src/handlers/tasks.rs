//! `GET /api/v2/tasks/{id}` (and the v1 `GET /tasks/{id}`): a task's status.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;

use crate::http::error::{ApiError, duration};
use crate::http::extract::{ApiPath, Authed, RequestHost};
use crate::jobs::task::Stamps;
use crate::state::EmulatorState;
use crate::state::app_state::AppState;

/// The request's `Host`, when it is a plain host name or address (it goes into export URLs).
fn host(header: Option<&HeaderValue>) -> Option<&str> {
    header.and_then(|h| h.to_str().ok()).filter(|h| {
        !h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    })
}

/// What a task read takes from its request, extracted in this order: the state, the
/// authenticated app, the task id and the `Host` header.
type TaskRead = (State<EmulatorState>, Authed, ApiPath<String>, RequestHost);

/// `GET /api/v2/tasks/{id}`.
pub(crate) async fn get_task(read: TaskRead) -> Result<Response, ApiError> {
    answer(read, Stamps::UnixNanos)
}

/// `GET /tasks/{id}`: the legacy v1 path, with RFC 3339 timestamps (as the v1 API sent them).
pub(crate) async fn get_task_v1(read: TaskRead) -> Result<Response, ApiError> {
    answer(read, Stamps::Rfc3339)
}

fn answer(
    (State(state), Authed(app), ApiPath(id), RequestHost(host_header)): TaskRead,
    stamps: Stamps,
) -> Result<Response, ApiError> {
    task_response(&state, &app, &id, host_header.as_ref(), stamps)
}

/// A task's status as a JSON response, serialized straight from the task record.
fn task_response(
    state: &EmulatorState,
    app: &AppState,
    id: &str,
    host_header: Option<&HeaderValue>,
    stamps: Stamps,
) -> Result<Response, ApiError> {
    let base = || state.export_base(host(host_header));
    let body = app
        .render_task(id, &base, &duration(), stamps)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "GetTask failed with error: \"Can't find task with id {id}\""
            ))
        })?
        .map_err(|e| ApiError::internal(format!("could not serialize the task: {e}")))?;
    let mut response = Response::new(axum::body::Body::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}
