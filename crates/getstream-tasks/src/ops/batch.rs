//! Channel batch update: one operation over every channel a filter matches,
//! run as a task (`PUT /api/v2/chat/channels/batch`).

use std::time::SystemTime;

use http::Method;
use serde::ser::Error as _;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

pub use super::batch_parts::{
    ChannelBatchFilter, ChannelBatchMember, ChannelBatchOperation, ChannelDataUpdate,
};
use super::chat::rfc3339;
use super::{Chat, TaskHandle, call, check_count, lenient_string};
use crate::client::Client;
use crate::error::{InvalidArgumentError, Result};

/// At most this many members in one channel batch update.
pub const MAX_BATCH_MEMBERS: usize = 100;

impl Chat {
    /// Runs one operation over every channel the filter matches:
    /// `PUT /api/v2/chat/channels/batch`. The answer's task (when it names one:
    /// Stream's schema makes `task_id` optional) resolves to a
    /// [`ChannelBatchUpdateResult`](crate::ChannelBatchUpdateResult); a pushed
    /// `channel_batch_update.completed` event wakes its wait.
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidArgument`](crate::Error::InvalidArgument), before any
    ///   request, for a filter with neither cids nor types (or an empty `$in`,
    ///   a blank type, a cid not `type:id`); more than [`MAX_BATCH_MEMBERS`]
    ///   members or a blank user id; no members for a member operation (all but
    ///   `updateData`); `assignRoles` without a `channel_role` per member;
    ///   `updateData` without `data`, `custom_set` or `custom_unset`;
    ///   `custom_set`/`custom_unset` with another operation or with
    ///   `data.custom`; `hide_history_before` with any operation but
    ///   `addMembersHideHistory` (which requires it);
    /// * [`Error::Api`](crate::Error::Api), [`Error::Transport`](crate::Error::Transport)
    ///   or [`Error::Decode`](crate::Error::Decode) when the request fails.
    pub async fn channel_batch_update(
        &self,
        request: ChannelBatchUpdateRequest,
    ) -> Result<ChannelBatchUpdateResponse> {
        request.validate()?;
        let path = ["api", "v2", "chat", "channels", "batch"];
        let wire: BatchWire = call(self.client(), Method::PUT, &path, Some(&request)).await?;
        Ok(ChannelBatchUpdateResponse {
            task_id: wire.task_id.filter(|id| !id.is_empty()),
            duration: wire.duration,
            extra: wire.extra,
            client: self.client().clone(),
        })
    }
}

#[derive(Deserialize)]
struct BatchWire {
    #[serde(default)]
    task_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    duration: String,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

channel_batch_update_response!(
    /// What a channel batch update answered at once: maybe a task id
    /// ([`task`](Self::task)). Serializes to the fields as sent.
    Client
);

/// The body of `PUT /api/v2/chat/channels/batch`.
///
/// ```
/// use getstream_tasks::{ChannelBatchFilter, ChannelBatchMember, ChannelBatchOperation as Op,
///     ChannelBatchUpdateRequest};
/// let request = ChannelBatchUpdateRequest::new(Op::AddMembers, ChannelBatchFilter::types(["team"]))
///     .members([ChannelBatchMember::new("ann").channel_role("channel_moderator")]);
/// assert_eq!(
///     serde_json::to_value(&request).unwrap(),
///     serde_json::json!({
///         "operation": "addMembers",
///         "filter": {"types": {"$eq": "team"}},
///         "members": [{"user_id": "ann", "channel_role": "channel_moderator"}],
///     }),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct ChannelBatchUpdateRequest {
    operation: ChannelBatchOperation,
    filter: ChannelBatchFilter,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    members: Vec<ChannelBatchMember>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<ChannelDataUpdate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_set: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_unset: Option<Vec<String>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "time_rfc3339"
    )]
    hide_history_before: Option<SystemTime>,
}

fn time_rfc3339<S: Serializer>(
    time: &Option<SystemTime>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    match time {
        Some(time) => rfc3339(*time)
            .ok_or_else(|| S::Error::custom("hide_history_before is out of range"))?
            .serialize(serializer),
        None => serializer.serialize_none(),
    }
}

