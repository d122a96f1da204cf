//! Stream's `event_hooks` app setting: a list of hooks, each a webhook, SQS queue or SNS
//! topic with its own event filter. Webhook hooks are delivered to; SQS and SNS hooks are
//! stored and shown but not delivered (the emulator speaks HTTP only).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::url::check_url;

/// Most hooks per app.
pub const MAX_EVENT_HOOKS: usize = 10;
/// Most entries in one hook's `event_types`.
pub const MAX_HOOK_EVENT_TYPES: usize = 100;
/// Largest `timeout_ms` accepted (per attempt; the delivery window stays the policy's).
pub const MAX_HOOK_TIMEOUT_MS: u64 = 10_000;
/// Longest SQS/SNS string field.
const MAX_FIELD_LEN: usize = 2048;

/// The other string fields a hook keeps (stored and shown, not used).
const AWS_FIELDS: [&str; 13] = [
    "product",
    "sqs_queue_url",
    "sqs_region",
    "sqs_auth_type",
    "sqs_key",
    "sqs_secret",
    "sqs_role_arn",
    "sns_topic_arn",
    "sns_region",
    "sns_auth_type",
    "sns_key",
    "sns_secret",
    "sns_role_arn",
];

/// The other boolean fields a hook keeps (stored and shown, not used).
const FLAG_FIELDS: [&str; 2] = [
    "should_send_custom_events",
    "sns_event_based_message_group_id_enabled",
];

/// Fields never answered back (credentials).
const SECRET_FIELDS: [&str; 2] = ["sqs_secret", "sns_secret"];

/// One entry of `event_hooks`, checked.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EventHook {
    pub id: String,
    pub hook_type: String,
    pub enabled: bool,
    #[serde(default)]
    pub event_types: Vec<String>,
    #[serde(default)]
    pub webhook_url: String,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    #[serde(default)]
    pub aws: BTreeMap<String, String>,
    #[serde(default)]
    pub flags: BTreeMap<String, bool>,
}

impl std::fmt::Debug for EventHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventHook")
            .field("id", &self.id)
            .field("hook_type", &self.hook_type)
            .field("enabled", &self.enabled)
            .field("event_types", &self.event_types)
            .field("webhook_url", &self.webhook_url)
            .field("timeout_ms", &self.timeout_ms)
            .finish_non_exhaustive()
    }
}

impl EventHook {
    /// Whether this hook gets an event of this type by HTTP now.
    pub fn delivers(&self, event_type: &str) -> bool {
        self.enabled
            && self.hook_type == "webhook"
            && !self.webhook_url.is_empty()
            && (self.event_types.is_empty()
                || self.event_types.iter().any(|e| e == event_type || e == "*"))
    }

    /// The per-attempt timeout this hook asks for, if any.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout_ms.map(Duration::from_millis)
    }

    /// The hook as `GET /api/v2/app` shows it: secrets left out.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.clone().into());
        m.insert("hook_type".into(), self.hook_type.clone().into());
        m.insert("enabled".into(), self.enabled.into());
        m.insert("event_types".into(), self.event_types.clone().into());
        m.insert("webhook_url".into(), self.webhook_url.clone().into());
        if let Some(t) = self.timeout_ms {
            m.insert("timeout_ms".into(), t.into());
        }
        for (k, v) in &self.aws {
            if !SECRET_FIELDS.contains(&k.as_str()) {
                m.insert(k.clone(), v.clone().into());
            }
        }
        for (k, v) in &self.flags {
            m.insert(k.clone(), (*v).into());
        }
        Value::Object(m)
    }
}

