//! One app's task store: the records by id, bounded, with O(1) amortised insert and
//! eviction.
//!
//! The store holds at most `cap` tasks, finished or not. Inserting into a full store forgets
//! the oldest *evictable* task — a finished one (in the order they finished), or a scripted one
//! (in the order they were created; their status is a script, not a job). When every task is
//! a job still pending or running there is nothing to forget, and the insert is refused with
//! [`QueueFull`]: the caller answers Stream's 429 envelope, so a client backs off instead of
//! the emulator growing without bound.
//!
//! Eviction never scans the map: finished ids are queued when they finish, and the front of
//! that queue is the next to go.

use std::collections::{HashMap, VecDeque};

use crate::jobs::task::TaskRecord;

/// The refusal of an insert into a store full of unfinished tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many unfinished tasks ({cap}): wait for some to finish")]
pub(crate) struct QueueFull {
    /// The store's cap.
    pub cap: usize,
}

/// Tasks by id, bounded by a cap (see the module docs).
#[derive(Debug)]
pub(crate) struct TaskStore {
    cap: usize,
    tasks: HashMap<String, TaskRecord>,
    /// Ids that may be forgotten, oldest first. An id is queued once: when its job finishes or
    /// when a scripted task is inserted. Ids no longer in `tasks` are skipped when popped.
    evictable: VecDeque<String>,
}

impl TaskStore {
    /// An empty store holding at most `cap` (at least 1) tasks.
    pub fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            tasks: HashMap::new(),
            evictable: VecDeque::new(),
        }
    }

    /// The number of tasks held.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// A task by id.
    pub fn get(&self, id: &str) -> Option<&TaskRecord> {
        self.tasks.get(id)
    }

    /// Inserts a task under an id not yet taken, forgetting the oldest evictable task when the
    /// store is full. `Ok(false)` (and no change) when the id is taken.
    ///
    /// # Errors
    /// [`QueueFull`] when the store is full of unfinished job tasks.
    pub fn insert(&mut self, id: &str, rec: TaskRecord) -> Result<bool, QueueFull> {
        self.insert_evicting(id, rec, &mut Vec::new())
    }

    /// [`insert`](Self::insert), pushing the ids of the tasks it forgot onto `evicted` (the
    /// data dir forgets them too).
    ///
    /// # Errors
    /// [`QueueFull`] when the store is full of unfinished job tasks.
    pub fn insert_evicting(
        &mut self,
        id: &str,
        rec: TaskRecord,
        evicted: &mut Vec<String>,
    ) -> Result<bool, QueueFull> {
        if self.tasks.contains_key(id) {
            return Ok(false);
        }
        while self.tasks.len() >= self.cap {
            let oldest = self
                .evictable
                .pop_front()
                .ok_or(QueueFull { cap: self.cap })?;
            if self.tasks.remove(&oldest).is_some() {
                evicted.push(oldest);
            }
        }
        if rec.script.is_some() || rec.status.is_finished() {
            self.evictable.push_back(id.to_owned());
        }
        self.tasks.insert(id.to_owned(), rec);
        Ok(true)
    }

    /// Changes a task and stamps its `updated_at`; a job task that finishes here becomes
    /// evictable. Returns whether the task exists.
    pub fn update(&mut self, id: &str, f: impl FnOnce(&mut TaskRecord)) -> bool {
        let Some(t) = self.tasks.get_mut(id) else {
            return false;
        };
        let was_finished = t.status.is_finished();
        f(t);
        t.updated_at_ns = crate::jobs::task::unix_ns();
        if t.script.is_none() && !was_finished && t.status.is_finished() {
            self.evictable.push_back(id.to_owned());
        }
        true
    }

    /// Forgets one task (a task that could not be stored). Its id, if queued as evictable,
    /// is skipped when popped.
    pub fn remove(&mut self, id: &str) -> Option<TaskRecord> {
        self.tasks.remove(id)
    }

    /// Forgets every task.
    pub fn clear(&mut self) {
        self.tasks.clear();
        self.evictable.clear();
    }

    /// Every task, in no particular order (for persistence and tests).
    #[allow(dead_code)]
    pub fn iter(&self) -> impl Iterator<Item = (&String, &TaskRecord)> {
        self.tasks.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::script::ScriptedTask;
    use crate::jobs::task::TaskStatus;

    fn finish(store: &mut TaskStore, id: &str) {
        assert!(store.update(id, |t| t.status = TaskStatus::Completed));
    }

    #[test]
    fn full_of_unfinished_tasks_refuses_and_stays_at_the_cap() {
        let mut store = TaskStore::new(3);
        for i in 0..3 {
            assert_eq!(
                store.insert(&format!("t{i}"), TaskRecord::pending()),
                Ok(true)
            );
        }
        assert_eq!(
            store.insert("t3", TaskRecord::pending()),
            Err(QueueFull { cap: 3 })
        );
        assert_eq!(store.len(), 3);
        // One finishes: the next insert forgets it, and only it.
        finish(&mut store, "t1");
        assert_eq!(store.insert("t3", TaskRecord::pending()), Ok(true));
        assert_eq!(store.len(), 3);
        assert!(store.get("t1").is_none());
        assert!(store.get("t0").is_some() && store.get("t2").is_some());
    }

    #[test]
    fn eviction_follows_the_order_tasks_finished() {
        let mut store = TaskStore::new(4);
        for i in 0..4 {
            store
                .insert(&format!("t{i}"), TaskRecord::pending())
                .unwrap();
        }
        finish(&mut store, "t3");
        finish(&mut store, "t0");
        // Finishing twice (a status rewrite) queues nothing more.
        finish(&mut store, "t3");
        store.insert("a", TaskRecord::pending()).unwrap();
        assert!(store.get("t3").is_none() && store.get("t0").is_some());
        store.insert("b", TaskRecord::pending()).unwrap();
        assert!(store.get("t0").is_none());
        assert!(store.insert("c", TaskRecord::pending()).is_err());
        assert_eq!(store.len(), 4);
    }

    #[test]
    fn scripted_tasks_are_evictable_and_taken_ids_are_kept() {
        let mut store = TaskStore::new(2);
        store
            .insert("s", TaskRecord::scripted(ScriptedTask::new()))
            .unwrap();
        store.insert("p", TaskRecord::pending()).unwrap();
        assert_eq!(store.insert("p", TaskRecord::pending()), Ok(false));
        assert_eq!(store.insert("q", TaskRecord::pending()), Ok(true));
        assert!(store.get("s").is_none());
        store.clear();
        assert_eq!(store.len(), 0);
        assert_eq!(store.insert("x", TaskRecord::pending()), Ok(true));
    }

    #[test]
    fn many_inserts_stay_bounded() {
        // 10x the cap, each finished at once: every insert evicts one, with no scan.
        let mut store = TaskStore::new(1_000);
        for i in 0..10_000 {
            let id = format!("t{i}");
            store.insert(&id, TaskRecord::pending()).unwrap();
            finish(&mut store, &id);
        }
        assert_eq!(store.len(), 1_000);
        assert!(store.get("t9999").is_some() && store.get("t8999").is_none());
    }
}
