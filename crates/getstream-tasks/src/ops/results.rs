//! The typed results of the task-starting operations: an export's link, and
//! the per-item outcomes of the delete operations.

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
