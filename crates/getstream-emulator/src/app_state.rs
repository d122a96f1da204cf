//! One app's state: its credentials, data, tasks, injected job failures and verified tokens.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};

use crate::config::AppCredentials;
use crate::job::{JobKind, TaskFailure};
use crate::persist::{DataDirError, JobSpec, Persist};
use crate::store::AppData;
use crate::sync::{lock, read, write};
use crate::task::{Stamps, TaskRecord};
use crate::webhooks::WebhookHub;
use crate::webhooks::payload::Event;

/// One app: its credentials and data.
pub(crate) struct AppState {
    pub creds: AppCredentials,
    pub data: RwLock<AppData>,
    tasks: RwLock<HashMap<String, TaskRecord>>,
    job_failures: Mutex<HashMap<JobKind, VecDeque<TaskFailure>>>,
    /// Tokens that verified with this app's secret, with their `exp`/`nbf` (Unix seconds),
    /// so the hot path (polling a task) skips the HMAC and JSON work.
    verified: RwLock<HashMap<String, TokenTimes>>,
    /// Where this app's events go.
    hooks: WebhookHub,
    /// The data dir, when there is one: changes are saved there.
    persist: Option<Arc<Persist>>,
}

/// The time claims of a verified token.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TokenTimes {
    pub exp: Option<u64>,
    pub nbf: Option<u64>,
}

/// Most tasks kept per app: past it, the oldest tenth of the finished ones are forgotten.
pub const MAX_TASKS_PER_APP: usize = 100_000;

/// Forgets the oldest tenth of the finished (completed/failed, unscripted) tasks; returns
/// their ids.
fn evict_finished(tasks: &mut HashMap<String, TaskRecord>) -> Vec<String> {
    let mut finished: Vec<(u64, String)> = tasks
        .iter()
        .filter(|(_, t)| t.script.is_none() && t.status.is_finished())
        .map(|(id, t)| (t.updated_at_ns, id.clone()))
        .collect();
    finished.sort_unstable();
    let n = (tasks.len() / 10).max(1);
    let mut evicted = Vec::with_capacity(n);
    for (_, id) in finished.into_iter().take(n) {
        tasks.remove(&id);
        evicted.push(id);
    }
    evicted
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
    pub fn new(creds: AppCredentials, hooks: WebhookHub) -> Self {
        Self {
            hooks,
            creds,
            data: RwLock::default(),
            tasks: RwLock::default(),
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

    /// Records a new task of `job`. With a data dir it is stored first: `Ok` means a
    /// restart will find it (and resume `job`).
    pub fn insert_task(
        &self,
        id: String,
        rec: TaskRecord,
        job: Option<&JobSpec>,
    ) -> Result<(), DataDirError> {
        let mut tasks = write(&self.tasks);
        if let Some(persist) = &self.persist {
            persist.insert_task(self.creds.key(), &id, &rec, job)?;
        }
        if tasks.len() >= MAX_TASKS_PER_APP {
            let evicted = evict_finished(&mut tasks);
            if let Some(persist) = &self.persist {
                persist.delete_tasks(self.creds.key(), Some(&evicted));
            }
        }
        tasks.insert(id, rec);
        Ok(())
    }

    /// Puts back a task loaded from the data dir (not stored again).
    pub fn restore_task(&self, id: String, rec: TaskRecord) {
        write(&self.tasks).insert(id, rec);
    }

    pub fn update_task(&self, id: &str, f: impl FnOnce(&mut TaskRecord)) {
        let mut tasks = write(&self.tasks);
        if let Some(t) = tasks.get_mut(id) {
            f(t);
            t.updated_at_ns = crate::task::unix_ns();
            if let Some(persist) = &self.persist
                && t.script.is_none()
            {
                persist.update_task(self.creds.key(), id, t);
            }
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

    /// Inserts a task under an id not yet taken; `false` (and no change) when it is.
    pub fn insert_new_task(&self, id: &str, rec: TaskRecord) -> bool {
        let mut tasks = write(&self.tasks);
        if tasks.contains_key(id) {
            return false;
        }
        tasks.insert(id.to_owned(), rec);
        true
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
            persist.delete_tasks(self.creds.key(), None);
        }
        tasks.clear();
        drop(tasks);
        lock(&self.job_failures).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::TaskStatus;

    #[test]
    fn eviction_forgets_only_old_finished_tasks() {
        let mut tasks = HashMap::new();
        for i in 0..20u64 {
            let mut t = TaskRecord::pending();
            t.updated_at_ns = i;
            if i % 2 == 0 {
                t.status = TaskStatus::Completed;
            }
            tasks.insert(format!("t{i}"), t);
        }
        evict_finished(&mut tasks);
        assert_eq!(tasks.len(), 18);
        assert!(!tasks.contains_key("t0") && !tasks.contains_key("t2"));
        assert!(tasks.contains_key("t1") && tasks.contains_key("t4"));
    }
}
