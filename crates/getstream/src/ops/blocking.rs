//! The blocking mirror of the task-starting operations (re-exported from
//! [`crate::blocking`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::blocking::{Client, WaitForTask};
use crate::error::Result;
use crate::models::Task;
use crate::ops::{
    DeactivateUsersRequest, DeleteChannelsRequest, DeleteChannelsResult, DeleteUsersRequest,
    DeleteUsersResult, ExportChannelsRequest, ExportResult, ExportUsersRequest, ItemResult,
    ReactivateUsersRequest, decode_result,
};

impl Client {
    /// The chat operations (delete and export channels); see
    /// [`crate::Client::chat`].
    pub fn chat(&self) -> Chat {
        Chat {
            client: self.clone(),
        }
    }

    /// Exports users; see [`crate::Client::export_users`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::export_users`].
    ///
    /// # Panics
    ///
    /// When called inside an async runtime (see the [module docs](crate::blocking)).
    pub fn export_users(&self, request: ExportUsersRequest) -> Result<TaskStarted<ExportResult>> {
        let client = self.async_client().clone();
        let started = self.run(async move { client.export_users(request).await })?;
        Ok(TaskStarted::from_async(self, started))
    }

    /// Deletes users; see [`crate::Client::delete_users`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::delete_users`].
    ///
    /// # Panics
    ///
    /// When called inside an async runtime (see the [module docs](crate::blocking)).
    pub fn delete_users(
        &self,
        request: DeleteUsersRequest,
    ) -> Result<TaskStarted<DeleteUsersResult>> {
        let client = self.async_client().clone();
        let started = self.run(async move { client.delete_users(request).await })?;
        Ok(TaskStarted::from_async(self, started))
    }

    /// Deactivates users; see [`crate::Client::deactivate_users`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::deactivate_users`].
    ///
    /// # Panics
    ///
    /// When called inside an async runtime (see the [module docs](crate::blocking)).
    pub fn deactivate_users(&self, request: DeactivateUsersRequest) -> Result<TaskStarted<Value>> {
        let client = self.async_client().clone();
        let started = self.run(async move { client.deactivate_users(request).await })?;
        Ok(TaskStarted::from_async(self, started))
    }

    /// Reactivates users; see [`crate::Client::reactivate_users`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::reactivate_users`].
    ///
    /// # Panics
    ///
    /// When called inside an async runtime (see the [module docs](crate::blocking)).
    pub fn reactivate_users(&self, request: ReactivateUsersRequest) -> Result<TaskStarted<Value>> {
        let client = self.async_client().clone();
        let started = self.run(async move { client.reactivate_users(request).await })?;
        Ok(TaskStarted::from_async(self, started))
    }
}

/// Blocking chat operations, from [`Client::chat`].
#[derive(Debug, Clone)]
pub struct Chat {
    client: Client,
}

impl Chat {
    /// Deletes channels; see [`crate::Chat::delete_channels`].
    ///
    /// # Errors
    ///
    /// As [`crate::Chat::delete_channels`].
    ///
    /// # Panics
    ///
    /// When called inside an async runtime (see the [module docs](crate::blocking)).
    pub fn delete_channels(
        &self,
        request: DeleteChannelsRequest,
    ) -> Result<DeleteChannelsResponse> {
        let chat = self.client.async_client().chat();
        let response = self
            .client
            .run(async move { chat.delete_channels(request).await })?;
        Ok(DeleteChannelsResponse {
            task_id: response.task_id,
            result: response.result,
            duration: response.duration,
            extra: response.extra,
            client: self.client.clone(),
        })
    }

    /// Exports channels; see [`crate::Chat::export_channels`].
    ///
    /// # Errors
    ///
    /// As [`crate::Chat::export_channels`].
    ///
    /// # Panics
    ///
    /// When called inside an async runtime (see the [module docs](crate::blocking)).
    pub fn export_channels(
        &self,
        request: ExportChannelsRequest,
    ) -> Result<TaskStarted<ExportResult>> {
        let chat = self.client.async_client().chat();
        let started = self
            .client
            .run(async move { chat.export_channels(request).await })?;
        Ok(TaskStarted::from_async(&self.client, started))
    }
}

