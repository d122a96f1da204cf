//! `GET /api/v2/tasks/{id}`.

use http::Method;
use tokio::time::Instant;

use crate::error::{InvalidArgumentError, Result};
use crate::models::Task;
use crate::sched::Priority;
use crate::transport::{Request, Response, Transport};

/// The longest task id sent (in bytes).
const MAX_TASK_ID_LEN: usize = 4096;

/// Rejects ids that cannot be a task id, before any request.
pub(crate) fn validate_task_id(task_id: &str) -> Result<()> {
    if task_id.trim().is_empty() {
        return Err(InvalidArgumentError::new("task_id", "must not be empty").into());
    }
    // Stream's ids are UUIDs; a far longer one cannot be a task id, and past 64 KiB the URL
    // itself cannot be built (which would surface as an "unknown" transport error).
    if task_id.len() > MAX_TASK_ID_LEN {
        return Err(InvalidArgumentError::new(
            "task_id",
            format!(
                "is {} bytes long; at most {MAX_TASK_ID_LEN} are allowed",
                task_id.len()
            ),
        )
        .into());
    }
    if task_id == "." || task_id == ".." {
        return Err(InvalidArgumentError::new(
            "task_id",
            format!("{task_id:?} cannot be sent as a URL path segment"),
        )
        .into());
    }
    Ok(())
}

/// The request header that carries the poll number, when a client turns it on
/// ([`ClientBuilder::poll_attempt_header`](crate::ClientBuilder::poll_attempt_header)).
pub const POLL_ATTEMPT_HEADER: &str = "x-stream-poll-attempt";

/// The `GET` of one status poll.
fn status_request(
    task_id: &str,
    deadline: Option<Instant>,
    attempt: Option<u32>,
    priority: Priority,
) -> Result<Request> {
    let mut request = Request::new(Method::GET, &["api", "v2", "tasks", task_id])?
        .deadline(deadline)
        .priority(priority);
    if let Some(attempt) = attempt {
        request = request.header(POLL_ATTEMPT_HEADER, attempt.to_string());
    }
    Ok(request)
}

/// One status request, capped by `deadline`;
/// `attempt` is sent in [`POLL_ATTEMPT_HEADER`] when given.
pub(crate) async fn fetch(
    transport: &Transport,
    task_id: &str,
    deadline: Option<Instant>,
    attempt: Option<u32>,
    priority: Priority,
) -> Result<Response<Task>> {
    validate_task_id(task_id)?;
    let request = status_request(task_id, deadline, attempt, priority)?;
    // Sent from a future of its own: the request is moved into it, not
    // also kept in this one's state (thousands may be queued for admission).
    let sent = Box::pin(transport.send::<Task>(request));
    let mut response: Response<Task> = sent.await?;
    // The id is required on the wire; a server that leaves it out still
    // answered about the task we asked for.
    if response.body().task_id.is_empty() {
        response.body_mut().task_id = task_id.to_owned();
    }
    Ok(response)
}
