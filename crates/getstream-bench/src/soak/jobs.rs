//! The SDK's side of the soak: clients that start jobs through
//! `getstream_tasks::Client`, wait for them with the SDK's poller (which must ride
//! out the injected faults), and check each result: an export link downloads
//! a file listing exactly what was asked; a delete lists each id `ok`.

use std::sync::Arc;
use std::time::Duration;

use getstream_tasks::{
    Client, DeleteChannelsRequest, DeleteMode, DeleteUsersRequest, Error, ExportChannelsRequest,
    ExportUsersRequest, TaskHandle,
};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::Ctx;
use super::faults::DROPPING_ROUTES;
use super::ledger::{End, Job, bump};
use super::raw::Raw;

/// How often the SDK's waits poll (fast, to load the task route).
const WAIT_INTERVAL: Duration = Duration::from_millis(100);
/// The longest one wait may take; a stalled task shows as a wait error.
const WAIT_TIMEOUT: Duration = Duration::from_secs(45);

/// A small deterministic generator (xorshift), one per client.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next number.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
}

fn sdk_client(ctx: &Ctx) -> Result<Client, Error> {
    Client::builder(&ctx.target.api_key, &ctx.target.api_secret)
        .base_url(&ctx.target.base_url)
        .build()
}

/// `n` distinct picks out of `1..=total`.
fn distinct(rng: &mut Rng, n: usize, total: usize) -> Vec<usize> {
    let mut picked = Vec::with_capacity(n);
    while picked.len() < n.min(total) {
        let i = rng.range(1, total);
        if !picked.contains(&i) {
            picked.push(i);
        }
    }
    picked
}

/// Exports 1..=5 seeded channels at a time, until the load ends.
pub async fn export_channels(ctx: Arc<Ctx>, n: u64) {
    let Ok(client) = sdk_client(&ctx) else {
        ctx.ledger.violation("cannot build an SDK client".into());
        return;
    };
    let mut rng = Rng::new(n + 1);
    while ctx.running() {
        let k = rng.range(1, 5);
        let cids: Vec<String> = distinct(&mut rng, k, ctx.seed.channels)
            .into_iter()
            .map(|i| format!("messaging:seed-{i}"))
            .collect();
        bump(&ctx.ledger.counters.start_attempts);
        match client
            .chat()
            .export_channels(ExportChannelsRequest::new(cids.clone()))
            .await
        {
            Ok(started) => {
                ctx.ledger
                    .acknowledge(&started.task_id, Job::ExportChannels(cids));
                follow(&ctx, started.handle()).await;
            }
            Err(e) => start_failed(&ctx, &e, "/api/v2/chat/export_channels").await,
        }
    }
}

/// Exports 1..=5 seeded users at a time, until the load ends.
pub async fn export_users(ctx: Arc<Ctx>, n: u64) {
    let Ok(client) = sdk_client(&ctx) else {
        ctx.ledger.violation("cannot build an SDK client".into());
        return;
    };
    let mut rng = Rng::new(n + 101);
    while ctx.running() {
        let k = rng.range(1, 5);
        let ids: Vec<String> = distinct(&mut rng, k, ctx.seed.users)
            .into_iter()
            .map(|i| format!("user-{i}"))
            .collect();
        bump(&ctx.ledger.counters.start_attempts);
        match client
            .export_users(ExportUsersRequest::new(ids.clone()))
            .await
        {
            Ok(started) => {
                ctx.ledger
                    .acknowledge(&started.task_id, Job::ExportUsers(ids));
                follow(&ctx, started.handle()).await;
            }
            Err(e) => start_failed(&ctx, &e, "/api/v2/export/users").await,
        }
    }
}

