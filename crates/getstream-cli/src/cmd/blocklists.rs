//! `getstream blocklists import NAME (--item WORD ... | --file PATH) [--chunk-size N]`: adds
//! words to a block list in import tasks, as many calls as the words need (at most 10,000
//! words and 512 KiB a call), each waited for with the progress display; the totals summed.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use getstream_tasks::{
    BlockListImportResult, Client, ImportBlockListRequest, MAX_BLOCKLIST_ITEM_LENGTH,
    MAX_IMPORT_ITEMS,
};
use serde_json::{Value, json};

use crate::error::CliError;
use crate::escape::field;
use crate::flags::{Connection, StartArgs};
use crate::output::Ctx;
use crate::start;
use crate::word_file::{Batcher, Words};

/// The most JSON one import call carries: well under the usual 1 MiB body limits.
const MAX_CALL_BYTES: usize = 512 * 1024;

/// `getstream blocklists ...`
#[derive(Debug, Args)]
pub struct BlocklistsCmd {
    /// Credentials and endpoint.
    #[command(flatten)]
    pub conn: Connection,
    /// What to do.
    #[command(subcommand)]
    pub action: BlocklistsAction,
}

/// The block-list subcommands.
#[derive(Debug, Subcommand)]
pub enum BlocklistsAction {
    /// Add words to an existing block list (tasks, waited for); words already there are
    /// skipped.
    Import(ImportArgs),
}

/// `getstream blocklists import`
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("words").required(true).args(["items", "file"])))]
pub struct ImportArgs {
    /// The block list's name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// A word to add (repeat for more).
    #[arg(long = "item", value_name = "WORD")]
    pub items: Vec<String>,
    /// A file of one word a line (blank lines are skipped), sent in calls of bounded size.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// How many words each task adds at a time (1 to 1000; default: the server's, 100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub chunk_size: Option<u16>,
    /// Waiting.
    #[command(flatten)]
    pub start: StartArgs,
}

/// Runs a block-list subcommand.
pub async fn run(ctx: &Ctx, cmd: BlocklistsCmd) -> Result<(), CliError> {
    let client = cmd.conn.client()?;
    match cmd.action {
        BlocklistsAction::Import(args) => import(ctx, &client, args).await,
    }
}

/// The words to import, from the flags or the file.
enum Source {
    Items(std::vec::IntoIter<String>),
    File(Words<std::io::BufReader<std::fs::File>>),
}

impl Source {
    fn next_word(&mut self) -> Result<Option<String>, CliError> {
        match self {
            Source::Items(items) => Ok(items.next()),
            Source::File(words) => words.next_word(MAX_BLOCKLIST_ITEM_LENGTH),
        }
    }

    fn open(args: &ImportArgs) -> Result<Source, CliError> {
        Ok(match &args.file {
            Some(path) => Source::File(Words::open(path)?),
            None => Source::Items(args.items.clone().into_iter()),
        })
    }
}

/// What the calls so far added up to.
#[derive(Default)]
struct Totals {
    added: u64,
    skipped: u64,
    total: u64,
    tasks: Vec<Value>,
}

/// Imports the words: checks them all first (a bad word in a file is a usage error before
/// any request), then sends them call by call.
pub async fn import(ctx: &Ctx, client: &Client, args: ImportArgs) -> Result<(), CliError> {
    let mut check = Source::open(&args)?;
    let mut counting = Batcher::new(MAX_IMPORT_ITEMS, MAX_CALL_BYTES);
    let mut calls = 0usize;
    while let Some(word) = check.next_word()? {
        let length = word.trim().chars().count();
        if length == 0 || length > MAX_BLOCKLIST_ITEM_LENGTH {
            return Err(CliError::Usage(format!(
                "--item: a word has 1 to {MAX_BLOCKLIST_ITEM_LENGTH} characters once trimmed, not {length}"
            )));
        }
        calls += usize::from(counting.push(word).is_some());
    }
    calls += usize::from(counting.finish().is_some());
    if calls == 0 {
        return Err(CliError::Usage("no words to import".into()));
    }
    let mut source = Source::open(&args)?;
    let mut batcher = Batcher::new(MAX_IMPORT_ITEMS, MAX_CALL_BYTES);
    let mut totals = Totals::default();
    let mut call = 0;
    loop {
        let batch = match source.next_word()? {
            Some(word) => match batcher.push(word) {
                Some(batch) => batch,
                None => continue,
            },
            None => match batcher.finish() {
                Some(batch) => batch,
                None => break,
            },
        };
        call += 1;
        send(ctx, client, &args, batch, call, calls, &mut totals).await?;
    }
    if args.start.no_wait {
        return ctx.json(&json!({"blocklist": args.name, "tasks": totals.tasks}));
    }
    ctx.json(&json!({
        "blocklist": args.name, "added": totals.added, "skipped": totals.skipped,
        "total": totals.total, "tasks": totals.tasks,
    }))?;
    ctx.line(format!(
        "{}: added {}, skipped {} of {} words in {call} call{}",
        field(&args.name),
        totals.added,
        totals.skipped,
        totals.total,
        if call == 1 { "" } else { "s" }
    ))
}

/// One import call: started, waited for (or only started with --no-wait), added up.
async fn send(
    ctx: &Ctx,
    client: &Client,
    args: &ImportArgs,
    batch: Vec<String>,
    call: usize,
    calls: usize,
    totals: &mut Totals,
) -> Result<(), CliError> {
    let mut request = ImportBlockListRequest::new(&args.name, batch);
    if let Some(size) = args.chunk_size {
        request = request.chunk_size(usize::from(size));
    }
    let started = client.import_block_list(request).await?;
    if args.start.no_wait {
        totals
            .tasks
            .push(serde_json::to_value(&started).unwrap_or_default());
        ctx.line(&started.task_id)?;
        ctx.note(format!(
            "import {call}: started task {}; follow it with: getstream tasks wait {}",
            started.task_id, started.task_id
        ));
        return Ok(());
    }
    let what = format!("import {call}/{calls}");
    // Not `--json` here: one document for all the calls comes at the end.
    let quiet = Ctx {
        json: false,
        ..ctx.clone()
    };
    let Some(task) = start::follow(&quiet, &started.handle(), &started, &args.start, &what).await?
    else {
        return Ok(());
    };
    let result: Option<BlockListImportResult> = task
        .result
        .clone()
        .and_then(|r| serde_json::from_value(r).ok());
    totals
        .tasks
        .push(serde_json::to_value(&task).unwrap_or_default());
    let Some(result) = result else {
        return quiet.task(&task);
    };
    totals.added += result.added;
    totals.skipped += result.skipped;
    totals.total += result.total;
    if calls > 1 {
        ctx.line(format!(
            "call {call}: task {}: added {}, skipped {} of {}",
            field(&task.task_id),
            result.added,
            result.skipped,
            result.total
        ))?;
    }
    Ok(())
}
