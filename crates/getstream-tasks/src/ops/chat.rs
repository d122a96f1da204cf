//! Chat operations: delete channels, export channels.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::ser::{Error as _, SerializeMap};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use super::{
    ExportResult, ItemResult, MAX_CHANNELS, OpRequest, TaskHandle, TaskStarted, check_count,
    lenient_string, send, start,
};
use crate::client::Client;
use crate::error::{InvalidArgumentError, Result};

/// Chat operations, from [`Client::chat`].
#[derive(Debug, Clone)]
pub struct Chat {
    client: Client,
}

impl Chat {
    /// The chat operations of `client` (sharing it).
    pub(crate) fn new(client: &Client) -> Chat {
        Chat {
            client: client.clone(),
        }
    }
}

impl Chat {
    /// The client this asks with.
    pub(super) fn client(&self) -> &Client {
        &self.client
    }

    /// Deletes channels: `POST /api/v2/chat/channels/delete`.
    ///
    /// Soft deletion happens at once (see [`DeleteChannelsResponse::result`]);
    /// a hard delete also starts a task that removes the channels and their
    /// messages ([`DeleteChannelsResponse::task`]).
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any
    ///   request, for no cids, more than [`MAX_CHANNELS`], or a cid that is not
    ///   `type:id` with both parts non-empty;
    /// * [`Error::Api`](crate::Error::Api), [`Error::Transport`](crate::Error::Transport)
    ///   or [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn delete_channels(
        &self,
        request: DeleteChannelsRequest,
    ) -> Result<DeleteChannelsResponse> {
        let wire: DeleteChannelsWire = send(&self.client, &request).await?;
        Ok(DeleteChannelsResponse {
            task_id: wire.task_id.filter(|id| !id.is_empty()),
            result: wire.result,
            duration: wire.duration,
            extra: wire.extra,
            client: self.client.clone(),
            entities: request.entities(),
        })
    }

    /// Exports channels with their messages: `POST /api/v2/chat/export_channels`.
    /// The task's result is an [`ExportResult`] with a download link.
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any
    ///   request, for no channels, more than [`MAX_CHANNELS`], an invalid
    ///   channel, `messages_since` after `messages_until`, or a time that
    ///   cannot be written as RFC 3339;
    /// * [`Error::Api`](crate::Error::Api), [`Error::Transport`](crate::Error::Transport)
    ///   or [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn export_channels(
        &self,
        request: ExportChannelsRequest,
    ) -> Result<TaskStarted<ExportResult>> {
        start(&self.client, &request).await
    }
}

/// Checks one `type:id` channel id.
pub(super) fn check_cid(argument: &str, cid: &str) -> Result<()> {
    let valid = match cid.split_once(':') {
        Some((channel_type, id)) => check_parts(channel_type, id).is_ok(),
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err(InvalidArgumentError::new(
            argument,
            format!("{cid:?} is not a channel cid of the form \"type:id\""),
        )
        .into())
    }
}

fn check_parts(channel_type: &str, id: &str) -> std::result::Result<(), &'static str> {
    let bad = |s: &str| s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control());
    if bad(channel_type) || channel_type.contains(':') {
        return Err("channel type must be non-empty, without ':' or spaces");
    }
    if bad(id) {
        return Err("channel id must be non-empty, without spaces");
    }
    Ok(())
}

// ---- delete channels -----------------------------------------------------------

/// The body of `POST /api/v2/chat/channels/delete`.
///
/// ```
/// use getstream_tasks::DeleteChannelsRequest;
/// let request = DeleteChannelsRequest::new(["messaging:general"]).hard_delete(true);
/// assert_eq!(
///     serde_json::to_value(&request).unwrap(),
///     serde_json::json!({"cids": ["messaging:general"], "hard_delete": true}),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct DeleteChannelsRequest {
    cids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hard_delete: Option<bool>,
}

impl DeleteChannelsRequest {
    /// Deletes the channels with these cids (`type:id`; 1 to [`MAX_CHANNELS`]).
    pub fn new(cids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        DeleteChannelsRequest {
            cids: cids.into_iter().map(Into::into).collect(),
            hard_delete: None,
        }
    }

    /// `true`: remove the channels and their messages for good, in a task.
    /// Default (unset): a soft delete, done at once, without a task.
    pub fn hard_delete(mut self, hard: bool) -> Self {
        self.hard_delete = Some(hard);
        self
    }

    /// The cids to delete.
    pub fn cids(&self) -> &[String] {
        &self.cids
    }
}

