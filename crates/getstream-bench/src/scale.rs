//! Bench 2 at scale (issue 13), on its own: starts an emulator (release
//! binary, no rate limits), scripts `n` tasks `running` for `complete_after`,
//! and runs the `waits` subcommand in a child process (so the memory, CPU and
//! sockets measured are the client's alone). With `--python`, Stream's official
//! Python SDK then waits on the same number of fresh tasks, scripted alike,
//! against the same emulator (`python/waits.py`, polling every 1 s).

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::emu::{Admin, EmulatorProcess};
use crate::{BoxError, child, python_command, self_command};

/// Arguments of the `scale` subcommand.
#[derive(Debug, clap::Args)]
pub struct ScaleArgs {
    /// The emulator binary (release build).
    #[arg(long)]
    emulator: PathBuf,
    #[arg(long, default_value_t = 10_000)]
    n: u32,
    /// Each wait's poll interval.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    interval: Duration,
    /// The waits start in 1,000 batches spread over this.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    stagger: Duration,
    /// Tasks are `running` this long after their creation, then `completed`.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    complete_after: Duration,
    #[arg(long, default_value = "120s", value_parser = humantime::parse_duration)]
    timeout: Duration,
    /// Give the client a `TaskEvents` hub (every wait listens; nothing is
    /// published): what push costs a sleeping wait.
    #[arg(long)]
    task_events: bool,
    /// Also run the official Python SDK on as many waits (its interval is
    /// 1 s and its timeout 60 s, both fixed by the script).
    #[arg(long)]
    python: Option<PathBuf>,
    /// The Python bench scripts.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/python"))]
    python_dir: PathBuf,
}

/// Runs the measurement; the child's JSON plus how the tasks were made.
pub async fn run(args: ScaleArgs) -> Result<Value, BoxError> {
    let process = EmulatorProcess::start(&args.emulator)?;
    let target = process.target.clone();
    let admin = Admin::new(&target.base_url)?;
    let ids: Vec<String> = (0..args.n).map(|i| format!("scale-{i}")).collect();
    // Tasks run from their creation: creating many takes a while, so the
    // first ones would be done before the waits start. Running time is
    // counted past the creation.
    let made = admin.script_many(&ids, args.complete_after).await?;
    eprintln!(
        "bench: created {} scripted tasks in {:.1} s",
        args.n,
        made.as_secs_f64()
    );
    let n = args.n.to_string();
    let fmt = |d: Duration| format!("{}ms", d.as_millis());
    let (interval, stagger, timeout) = (fmt(args.interval), fmt(args.stagger), fmt(args.timeout));
    let mut waits_args = vec![
        "waits",
        "--prefix",
        "scale-",
        "--n",
        &n,
        "--interval",
        &interval,
        "--stagger",
        &stagger,
        "--timeout",
        &timeout,
        "--no-socket-sampler",
    ];
    if args.task_events {
        waits_args.push("--task-events");
    }
    let command = self_command(&target, &waits_args)?;
    let cap = args.timeout + args.stagger + Duration::from_secs(60);
    let mut value = tokio::task::spawn_blocking(move || {
        child::run_json(command, "bench 2 at scale (ours)", cap)
    })
    .await??;
    value["tasks_created_in_s"] = made.as_secs_f64().into();
    value["complete_after_s"] = args.complete_after.as_secs_f64().into();
    if let Some(python) = &args.python {
        let ids: Vec<String> = (0..args.n).map(|i| format!("scale-py-{i}")).collect();
        admin.script_many(&ids, args.complete_after).await?;
        let stagger_ms = args.stagger.as_millis().to_string();
        let cap_s = (args.timeout + args.stagger).as_secs().to_string();
        let command = python_command(
            python,
            args.python_dir.join("waits.py"),
            &target,
            &[
                "--prefix",
                "scale-py-",
                "--n",
                &n,
                "--stagger-ms",
                &stagger_ms,
                "--cap-s",
                &cap_s,
            ],
        );
        let python_cap = args.timeout + args.stagger + Duration::from_secs(60);
        let python = tokio::task::spawn_blocking(move || {
            child::run_json(command, "bench 2 at scale (python)", python_cap)
        })
        .await?;
        value["python"] = python.unwrap_or_else(|e| serde_json::json!({"error": e.to_string()}));
        let ratio = |field: &str| {
            let (ours, theirs) = (value[field].as_f64(), value["python"][field].as_f64());
            ours.zip(theirs)
                .filter(|(ours, _)| *ours > 0.0)
                .map(|(ours, theirs)| theirs / ours)
        };
        let (peak, per_wait) = (ratio("peak_kib"), ratio("per_wait_bytes"));
        value["python_over_ours_peak"] = peak.into();
        value["python_over_ours_per_wait"] = per_wait.into();
    }
    drop(process);
    Ok(value)
}
