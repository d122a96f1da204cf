//! Block lists: create, get, update, delete, list (answered at once), and the import of
//! words into one (a task).

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::reply::{created, task_started};
use super::starter::JobStarter;
use crate::data::app_data::AppData;
use crate::data::blocklists::{
    BlockList, BlockListFlags, ImportRefusal, MAX_BLOCKLISTS, MAX_NAME_CHARS, MAX_WORD_CHARS,
    MAX_WORDS, TYPES, distinct_words, valid_name,
};
use crate::data::shapes::ts;
use crate::http::error::{ApiError, duration};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::jobs::job::{JobKind, TaskFailure, TaskResult};
use crate::jobs::pool::{Work, check_cancel};
use crate::state::sync::read;

/// Most items per import call.
pub(crate) const MAX_IMPORT_ITEMS: usize = 10_000;
/// The largest import chunk.
pub(crate) const MAX_CHUNK_SIZE: usize = 1_000;
/// The chunk size when the call names none.
pub(crate) const DEFAULT_CHUNK_SIZE: usize = 100;
/// Longest team name, in characters.
const MAX_TEAM_CHARS: usize = 255;

/// A `BlockListResponse`.
fn blocklist_json(l: &BlockList) -> Value {
    let mut out = json!({
        "id": l.id,
        "name": l.name,
        "type": l.kind,
        "words": l.words(),
        "team": l.team,
        "is_leet_check_enabled": l.flags.leet_check,
        "is_plural_check_enabled": l.flags.plural_check,
        "is_confusable_folding_enabled": l.flags.confusable_folding,
        "is_substring_matching_enabled": l.flags.substring_matching,
        "created_at": ts(l.created_at),
        "updated_at": ts(l.updated_at),
    });
    if let Value::Object(o) = &mut out {
        o.retain(|_, v| !v.is_null());
    }
    out
}

fn check_name(field: &str, name: &str) -> Result<(), ApiError> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(ApiError::field(
            field,
            format!(
                "is not a valid block list name: {name:?} (1..={MAX_NAME_CHARS} letters, digits, _ or -)"
            ),
        ))
    }
}

/// Checks one word: 1..=255 characters after trimming.
fn check_word(field: &str, i: usize, w: &str) -> Result<(), ApiError> {
    let n = w.trim().chars().count();
    if n == 0 || n > MAX_WORD_CHARS {
        return Err(ApiError::field(
            &format!("{field}[{i}]"),
            format!("must be 1..={MAX_WORD_CHARS} characters after trimming, got {n}"),
        ));
    }
    Ok(())
}

/// Checks the words of a create or update: at most [`MAX_WORDS`] distinct, each valid.
fn check_words(words: &[String]) -> Result<(), ApiError> {
    if words.len() > MAX_WORDS {
        let distinct = distinct_words(words);
        if distinct > MAX_WORDS {
            return Err(ApiError::field(
                "words",
                format!("must hold at most {MAX_WORDS} distinct words, got {distinct}"),
            ));
        }
    }
    words
        .iter()
        .enumerate()
        .try_for_each(|(i, w)| check_word("words", i, w))
}

/// A team field: `""` is no team.
fn check_team(team: Option<String>) -> Result<Option<String>, ApiError> {
    match team {
        Some(t) if t.chars().count() > MAX_TEAM_CHARS => Err(ApiError::field(
            "team",
            format!("must be at most {MAX_TEAM_CHARS} characters"),
        )),
        Some(t) if t.is_empty() => Ok(None),
        t => Ok(t),
    }
}

fn no_such_list(name: &str) -> ApiError {
    ApiError::not_found(format!("block list {name:?} does not exist"))
}

/// The list `name` (of `team`, when given), or a 404.
fn find<'a>(data: &'a AppData, name: &str, team: Option<&str>) -> Result<&'a BlockList, ApiError> {
    data.blocklists
        .get(name)
        .filter(|l| team.is_none_or(|t| t.is_empty() || l.team.as_deref() == Some(t)))
        .ok_or_else(|| no_such_list(name))
}

#[derive(Debug, Deserialize)]
pub(crate) struct CreateBlockListRequest {
    name: Option<String>,
    words: Option<Vec<String>>,
    #[serde(rename = "type")]
    kind: Option<String>,
    team: Option<String>,
    is_leet_check_enabled: Option<bool>,
    is_plural_check_enabled: Option<bool>,
    is_confusable_folding_enabled: Option<bool>,
    is_substring_matching_enabled: Option<bool>,
}

