//! The command line: top-level parser and the option groups several subcommands share.

use std::fmt;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::cmd;
use crate::error::CliError;
// The value parsers live apart (std and humantime only) so the fuzz targets can include them.
pub use crate::parse::{parse_duration, parse_time};

/// Exit codes, listed in `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0    the task completed (or the command succeeded)
  1    the task failed (or some items of a completed job failed, or --download could not be written)
  2    usage or argument error (nothing was sent)
  3    gave up waiting: the task may still be running; resume with `getstream tasks wait ID`
  4    API error (the server answered with an error status)
  5    transport error (no answer: connection refused or reset, DNS, TLS, request timeout)
  130  cancelled with Ctrl-C (the task may still be running)";

/// `getstream`: start Stream batch jobs and wait for their tasks.
#[derive(Debug, Parser)]
#[command(
    name = "getstream",
    version,
    about = "Start Stream batch jobs, watch their tasks, run a local emulator and a demo",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    /// Print the final task (or the error, with all its fields) as JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Credentials and endpoint given before the command
    /// (`getstream --api-key K tasks get ID`); the same flags after the command group win.
    #[command(flatten)]
    pub conn: RootConnection,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The command, with connection flags given before it filled into its own where it
    /// has none (the environment counts as given, at either place).
    pub fn into_command(self) -> Command {
        let mut command = self.command;
        let conn = match &mut command {
            Command::Tasks(cmd) => Some(&mut cmd.conn),
            Command::Channels(cmd) => Some(&mut cmd.conn),
            Command::Blocklists(cmd) => Some(&mut cmd.conn),
            Command::Export(cmd) => Some(&mut cmd.conn),
            Command::Users(cmd) => Some(&mut cmd.conn),
            Command::Feeds(cmd) => Some(&mut cmd.conn),
            Command::Moderation(cmd) => Some(&mut cmd.conn),
            Command::Calls(cmd) => Some(&mut cmd.conn),
            Command::Webhook(cmd) => Some(&mut cmd.conn),
            Command::Emulator(_) | Command::Demo(_) => None,
        };
        if let Some(conn) = conn {
            let root = self.conn;
            conn.api_key = conn.api_key.take().or(root.api_key);
            conn.api_secret = conn.api_secret.take().or(root.api_secret);
            conn.base_url = conn.base_url.take().or(root.base_url);
            conn.allow_insecure_http |= root.allow_insecure_http;
        }
        command
    }
}

/// The connection flags as accepted before the command (not propagated: the `emulator`
/// subcommand has its own `--api-key`/`--api-secret`, for the credentials it serves).
#[derive(Debug, Clone, Args)]
pub struct RootConnection {
    /// API key [env: STREAM_API_KEY]
    #[arg(
        long = "api-key",
        id = "root_api_key",
        env = "STREAM_API_KEY",
        hide_env = true
    )]
    pub api_key: Option<String>,
    /// API secret; prefer the environment variable (never printed) [env: STREAM_API_SECRET]
    #[arg(
        long = "api-secret",
        id = "root_api_secret",
        env = "STREAM_API_SECRET",
        hide_env = true
    )]
    pub api_secret: Option<Secret>,
    /// Base URL of the API (default: https://chat.stream-io-api.com) [env: STREAM_BASE_URL]
    #[arg(
        long = "base-url",
        id = "root_base_url",
        env = "STREAM_BASE_URL",
        hide_env = true
    )]
    pub base_url: Option<String>,
    /// DANGEROUS: allow an http:// base URL to a host other than this machine (the key and
    /// token travel unencrypted) [env: STREAM_ALLOW_INSECURE_HTTP]
    #[arg(
        long = "allow-insecure-http",
        id = "root_allow_insecure_http",
        env = "STREAM_ALLOW_INSECURE_HTTP",
        hide_env = true,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub allow_insecure_http: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Look at a task, or wait for it to finish.
    Tasks(cmd::tasks::TasksCmd),
    /// Delete, truncate or batch-update channels.
    Channels(cmd::channels::ChannelsCmd),
    /// Import words into a block list.
    Blocklists(cmd::blocklists::BlocklistsCmd),
    /// Export channels or users to a file.
    Export(cmd::export::ExportCmd),
    /// Delete, deactivate or reactivate users.
    Users(cmd::users::UsersCmd),
    /// Delete feeds, or a user's feed data.
    Feeds(cmd::feeds::FeedsCmd),
    /// Moderate images in bulk.
    Moderation(cmd::moderation::ModerationCmd),
    /// Delete video calls.
    Calls(cmd::calls::CallsCmd),
    /// Run the local Stream-compatible emulator in the foreground.
    Emulator(cmd::emulator::EmulatorCmd),
    /// Tell the whole story on an in-process emulator: no network, no credentials.
    Demo(cmd::demo::DemoArgs),
    /// Receive Stream's webhooks and share their events through Redis.
    Webhook(cmd::webhook::WebhookCmd),
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn plain_http_to_another_host_needs_the_flag_and_says_so() {
        let conn = |args: &[&str]| {
            let mut argv = vec!["getstream"];
            argv.extend_from_slice(args);
            argv.extend(["tasks", "get", "t1", "--api-key", "k", "--api-secret", "s"]);
            match Cli::try_parse_from(argv).unwrap().into_command() {
                Command::Tasks(cmd) => cmd.conn,
                _ => unreachable!(),
            }
        };
        let e = conn(&["--base-url", "http://example.com"])
            .client()
            .unwrap_err();
        let CliError::Usage(message) = &e else {
            panic!("{e:?}")
        };
        assert!(message.contains("--allow-insecure-http"), "{message}");
        assert!(
            message.contains("STREAM_ALLOW_INSECURE_HTTP=1"),
            "{message}"
        );
        // Before or after the command, the flag opts in.
        for args in [
            &["--allow-insecure-http", "--base-url", "http://example.com"][..],
            &[
                "--base-url",
                "http://example.com",
                "tasks",
                "--allow-insecure-http",
            ][..],
        ] {
            let mut argv = vec!["getstream"];
            argv.extend_from_slice(args);
            if args[0] != "--base-url" {
                argv.push("tasks");
            }
            argv.extend(["get", "t1", "--api-key", "k", "--api-secret", "s"]);
            let Command::Tasks(cmd) = Cli::try_parse_from(&argv).unwrap().into_command() else {
                unreachable!()
            };
            assert!(cmd.conn.client().is_ok(), "{argv:?}");
        }
        // Loopback needs no flag.
        assert!(
            conn(&["--base-url", "http://127.0.0.1:8080"])
                .client()
                .is_ok()
        );
    }

    #[test]
    fn the_secret_never_shows_in_debug() {
        let cli = Cli::try_parse_from([
            "getstream",
            "tasks",
            "get",
            "t1",
            "--api-key",
            "k",
            "--api-secret",
            "very-secret-value",
        ])
        .unwrap();
        let debug = format!("{cli:?}");
        assert!(!debug.contains("very-secret-value"), "{debug}");
        assert!(debug.contains("Secret(***)"));
    }
}
