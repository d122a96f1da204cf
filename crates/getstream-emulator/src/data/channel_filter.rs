//! The filter and sort of query channels: parsed (and checked) once, then matched against
//! each channel as one user (`user_id`) sees it.

use std::cmp::Ordering;

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::data::app_data::Channel;

/// A comparison of one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    In,
    Nin,
    Gt,
    Gte,
    Lt,
    Lte,
    Exists,
}

/// A parsed filter.
#[derive(Debug, Clone)]
pub(crate) enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Nor(Vec<Filter>),
    Field { field: String, op: Op, value: Value },
}

/// Fields that are times: compared as times (RFC 3339 or Unix ns in the filter).
const TIME_FIELDS: [&str; 4] = ["created_at", "updated_at", "last_message_at", "deleted_at"];
/// Fields that need a `user_id` (the member's view).
pub(crate) const USER_FIELDS: [&str; 3] = ["hidden", "archived", "joined"];

fn op_of(name: &str) -> Option<Op> {
    Some(match name {
        "$eq" => Op::Eq,
        "$ne" => Op::Ne,
        "$in" => Op::In,
        "$nin" => Op::Nin,
        "$gt" => Op::Gt,
        "$gte" => Op::Gte,
        "$lt" => Op::Lt,
        "$lte" => Op::Lte,
        "$exists" => Op::Exists,
        _ => return None,
    })
}

/// A time in a filter: RFC 3339, or Unix nanoseconds.
fn time_of(v: &Value) -> Option<OffsetDateTime> {
    match v {
        Value::String(s) => OffsetDateTime::parse(s, &Rfc3339).ok(),
        Value::Number(n) => n
            .as_i64()
            .and_then(|ns| OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns)).ok()),
        _ => None,
    }
}

fn check_value(field: &str, op: Op, v: &Value) -> Result<(), String> {
    let each: Vec<&Value> = match (op, v) {
        (Op::In | Op::Nin, Value::Array(a)) => a.iter().collect(),
        (Op::In | Op::Nin, _) => return Err(format!("{field}: $in and $nin take an array")),
        (Op::Exists, Value::Bool(_)) => return Ok(()),
        (Op::Exists, _) => return Err(format!("{field}: $exists takes a boolean")),
        (_, v) => vec![v],
    };
    if TIME_FIELDS.contains(&field) && each.iter().any(|v| !v.is_null() && time_of(v).is_none()) {
        return Err(format!("{field}: must be compared with RFC 3339 times"));
    }
    Ok(())
}

