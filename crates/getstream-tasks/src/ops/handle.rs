//! [`TaskHandle`]: a started task, to read or wait on with its typed result.

use std::fmt;
use std::marker::PhantomData;

use http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::Client;
use crate::error::{DecodeError, Result};
use crate::events::Entities;
use crate::models::Task;
use crate::tasks::builder::WaitForTask;

/// A typed handle on one task: its id, the client to ask with, and the type
/// `T` its completed result decodes into.
///
/// Cheap to clone. Build one from an operation's answer
/// ([`TaskStarted::handle`](crate::TaskStarted::handle), [`DeleteChannelsResponse::task`](crate::DeleteChannelsResponse::task)) or, to resume a
/// wait on a task started earlier, from a stored id with [`TaskHandle::new`].
pub struct TaskHandle<T> {
    client: Client,
    task_id: String,
    marker: PhantomData<fn() -> T>,
    /// The job's channels or users, whose pushed events wake its waits.
    entities: Entities,
}

impl<T> Clone for TaskHandle<T> {
    fn clone(&self) -> Self {
        TaskHandle {
            client: self.client.clone(),
            task_id: self.task_id.clone(),
            marker: PhantomData,
            entities: self.entities.clone(),
        }
    }
}

impl<T> fmt::Debug for TaskHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("task_id", &self.task_id)
            .field("result", &std::any::type_name::<T>())
            .field("client", &self.client)
            .finish()
    }
}

impl<T> TaskHandle<T> {
    /// A handle on the task `task_id` (e.g. saved from an earlier run), whose
    /// result decodes as `T`.
    ///
    /// ```
    /// # let client = getstream_tasks::Client::new("key", "secret")?;
    /// use getstream_tasks::{ExportResult, TaskHandle};
    /// let handle = TaskHandle::<ExportResult>::new(&client, "7d0c9a4e-task");
    /// assert_eq!(handle.task_id(), "7d0c9a4e-task");
    /// # Ok::<(), getstream_tasks::Error>(())
    /// ```
    pub fn new(client: &Client, task_id: impl Into<String>) -> TaskHandle<T> {
        TaskHandle {
            client: client.clone(),
            task_id: task_id.into(),
            marker: PhantomData,
            entities: None,
        }
    }

    /// Pushed events about these channels or users wake this handle's waits.
    pub(crate) fn with_entities(mut self, entities: Entities) -> Self {
        self.entities = entities;
        self
    }

    /// The task's id.
    pub fn task_id(&self) -> &str {
        &self.task_id
    }

    /// The client this handle asks with.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Reads the task's current status once: the raw [`Task`], whatever its
    /// status (a failed task is returned, not an error).
    ///
    /// # Errors
    ///
    /// As [`Client::get_task`].
    pub async fn get(&self) -> Result<Task> {
        self.client.get_task(&self.task_id).await
    }

    /// A wait for the raw [`Task`] (the same as
    /// [`Client::wait_for_task`] on this id).
    pub fn wait_task(&self) -> WaitForTask {
        self.client
            .wait_for_task(self.task_id.clone())
            .with_entities(self.entities.clone())
    }
}

impl<T: DeserializeOwned> TaskHandle<T> {
    /// Waits for the task and decodes its result as `T`.
    ///
    /// The same builder as [`Client::wait_for_task`], with every knob
    /// (`interval`, `timeout`, `deadline`, `abort_on_error`, `on_poll`, …) and
    /// the same errors; a completed task whose `result` is missing or does not
    /// decode as `T` is an [`Error::Decode`](crate::Error::Decode) (the raw task
    /// stays reachable with [`get`](Self::get)).
    pub fn wait(&self) -> WaitForTask<T> {
        WaitForTask::typed(&self.client, self.task_id.clone(), decode_result::<T>)
            .with_entities(self.entities.clone())
    }
}

/// Decodes a completed task's `result` as `T` (a missing result is `null`).
pub(crate) fn decode_result<T: DeserializeOwned>(task: Task) -> Result<T> {
    let value = task.result.clone().unwrap_or(Value::Null);
    serde_json::from_value(value).map_err(|e| {
        let body = serde_json::to_vec(&task).unwrap_or_default();
        DecodeError::new(StatusCode::OK, &body, e)
            .with_request(format!("the result of task {:?}", task.task_id))
            .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{DeleteUsersResult, ExportResult};
    use serde_json::json;
    #[test]
    fn typed_results_decode_from_tasks() {
        let task = |result: Value| -> Task {
            serde_json::from_value(
                json!({"task_id": "t1", "status": "completed", "result": result}),
            )
            .unwrap()
        };
        let export: ExportResult =
            decode_result(task(json!({"url": "http://x/e.json", "size": 3}))).unwrap();
        assert_eq!(export.url, "http://x/e.json");
        assert_eq!(export.extra["size"], 3);

        let users: DeleteUsersResult =
            decode_result(task(json!({"u1": {"status": "ok"}}))).unwrap();
        assert!(users.all_ok() && users.len() == 1);

        let raw: Value = decode_result(task(json!({"anything": [1]}))).unwrap();
        assert_eq!(raw, json!({"anything": [1]}));

        let missing =
            serde_json::from_value::<Task>(json!({"task_id": "t9", "status": "completed"}))
                .unwrap();
        let error = decode_result::<ExportResult>(missing).unwrap_err();
        assert!(error.is_decode(), "{error}");
        let text = error.to_string();
        assert!(text.contains("t9"), "{text}");

        let error = decode_result::<ExportResult>(task(json!({"link": "x"}))).unwrap_err();
        assert!(error.is_decode(), "{error}");
        assert!(error.to_string().contains("url"), "{error}");
    }
}
