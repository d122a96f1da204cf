//! Response bodies shared by the handlers: `201 Created`, per-item status maps, started tasks.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::http::error::duration;

/// The outcome of a job per item (a cid, a user id): `Ok`, or why that item failed.
pub(super) type StatusMap = BTreeMap<String, Result<(), String>>;

/// A `201 Created` JSON response.
pub(super) fn created(body: Value) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

/// The `{id: {"status": "ok"} | {"status": "error", "error": ..}}` map of a per-item outcome.
pub(super) fn status_map(results: StatusMap) -> Value {
    results
        .into_iter()
        .map(|(k, r)| {
            let v = match r {
                Ok(()) => json!({"status": "ok"}),
                Err(e) => json!({"status": "error", "error": e}),
            };
            (k, v)
        })
        .collect::<Map<_, _>>()
        .into()
}

/// The `201` answer of a request that started a task.
pub(super) fn task_started(task_id: String) -> Response {
    created(json!({ "task_id": task_id, "duration": duration() }))
}
