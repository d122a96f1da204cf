//! The command line: the top-level parser and the list of commands. Each command declares
//! its own flags in `cmd/`; the groups several share are in [`crate::flags`].

use clap::{Parser, Subcommand};

use crate::cmd;
use crate::flags::BeforeCommand;

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
    /// (`getstream --api-key K tasks get ID`); clap hands them to the command's own
    /// connection flags, and the same flags after the command group win.
    #[command(flatten)]
    pub conn: BeforeCommand,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CliError;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_flags_before_the_command_are_listed_in_their_order() {
        let help = Cli::command().render_help().to_string();
        let at = |flag: &str| help.find(flag).unwrap_or_else(|| panic!("{flag}: {help}"));
        let flags = [
            "--json",
            "--api-key",
            "--api-secret",
            "--base-url",
            "--allow-insecure-http",
        ];
        assert!(flags.windows(2).all(|w| at(w[0]) < at(w[1])), "{help}");
        assert!(help.contains("[env: STREAM_API_SECRET]"), "{help}");
    }

    #[test]
    fn plain_http_to_another_host_needs_the_flag_and_says_so() {
        let conn = |args: &[&str]| {
            let mut argv = vec!["getstream"];
            argv.extend_from_slice(args);
            argv.extend(["tasks", "get", "t1", "--api-key", "k", "--api-secret", "s"]);
            match Cli::try_parse_from(argv).unwrap().command {
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
            let Command::Tasks(cmd) = Cli::try_parse_from(&argv).unwrap().command else {
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
