//! The parts of a channel batch update request: the operation, the filter on
//! cids and types, the members, the channel data to set.

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use super::chat::check_cid;
use super::check_count;
use crate::error::{InvalidArgumentError, Result};

/// The operation of a channel batch update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum ChannelBatchOperation {
    /// Add the members (`addMembers`).
    AddMembers,
    /// Remove the members (`removeMembers`).
    RemoveMembers,
    /// Invite the members (`inviteMembers`).
    InviteMembers,
    /// Invites sent by the members (`invites`).
    Invites,
    /// Give each member its `channel_role` (`assignRoles`).
    AssignRoles,
    /// Make the members moderators (`addModerators`).
    AddModerators,
    /// Make the moderators members again (`demoteModerators`).
    DemoteModerators,
    /// Hide the channels for the members (`hide`).
    Hide,
    /// Show hidden channels to the members again (`show`).
    Show,
    /// Archive the channels for the members (`archive`).
    Archive,
    /// Unarchive the channels for the members (`unarchive`).
    Unarchive,
    /// Change the channels' data (`updateData`): `data`, `custom_set`, `custom_unset`.
    UpdateData,
    /// Add the members, hiding history before `hide_history_before`
    /// (`addMembersHideHistory`; newer than the twelve above, and not every
    /// server supports it).
    AddMembersHideHistory,
}

impl ChannelBatchOperation {
    /// The twelve operations every server supports (not `addMembersHideHistory`).
    pub const ALL: [ChannelBatchOperation; 12] = [
        Self::AddMembers,
        Self::RemoveMembers,
        Self::InviteMembers,
        Self::Invites,
        Self::AssignRoles,
        Self::AddModerators,
        Self::DemoteModerators,
        Self::Hide,
        Self::Show,
        Self::Archive,
        Self::Unarchive,
        Self::UpdateData,
    ];

    /// The operation's name on the wire, e.g. `"addMembers"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AddMembers => "addMembers",
            Self::RemoveMembers => "removeMembers",
            Self::InviteMembers => "inviteMembers",
            Self::Invites => "invites",
            Self::AssignRoles => "assignRoles",
            Self::AddModerators => "addModerators",
            Self::DemoteModerators => "demoteModerators",
            Self::Hide => "hide",
            Self::Show => "show",
            Self::Archive => "archive",
            Self::Unarchive => "unarchive",
            Self::UpdateData => "updateData",
            Self::AddMembersHideHistory => "addMembersHideHistory",
        }
    }

    /// The operation named `name` on the wire (case-sensitive), if any.
    ///
    /// ```
    /// use getstream_tasks::ChannelBatchOperation;
    /// assert_eq!(ChannelBatchOperation::parse("hide"), Some(ChannelBatchOperation::Hide));
    /// assert_eq!(ChannelBatchOperation::parse("freeze"), None);
    /// ```
    pub fn parse(name: &str) -> Option<ChannelBatchOperation> {
        std::iter::once(Self::AddMembersHideHistory)
            .chain(Self::ALL)
            .find(|op| op.as_str() == name)
    }

    /// Whether the operation acts on `members` (every one but `updateData`).
    pub fn takes_members(self) -> bool {
        self != Self::UpdateData
    }
}

/// One value of a batch filter field: `{"$eq": x}` or `{"$in": [..]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Matcher {
    Eq(String),
    In(Vec<String>),
}

impl Matcher {
    fn of(values: Vec<String>) -> Matcher {
        match <[String; 1]>::try_from(values) {
            Ok([one]) => Matcher::Eq(one),
            Err(many) => Matcher::In(many),
        }
    }

    fn values(&self) -> &[String] {
        match self {
            Matcher::Eq(one) => std::slice::from_ref(one),
            Matcher::In(many) => many,
        }
    }
}

impl Serialize for Matcher {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = Map::new();
        match self {
            Matcher::Eq(one) => map.insert("$eq".into(), Value::String(one.clone())),
            Matcher::In(many) => map.insert("$in".into(), many.clone().into()),
        };
        map.serialize(serializer)
    }
}

