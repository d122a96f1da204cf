//! The soak's books: every task id the API acknowledged (a `201` with a
//! `task_id`), what its waiter saw, the counters of the run, and every timed
//! task poll. The invariants are checked against these at the end.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde_json::Value;

/// The job a task was started for, with what its result must show.
#[derive(Debug, Clone)]
pub enum Job {
    /// An export of these channels (cids): its file lists exactly them.
    ExportChannels(Vec<String>),
    /// An export of these users: its file lists exactly them.
    ExportUsers(Vec<String>),
    /// A hard delete of these users: the result has each with `ok`.
    DeleteUsers(Vec<String>),
    /// A hard delete of these channels: the result has each with `ok`.
    DeleteChannels(Vec<String>),
}

impl Job {
    /// A short name, for the figures.
    pub fn name(&self) -> &'static str {
        match self {
            Job::ExportChannels(_) => "export_channels",
            Job::ExportUsers(_) => "export_users",
            Job::DeleteUsers(_) => "delete_users",
            Job::DeleteChannels(_) => "delete_channels",
        }
    }
}

/// How a task ended, as one observer saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    /// `completed`, and its result checked out.
    Completed,
    /// `failed`, with this error `type` and description.
    Failed(String),
}

/// One acknowledged task.
#[derive(Debug)]
pub struct Entry {
    /// What was asked.
    pub job: Job,
    /// What the SDK's wait answered (`Err`: the wait itself ended in an error).
    pub waited: Option<Result<End, String>>,
    /// What the final check read from the server.
    pub verified: Option<End>,
}

/// Counters of the run (all monotonic).
#[derive(Debug, Default)]
pub struct Counters {
    /// Start requests sent through the SDK.
    pub start_attempts: AtomicU64,
    /// Start requests the SDK reported as an error (injected faults, mostly).
    pub start_errors: AtomicU64,
    /// Export files downloaded and checked.
    pub downloads: AtomicU64,
    /// Bytes of those files.
    pub download_bytes: AtomicU64,
    /// Bytes of the export files first downloaded after the warm-up (by the
    /// client that started the export; the final check's reads not counted).
    pub exported_after_warmup: AtomicU64,
    /// Download attempts answered by an injected fault (then retried).
    pub download_faulted: AtomicU64,
    /// Task polls that got an HTTP answer (timed).
    pub polls: AtomicU64,
    /// Task polls answered by an injected fault (a marked body or no answer).
    pub polls_faulted: AtomicU64,
    /// Faults injected through the admin API.
    pub faults: AtomicU64,
    /// Times all faults were cleared.
    pub fault_clears: AtomicU64,
    /// Job failures injected (each makes one next job of its kind fail).
    pub job_failures: AtomicU64,
    /// Admin requests that failed (a fault could not be set).
    pub admin_errors: AtomicU64,
    /// Bad HTTP requests sent.
    pub bad_requests: AtomicU64,
    /// ... answered by an injected fault instead (not held against the server).
    pub bad_faulted: AtomicU64,
    /// Slow, half-closed or garbage connections opened.
    pub bad_connections: AtomicU64,
    /// ... of which the server closed or answered within the probe's time.
    pub bad_connections_closed: AtomicU64,
}

