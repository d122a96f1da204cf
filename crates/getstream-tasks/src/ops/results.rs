//! The typed results of the task-starting operations: an export's link, the
//! per-item outcomes of the delete operations, a batch update's counts, a
//! block-list import's counts, a membership deletion's removals.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The result of an export (channels or users): where to download the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExportResult {
    /// A link to the exported file. Stream's links expire after 24 hours; each
    /// status request ([`TaskHandle::get`](crate::TaskHandle::get)) issues a fresh one.
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
    /// let item: getstream_tasks::ItemResult = serde_json::from_str(r#"{"status": "ok"}"#).unwrap();
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

/// The result of a channel batch update task.
///
/// ```
/// let result: getstream_tasks::ChannelBatchUpdateResult = serde_json::from_value(serde_json::json!({
///     "operation": "addMembers", "status": "completed", "success_channels_count": 3,
///     "failed_channels": [{"reason": "user u9 does not exist", "cids": ["messaging:a"]}],
/// })).unwrap();
/// assert_eq!(result.success_channels_count, 3);
/// assert_eq!(result.failed_cids().collect::<Vec<_>>(), ["messaging:a"]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChannelBatchUpdateResult {
    /// The operation, as sent (e.g. `addMembers`).
    #[serde(default, deserialize_with = "lenient_string")]
    pub operation: String,
    /// The batch's status, as sent (`completed` when it ran to the end, even if
    /// every channel failed).
    #[serde(default, deserialize_with = "lenient_string")]
    pub status: String,
    /// How many matched channels the operation succeeded on.
    #[serde(default)]
    pub success_channels_count: u64,
    /// The channels it failed on, grouped by reason.
    #[serde(default)]
    pub failed_channels: Vec<FailedChannels>,
    /// Any other field of the result, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ChannelBatchUpdateResult {
    /// Every cid the operation failed on.
    pub fn failed_cids(&self) -> impl Iterator<Item = &str> + '_ {
        self.failed_channels
            .iter()
            .flat_map(|group| group.cids.iter().map(String::as_str))
    }

    /// Whether no channel failed.
    pub fn all_ok(&self) -> bool {
        self.failed_cids().next().is_none()
    }
}

/// The channels of a batch update that failed for one reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "FailedChannelsWire")]
#[non_exhaustive]
pub struct FailedChannels {
    /// Why they failed.
    pub reason: String,
    /// The cids that failed for this reason.
    pub cids: Vec<String>,
}

/// A group as sent: `cids`, or a single `cid` (as some events write it).
#[derive(Deserialize)]
struct FailedChannelsWire {
    #[serde(default, deserialize_with = "lenient_string")]
    reason: String,
    #[serde(default)]
    cids: Vec<String>,
    #[serde(default)]
    cid: Option<String>,
}

impl From<FailedChannelsWire> for FailedChannels {
    fn from(wire: FailedChannelsWire) -> Self {
        let mut cids = wire.cids;
        cids.extend(wire.cid);
        FailedChannels {
            reason: wire.reason,
            cids,
        }
    }
}

/// The result of a block-list import task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BlockListImportResult {
    /// The block list's name.
    #[serde(default, deserialize_with = "lenient_string")]
    pub blocklist: String,
    /// How many items were added.
    #[serde(default)]
    pub added: u64,
    /// How many were skipped: already in the list, or repeated in the call.
    #[serde(default)]
    pub skipped: u64,
    /// How many items the call sent.
    #[serde(default)]
    pub total: u64,
    /// Any other field of the result, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The result of a membership deletion task (started by an upsert or partial
/// update of users that removed teams from users who were members of those
/// teams' channels).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MembershipDeletionResult {
    /// Per user, the channels whose membership was removed.
    #[serde(default)]
    pub removed_memberships: Vec<RemovedMemberships>,
    /// How many memberships were removed in all.
    #[serde(default)]
    pub removed_count: u64,
    /// Any other field of the result, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One user's memberships removed by a membership deletion task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RemovedMemberships {
    /// The user.
    #[serde(default, deserialize_with = "lenient_string")]
    pub user_id: String,
    /// The channels the user is no longer a member of.
    #[serde(default)]
    pub cids: Vec<String>,
}

/// A string field that may come as a number or `null`; never fails.
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[test]
    fn batch_results_decode_both_failure_shapes() {
        let result: ChannelBatchUpdateResult = serde_json::from_value(json!({
            "operation": "hide", "status": "completed", "success_channels_count": 1,
            "failed_channels": [
                {"reason": "gone", "cids": ["m:a", "m:b"]},
                {"cid": "m:c", "reason": "not found"},
            ],
        }))
        .unwrap();
        assert_eq!(
            result.failed_cids().collect::<Vec<_>>(),
            ["m:a", "m:b", "m:c"]
        );
        assert!(!result.all_ok());
        let empty: ChannelBatchUpdateResult =
            serde_json::from_value(json!({"operation": "show", "status": "completed"})).unwrap();
        assert!(empty.all_ok() && empty.success_channels_count == 0);
        let removed: MembershipDeletionResult = serde_json::from_value(json!({
            "removed_memberships": [{"user_id": "u1", "cids": ["m:t1"]}], "removed_count": 1,
        }))
        .unwrap();
        assert_eq!(removed.removed_memberships[0].cids, ["m:t1"]);
    }

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
}