/// Which channels a batch update acts on: by cid and/or by type (both given:
/// channels matching both).
///
/// ```
/// use getstream_tasks::ChannelBatchFilter;
/// let filter = ChannelBatchFilter::cids(["messaging:a", "messaging:b"]);
/// assert_eq!(
///     serde_json::to_value(&filter).unwrap(),
///     serde_json::json!({"cids": {"$in": ["messaging:a", "messaging:b"]}}),
/// );
/// let filter = ChannelBatchFilter::types(["team"]);
/// assert_eq!(serde_json::to_value(&filter).unwrap(), serde_json::json!({"types": {"$eq": "team"}}));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[must_use]
pub struct ChannelBatchFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    cids: Option<Matcher>,
    #[serde(skip_serializing_if = "Option::is_none")]
    types: Option<Matcher>,
}

impl ChannelBatchFilter {
    /// The channels with these cids (`type:id`): `$eq` for one, `$in` for more.
    pub fn cids(cids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        ChannelBatchFilter {
            cids: Some(Matcher::of(cids.into_iter().map(Into::into).collect())),
            types: None,
        }
    }

    /// The channels of these types: `$eq` for one, `$in` for more.
    pub fn types(types: impl IntoIterator<Item = impl Into<String>>) -> Self {
        ChannelBatchFilter {
            cids: None,
            types: Some(Matcher::of(types.into_iter().map(Into::into).collect())),
        }
    }

    /// Also requires the channel type to be one of these.
    pub fn and_types(mut self, types: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.types = Some(Matcher::of(types.into_iter().map(Into::into).collect()));
        self
    }

    pub(super) fn validate(&self) -> Result<()> {
        if self.cids.is_none() && self.types.is_none() {
            return Err(InvalidArgumentError::new("filter", "needs cids or types").into());
        }
        if let Some(cids) = &self.cids {
            check_count("filter.cids", cids.values().len(), usize::MAX)?;
            for cid in cids.values() {
                check_cid("filter.cids", cid)?;
            }
        }
        if let Some(types) = &self.types {
            check_count("filter.types", types.values().len(), usize::MAX)?;
            if types
                .values()
                .iter()
                .any(|t| t.trim().is_empty() || t.contains(':'))
            {
                return Err(InvalidArgumentError::new(
                    "filter.types",
                    "a channel type must be non-empty, without ':'",
                )
                .into());
            }
        }
        Ok(())
    }
}

/// One member of a batch update: a user, with a channel role for `assignRoles`
/// (or to add the member with).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[must_use]
pub struct ChannelBatchMember {
    pub(super) user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) channel_role: Option<String>,
}

impl ChannelBatchMember {
    /// The user `user_id`.
    pub fn new(user_id: impl Into<String>) -> Self {
        ChannelBatchMember {
            user_id: user_id.into(),
            channel_role: None,
        }
    }

    /// The member's channel role, e.g. `channel_moderator`.
    pub fn channel_role(mut self, role: impl Into<String>) -> Self {
        self.channel_role = Some(role.into());
        self
    }
}

impl<S: Into<String>> From<S> for ChannelBatchMember {
    fn from(user_id: S) -> Self {
        ChannelBatchMember::new(user_id)
    }
}

/// The channel fields `updateData` sets (each unset field is left as it is).
///
/// Also decodes from JSON (e.g. a command line's `--data`), refusing unknown fields:
///
/// ```
/// let data: getstream_tasks::ChannelDataUpdate =
///     serde_json::from_str(r#"{"frozen": true, "team": "red"}"#).unwrap();
/// assert_eq!(data.frozen, Some(true));
/// assert!(serde_json::from_str::<getstream_tasks::ChannelDataUpdate>(r#"{"frozn": true}"#).is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ChannelDataUpdate {
    /// Freeze (no new messages) or unfreeze the channels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frozen: Option<bool>,
    /// Disable or enable the channels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// Replace the channels' custom data (not with `custom_set`/`custom_unset`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<Map<String, Value>>,
    /// Move the channels to this team.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Per-channel overrides of the channel type's configuration, as JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_overrides: Option<Map<String, Value>>,
    /// Turn automatic translation on or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_translation_enabled: Option<bool>,
    /// The language to translate into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_translation_language: Option<String>,
}

impl ChannelDataUpdate {
    /// An update that changes nothing yet; set its fields.
    pub fn new() -> Self {
        ChannelDataUpdate::default()
    }
}
