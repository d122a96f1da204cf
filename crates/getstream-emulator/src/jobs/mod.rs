//! Background jobs and the tasks that report on them: the kinds of job and how one ends
//! (`job`), task records and their status body (`task`), one app's bounded task store
//! (`task_store`), scripted tasks (`script`) and the bounded worker pool that runs a job's
//! work and records its outcome (`pool`). Handlers start jobs through
//! `handlers::starter::JobStarter`.

pub(crate) mod job;
pub(crate) mod pool;
pub(crate) mod script;
pub(crate) mod task;
pub(crate) mod task_store;
