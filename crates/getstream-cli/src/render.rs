//! Human renderings of tasks and their results.

use getstream::Task;
use serde_json::Value;

/// Per-item outcomes of a job result shaped `{id: {"status": "ok"|"error", "error"?}}`, if
/// it has that shape: `(id, status, error)`.
pub fn item_results(result: &Value) -> Option<Vec<(String, String, Option<String>)>> {
    let map = result.as_object()?;
    if map.is_empty() {
        return None;
    }
    map.iter()
        .map(|(id, v)| {
            let status = v.get("status")?.as_str()?.to_owned();
            let error = v.get("error").and_then(Value::as_str).map(str::to_owned);
            Some((id.clone(), status, error))
        })
        .collect()
}

/// How many items of a per-item result are not `ok`.
pub fn failed_items(items: &[(String, String, Option<String>)]) -> usize {
    items
        .iter()
        .filter(|(_, status, _)| !status.eq_ignore_ascii_case("ok"))
        .count()
}

/// The lines describing a task for a human.
pub fn task_lines(task: &Task) -> Vec<String> {
    let mut lines = vec![
        format!("task_id:    {}", task.task_id),
        format!("status:     {}", task.status),
    ];
    if let Some(t) = &task.created_at {
        lines.push(format!("created_at: {t}"));
    }
    if let Some(t) = &task.updated_at {
        lines.push(format!("updated_at: {t}"));
    }
    if let Some(e) = &task.error {
        lines.push(format!("error_type: {}", e.error_type));
        lines.push(format!("description: {}", e.description));
        if let Some(s) = &e.stacktrace {
            // Continuation lines line up under the first one.
            lines.push(format!(
                "stack_trace: {}",
                s.trim_end().replace('\n', "\n             ")
            ));
        }
        if let Some(v) = &e.version {
            lines.push(format!("version:    {v}"));
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
        return vec![format!("url:        {url}")];
    }
    if let Some(items) = item_results(result) {
        let mut lines = vec!["result:".to_owned()];
        for (id, status, error) in items {
            match error {
                Some(e) => lines.push(format!("  {id}: {status} ({e})")),
                None => lines.push(format!("  {id}: {status}")),
            }
        }
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
    fn per_item_results_are_recognised() {
        let r = json!({"messaging:a": {"status": "ok"}, "messaging:b": {"status": "error", "error": "gone"}});
        let items = item_results(&r).unwrap();
        assert_eq!(failed_items(&items), 1);
        assert_eq!(
            result_lines(&r),
            vec![
                "result:",
                "  messaging:a: ok",
                "  messaging:b: error (gone)"
            ]
        );
        assert!(item_results(&json!({"url": "http://x"})).is_none());
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
