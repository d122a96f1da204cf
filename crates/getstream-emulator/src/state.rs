//! The emulator's shared state: apps and their data, tasks, exports, faults, rate limits.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::config::{AppCredentials, EmulatorConfig, SeedSpec};
use crate::faults::{Fault, Faults};
use crate::ratelimit::RateLimiter;
use crate::shapes;
use crate::store::AppData;
use crate::tasks::{JobKind, Jobs, ScriptedTask, Stamps, TaskError, TaskRecord, Work};
use crate::webhooks::WebhookHub;
use crate::webhooks::payload::Event;

/// The error of a library call on the state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// No configured app has this API key.
    #[error("no app with api key {0:?}")]
    UnknownApp(String),
    /// A task with this id already exists.
    #[error("a task with id {0:?} already exists")]
    TaskExists(String),
    /// The input is not valid.
    #[error("{0}")]
    Invalid(String),
}

/// Locks a mutex, recovering from poisoning (a panicked holder cannot corrupt our plain data
/// beyond what the panic itself did; serving on is better than failing every request).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn write<T>(m: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(PoisonError::into_inner)
}

/// One app: its credentials and data.
pub(crate) struct AppState {
    pub creds: AppCredentials,
    pub data: RwLock<AppData>,
    tasks: RwLock<HashMap<String, TaskRecord>>,
    job_failures: Mutex<HashMap<JobKind, VecDeque<TaskError>>>,
    /// Tokens that verified with this app's secret, with their `exp`/`nbf` (Unix seconds),
    /// so the hot path (polling a task) skips the HMAC and JSON work.
    verified: RwLock<HashMap<String, TokenTimes>>,
    /// Where this app's events go.
    hooks: WebhookHub,
}

/// The time claims of a verified token.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TokenTimes {
    pub exp: Option<u64>,
    pub nbf: Option<u64>,
}

/// Most tasks kept per app: past it, the oldest tenth of the finished ones are forgotten.
pub const MAX_TASKS_PER_APP: usize = 100_000;
/// Most export files kept: past it, the oldest one is forgotten.
pub const MAX_EXPORT_FILES: usize = 10_000;

/// Forgets the oldest tenth of the finished (completed/failed, unscripted) tasks.
fn evict_finished(tasks: &mut HashMap<String, TaskRecord>) {
    let mut finished: Vec<(u64, String)> = tasks
        .iter()
        .filter(|(_, t)| t.script.is_none() && matches!(t.status, "completed" | "failed"))
        .map(|(id, t)| (t.updated_at_ns, id.clone()))
        .collect();
    finished.sort_unstable();
    let n = (tasks.len() / 10).max(1);
    for (_, id) in finished.into_iter().take(n) {
        tasks.remove(&id);
    }
}

/// Most tokens remembered per app (the cache is cleared when full).
const MAX_VERIFIED_TOKENS: usize = 1024;

impl std::fmt::Debug for AppState {
    /// Names the app and counts its data; never shows the secret or remembered tokens.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let data = read(&self.data);
        f.debug_struct("AppState")
            .field("creds", &self.creds)
            .field("users", &data.users.len())
            .field("channels", &data.channels.len())
            .field("tasks", &read(&self.tasks).len())
            .finish_non_exhaustive()
    }
}

impl AppState {
    fn new(creds: AppCredentials, hooks: WebhookHub) -> Self {
        Self {
            hooks,
            creds,
            data: RwLock::default(),
            tasks: RwLock::default(),
            job_failures: Mutex::default(),
            verified: RwLock::default(),
        }
    }

    /// Sends `event` to this app's webhook, if it has one that takes this type (never waits).
    pub fn emit(&self, event: Event) -> Option<String> {
        self.hooks.emit(&self.creds, event)
    }

    /// The download link of an export file as events carry it.
    pub fn export_url(&self, token: &str) -> String {
        self.hooks.export_url(token)
    }

    /// The time claims of `token` if it verified before.
    pub fn verified_token(&self, token: &str) -> Option<TokenTimes> {
        read(&self.verified).get(token).copied()
    }

