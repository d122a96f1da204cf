//! `getstream channels batch-update OPERATION (--cid CID ... | --type TYPE ...)
//! [--member USER[:ROLE] ...] [--data JSON] [--custom-set JSON] [--custom-unset KEY ...]`.

use clap::Args;
use getstream_tasks::{
    ChannelBatchFilter, ChannelBatchMember, ChannelBatchOperation, ChannelBatchUpdateRequest,
    ChannelDataUpdate, Client,
};
use serde_json::{Map, Value};

use crate::error::CliError;
use crate::escape::field;
use crate::flags::StartArgs;
use crate::output::Ctx;
use crate::{batch_result, start};

/// `getstream channels batch-update`
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("filter").required(true).multiple(true).args(["cids", "types"])))]
pub struct BatchUpdateArgs {
    /// addMembers, removeMembers, inviteMembers, invites, assignRoles, addModerators,
    /// demoteModerators, hide, show, archive, unarchive or updateData.
    #[arg(value_name = "OPERATION", value_parser = parse_operation)]
    pub operation: ChannelBatchOperation,
    /// A channel to act on, `type:id` (repeat for more).
    #[arg(long = "cid", value_name = "CID")]
    pub cids: Vec<String>,
    /// Act on every channel of this type (repeat for more; with --cid: both must match).
    #[arg(long = "type", value_name = "TYPE")]
    pub types: Vec<String>,
    /// A user the operation acts on, optionally with a channel role (repeat, up to 100;
    /// required by every operation but updateData).
    #[arg(long = "member", value_name = "USER[:ROLE]", value_parser = parse_member)]
    pub members: Vec<ChannelBatchMember>,
    /// updateData: the channel fields to set, as JSON (frozen, disabled, custom, team,
    /// config_overrides, auto_translation_enabled, auto_translation_language).
    #[arg(long, value_name = "JSON", value_parser = parse_data)]
    pub data: Option<ChannelDataUpdate>,
    /// updateData: custom keys to merge into each channel, as a JSON object.
    #[arg(long, value_name = "JSON", value_parser = parse_object)]
    pub custom_set: Option<Map<String, Value>>,
    /// updateData: a custom key to remove from each channel (repeat for more).
    #[arg(long, value_name = "KEY")]
    pub custom_unset: Vec<String>,
    /// Waiting.
    #[command(flatten)]
    pub start: StartArgs,
}

fn parse_operation(name: &str) -> Result<ChannelBatchOperation, String> {
    ChannelBatchOperation::parse(name).ok_or_else(|| {
        let known: Vec<&str> = ChannelBatchOperation::ALL
            .iter()
            .map(|op| op.as_str())
            .collect();
        format!("unknown operation; one of: {}", known.join(", "))
    })
}

fn parse_member(text: &str) -> Result<ChannelBatchMember, String> {
    let (user, role) = match text.split_once(':') {
        Some((user, role)) => (user, Some(role)),
        None => (text, None),
    };
    if user.trim().is_empty() || role.is_some_and(|r| r.trim().is_empty()) {
        return Err("expected USER or USER:ROLE, both non-empty".into());
    }
    let member = ChannelBatchMember::new(user);
    Ok(match role {
        Some(role) => member.channel_role(role),
        None => member,
    })
}

fn parse_data(text: &str) -> Result<ChannelDataUpdate, String> {
    serde_json::from_str(text).map_err(|e| format!("not channel data as JSON: {e}"))
}

fn parse_object(text: &str) -> Result<Map<String, Value>, String> {
    serde_json::from_str(text).map_err(|e| format!("not a JSON object: {e}"))
}

/// Runs the batch update and reports its result: exit 1 when some channel failed.
pub async fn batch_update(
    ctx: &Ctx,
    client: &Client,
    args: BatchUpdateArgs,
) -> Result<(), CliError> {
    let filter = match (args.cids.is_empty(), args.types.is_empty()) {
        (false, true) => ChannelBatchFilter::cids(&args.cids),
        (true, false) => ChannelBatchFilter::types(&args.types),
        _ => ChannelBatchFilter::cids(&args.cids).and_types(&args.types),
    };
    let mut request = ChannelBatchUpdateRequest::new(args.operation, filter).members(args.members);
    if let Some(data) = args.data {
        request = request.data(data);
    }
    if let Some(set) = args.custom_set {
        request = request.custom_set(set);
    }
    if !args.custom_unset.is_empty() {
        request = request.custom_unset(args.custom_unset);
    }
    let what = format!("batch {}", args.operation.as_str());
    let answer = client.chat().channel_batch_update(request).await?;
    let Some(handle) = answer.task() else {
        // Stream's schema allows an answer without a task: nothing to wait for.
        ctx.json(&serde_json::to_value(&answer).unwrap_or_default())?;
        ctx.line("the server started no task")?;
        return Ok(());
    };
    let Some(task) = start::follow(ctx, &handle, &answer, &args.start, &what).await? else {
        return Ok(());
    };
    ctx.task_json(&task)?;
    match task.result.as_ref().and_then(batch_result::read) {
        Some(result) => {
            ctx.line(format!("task_id:    {}", field(&task.task_id)))?;
            ctx.line(format!("status:     {}", field(&task.status.to_string())))?;
            for line in batch_result::lines(&result) {
                ctx.line(line)?;
            }
            batch_result::verdict(&task.task_id, &result)
        }
        None => ctx.task(&task),
    }
}
