//! Reading and waiting on tasks: one status read, a wait, many waits, a watch.

use super::Client;
use crate::error::Result;
use crate::models::Task;
use crate::sched::Priority;
use crate::tasks::builder::WaitForTask;
use crate::tasks::get::fetch;
use crate::tasks::many::WaitForTasks;
use crate::tasks::watch::WatchTask;
use crate::transport::Response;

impl Client {
    /// Reads a task's current status once.
    ///
    /// The id is sent percent-encoded as one path segment of
    /// `/api/v2/tasks/{id}`, so no id can change the path.
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument) for an empty
    ///   id (or `.`/`..`), before any request;
    /// * [`Error::Api`](crate::Error::Api) when the server answers with an error
    ///   (e.g. 404 for an unknown task, 401 for bad credentials);
    /// * [`Error::Transport`](crate::Error::Transport) when no complete response
    ///   arrives within the request timeout;
    /// * [`Error::Decode`](crate::Error::Decode) when a 2xx body is not a task.
    ///
    /// A task with status `failed` is *not* an error here: it is returned as is.
    pub async fn get_task(&self, task_id: &str) -> Result<Task> {
        Ok(self.get_task_response(task_id).await?.into_body())
    }

    /// Like [`get_task`](Client::get_task), also returning the response's status
    /// and rate-limit headers.
    ///
    /// # Errors
    ///
    /// As for [`get_task`](Client::get_task).
    pub async fn get_task_response(&self, task_id: &str) -> Result<Response<Task>> {
        fetch(self.transport(), task_id, None, None, Priority::default()).await
    }

    /// Waits for a task to finish, polling `GET /api/v2/tasks/{id}`.
    ///
    /// Polls at once, then every `interval` (default 1 s, or the client's
    /// [`poll_policy`](crate::ClientBuilder::poll_policy)) until the task
    /// completes or fails or the `timeout` (default 60 s, or the client's
    /// [`wait_timeout`](crate::ClientBuilder::wait_timeout)) passes. Transient
    /// poll errors (connection refused or reset, a request cut off by its
    /// timeout, 5xx, 429) do not end the wait; see [`WaitForTask`].
    ///
    /// ```no_run
    /// # async fn demo(client: getstream_tasks::Client) -> Result<(), getstream_tasks::Error> {
    /// use std::time::Duration;
    /// let task = client
    ///     .wait_for_task("task-id")
    ///     .interval(Duration::from_secs(5))
    ///     .timeout(Duration::from_secs(600))
    ///     .await?;
    /// println!("{:?}", task.result);
    /// # Ok(()) }
    /// ```
    pub fn wait_for_task(&self, task_id: impl Into<String>) -> WaitForTask {
        WaitForTask::typed(self, task_id, Ok)
    }

    /// Waits on many tasks at once; see [`WaitForTasks`]. Each id gets a
    /// [`wait_for_task`](Self::wait_for_task) with the client's defaults;
    /// the builder methods of [`WaitForTasks`] change them for all.
    pub fn wait_for_tasks<I>(&self, task_ids: I) -> WaitForTasks
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        WaitForTasks::from_waits(task_ids.into_iter().map(|id| self.wait_for_task(id)))
    }

    /// Watches a task: a [`Stream`](futures_util::Stream) of
    /// [`WatchEvent`](crate::WatchEvent)s, one per poll, ending with the wait's outcome. Same
    /// knobs, defaults and errors as [`wait_for_task`](Self::wait_for_task).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = doc_support::serve(&["waiting", "running", "completed"]).await;
    /// # let client = getstream_tasks::Client::builder("api-key", "api-secret").base_url(server.as_str()).build()?;
    /// # tokio::time::pause();
    /// use futures::StreamExt;
    /// use getstream_tasks::WatchEvent;
    ///
    /// let mut events = client.watch_task("task-id");
    /// while let Some(event) = events.next().await {
    ///     match event {
    ///         WatchEvent::Polled(seen) => eprintln!(
    ///             "poll {} after {:?}: {}",
    ///             seen.poll(),
    ///             seen.elapsed(),
    ///             seen.status().map_or("no answer".into(), |s| s.to_string()),
    ///         ),
    ///         WatchEvent::Finished(outcome) => {
    ///             let task = outcome?;
    ///             println!("done: {}", task.status);
    ///         }
    ///     }
    /// }
    /// # Ok(()) }
    /// # use getstream_test_support as doc_support;
    /// ```
    pub fn watch_task(&self, task_id: impl Into<String>) -> WatchTask {
        self.wait_for_task(task_id).watch()
    }
}
