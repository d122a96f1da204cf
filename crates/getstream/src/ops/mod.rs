//! Operations that start tasks, and the typed handles to wait on them.
//!
//! Each operation sends one `POST` and answers with what the server said at
//! once ([`TaskStarted`], or [`DeleteChannelsResponse`] for delete channels)
//! plus a [`TaskHandle`] whose [`wait`](TaskHandle::wait) resolves to the
//! operation's typed result ([`ExportResult`], [`DeleteChannelsResult`],
//! [`DeleteUsersResult`]). Requests are checked against the spec's limits
//! before anything is sent.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use http::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::client::Client;
use crate::error::{DecodeError, InvalidArgumentError, Result};
use crate::models::Task;
use crate::tasks::wait::WaitForTask;
use crate::transport::Request;

#[macro_use]
mod macros;
#[cfg(feature = "blocking")]
pub(crate) mod blocking;
mod chat;
mod records;
mod truncate;
mod user_lifecycle;
mod users;

pub use chat::{
    ChannelRef, Chat, DeleteChannelsRequest, DeleteChannelsResponse, ExportChannelsRequest,
    ExportFormat,
};
pub use records::{Channel, Message, User};
pub use truncate::{MAX_MESSAGE_LENGTH, TruncateChannelRequest, TruncateChannelResponse};
pub use user_lifecycle::{
    DeactivateUserRequest, DeleteUserRequest, ExportUserResponse, ReactivateUserRequest,
    RestoreUsersRequest, RestoreUsersResponse, UserResponse,
};
pub use users::{
    DeactivateUsersRequest, DeleteMode, DeleteUsersRequest, ExportUsersRequest,
    ReactivateUsersRequest,
};

/// At most this many channel ids in one delete channels or export channels
/// request (the spec's limit).
pub const MAX_CHANNELS: usize = 100;
/// At most this many user ids in one export users request.
pub const MAX_EXPORT_USERS: usize = 25;
/// At most this many user ids in one delete, deactivate or reactivate users
/// request.
pub const MAX_USERS: usize = 100;

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
    Ok(wire.into_started(client))
}

/// A typed handle on one task: its id, the client to ask with, and the type
/// `T` its completed result decodes into.
///
/// Cheap to clone. Build one from an operation's answer
/// ([`TaskStarted::handle`], [`DeleteChannelsResponse::task`]) or, to resume a
/// wait on a task started earlier, from a stored id with [`TaskHandle::new`].
pub struct TaskHandle<T> {
    client: Client,
    task_id: String,
    marker: PhantomData<fn() -> T>,
}

