//! The emulator's shared state: apps and their data, tasks, exports, faults, rate limits.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::config::{EmulatorConfig, SeedSpec};
use crate::data::shapes;
use crate::data::state_page::StatePage;
use crate::exports::{ExportEntry, ExportStore};
use crate::http::faults::{Fault, Faults};
use crate::http::ratelimit::RateLimiter;
use crate::jobs::job::{JobKind, TaskFailure};
use crate::jobs::pool::{Work, WorkerPool};
use crate::jobs::script::ScriptedTask;
use crate::jobs::task::TaskRecord;
use crate::persist::{JobSpec, Stored};
use crate::state::app_state::{AppState, SubmitError};
use crate::state::sync::read;
use crate::webhooks::WebhookHub;
use crate::webhooks::settings::WebhookSettings;

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
    /// The app's task store is full of unfinished tasks (the HTTP API answers 429).
    #[error("too many unfinished tasks ({cap}): wait for some to finish")]
    TooManyTasks {
        /// The store's cap (`EmulatorConfig::max_tasks`).
        cap: usize,
    },
}

struct Inner {
    config: EmulatorConfig,
    apps: HashMap<String, Arc<AppState>>,
    default_app: String,
    jobs: WorkerPool,
    faults: Faults,
    exports: ExportStore,
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
            .field("exports", &self.exports.len())
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
    ///
    /// Memory only: never touches the disk, even when the config has a
    /// [data dir](EmulatorConfig::data_dir) (see [`open`](Self::open)).
    pub fn new(config: EmulatorConfig) -> Self {
        Self::build(config, None)
    }

