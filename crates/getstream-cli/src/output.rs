//! Where output goes: results on stdout (human lines, or JSON with `--json`), progress and
//! notes on stderr only when it is a terminal.

use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

use getstream_tasks::Task;
use serde_json::Value;

use crate::error::CliError;
use crate::escape;
use crate::render;

/// What every command needs to know about its output.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// `--json`: machine output on stdout instead of human lines.
    pub json: bool,
    /// Whether to draw progress and notes on stderr (it is a terminal).
    pub interactive: bool,
    /// The task being waited on, so that Ctrl-C can say how to resume.
    pub current_task: Arc<Mutex<Option<String>>>,
}

impl Ctx {
    /// A context for this process: interactive when stderr is a terminal.
    pub fn new(json: bool) -> Self {
        Ctx {
            json,
            interactive: std::io::stderr().is_terminal(),
            current_task: Arc::default(),
        }
    }

    /// Remembers the task being waited on.
    pub fn set_current_task(&self, id: &str) {
        if let Ok(mut current) = self.current_task.lock() {
            *current = Some(id.to_owned());
        }
    }

    /// The task being waited on, if any.
    pub fn current_task(&self) -> Option<String> {
        self.current_task.lock().ok().and_then(|c| c.clone())
    }

    /// A human result line on stdout (nothing with `--json`).
    pub fn line(&self, text: impl Display) -> Result<(), CliError> {
        if self.json {
            return Ok(());
        }
        stdout_line(text)
    }

    /// A JSON document on stdout (only with `--json`).
    pub fn json(&self, value: &Value) -> Result<(), CliError> {
        if !self.json {
            return Ok(());
        }
        let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
        write_stdout(&escape::json(&text))
    }

    /// A task: all its fields as JSON with `--json`, else a few readable lines.
    pub fn task(&self, task: &Task) -> Result<(), CliError> {
        self.task_json(task)?;
        for line in render::task_lines(task) {
            self.line(line)?;
        }
        Ok(())
    }

    /// A task as JSON on stdout (only with `--json`).
    pub fn task_json(&self, task: &Task) -> Result<(), CliError> {
        self.json(&serde_json::to_value(task).unwrap_or_default())
    }

    /// Shows the command a demo step is equivalent to.
    pub fn command(&self, args: &str) -> Result<(), CliError> {
        self.line(format!("$ getstream {args}"))
    }

    /// A note for the person at the terminal, on stderr (nothing when not a terminal).
    pub fn note(&self, text: impl Display) {
        if self.interactive {
            eprintln!("{}", escape::lines(&text.to_string()));
        }
    }
}

/// Writes one line on stdout; a closed pipe becomes [`CliError::Output`] with `BrokenPipe`,
/// which `main` treats as a normal end.
///
/// Characters that would act on the terminal are escaped (see [`escape`]): lines may quote
/// the server.
pub fn stdout_line(text: impl Display) -> Result<(), CliError> {
    write_stdout(&escape::lines(&text.to_string()))
}

fn write_stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(CliError::Output)
}
