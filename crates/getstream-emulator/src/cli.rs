//! The command line of `getstream-emulator`, reusable by other binaries (e.g. `getstream emulator`).
//!
//! Stdout contract (scripts parse it): as soon as the server listens, exactly these lines are
//! printed and flushed, then nothing else is written to stdout:
//!
//! ```text
//! base_url=http://127.0.0.1:PORT
//! api_key=KEY
//! api_secret=SECRET
//! ```
//!
//! Logs go to stderr (through `tracing`; the caller installs the subscriber). The server runs
//! until Ctrl-C or SIGTERM, then shuts down gracefully.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use crate::config::{EmulatorConfig, Pace, RateLimits, SeedSpec};
use crate::http::connection::ConnectionLimits;
use crate::{Emulator, StartError};

pub use crate::moderation::FetchArgs;

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (e.g. 500ms, 2s)"))
}

fn parse_app(s: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((k, v)) if !k.is_empty() && !v.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err("expected KEY:SECRET".to_owned()),
    }
}

fn parse_url(s: &str) -> Result<String, String> {
    let ok = (s.starts_with("http://") || s.starts_with("https://"))
        && s.len() > "https://".len()
        && !s.chars().any(char::is_whitespace);
    if ok {
        Ok(s.trim_end_matches('/').to_owned())
    } else {
        Err("expected an http:// or https:// URL".to_owned())
    }
}

fn parse_webhook_url(s: &str) -> Result<String, String> {
    crate::webhooks::url::check_url(s).map(|()| s.to_owned())
}

fn parse_limit(s: &str) -> Result<(String, u32), String> {
    let (endpoint, n) = s
        .rsplit_once('=')
        .ok_or_else(|| "expected \"METHOD /path=N\"".to_owned())?;
    let n = n
        .trim()
        .parse()
        .map_err(|_| format!("{n:?} is not a number"))?;
    Ok((endpoint.trim().to_owned(), n))
}

/// Arguments of `getstream-emulator`.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "getstream-emulator",
    version,
    about = "A local Stream-compatible server that runs batch jobs as background tasks"
)]
pub struct Args {
    /// Address to listen on (`127.0.0.1:0` picks a free port; the real one is printed).
    #[arg(
        long,
        default_value = "127.0.0.1:8080",
        env = "GETSTREAM_EMULATOR_ADDR"
    )]
    pub addr: SocketAddr,
    /// API key of the default app.
    #[arg(long, requires = "api_secret", default_value = crate::DEFAULT_API_KEY,
          value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub api_key: String,
    /// API secret of the default app (a development credential; printed on stdout).
    #[arg(long, default_value = crate::DEFAULT_API_SECRET, hide_default_value = true,
          value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub api_secret: String,
    /// More apps, as KEY:SECRET (repeatable). Each app's data is isolated.
    #[arg(long = "app", value_parser = parse_app)]
    pub apps: Vec<(String, String)>,
    /// Seed data in the default app, e.g. `channels=10,messages=50,users=20`.
    #[arg(long)]
    pub seed: Option<SeedSpec>,
    /// Enable the admin API under /_emulator/ (faults, scripted tasks, reset, seed).
    #[arg(long)]
    pub admin: bool,
    /// Time a job stays `pending` before it runs.
    #[arg(long, value_parser = parse_duration, default_value = "200ms")]
    pub pending: Duration,
    /// Minimum time a job stays `running`.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub min_task_duration: Duration,
    /// Running time per item (channel, user) of a job.
    #[arg(long, value_parser = parse_duration, default_value = "20ms")]
    pub per_item_cost: Duration,
    /// Jobs finish at once (overrides --pending, --min-task-duration, --per-item-cost).
    #[arg(long)]
    pub instant: bool,
    /// Number of jobs that run at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub workers: u16,
    /// Never refuse a request with 429 (headers are still sent).
    #[arg(long)]
    pub no_rate_limits: bool,
    /// Per-minute limit of one endpoint, e.g. `POST /api/v2/chat/export_channels=5` (repeatable).
    #[arg(long = "rate-limit", value_parser = parse_limit)]
    pub rate_limits: Vec<(String, u32)>,
    /// Per-minute limit of endpoints without a specific one.
    #[arg(long, default_value_t = 10_000)]
    pub default_rate_limit: u32,
    /// Largest accepted request body in bytes (larger ones get 413).
    #[arg(long, default_value_t = 1024 * 1024)]
    pub body_limit: usize,
    /// Base URL written into export links (default: the Host of the request reading the task).
    #[arg(long, value_parser = parse_url)]
    pub public_url: Option<String>,
    /// POST the default app's events (export.*.success/error, channel.deleted, user.*) to
    /// this URL, signed with its secret (X-Signature). Other apps: PATCH /api/v2/app.
    #[arg(long, value_parser = parse_webhook_url, env = "GETSTREAM_EMULATOR_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    /// Keep users, channels, messages, tasks, webhook settings and export files in this
    /// directory (an SQLite database), so a restart finds them and resumes unfinished jobs.
    /// Default: memory only.
    #[arg(long, value_name = "DIR", env = "GETSTREAM_EMULATOR_DATA_DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// Start --data-dir afresh: its database and export files are moved into a new
    /// `discarded-<UTC time>` directory inside it (delete it when no longer needed), not
    /// loaded. Without it, an emptied database or export files without one stop the start.
    #[arg(long, requires = "data_dir")]
    pub reset_data: bool,
    /// Directory for export files (default: `exports` in --data-dir, else a temp dir removed
    /// at exit).
    #[arg(long)]
    pub exports_dir: Option<std::path::PathBuf>,
    /// How long an export download link is valid after the task read that hands it out.
    #[arg(long, value_parser = parse_duration, default_value = "24h")]
    pub export_link_ttl: Duration,
    /// Most tasks kept per app; when all are unfinished, new jobs get 429.
    #[arg(long, default_value_t = crate::MAX_TASKS_PER_APP, value_parser = clap::value_parser!(usize))]
    pub max_tasks: usize,
    /// Allow --admin on an address other than loopback (the admin API has no
    /// authentication: anyone who can reach the port controls the emulator).
    #[arg(long)]
    pub allow_remote_admin: bool,
    /// Longest time a client may take to send a request's head (its connection is closed).
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub header_timeout: Duration,
    /// Close keep-alive connections with no request and no traffic for this long.
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    pub idle_timeout: Duration,
    /// Most connections open at once; past it new ones wait and idle ones are closed.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// How long shutdown lets requests in progress finish (idle connections close at once).
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub shutdown_grace: Duration,
    /// Bulk image moderation's fetch policy and bounds.
    #[command(flatten)]
    pub fetch: FetchArgs,
}