/// Creates two users and a channel of theirs (plain HTTP), then hard-deletes
/// them through the SDK (users and channel in turn), until the load ends.
pub async fn deletes(ctx: Arc<Ctx>, n: u64) {
    let Ok(client) = sdk_client(&ctx) else {
        ctx.ledger.violation("cannot build an SDK client".into());
        return;
    };
    let mut round = 0u64;
    while ctx.running() {
        round += 1;
        let users = [format!("soak-{n}-{round}-a"), format!("soak-{n}-{round}-b")];
        let channel = format!("soak-{n}-{round}");
        if let Err(e) = create(&ctx.raw, &users, &channel).await {
            // Setup routes are never faulted: a failure here is the emulator's.
            ctx.ledger
                .violation(format!("creating users and a channel failed: {e}"));
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        bump(&ctx.ledger.counters.start_attempts);
        let cid = format!("messaging:{channel}");
        if round.is_multiple_of(2) {
            let request = DeleteChannelsRequest::new([cid.clone()]).hard_delete(true);
            match client.chat().delete_channels(request).await {
                Ok(response) => match response.task() {
                    Some(handle) => {
                        ctx.ledger
                            .acknowledge(handle.task_id(), Job::DeleteChannels(vec![cid]));
                        follow(&ctx, handle).await;
                    }
                    None => ctx
                        .ledger
                        .violation(format!("a hard delete of {cid} answered without a task_id")),
                },
                Err(e) => start_failed(&ctx, &e, "/api/v2/chat/channels/delete").await,
            }
        } else {
            let request = DeleteUsersRequest::new(users.clone())
                .user(DeleteMode::Hard)
                .messages(DeleteMode::Hard);
            match client.delete_users(request).await {
                Ok(started) => {
                    ctx.ledger
                        .acknowledge(&started.task_id, Job::DeleteUsers(users.to_vec()));
                    follow(&ctx, started.handle()).await;
                }
                Err(e) => start_failed(&ctx, &e, "/api/v2/users/delete").await,
            }
        }
    }
}

async fn create(raw: &Raw, users: &[String; 2], channel: &str) -> Result<(), crate::BoxError> {
    let body: serde_json::Map<String, Value> = users
        .iter()
        .map(|u| (u.clone(), json!({"id": u, "name": "soak"})))
        .collect();
    raw.post_ok("/api/v2/users", &json!({"users": body}))
        .await?;
    raw.post_ok(
        &format!("/api/v2/chat/channels/messaging/{channel}/query"),
        &json!({"data": {"created_by_id": users[0], "members": users}}),
    )
    .await?;
    raw.post_ok(
        &format!("/api/v2/chat/channels/messaging/{channel}/message"),
        &json!({"message": {"text": "soon gone", "user_id": users[1]}}),
    )
    .await?;
    Ok(())
}

/// A start the SDK reported as an error: expected under injected faults
/// (a marked 5xx or 429; no answer where connections are dropped, `path`);
/// anything else is a violation.
async fn start_failed(ctx: &Ctx, e: &Error, path: &str) {
    bump(&ctx.ledger.counters.start_errors);
    let injected = match e {
        Error::Api(api) => api.raw_body().contains(super::raw::FAULT_MARKER),
        Error::Transport(_) => DROPPING_ROUTES.iter().any(|p| path.starts_with(p)),
        _ => false,
    };
    if !injected {
        ctx.ledger
            .violation(format!("a start failed, not by an injected fault: {e}"));
    }
    // Do not spin on a fault that answers at once.
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Waits on `handle` with the SDK and records what it saw; a completed task's
/// result is checked (an export file is downloaded).
async fn follow<T>(ctx: &Ctx, handle: TaskHandle<T>)
where
    T: DeserializeOwned + Send + 'static + Checkable,
{
    let id = handle.task_id().to_owned();
    let outcome = handle
        .wait()
        .interval(WAIT_INTERVAL)
        .timeout(WAIT_TIMEOUT)
        .await;
    let seen = match outcome {
        Ok(result) => {
            let Some(job) = ctx.ledger.job(&id) else {
                return;
            };
            match result.check(ctx, &job).await {
                Ok(()) => Ok(End::Completed),
                Err(e) => {
                    ctx.ledger
                        .violation(format!("task {id} ({}): {e}", job.name()));
                    Ok(End::Completed)
                }
            }
        }
        Err(Error::Task(t)) => {
            let error = t.task().error.clone();
            Ok(End::Failed(format!("{error:?}")))
        }
        Err(e) => Err(e.to_string()),
    };
    ctx.ledger.waited(&id, seen.map(|end| normalise(&end)));
}

/// Failures compare by kind only (the two views format the error differently).
fn normalise(end: &End) -> End {
    match end {
        End::Completed => End::Completed,
        End::Failed(_) => End::Failed(String::new()),
    }
}

/// A completed task's typed result, checked against its job.
pub trait Checkable {
    /// `Ok` when the result is what the job must produce.
    fn check(
        self,
        ctx: &Ctx,
        job: &Job,
    ) -> impl std::future::Future<Output = Result<(), String>> + Send;
}

impl Checkable for getstream_tasks::ExportResult {
    async fn check(self, ctx: &Ctx, job: &Job) -> Result<(), String> {
        let bytes = check_export(ctx, job, &self.url).await?;
        if std::time::Instant::now() > ctx.warm_until {
            ctx.ledger
                .counters
                .exported_after_warmup
                .fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    }
}

impl Checkable for getstream_tasks::DeleteUsersResult {
    async fn check(self, _: &Ctx, job: &Job) -> Result<(), String> {
        let map = serde_json::to_value(&self).map_err(|e| e.to_string())?;
        check_items(&map, job)
    }
}

impl Checkable for getstream_tasks::DeleteChannelsResult {
    async fn check(self, _: &Ctx, job: &Job) -> Result<(), String> {
        let map = serde_json::to_value(&self).map_err(|e| e.to_string())?;
        check_items(&map, job)
    }
}

/// A delete's result: each asked id, `ok`.
pub fn check_items(result: &Value, job: &Job) -> Result<(), String> {
    let ids = match job {
        Job::DeleteUsers(ids) | Job::DeleteChannels(ids) => ids,
        _ => return Err("not a delete".into()),
    };
    for id in ids {
        if result[id]["status"] != "ok" {
            return Err(format!("{id} is not ok in the result {result}"));
        }
    }
    Ok(())
}

/// Downloads an export link (retrying what an injected fault answered) and
/// checks the file lists exactly the job's channels (with every seeded
/// message) or users. Answers the file's size.
pub async fn check_export(ctx: &Ctx, job: &Job, url: &str) -> Result<u64, String> {
    let mut last = String::new();
    for _ in 0..6 {
        match Raw::send(ctx.raw.http.request(Method::GET, url)).await {
            Ok(a) if a.status.is_success() => {
                bump(&ctx.ledger.counters.downloads);
                ctx.ledger
                    .counters
                    .download_bytes
                    .fetch_add(a.body.len() as u64, std::sync::atomic::Ordering::Relaxed);
                return check_file(&a.json(), job, ctx.seed.messages).map(|()| a.body.len() as u64);
            }
            Ok(a) if a.is_fault() => {
                bump(&ctx.ledger.counters.download_faulted);
                last = format!("{} (injected)", a.status);
            }
            Ok(a) => {
                return Err(format!(
                    "downloading {url}: {}: {}",
                    a.status,
                    String::from_utf8_lossy(&a.body[..a.body.len().min(300)])
                ));
            }
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("downloading {url} failed 6 times; last: {last}"))
}

fn check_file(file: &Value, job: &Job, messages: usize) -> Result<(), String> {
    let (list, key, wanted) = match job {
        Job::ExportChannels(cids) => ("channels", "channel", cids),
        Job::ExportUsers(ids) => ("users", "user", ids),
        _ => return Err("not an export".into()),
    };
    let Some(items) = file[list].as_array() else {
        return Err(format!("the export file has no {list:?} list"));
    };
    let field = if key == "channel" { "cid" } else { "id" };
    let mut got: Vec<&str> = items
        .iter()
        .filter_map(|i| i[key][field].as_str())
        .collect();
    let mut want: Vec<&str> = wanted.iter().map(String::as_str).collect();
    got.sort_unstable();
    want.sort_unstable();
    if got != want {
        return Err(format!("the export file lists {got:?}, asked {want:?}"));
    }
    if key == "channel" {
        for i in items {
            let n = i["messages"].as_array().map_or(0, Vec::len);
            if n != messages {
                return Err(format!(
                    "channel {} exported with {n} messages, seeded with {messages}",
                    i["channel"]["cid"]
                ));
            }
        }
    }
    Ok(())
}
