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

/// A field's name (`event_hooks[i].x`) and what is wrong with it.
type FieldError = (String, String);

/// Parses and checks a PATCH's `event_hooks`; the error names the field (`event_hooks[i].x`)
/// and the problem.
pub(crate) fn parse_hooks(v: &Value) -> Result<Vec<EventHook>, FieldError> {
    let Value::Array(items) = v else {
        return Err(("event_hooks".into(), "must be a list of hooks".into()));
    };
    if items.len() > MAX_EVENT_HOOKS {
        return Err((
            "event_hooks".into(),
            format!("must contain at most {MAX_EVENT_HOOKS} hooks"),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(o) => parse_hook(&HookFields { i, o }),
            _ => Err(("event_hooks".into(), format!("item {i} must be an object"))),
        })
        .collect()
}

/// One hook's object in the list, and its index there (for the field names errors carry).
struct HookFields<'a> {
    i: usize,
    o: &'a Map<String, Value>,
}

impl HookFields<'_> {
    /// The full name of field `f`: `event_hooks[i].f`.
    fn name(&self, f: &str) -> String {
        format!("event_hooks[{}].{f}", self.i)
    }

    /// A string field of at most [`MAX_FIELD_LEN`] bytes, if given.
    fn string(&self, f: &str) -> Result<Option<String>, FieldError> {
        match self.o.get(f) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.len() <= MAX_FIELD_LEN => Ok(Some(s.clone())),
            Some(Value::String(_)) => Err((
                self.name(f),
                format!("must be at most {MAX_FIELD_LEN} bytes"),
            )),
            Some(_) => Err((self.name(f), "must be a string".into())),
        }
    }

    /// A boolean field, if given.
    fn boolean(&self, f: &str) -> Result<Option<bool>, FieldError> {
        match self.o.get(f) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err((self.name(f), "must be a boolean".into())),
        }
    }

    /// `event_types`: at most [`MAX_HOOK_EVENT_TYPES`] names of 1..=100 bytes (none: all).
    fn event_types(&self) -> Result<Vec<String>, FieldError> {
        let not_strings = || (self.name("event_types"), "must be a list of strings".into());
        let types = match self.o.get("event_types") {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(not_strings)?,
            Some(_) => return Err(not_strings()),
        };
        if types.len() > MAX_HOOK_EVENT_TYPES {
            return Err((
                self.name("event_types"),
                format!("must contain at most {MAX_HOOK_EVENT_TYPES} items"),
            ));
        }
        if let Some(j) = types.iter().position(|e| e.is_empty() || e.len() > 100) {
            return Err((
                self.name("event_types"),
                format!("item {j} must be 1..=100 bytes"),
            ));
        }
        Ok(types)
    }

    /// `timeout_ms`: an integer 1..=[`MAX_HOOK_TIMEOUT_MS`], if given.
    fn timeout_ms(&self) -> Result<Option<u64>, FieldError> {
        match self.o.get("timeout_ms") {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_u64() {
                Some(t) if (1..=MAX_HOOK_TIMEOUT_MS).contains(&t) => Ok(Some(t)),
                _ => Err((
                    self.name("timeout_ms"),
                    format!("must be an integer 1..={MAX_HOOK_TIMEOUT_MS}"),
                )),
            },
        }
    }
}

/// Parses and checks one hook: its type, filter, URL (required for a webhook), timeout,
/// AWS fields and flags; a hook without an `id` gets a new one.
fn parse_hook(h: &HookFields<'_>) -> Result<EventHook, FieldError> {
    let hook_type = h.string("hook_type")?.unwrap_or_else(|| "webhook".into());
    if !matches!(hook_type.as_str(), "webhook" | "sqs" | "sns") {
        return Err((h.name("hook_type"), "must be webhook, sqs or sns".into()));
    }
    let enabled = h.boolean("enabled")?.unwrap_or(true);
    let event_types = h.event_types()?;
    let webhook_url = h.string("webhook_url")?.unwrap_or_default();
    if hook_type == "webhook" {
        if webhook_url.is_empty() {
            return Err((
                h.name("webhook_url"),
                "is required for a webhook hook".into(),
            ));
        }
        check_url(&webhook_url).map_err(|e| (h.name("webhook_url"), e))?;
    }
    let timeout_ms = h.timeout_ms()?;
    let mut aws = BTreeMap::new();
    for f in AWS_FIELDS {
        if let Some(s) = h.string(f)?.filter(|s| !s.is_empty()) {
            aws.insert(f.to_owned(), s);
        }
    }
    let mut flags = BTreeMap::new();
    for f in FLAG_FIELDS {
        if let Some(b) = h.boolean(f)? {
            flags.insert(f.to_owned(), b);
        }
    }
    let id = h
        .string("id")?
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    Ok(EventHook {
        id,
        hook_type,
        enabled,
        event_types,
        webhook_url,
        timeout_ms,
        aws,
        flags,
    })
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
