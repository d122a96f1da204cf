//! The blocking mirror of the task-starting operations and their handles.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::blocking::{Client, WaitForTask};

use crate::error::Result;
use crate::models::Task;
use crate::ops::{
    DeactivateUsersRequest, DeleteChannelsRequest, DeleteUsersRequest, DeleteUsersResult,
    ExportChannelsRequest, ExportResult, ExportUsersRequest, ReactivateUsersRequest,
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
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn export_users(&self, request: ExportUsersRequest) -> Result<TaskStarted<ExportResult>> {
        self.start(|client| async move { client.export_users(request).await })
    }

    /// Deletes users; see [`crate::Client::delete_users`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::delete_users`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn delete_users(
        &self,
        request: DeleteUsersRequest,
    ) -> Result<TaskStarted<DeleteUsersResult>> {
        self.start(|client| async move { client.delete_users(request).await })
    }

    /// Deactivates users; see [`crate::Client::deactivate_users`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::deactivate_users`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn deactivate_users(&self, request: DeactivateUsersRequest) -> Result<TaskStarted<Value>> {
        self.start(|client| async move { client.deactivate_users(request).await })
    }

    /// Reactivates users; see [`crate::Client::reactivate_users`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::reactivate_users`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn reactivate_users(&self, request: ReactivateUsersRequest) -> Result<TaskStarted<Value>> {
        self.start(|client| async move { client.reactivate_users(request).await })
    }
}

impl Client {
    /// Runs an async operation that starts a task, and mirrors its answer.
    pub(super) fn start<T, F>(&self, op: impl FnOnce(crate::Client) -> F) -> Result<TaskStarted<T>>
    where
        T: 'static,
        F: Future<Output = Result<crate::TaskStarted<T>>> + Send + 'static,
    {
        let started = self.run(op(self.async_client().clone()))?;
        Ok(TaskStarted {
            task_id: started.task_id,
            duration: started.duration,
            extra: started.extra,
            client: self.clone(),
            marker: PhantomData,
            entities: started.entities,
        })
    }
}

/// Blocking chat operations, from [`Client::chat`].
#[derive(Debug, Clone)]
pub struct Chat {
    pub(super) client: Client,
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
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
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
            entities: response.entities,
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
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn export_channels(
        &self,
        request: ExportChannelsRequest,
    ) -> Result<TaskStarted<ExportResult>> {
        self.client
            .start(|client| async move { client.chat().export_channels(request).await })
    }
}

task_started!(
    /// What an operation that starts a task answered; see [`crate::TaskStarted`].
    Client
);

delete_channels_response!(
    /// What delete channels answered at once; see [`crate::DeleteChannelsResponse`].
    Client
);

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

    /// Pushed events about these channels or users wake this handle's waits.
    pub(crate) fn with_entities(mut self, entities: crate::events::Entities) -> Self {
        self.inner = self.inner.with_entities(entities);
        self
    }

    /// The task's id.
    pub fn task_id(&self) -> &str {
        self.inner.task_id()
    }

    /// Reads the task's current status once (the raw [`Task`]).
    ///
    /// # Errors
    ///
    /// As [`crate::Client::get_task`].
    ///
    /// # Panics
    ///
    /// When called on a thread running async tasks (see the [module docs](crate::blocking)).
    pub fn get(&self) -> Result<Task> {
        self.client.get_task(self.inner.task_id())
    }

    /// A wait for the raw [`Task`] (as [`Client::wait_for_task`] on this id).
    pub fn wait_task(&self) -> WaitForTask {
        WaitForTask::from_async(&self.client, self.inner.wait_task())
    }
}

impl<T: DeserializeOwned> TaskHandle<T> {
    /// A wait for the task's typed result, run by [`WaitForTask::send`]; the
    /// same knobs, defaults and errors as [`crate::TaskHandle::wait`].
    pub fn wait(&self) -> WaitForTask<T> {
        WaitForTask::from_async(&self.client, self.inner.wait())
    }
}