/// `POST /api/v2/blocklists`: creates a block list; a name in use is a 400.
pub(crate) async fn create_blocklist(
    Authed(app): Authed,
    ApiJson(req): ApiJson<CreateBlockListRequest>,
) -> Result<Response, ApiError> {
    let name = req
        .name
        .ok_or_else(|| ApiError::field("name", "is a required field"))?;
    check_name("name", &name)?;
    let words = req
        .words
        .ok_or_else(|| ApiError::field("words", "is a required field"))?;
    check_words(&words)?;
    let kind = match req.kind.as_deref() {
        None | Some("") => "word".to_owned(),
        Some(k) if TYPES.contains(&k) => k.to_owned(),
        Some(k) => {
            return Err(ApiError::field(
                "type",
                format!("must be one of {}, got {k:?}", TYPES.join(", ")),
            ));
        }
    };
    let team = check_team(req.team)?;
    let flags = BlockListFlags {
        leet_check: req.is_leet_check_enabled.unwrap_or(false),
        plural_check: req.is_plural_check_enabled.unwrap_or(false),
        confusable_folding: req.is_confusable_folding_enabled.unwrap_or(false),
        substring_matching: req.is_substring_matching_enabled.unwrap_or(false),
    };
    let mut data = app.data_mut();
    if data.blocklists.contains_key(&name) {
        return Err(ApiError::input(format!(
            "block list {name:?} already exists"
        )));
    }
    if data.blocklists.len() >= MAX_BLOCKLISTS {
        return Err(ApiError::input(format!(
            "the app already has {MAX_BLOCKLISTS} block lists, the most the emulator keeps"
        )));
    }
    let list = BlockList::new(name, kind, team, flags, &words);
    let body = json!({ "blocklist": blocklist_json(&list), "duration": duration() });
    data.put_blocklist(list);
    drop(data);
    Ok(created(body))
}

#[derive(Debug, Deserialize)]
pub(crate) struct TeamQuery {
    team: Option<String>,
}

/// `GET /api/v2/blocklists/{name}` (`?team=`): one block list, or a 404.
pub(crate) async fn get_blocklist(
    Authed(app): Authed,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<TeamQuery>,
) -> Result<Response, ApiError> {
    check_name("name", &name)?;
    let data = read(&app.data);
    let body = json!({
        "blocklist": blocklist_json(find(&data, &name, q.team.as_deref())?),
        "duration": duration(),
    });
    drop(data);
    Ok(Json(body).into_response())
}

