//! `getstream-bench all`: runs every bench, one step per bench, each in child processes
//! ([`args`]: its options), then prints the markdown table ([`table`]).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::emu::{Admin, EmulatorProcess, Target};
use crate::{BoxError, async_runtime, child, detect, python_command, self_command};

mod args;
mod table;

pub use args::AllArgs;
use args::COMPLETIONS_MS;

/// Longest one of our own measurements may run in its child process.
const CAP_RUST: Duration = Duration::from_secs(600);

/// Runs every bench; a failed bench is reported in its row, the others still run.
pub fn all(args: AllArgs) -> Result<(), BoxError> {
    let emulator = emulator_binary(&args)?;
    let process = EmulatorProcess::start(&emulator)?;
    let target = process.target.clone();
    eprintln!(
        "bench: emulator at {} (release, instant pace, no rate limits)",
        target.base_url
    );
    let mut bench = Bench {
        args: &args,
        rt: async_runtime()?,
        admin: Admin::new(&target.base_url)?,
        target,
        figures: serde_json::Map::new(),
    };
    bench.roundtrip()?;
    bench.waits();
    bench.overshoot();
    bench.detection();
    drop(process);
    bench.load();
    bench.batch(&emulator);
    let results = Value::Object(bench.figures);
    write_report(&results, &args)
}

/// `--emulator`, or `getstream-emulator` next to this binary.
fn emulator_binary(args: &AllArgs) -> Result<PathBuf, BoxError> {
    Ok(match &args.emulator {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .ok_or("no parent dir")?
            .join("getstream-emulator"),
    })
}

/// Prints the markdown table, and writes it and the raw figures where asked.
fn write_report(results: &Value, args: &AllArgs) -> Result<(), BoxError> {
    let markdown = table::render(results, args);
    println!("{markdown}");
    if let Some(path) = &args.out {
        std::fs::write(path, &markdown)?;
    }
    if let Some(path) = &args.json_out {
        std::fs::write(path, serde_json::to_string_pretty(results)?)?;
    }
    Ok(())
}

/// What every step uses: the options, the emulator and its admin API, and the figures so
/// far (one entry per measurement, an `{"error": …}` for one that failed).
struct Bench<'a> {
    args: &'a AllArgs,
    target: Target,
    rt: tokio::runtime::Runtime,
    admin: Admin,
    figures: serde_json::Map<String, Value>,
}