/// Parses and checks a PATCH's `event_hooks`; the error names the field (`event_hooks[i].x`)
/// and the problem.
pub(crate) fn parse_hooks(v: &Value) -> Result<Vec<EventHook>, (String, String)> {
    let field = |i: usize, f: &str| format!("event_hooks[{i}].{f}");
    let Value::Array(items) = v else {
        return Err(("event_hooks".into(), "must be a list of hooks".into()));
    };
    if items.len() > MAX_EVENT_HOOKS {
        return Err((
            "event_hooks".into(),
            format!("must contain at most {MAX_EVENT_HOOKS} hooks"),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::Object(o) = item else {
            return Err(("event_hooks".into(), format!("item {i} must be an object")));
        };
        let string = |f: &str| -> Result<Option<String>, (String, String)> {
            match o.get(f) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.len() <= MAX_FIELD_LEN => Ok(Some(s.clone())),
                Some(Value::String(_)) => Err((
                    field(i, f),
                    format!("must be at most {MAX_FIELD_LEN} bytes"),
                )),
                Some(_) => Err((field(i, f), "must be a string".into())),
            }
        };
        let hook_type = string("hook_type")?.unwrap_or_else(|| "webhook".into());
        if !matches!(hook_type.as_str(), "webhook" | "sqs" | "sns") {
            return Err((field(i, "hook_type"), "must be webhook, sqs or sns".into()));
        }
        let enabled = match o.get("enabled") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err((field(i, "enabled"), "must be a boolean".into())),
        };
        let event_types = match o.get("event_types") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => {
                let types = a
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| (field(i, "event_types"), "must be a list of strings".into()))?;
                if types.len() > MAX_HOOK_EVENT_TYPES {
                    return Err((
                        field(i, "event_types"),
                        format!("must contain at most {MAX_HOOK_EVENT_TYPES} items"),
                    ));
                }
                if let Some(j) = types.iter().position(|e| e.is_empty() || e.len() > 100) {
                    return Err((
                        field(i, "event_types"),
                        format!("item {j} must be 1..=100 bytes"),
                    ));
                }
                types
            }
            Some(_) => return Err((field(i, "event_types"), "must be a list of strings".into())),
        };
        let webhook_url = string("webhook_url")?.unwrap_or_default();
        if hook_type == "webhook" {
            if webhook_url.is_empty() {
                return Err((
                    field(i, "webhook_url"),
                    "is required for a webhook hook".into(),
                ));
            }
            check_url(&webhook_url).map_err(|e| (field(i, "webhook_url"), e))?;
        }
        let timeout_ms = match o.get("timeout_ms") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_u64() {
                Some(t) if (1..=MAX_HOOK_TIMEOUT_MS).contains(&t) => Some(t),
                _ => {
                    return Err((
                        field(i, "timeout_ms"),
                        format!("must be an integer 1..={MAX_HOOK_TIMEOUT_MS}"),
                    ));
                }
            },
        };
        let mut aws = BTreeMap::new();
        for f in AWS_FIELDS {
            if let Some(s) = string(f)?.filter(|s| !s.is_empty()) {
                aws.insert(f.to_owned(), s);
            }
        }
        let mut flags = BTreeMap::new();
        for f in FLAG_FIELDS {
            match o.get(f) {
                None | Some(Value::Null) => {}
                Some(Value::Bool(b)) => {
                    flags.insert(f.to_owned(), *b);
                }
                Some(_) => return Err((field(i, f), "must be a boolean".into())),
            }
        }
        let id = string("id")?
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        out.push(EventHook {
            id,
            hook_type,
            enabled,
            event_types,
            webhook_url,
            timeout_ms,
            aws,
            flags,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hooks_are_checked_and_filter() {
        let hooks = parse_hooks(&json!([
            {"hook_type": "webhook", "webhook_url": "http://h/", "event_types": ["a"]},
            {"hook_type": "sqs", "sqs_queue_url": "https://q", "sqs_secret": "s3cret", "enabled": false},
        ]))
        .unwrap();
        assert!(hooks[0].delivers("a"));
        assert!(!hooks[0].delivers("b"));
        assert!(!hooks[1].delivers("a"));
        let shown = hooks[1].to_json();
        assert_eq!(shown["sqs_queue_url"], "https://q");
        assert!(shown.get("sqs_secret").is_none());
        assert!(!format!("{:?}", hooks[1]).contains("s3cret"));
        let bad = |v: Value| parse_hooks(&v).unwrap_err().0;
        assert_eq!(
            bad(json!([{"hook_type": "kafka"}])),
            "event_hooks[0].hook_type"
        );
        assert_eq!(
            bad(json!([{"webhook_url": "ftp://x"}])),
            "event_hooks[0].webhook_url"
        );
        assert_eq!(
            bad(json!([{"webhook_url": "http://h/", "timeout_ms": 0}])),
            "event_hooks[0].timeout_ms"
        );
        assert_eq!(
            bad(json!(vec![json!({"hook_type": "sns"}); 11])),
            "event_hooks"
        );
    }
}