impl<T> Clone for TaskHandle<T> {
    fn clone(&self) -> Self {
        TaskHandle {
            client: self.client.clone(),
            task_id: self.task_id.clone(),
            marker: PhantomData,
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
    /// # let client = getstream::Client::new("key", "secret")?;
    /// use getstream::{ExportResult, TaskHandle};
    /// let handle = TaskHandle::<ExportResult>::new(&client, "7d0c9a4e-task");
    /// assert_eq!(handle.id(), "7d0c9a4e-task");
    /// # Ok::<(), getstream::Error>(())
    /// ```
    pub fn new(client: &Client, task_id: impl Into<String>) -> TaskHandle<T> {
        TaskHandle {
            client: client.clone(),
            task_id: task_id.into(),
            marker: PhantomData,
        }
    }

    /// The task's id.
    pub fn id(&self) -> &str {
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
        self.client.wait_for_task(self.task_id.clone())
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

/// The result of an export (channels or users): where to download the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExportResult {
    /// A link to the exported file. Stream's links expire after 24 hours; each
    /// status request ([`TaskHandle::get`]) issues a fresh one.
    pub url: String,
    /// Any other field of the result, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The outcome for one item (a channel or a user) of a batch operation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ItemResult {
    /// `ok`, `error`, or a status this version does not know.
    pub status: ItemStatus,
    /// What went wrong, when the status is `error`.
    pub error: Option<String>,
    /// Any other field, as sent.
    pub extra: Map<String, Value>,
}

impl ItemResult {
    /// Whether the item was processed successfully.
    ///
    /// ```
    /// let item: getstream::ItemResult = serde_json::from_str(r#"{"status": "ok"}"#).unwrap();
    /// assert!(item.is_ok());
    /// ```
    pub fn is_ok(&self) -> bool {
        self.status == ItemStatus::Ok
    }
}

impl Serialize for ItemResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = self.extra.clone();
        map.insert("status".into(), Value::String(self.status.as_str().into()));
        if let Some(error) = &self.error {
            map.insert("error".into(), Value::String(error.clone()));
        }
        map.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ItemResult {
    /// Lenient: an object gives its `status` (missing: unknown `""`), `error`
    /// and other fields; a bare string is taken as the status; anything else
    /// is kept as an unknown status holding its JSON text.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        Ok(match Value::deserialize(deserializer)? {
            Value::Object(mut map) => {
                let status = match map.remove("status") {
                    Some(Value::String(s)) => ItemStatus::parse(&s),
                    Some(Value::Null) | None => ItemStatus::Unknown(String::new()),
                    Some(other) => ItemStatus::Unknown(other.to_string()),
                };
                let error = match map.remove("error") {
                    Some(Value::String(s)) => Some(s),
                    Some(Value::Null) | None => None,
                    Some(other) => Some(other.to_string()),
                };
                ItemResult {
                    status,
                    error,
                    extra: map,
                }
            }
            Value::String(s) => ItemResult {
                status: ItemStatus::parse(&s),
                error: None,
                extra: Map::new(),
            },
            other => ItemResult {
                status: ItemStatus::Unknown(other.to_string()),
                error: None,
                extra: Map::new(),
            },
        })
    }
}

/// The status of one item of a batch operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ItemStatus {
    /// Processed (`ok`).
    Ok,
    /// Not processed (`error`); see [`ItemResult::error`].
    Error,
    /// A status this version does not know, kept as sent.
    Unknown(String),
}

impl ItemStatus {
    /// The status as on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            ItemStatus::Ok => "ok",
            ItemStatus::Error => "error",
            ItemStatus::Unknown(s) => s,
        }
    }

    fn parse(s: &str) -> ItemStatus {
        match s.trim() {
            t if t.eq_ignore_ascii_case("ok") => ItemStatus::Ok,
            t if t.eq_ignore_ascii_case("error") => ItemStatus::Error,
            _ => ItemStatus::Unknown(s.to_owned()),
        }
    }
}

impl fmt::Display for ItemStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! item_results {
    ($(#[$doc:meta])* $name:ident, $key:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name {
            items: BTreeMap<String, ItemResult>,
        }

        impl $name {
            #[doc = concat!("The outcome for one ", $key, ".")]
            pub fn get(&self, id: &str) -> Option<&ItemResult> {
                self.items.get(id)
            }

            #[doc = concat!("Every ", $key, " with its outcome, in id order.")]
            pub fn iter(&self) -> impl Iterator<Item = (&str, &ItemResult)> + '_ {
                self.items.iter().map(|(k, v)| (k.as_str(), v))
            }

            #[doc = concat!("The ", $key, "s that were not processed successfully.")]
            pub fn failures(&self) -> impl Iterator<Item = (&str, &ItemResult)> + '_ {
                self.iter().filter(|(_, v)| !v.is_ok())
            }

            #[doc = concat!("Whether every ", $key, " was processed successfully.")]
            pub fn all_ok(&self) -> bool {
                self.items.values().all(ItemResult::is_ok)
            }

            /// How many items the result lists.
            pub fn len(&self) -> usize {
                self.items.len()
            }

            /// Whether the result lists no item.
            pub fn is_empty(&self) -> bool {
                self.items.is_empty()
            }

            /// The items as a map.
            pub fn as_map(&self) -> &BTreeMap<String, ItemResult> {
                &self.items
            }

