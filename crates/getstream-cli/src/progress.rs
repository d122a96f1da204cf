//! Waiting on a task with a live progress display on stderr (status, elapsed, polls) when it
//! is a terminal, and quietly otherwise.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use getstream::{Client, Observation, Task};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::WaitArgs;
use crate::output::Ctx;

/// Waits for `task_id` to finish: returns the completed task or the SDK's error (task
/// failed, timeout, API, transport, invalid knobs).
pub async fn wait(
    ctx: &Ctx,
    client: &Client,
    task_id: &str,
    knobs: &WaitArgs,
    what: &str,
) -> Result<Task, getstream::Error> {
    ctx.set_current_task(task_id);
    let polls = Arc::new(AtomicU32::new(0));
    let mut wait = client
        .wait_for_task(task_id)
        .interval(knobs.interval)
        .timeout(knobs.timeout);
    let bar = ctx.interactive.then(|| spinner(what, task_id));
    {
        let polls = Arc::clone(&polls);
        let bar = bar.clone();
        let what = what.to_owned();
        wait = wait.on_poll(move |seen| {
            polls.store(seen.poll(), Ordering::Relaxed);
            if let Some(bar) = &bar {
                bar.set_message(describe(&what, seen));
            }
        });
    }
    let outcome = wait.await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
        let polls = polls.load(Ordering::Relaxed);
        let elapsed = humantime::format_duration(round_ms(bar.elapsed()));
        let plural = if polls == 1 { "" } else { "s" };
        let how = match &outcome {
            Ok(_) => "✔ completed".to_owned(),
            Err(e) if e.is_task() => "✘ failed".to_owned(),
            Err(e) if e.is_timeout() => "⌛ still running when we gave up".to_owned(),
            Err(_) => "✘ could not be followed".to_owned(),
        };
        eprintln!("{what}: task {task_id} {how} after {elapsed}, {polls} poll{plural}");
    }
    outcome
}

fn spinner(what: &str, task_id: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner:.cyan} [{elapsed}] {wide_msg}") {
        bar.set_style(style.tick_strings(&["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏", "·"]));
    }
    bar.set_message(format!("{what}: starting · task {task_id}"));
    bar.enable_steady_tick(Duration::from_millis(80));
    bar
}

fn describe(what: &str, seen: &Observation<'_>) -> String {
    let status = match (seen.status(), seen.error()) {
        (Some(status), _) => status.to_string(),
        (None, Some(e)) => format!("no answer ({e}), retrying"),
        (None, None) => "…".to_owned(),
    };
    let plural = if seen.poll() == 1 { "" } else { "s" };
    format!(
        "{what}: {status} · {} poll{plural} · task {}",
        seen.poll(),
        seen.task_id()
    )
}

fn round_ms(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis() as u64)
}
