//! A hard delete interrupted by a restart on a data dir resumes, and its removal is stored.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::CallSeed;
use crate::config::{EmulatorConfig, Pace};
use crate::jobs::job::JobKind;
use crate::jobs::task::Stamps;
use crate::persist::JobSpec;
use crate::state::EmulatorState;
use crate::state::sync::read;

fn task(state: &EmulatorState, id: &str) -> Value {
    let bytes = state
        .app("a")
        .unwrap()
        .render_task(id, &String::new, "0ms", Stamps::UnixNanos)
        .expect("the task exists")
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Stops the jobs of `state` (as a kill would) and lets go of the database.
async fn stop(state: EmulatorState) {
    state.shutdown_token().cancel();
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    drop(state);
}

#[tokio::test(start_paused = true)]
async fn a_hard_delete_resumes_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let pace = Pace {
        pending: Duration::from_secs(1),
        min_task_duration: Duration::from_secs(10),
        per_item_cost: Duration::ZERO,
    };
    let cfg = EmulatorConfig::new()
        .app("a", "secret-a")
        .data_dir(dir.path())
        .pace(pace);
    let state = EmulatorState::open(cfg.clone()).unwrap();
    let seed = CallSeed::new("default", "abc")
        .members(["u1", "u2"])
        .sessions(2);
    state.create_call("a", seed).unwrap();
    let app = Arc::clone(state.app("a").unwrap());
    let job = JobSpec {
        kind: JobKind::DeleteCall,
        items: 1,
        request: json!({"cid": "default:abc"}),
    };
    let work = crate::handlers::resume::work(&state, &job).unwrap();
    let id = state.submit_job(&app, job, work).unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(task(&state, &id)["status"], "running");
    assert!(read(&app.data).calls.contains_key("default:abc"));
    drop(app);
    stop(state).await;

    let again = EmulatorState::open(cfg.clone()).unwrap();
    assert!(
        read(&again.app("a").unwrap().data)
            .calls
            .contains_key("default:abc")
    );
    tokio::time::sleep(Duration::from_secs(12)).await;
    let t = task(&again, &id);
    assert_eq!(t["status"], "completed", "{t}");
    assert_eq!(
        t["result"],
        json!({"cid": "default:abc", "deleted": {"sessions": 2, "recordings": 0, "members": 2}})
    );
    stop(again).await;

    let third = EmulatorState::open(cfg).unwrap();
    assert!(read(&third.app("a").unwrap().data).calls.is_empty());
}