    /// [`new`](Self::new), with the data loaded from a data dir (`persist`) and saved to it.
    pub(crate) fn build(config: EmulatorConfig, mut stored: Option<Stored>) -> Self {
        let apps_list = config.apps();
        let default_app = apps_list[0].key().to_owned();
        let shutdown = CancellationToken::new();
        let webhooks = WebhookHub::new(
            config.webhook_queue_capacity(),
            config.public_base_url().map(str::to_owned),
            shutdown.clone(),
        );
        if let Some(stored) = &mut stored {
            stored.restore_settings(&webhooks);
        }
        // The flag wins over a stored URL (and is stored in its turn).
        if let Some(url) = config.default_webhook_url() {
            webhooks.set_settings(&default_app, WebhookSettings::new().url(url));
        }
        let apps = apps_list
            .into_iter()
            .map(|c| {
                let key = c.key().to_owned();
                let app = AppState::new(
                    c,
                    webhooks.clone(),
                    config.export_link_lifetime(),
                    config.task_cap(),
                );
                let app = match &mut stored {
                    Some(stored) => stored.restore_app(app),
                    None => app,
                };
                (key, Arc::new(app))
            })
            .collect::<HashMap<_, _>>();
        let exports = match &mut stored {
            Some(stored) => stored.export_store(),
            None => ExportStore::new(config.exports_root().map(ToOwned::to_owned)),
        };
        let state = Self {
            inner: Arc::new(Inner {
                jobs: WorkerPool::new(config.worker_count(), config.job_pace(), shutdown.clone()),
                limiter: RateLimiter::new(config.rate_limit_rules().clone()),
                config,
                apps,
                default_app,
                faults: Faults::default(),
                exports,
                local_addr: OnceLock::new(),
                shutdown,
                webhooks,
            }),
        };
        let seed = state.inner.config.seed_spec();
        let default_app = &state.inner.apps[&state.inner.default_app];
        // Data loaded from a data dir is not seeded again at each start.
        let empty = {
            let data = read(&default_app.data);
            data.users.is_empty() && data.channels.is_empty()
        };
        if seed != SeedSpec::default() && empty {
            default_app.data_mut().seed(seed);
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
        if let Some(url) = self.inner.config.public_base_url() {
            return url.to_owned();
        }
        match (host, self.inner.local_addr.get()) {
            (Some(h), _) => format!("http://{h}"),
            (None, Some(addr)) => format!("http://{addr}"),
            (None, None) => "http://localhost".to_owned(),
        }
    }

    /// The export file store.
    pub(crate) fn exports(&self) -> &ExportStore {
        &self.inner.exports
    }

    /// The export file of a token.
    pub(crate) fn export_file(&self, token: &str) -> Option<ExportEntry> {
        self.inner.exports.get(token)
    }

    /// The API key of the app whose export file `token` names, if it exists.
    pub(crate) fn export_app(&self, token: &str) -> Option<String> {
        self.inner.exports.get(token).map(|entry| entry.app_key)
    }

    pub(crate) fn submit_job(
        &self,
        app: &Arc<AppState>,
        job: JobSpec,
        work: Work,
    ) -> Result<String, SubmitError> {
        self.inner.jobs.submit(Arc::clone(app), job, work)
    }

    /// The worker pool.
    pub(crate) fn jobs(&self) -> &WorkerPool {
        &self.inner.jobs
    }

    /// Creates bulk data in an app (see [`SeedSpec`]).
    ///
    /// # Errors
    /// [`StateError::UnknownApp`] when no app has this key; [`StateError::Invalid`] when the
    /// seed would take more than half the memory available ([`SeedSpec::fits_in`]).
    pub fn seed(&self, app_key: &str, spec: SeedSpec) -> Result<(), StateError> {
        let app = self.app_or_err(app_key)?;
        spec.fits_in(crate::config::available_memory())
            .map_err(StateError::Invalid)?;
        app.data_mut().seed(spec);
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
    /// [`StateError::TooManyTasks`] when the app's task store is full of unfinished tasks,
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
        match app.insert_task(&id, TaskRecord::scripted(task), None) {
            Ok(true) => {}
            Ok(false) => return Err(StateError::TaskExists(id)),
            Err(SubmitError::Full(full)) => {
                return Err(StateError::TooManyTasks { cap: full.cap });
            }
            Err(e @ SubmitError::Store(_)) => return Err(StateError::Invalid(e.to_string())),
        }
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
        error: TaskFailure,
    ) -> Result<(), StateError> {
        let app = self.app_or_err(app_key)?;
        app.queue_failures(kind, count, error);
        Ok(())
    }

    /// Forgets all data, tasks, export files, injected failures, faults, rate-limit windows and
    /// webhook delivery records of every app (webhook settings stay). Jobs already running
    /// finish against the emptied data.
    pub fn reset(&self) {
        self.inner.webhooks.clear();
        for app in self.inner.apps.values() {
            app.reset();
            // Feeds keep their own lock and tables (`feeds/`), so they are emptied here,
            // beside the app's chat data.
            crate::feeds::feeds_mut(app).clear();
        }
        self.inner.exports.clear();
        self.inner.faults.clear();
        self.inner.limiter.reset();
    }

    /// A page of an app's data (see [`StatePage`]): `{"users": [...], "users_total",
    /// "channels": [{..., "members", "messages", "messages_total"}], "channels_total",
    /// "offset", "limit", "messages_offset", "messages_limit", "next_offset"}`. Memory is
    /// bounded by the page, whatever the app holds.
    ///
    /// # Errors
    /// [`StateError::UnknownApp`], or [`StateError::Invalid`] for a page past its bounds.
    pub fn snapshot_page(&self, app_key: &str, page: StatePage) -> Result<Value, StateError> {
        page.check()
            .map_err(|(field, problem)| StateError::Invalid(format!("{field} {problem}")))?;
        let app = self.app_or_err(app_key)?;
        Ok(page.render(&read(&app.data)))
    }

    /// A JSON picture of all an app's data: `{"users": [...], "channels": [{..., "members": [...],
    /// "messages": [...]}]}` (soft-deleted items included, with `deleted_at`). It holds every
    /// message at once: for big data use [`snapshot_page`](Self::snapshot_page).
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
            .map(|c| shapes::channel_with(c, &data.users, c.messages.iter()))
            .collect();
        Ok(json!({ "users": users, "channels": channels }))
    }
}
