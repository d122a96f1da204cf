//! The flag groups several commands share: the connection (credentials and endpoint), how
//! to wait on a task, and what every task-starting command accepts. A leaf: it imports no
//! command, so every command can import it.

use std::fmt;
use std::time::Duration;

use clap::{ArgMatches, Args, FromArgMatches};

use crate::error::CliError;
use crate::parse::parse_duration;

/// An API secret: never shown by `Debug`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, to hand to the SDK.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where and as whom to talk to Stream.
#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// API key [env: STREAM_API_KEY]
    #[arg(long, env = "STREAM_API_KEY", global = true, hide_env = true)]
    pub api_key: Option<String>,
    /// API secret; prefer the environment variable (never printed) [env: STREAM_API_SECRET]
    #[arg(long, env = "STREAM_API_SECRET", global = true, hide_env = true)]
    pub api_secret: Option<Secret>,
    /// Base URL of the API (default: Stream's) [env: STREAM_BASE_URL]
    #[arg(
        long,
        env = "STREAM_BASE_URL",
        global = true,
        hide_env = true,
        help = "Base URL of the API (default: https://chat.stream-io-api.com) [env: STREAM_BASE_URL]"
    )]
    pub base_url: Option<String>,
    /// DANGEROUS: allow an http:// base URL to a host other than this machine (the key and
    /// token travel unencrypted) [env: STREAM_ALLOW_INSECURE_HTTP]
    #[arg(
        long,
        env = "STREAM_ALLOW_INSECURE_HTTP",
        global = true,
        hide_env = true,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub allow_insecure_http: bool,
}

impl Connection {
    /// The SDK client these options describe.
    ///
    /// # Errors
    /// [`CliError::Usage`] when the key or secret is missing; the SDK's argument error for a
    /// bad base URL.
    pub fn client(&self) -> Result<getstream_tasks::Client, CliError> {
        self.client_with(None)
    }

    /// [`client`](Self::client), listening to `events` when given.
    ///
    /// # Errors
    /// As [`client`](Self::client).
    pub fn client_with(
        &self,
        events: Option<getstream_tasks::TaskEvents>,
    ) -> Result<getstream_tasks::Client, CliError> {
        let key = self.api_key.as_deref().filter(|k| !k.trim().is_empty());
        let secret = self.api_secret.as_ref().filter(|s| !s.0.trim().is_empty());
        let (Some(key), Some(secret)) = (key, secret) else {
            let missing = if key.is_none() {
                "API key: pass --api-key or set STREAM_API_KEY"
            } else {
                "API secret: set STREAM_API_SECRET or pass --api-secret"
            };
            return Err(CliError::Usage(format!(
                "missing {missing} (to try things locally: `getstream emulator` prints credentials, `getstream demo` needs none)"
            )));
        };
        let mut builder = getstream_tasks::Client::builder(key, secret.expose());
        if let Some(url) = self.base_url.as_deref().filter(|u| !u.trim().is_empty()) {
            builder = builder.base_url(url);
        }
        if let Some(events) = events {
            builder = builder.task_events(events);
        }
        builder
            .allow_insecure_http(self.allow_insecure_http)
            .build()
            .map_err(|e| match e {
                // The SDK names its own setting; say how to opt in from here.
                getstream_tasks::Error::InvalidArgument(ref a)
                    if a.argument() == "base_url" && a.reason().contains("allow_insecure_http") =>
                {
                    CliError::Usage(format!(
                        "{a} (from the command line: pass --allow-insecure-http or set \
                         STREAM_ALLOW_INSECURE_HTTP=1)"
                    ))
                }
                e => e.into(),
            })
    }
}

/// How to wait on a task.
#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// Time between polls (e.g. 500ms, 2s).
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub interval: Duration,
    /// Give up waiting after this long (e.g. 30s, 10m). The task keeps running.
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    pub timeout: Duration,
}

/// The options of every command that starts a task.
#[derive(Debug, Clone, Args)]
pub struct StartArgs {
    /// Print the task id and exit at once instead of waiting.
    #[arg(long)]
    pub no_wait: bool,
    /// How to wait (ignored with --no-wait).
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// The [`Connection`] flags as accepted before the command
/// (`getstream --api-key K tasks get ID`): the same declarations, not propagated, since the
/// `emulator` subcommand has its own `--api-key`/`--api-secret` (for the credentials it
/// serves) and `demo` needs none.
///
/// They keep the ids of the command's own flags, so clap carries a value given here down
/// into the command's [`Connection`] (a global flag's value flows between levels by id),
/// where a value given after the command group wins.
#[derive(Debug, Clone)]
pub struct BeforeCommand(pub Connection);

impl Args for BeforeCommand {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        let flags = Connection::augment_args(clap::Command::new("connection"));
        // The help lists them in the order they are added here, after the flags before them.
        flags.get_arguments().fold(cmd, |cmd, arg| {
            cmd.arg(arg.clone().global(false).display_order(None))
        })
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for BeforeCommand {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Connection::from_arg_matches(matches).map(BeforeCommand)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
}
