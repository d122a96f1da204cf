//! Runs a measurement in a child process (so its CPU and memory are its own) and reads
//! the JSON line it prints last; samples the child's TCP sockets meanwhile.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::BoxError;

/// Runs `command` for at most `cap`; returns the last stdout line that is a JSON object.
/// A child still running at `cap` is killed and reported as an error. Every 20 ms the
/// child's TCP sockets are counted from here (not from a thread in the child, whose
/// memory would count as the child's): when the JSON has no `peak_sockets` of its own,
/// the peak seen is put there.
pub fn run_json(mut command: Command, what: &str, cap: Duration) -> Result<Value, BoxError> {
    eprintln!("bench: {what} ...");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + cap;
    let pid = child.id().to_string();
    let mut peak_sockets = 0;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        peak_sockets = peak_sockets.max(crate::measure::socket_count_of(&pid));
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{what}: still running after {} s; killed", cap.as_secs()).into());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = reader.join().map_err(|_| "reader thread panicked")?;
    let line = out
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .ok_or_else(|| format!("{what}: exited with {status} and printed no JSON result"))?;
    let mut value: Value = serde_json::from_str(line)?;
    if value.get("peak_sockets").is_none_or(Value::is_null) && value.is_object() {
        value["peak_sockets"] = peak_sockets.into();
    }
    if let Some(e) = value.get("error").and_then(Value::as_str) {
        return Err(format!("{what}: {e}").into());
    }
    Ok(value)
}
