//! The JSON of a call (`CallResponse`) and its members (`MemberResponse`), with every field
//! the official SDKs' models require.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::model::{Call, CallMember};
use crate::data::app_data::User;
use crate::data::shapes;

/// A `UserResponse`: the app's user when it exists, else a bare one with this id (Stream
/// creates the users a call names; the emulator only shows them).
fn user(id: &str, at: i64, users: &BTreeMap<String, User>) -> Value {
    users.get(id).map_or_else(
        || {
            json!({
                "id": id, "role": "user", "custom": {}, "created_at": at, "updated_at": at,
                "banned": false, "online": false, "invisible": false, "shadow_banned": false,
                "language": "", "teams": [], "blocked_user_ids": [],
            })
        },
        shapes::user,
    )
}

/// A `MemberResponse`.
pub(crate) fn member(m: &CallMember, users: &BTreeMap<String, User>) -> Value {
    json!({
        "user_id": m.user_id,
        "role": m.role,
        "custom": m.custom,
        "user": user(&m.user_id, m.created_at, users),
        "created_at": m.created_at,
        "updated_at": m.updated_at,
    })
}

/// The members of a call.
pub(crate) fn members(c: &Call, users: &BTreeMap<String, User>) -> Value {
    Value::Array(c.members.iter().map(|m| member(m, users)).collect())
}

/// A layout of recorded or broadcast video: the default grid.
fn layout() -> Value {
    json!({"name": "spotlight", "external_app_url": "", "external_css_url": ""})
}

/// Call settings with the emulator's defaults (no media runs: recording, broadcasting and
/// transcription are available but off). Every field the official SDKs' models require.
fn settings() -> Value {
    json!({
        "audio": {"access_request_enabled": false, "default_device": "speaker", "hifi_audio_enabled": false,
                  "mic_default_on": true, "opus_dtx_enabled": false, "redundant_coding_enabled": false,
                  "speaker_default_on": true},
        "backstage": {"enabled": false},
        "broadcasting": {"enabled": false,
                         "hls": {"auto_on": false, "enabled": false, "quality_tracks": ["720p"], "layout": layout()},
                         "rtmp": {"enabled": false, "quality": "720p", "layout": layout()}},
        "encryption": {"mode": "disabled"},
        "frame_recording": {"capture_interval_in_seconds": 5, "mode": "disabled"},
        "geofencing": {"names": []},
        "individual_recording": {"mode": "disabled"},
        "limits": {"max_participants_exclude_roles": []},
        "raw_recording": {"mode": "disabled"},
        "recording": {"audio_only": false, "mode": "available", "quality": "720p", "layout": layout()},
        "ring": {"auto_cancel_timeout_ms": 30000, "incoming_call_timeout_ms": 30000, "missed_call_timeout_ms": 30000},
        "screensharing": {"access_request_enabled": false, "enabled": true},
        "session": {"inactivity_timeout_seconds": 30},
        "thumbnails": {"enabled": false},
        "transcription": {"closed_caption_mode": "available", "language": "auto", "mode": "available"},
        "video": {"access_request_enabled": false, "camera_default_on": true, "camera_facing": "front",
                  "enabled": true, "target_resolution": {"width": 1280, "height": 720}},
    })
}

/// A `CallResponse`. `deleted_at` (Unix nanoseconds) is the emulator's addition once the
/// call is deleted; SDK models without the field ignore it.
pub(crate) fn call(c: &Call, users: &BTreeMap<String, User>) -> Value {
    let mut out = Map::new();
    let fields = json!({
        "cid": c.cid(),
        "type": c.kind,
        "id": c.id,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "current_session_id": c.current_session_id,
        "backstage": false,
        "captioning": false,
        "recording": false,
        "transcribing": false,
        "translating": false,
        "blocked_user_ids": [],
        "created_by": user(&c.created_by_id, c.created_at, users),
        "custom": c.custom,
        "egress": {"broadcasting": false, "rtmps": []},
        "ingress": {"rtmp": {"address": ""}, "srt": {"address": ""}, "whip": {"address": ""}},
        "settings": settings(),
    });
    if let Value::Object(m) = fields {
        out = m;
    }
    if let Some(t) = c.deleted_at {
        out.insert("deleted_at".into(), t.into());
    }
    Value::Object(out)
}
