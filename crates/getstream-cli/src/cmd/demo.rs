//! `getstream demo`: the whole story on an in-process emulator, with the progress display:
//! export channels and download the file, hard-delete a channel, export and delete users, a
//! job that fails, a wait that times out and is resumed, the undo (a user restored, a
//! channel truncated), and a wait woken by the webhook the emulator pushes when an export
//! ends. No network, no credentials.
//!
//! Every step checks that things went as the story says; the demo exits non-zero when one
//! did not, so it doubles as a smoke test.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use getstream_emulator::{
    Emulator, EmulatorConfig, EmulatorHandle, JobKind, Pace, ScriptedTask, SeedSpec, TaskFailure,
};
use getstream_tasks::Client;
use serde_json::Value;

use crate::cmd::{channels, export, users};
use crate::error::{CliError, one_line_chain};
use crate::flags::{StartArgs, WaitArgs};
use crate::output::Ctx;
use crate::progress;

mod undo;

/// `getstream demo`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Jobs finish at once (for CI); by default they take a second or two, to be watched.
    #[arg(long)]
    pub instant: bool,
    /// Where to download the channel export (default: a file in the temp directory).
    #[arg(long, value_name = "FILE")]
    pub download: Option<PathBuf>,
}

const USERS: usize = 6;
const CHANNELS: usize = 4;
const MESSAGES: usize = 12;

/// Runs the demo.
pub async fn run(ctx: &Ctx, args: DemoArgs) -> Result<(), CliError> {
    // The story is for humans: never JSON.
    let ctx = &Ctx {
        json: false,
        ..ctx.clone()
    };
    // A bad --download is a usage error, found before anything starts.
    if let Some(path) = &args.download {
        crate::download::check_target(path)?;
    }
    let pace = if args.instant {
        Pace::instant()
    } else {
        Pace::demo()
    };
    heading(
        ctx,
        "getstream demo: Stream's asynchronous tasks, on a local emulator",
    )?;
    let emulator = Emulator::start(EmulatorConfig::new().pace(pace))
        .await
        .map_err(|e| fail("start the emulator", &e))?;
    let outcome = story(ctx, &emulator, &args).await;
    emulator.shutdown().await;
    outcome?;
    heading(ctx, "All steps went as expected.")?;
    ctx.line(
        "Next: `getstream emulator` to keep a server running, `getstream --help` for the commands.",
    )?;
    Ok(())
}

/// What every step of the story uses.
struct Scene<'a> {
    ctx: &'a Ctx,
    emulator: &'a EmulatorHandle,
    /// The emulator's API key: the app whose state the steps look at.
    key: String,
    client: Client,
    /// How the steps wait.
    wait: WaitArgs,
    /// How the steps start their jobs (and wait for them).
    start: StartArgs,
    /// ` --interval D`: the commands shown poll as the demo does (faster than the 1 s
    /// default, to be watched).
    poll: String,
    instant: bool,
}

async fn story(ctx: &Ctx, emulator: &EmulatorHandle, args: &DemoArgs) -> Result<(), CliError> {
    let scene = set_the_scene(ctx, emulator, args)?;
    export_and_download(&scene, args.download.clone()).await?;
    hard_delete_a_channel(&scene).await?;
    export_and_delete_users(&scene).await?;
    a_job_that_fails(&scene).await?;
    a_wait_that_times_out(&scene).await?;
    // 6. The undo around the jobs.
    undo::story(ctx, emulator, &scene.client, &scene.start, &scene.poll).await?;
    // 7. Push: the webhook event wakes the wait.
    let step = "7. An export whose wait is woken by Stream's webhook";
    heading(ctx, step)?;
    crate::cmd::demo_push::run(ctx, emulator, step).await
}

