//! Export jobs (`POST /api/v2/chat/export_channels`, `POST /api/v2/export/users`) and the
//! download of their files.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio_util::io::ReaderStream;
use tokio_util::sync::CancellationToken;

use super::MAX_CHANNELS;
use super::check::{check_list, check_user_ids, parse_time};
use super::reply::task_started;
use super::starter::{ExportJob, JobStarter};
use crate::data::app_data::parse_cid;
use crate::data::shapes;
use crate::exports::link::{self, LinkQuery};
use crate::exports::store::ExportFile;
use crate::exports::writer::{JsonOut, next_channel, separator};
use crate::http::error::{ApiError, codes};
use crate::http::extract::{ApiJson, ApiPath};
use crate::jobs::job::{JobKind, TaskFailure};
use crate::jobs::pool::check_cancel;
use crate::state::EmulatorState;
use crate::state::app_state::AppState;
use crate::state::sync::read;

/// Most user ids per export-users request.
const MAX_EXPORT_USERS: usize = 25;

/// Export files up to this size are read in one go; larger ones are streamed.
const READ_AT_ONCE: u64 = 256 * 1024;

/// `GET /_emulator/exports/{token}.json?api_key=&expires=&signature=`: the export file,
/// streamed from disk. No API auth: the link's signature (see `exports::link`) is checked
/// against the app that owns the file, and its expiry against the clock.
pub(crate) async fn download_export(
    State(state): State<EmulatorState>,
    ApiPath(file): ApiPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (token, content_type, ext) = match file.strip_suffix(".csv") {
        Some(token) => (token, "text/csv", "csv"),
        None => (
            file.strip_suffix(".json").unwrap_or(&file),
            "application/json",
            "json",
        ),
    };
    let entry = state
        .export_file(token)
        .ok_or_else(|| ApiError::not_found("no export file with this name"))?;
    let owner = state
        .app(&entry.app_key)
        .ok_or_else(|| ApiError::not_found("no export file with this name"))?;
    link::verify(
        &LinkQuery::parse(query.as_deref()),
        token,
        owner.creds.key(),
        owner.creds.secret(),
        link::now_unix(),
    )
    .map_err(|e| ApiError::new(StatusCode::FORBIDDEN, codes::NOT_ALLOWED, e.to_string()))?;
    let gone = |_| ApiError::not_found("no export file with this name");
    // A small file is read at once (one short read, and no blocking-pool hop); a larger one is
    // streamed from disk a chunk at a time, so memory never holds the whole file.
    let body = if entry.len <= READ_AT_ONCE {
        Body::from(std::fs::read(&entry.path).map_err(gone)?)
    } else {
        let file = tokio::fs::File::open(&entry.path).await.map_err(gone)?;
        Body::from_stream(ReaderStream::with_capacity(file, 64 * 1024))
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_LENGTH, entry.len.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"export-{}.{ext}\"",
                    token.chars().take(8).collect::<String>()
                ),
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct ExportChannelItem {
    cid: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<String>,
    messages_since: Option<String>,
    messages_until: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ExportChannelsRequest {
    channels: Option<Vec<ExportChannelItem>>,
    export_users: Option<bool>,
    include_soft_deleted_channels: Option<bool>,
    clear_deleted_message_text: Option<bool>,
    include_truncated_messages: Option<bool>,
    version: Option<String>,
    format: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ExportSpec {
    cid: String,
    #[serde(with = "crate::persist::opt_time")]
    since: Option<OffsetDateTime>,
    #[serde(with = "crate::persist::opt_time")]
    until: Option<OffsetDateTime>,
}

fn check_export_item(i: usize, item: ExportChannelItem) -> Result<ExportSpec, ApiError> {
    let field = format!("channels[{i}]");
    let cid = match (item.cid, item.kind, item.id) {
        (Some(cid), None, None) => cid,
        (Some(cid), Some(t), Some(id)) if cid == format!("{t}:{id}") => cid,
        (Some(_), _, _) => {
            return Err(ApiError::field(
                &field,
                "gives a cid that does not match its type and id",
            ));
        }
        (None, Some(t), Some(id)) => format!("{t}:{id}"),
        (None, _, _) => {
            return Err(ApiError::field(&field, "needs cid, or type and id"));
        }
    };
    if parse_cid(&cid).is_none() {
        return Err(ApiError::field(
            &format!("{field}.cid"),
            format!("is not a valid channel cid (type:id): {cid:?}"),
        ));
    }
    let since = item
        .messages_since
        .as_deref()
        .map(|s| parse_time(&format!("{field}.messages_since"), s))
        .transpose()?;
    let until = item
        .messages_until
        .as_deref()
        .map(|s| parse_time(&format!("{field}.messages_until"), s))
        .transpose()?;
    if let (Some(s), Some(u)) = (since, until)
        && s > u
    {
        return Err(ApiError::field(
            &format!("{field}.messages_since"),
            "must not be after messages_until",
        ));
    }
    Ok(ExportSpec { cid, since, until })
}

/// `POST /api/v2/chat/export_channels`.
pub(crate) async fn export_channels(
    jobs: JobStarter,
    ApiJson(req): ApiJson<ExportChannelsRequest>,
) -> Result<Response, ApiError> {
    let specs = check_list("channels", req.channels, MAX_CHANNELS)?
        .into_iter()
        .enumerate()
        .map(|(i, item)| check_export_item(i, item))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(f) = req.format.as_deref()
        && f != "json"
    {
        return Err(ApiError::field(
            "format",
            format!("{f:?} is not supported by the emulator (only \"json\")"),
        ));
    }
    if let Some(v) = req.version.as_deref()
        && v != "v1"
        && v != "v2"
    {
        return Err(ApiError::field("version", "must be \"v1\" or \"v2\""));
    }
    let export_users = req.export_users.unwrap_or(false);
    let include_deleted = req.include_soft_deleted_channels.unwrap_or(false);
    let clear_deleted_text = req.clear_deleted_message_text.unwrap_or(false);
    // A soft truncate hides messages; the export leaves them out unless asked for them.
    let include_truncated = req.include_truncated_messages.unwrap_or(false);
    let n = specs.len();
    let job = ExportChannelsJob {
        specs,
        export_users,
        include_deleted,
        clear_deleted_text,
        include_truncated,
    };
    let task_id = jobs.submit_export(JobKind::ExportChannels, n, job);
    Ok(task_started(task_id?))
}

/// The export-channels task: the checked request (stored with its task, to resume it).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ExportChannelsJob {
    specs: Vec<ExportSpec>,
    export_users: bool,
    include_deleted: bool,
    clear_deleted_text: bool,
    include_truncated: bool,
}

impl ExportJob for ExportChannelsJob {
    const ERROR_TYPE: &'static str = "ExportChannelsError";

    fn build(
        self,
        app: &AppState,
        file: &mut ExportFile,
        cancel: &CancellationToken,
    ) -> Result<(), TaskFailure> {
        let Self {
            specs,
            export_users,
            include_deleted,
            clear_deleted_text,
            include_truncated,
        } = self;
        let mut out = JsonOut::new(file, Self::ERROR_TYPE);
        let mut user_ids = BTreeSet::new();
        out.open_object(&json!({"exported_at": shapes::ts(OffsetDateTime::now_utc())}))?;
        out.raw(b",\"channels\":[\n")?;
        for (i, spec) in specs.iter().enumerate() {
            check_cancel(cancel)?;
            let head = {
                let data = read(&app.data);
                let ch = data
                    .channels
                    .get(&spec.cid)
                    .filter(|c| include_deleted || c.deleted_at.is_none())
                    .ok_or_else(|| out.fail(format!("channel {} does not exist", spec.cid)))?;
                user_ids.extend(ch.members.iter().map(|m| m.user_id.clone()));
                json!({
                    "channel": shapes::channel(ch, &data.users),
                    "members": ch.members.iter().map(|m| shapes::member(m, &data.users)).collect::<Vec<_>>(),
                })
            };
            if i > 0 {
                out.raw(b",\n")?;
            }
            out.open_object(&head)?;
            out.raw(b",\"messages\":[")?;
            let mut first = true;
            out.message_chunks(app, &spec.cid, cancel, |data, ch, m, buf| {
                let wanted = (include_truncated || !ch.is_truncated(m))
                    && spec.since.is_none_or(|s| m.created_at >= s)
                    && spec.until.is_none_or(|u| m.created_at <= u);
                if !wanted {
                    return Ok(());
                }
                user_ids.insert(m.user_id.clone());
                let mut j = shapes::message(m, &spec.cid, &data.users);
                if clear_deleted_text && m.deleted_at.is_some() {
                    j["text"] = Value::String(String::new());
                    j["html"] = Value::String(String::new());
                }
                separator(&mut first, buf);
                buf.push(b'\n');
                serde_json::to_writer(buf, &j)
            })?;
            out.raw(b"]}")?;
        }
        out.raw(b"\n]")?;
        if export_users {
            out.raw(b",\"users\":[")?;
            let ids: Vec<String> = user_ids.into_iter().collect();
            let mut first = true;
            out.item_chunks(app, &ids, cancel, |data, id, buf| {
                let Some(u) = data.users.get(id) else {
                    return Ok(());
                };
                separator(&mut first, buf);
                buf.push(b'\n');
                serde_json::to_writer(buf, &shapes::user(u))
            })?;
            out.raw(b"]")?;
        }
        out.raw(b"}\n")
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ExportUsersRequest {
    user_ids: Option<Vec<String>>,
}

/// `POST /api/v2/export/users`.
pub(crate) async fn export_users(
    jobs: JobStarter,
    ApiJson(req): ApiJson<ExportUsersRequest>,
) -> Result<Response, ApiError> {
    let ids = check_user_ids(req.user_ids, MAX_EXPORT_USERS)?;
    let n = ids.len();
    let task_id = jobs.submit_export(JobKind::ExportUsers, n, ExportUsersJob { ids });
    Ok(task_started(task_id?))
}

/// The export-users task: the checked user ids (stored with its task, to resume it).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ExportUsersJob {
    ids: Vec<String>,
}

impl ExportJob for ExportUsersJob {
    const ERROR_TYPE: &'static str = "ExportUsersError";

    fn build(
        self,
        app: &AppState,
        file: &mut ExportFile,
        cancel: &CancellationToken,
    ) -> Result<(), TaskFailure> {
        let ids = self.ids;
        let mut out = JsonOut::new(file, Self::ERROR_TYPE);
        out.open_object(&json!({"exported_at": shapes::ts(OffsetDateTime::now_utc())}))?;
        out.raw(b",\"users\":[\n")?;
        for (i, id) in ids.iter().enumerate() {
            check_cancel(cancel)?;
            let user = read(&app.data)
                .users
                .get(id)
                .map(shapes::user)
                .ok_or_else(|| out.fail(format!("user {id} does not exist")))?;
            if i > 0 {
                out.raw(b",\n")?;
            }
            out.raw(b"{\"user\":")?;
            out.raw(&serde_json::to_vec(&user).map_err(|e| out.fail(e))?)?;
            // Walk the channels one at a time: the user's channels, then their messages.
            out.raw(b",\"channels\":[")?;
            let mut first = true;
            let mut cursor = None;
            while let Some(cid) = next_channel(app, cursor.as_deref()) {
                check_cancel(cancel)?;
                let member = read(&app.data)
                    .channels
                    .get(&cid)
                    .is_some_and(|c| c.members.iter().any(|m| &m.user_id == id));
                if member {
                    let mut buf = Vec::new();
                    separator(&mut first, &mut buf);
                    serde_json::to_writer(&mut buf, &cid).map_err(|e| out.fail(e))?;
                    out.raw(&buf)?;
                }
                cursor = Some(cid);
            }
            out.raw(b"],\"messages\":[")?;
            let mut first = true;
            let mut cursor = None;
            while let Some(cid) = next_channel(app, cursor.as_deref()) {
                out.message_chunks(app, &cid, cancel, |data, _, m, buf| {
                    if &m.user_id != id {
                        return Ok(());
                    }
                    separator(&mut first, buf);
                    buf.push(b'\n');
                    serde_json::to_writer(buf, &shapes::message(m, &cid, &data.users))
                })?;
                cursor = Some(cid);
            }
            out.raw(b"]}")?;
        }
        out.raw(b"\n]}\n")
    }
}