/// What an operation that starts a task answered; see [`crate::TaskStarted`].
#[derive(Serialize)]
#[non_exhaustive]
pub struct TaskStarted<T> {
    /// The id of the task that was started.
    pub task_id: String,
    /// The server's time for the request.
    pub duration: String,
    /// Any other field of the response, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    handle: TaskHandle<T>,
}

impl<T> TaskStarted<T> {
    fn from_async(client: &Client, started: crate::TaskStarted<T>) -> Self {
        let handle = TaskHandle {
            client: client.clone(),
            inner: started.handle(),
        };
        TaskStarted {
            task_id: started.task_id,
            duration: started.duration,
            extra: started.extra,
            handle,
        }
    }

    /// A handle on the started task.
    pub fn handle(&self) -> TaskHandle<T> {
        self.handle.clone()
    }

    /// The handle, consuming the response.
    pub fn into_handle(self) -> TaskHandle<T> {
        self.handle
    }
}

impl<T> Clone for TaskStarted<T> {
    fn clone(&self) -> Self {
        TaskStarted {
            task_id: self.task_id.clone(),
            duration: self.duration.clone(),
            extra: self.extra.clone(),
            handle: self.handle.clone(),
        }
    }
}

impl<T> fmt::Debug for TaskStarted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskStarted")
            .field("task_id", &self.task_id)
            .field("duration", &self.duration)
            .field("extra", &self.extra)
            .finish_non_exhaustive()
    }
}

/// What delete channels answered at once; see [`crate::DeleteChannelsResponse`].
#[derive(Clone, Serialize)]
#[non_exhaustive]
pub struct DeleteChannelsResponse {
    /// The task removing the channels, when the server started one (hard delete).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// The immediate outcome per cid.
    pub result: BTreeMap<String, ItemResult>,
    /// The server's time for the request.
    pub duration: String,
    /// Any other field of the response, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    client: Client,
}

impl fmt::Debug for DeleteChannelsResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeleteChannelsResponse")
            .field("task_id", &self.task_id)
            .field("result", &self.result)
            .field("duration", &self.duration)
            .field("extra", &self.extra)
            .finish_non_exhaustive()
    }
}

impl DeleteChannelsResponse {
    /// A handle on the background task, when one was started (hard delete).
    pub fn task(&self) -> Option<TaskHandle<DeleteChannelsResult>> {
        self.task_id
            .as_ref()
            .map(|id| TaskHandle::new(&self.client, id.clone()))
    }
}

/// A blocking typed handle on one task; see [`crate::TaskHandle`].
pub struct TaskHandle<T> {
    client: Client,
    inner: crate::TaskHandle<T>,
}

impl<T> Clone for TaskHandle<T> {
    fn clone(&self) -> Self {
        TaskHandle {
            client: self.client.clone(),
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for TaskHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::TaskHandle")
            .field(&self.inner)
            .finish()
    }
}

impl<T> TaskHandle<T> {
    /// A handle on the task `task_id`, whose result decodes as `T`.
    pub fn new(client: &Client, task_id: impl Into<String>) -> TaskHandle<T> {
        TaskHandle {
            client: client.clone(),
            inner: crate::TaskHandle::new(client.async_client(), task_id),
        }
    }

    /// The task's id.
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// Reads the task's current status once (the raw [`Task`]).
    ///
    /// # Errors
    ///
    /// As [`crate::Client::get_task`].
    ///
    /// # Panics
    ///
    /// When called inside an async runtime (see the [module docs](crate::blocking)).
    pub fn get(&self) -> Result<Task> {
        self.client.get_task(self.inner.id())
    }

    /// A wait for the raw [`Task`] (as [`Client::wait_for_task`] on this id).
    pub fn wait_task(&self) -> WaitForTask {
        self.client.wait_for_task(self.inner.id())
    }
}

impl<T: DeserializeOwned> TaskHandle<T> {
    /// A wait for the task's typed result, run by [`WaitForTask::send`]; the
    /// same knobs, defaults and errors as [`crate::TaskHandle::wait`].
    pub fn wait(&self) -> WaitForTask<T> {
        WaitForTask::typed(&self.client, self.inner.id(), decode_result::<T>)
    }
}
