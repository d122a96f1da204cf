//! Per-item outcomes of batch jobs (which channels or users were processed), read with the
//! SDK's typed results and reported in one way: one `id: status` line per item, and exit 1
//! when some item failed.

use std::collections::BTreeMap;

use getstream_tasks::{DeleteChannelsResult, DeleteUsersResult, ItemResult, Task};
use serde::Deserialize;
use serde_json::Value;

use crate::error::CliError;
use crate::escape::field;

/// A job result that lists an outcome per item.
pub trait Items: Sized {
    /// Reads it from a completed task's result; `None` when the result has another shape.
    fn read(task: &Task) -> Option<Self>;

    /// Every item with its outcome, in id order.
    fn outcomes(&self) -> impl Iterator<Item = (&str, &ItemResult)>;
}

/// The SDK's typed per-item results: the result of the operation that started the task.
macro_rules! typed_items {
    ($($name:ty),*) => {$(
        impl Items for $name {
            fn read(task: &Task) -> Option<Self> {
                serde_json::from_value(task.result.clone()?).ok()
            }

            fn outcomes(&self) -> impl Iterator<Item = (&str, &ItemResult)> {
                self.iter()
            }
        }
    )*};
}

typed_items!(DeleteChannelsResult, DeleteUsersResult);

/// The per-item outcomes of a task whose result type the SDK does not fix (a task waited
/// on by id; deactivate and reactivate users): only a result shaped
/// `{id: {"status": …, "error"?: …}}` counts as one.
#[derive(Debug, Clone, PartialEq)]
pub struct Untyped(BTreeMap<String, ItemResult>);

impl Untyped {
    /// Reads `result` when every value is an object with a string `status`.
    pub fn from_result(result: &Value) -> Option<Self> {
        let map = result.as_object()?;
        if map.is_empty() {
            return None;
        }
        map.iter()
            .map(|(id, v)| {
                v.get("status")?.as_str()?;
                let item = ItemResult::deserialize(v).ok()?;
                Some((id.clone(), item))
            })
            .collect::<Option<_>>()
            .map(Untyped)
    }
}

impl Items for Untyped {
    fn read(task: &Task) -> Option<Self> {
        Untyped::from_result(task.result.as_ref()?)
    }

    fn outcomes(&self) -> impl Iterator<Item = (&str, &ItemResult)> {
        self.0.iter().map(|(id, item)| (id.as_str(), item))
    }
}

/// One item's line: `id: status`, with the error in brackets when there is one.
pub fn line(id: &str, item: &ItemResult) -> String {
    // Ids, statuses and errors are the server's: escaped, one line per item.
    let status = item.status.to_string();
    let (id, status) = (field(id), field(&status));
    match &item.error {
        Some(e) => format!("{id}: {status} ({})", field(e)),
        None => format!("{id}: {status}"),
    }
}

/// Fails with [`CliError::ItemsFailed`] (exit 1) when some item was not processed.
pub fn verdict(task_id: Option<&str>, items: &impl Items) -> Result<(), CliError> {
    let (total, failed) = items.outcomes().fold((0, 0), |(total, failed), (_, item)| {
        (total + 1, failed + usize::from(!item.is_ok()))
    });
    if failed > 0 {
        return Err(CliError::ItemsFailed {
            task_id: task_id.map(str::to_owned),
            failed,
            total,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(result: Value) -> Task {
        serde_json::from_value(json!({"task_id": "t1", "status": "completed", "result": result}))
            .unwrap()
    }

    #[test]
    fn only_a_per_item_shape_is_read_untyped() {
        let items = Untyped::read(&task(json!({
            "messaging:a": {"status": "ok"},
            "messaging:b": {"status": "error", "error": "gone"}
        })))
        .unwrap();
        let lines: Vec<String> = items.outcomes().map(|(id, i)| line(id, i)).collect();
        assert_eq!(lines, ["messaging:a: ok", "messaging:b: error (gone)"]);
        assert!(Untyped::read(&task(json!({"url": "http://x"}))).is_none());
        assert!(Untyped::read(&task(json!({}))).is_none());
        assert!(Untyped::read(&task(json!({"a": {"status": "ok"}, "b": 3}))).is_none());
    }

    #[test]
    fn the_verdict_counts_the_failures() {
        let result = DeleteUsersResult::read(&task(json!({
            "u1": {"status": "ok"},
            "u2": {"status": "error", "error": "no such user"},
            "u3": {"status": "error"}
        })))
        .unwrap();
        match verdict(Some("t1"), &result) {
            Err(CliError::ItemsFailed {
                task_id,
                failed,
                total,
            }) => {
                assert_eq!(task_id.as_deref(), Some("t1"));
                assert_eq!((failed, total), (2, 3));
            }
            other => panic!("expected ItemsFailed, got {other:?}"),
        }
        let all_ok =
            DeleteChannelsResult::read(&task(json!({"messaging:a": {"status": "ok"}}))).unwrap();
        assert!(verdict(None, &all_ok).is_ok());
    }
}