/// Seeds the emulator, says what it holds, and makes the client and the waits the steps use.
fn set_the_scene<'a>(
    ctx: &'a Ctx,
    emulator: &'a EmulatorHandle,
    args: &DemoArgs,
) -> Result<Scene<'a>, CliError> {
    let key = emulator.api_key().to_owned();
    emulator
        .state()
        .seed(
            &key,
            SeedSpec {
                users: USERS,
                channels: CHANNELS,
                messages: MESSAGES,
            },
        )
        .map_err(|e| fail("seed", &e))?;
    ctx.line(format!(
        "emulator:   {} (in this process)",
        emulator.base_url()
    ))?;
    ctx.line(format!(
        "seeded:     {USERS} users (user-1..{USERS}), {CHANNELS} channels (messaging:seed-1..{CHANNELS}) with {MESSAGES} messages each"
    ))?;
    let client = Client::builder(emulator.api_key(), emulator.api_secret())
        .base_url(emulator.base_url())
        .build()?;
    let wait = WaitArgs {
        interval: if args.instant {
            Duration::from_millis(100)
        } else {
            Duration::from_millis(250)
        },
        timeout: Duration::from_secs(30),
    };
    let start = StartArgs {
        no_wait: false,
        wait: wait.clone(),
    };
    let poll = format!(" --interval {}", humantime::format_duration(wait.interval));
    Ok(Scene {
        ctx,
        emulator,
        key,
        client,
        wait,
        start,
        poll,
        instant: args.instant,
    })
}

/// 1. Export channels and download the file.
async fn export_and_download(scene: &Scene<'_>, download: Option<PathBuf>) -> Result<(), CliError> {
    let Scene {
        ctx,
        client,
        start,
        poll,
        ..
    } = scene;
    let step = "1. Export two channels and download the file";
    heading(ctx, step)?;
    let file = download.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("getstream-demo-{}.json", std::process::id()))
    });
    ctx.command(&format!(
        "export channels messaging:seed-1 messaging:seed-2 --download FILE{poll}"
    ))?;
    let task = export::channels(
        ctx,
        client,
        export::ChannelsArgs {
            cids: vec!["messaging:seed-1".into(), "messaging:seed-2".into()],
            since: None,
            until: None,
            export_users: false,
            download: Some(file.clone()),
            start: start.clone(),
        },
    )
    .await
    .map_err(|e| fail(step, &e))?;
    expect(step, task.is_some(), "the export did not complete")?;
    show_export_file(ctx, step, &file)?;
    Ok(())
}

/// 2. Hard-delete a channel, and show it is gone.
async fn hard_delete_a_channel(scene: &Scene<'_>) -> Result<(), CliError> {
    let Scene {
        ctx,
        emulator,
        key,
        client,
        start,
        poll,
        ..
    } = scene;
    let step = "2. Hard-delete a channel";
    heading(ctx, step)?;
    let before = channel_messages(emulator, key, "messaging:seed-3");
    expect(
        step,
        before == Some(MESSAGES),
        "messaging:seed-3 is not there to begin with",
    )?;
    ctx.line(format!(
        "before:     messaging:seed-3 exists with {MESSAGES} messages"
    ))?;
    ctx.command(&format!("channels delete messaging:seed-3 --hard{poll}"))?;
    channels::delete(
        ctx,
        client,
        channels::DeleteArgs {
            cids: vec!["messaging:seed-3".into()],
            hard: true,
            start: start.clone(),
        },
    )
    .await
    .map_err(|e| fail(step, &e))?;
    let after = channel_messages(emulator, key, "messaging:seed-3");
    expect(step, after.is_none(), "messaging:seed-3 is still there")?;
    ctx.line("after:      messaging:seed-3 is gone, with its messages")?;
    Ok(())
}

