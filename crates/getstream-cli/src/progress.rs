//! Waiting on a task with a live progress display on stderr (status, elapsed, polls) when it
//! is a terminal, and quietly otherwise.

use std::time::Duration;

use futures::StreamExt;
use getstream_tasks::{Client, Polled, Task, TaskStatus, WatchEvent};
use indicatif::{ProgressBar, ProgressStyle};

use crate::escape;
use crate::flags::WaitArgs;
use crate::output::Ctx;

/// Waits for `task_id` to finish: returns the completed task or the SDK's error (task
/// failed, timeout, API, transport, invalid knobs). Follows the SDK's `watch_task` stream,
/// updating the display on each poll.
pub async fn wait(
    ctx: &Ctx,
    client: &Client,
    task_id: &str,
    knobs: &WaitArgs,
    what: &str,
) -> Result<Task, getstream_tasks::Error> {
    ctx.set_current_task(task_id);
    let mut events = client
        .wait_for_task(task_id)
        .interval(knobs.interval)
        .timeout(knobs.timeout)
        .watch();
    let bar = ctx.interactive.then(|| spinner(what, task_id));
    let mut polls = 0;
    let mut outcome = None;
    while let Some(event) = events.next().await {
        match event {
            WatchEvent::Polled(seen) => {
                polls = seen.poll();
                if let Some(bar) = &bar {
                    bar.set_message(escape::field(&describe(what, &seen)).into_owned());
                }
            }
            WatchEvent::Finished(result) => {
                outcome = Some(result);
                break;
            }
        }
    }
    let outcome = outcome.unwrap_or_else(|| {
        Err(getstream_tasks::CancelledError::new(Some(task_id.to_owned())).into())
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
        let polls = match &outcome {
            Err(getstream_tasks::Error::Transport(e)) if e.is_wait_timeout() => {
                e.polls().unwrap_or(polls)
            }
            _ => polls + 1,
        };
        let elapsed = humantime::format_duration(round_ms(bar.elapsed()));
        let plural = if polls == 1 { "" } else { "s" };
        let how = match &outcome {
            Ok(_) => "✔ completed".to_owned(),
            Err(e) if e.is_task() => "✘ failed".to_owned(),
            Err(getstream_tasks::Error::Transport(e)) if e.is_wait_timeout() => {
                gave_up(e.last_status())
            }
            Err(_) => "✘ could not be followed".to_owned(),
        };
        let line = format!("{what}: task {task_id} {how} after {elapsed}, {polls} poll{plural}");
        eprintln!("{}", escape::field(&line));
    }
    outcome
}

/// How a wait that timed out ended, as far as we know: the last status seen, if any.
fn gave_up(last_status: Option<&TaskStatus>) -> String {
    match last_status {
        Some(status) => format!("⌛ still {status} when we gave up"),
        None => "⌛ no status seen (every poll failed) when we gave up".to_owned(),
    }
}

fn spinner(what: &str, task_id: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner:.cyan} [{elapsed}] {wide_msg}") {
        bar.set_style(style.tick_strings(&["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏", "·"]));
    }
    bar.set_message(escape::field(&format!("{what}: starting · task {task_id}")).into_owned());
    bar.enable_steady_tick(Duration::from_millis(80));
    bar
}

fn describe(what: &str, seen: &Polled) -> String {
    let status = match (seen.status(), seen.error()) {
        (Some(status), _) => status.to_string(),
        (None, Some(e)) => format!("poll failed ({e}), retrying"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timed_out_wait_says_only_what_it_saw() {
        assert_eq!(
            gave_up(Some(&TaskStatus::Pending)),
            "⌛ still pending when we gave up"
        );
        assert_eq!(
            gave_up(Some(&TaskStatus::Running)),
            "⌛ still running when we gave up"
        );
        let unseen = gave_up(None);
        assert!(!unseen.contains("running"), "{unseen}");
        assert!(unseen.contains("no status seen"), "{unseen}");
    }
}