impl Filter {
    /// Parses `filter_conditions`.
    ///
    /// # Errors
    /// An unknown operator, or a value of the wrong kind, as text naming the field.
    pub fn parse(conditions: &Map<String, Value>) -> Result<Self, String> {
        let mut all = Vec::new();
        for (k, v) in conditions {
            all.push(match k.as_str() {
                "$and" | "$or" | "$nor" => {
                    let Value::Array(items) = v else {
                        return Err(format!("{k} takes an array of filters"));
                    };
                    let parts = items
                        .iter()
                        .map(|x| match x {
                            Value::Object(o) => Self::parse(o),
                            _ => Err(format!("{k} takes an array of filters")),
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    match k.as_str() {
                        "$and" => Self::And(parts),
                        "$or" => Self::Or(parts),
                        _ => Self::Nor(parts),
                    }
                }
                f if f.starts_with('$') => return Err(format!("unknown operator {f}")),
                f => match v {
                    Value::Object(o) if o.keys().any(|x| x.starts_with('$')) => {
                        let mut parts = Vec::new();
                        for (opk, value) in o {
                            let op =
                                op_of(opk).ok_or_else(|| format!("{f}: unknown operator {opk}"))?;
                            check_value(f, op, value)?;
                            parts.push(Self::Field {
                                field: f.to_owned(),
                                op,
                                value: value.clone(),
                            });
                        }
                        Self::And(parts)
                    }
                    value => {
                        check_value(f, Op::Eq, value)?;
                        Self::Field {
                            field: f.to_owned(),
                            op: Op::Eq,
                            value: value.clone(),
                        }
                    }
                },
            });
        }
        Ok(Self::And(all))
    }

    /// Whether the filter names `field` anywhere.
    pub fn names(&self, field: &str) -> bool {
        match self {
            Self::And(p) | Self::Or(p) | Self::Nor(p) => p.iter().any(|f| f.names(field)),
            Self::Field { field: f, .. } => f == field,
        }
    }

    /// Whether `c` matches, as `user` sees it.
    pub fn matches(&self, c: &Channel, user: Option<&str>) -> bool {
        match self {
            Self::And(p) => p.iter().all(|f| f.matches(c, user)),
            Self::Or(p) => p.iter().any(|f| f.matches(c, user)),
            Self::Nor(p) => !p.iter().any(|f| f.matches(c, user)),
            Self::Field { field, op, value } if field == "members" => members_match(c, *op, value),
            Self::Field { field, op, value } => compare(field_value(c, field, user), *op, value),
        }
    }
}

fn members_match(c: &Channel, op: Op, value: &Value) -> bool {
    let is_member = |v: &Value| {
        v.as_str()
            .is_some_and(|id| c.members.iter().any(|m| m.user_id == id))
    };
    match (op, value) {
        (Op::In, Value::Array(a)) => a.iter().any(is_member),
        (Op::Nin, Value::Array(a)) => !a.iter().any(is_member),
        (Op::Eq, Value::Array(a)) => a.len() == c.members.len() && a.iter().all(is_member),
        (Op::Eq, v) => is_member(v),
        (Op::Ne, v) => !is_member(v),
        (Op::Exists, Value::Bool(b)) => c.members.is_empty() != *b,
        _ => false,
    }
}

/// A channel's field for filters and sorts: a JSON value, or a time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field {
    Json(Value),
    Time(OffsetDateTime),
}

/// The time a channel was last active: its last message, or its creation.
pub(crate) fn last_updated(c: &Channel) -> OffsetDateTime {
    last_message_at(c).map_or(c.created_at, |t| t.max(c.created_at))
}

fn last_message_at(c: &Channel) -> Option<OffsetDateTime> {
    c.visible_messages()
        .filter(|m| m.deleted_at.is_none())
        .map(|m| m.created_at)
        .max()
}

/// The value of `field` of `c` as `user` sees it; `None` when it has none.
pub(crate) fn field_value(c: &Channel, field: &str, user: Option<&str>) -> Option<Field> {
    let member = user.and_then(|u| c.members.iter().find(|m| m.user_id == u));
    let json = |v: Value| Some(Field::Json(v));
    match field {
        "cid" => json(c.cid().into()),
        "type" => json(c.kind.clone().into()),
        "id" => json(c.id.clone().into()),
        "frozen" => json(c.frozen.into()),
        "disabled" => json(c.disabled.into()),
        "team" => c.team.clone().and_then(|t| json(t.into())),
        "created_by_id" => c.created_by_id.clone().and_then(|t| json(t.into())),
        "member_count" => json(c.members.len().into()),
        "created_at" => Some(Field::Time(c.created_at)),
        "updated_at" => Some(Field::Time(c.updated_at)),
        "deleted_at" => c.deleted_at.map(Field::Time),
        "last_message_at" => last_message_at(c).map(Field::Time),
        "last_updated" => Some(Field::Time(last_updated(c))),
        "hidden" => json(member.is_some_and(|m| m.hidden).into()),
        "archived" => json(member.is_some_and(|m| m.archived_at.is_some()).into()),
        "joined" => json(member.is_some_and(|m| !m.invited).into()),
        other => c
            .custom
            .get(other)
            .or_else(|| c.settings.get(other))
            .cloned()
            .map(Field::Json),
    }
}

/// Orders two field values: times by time, numbers by value, strings and booleans by
/// value; values of different kinds do not compare.
fn order(a: &Field, b: &Value) -> Option<Ordering> {
    match a {
        Field::Time(t) => time_of(b).map(|b| t.cmp(&b)),
        Field::Json(a) => json_order(a, b),
    }
}

pub(crate) fn json_order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        (x, y) => (x == y).then_some(Ordering::Equal),
    }
}

fn compare(have: Option<Field>, op: Op, want: &Value) -> bool {
    let eq = |w: &Value| {
        have.as_ref()
            .is_some_and(|h| order(h, w) == Some(Ordering::Equal))
            || (have.is_none() && w.is_null())
    };
    match op {
        Op::Exists => have.is_some() == want.as_bool().unwrap_or(true),
        Op::Eq => eq(want),
        Op::Ne => !eq(want),
        Op::In => want.as_array().is_some_and(|a| a.iter().any(eq)),
        Op::Nin => !want.as_array().is_some_and(|a| a.iter().any(eq)),
        Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
            let Some(o) = have.as_ref().and_then(|h| order(h, want)) else {
                return false;
            };
            match op {
                Op::Gt => o == Ordering::Greater,
                Op::Gte => o != Ordering::Less,
                Op::Lt => o == Ordering::Less,
                _ => o != Ordering::Greater,
            }
        }
    }
}

/// Orders two channels by one sort field (ascending); a channel without the field sorts
/// last.
pub(crate) fn sort_order(a: &Channel, b: &Channel, field: &str, user: Option<&str>) -> Ordering {
    let (x, y) = (field_value(a, field, user), field_value(b, field, user));
    match (x, y) {
        (Some(Field::Time(x)), Some(Field::Time(y))) => x.cmp(&y),
        (Some(Field::Json(x)), Some(Field::Json(y))) => {
            json_order(&x, &y).unwrap_or(Ordering::Equal)
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_parse_and_refuse_bad_operators() {
        let f = |v: Value| Filter::parse(v.as_object().unwrap());
        assert!(f(json!({"type": "messaging", "cid": {"$in": ["a:b"]}})).is_ok());
        assert!(f(json!({"$or": [{"frozen": true}, {"team": "x"}]})).is_ok());
        assert!(f(json!({"type": {"$regex": "x"}})).is_err());
        assert!(f(json!({"cid": {"$in": "a:b"}})).is_err());
        assert!(f(json!({"created_at": {"$gt": "yesterday"}})).is_err());
        assert!(f(json!({"$or": {"frozen": true}})).is_err());
        let parsed = f(json!({"$and": [{"hidden": true}]})).unwrap();
        assert!(parsed.names("hidden") && !parsed.names("team"));
    }
}