    pub fn remember_token(&self, token: &str, times: TokenTimes) {
        let mut cache = write(&self.verified);
        if cache.len() >= MAX_VERIFIED_TOKENS {
            cache.clear();
        }
        cache.insert(token.to_owned(), times);
    }

    pub fn insert_task(&self, id: String, rec: TaskRecord) {
        let mut tasks = write(&self.tasks);
        if tasks.len() >= MAX_TASKS_PER_APP {
            evict_finished(&mut tasks);
        }
        tasks.insert(id, rec);
    }

    pub fn update_task(&self, id: &str, f: impl FnOnce(&mut TaskRecord)) {
        if let Some(t) = write(&self.tasks).get_mut(id) {
            f(t);
            t.updated_at_ns = crate::tasks::unix_ns();
        }
    }

    /// Renders a task's response body, or `None` when unknown.
    pub fn render_task(
        &self,
        id: &str,
        export_base: &dyn Fn() -> String,
        duration: &str,
        stamps: Stamps,
    ) -> Option<serde_json::Result<Vec<u8>>> {
        read(&self.tasks)
            .get(id)
            .map(|t| t.render(id, export_base, duration, stamps))
    }

    pub fn take_injected_failure(&self, kind: JobKind) -> Option<TaskError> {
        lock(&self.job_failures)
            .get_mut(&kind)
            .and_then(VecDeque::pop_front)
    }

    fn reset(&self) {
        *write(&self.data) = AppData::default();
        write(&self.tasks).clear();
        lock(&self.job_failures).clear();
    }
}

/// An export file: the app key that owns it, and its bytes.
type ExportFile = (String, axum::body::Bytes);

/// Export files by token, and their tokens oldest first.
#[derive(Debug, Default)]
struct Exports {
    files: HashMap<String, ExportFile>,
    order: VecDeque<String>,
}

struct Inner {
    config: EmulatorConfig,
    apps: HashMap<String, Arc<AppState>>,
    default_app: String,
    jobs: Jobs,
    faults: Faults,
    exports: Mutex<Exports>,
    limiter: RateLimiter,
    local_addr: OnceLock<SocketAddr>,
    shutdown: CancellationToken,
    webhooks: WebhookHub,
}

impl std::fmt::Debug for Inner {
    /// Export tokens are download keys: only their number is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorState")
            .field("config", &self.config)
            .field("apps", &self.apps)
            .field("exports", &lock(&self.exports).files.len())
            .field("faults", &self.faults.list().len())
            .finish_non_exhaustive()
    }
}

/// The emulator's state, shared by the router, the job workers and library calls.
/// Cheap to clone (an `Arc` inside).
///
/// Library calls mirror the admin API: [`seed`](Self::seed), [`add_fault`](Self::add_fault),
/// [`script_task`](Self::script_task), [`fail_next_jobs`](Self::fail_next_jobs),
/// [`reset`](Self::reset), [`snapshot`](Self::snapshot).
///
/// ```
/// use getstream_emulator::{EmulatorConfig, EmulatorState, SeedSpec};
/// let state = EmulatorState::new(EmulatorConfig::new().app("k", "s"));
/// state.seed("k", SeedSpec { users: 3, channels: 2, messages: 5 }).unwrap();
/// let snap = state.snapshot("k").unwrap();
/// assert_eq!(snap["channels"].as_array().unwrap().len(), 2);
/// assert!(state.seed("other", SeedSpec::default()).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct EmulatorState {
    inner: Arc<Inner>,
}

