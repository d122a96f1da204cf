//! Human renderings of tasks and their results.

use getstream_tasks::Task;
use serde_json::Value;

use crate::batch_result;
use crate::escape::field;
use crate::items::{self, Items, Untyped};

/// The lines describing a task for a human.
pub fn task_lines(task: &Task) -> Vec<String> {
    // Every string here is the server's: one escaped field per line.
    let mut lines = vec![
        format!("task_id:    {}", field(&task.task_id)),
        format!("status:     {}", field(&task.status.to_string())),
    ];
    if let Some(t) = &task.created_at {
        lines.push(format!("created_at: {t}"));
    }
    if let Some(t) = &task.updated_at {
        lines.push(format!("updated_at: {t}"));
    }
    if let Some(e) = &task.error {
        lines.push(format!("error_type: {}", field(&e.error_type)));
        lines.push(format!("description: {}", field(&e.description)));
        if let Some(s) = &e.stacktrace {
            // Continuation lines line up under the first one.
            let trace: Vec<_> = s.trim_end().lines().map(field).collect();
            lines.push(format!("stack_trace: {}", trace.join("\n             ")));
        }
        if let Some(v) = &e.version {
            lines.push(format!("version:    {}", field(v)));
        }
    }
    if let Some(result) = &task.result {
        lines.extend(result_lines(result));
    }
    lines
}

/// The lines describing a job result: the download URL of an export, per-item statuses, or
/// the JSON as is.
pub fn result_lines(result: &Value) -> Vec<String> {
    if let Some(url) = result.get("url").and_then(Value::as_str) {
        return vec![format!("url:        {}", field(url))];
    }
    if let Some(batch) = batch_result::read(result) {
        return batch_result::lines(&batch);
    }
    if let Some(per_item) = Untyped::from_result(result) {
        let mut lines = vec!["result:".to_owned()];
        lines.extend(
            per_item
                .outcomes()
                .map(|(id, item)| format!("  {}", items::line(id, item))),
        );
        return lines;
    }
    let pretty = serde_json::to_string_pretty(result).unwrap_or_else(|_| result.to_string());
    vec![format!("result:     {pretty}")]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn per_item_results_are_listed_under_result() {
        let r = json!({"messaging:a": {"status": "ok"}, "messaging:b": {"status": "error", "error": "gone"}});
        assert_eq!(
            result_lines(&r),
            vec![
                "result:",
                "  messaging:a: ok",
                "  messaging:b: error (gone)"
            ]
        );
        assert_eq!(
            result_lines(&json!({"url": "http://x"})),
            vec!["url:        http://x"]
        );
    }

    #[test]
    fn a_multi_line_stack_trace_lines_up() {
        let task: Task = serde_json::from_value(json!({
            "task_id": "t1",
            "status": "failed",
            "error": {"type": "Boom", "description": "it broke", "stacktrace": "at a\nat b\n"}
        }))
        .unwrap();
        let text = task_lines(&task).join("\n");
        assert!(
            text.contains("stack_trace: at a\n             at b"),
            "{text}"
        );
        assert!(!text.ends_with('\n'), "{text:?}");
    }
}