/// 3. Export and delete users.
async fn export_and_delete_users(scene: &Scene<'_>) -> Result<(), CliError> {
    let Scene {
        ctx,
        emulator,
        key,
        client,
        start,
        poll,
        ..
    } = scene;
    let step = "3. Export two users, then delete them";
    heading(ctx, step)?;
    ctx.command(&format!("export users user-1 user-2{poll}"))?;
    let task = export::users(
        ctx,
        client,
        export::UsersArgs {
            ids: vec!["user-1".into(), "user-2".into()],
            download: None,
            start: start.clone(),
        },
    )
    .await
    .map_err(|e| fail(step, &e))?;
    expect(
        step,
        task.as_ref()
            .and_then(crate::export_file::export_url)
            .is_some(),
        "the user export has no download url",
    )?;
    ctx.command(&format!("users delete user-1 user-2 --hard{poll}"))?;
    users::delete(
        ctx,
        client,
        users::DeleteArgs {
            ids: vec!["user-1".into(), "user-2".into()],
            hard: true,
            user: None,
            messages: None,
            conversations: None,
            start: start.clone(),
        },
    )
    .await
    .map_err(|e| fail(step, &e))?;
    let left = user_ids(emulator, key);
    expect(
        step,
        !left.iter().any(|u| u == "user-1" || u == "user-2"),
        "user-1 or user-2 is still there",
    )?;
    ctx.line(format!("users left: {}", left.join(", ")))?;
    Ok(())
}

/// 4. A job that fails.
async fn a_job_that_fails(scene: &Scene<'_>) -> Result<(), CliError> {
    let Scene {
        ctx,
        emulator,
        key,
        client,
        start,
        poll,
        ..
    } = scene;
    let step = "4. A job that fails";
    heading(ctx, step)?;
    emulator
        .state()
        .fail_next_jobs(
            key,
            JobKind::ExportChannels,
            1,
            TaskFailure::new("S3Error", "the export bucket is gone"),
        )
        .map_err(|e| fail(step, &e))?;
    ctx.line("(the emulator is told to fail the next channel export)")?;
    ctx.command(&format!("export channels messaging:seed-4{poll}"))?;
    let outcome = export::channels(
        ctx,
        client,
        export::ChannelsArgs {
            cids: vec!["messaging:seed-4".into()],
            since: None,
            until: None,
            export_users: false,
            download: None,
            start: start.clone(),
        },
    )
    .await;
    let Err(CliError::Sdk(getstream_tasks::Error::Task(e))) = outcome else {
        return Err(misbehaved(
            step,
            format!("expected a task error, got {outcome:?}"),
        ));
    };
    ctx.line(format!("error:       {e}"))?;
    ctx.line(format!("task_id:     {}", e.task_id()))?;
    ctx.line(format!("error_type:  {}", e.error_type()))?;
    ctx.line(format!("description: {}", e.description()))?;
    ctx.line(format!(
        "stack_trace: {}",
        e.stack_trace()
            .unwrap_or("-")
            .replace('\n', "\n             ")
    ))?;
    ctx.line(format!("version:     {}", e.version().unwrap_or("-")))?;
    ctx.line("exit code:   1 (the task failed)")?;
    expect(
        step,
        e.error_type() == "S3Error",
        "the error type is not S3Error",
    )?;
    Ok(())
}