/// `GET /api/v2/blocklists` (`?team=`): the app's block lists (all of them: at most
/// [`MAX_BLOCKLISTS`]), by name.
pub(crate) async fn list_blocklists(
    Authed(app): Authed,
    ApiQuery(q): ApiQuery<TeamQuery>,
) -> Result<Response, ApiError> {
    let team = q.team.filter(|t| !t.is_empty());
    let data = read(&app.data);
    let lists: Vec<Value> = data
        .blocklists_of(team.as_deref())
        .map(blocklist_json)
        .collect();
    drop(data);
    Ok(Json(json!({ "blocklists": lists, "duration": duration() })).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct UpdateBlockListRequest {
    words: Option<Vec<String>>,
    team: Option<String>,
    is_leet_check_enabled: Option<bool>,
    is_plural_check_enabled: Option<bool>,
    is_confusable_folding_enabled: Option<bool>,
    is_substring_matching_enabled: Option<bool>,
}

/// `PUT /api/v2/blocklists/{name}`: replaces the words and changes the fields given.
pub(crate) async fn update_blocklist(
    Authed(app): Authed,
    ApiPath(name): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateBlockListRequest>,
) -> Result<Response, ApiError> {
    check_name("name", &name)?;
    if let Some(words) = &req.words {
        check_words(words)?;
    }
    let team = req.team.map(|t| check_team(Some(t))).transpose()?;
    let mut data = app.data_mut();
    let body = data
        .update_blocklist(&name, |l| {
            if let Some(words) = &req.words {
                l.replace_words(words);
            }
            if let Some(team) = team {
                l.team = team;
            }
            let f = &mut l.flags;
            for (flag, v) in [
                (&mut f.leet_check, req.is_leet_check_enabled),
                (&mut f.plural_check, req.is_plural_check_enabled),
                (&mut f.confusable_folding, req.is_confusable_folding_enabled),
                (&mut f.substring_matching, req.is_substring_matching_enabled),
            ] {
                if let Some(v) = v {
                    *flag = v;
                }
            }
        })
        .and_then(|()| data.blocklists.get(&name))
        .map(|l| json!({ "blocklist": blocklist_json(l), "duration": duration() }))
        .ok_or_else(|| no_such_list(&name))?;
    drop(data);
    Ok(Json(body).into_response())
}

/// `DELETE /api/v2/blocklists/{name}` (`?team=`): removes a block list; an import running
/// on it fails.
pub(crate) async fn delete_blocklist(
    Authed(app): Authed,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<TeamQuery>,
) -> Result<Response, ApiError> {
    check_name("name", &name)?;
    let mut data = app.data_mut();
    find(&data, &name, q.team.as_deref())?;
    data.remove_blocklist(&name);
    drop(data);
    Ok(Json(json!({ "duration": duration() })).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct ImportBlockListRequest {
    items: Option<Vec<String>>,
    chunk_size: Option<i64>,
}

/// The import task's input: the list (by name and id, so a list deleted and created again
/// under the name is not the one imported into), the items and the chunk size.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ImportBlockListJob {
    name: String,
    list_id: String,
    items: Vec<String>,
    chunk_size: usize,
}

/// The work of an import: a chunk of `chunk_size` items at a time, each under its own write
/// lock and saved as it is done. Fails when the list is gone, or would grow past
/// [`MAX_WORDS`] (imports or updates since the call); what earlier chunks added stays.
pub(crate) fn import_work(job: ImportBlockListJob) -> Work {
    Box::new(move |app, _events, cancel| {
        let (mut added, mut skipped) = (0, 0);
        for chunk in job.items.chunks(job.chunk_size.max(1)) {
            check_cancel(cancel)?;
            let done = app.data_mut().import_words(&job.name, &job.list_id, chunk);
            let (a, s) = done.map_err(|refusal| match refusal {
                ImportRefusal::Gone => TaskFailure::new(
                    "not_found",
                    format!("block list {:?} was deleted while the import ran", job.name),
                ),
                ImportRefusal::Full => TaskFailure::new(
                    "limit_exceeded",
                    format!(
                        "block list {:?} would hold more than {MAX_WORDS} words",
                        job.name
                    ),
                ),
            })?;
            added += a;
            skipped += s;
        }
        Ok(TaskResult::Json(json!({
            "blocklist": job.name,
            "added": added,
            "skipped": skipped,
            "total": job.items.len(),
        })))
    })
}

/// `POST /api/v2/blocklists/{name}/import`: adds `items` to the list in a task, a chunk of
/// `chunk_size` at a time, skipping words already there. An unknown list is a 404 at once;
/// items that would take the list past [`MAX_WORDS`] are a 400.
pub(crate) async fn import_blocklist(
    jobs: JobStarter,
    ApiPath(name): ApiPath<String>,
    ApiJson(req): ApiJson<ImportBlockListRequest>,
) -> Result<Response, ApiError> {
    check_name("id", &name)?;
    let items = req
        .items
        .ok_or_else(|| ApiError::field("items", "is a required field"))?;
    if items.is_empty() || items.len() > MAX_IMPORT_ITEMS {
        return Err(ApiError::field(
            "items",
            format!(
                "must hold 1..={MAX_IMPORT_ITEMS} items, got {}",
                items.len()
            ),
        ));
    }
    items
        .iter()
        .enumerate()
        .try_for_each(|(i, w)| check_word("items", i, w))?;
    let chunk_size = match req.chunk_size {
        None => DEFAULT_CHUNK_SIZE,
        Some(n) => usize::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_CHUNK_SIZE).contains(n))
            .ok_or_else(|| {
                ApiError::field(
                    "chunk_size",
                    format!("must be 1..={MAX_CHUNK_SIZE}, got {n}"),
                )
            })?,
    };
    let list_id = {
        let data = read(&jobs.app().data);
        let list = find(&data, &name, None)?;
        if list.words().len() + list.count_new(&items) > MAX_WORDS {
            return Err(ApiError::field(
                "items",
                format!(
                    "would take block list {name:?} past {MAX_WORDS} words (it holds {})",
                    list.words().len()
                ),
            ));
        }
        list.id.clone()
    };
    let n = items.len();
    let job = ImportBlockListJob {
        name,
        list_id,
        items: items.iter().map(|w| w.trim().to_owned()).collect(),
        chunk_size,
    };
    let task_id = jobs.submit_work(JobKind::ImportBlockList, n, job, import_work)?;
    Ok(task_started(task_id))
}