impl OpRequest for DeleteChannelsRequest {
    const PATH: &'static [&'static str] = &["api", "v2", "chat", "channels", "delete"];

    fn validate(&self) -> Result<()> {
        check_count("cids", self.cids.len(), MAX_CHANNELS)?;
        for cid in &self.cids {
            check_cid("cids", cid)?;
        }
        Ok(())
    }

    fn entities(&self) -> crate::events::Entities {
        Some(
            self.cids
                .iter()
                .map(|cid| crate::events::WakeKey::Channel(cid.as_str().into()))
                .collect(),
        )
    }
}

#[derive(Deserialize)]
struct DeleteChannelsWire {
    #[serde(default)]
    task_id: Option<String>,
    #[serde(default)]
    result: BTreeMap<String, ItemResult>,
    #[serde(default, deserialize_with = "lenient_string")]
    duration: String,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

delete_channels_response!(
    /// What delete channels answered at once.
    ///
    /// The per-cid [`result`](Self::result) is immediate; a hard delete also
    /// carries a `task_id` ([`task`](Self::task)) for the removal that runs in the
    /// background. Serializes to the fields as sent.
    Client
);

// ---- export channels -------------------------------------------------------------

/// One channel to export: by cid or by type and id, optionally limited to
/// messages in a time range.
///
/// ```
/// use getstream_tasks::ChannelRef;
/// let by_cid = ChannelRef::from("messaging:general");
/// let by_parts = ChannelRef::new("messaging", "general");
/// assert_eq!(serde_json::to_value(&by_cid).unwrap(), serde_json::json!({"cid": "messaging:general"}));
/// assert_eq!(
///     serde_json::to_value(&by_parts).unwrap(),
///     serde_json::json!({"type": "messaging", "id": "general"}),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct ChannelRef {
    target: Target,
    messages_since: Option<SystemTime>,
    messages_until: Option<SystemTime>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Cid(String),
    Parts { channel_type: String, id: String },
}

impl ChannelRef {
    /// A channel by its cid, `type:id` (checked when the request is sent).
    pub fn cid(cid: impl Into<String>) -> Self {
        ChannelRef {
            target: Target::Cid(cid.into()),
            messages_since: None,
            messages_until: None,
        }
    }

    /// A channel by its type and id.
    pub fn new(channel_type: impl Into<String>, id: impl Into<String>) -> Self {
        ChannelRef {
            target: Target::Parts {
                channel_type: channel_type.into(),
                id: id.into(),
            },
            messages_since: None,
            messages_until: None,
        }
    }

    /// Only messages created at or after this time. Default: no lower bound.
    pub fn messages_since(mut self, since: SystemTime) -> Self {
        self.messages_since = Some(since);
        self
    }

    /// Only messages created at or before this time. Default: no upper bound.
    pub fn messages_until(mut self, until: SystemTime) -> Self {
        self.messages_until = Some(until);
        self
    }

    /// The channel's cid, `type:id`.
    pub fn to_cid(&self) -> String {
        match &self.target {
            Target::Cid(cid) => cid.clone(),
            Target::Parts { channel_type, id } => format!("{channel_type}:{id}"),
        }
    }

    fn validate(&self) -> Result<()> {
        match &self.target {
            Target::Cid(cid) => check_cid("channels", cid)?,
            Target::Parts { channel_type, id } => {
                check_parts(channel_type, id).map_err(|why| {
                    InvalidArgumentError::new("channels", format!("{channel_type:?}/{id:?}: {why}"))
                })?;
            }
        }
        for (name, time) in [
            ("messages_since", self.messages_since),
            ("messages_until", self.messages_until),
        ] {
            if let Some(time) = time
                && rfc3339(time).is_none()
            {
                return Err(InvalidArgumentError::new(
                    name,
                    "cannot be written as an RFC 3339 time",
                )
                .into());
            }
        }
        if let (Some(since), Some(until)) = (self.messages_since, self.messages_until)
            && since > until
        {
            return Err(InvalidArgumentError::new(
                "messages_since",
                format!("is after messages_until for channel {}", self.to_cid()),
            )
            .into());
        }
        Ok(())
    }
}

impl From<&str> for ChannelRef {
    /// Parses nothing yet: the cid is checked when the request is sent.
    fn from(cid: &str) -> Self {
        ChannelRef::cid(cid)
    }
}

impl From<String> for ChannelRef {
    fn from(cid: String) -> Self {
        ChannelRef::cid(cid)
    }
}

impl From<&String> for ChannelRef {
    fn from(cid: &String) -> Self {
        ChannelRef::cid(cid.clone())
    }
}