/// Adds one to a counter.
pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Reads a counter.
pub fn read(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

/// The books.
#[derive(Debug)]
pub struct Ledger {
    /// The end of the warm-up.
    warm_until: Instant,
    /// Tasks acknowledged after the warm-up.
    acknowledged_after_warmup: AtomicU64,
    tasks: Mutex<HashMap<String, Entry>>,
    /// In acknowledgement order, for the pollers' picks.
    order: Mutex<Vec<String>>,
    /// Ids acknowledged twice.
    duplicates: Mutex<Vec<String>>,
    /// Broken promises, each a line of the report.
    violations: Mutex<Vec<String>>,
    /// Milliseconds of every timed task poll.
    poll_ms: Mutex<Vec<f64>>,
    /// Status codes of the bad requests' answers (`"error"` when none came).
    bad_statuses: Mutex<HashMap<String, u64>>,
    /// The counters.
    pub counters: Counters,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Ledger {
    /// Empty books; the warm-up ends at `warm_until`.
    pub fn new(warm_until: Instant) -> Ledger {
        Ledger {
            warm_until,
            acknowledged_after_warmup: AtomicU64::new(0),
            tasks: Mutex::default(),
            order: Mutex::default(),
            duplicates: Mutex::default(),
            violations: Mutex::default(),
            poll_ms: Mutex::default(),
            bad_statuses: Mutex::default(),
            counters: Counters::default(),
        }
    }

    /// How many tasks were acknowledged after the warm-up.
    pub fn acknowledged_after_warmup(&self) -> u64 {
        read(&self.acknowledged_after_warmup)
    }

    /// Records an acknowledged task; a second acknowledgement of one id is a
    /// duplicate (and a violation).
    pub fn acknowledge(&self, id: &str, job: Job) {
        let mut tasks = lock(&self.tasks);
        if tasks.contains_key(id) {
            lock(&self.duplicates).push(id.to_owned());
            self.violation(format!("task id {id} acknowledged twice"));
            return;
        }
        tasks.insert(
            id.to_owned(),
            Entry {
                job,
                waited: None,
                verified: None,
            },
        );
        lock(&self.order).push(id.to_owned());
        if Instant::now() > self.warm_until {
            bump(&self.acknowledged_after_warmup);
        }
    }

    /// Records what the SDK's wait on `id` answered.
    pub fn waited(&self, id: &str, outcome: Result<End, String>) {
        if let Some(e) = lock(&self.tasks).get_mut(id) {
            e.waited = Some(outcome);
        }
    }

    /// Records what the final check read for `id`.
    pub fn verified(&self, id: &str, end: End) {
        if let Some(e) = lock(&self.tasks).get_mut(id) {
            e.verified = Some(end);
        }
    }

    /// Whether the SDK's wait on `id` saw it complete (and its client checked
    /// the result then).
    pub fn wait_completed(&self, id: &str) -> bool {
        lock(&self.tasks)
            .get(id)
            .is_some_and(|e| matches!(e.waited, Some(Ok(End::Completed))))
    }

    /// The job of `id`.
    pub fn job(&self, id: &str) -> Option<Job> {
        lock(&self.tasks).get(id).map(|e| e.job.clone())
    }

    /// Every acknowledged id, in order.
    pub fn ids(&self) -> Vec<String> {
        lock(&self.order).clone()
    }

    /// The id at `pick` (mod the count) among the last `recent` acknowledged
    /// (all of them when `recent` is 0).
    pub fn pick(&self, pick: u64, recent: usize) -> Option<String> {
        let order = lock(&self.order);
        let from = if recent == 0 {
            0
        } else {
            order.len().saturating_sub(recent)
        };
        let window = &order[from..];
        if window.is_empty() {
            return None;
        }
        Some(window[(pick % window.len() as u64) as usize].clone())
    }

    /// Records a broken promise.
    pub fn violation(&self, what: String) {
        eprintln!("soak: VIOLATION: {what}");
        lock(&self.violations).push(what);
    }

    /// The broken promises so far.
    pub fn violations(&self) -> Vec<String> {
        lock(&self.violations).clone()
    }

    /// Records one timed task poll.
    pub fn poll_latency(&self, ms: f64) {
        bump(&self.counters.polls);
        lock(&self.poll_ms).push(ms);
    }

    /// The timed polls, sorted.
    pub fn poll_latencies(&self) -> Vec<f64> {
        let mut v = lock(&self.poll_ms).clone();
        v.sort_by(f64::total_cmp);
        v
    }

    /// Records the answer to a bad request.
    pub fn bad_status(&self, status: &str) {
        *lock(&self.bad_statuses)
            .entry(status.to_owned())
            .or_default() += 1;
    }

    /// The answers to bad requests, by status.
    pub fn bad_statuses(&self) -> Value {
        let map = lock(&self.bad_statuses);
        let mut keys: Vec<_> = map.keys().cloned().collect();
        keys.sort();
        Value::Object(
            keys.into_iter()
                .map(|k| (k.clone(), map[&k].into()))
                .collect(),
        )
    }

    /// Per job: started, completed, failed (as verified), and the waits that
    /// ended in an error.
    pub fn tallies(&self) -> Value {
        let tasks = lock(&self.tasks);
        let mut out = serde_json::Map::new();
        for e in tasks.values() {
            let t = out
                .entry(e.job.name())
                .or_insert_with(|| serde_json::json!({"started": 0, "completed": 0, "failed": 0, "unresolved": 0, "wait_errors": 0}));
            let add = |t: &mut Value, k: &str| t[k] = (t[k].as_u64().unwrap_or(0) + 1).into();
            add(t, "started");
            match &e.verified {
                Some(End::Completed) => add(t, "completed"),
                Some(End::Failed(_)) => add(t, "failed"),
                None => add(t, "unresolved"),
            }
            if matches!(e.waited, Some(Err(_))) {
                add(t, "wait_errors");
            }
        }
        Value::Object(out)
    }

    /// Checks each task's two views against each other; returns (completed,
    /// failed, unresolved).
    pub fn reconcile(&self) -> (u64, u64, u64) {
        let mut found = Vec::new();
        let (mut completed, mut failed, mut unresolved) = (0, 0, 0);
        for (id, e) in lock(&self.tasks).iter() {
            match &e.verified {
                Some(End::Completed) => completed += 1,
                Some(End::Failed(_)) => failed += 1,
                None => {
                    unresolved += 1;
                    continue;
                }
            }
            match (&e.waited, &e.verified) {
                (Some(Ok(w)), Some(v)) if w != v => found.push(format!(
                    "task {id} ({}): the SDK's wait saw {w:?}, the server ended it {v:?}",
                    e.job.name()
                )),
                (None, _) => found.push(format!(
                    "task {id} ({}): its wait never returned",
                    e.job.name()
                )),
                _ => {}
            }
        }
        for v in found {
            self.violation(v);
        }
        (completed, failed, unresolved)
    }

    /// Waits that ended in an error (not a task outcome), with their errors.
    pub fn wait_errors(&self) -> Vec<String> {
        lock(&self.tasks)
            .iter()
            .filter_map(|(id, e)| match &e.waited {
                Some(Err(err)) => Some(format!("{id} ({}): {err}", e.job.name())),
                _ => None,
            })
            .collect()
    }

    /// How many ids were acknowledged twice.
    pub fn duplicate_count(&self) -> usize {
        lock(&self.duplicates).len()
    }
}
