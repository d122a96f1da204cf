//! Start-up on a data dir: [`EmulatorState::open`] loads every app's rows and hands them,
//! with the open database, to the state being built.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::{DataDirError, JobSpec, Persist, StoredTask};
use crate::config::EmulatorConfig;
use crate::data::app_data::AppData;
use crate::exports::{ExportEntry, ExportStore};
use crate::jobs::job::TaskFailure;
use crate::jobs::task::TaskStatus;
use crate::state::EmulatorState;
use crate::state::app_state::AppState;
use crate::webhooks::WebhookHub;
use crate::webhooks::settings::WebhookSettings;

/// What a data dir held at start-up, and the database changes go to from then on.
#[derive(Debug)]
pub(crate) struct Stored {
    persist: Arc<Persist>,
    apps: HashMap<String, StoredApp>,
    exports_root: PathBuf,
    exports: Vec<(String, ExportEntry)>,
}

#[derive(Debug, Default)]
struct StoredApp {
    data: AppData,
    settings: Option<WebhookSettings>,
    tasks: Vec<StoredTask>,
    feeds: crate::feeds::FeedsData,
}

/// A task whose job had not finished when the emulator stopped: app key, task id, job.
type Unfinished = (String, String, Option<JobSpec>);

impl Stored {
    /// Loads the rows of each of `config`'s apps (rows of other apps stay in the file,
    /// untouched, for when they are configured again).
    fn load(persist: Persist, config: &EmulatorConfig) -> Result<Self, DataDirError> {
        let mut apps = HashMap::new();
        for creds in config.apps() {
            let key = creds.key();
            let app = StoredApp {
                data: persist.load_data(key)?,
                settings: persist.load_settings(key)?,
                tasks: persist.load_tasks(key)?,
                feeds: crate::feeds::load(&persist, key)?,
            };
            apps.insert(key.to_owned(), app);
        }
        // Export files live in the data dir unless the config puts them elsewhere.
        let exports_root = config
            .exports_root()
            .map_or_else(|| persist.exports_dir(), ToOwned::to_owned);
        let exports = persist.load_exports(&exports_root)?;
        Ok(Self {
            persist: Arc::new(persist),
            apps,
            exports_root,
            exports,
        })
    }

    /// The export store on the data dir, with the stored files indexed again.
    pub fn export_store(&mut self) -> ExportStore {
        let store = ExportStore::new(Some(self.exports_root.clone()));
        for (token, entry) in std::mem::take(&mut self.exports) {
            store.register(&token, entry);
        }
        store.with_persist(Some(Arc::clone(&self.persist)))
    }

    /// Puts the stored webhook settings back, and saves changes to them from now on.
    pub fn restore_settings(&mut self, hub: &WebhookHub) {
        for (key, app) in &mut self.apps {
            if let Some(settings) = app.settings.take() {
                hub.set_settings(key, settings);
            }
        }
        hub.persist_to(Arc::clone(&self.persist));
    }

    /// Gives `app` its stored data and tasks, and saves its changes from now on.
    pub fn restore_app(&mut self, mut app: AppState) -> AppState {
        if let Some(stored) = self.apps.get_mut(app.creds.key()) {
            *app.data
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                std::mem::take(&mut stored.data);
            *app.feeds
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                std::mem::take(&mut stored.feeds);
            for (id, rec, _) in std::mem::take(&mut stored.tasks) {
                app.restore_task(&id, rec);
            }
        }
        app.with_persist(Some(Arc::clone(&self.persist)))
    }

    /// The tasks that had not finished, with their jobs.
    fn unfinished(&self) -> Vec<Unfinished> {
        let mut out = Vec::new();
        for (key, app) in &self.apps {
            for (id, rec, job) in &app.tasks {
                if !rec.status.is_finished() {
                    out.push((key.clone(), id.clone(), job.clone()));
                }
            }
        }
        out
    }
}

/// Starts again the jobs of tasks that had not finished, from their stored input (their
/// pending and running times start over). A task whose job cannot be rebuilt fails, saying
/// why. Needs a tokio runtime; without one the tasks stay as they are, for a start that has
/// one.
fn resume(state: &EmulatorState, unfinished: Vec<Unfinished>) {
    if unfinished.is_empty() {
        return;
    }
    if tokio::runtime::Handle::try_current().is_err() {
        tracing::warn!(
            tasks = unfinished.len(),
            "not inside a tokio runtime: unfinished tasks are not resumed"
        );
        return;
    }
    for (key, id, job) in unfinished {
        let Some(app) = state.app(&key) else { continue };
        let rebuilt = match &job {
            Some(job) => crate::handlers::resume::work(state, job).map(|w| (job, w)),
            None => Err("its job was not stored".to_owned()),
        };
        match rebuilt {
            Ok((job, work)) => {
                tracing::info!(app = %key, task_id = %id, job = %job.kind, "resuming a job");
                state
                    .jobs()
                    .start(Arc::clone(app), id, job.kind, job.items, work);
            }
            Err(why) => {
                tracing::warn!(app = %key, task_id = %id, reason = %why, "cannot resume a job");
                app.update_task(&id, |t| {
                    t.status = TaskStatus::Failed;
                    t.error = Some(TaskFailure::new(
                        "ResumeError",
                        format!("the emulator restarted and could not resume this job: {why}"),
                    ));
                });
            }
        }
    }
}

impl EmulatorState {
    /// [`new`](Self::new), on the config's [data dir](EmulatorConfig::data_dir) when it has
    /// one: opens (or creates) its database, loads every app's users, channels, messages,
    /// tasks and webhook settings, and saves each change from then on. Without a data dir,
    /// the same as `new`. [`Emulator::start`](crate::Emulator::start) calls it.
    ///
    /// ```
    /// use getstream_emulator::{EmulatorConfig, EmulatorState, SeedSpec};
    /// let dir = std::env::temp_dir().join(format!("emu-doc-{}", std::process::id()));
    /// let config = EmulatorConfig::new().app("k", "s").data_dir(&dir);
    /// let state = EmulatorState::open(config.clone()).unwrap();
    /// state.seed("k", SeedSpec { users: 2, channels: 1, messages: 3 }).unwrap();
    /// drop(state);
    /// let again = EmulatorState::open(config).unwrap();
    /// let snap = again.snapshot("k").unwrap();
    /// assert_eq!(snap["channels"][0]["messages"].as_array().unwrap().len(), 3);
    /// # drop(again);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`DataDirError`]: the directory cannot be created or written, the database is not
    /// ours (another program's file, or damaged), is empty, is missing beside an earlier
    /// emulator's export files, is read-only, is newer than this build, or is held by
    /// another emulator.
    pub fn open(config: EmulatorConfig) -> Result<Self, DataDirError> {
        let Some(dir) = config.data_directory() else {
            return Ok(Self::new(config));
        };
        let persist = Persist::open(dir, config.resets_data())?;
        let stored = Stored::load(persist, &config)?;
        let unfinished = stored.unfinished();
        let state = Self::build(config, Some(stored));
        resume(&state, unfinished);
        Ok(state)
    }
}
