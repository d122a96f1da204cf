//! A channel batch update's result as the CLI shows it, and its verdict (exit 1 when some
//! channel failed): shared by `channels batch-update` and `tasks wait` / `tasks get`.

use getstream_tasks::ChannelBatchUpdateResult;
use serde_json::Value;

use crate::error::CliError;
use crate::escape::field;

/// The result, when `result` has a batch update's shape (its counts of channels).
pub fn read(result: &Value) -> Option<ChannelBatchUpdateResult> {
    let map = result.as_object()?;
    if !map.contains_key("success_channels_count") && !map.contains_key("failed_channels") {
        return None;
    }
    serde_json::from_value(result.clone()).ok()
}

/// The lines describing it: the operation, its status, how many channels succeeded, and one
/// line per failed channel.
pub fn lines(result: &ChannelBatchUpdateResult) -> Vec<String> {
    let mut lines = vec![
        format!("operation:  {}", field(&result.operation)),
        format!("batch:      {}", field(&result.status)),
        format!("succeeded:  {} channels", result.success_channels_count),
    ];
    for group in &result.failed_channels {
        for cid in &group.cids {
            lines.push(format!("{}: failed ({})", field(cid), field(&group.reason)));
        }
    }
    lines
}

/// Fails with [`CliError::ItemsFailed`] (exit 1) when some channel failed.
pub fn verdict(task_id: &str, result: &ChannelBatchUpdateResult) -> Result<(), CliError> {
    let failed = result.failed_cids().count();
    if failed == 0 {
        return Ok(());
    }
    let succeeded = usize::try_from(result.success_channels_count).unwrap_or(usize::MAX);
    Err(CliError::ItemsFailed {
        task_id: Some(task_id.to_owned()),
        failed,
        total: failed.saturating_add(succeeded),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_a_batch_shape_is_read_and_failures_fail() {
        assert!(read(&json!({"url": "http://x"})).is_none());
        assert!(read(&json!({"u1": {"status": "ok"}})).is_none());
        let result = read(&json!({"operation": "hide", "status": "completed",
            "success_channels_count": 2,
            "failed_channels": [{"reason": "gone", "cids": ["m:a"]}]}))
        .unwrap();
        assert_eq!(lines(&result)[3], "m:a: failed (gone)");
        assert!(matches!(
            verdict("t1", &result),
            Err(CliError::ItemsFailed {
                failed: 1,
                total: 3,
                ..
            })
        ));
        let ok = read(&json!({"success_channels_count": 0, "failed_channels": []})).unwrap();
        assert!(verdict("t1", &ok).is_ok());
    }
}
