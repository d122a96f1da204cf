//! `getstream channels truncate CID [--hard] [--message TEXT --user ID] [--skip-push]
//! [--truncated-at T]`: remove a channel's messages at once (no task).

use std::time::SystemTime;

use clap::Args;
use getstream_tasks::{Client, Timestamp, TruncateChannelRequest, TruncateChannelResponse};

use crate::error::CliError;
use crate::output::Ctx;
use crate::parse::parse_time;

/// `getstream channels truncate`
#[derive(Debug, Args)]
pub struct TruncateArgs {
    /// The channel, as `type:id`.
    #[arg(value_name = "CID")]
    pub cid: String,
    /// Remove the messages for good (default: hide them; they stay in user exports).
    #[arg(long)]
    pub hard: bool,
    /// Leave a system message with this text after the cut (needs --user).
    #[arg(long, value_name = "TEXT")]
    pub message: Option<String>,
    /// The user doing it: recorded as `truncated_by`, and the system message's sender.
    #[arg(long, value_name = "USER_ID")]
    pub user: Option<String>,
    /// No push notification for the system message.
    #[arg(long)]
    pub skip_push: bool,
    /// Truncate only the messages created up to this time: RFC 3339
    /// (2026-11-01T10:00:00Z) or a duration ago (24h). Default: now.
    #[arg(long, value_name = "T", value_parser = parse_time)]
    pub truncated_at: Option<SystemTime>,
}

/// Truncates the channel and reports what the server answered.
pub async fn truncate(ctx: &Ctx, client: &Client, args: TruncateArgs) -> Result<(), CliError> {
    let mut request = TruncateChannelRequest::new(&args.cid).hard_delete(args.hard);
    if args.skip_push {
        request = request.skip_push(true);
    }
    if let Some(at) = args.truncated_at {
        request = request.truncated_at(at);
    }
    if let Some(user) = &args.user {
        request = request.user_id(user);
    }
    if let Some(text) = args.message {
        request = request.message_text(text);
    }
    let response = client.chat().truncate_channel(request).await?;
    ctx.json(&serde_json::to_value(&response).unwrap_or_default())?;
    for line in lines(&args.cid, args.hard, &response) {
        ctx.line(line)?;
    }
    Ok(())
}

/// The human lines of a truncate's answer.
fn lines(cid: &str, hard: bool, response: &TruncateChannelResponse) -> Vec<String> {
    let how = if hard { "removed for good" } else { "hidden" };
    let at = response
        .channel
        .as_ref()
        .and_then(|c| c.truncated_at)
        .map_or_else(|| "now".to_owned(), |t: Timestamp| t.to_string());
    let mut out = vec![format!("truncated {cid}: messages up to {at} {how}")];
    if let Some(m) = &response.message {
        out.push(format!("system message {}: {}", m.id, m.text));
    }
    out
}
