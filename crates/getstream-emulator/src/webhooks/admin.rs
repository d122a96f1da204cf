//! `GET /_emulator/webhooks` (the deliveries), `POST /_emulator/webhooks` (send an event of
//! one's own) and `DELETE /_emulator/webhooks` (forget them).

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::handlers::admin::{enabled, ok};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery};
use crate::state::{EmulatorState, StateError};

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
        return Err(ApiError::field(
            "api_key",
            format!("names no app: {:?}", crate::http::error::clip(key)),
        ));
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

#[derive(Debug, Deserialize)]
pub(crate) struct SendRequest {
    api_key: Option<String>,
    event: Option<Value>,
}

/// `POST /_emulator/webhooks` `{"event": {"type": ..}, "api_key"?}`: sends the event through
/// the app's webhook like the emulator's own (signed, retried, listed). Answers
/// `{"webhook_id": id}`, or `null` when the app has no URL or does not send this type.
pub(crate) async fn send(
    State(state): State<EmulatorState>,
    ApiQuery(q): ApiQuery<ListQuery>,
    ApiJson(req): ApiJson<SendRequest>,
) -> Result<Response, ApiError> {
    enabled(&state)?;
    let key = req
        .api_key
        .or(q.api_key)
        .unwrap_or_else(|| state.default_api_key().to_owned());
    let event = req
        .event
        .ok_or_else(|| ApiError::field("event", "is a required field"))?;
    let id = state.send_webhook(&key, event).map_err(|e| match e {
        StateError::UnknownApp(_) => ApiError::field("api_key", e.to_string()),
        _ => ApiError::field("event", e.to_string()),
    })?;
    Ok(ok(json!({ "webhook_id": id })))
}