impl EmulatorState {
    /// Creates the state for `config`, seeding the default app with the config's seed spec.
    /// Needs no runtime; jobs are spawned on the runtime that serves the requests.
    pub fn new(config: EmulatorConfig) -> Self {
        let apps_list = config.apps();
        let default_app = apps_list[0].key().to_owned();
        let shutdown = CancellationToken::new();
        let webhooks = WebhookHub::new(
            config.get_webhook_queue(),
            config.get_public_url().map(str::to_owned),
            shutdown.clone(),
        );
        if let Some(url) = config.get_webhook_url() {
            webhooks.set_settings(&default_app, crate::WebhookSettings::new().url(url));
        }
        let apps = apps_list
            .into_iter()
            .map(|c| {
                let key = c.key().to_owned();
                (key, Arc::new(AppState::new(c, webhooks.clone())))
            })
            .collect::<HashMap<_, _>>();
        let state = Self {
            inner: Arc::new(Inner {
                jobs: Jobs::new(config.get_workers(), config.get_pace(), shutdown.clone()),
                limiter: RateLimiter::new(config.get_rate_limits().clone()),
                config,
                apps,
                default_app,
                faults: Faults::default(),
                exports: Mutex::default(),
                local_addr: OnceLock::new(),
                shutdown,
                webhooks,
            }),
        };
        let seed = state.inner.config.get_seed();
        if seed != SeedSpec::default() {
            write(&state.inner.apps[&state.inner.default_app].data).seed(seed);
        }
        state
    }

    /// The configuration.
    pub fn config(&self) -> &EmulatorConfig {
        &self.inner.config
    }

    /// The API key of the default (first) app.
    pub fn default_api_key(&self) -> &str {
        &self.inner.default_app
    }

    pub(crate) fn app(&self, key: &str) -> Option<&Arc<AppState>> {
        self.inner.apps.get(key)
    }

    fn app_or_err(&self, key: &str) -> Result<&Arc<AppState>, StateError> {
        self.app(key)
            .ok_or_else(|| StateError::UnknownApp(key.to_owned()))
    }

    pub(crate) fn faults_registry(&self) -> &Faults {
        &self.inner.faults
    }