impl Bench<'_> {
    /// Keeps a measurement's figures, or its error (said on stderr too).
    fn put(&mut self, key: &str, v: Result<Value, BoxError>) {
        let v = v.unwrap_or_else(|e| {
            eprintln!("bench: {key} failed: {e}");
            json!({"error": e.to_string()})
        });
        self.figures.insert(key.to_owned(), v);
    }

    /// Runs one of our measurements (`getstream-bench ARGS`) in a child process.
    fn ours(&self, args: &[&str], what: &str) -> Result<Value, BoxError> {
        self_command(&self.target, args).and_then(|cmd| child::run_json(cmd, what, CAP_RUST))
    }

    /// A Python bench script's command, when `--python` is given.
    fn python_command(&self, script: &str, a: &[&str]) -> Option<Command> {
        self.args
            .python
            .as_ref()
            .map(|p| python_command(p, self.args.python_dir.join(script), &self.target, a))
    }

    /// Runs a Python bench script, or says it was not run.
    fn python(&self, script: &str, a: &[&str], what: &str) -> Result<Value, BoxError> {
        match self.python_command(script, a) {
            Some(cmd) => child::run_json(cmd, what, self.args.python_cap),
            None => no_python(),
        }
    }

    /// Bench 1, `get_task` round trips: the bare clients and ours taking turns, ours on
    /// a multi-thread runtime, Python.
    fn roundtrip(&mut self) -> Result<(), BoxError> {
        self.rt.block_on(self.admin.script_task(
            "roundtrip-task",
            &[("completed", Duration::ZERO)],
            json!({"messaging:general": {"status": "ok"}, "messaging:random": {"status": "ok"}}),
        ))?;
        let polls = self.args.polls.to_string();
        let cmd = self_command(
            &self.target,
            &[
                "roundtrip",
                "--impl",
                "bare-hyper,bare-reqwest,ours",
                "--current-thread",
                "--task-id",
                "roundtrip-task",
                "--n",
                &polls,
            ],
        )?;
        match child::run_json(
            cmd,
            "bench 1 (bare hyper, bare reqwest, ours; taking turns)",
            CAP_RUST,
        ) {
            Ok(v) => {
                let results = v["results"].as_array().cloned().unwrap_or_default();
                for (key, r) in ["rt_hyper", "rt_reqwest", "rt_ours"]
                    .into_iter()
                    .zip(results)
                {
                    self.put(key, Ok(r));
                }
            }
            Err(e) => {
                let e = e.to_string();
                for key in ["rt_hyper", "rt_reqwest", "rt_ours"] {
                    self.put(key, Err(e.clone().into()));
                }
            }
        }
        let cmd = self_command(
            &self.target,
            &[
                "roundtrip",
                "--impl",
                "ours",
                "--task-id",
                "roundtrip-task",
                "--n",
                &polls,
            ],
        )?;
        let v =
            child::run_json(cmd, "bench 1 (ours, multi-thread runtime)", CAP_RUST).and_then(|v| {
                v["results"]
                    .get(0)
                    .cloned()
                    .ok_or_else(|| "no result".into())
            });
        self.put("rt_ours_mt", v);
        let v = self.python(
            "roundtrip.py",
            &["--task-id", "roundtrip-task", "--n", &polls],
            "bench 1 (python)",
        );
        self.put("rt_python", v);
        Ok(())
    }

    /// Bench 2: concurrent waits: ours, then Python's large and small runs.
    fn waits(&mut self) {
        let args = self.args;
        let stagger = format!("{}ms", args.stagger.as_millis());
        let v = (|| {
            let made = self.rt.block_on(
                self.admin
                    .script_many(&ids("wait-ours-", args.waits), args.complete_after),
            )?;
            eprintln!(
                "bench: created {} scripted tasks in {:.1} s",
                args.waits,
                made.as_secs_f64()
            );
            let n = args.waits.to_string();
            self.ours(
                &[
                    "waits",
                    "--prefix",
                    "wait-ours-",
                    "--n",
                    &n,
                    "--stagger",
                    &stagger,
                ],
                "bench 2 (ours)",
            )
        })();
        self.put("waits_ours", v);
        for (key, prefix, n) in [
            ("waits_python", "wait-py-", args.python_waits),
            ("waits_python_small", "wait-pys-", args.python_waits_small),
        ] {
            let v = match args.python {
                Some(_) if n > 0 => self.python_waits(prefix, n),
                Some(_) => Err("not run: 0 waits".into()),
                None => no_python(),
            };
            self.put(key, v);
        }
    }

    /// One Python run of bench 2: `n` waits on tasks named `prefix…`.
    fn python_waits(&self, prefix: &str, n: u32) -> Result<Value, BoxError> {
        let args = self.args;
        self.rt
            .block_on(self.admin.script_many(&ids(prefix, n), args.complete_after))?;
        let n = n.to_string();
        // The script reports by itself at this cap (its loop may be saturated).
        let cap = format!("{}", args.python_cap.as_secs().saturating_sub(40).max(10));
        let stagger_ms = args.stagger.as_millis().to_string();
        let cmd = self
            .python_command(
                "waits.py",
                &[
                    "--prefix",
                    prefix,
                    "--n",
                    &n,
                    "--stagger-ms",
                    &stagger_ms,
                    "--cap-s",
                    &cap,
                ],
            )
            .ok_or("no python")?;
        child::run_json(
            cmd,
            &format!("bench 2 (python, {n} waits)"),
            args.python_cap,
        )
    }

    /// Bench 3: deadline overshoot against a hung server.
    fn overshoot(&mut self) {
        let v = (|| {
            self.rt
                .block_on(self.admin.hang("/api/v2/tasks/hang-task"))?;
            let runs = self.args.overshoot_runs.to_string();
            self.ours(
                &[
                    "overshoot",
                    "--task-id",
                    "hang-task",
                    "--timeout",
                    "2s",
                    "--runs",
                    &runs,
                ],
                "bench 3 (ours)",
            )
        })();
        self.put("overshoot_ours", v);
        let v = self.python(
            "overshoot.py",
            &["--task-id", "hang-task", "--timeout", "2", "--runs", "1"],
            "bench 3 (python)",
        );
        self.put("overshoot_python", v);
        let _ = self.rt.block_on(self.admin.clear_faults());
    }

    /// Bench 4: detection latency vs requests, per poll policy.
    fn detection(&mut self) {
        eprintln!("bench: bench 4 (detection latency) ...");
        let completions: Vec<Duration> = COMPLETIONS_MS
            .iter()
            .map(|&ms| Duration::from_millis(ms))
            .collect();
        let v = self.rt.block_on(detect::run(
            &self.target,
            &completions,
            self.args.detect_reps,
        ));
        self.put("detect", v);
    }

    /// Bench 5: the emulator's task route under load vs a bare axum route.
    fn load(&mut self) {
        let args = self.args;
        let phase = format!("{}ms", args.load_phase.as_millis());
        let v = self.ours(
            &[
                "load",
                "--connections",
                &args.connections.to_string(),
                "--phase",
                &phase,
                "--rounds",
                &args.load_rounds.to_string(),
            ],
            "bench 5 (load)",
        );
        self.put("load", v);
    }

    /// Bench 10: a channel batch update, on an emulator of its own.
    fn batch(&mut self, emulator: &Path) {
        let v = if self.args.batch_channels == 0 {
            Err("not run: --batch-channels 0".into())
        } else {
            let channels = self.args.batch_channels.to_string();
            let emulator = emulator.to_string_lossy();
            self.ours(
                &["batch", "--emulator", &emulator, "--channels", &channels],
                "bench 10 (channel batch update)",
            )
        };
        self.put("batch", v);
    }
}

/// `n` task ids: `prefix0`, `prefix1`, …
fn ids(prefix: &str, n: u32) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

fn no_python() -> Result<Value, BoxError> {
    Err("not run: no --python given".into())
}
