//! The soak's emulator process: any command line of the emulator (its binary,
//! or this binary's `emulator` subcommand) with a fresh key and secret; its
//! pid for `/proc/<pid>/status`; killed when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use crate::BoxError;
use crate::emu::Target;

/// A running emulator; killed when dropped.
pub struct Process {
    child: Child,
    /// How to reach it.
    pub target: Target,
}

impl Process {
    /// Runs `command` with `--api-key`/`--api-secret` added and reads its
    /// stdout contract (`base_url=`, `api_key=`, `api_secret=`), for at most 30 s.
    pub fn spawn(mut command: Command) -> Result<Process, BoxError> {
        let api_key = format!("soak-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let api_secret = uuid::Uuid::new_v4().simple().to_string();
        let mut child = command
            .args(["--api-key", &api_key, "--api-secret", &api_secret])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the emulator: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        // The emulator writes nothing after its three lines: the reader cannot block it.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let lines: Vec<String> = BufReader::new(stdout)
                .lines()
                .take(3)
                .map_while(Result::ok)
                .collect();
            let _ = tx.send(lines);
        });
        let mut process = Process {
            child,
            target: Target {
                base_url: String::new(),
                api_key,
                api_secret,
            },
        };
        let lines = rx
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| "the emulator printed no base_url= line within 30 s")?;
        let field = |name: &str| lines.iter().find_map(|l| l.strip_prefix(name));
        process.target.base_url = field("base_url=")
            .ok_or("the emulator exited early")?
            .to_owned();
        if field("api_key=") != Some(process.target.api_key.as_str()) {
            return Err("the emulator printed another api_key than it was given".into());
        }
        Ok(process)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process has exited (and how), without waiting.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