    pub(crate) fn limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }

    pub(crate) fn shutdown_token(&self) -> &CancellationToken {
        &self.inner.shutdown
    }

    pub(crate) fn set_local_addr(&self, addr: SocketAddr) {
        let _ = self.inner.local_addr.set(addr);
        self.inner.webhooks.set_local_addr(addr);
    }

    pub(crate) fn webhooks(&self) -> &WebhookHub {
        &self.inner.webhooks
    }

    /// The base URL for export links: the config's public URL, else `http://{host}` from the
    /// request, else the bound address.
    pub(crate) fn export_base(&self, host: Option<&str>) -> String {
        if let Some(url) = self.inner.config.get_public_url() {
            return url.to_owned();
        }
        match (host, self.inner.local_addr.get()) {
            (Some(h), _) => format!("http://{h}"),
            (None, Some(addr)) => format!("http://{addr}"),
            (None, None) => "http://localhost".to_owned(),
        }
    }

    pub(crate) fn store_export(&self, app_key: &str, bytes: Vec<u8>) -> String {
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let mut exports = lock(&self.inner.exports);
        if exports.files.len() >= MAX_EXPORT_FILES
            && let Some(oldest) = exports.order.pop_front()
        {
            exports.files.remove(&oldest);
        }
        exports.order.push_back(token.clone());
        exports.files.insert(
            token.clone(),
            (app_key.to_owned(), axum::body::Bytes::from(bytes)),
        );
        token
    }

    pub(crate) fn export_file(&self, token: &str) -> Option<axum::body::Bytes> {
        lock(&self.inner.exports)
            .files
            .get(token)
            .map(|(_, b)| b.clone())
    }

    pub(crate) fn submit_job(
        &self,
        app: &Arc<AppState>,
        kind: JobKind,
        items: usize,
        work: Work,
    ) -> String {
        self.inner.jobs.submit(Arc::clone(app), kind, items, work)
    }

    /// Creates bulk data in an app (see [`SeedSpec`]).
    ///
    /// # Errors
    /// [`StateError::UnknownApp`] when no app has this key.
    pub fn seed(&self, app_key: &str, spec: SeedSpec) -> Result<(), StateError> {
        write(&self.app_or_err(app_key)?.data).seed(spec);
        Ok(())
    }

    /// Makes the next matching responses fail, hang or drop (see [`Fault`]). Returns its id.
    pub fn add_fault(&self, fault: Fault) -> u64 {
        self.inner.faults.add(fault)
    }

    /// Removes all faults.
    pub fn clear_faults(&self) {
        self.inner.faults.clear();
    }

    /// The active faults with their ids and remaining counts.
    pub fn faults(&self) -> Vec<(u64, Fault)> {
        self.inner.faults.list()
    }

    /// Creates a task whose statuses follow `task`'s script. Returns its id.
    ///
    /// # Errors
    /// [`StateError::UnknownApp`], or [`StateError::TaskExists`] when the id is taken,
    /// or [`StateError::Invalid`] for an empty id.
    pub fn script_task(&self, app_key: &str, task: ScriptedTask) -> Result<String, StateError> {
        let app = self.app_or_err(app_key)?;
        let id = task
            .task_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if id.is_empty() || id.len() > 256 {
            return Err(StateError::Invalid(
                "task_id must be 1..=256 characters".into(),
            ));
        }
        let mut tasks = write(&app.tasks);
        if tasks.contains_key(&id) {
            return Err(StateError::TaskExists(id));
        }
        tasks.insert(id.clone(), TaskRecord::scripted(task));
        Ok(id)
    }

    /// Makes the next `count` jobs of `kind` in an app end `failed` with `error`.
    ///
    /// # Errors
    /// [`StateError::UnknownApp`].
    pub fn fail_next_jobs(
        &self,
        app_key: &str,
        kind: JobKind,
        count: usize,
        error: TaskError,
    ) -> Result<(), StateError> {
        let app = self.app_or_err(app_key)?;
        let mut failures = lock(&app.job_failures);
        let queue = failures.entry(kind).or_default();
        queue.extend(std::iter::repeat_n(error, count));
        Ok(())
    }

    /// Forgets all data, tasks, export files, injected failures, faults, rate-limit windows and
    /// webhook delivery records of every app (webhook settings stay). Jobs already running
    /// finish against the emptied data.
    pub fn reset(&self) {
        self.inner.webhooks.clear();
        for app in self.inner.apps.values() {
            app.reset();
        }
        *lock(&self.inner.exports) = Exports::default();
        self.inner.faults.clear();
        self.inner.limiter.reset();
    }

    /// A JSON picture of an app's data: `{"users": [...], "channels": [{..., "members": [...],
    /// "messages": [...]}]}` (soft-deleted items included, with `deleted_at`).
    ///
    /// # Errors
    /// [`StateError::UnknownApp`].
    pub fn snapshot(&self, app_key: &str) -> Result<Value, StateError> {
        let app = self.app_or_err(app_key)?;
        let data = read(&app.data);
        let users: Vec<Value> = data.users.values().map(shapes::user).collect();
        let channels: Vec<Value> = data
            .channels
            .values()
            .map(|c| {
                let cid = c.cid();
                let mut ch = shapes::channel(c, &data.users);
                ch["members"] = c
                    .members
                    .iter()
                    .map(|m| shapes::member(m, &data.users))
                    .collect();
                ch["messages"] = c
                    .messages
                    .iter()
                    .map(|m| shapes::message(m, &cid, &data.users))
                    .collect();
                ch
            })
            .collect();
        Ok(json!({ "users": users, "channels": channels }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_forgets_only_old_finished_tasks() {
        let mut tasks = HashMap::new();
        for i in 0..20u64 {
            let mut t = TaskRecord::pending();
            t.updated_at_ns = i;
            if i % 2 == 0 {
                t.status = "completed";
            }
            tasks.insert(format!("t{i}"), t);
        }
        evict_finished(&mut tasks);
        assert_eq!(tasks.len(), 18);
        assert!(!tasks.contains_key("t0") && !tasks.contains_key("t2"));
        assert!(tasks.contains_key("t1") && tasks.contains_key("t4"));
    }
}
