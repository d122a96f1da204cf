//! Step 6 of the demo: the undo around the jobs. A user soft-deleted and restored (a
//! hard-deleted one cannot be), and a channel truncated for good and shown empty.

use getstream_emulator::EmulatorHandle;
use getstream_tasks::Client;
use serde_json::Value;

use super::{channel_messages, expect, fail, heading, misbehaved};
use crate::cmd::{restore, truncate, users};
use crate::error::CliError;
use crate::flags::StartArgs;
use crate::output::Ctx;

/// The user's `deleted_at` in the emulator (`None`: not deleted, or not there).
fn deleted_at(emulator: &EmulatorHandle, key: &str, id: &str) -> Option<Value> {
    let snapshot = emulator.state().snapshot(key).ok()?;
    let user = snapshot["users"]
        .as_array()?
        .iter()
        .find(|u| u["id"] == id)?
        .clone();
    user.get("deleted_at").cloned()
}

/// Runs step 6.
pub(super) async fn story(
    ctx: &Ctx,
    emulator: &EmulatorHandle,
    client: &Client,
    start: &StartArgs,
    poll: &str,
) -> Result<(), CliError> {
    let key = emulator.api_key().to_owned();
    let step = "6. The undo: restore a soft-deleted user, truncate a channel";
    heading(ctx, step)?;

    ctx.command(&format!("users delete user-3{poll}"))?;
    users::delete(
        ctx,
        client,
        users::DeleteArgs {
            ids: vec!["user-3".into()],
            hard: false,
            user: None,
            messages: None,
            conversations: None,
            start: start.clone(),
        },
    )
    .await
    .map_err(|e| fail(step, &e))?;
    expect(
        step,
        deleted_at(emulator, &key, "user-3").is_some(),
        "user-3 is not marked deleted",
    )?;
    ctx.line("after:      user-3 is soft-deleted (marked deleted_at; the data stays)")?;
    ctx.command("users restore user-3")?;
    restore::restore(
        ctx,
        client,
        restore::RestoreArgs {
            ids: vec!["user-3".into()],
        },
    )
    .await
    .map_err(|e| fail(step, &e))?;
    expect(
        step,
        deleted_at(emulator, &key, "user-3").is_none(),
        "user-3 is still deleted",
    )?;
    ctx.line("after:      user-3 is back")?;

    // user-1 was hard-deleted in step 3: there is nothing to restore.
    ctx.command("users restore user-1")?;
    let outcome = restore::restore(
        ctx,
        client,
        restore::RestoreArgs {
            ids: vec!["user-1".into()],
        },
    )
    .await;
    let Err(CliError::Sdk(getstream_tasks::Error::Api(e))) = &outcome else {
        return Err(misbehaved(
            step,
            format!("expected the server to refuse, got {outcome:?}"),
        ));
    };
    ctx.line(format!("error:      {}", e.message()))?;
    ctx.line("exit code:  4 (user-1 was hard-deleted in step 3: gone for good)")?;

    let cid = "messaging:seed-4";
    let before = channel_messages(emulator, &key, cid).unwrap_or(0);
    expect(
        step,
        before > 0,
        "messaging:seed-4 has no messages to begin with",
    )?;
    ctx.line(format!("before:     {cid} has {before} messages"))?;
    ctx.command(&format!("channels truncate {cid} --hard"))?;
    truncate::truncate(
        ctx,
        client,
        truncate::TruncateArgs {
            cid: cid.into(),
            hard: true,
            message: None,
            user: None,
            skip_push: false,
            truncated_at: None,
        },
    )
    .await
    .map_err(|e| fail(step, &e))?;
    let after = channel_messages(emulator, &key, cid);
    expect(
        step,
        after == Some(0),
        "messaging:seed-4 still has messages (or is gone)",
    )?;
    ctx.line(format!(
        "after:      {cid} is empty (0 messages); the channel and its members stay"
    ))?;
    Ok(())
}
