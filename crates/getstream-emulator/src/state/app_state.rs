//! One app's state: its credentials, data, tasks, injected job failures and verified tokens.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use crate::config::AppCredentials;
use crate::data::app_data::AppData;
use crate::jobs::job::{JobKind, TaskFailure};
use crate::jobs::task::{Stamps, TaskRecord};
use crate::jobs::task_store::QueueFull;
use crate::jobs::task_store::TaskStore;
use crate::persist::{DataDirError, JobSpec, Persist};
use crate::state::sync::{lock, read, write};
use crate::webhooks::WebhookHub;
use crate::webhooks::payload::Event;

/// One app: its credentials and data.
pub(crate) struct AppState {
    pub creds: AppCredentials,
    pub data: RwLock<AppData>,
    /// Feeds data, under its own lock (see `feeds`).
    pub feeds: RwLock<crate::feeds::FeedsData>,
    tasks: RwLock<TaskStore>,
    /// How long the export links this app hands out are valid.
    link_ttl: Duration,
    job_failures: Mutex<HashMap<JobKind, VecDeque<TaskFailure>>>,
    /// Tokens that verified with this app's secret, with their `exp`/`nbf` (Unix seconds),
    /// so the hot path (polling a task) skips the HMAC and JSON work.
    verified: RwLock<HashMap<String, TokenTimes>>,
    /// Where this app's events go.
    hooks: WebhookHub,
    /// The data dir, when there is one: changes are saved there.
    persist: Option<Arc<Persist>>,
}

/// Why a job was not started.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SubmitError {
    /// The app holds too many unfinished tasks.
    #[error(transparent)]
    Full(#[from] QueueFull),
    /// The task could not be stored in the data dir.
    #[error(transparent)]
    Store(#[from] DataDirError),
}

/// The time claims of a verified token.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TokenTimes {
    pub exp: Option<u64>,
    pub nbf: Option<u64>,
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
    pub fn new(
        creds: AppCredentials,
        hooks: WebhookHub,
        link_ttl: Duration,
        max_tasks: usize,
    ) -> Self {
        Self {
            hooks,
            creds,
            data: RwLock::default(),
            feeds: RwLock::default(),
            tasks: RwLock::new(TaskStore::new(max_tasks)),
            link_ttl,
            job_failures: Mutex::default(),
            verified: RwLock::default(),
            persist: None,
        }
    }

    /// Saves this app's changes to `persist` (the data dir) from now on.
    pub fn with_persist(mut self, persist: Option<Arc<Persist>>) -> Self {
        if persist.is_some() {
            self.data
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .changes
                .track();
        }
        self.persist = persist;
        self
    }

    /// The data dir, if any.
    pub fn persist(&self) -> Option<&Arc<Persist>> {
        self.persist.as_ref()
    }

    /// Sends `event` to this app's webhook, if it has one that takes this type (never waits);
    /// returns the webhook id then.
    pub fn emit(&self, event: Event) -> Option<String> {
        self.hooks.emit(&self.creds, event)
    }

    /// Whether the app has a webhook (so entity events are worth building).
    pub fn has_webhook(&self) -> bool {
        self.hooks.settings(self.creds.key()).has_destination()
    }

    /// The download link of an export file as events carry it (signed, expiring).
    pub fn export_url(&self, token: &str) -> String {
        format!(
            "{}?{}",
            self.hooks.export_url(token),
            self.export_link_query(token)
        )
    }

    /// The signed query of a fresh link to this app's export file `token`.
    pub fn export_link_query(&self, token: &str) -> String {
        crate::exports::link::signed_query(
            token,
            self.creds.key(),
            self.creds.secret(),
            self.link_ttl,
            crate::exports::link::now_unix(),
        )
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

    /// Records a new task of `job` (`None`: a scripted task, kept in memory only): the one
    /// place a task is inserted. With a data dir a job's task is stored before this returns
    /// `Ok(true)`: a restart will find it and resume `job`.
    ///
    /// # Errors
    /// [`SubmitError::Full`] when the app holds its cap of unfinished tasks (`EmulatorConfig::max_tasks`);
    /// [`SubmitError::Store`] when the task could not be stored (it is not kept then).
    pub fn insert_task(
        &self,
        id: &str,
        rec: TaskRecord,
        job: Option<&JobSpec>,
    ) -> Result<bool, SubmitError> {
        let mut tasks = write(&self.tasks);
        let Some(persist) = self.persist.as_ref().filter(|_| rec.script.is_none()) else {
            return Ok(tasks.insert(id, rec)?);
        };
        let row = crate::persist::TaskRow::new(&rec);
        let mut evicted = Vec::new();
        if !tasks.insert_evicting(id, rec, &mut evicted)? {
            return Ok(false);
        }
        if let Err(e) = persist.insert_task(self.creds.key(), id, &row, job, &evicted) {
            tasks.remove(id);
            return Err(SubmitError::Store(e));
        }
        Ok(true)
    }

    /// Puts back a task loaded from the data dir (not stored again).
    pub fn restore_task(&self, id: &str, rec: TaskRecord) {
        // At most the cap is loaded: the rows past it were forgotten in memory already.
        let _ = write(&self.tasks).insert(id, rec);
    }

    /// Changes a task (and stamps its `updated_at`): the one place a task is updated.
    pub fn update_task(&self, id: &str, f: impl FnOnce(&mut TaskRecord)) {
        let mut tasks = write(&self.tasks);
        if tasks.update(id, f)
            && let Some(persist) = &self.persist
            && let Some(t) = tasks.get(id).filter(|t| t.script.is_none())
        {
            persist.update_task(self.creds.key(), id, t);
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
        read(&self.tasks).get(id).map(|t| {
            let url = |token: &str| {
                format!(
                    "{}/_emulator/exports/{token}.json?{}",
                    export_base(),
                    self.export_link_query(token)
                )
            };
            t.render(id, &url, duration, stamps)
        })
    }

    /// Makes the next `count` jobs of `kind` end with `failure`.
    pub fn queue_failures(&self, kind: JobKind, count: usize, failure: TaskFailure) {
        lock(&self.job_failures)
            .entry(kind)
            .or_default()
            .extend(std::iter::repeat_n(failure, count));
    }

    pub fn take_injected_failure(&self, kind: JobKind) -> Option<TaskFailure> {
        lock(&self.job_failures)
            .get_mut(&kind)
            .and_then(VecDeque::pop_front)
    }

    pub fn reset(&self) {
        let mut data = self.data_mut();
        let changes = std::mem::take(&mut data.changes);
        *data = AppData::default();
        data.changes = changes;
        data.changes.everything();
        drop(data);
        let mut tasks = write(&self.tasks);
        if let Some(persist) = &self.persist {
            persist.delete_tasks(self.creds.key());
        }
        tasks.clear();
        drop(tasks);
        lock(&self.job_failures).clear();
    }
}
