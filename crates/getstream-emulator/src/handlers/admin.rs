//! The admin API under `/_emulator/` (faults, scripted tasks, job failures, reset, seed, state).
//! See the crate docs and `docs/admin-api.md` for the routes and bodies.

use std::borrow::Cow;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{MAX_SEED_ITEMS, SeedSpec};
use crate::data::state_page::StatePage;
use crate::http::error::{ApiError, duration};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::faults::{Fault, FaultAction, FaultBody};
use crate::http::ratelimit::api_key_of;
use crate::jobs::job::{JobKind, TaskFailure};
use crate::jobs::script::ScriptedTask;
use crate::state::{EmulatorState, StateError};

/// Longest delay or step accepted by the admin API (one day).
const MAX_DELAY_MS: u64 = 86_400_000;

pub(crate) fn enabled(state: &EmulatorState) -> Result<(), ApiError> {
    if state.config().admin_enabled() {
        Ok(())
    } else {
        Err(ApiError::not_found(
            "the admin API is disabled: enable it with --admin or EmulatorConfig::admin(true)",
        ))
    }
}

fn app_key(
    state: &EmulatorState,
    q: Option<String>,
    body: Option<String>,
) -> Result<String, ApiError> {
    let key = body
        .or(q)
        .unwrap_or_else(|| state.default_api_key().to_owned());
    if state.app(&key).is_none() {
        return Err(ApiError::field(
            "api_key",
            format!("names no app: {:?}", crate::http::error::clip(&key)),
        ));
    }
    Ok(key)
}

fn state_err(e: StateError) -> ApiError {
    match e {
        StateError::UnknownApp(_) => ApiError::field("api_key", e.to_string()),
        StateError::TaskExists(_) => ApiError::field("task_id", e.to_string()),
        StateError::TooManyTasks { cap } => ApiError::too_many_tasks(cap),
        _ => ApiError::input(e.to_string()),
    }
}

pub(crate) fn ok(body: Value) -> Response {
    let mut body = body;
    body["duration"] = Value::String(duration());
    (StatusCode::OK, Json(body)).into_response()
}