impl Serialize for ChannelRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match &self.target {
            Target::Cid(cid) => map.serialize_entry("cid", cid)?,
            Target::Parts { channel_type, id } => {
                map.serialize_entry("type", channel_type)?;
                map.serialize_entry("id", id)?;
            }
        }
        for (name, time) in [
            ("messages_since", self.messages_since),
            ("messages_until", self.messages_until),
        ] {
            if let Some(time) = time {
                let text = rfc3339(time)
                    .ok_or_else(|| S::Error::custom(format!("{name} is out of range")))?;
                map.serialize_entry(name, &text)?;
            }
        }
        map.end()
    }
}

/// `time` as RFC 3339 in UTC, if it is representable.
pub(super) fn rfc3339(time: SystemTime) -> Option<String> {
    let nanos: i128 = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_nanos()).ok()?,
        Err(before) => -i128::try_from(before.duration().as_nanos()).ok()?,
    };
    crate::rfc3339::format_unix_nanos(nanos)
}

/// The file format of a channel export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ExportFormat {
    /// JSON (`json`), the server's default.
    Json,
    /// CSV (`csv`).
    Csv,
}

/// The body of `POST /api/v2/chat/export_channels`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use getstream_tasks::{ChannelRef, ExportChannelsRequest, ExportFormat};
///
/// let request = ExportChannelsRequest::new(["messaging:general"])
///     .messages_since(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
///     .export_users(true)
///     .format(ExportFormat::Json);
/// assert_eq!(
///     serde_json::to_value(&request).unwrap(),
///     serde_json::json!({
///         "channels": [{"cid": "messaging:general", "messages_since": "2023-11-14T22:13:20Z"}],
///         "export_users": true,
///         "format": "json",
///     }),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct ExportChannelsRequest {
    channels: Vec<ChannelRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    export_users: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    include_truncated_messages: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    include_soft_deleted_channels: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clear_deleted_message_text: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<ExportFormat>,
}

impl ExportChannelsRequest {
    /// Exports these channels (1 to [`MAX_CHANNELS`]): cids (`"messaging:general"`)
    /// or [`ChannelRef`]s.
    pub fn new(channels: impl IntoIterator<Item = impl Into<ChannelRef>>) -> Self {
        ExportChannelsRequest {
            channels: channels.into_iter().map(Into::into).collect(),
            export_users: None,
            include_truncated_messages: None,
            include_soft_deleted_channels: None,
            clear_deleted_message_text: None,
            version: None,
            format: None,
        }
    }

    /// Only messages created at or after `since`, for every channel that does
    /// not set its own ([`ChannelRef::messages_since`]). Default: no bound.
    pub fn messages_since(mut self, since: SystemTime) -> Self {
        for channel in &mut self.channels {
            channel.messages_since.get_or_insert(since);
        }
        self
    }

    /// Only messages created at or before `until`, for every channel that does
    /// not set its own ([`ChannelRef::messages_until`]). Default: no bound.
    pub fn messages_until(mut self, until: SystemTime) -> Self {
        for channel in &mut self.channels {
            channel.messages_until.get_or_insert(until);
        }
        self
    }

    /// Also export the users of the channels. Default (unset): the server's
    /// default (no).
    pub fn export_users(mut self, export: bool) -> Self {
        self.export_users = Some(export);
        self
    }

    /// Include messages removed by truncating a channel. Default (unset): the
    /// server's default.
    pub fn include_truncated_messages(mut self, include: bool) -> Self {
        self.include_truncated_messages = Some(include);
        self
    }

    /// Include soft-deleted channels. Default (unset): the server's default.
    pub fn include_soft_deleted_channels(mut self, include: bool) -> Self {
        self.include_soft_deleted_channels = Some(include);
        self
    }

    /// Blank the text of deleted messages. Default (unset): the server's default.
    pub fn clear_deleted_message_text(mut self, clear: bool) -> Self {
        self.clear_deleted_message_text = Some(clear);
        self
    }

    /// The export format version (e.g. `"v2"`). Default (unset): the server's.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The file format. Default (unset): the server's (JSON).
    pub fn format(mut self, format: ExportFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// The channels to export.
    pub fn channels(&self) -> &[ChannelRef] {
        &self.channels
    }
}

impl OpRequest for ExportChannelsRequest {
    const PATH: &'static [&'static str] = &["api", "v2", "chat", "export_channels"];