impl ChannelBatchUpdateRequest {
    /// `operation` over the channels `filter` matches.
    pub fn new(operation: ChannelBatchOperation, filter: ChannelBatchFilter) -> Self {
        ChannelBatchUpdateRequest {
            operation,
            filter,
            members: Vec::new(),
            data: None,
            custom_set: None,
            custom_unset: None,
            hide_history_before: None,
        }
    }

    /// The users the operation acts on (1 to [`MAX_BATCH_MEMBERS`]; required by
    /// every operation but `updateData`): user ids or [`ChannelBatchMember`]s.
    pub fn members(
        mut self,
        members: impl IntoIterator<Item = impl Into<ChannelBatchMember>>,
    ) -> Self {
        self.members = members.into_iter().map(Into::into).collect();
        self
    }

    /// The channel fields `updateData` sets.
    pub fn data(mut self, data: ChannelDataUpdate) -> Self {
        self.data = Some(data);
        self
    }

    /// `updateData` only: merges these keys (dot-paths) into each channel's
    /// custom data.
    pub fn custom_set(mut self, set: Map<String, Value>) -> Self {
        self.custom_set = Some(set);
        self
    }

    /// `updateData` only: removes these keys (dot-paths) from each channel's
    /// custom data.
    pub fn custom_unset(mut self, keys: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.custom_unset = Some(keys.into_iter().map(Into::into).collect());
        self
    }

    /// `addMembersHideHistory` only (and required there): the added members do
    /// not see messages before this time.
    pub fn hide_history_before(mut self, before: SystemTime) -> Self {
        self.hide_history_before = Some(before);
        self
    }

    /// The operation.
    pub fn operation(&self) -> ChannelBatchOperation {
        self.operation
    }