            /// Takes the map.
            pub fn into_map(self) -> BTreeMap<String, ItemResult> {
                self.items
            }
        }

        impl From<BTreeMap<String, ItemResult>> for $name {
            fn from(items: BTreeMap<String, ItemResult>) -> Self {
                $name { items }
            }
        }

        impl IntoIterator for $name {
            type Item = (String, ItemResult);
            type IntoIter = std::collections::btree_map::IntoIter<String, ItemResult>;
            fn into_iter(self) -> Self::IntoIter {
                self.items.into_iter()
            }
        }
    };
}

item_results!(
    /// The result of a (hard) delete channels task: channel cid → outcome.
    DeleteChannelsResult,
    "channel"
);
item_results!(
    /// The result of a delete users task: user id → outcome.
    DeleteUsersResult,
    "user"
);

/// A string field that may come as a number or `null`; never fails.
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

// ---- client-side checks ------------------------------------------------------

/// Checks the number of entries of a list argument: 1 to `max`.
pub(crate) fn check_count(argument: &str, count: usize, max: usize) -> Result<()> {
    if count == 0 {
        return Err(InvalidArgumentError::new(argument, "must not be empty").into());
    }
    if count > max {
        return Err(InvalidArgumentError::new(
            argument,
            format!("has {count} entries; at most {max} are allowed"),
        )
        .into());
    }
    Ok(())
}

/// Checks a list of ids: 1 to `max` of them, none blank.
pub(crate) fn check_ids(argument: &str, ids: &[String], max: usize) -> Result<()> {
    check_count(argument, ids.len(), max)?;
    if let Some(i) = ids.iter().position(|id| id.trim().is_empty()) {
        return Err(
            InvalidArgumentError::new(argument, format!("entry {i} is an empty id")).into(),
        );
    }
    Ok(())
}

/// Checks an optional id argument (e.g. `created_by_id`): set means non-blank.
pub(crate) fn check_optional_id(argument: &str, id: Option<&str>) -> Result<()> {
    match id {
        Some(id) if id.trim().is_empty() => {
            Err(InvalidArgumentError::new(argument, "must not be empty when set").into())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn item_results_decode_leniently_and_round_trip() {
        let result: DeleteChannelsResult = serde_json::from_value(json!({
            "messaging:a": {"status": "ok"},
            "messaging:b": {"status": "error", "error": "channel not found"},
            "messaging:c": {"status": "Skipped", "reason": "later"},
            "messaging:d": "ok",
            "messaging:e": 7,
        }))
        .unwrap();
        assert_eq!(result.len(), 5);
        assert!(result.get("messaging:a").unwrap().is_ok());
        let b = result.get("messaging:b").unwrap();
        assert_eq!(b.status, ItemStatus::Error);
        assert_eq!(b.error.as_deref(), Some("channel not found"));
        let c = result.get("messaging:c").unwrap();
        assert_eq!(c.status, ItemStatus::Unknown("Skipped".into()));
        assert_eq!(c.extra["reason"], "later");
        assert!(result.get("messaging:d").unwrap().is_ok());
        assert_eq!(
            result.get("messaging:e").unwrap().status,
            ItemStatus::Unknown("7".into())
        );
        assert!(!result.all_ok());
        let failed: Vec<&str> = result.failures().map(|(k, _)| k).collect();
        assert_eq!(failed, ["messaging:b", "messaging:c", "messaging:e"]);
        assert_eq!(
            serde_json::to_value(result.get("messaging:b").unwrap()).unwrap(),
            json!({"status": "error", "error": "channel not found"})
        );
        assert_eq!(
            serde_json::to_value(result.get("messaging:c").unwrap()).unwrap(),
            json!({"status": "Skipped", "reason": "later"})
        );
    }

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

    #[test]
    fn id_checks() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_ids("user_ids", &ids(&["a"]), 1).is_ok());
        for bad in [ids(&[]), ids(&["a", "b"]), ids(&[" "])] {
            let e = check_ids("user_ids", &bad, 1).unwrap_err();
            assert!(e.is_invalid_argument(), "{e}");
            assert!(e.to_string().contains("user_ids"), "{e}");
        }
        assert!(check_optional_id("created_by_id", Some("")).is_err());
        assert!(check_optional_id("created_by_id", None).is_ok());
    }
}
