//! `GET /_emulator/webhooks` (the deliveries) and `DELETE /_emulator/webhooks` (forget them).

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use crate::admin::{enabled, ok};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::EmulatorState;

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    api_key: Option<String>,
}

/// `GET /_emulator/webhooks[?api_key=K]`: the deliveries (of one app with `api_key`), the
/// number dropped and the number still queued or in flight.
pub(crate) async fn list(
    State(state): State<EmulatorState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    enabled(&state)?;
    if let Some(key) = &q.api_key
        && state.app(key).is_none()
    {
        return Err(ApiError::field("api_key", format!("names no app: {key:?}")));
    }
    let hub = state.webhooks();
    let deliveries: Vec<_> = hub
        .deliveries()
        .into_iter()
        .filter(|d| q.api_key.as_ref().is_none_or(|k| *k == d.api_key))
        .collect();
    Ok(ok(json!({
        "deliveries": deliveries,
        "dropped": hub.dropped(),
        "pending": hub.pending(),
    })))
}

/// `DELETE /_emulator/webhooks`: forget the records and the drop count.
pub(crate) async fn clear(State(state): State<EmulatorState>) -> Result<Response, ApiError> {
    enabled(&state)?;
    state.webhooks().clear();
    Ok(ok(json!({})))
}