    fn validate(&self) -> Result<()> {
        check_count("channels", self.channels.len(), MAX_CHANNELS)?;
        for channel in &self.channels {
            channel.validate()?;
        }
        if self.version.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(InvalidArgumentError::new("version", "must not be empty when set").into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn delete_channels_serializes_as_the_spec() {
        assert_eq!(
            serde_json::to_value(DeleteChannelsRequest::new(["messaging:a", "team:b"])).unwrap(),
            json!({"cids": ["messaging:a", "team:b"]})
        );
        assert_eq!(
            serde_json::to_value(
                DeleteChannelsRequest::new(vec!["messaging:a".to_owned()]).hard_delete(false)
            )
            .unwrap(),
            json!({"cids": ["messaging:a"], "hard_delete": false})
        );
    }

    #[test]
    fn export_channels_serializes_every_option() {
        let request = ExportChannelsRequest::new([
            ChannelRef::from("messaging:a"),
            ChannelRef::new("team", "b").messages_since(at(100)),
        ])
        .messages_since(at(0))
        .messages_until(at(1_700_000_000))
        .export_users(true)
        .include_truncated_messages(false)
        .include_soft_deleted_channels(true)
        .clear_deleted_message_text(true)
        .version("v2")
        .format(ExportFormat::Csv);
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({
                "channels": [
                    {"cid": "messaging:a", "messages_since": "1970-01-01T00:00:00Z",
                     "messages_until": "2023-11-14T22:13:20Z"},
                    {"type": "team", "id": "b", "messages_since": "1970-01-01T00:01:40Z",
                     "messages_until": "2023-11-14T22:13:20Z"},
                ],
                "export_users": true,
                "include_truncated_messages": false,
                "include_soft_deleted_channels": true,
                "clear_deleted_message_text": true,
                "version": "v2",
                "format": "csv",
            })
        );
        assert_eq!(
            serde_json::to_value(ExportChannelsRequest::new(["messaging:a"])).unwrap(),
            json!({"channels": [{"cid": "messaging:a"}]})
        );
        let fractional = ChannelRef::cid("m:a").messages_until(at(1) + Duration::from_millis(250));
        assert_eq!(
            serde_json::to_value(fractional).unwrap(),
            json!({"cid": "m:a", "messages_until": "1970-01-01T00:00:01.25Z"})
        );
    }

    #[test]
    fn bad_channels_are_rejected() {
        let too_many: Vec<String> = (0..=MAX_CHANNELS)
            .map(|i| format!("messaging:{i}"))
            .collect();
        let max: Vec<String> = too_many[..MAX_CHANNELS].to_vec();
        assert!(DeleteChannelsRequest::new(&max).validate().is_ok());
        assert!(ExportChannelsRequest::new(&max).validate().is_ok());
        let cases = [
            DeleteChannelsRequest::new(Vec::<String>::new()).validate(),
            DeleteChannelsRequest::new(&too_many).validate(),
            DeleteChannelsRequest::new(["general"]).validate(),
            DeleteChannelsRequest::new([":general"]).validate(),
            DeleteChannelsRequest::new(["messaging:"]).validate(),
            DeleteChannelsRequest::new(["messaging: x"]).validate(),
            ExportChannelsRequest::new(Vec::<String>::new()).validate(),
            ExportChannelsRequest::new(&too_many).validate(),
            ExportChannelsRequest::new(["nocolon"]).validate(),
            ExportChannelsRequest::new([ChannelRef::new("", "x")]).validate(),
            ExportChannelsRequest::new([ChannelRef::new("a:b", "x")]).validate(),
            ExportChannelsRequest::new([ChannelRef::new("messaging", "")]).validate(),
            ExportChannelsRequest::new(["m:a"])
                .messages_since(at(10))
                .messages_until(at(5))
                .validate(),
            ExportChannelsRequest::new(["m:a"]).version(" ").validate(),
        ];
        for (i, case) in cases.into_iter().enumerate() {
            let e = case.unwrap_err();
            assert!(e.is_invalid_argument(), "case {i}: {e}");
        }
    }

    #[test]
    fn delete_response_decodes_with_and_without_task() {
        let wire: DeleteChannelsWire = serde_json::from_value(json!({
            "result": {"messaging:a": {"status": "ok"}},
            "duration": "1.00ms",
        }))
        .unwrap();
        assert!(wire.task_id.is_none());
        assert!(wire.result["messaging:a"].is_ok());
        let wire: DeleteChannelsWire =
            serde_json::from_value(json!({"task_id": "t1", "result": {}, "duration": 3, "x": 1}))
                .unwrap();
        assert_eq!(wire.task_id.as_deref(), Some("t1"));
        assert_eq!(wire.duration, "3");
        assert_eq!(wire.extra["x"], 1);
    }
}