impl Args {
    /// The emulator configuration these arguments describe.
    pub fn config(&self) -> EmulatorConfig {
        let pace = if self.instant {
            Pace::instant()
        } else {
            Pace {
                pending: self.pending,
                min_task_duration: self.min_task_duration,
                per_item_cost: self.per_item_cost,
            }
        };
        let mut limits = RateLimits {
            enabled: !self.no_rate_limits,
            default_per_minute: self.default_rate_limit,
            ..RateLimits::default()
        };
        for (endpoint, n) in &self.rate_limits {
            limits = limits.with_endpoint(endpoint.clone(), *n);
        }
        let mut config = EmulatorConfig::new()
            .app(self.api_key.clone(), self.api_secret.clone())
            .addr(self.addr)
            .pace(pace)
            .workers(usize::from(self.workers))
            .rate_limits(limits)
            .body_limit(self.body_limit)
            .admin(self.admin)
            .allow_remote_admin(self.allow_remote_admin)
            .connections(
                ConnectionLimits::default()
                    .header_timeout(self.header_timeout)
                    .idle_timeout(self.idle_timeout)
                    .max_connections(usize::try_from(self.max_connections).unwrap_or(usize::MAX))
                    .shutdown_grace(self.shutdown_grace),
            )
            .seed(self.seed.unwrap_or_default())
            .export_link_ttl(self.export_link_ttl)
            .max_tasks(self.max_tasks);
        config = self.fetch.apply(config);
        if let Some(dir) = &self.exports_dir {
            config = config.exports_dir(dir.clone());
        }
        for (k, s) in &self.apps {
            config = config.app(k.clone(), s.clone());
        }
        if let Some(url) = &self.public_url {
            config = config.public_url(url.clone());
        }
        if let Some(url) = &self.webhook_url {
            config = config.webhook_url(url.clone());
        }
        if let Some(dir) = &self.data_dir {
            config = config.data_dir(dir.clone()).reset_data(self.reset_data);
        }
        config
    }
}

/// The error of [`run`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The server could not start.
    #[error(transparent)]
    Start(#[from] StartError),
    /// Writing the stdout contract failed.
    #[error("could not write to stdout")]
    Stdout(#[source] std::io::Error),
    /// Waiting for a shutdown signal failed.
    #[error("could not listen for shutdown signals")]
    Signal(#[source] std::io::Error),
}

async fn shutdown_signal() -> Result<(), std::io::Error> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

/// Starts the emulator, prints the stdout contract, serves until Ctrl-C / SIGTERM, then shuts
/// down gracefully. Runs on the caller's tokio runtime.
///
/// # Errors
/// [`CliError::Start`] when the address cannot be bound; [`CliError::Stdout`] when stdout
/// cannot be written (a closed pipe is not an error); [`CliError::Signal`].
pub async fn run(args: Args) -> Result<(), CliError> {
    let handle = Emulator::start(args.config()).await?;
    {
        let mut out = std::io::stdout().lock();
        let written = writeln!(
            out,
            "base_url={}\napi_key={}\napi_secret={}",
            handle.base_url(),
            handle.api_key(),
            handle.api_secret()
        )
        .and_then(|()| out.flush());
        match written {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                return Err(CliError::Stdout(e));
            }
            _ => {}
        }
    }
    tracing::info!(base_url = %handle.base_url(), admin = args.admin, "serving; Ctrl-C to stop");
    let signal = shutdown_signal().await;
    tracing::info!("shutting down");
    handle.shutdown().await;
    signal.map_err(CliError::Signal)
}