    /// Checks the request against the spec's limits and the operation's rules.
    fn validate(&self) -> Result<()> {
        let op = self.operation;
        let invalid =
            |argument: &str, why: String| Err(InvalidArgumentError::new(argument, why).into());
        self.filter.validate()?;
        if op.takes_members() && self.members.is_empty() {
            return invalid("members", format!("are required by {}", op.as_str()));
        }
        if !self.members.is_empty() {
            check_count("members", self.members.len(), MAX_BATCH_MEMBERS)?;
        }
        for (i, member) in self.members.iter().enumerate() {
            if member.user_id.trim().is_empty() {
                return invalid("members", format!("entry {i} has an empty user_id"));
            }
            match member.channel_role.as_deref() {
                Some(role) if role.trim().is_empty() => {
                    return invalid("members", format!("entry {i} has an empty channel_role"));
                }
                None if op == ChannelBatchOperation::AssignRoles => {
                    return invalid(
                        "members",
                        format!("entry {i} needs a channel_role for assignRoles"),
                    );
                }
                _ => {}
            }
        }
        let updates_custom = self.custom_set.is_some() || self.custom_unset.is_some();
        if op == ChannelBatchOperation::UpdateData {
            if self.data.is_none() && !updates_custom {
                return invalid(
                    "data",
                    "is required by updateData (or custom_set/custom_unset)".into(),
                );
            }
        } else if updates_custom {
            return invalid(
                "custom_set",
                format!("is for updateData only, not {}", op.as_str()),
            );
        }
        if updates_custom && self.data.as_ref().is_some_and(|d| d.custom.is_some()) {
            return invalid("custom_set", "cannot be combined with data.custom".into());
        }
        if self.custom_set.as_ref().is_some_and(Map::is_empty) {
            return invalid("custom_set", "must not be empty when set".into());
        }
        if let Some(keys) = &self.custom_unset {
            check_count("custom_unset", keys.len(), usize::MAX)?;
            if keys.iter().any(|k| k.trim().is_empty()) {
                return invalid("custom_unset", "has an empty key".into());
            }
        }
        let hides = op == ChannelBatchOperation::AddMembersHideHistory;
        match self.hide_history_before {
            Some(_) if !hides => invalid(
                "hide_history_before",
                format!("is for addMembersHideHistory only, not {}", op.as_str()),
            ),
            None if hides => invalid(
                "hide_history_before",
                "is required by addMembersHideHistory".into(),
            ),
            Some(time) if rfc3339(time).is_none() => invalid(
                "hide_history_before",
                "cannot be written as an RFC 3339 time".into(),
            ),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::{Duration, UNIX_EPOCH};

    use ChannelBatchOperation as Op;

    fn request(op: Op) -> ChannelBatchUpdateRequest {
        ChannelBatchUpdateRequest::new(op, ChannelBatchFilter::cids(["messaging:a"]))
    }

    #[test]
    fn every_field_serializes_as_the_contract() {
        let mut set = Map::new();
        set.insert("color".into(), json!("red"));
        let data = ChannelDataUpdate {
            frozen: Some(true),
            team: Some("blue".into()),
            ..ChannelDataUpdate::new()
        };
        let body = ChannelBatchUpdateRequest::new(
            Op::UpdateData,
            ChannelBatchFilter::cids(["messaging:a", "messaging:b"]).and_types(["messaging"]),
        )
        .data(data)
        .custom_set(set)
        .custom_unset(["old"]);
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({
                "operation": "updateData",
                "filter": {"cids": {"$in": ["messaging:a", "messaging:b"]}, "types": {"$eq": "messaging"}},
                "data": {"frozen": true, "team": "blue"},
                "custom_set": {"color": "red"},
                "custom_unset": ["old"],
            })
        );
        let hide = request(Op::AddMembersHideHistory)
            .members(["ann"])
            .hide_history_before(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        assert!(hide.validate().is_ok());
        assert_eq!(
            serde_json::to_value(&hide).unwrap()["hide_history_before"],
            "2023-11-14T22:13:20Z"
        );
        for op in Op::ALL {
            assert_eq!(serde_json::to_value(op).unwrap(), op.as_str());
            assert_eq!(Op::parse(op.as_str()), Some(op));
        }
    }

    #[test]
    fn the_operation_rules_are_checked() {
        let many: Vec<String> = (0..=MAX_BATCH_MEMBERS).map(|i| format!("u{i}")).collect();
        assert!(
            request(Op::Hide)
                .members(&many[..MAX_BATCH_MEMBERS])
                .validate()
                .is_ok()
        );
        assert!(
            request(Op::UpdateData)
                .custom_unset(["k"])
                .validate()
                .is_ok()
        );
        let custom = ChannelDataUpdate {
            custom: Some(Map::new()),
            ..ChannelDataUpdate::new()
        };
        let cases = [
            ChannelBatchUpdateRequest::new(
                Op::Hide,
                ChannelBatchFilter::cids(Vec::<String>::new()),
            )
            .members(["u"]),
            ChannelBatchUpdateRequest::new(Op::Hide, ChannelBatchFilter::cids(["nocolon"]))
                .members(["u"]),
            ChannelBatchUpdateRequest::new(Op::Hide, ChannelBatchFilter::types([" "]))
                .members(["u"]),
            request(Op::AddMembers),
            request(Op::Archive).members(&many),
            request(Op::Show).members([" "]),
            request(Op::AssignRoles).members(["u"]),
            request(Op::AddMembers).members([ChannelBatchMember::new("u").channel_role("")]),
            request(Op::UpdateData),
            request(Op::Hide).members(["u"]).custom_unset(["k"]),
            request(Op::UpdateData).data(custom).custom_unset(["k"]),
            request(Op::UpdateData).custom_set(Map::new()),
            request(Op::UpdateData).custom_unset([""]),
            request(Op::AddMembers)
                .members(["u"])
                .hide_history_before(UNIX_EPOCH),
            request(Op::AddMembersHideHistory).members(["u"]),
        ];
        for (i, case) in cases.into_iter().enumerate() {
            let e = case.validate().unwrap_err();
            assert!(e.is_invalid_argument(), "case {i}: {e}");
        }
    }
}
