//! `getstream moderation bulk-images CSV_URL [--download FILE]`: moderates the images a CSV
//! lists (a task), then prints the results file's link and counts, and downloads it.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use getstream_tasks::BulkImageModerationResult;

use crate::download::check_target;
use crate::error::CliError;
use crate::flags::{Connection, StartArgs};
use crate::output::Ctx;

/// `getstream moderation ...`
#[derive(Debug, Args)]
pub struct ModerationCmd {
    /// Credentials and endpoint.
    #[command(flatten)]
    pub conn: Connection,
    /// What to do.
    #[command(subcommand)]
    pub action: ModerationAction,
}

/// The moderation subcommands.
#[derive(Debug, Subcommand)]
pub enum ModerationAction {
    /// Moderate every image a CSV of image URLs lists (a task, waited for); the results
    /// file has one row per image.
    BulkImages(BulkImagesArgs),
}

/// `getstream moderation bulk-images`
#[derive(Debug, Args)]
pub struct BulkImagesArgs {
    /// The http(s) URL of a CSV whose first column holds image URLs.
    #[arg(value_name = "CSV_URL", value_parser = parse_csv_url)]
    pub csv_url: String,
    /// Download the results file into FILE once the task completes.
    #[arg(long, value_name = "FILE", conflicts_with = "no_wait")]
    pub download: Option<PathBuf>,
    /// Waiting.
    #[command(flatten)]
    pub start: StartArgs,
}

fn parse_csv_url(text: &str) -> Result<String, String> {
    match reqwest::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
            Ok(text.to_owned())
        }
        _ => Err(format!("{text:?} is not an http(s) URL")),
    }
}

/// Runs a moderation subcommand.
pub async fn run(ctx: &Ctx, cmd: ModerationCmd) -> Result<(), CliError> {
    let client = cmd.conn.client()?;
    match cmd.action {
        ModerationAction::BulkImages(args) => {
            if let Some(path) = &args.download {
                check_target(path)?;
            }
            let started = client
                .moderation()
                .bulk_image_moderation(&args.csv_url)
                .await?;
            let target = args.download.as_deref();
            let what = "bulk image moderation";
            let task = crate::export_file::finish(ctx, &started, &args.start, target, what).await?;
            let counts = task.and_then(|task| task.result).and_then(|result| {
                serde_json::from_value::<BulkImageModerationResult>(result).ok()
            });
            if let Some(r) = counts {
                ctx.line(format!(
                    "images:     {} total, {} flagged, {} failed",
                    r.total, r.flagged, r.failed
                ))?;
            }
            Ok(())
        }
    }
}
