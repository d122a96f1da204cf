//! Block lists, teams and their jobs through a data dir: the data survives a restart, an
//! unfinished import or membership deletion resumes, and a file from before the block
//! lists table gains it.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::config::{EmulatorConfig, Pace};
use crate::data::blocklists::{BlockList, BlockListFlags};
use crate::jobs::job::JobKind;
use crate::jobs::task::Stamps;
use crate::persist::JobSpec;
use crate::state::EmulatorState;
use crate::state::sync::read;

fn config(dir: &std::path::Path) -> EmulatorConfig {
    EmulatorConfig::new()
        .app("a", "secret-a")
        .data_dir(dir)
        .pace(Pace {
            pending: Duration::from_secs(1),
            min_task_duration: Duration::from_secs(10),
            per_item_cost: Duration::ZERO,
        })
}

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| (*s).to_owned()).collect()
}

/// ann (teams red, blue), member of `messaging:r1` (team red); block lists `keep` and `gone`
/// (removed again).
fn make_data(state: &EmulatorState) {
    let app = state.app("a").unwrap();
    let mut data = app.data_mut();
    data.upsert_user("ann", None, Map::new());
    data.set_user_teams("ann", words(&["red", "blue"]));
    data.get_or_create_channel("messaging", "r1", Some("ann"), &words(&["ann"]), Map::new());
    data.set_channel_team("messaging:r1", Some("red".into()));
    let flags = BlockListFlags {
        leet_check: true,
        ..BlockListFlags::default()
    };
    for name in ["keep", "gone"] {
        let kind = "domain".to_owned();
        let list = BlockList::new(
            name.into(),
            kind,
            Some("red".into()),
            flags,
            &words(&["a.example", "b.example"]),
        );
        data.put_blocklist(list);
    }
    drop(data);
    let mut data = app.data_mut();
    data.remove_blocklist("gone");
}

#[test]
fn block_lists_and_teams_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = EmulatorState::open(config(dir.path())).unwrap();
    make_data(&state);
    let before = read(&state.app("a").unwrap().data).blocklists["keep"].clone();
    drop(state);

    let again = EmulatorState::open(config(dir.path())).unwrap();
    let data = read(&again.app("a").unwrap().data);
    assert_eq!(data.users["ann"].teams, ["red", "blue"]);
    assert_eq!(data.channels["messaging:r1"].team.as_deref(), Some("red"));
    assert_eq!(data.blocklists.len(), 1, "the removed list stays removed");
    let l = &data.blocklists["keep"];
    assert_eq!(l.id, before.id);
    assert_eq!(l.kind, "domain");
    assert_eq!(l.team.as_deref(), Some("red"));
    assert_eq!(l.flags, before.flags);
    assert_eq!(l.words(), ["a.example", "b.example"]);
    assert_eq!(l.created_at, before.created_at);
    assert_eq!(l.updated_at, before.updated_at);
    drop(data);

    // A reset forgets the block lists too.
    again.reset();
    drop(again);
    let third = EmulatorState::open(config(dir.path())).unwrap();
    assert!(read(&third.app("a").unwrap().data).blocklists.is_empty());
}

#[test]
fn a_file_from_before_the_block_lists_table_gains_it() {
    let dir = tempfile::tempdir().unwrap();
    drop(EmulatorState::open(config(dir.path())).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join(super::DB_FILE)).unwrap();
    conn.execute_batch("DROP TABLE blocklists").unwrap();
    drop(conn);
    let state = EmulatorState::open(config(dir.path())).unwrap();
    make_data(&state);
    drop(state);
    let again = EmulatorState::open(config(dir.path())).unwrap();
    assert!(
        read(&again.app("a").unwrap().data)
            .blocklists
            .contains_key("keep")
    );
}

fn task(state: &EmulatorState, id: &str) -> Value {
    let bytes = state
        .app("a")
        .unwrap()
        .render_task(id, &String::new, "0ms", Stamps::UnixNanos)
        .expect("the task exists")
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Starts a job as its handler does, from its stored input.
fn submit(state: &EmulatorState, kind: JobKind, request: Value) -> String {
    let app = Arc::clone(state.app("a").unwrap());
    let job = JobSpec {
        kind,
        items: 1,
        request,
    };
    let work = crate::handlers::resume::work(state, &job).unwrap();
    state.submit_job(&app, job, work).unwrap()
}

#[tokio::test(start_paused = true)]
async fn an_unfinished_import_and_membership_deletion_resume_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = EmulatorState::open(config(dir.path())).unwrap();
    make_data(&state);
    let list_id = read(&state.app("a").unwrap().data).blocklists["keep"]
        .id
        .clone();
    // ann leaves red (as the upsert does before it starts the task).
    state
        .app("a")
        .unwrap()
        .data_mut()
        .set_user_teams("ann", words(&["blue"]));
    let import = submit(
        &state,
        JobKind::ImportBlockList,
        json!({"name": "keep", "list_id": list_id, "items": ["c.example", "A.example"],
               "chunk_size": 1}),
    );
    let deletion = submit(
        &state,
        JobKind::MembershipDeletion,
        json!({"removals": [{"user_id": "ann", "teams": ["red"]}]}),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(task(&state, &import)["status"], "running");
    state.shutdown_token().cancel();
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    drop(state);

    let again = EmulatorState::open(config(dir.path())).unwrap();
    tokio::time::sleep(Duration::from_secs(12)).await;
    let t = task(&again, &import);
    assert_eq!(t["status"], "completed", "{t}");
    assert_eq!(
        t["result"],
        json!({"blocklist": "keep", "added": 1, "skipped": 1, "total": 2})
    );
    let t = task(&again, &deletion);
    assert_eq!(t["status"], "completed", "{t}");
    assert_eq!(t["result"]["removed_count"], 1, "{t}");
    let data = read(&again.app("a").unwrap().data);
    assert_eq!(
        data.blocklists["keep"].words(),
        ["a.example", "b.example", "c.example"]
    );
    assert!(data.channels["messaging:r1"].members.is_empty());
}