/// 5. A wait that times out, then resumes.
async fn a_wait_that_times_out(scene: &Scene<'_>) -> Result<(), CliError> {
    let Scene {
        ctx,
        emulator,
        key,
        client,
        wait,
        poll,
        instant,
        ..
    } = scene;
    let step = "5. A wait that times out, and is resumed";
    heading(ctx, step)?;
    let (running, short) = if *instant {
        (Duration::from_millis(1500), Duration::from_millis(600))
    } else {
        (Duration::from_secs(4), Duration::from_secs(2))
    };
    let id = emulator
        .state()
        .script_task(
            key,
            ScriptedTask::new()
                .step("running", running)
                .step("completed", Duration::ZERO)
                .result(serde_json::json!({"note": "a long job"})),
        )
        .map_err(|e| fail(step, &e))?;
    ctx.line(format!(
        "(a scripted task that runs for {})",
        humantime::format_duration(running)
    ))?;
    ctx.command(&format!(
        "tasks wait {id} --timeout {}{poll}",
        humantime::format_duration(short)
    ))?;
    let short_wait = WaitArgs {
        interval: wait.interval,
        timeout: short,
    };
    let outcome = progress::wait(ctx, client, &id, &short_wait, "wait").await;
    let Err(getstream_tasks::Error::Transport(e)) = &outcome else {
        return Err(misbehaved(
            step,
            format!("expected a timeout, got {outcome:?}"),
        ));
    };
    expect(step, e.is_wait_timeout(), "the wait did not time out")?;
    ctx.line(format!("error:       {e}"))?;
    ctx.line(format!(
        "last_status: {}",
        e.last_status().map_or("-", |s| s.as_str())
    ))?;
    ctx.line(format!("polls:       {}", e.polls().unwrap_or(0)))?;
    ctx.line(format!(
        "elapsed:     {:.1}s",
        e.elapsed().unwrap_or_default().as_secs_f64()
    ))?;
    ctx.line(format!(
        "exit code:   3; resume with: getstream tasks wait {id}"
    ))?;
    ctx.command(&format!("tasks wait {id}{poll}"))?;
    let task = progress::wait(ctx, client, &id, wait, "wait")
        .await
        .map_err(|e| fail(step, &e))?;
    ctx.line(format!(
        "status:      {} (the same task, resumed)",
        task.status
    ))?;
    Ok(())
}

/// Prints the export file's size, first lines and a few of its messages.
fn show_export_file(ctx: &Ctx, step: &str, file: &std::path::Path) -> Result<(), CliError> {
    let text = std::fs::read_to_string(file).map_err(|e| fail(step, &e))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| fail(step, &e))?;
    ctx.line(format!(
        "file:       {} ({} bytes)",
        file.display(),
        text.len()
    ))?;
    ctx.line("first lines:")?;
    for line in text.lines().take(4) {
        ctx.line(format!("  {line}"))?;
    }
    let channels = doc["channels"].as_array().cloned().unwrap_or_default();
    let messages: Vec<&Value> = channels
        .iter()
        .filter_map(|c| c["messages"].as_array())
        .flatten()
        .collect();
    ctx.line(format!(
        "it holds:   {} channels, {} messages, e.g.:",
        channels.len(),
        messages.len()
    ))?;
    for m in messages.iter().take(3) {
        ctx.line(format!(
            "  {} {}: {}",
            m["cid"].as_str().unwrap_or("?"),
            m["user"]["id"].as_str().unwrap_or("?"),
            m["text"].as_str().unwrap_or("")
        ))?;
    }
    expect(
        step,
        channels.len() == 2 && messages.len() == 2 * MESSAGES,
        "the file does not hold the two channels' messages",
    )
}

/// The number of messages of a channel in the emulator, or `None` when it does not exist.
fn channel_messages(emulator: &EmulatorHandle, key: &str, cid: &str) -> Option<usize> {
    let snapshot = emulator.state().snapshot(key).ok()?;
    let channel = snapshot["channels"]
        .as_array()?
        .iter()
        .find(|c| c["cid"] == cid)?
        .clone();
    Some(channel["messages"].as_array().map_or(0, Vec::len))
}

/// The ids of the users the emulator still has.
fn user_ids(emulator: &EmulatorHandle, key: &str) -> Vec<String> {
    let Ok(snapshot) = emulator.state().snapshot(key) else {
        return Vec::new();
    };
    snapshot["users"]
        .as_array()
        .map(|users| {
            users
                .iter()
                .filter_map(|u| u["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn heading(ctx: &Ctx, text: &str) -> Result<(), CliError> {
    ctx.line("")?;
    ctx.line(format!("== {text}"))
}

fn expect(step: &str, ok: bool, detail: &str) -> Result<(), CliError> {
    if ok {
        Ok(())
    } else {
        Err(misbehaved(step, detail.to_owned()))
    }
}

fn misbehaved(step: &str, detail: String) -> CliError {
    CliError::Demo {
        step: step.to_owned(),
        detail,
    }
}

fn fail(step: &str, e: &(dyn std::error::Error + 'static)) -> CliError {
    misbehaved(step, one_line_chain(e))
}
