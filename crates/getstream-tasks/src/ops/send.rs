//! Sending a task-starting operation: the request trait every operation
//! implements, the one `POST`, and what the server answered at once.

use std::marker::PhantomData;

use http::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::handle::TaskHandle;
use super::results::lenient_string;
use crate::client::Client;
use crate::error::Result;
use crate::events::{Entities, WakeKey};
use crate::transport::Request;

task_started!(
    /// What an operation that starts a task answered at once: the task's id, and a
    /// [`TaskHandle`] to wait for its typed result `T`.
    ///
    /// Serializes to the fields the server sent (`task_id`, `duration`, and any
    /// other field, kept in [`extra`](Self::extra)).
    Client
);

/// The answer of an operation that must start a task, as sent.
#[derive(Deserialize)]
pub(crate) struct StartedWire {
    task_id: String,
    #[serde(default, deserialize_with = "lenient_string")]
    duration: String,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl StartedWire {
    pub(crate) fn into_started<T>(self, client: &Client) -> TaskStarted<T> {
        TaskStarted {
            task_id: self.task_id,
            duration: self.duration,
            extra: self.extra,
            client: client.clone(),
            marker: PhantomData,
            entities: None,
        }
    }
}

/// The body of an operation: where it is sent, and the client-side checks it
/// must pass before it is.
pub(crate) trait OpRequest: Serialize {
    /// The path segments of the operation's `POST`.
    const PATH: &'static [&'static str];

    /// Checks the request against the spec's limits.
    fn validate(&self) -> Result<()>;

    /// The channels or users the job sends per-entity events about (which
    /// then wake its waits). Default: none.
    fn entities(&self) -> Entities {
        None
    }
}

/// Checks `request`, sends it as JSON to `POST /{PATH…}` and decodes the
/// answer as `W`.
pub(crate) async fn send<W: DeserializeOwned, R: OpRequest>(
    client: &Client,
    request: &R,
) -> Result<W> {
    request.validate()?;
    let request = Request::new(Method::POST, R::PATH)?.json(request)?;
    Ok(client.transport().send::<W>(request).await?.into_body())
}

/// [`send`]s an operation that must start a task, and answers with a typed
/// handle on it.
pub(crate) async fn start<T>(client: &Client, request: &impl OpRequest) -> Result<TaskStarted<T>> {
    let wire: StartedWire = send(client, request).await?;
    let mut started = wire.into_started(client);
    started.entities = request.entities();
    Ok(started)
}

/// Sends `body` (when given) as JSON with `method` to `/{path…}` and decodes
/// the answer as `W`: the calls whose path or method [`send`] cannot express.
pub(crate) async fn call<W: DeserializeOwned>(
    client: &Client,
    method: Method,
    path: &[&str],
    body: Option<&(impl Serialize + ?Sized)>,
) -> Result<W> {
    let mut request = Request::new(method, path)?;
    if let Some(body) = body {
        request = request.json(&body)?;
    }
    Ok(client.transport().send::<W>(request).await?.into_body())
}

/// The wake keys of a job's users.
pub(crate) fn user_entities(user_ids: &[String]) -> Entities {
    Some(
        user_ids
            .iter()
            .map(|id| WakeKey::User(id.as_str().into()))
            .collect(),
    )
}
