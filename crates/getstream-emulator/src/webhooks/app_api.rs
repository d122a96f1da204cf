//! Stream's app settings endpoints, as far as webhooks go: `GET /api/v2/app` and
//! `PATCH /api/v2/app` with `webhook_url`, `webhook_events`, `enable_hook_payload_compression`.
//!
//! The GET body carries every field the official SDKs' `AppResponseFields` model requires,
//! with the emulator's fixed values besides the webhook ones. PATCH also takes `event_hooks`
//! (see [`hooks`](super::hooks)); it ignores other settings, except the app-level SQS/SNS
//! fields the emulator cannot serve, which are a clear 400 rather than silently dropped.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::http::error::{ApiError, duration};
use crate::http::extract::{ApiJson, Authed};
use crate::state::EmulatorState;

use super::hooks::parse_hooks;
use super::settings::check_events;
use super::url::check_url;

/// `GET /api/v2/app`.
pub(crate) async fn get_app(
    State(state): State<EmulatorState>,
    Authed(app): Authed,
) -> Result<Response, ApiError> {
    let key = app.creds.key();
    let s = state.webhooks().settings(key);
    let id = state
        .config()
        .apps()
        .iter()
        .position(|a| a.key() == key)
        .map_or(1, |i| i + 1);
    let mut fields = fixed_fields();
    fields.extend(
        json!({
            "id": id,
            "name": key,
            "webhook_url": s.get_url().unwrap_or_default(),
            "webhook_events": s.get_events(),
            "enable_hook_payload_compression": s.get_compression(),
            "event_hooks": s.get_hooks().iter().map(|h| h.to_json()).collect::<Vec<_>>(),
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
    );
    let body = json!({ "app": fields, "duration": duration() });
    Ok(Json(body).into_response())
}

/// The fields of `AppResponseFields` that the emulator does not vary (all the official SDKs'
/// model requires).
fn fixed_fields() -> Map<String, Value> {
    let mut m = Map::new();
    let parts = [
        json!({
            "organization": "getstream-emulator",
            "placement": "",
            "use_hook_v2": false,
            "sqs_url": "", "sqs_key": "", "sqs_secret": "",
            "sns_topic_arn": "", "sns_key": "", "sns_secret": "",
            "allow_multi_user_devices": true,
            "async_url_enrich_enabled": false,
            "auto_translation_enabled": false,
            "campaign_enabled": false,
            "cdn_expiration_seconds": 86400,
            "custom_action_handler_url": "",
            "disable_auth_checks": false,
            "disable_permissions_checks": false,
            "enforce_unique_usernames": "no",
            "feed_audit_logs_enabled": false,
            "guest_user_creation_disabled": false,
            "image_moderation_enabled": false,
        }),
        json!({
            "max_aggregated_activities_length": 0,
            "member_custom_on_mentioned_users_enabled": false,
            "member_custom_on_messages_enabled": false,
            "member_custom_on_typing_events_enabled": false,
            "moderation_audio_call_moderation_enabled": false,
            "moderation_enabled": false,
            "moderation_keyframe_video_enabled": false,
            "moderation_llm_configurability_enabled": false,
            "moderation_multitenant_blocklist_enabled": false,
            "moderation_video_call_moderation_enabled": false,
            "moderation_webhook_url": "",
            "multi_tenant_enabled": false,
            "permission_version": "v2",
            "reminders_interval": 0,
            "suspended": false,
            "suspended_explanation": "",
            "user_response_time_enabled": false,
            "user_search_disallowed_roles": [],
        }),
        json!({
            "call_types": {},
            "channel_configs": {},
            "file_upload_config": { "size_limit": 0 },
            "image_upload_config": { "size_limit": 0 },
            "grants": {},
            "policies": {},
            "push_notifications": {
                "offline_only": false,
                "version": "v3",
                "apn": { "development": false, "enabled": false },
                "firebase": { "enabled": false },
                "huawei": { "enabled": false },
                "xiaomi": { "enabled": false },
            },
        }),
    ];
    for part in parts {
        if let Value::Object(o) = part {
            m.extend(o);
        }
    }
    m
}

/// Settings the emulator cannot deliver to: refused when set to something non-empty.
const UNSUPPORTED: [&str; 6] = [
    "sqs_url",
    "sqs_key",
    "sqs_secret",
    "sns_topic_arn",
    "sns_key",
    "sns_secret",
];

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// `PATCH /api/v2/app`: changes the given webhook settings (absent or `null` fields stay).
pub(crate) async fn update_app(
    State(state): State<EmulatorState>,
    Authed(app): Authed,
    ApiJson(req): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    if let Some(field) = UNSUPPORTED
        .iter()
        .find(|f| req.get(**f).is_some_and(|v| !is_empty(v)))
    {
        return Err(ApiError::field(
            field,
            "is not supported by the emulator: it delivers events by HTTP webhook only (set webhook_url or event_hooks)",
        ));
    }
    let url = match req.get("webhook_url") {
        None | Some(Value::Null) => None,
        Some(Value::String(u)) => {
            if !u.is_empty() {
                check_url(u).map_err(|e| ApiError::field("webhook_url", e))?;
            }
            Some(u.clone())
        }
        Some(_) => return Err(ApiError::field("webhook_url", "must be a string")),
    };
    let events = match req.get("webhook_events") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => {
            let events = a
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ApiError::field("webhook_events", "must be a list of strings"))?;
            check_events(&events).map_err(|e| ApiError::field("webhook_events", e))?;
            Some(events)
        }
        Some(_) => {
            return Err(ApiError::field(
                "webhook_events",
                "must be a list of strings",
            ));
        }
    };
    let compression = match req.get("enable_hook_payload_compression") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            return Err(ApiError::field(
                "enable_hook_payload_compression",
                "must be a boolean",
            ));
        }
    };
    let hooks = match req.get("event_hooks") {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_hooks(v).map_err(|(f, e)| ApiError::field(&f, e))?),
    };
    state.webhooks().update_settings(app.creds.key(), |s| {
        let mut next = std::mem::take(s);
        if let Some(url) = url {
            next = next.url(url);
        }
        if let Some(events) = events {
            next = next.events(events);
        }
        if let Some(c) = compression {
            next = next.compression(c);
        }
        if let Some(hooks) = hooks {
            next.set_hooks(hooks);
        }
        *s = next;
    });
    Ok(Json(json!({ "duration": duration() })).into_response())
}
