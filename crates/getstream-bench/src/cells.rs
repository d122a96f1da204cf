//! Cells of the markdown report: figures read from a bench's JSON, or its error.

use serde_json::Value;

/// The number at `path` in `v`.
pub fn f(v: &Value, path: &[&str]) -> Option<f64> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_f64()
}

/// `x` with `prec` decimals, or `—`.
pub fn num(x: Option<f64>, prec: usize) -> String {
    x.map_or_else(|| "—".to_owned(), |x| format!("{x:.prec$}"))
}

/// The bench's error message, when it failed.
pub fn err(v: &Value) -> Option<String> {
    v.get("error").and_then(Value::as_str).map(str::to_owned)
}

/// `figure` or the bench's error.
pub fn cell(v: &Value, figure: String) -> String {
    err(v).map_or(figure, |e| format!("error: {}", e.replace('|', "/")))
}

/// A target's cell: `yes`, `**no**` or `—` (not measured).
pub fn met(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "yes",
        Some(false) => "**no**",
        None => "—",
    }
}