/// `GET /_emulator/health`: always on.
pub(crate) async fn health(State(state): State<EmulatorState>) -> Response {
    ok(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "admin": state.config().admin_enabled(),
    }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct FaultRequest {
    route: Option<String>,
    method: Option<String>,
    path: Option<String>,
    action: Option<String>,
    status: Option<u16>,
    body: Option<Value>,
    body_text: Option<String>,
    retry_after: Option<Value>,
    delay_ms: Option<u64>,
    times: Option<u32>,
}

fn fault_from_request(r: FaultRequest) -> Result<Fault, ApiError> {
    let route = match (r.route, r.path) {
        (Some(route), None) => route,
        (None, Some(path)) => match r.method {
            Some(m) => format!("{m} {path}"),
            None => path,
        },
        (Some(_), Some(_)) => return Err(ApiError::field("route", "give route or path, not both")),
        (None, None) => {
            return Err(ApiError::field(
                "route",
                "is a required field, e.g. \"GET /api/v2/tasks/{id}\"",
            ));
        }
    };
    let path_part = route.rsplit(' ').next().unwrap_or_default();
    if !path_part.starts_with('/') {
        return Err(ApiError::field(
            "route",
            "must be \"METHOD /path\" or \"/path\"",
        ));
    }
    let delay = r.delay_ms.unwrap_or(0);
    if delay > MAX_DELAY_MS {
        return Err(ApiError::field(
            "delay_ms",
            format!("must be at most {MAX_DELAY_MS}"),
        ));
    }
    let action = r.action.as_deref().unwrap_or(if r.status.is_some() {
        "respond"
    } else if delay > 0 {
        "delay"
    } else {
        ""
    });
    let mut fault = match action {
        "respond" => {
            let status = r
                .status
                .ok_or_else(|| ApiError::field("status", "is required for action respond"))?;
            if !(200..=599).contains(&status) {
                return Err(ApiError::field("status", "must be 200..=599"));
            }
            let mut f = Fault::respond(&route, status);
            match (r.body, r.body_text) {
                (Some(_), Some(_)) => {
                    return Err(ApiError::field("body", "give body or body_text, not both"));
                }
                (Some(b), None) => f = f.json_body(b),
                (None, Some(t)) => f = f.text_body(t),
                (None, None) => {}
            }
            match r.retry_after {
                None | Some(Value::Null) => {}
                // A value that cannot be a header would be dropped silently when the fault fires.
                Some(Value::String(s)) if axum::http::HeaderValue::from_str(&s).is_err() => {
                    return Err(ApiError::field(
                        "retry_after",
                        "must be seconds or an HTTP date (no control characters)",
                    ));
                }
                Some(Value::String(s)) => f = f.retry_after(s),
                Some(Value::Number(n)) => f = f.retry_after(n.to_string()),
                Some(_) => {
                    return Err(ApiError::field("retry_after", "must be a string or number"));
                }
            }
            f
        }
        "hang" => Fault::hang(&route),
        "drop" => Fault::drop_connection(&route),
        "delay" => Fault::delay(&route, Duration::ZERO),
        "" => {
            return Err(ApiError::field(
                "action",
                "is required: respond (with status), hang, drop or delay (with delay_ms)",
            ));
        }
        other => {
            return Err(ApiError::field(
                "action",
                format!("must be respond, hang, drop or delay, got {other:?}"),
            ));
        }
    };
    fault = fault.after(Duration::from_millis(delay));
    fault = fault.times(r.times.unwrap_or(1));
    Ok(fault)
}

fn fault_json(id: u64, f: &Fault) -> Value {
    let mut v = json!({
        "id": id,
        "method": f.method,
        "path": f.path,
        "times": f.times,
        "delay_ms": u64::try_from(f.delay.as_millis()).unwrap_or(u64::MAX),
    });
    match &f.action {
        FaultAction::Respond {
            status,
            body,
            retry_after,
        } => {
            v["action"] = json!("respond");
            v["status"] = json!(status);
            v["retry_after"] = json!(retry_after);
            match body {
                Some(FaultBody::Json(b)) => v["body"] = b.clone(),
                Some(FaultBody::Text(t)) => v["body_text"] = json!(t),
                None => {}
            }
        }
        FaultAction::Hang => v["action"] = json!("hang"),
        FaultAction::Drop => v["action"] = json!("drop"),
        FaultAction::PassThrough => v["action"] = json!("delay"),
        #[allow(unreachable_patterns)]
        _ => {}
    }
    v
}

/// `POST /_emulator/faults`.
pub(crate) async fn add_fault(
    State(state): State<EmulatorState>,
    ApiJson(req): ApiJson<FaultRequest>,
) -> Result<Response, ApiError> {
    enabled(&state)?;
    let fault = fault_from_request(req)?;
    let id = state.add_fault(fault.clone());
    Ok(ok(json!({ "fault": fault_json(id, &fault) })))
}

/// `GET /_emulator/faults`.
pub(crate) async fn list_faults(State(state): State<EmulatorState>) -> Result<Response, ApiError> {
    enabled(&state)?;
    let faults: Vec<Value> = state
        .faults()
        .iter()
        .map(|(id, f)| fault_json(*id, f))
        .collect();
    Ok(ok(json!({ "faults": faults })))
}

/// `DELETE /_emulator/faults`.
pub(crate) async fn clear_faults(State(state): State<EmulatorState>) -> Result<Response, ApiError> {
    enabled(&state)?;
    state.clear_faults();
    Ok(ok(json!({})))
}

#[derive(Debug, Deserialize)]
pub(crate) struct StepRequest {
    status: String,
    #[serde(default)]
    duration_ms: u64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ScriptRequest {
    api_key: Option<String>,
    task_id: Option<String>,
    #[serde(default)]
    steps: Vec<StepRequest>,
    result: Option<Value>,
    error: Option<TaskFailure>,
}

/// `POST /_emulator/tasks`: a scripted task.
pub(crate) async fn script_task(
    State(state): State<EmulatorState>,
    uri: Uri,
    ApiJson(req): ApiJson<ScriptRequest>,
) -> Result<Response, ApiError> {
    enabled(&state)?;
    let key = app_key(&state, api_key_of(&uri).map(Cow::into_owned), req.api_key)?;
    if req.steps.len() > 1000 {
        return Err(ApiError::field("steps", "must contain at most 1000 steps"));
    }
    let mut task = ScriptedTask::new();
    task.task_id = req.task_id;
    for (i, s) in req.steps.into_iter().enumerate() {
        if s.status.is_empty() {
            return Err(ApiError::field(
                &format!("steps[{i}].status"),
                "must not be empty",
            ));
        }
        if s.duration_ms > MAX_DELAY_MS {
            return Err(ApiError::field(
                &format!("steps[{i}].duration_ms"),
                format!("must be at most {MAX_DELAY_MS}"),
            ));
        }
        task = task.step(s.status, Duration::from_millis(s.duration_ms));
    }
    task.result = req.result;
    task.error = req.error;
    let id = state.script_task(&key, task).map_err(state_err)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "task_id": id, "duration": duration() })),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct JobFailureRequest {
    api_key: Option<String>,
    job: String,
    count: Option<usize>,
    error: Option<TaskFailure>,
}

/// `POST /_emulator/job-failures`: the next N jobs of a kind fail.
pub(crate) async fn fail_jobs(
    State(state): State<EmulatorState>,
    uri: Uri,
    ApiJson(req): ApiJson<JobFailureRequest>,
) -> Result<Response, ApiError> {
    enabled(&state)?;
    let key = app_key(&state, api_key_of(&uri).map(Cow::into_owned), req.api_key)?;
    let kind: JobKind = req
        .job
        .parse()
        .map_err(|e: crate::jobs::job::UnknownJobKind| ApiError::field("job", e.to_string()))?;
    let count = req.count.unwrap_or(1);
    if count == 0 || count > 10_000 {
        return Err(ApiError::field("count", "must be 1..=10000"));
    }
    state
        .fail_next_jobs(&key, kind, count, req.error.unwrap_or_default())
        .map_err(state_err)?;
    Ok(ok(json!({ "job": kind.name(), "count": count })))
}

/// `POST /_emulator/reset`.
pub(crate) async fn reset(State(state): State<EmulatorState>) -> Result<Response, ApiError> {
    enabled(&state)?;
    state.reset();
    Ok(ok(json!({})))
}

#[derive(Debug, Deserialize)]
pub(crate) struct SeedRequest {
    api_key: Option<String>,
    #[serde(default)]
    users: usize,
    #[serde(default)]
    channels: usize,
    #[serde(default)]
    messages: usize,
}

/// `POST /_emulator/seed`.
pub(crate) async fn seed(
    State(state): State<EmulatorState>,
    uri: Uri,
    ApiJson(req): ApiJson<SeedRequest>,
) -> Result<Response, ApiError> {
    enabled(&state)?;
    let key = app_key(&state, api_key_of(&uri).map(Cow::into_owned), req.api_key)?;
    for (name, n) in [
        ("users", req.users),
        ("channels", req.channels),
        ("messages", req.messages),
    ] {
        if n > MAX_SEED_ITEMS {
            return Err(ApiError::field(
                name,
                format!("must be at most {MAX_SEED_ITEMS}"),
            ));
        }
    }
    if req.channels.saturating_mul(req.messages) > MAX_SEED_ITEMS {
        return Err(ApiError::field(
            "messages",
            format!("channels × messages must be at most {MAX_SEED_ITEMS}"),
        ));
    }
    let spec = SeedSpec {
        users: req.users,
        channels: req.channels,
        messages: req.messages,
    };
    spec.fits_in(crate::config::available_memory())
        .map_err(|problem| ApiError::field("messages", problem))?;
    state.seed(&key, spec).map_err(state_err)?;
    Ok(ok(json!({ "api_key": key })))
}

#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    offset: Option<usize>,
    limit: Option<usize>,
    messages_offset: Option<usize>,
    messages_limit: Option<usize>,
}

/// `GET /_emulator/state?offset=&limit=&messages_offset=&messages_limit=`: a page of an app's
/// data (`StatePage`).
pub(crate) async fn snapshot(
    State(state): State<EmulatorState>,
    uri: Uri,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    enabled(&state)?;
    let key = app_key(&state, api_key_of(&uri).map(Cow::into_owned), None)?;
    let defaults = StatePage::default();
    let page = StatePage::new(q.offset.unwrap_or(0), q.limit.unwrap_or(defaults.limit)).messages(
        q.messages_offset.unwrap_or(0),
        q.messages_limit.unwrap_or(defaults.messages_limit),
    );
    page.check()
        .map_err(|(field, problem)| ApiError::field(field, problem))?;
    let snap = state.snapshot_page(&key, page).map_err(state_err)?;
    Ok(ok(snap))
}

/// `GET /_emulator/token`: a server token for an app (for `curl` users; admin API only).
pub(crate) async fn token(
    State(state): State<EmulatorState>,
    uri: Uri,
) -> Result<Response, ApiError> {
    enabled(&state)?;
    let key = app_key(&state, api_key_of(&uri).map(Cow::into_owned), None)?;
    let secret = state
        .app(&key)
        .map(|a| a.creds.secret().to_owned())
        .unwrap_or_default();
    let iat = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let encoding = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes())
        .map_err(|_| ApiError::internal("the app's secret cannot sign HS256 tokens"))?;
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"server": true, "iat": iat}),
        &encoding,
    )
    .map_err(|_| ApiError::internal("could not sign a token"))?;
    Ok(ok(json!({ "api_key": key, "token": token })))
}
