//! Round trips through a data dir, and the start-up errors of dirs that cannot be used.

use serde_json::{Map, Value, json};

use super::{DB_FILE, DataDirError, Persist};
use crate::config::{EmulatorConfig, SeedSpec};
use crate::data::app_data::{DeleteMode, DeleteUsersPlan, now};
use crate::data::channel_ops::{DataChange, EventSink, MemberOp, MemberSpec};
use crate::data::lifecycle::{SystemMessage, Truncation};
use crate::state::EmulatorState;
use crate::webhooks::settings::WebhookSettings;

fn config(dir: &std::path::Path) -> EmulatorConfig {
    EmulatorConfig::new()
        .app("a", "secret-a")
        .app("b", "secret-b")
        .data_dir(dir)
}

fn custom(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// Every kind of change, made through the write path handlers use.
fn change_everything(state: &EmulatorState) {
    state
        .seed(
            "a",
            SeedSpec {
                users: 3,
                channels: 3,
                messages: 4,
            },
        )
        .unwrap();
    let app = state.app("a").unwrap();
    let mut data = app.data_mut();
    data.upsert_user(
        "zoe",
        Some("admin".into()),
        custom(json!({"name": "Zoé", "n": 1})),
    );
    data.update_user_partial("user-3", None, custom(json!({"team": "red"})), &[]);
    data.get_or_create_channel(
        "team",
        "x",
        Some("zoe"),
        &["zoe".into(), "user-1".into()],
        custom(json!({"topic": "t"})),
    );
    // Two messages at the same instant: their order must survive.
    let at = now();
    data.add_message(
        "team:x",
        Some("m-1".into()),
        "first".into(),
        "zoe",
        Map::new(),
        Some(at),
    );
    data.add_message(
        "team:x",
        Some("m-2".into()),
        "second".into(),
        "user-1",
        custom(json!({"k": [1, 2]})),
        Some(at),
    );
    data.add_message(
        "team:x",
        Some("m-0".into()),
        "earlier".into(),
        "zoe",
        Map::new(),
        Some(at - time::Duration::seconds(5)),
    );
    drop(data);
    let mut data = app.data_mut();
    data.truncate_channel(
        "messaging:seed-1",
        Truncation {
            at: now(),
            hard: false,
            by: Some("zoe".into()),
            message: Some(SystemMessage {
                text: "cleared".into(),
                user_id: "zoe".into(),
            }),
        },
    );
    data.soft_delete_channel("messaging:seed-2");
    data.hard_delete_channel("messaging:seed-3");
    data.delete_users(
        &["user-2".into()],
        DeleteUsersPlan {
            user: Some(DeleteMode::Hard),
            messages: Some(DeleteMode::Soft),
            conversations: None,
        },
    );
    data.deactivate_users(&["user-3".into()], true);
    drop(data);
    // Channel settings and member state (the update-channel calls and the batch task).
    let mut data = app.data_mut();
    let mut events = EventSink::new(true);
    let spec = |id: &str, role: Option<&str>| MemberSpec {
        user_id: id.into(),
        channel_role: role.map(Into::into),
    };
    data.change_members(
        "team:x",
        MemberOp::Archive,
        &[spec("zoe", None)],
        None,
        &mut events,
    )
    .unwrap();
    data.change_members(
        "team:x",
        MemberOp::AssignRoles,
        &[spec("user-1", Some("channel_lead"))],
        None,
        &mut events,
    )
    .unwrap();
    let mut change = DataChange::default();
    change.set.insert("frozen".into(), json!(true));
    change.set.insert("team".into(), json!("blue"));
    change.set.insert("cooldown".into(), json!(30));
    change.custom_set.insert("level".into(), json!(2));
    data.change_data("team:x", &change, None, &mut events)
        .unwrap();
    drop(data);
    state
        .set_webhook(
            "b",
            WebhookSettings::new()
                .url("http://127.0.0.1:9/h")
                .events(["user.deleted"])
                .compression(true),
        )
        .unwrap();
}

#[test]
fn data_and_settings_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = EmulatorState::open(config(dir.path())).unwrap();
    change_everything(&state);
    let before_a = state.snapshot("a").unwrap();
    let before_b = state.snapshot("b").unwrap();
    let hard_deleted = crate::state::sync::read(&state.app("a").unwrap().data)
        .hard_deleted_users
        .clone();
    drop(state);

    let again = EmulatorState::open(config(dir.path())).unwrap();
    assert_eq!(again.snapshot("a").unwrap(), before_a);
    assert_eq!(again.snapshot("b").unwrap(), before_b);
    let channels = before_a["channels"].as_array().unwrap();
    let team = channels.iter().find(|c| c["cid"] == "team:x").unwrap();
    let ids: Vec<_> = team["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(ids, [json!("m-0"), json!("m-1"), json!("m-2")]);
    assert_eq!(
        (
            &team["frozen"],
            &team["team"],
            &team["cooldown"],
            &team["custom"]["level"]
        ),
        (&json!(true), &json!("blue"), &json!(30), &json!(2))
    );
    let members = team["members"].as_array().unwrap();
    assert!(members[0]["archived_at"].is_i64(), "{team}");
    assert_eq!(members[1]["channel_role"], "channel_lead");
    assert!(channels.iter().all(|c| c["cid"] != "messaging:seed-3"));
    let data = crate::state::sync::read(&again.app("a").unwrap().data);
    assert_eq!(data.hard_deleted_users, hard_deleted);
    assert!(data.hard_deleted_users.contains("user-2"));
    drop(data);
    let hook = again.webhook("b").unwrap();
    assert_eq!(hook.get_url(), Some("http://127.0.0.1:9/h"));
    assert_eq!(hook.get_events(), ["user.deleted"]);
    assert!(hook.get_compression());

    // A reset empties the stored app too.
    again.reset();
    drop(again);
    let third = EmulatorState::open(config(dir.path())).unwrap();
    assert_eq!(
        third.snapshot("a").unwrap(),
        json!({"users": [], "channels": []})
    );
}

#[test]
fn the_seed_flag_does_not_seed_stored_data_again() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = || {
        config(dir.path()).seed(SeedSpec {
            users: 2,
            channels: 1,
            messages: 2,
        })
    };
    let state = EmulatorState::open(seeded()).unwrap();
    let before = state.snapshot("a").unwrap();
    drop(state);
    let again = EmulatorState::open(seeded()).unwrap();
    assert_eq!(again.snapshot("a").unwrap(), before);
}

#[test]
fn a_single_message_writes_one_message_row() {
    let dir = tempfile::tempdir().unwrap();
    let state = EmulatorState::open(config(dir.path())).unwrap();
    state
        .seed(
            "a",
            SeedSpec {
                users: 2,
                channels: 1,
                messages: 50,
            },
        )
        .unwrap();
    let app = state.app("a").unwrap();
    let mut data = app.data_mut();
    data.add_message(
        "messaging:seed-1",
        Some("new".into()),
        "hi".into(),
        "user-1",
        Map::new(),
        None,
    );
    let changes = data.changes.take();
    drop(data);
    assert!(!changes.all && changes.channel_messages.is_empty());
    assert_eq!(changes.messages.len(), 1);
}

#[test]
fn memory_only_records_no_changes() {
    let state = EmulatorState::new(EmulatorConfig::new().app("a", "s"));
    state
        .seed(
            "a",
            SeedSpec {
                users: 2,
                channels: 1,
                messages: 2,
            },
        )
        .unwrap();
    assert!(
        crate::state::sync::read(&state.app("a").unwrap().data)
            .changes
            .is_empty()
    );
}

fn open_err(dir: &std::path::Path) -> DataDirError {
    match EmulatorState::open(config(dir)) {
        Ok(_) => panic!("{} opened", dir.display()),
        Err(e) => e,
    }
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(DB_FILE),
        "not a database, just some text that is long enough to be read as a header. ".repeat(20),
    )
    .unwrap();
    let e = open_err(dir.path());
    assert!(matches!(e, DataDirError::Foreign { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("is not a getstream-emulator database"),
        "{e}"
    );
}

#[test]
fn another_programs_database_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('mine');").unwrap();
    drop(conn);
    let e = open_err(dir.path());
    assert!(matches!(e, DataDirError::Foreign { .. }), "{e:?}");
    // Untouched.
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    let body: String = conn
        .query_row("SELECT body FROM notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(body, "mine");
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(Persist::open(dir.path(), false).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.execute_batch("PRAGMA user_version = 99;").unwrap();
    drop(conn);
    let e = open_err(dir.path());
    assert!(matches!(e, DataDirError::Newer { found: 99, .. }), "{e:?}");
}

#[test]
fn a_row_changed_outside_the_emulator_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let state = EmulatorState::open(config(dir.path())).unwrap();
    state
        .seed(
            "a",
            SeedSpec {
                users: 1,
                channels: 0,
                messages: 0,
            },
        )
        .unwrap();
    drop(state);
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.execute_batch("UPDATE users SET data = '{\"role\": 7}'")
        .unwrap();
    drop(conn);
    let e = open_err(dir.path());
    assert!(matches!(e, DataDirError::BadRow { .. }), "{e:?}");
    assert!(e.to_string().contains("user-1"), "{e}");
}

#[test]
fn a_second_emulator_on_the_same_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = EmulatorState::open(config(dir.path())).unwrap();
    let e = open_err(dir.path());
    assert!(matches!(e, DataDirError::InUse { .. }), "{e:?}");
    drop(first);
    EmulatorState::open(config(dir.path())).unwrap();
}

#[test]
fn a_dir_under_a_file_cannot_be_created() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let e = open_err(&file.join("data"));
    assert!(matches!(e, DataDirError::Create { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("could not create the data directory"),
        "{e}"
    );
}

/// A directory that exists but takes no new files. `/proc` refuses them even to root (the
/// tests may run as root, whom file modes do not stop).
#[cfg(target_os = "linux")]
#[test]
fn a_dir_that_is_not_writable_is_refused_clearly() {
    let e = open_err(std::path::Path::new("/proc/self"));
    assert!(matches!(e, DataDirError::NotWritable { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "the data directory /proc/self is not writable"
    );
}

mod tasks {
    use std::sync::Arc;
    use std::time::Duration;

    use serde_json::{Value, json};

    use super::config;
    use crate::config::{Pace, SeedSpec};
    use crate::jobs::job::JobKind;
    use crate::jobs::task::Stamps;
    use crate::persist::JobSpec;
    use crate::state::EmulatorState;
    use crate::state::app_state::AppState;

    fn pace() -> Pace {
        Pace {
            pending: Duration::from_secs(1),
            min_task_duration: Duration::from_secs(10),
            per_item_cost: Duration::ZERO,
        }
    }

    /// Starts a hard delete of `user` as the delete-users handler does.
    fn delete_user(state: &EmulatorState, app: &Arc<AppState>, user: &str) -> String {
        let job = JobSpec {
            kind: JobKind::DeleteUsers,
            items: 1,
            request: json!({"ids": [user], "plan": {"user": "Hard", "messages": "Hard", "conversations": null}}),
        };
        let work = crate::handlers::resume::work(state, &job).unwrap();
        state.submit_job(app, job, work).unwrap()
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

    /// Stops the jobs of `state` (as a kill would) and lets go of the database.
    async fn stop(state: EmulatorState) {
        state.shutdown_token().cancel();
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        drop(state);
    }

    #[tokio::test(start_paused = true)]
    async fn unfinished_jobs_resume_after_a_restart_and_finished_tasks_stay() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path()).pace(pace());
        let state = EmulatorState::open(cfg.clone()).unwrap();
        state
            .seed(
                "a",
                SeedSpec {
                    users: 3,
                    channels: 0,
                    messages: 0,
                },
            )
            .unwrap();
        let app = Arc::clone(state.app("a").unwrap());
        let done = delete_user(&state, &app, "user-1");
        tokio::time::sleep(Duration::from_secs(12)).await;
        let finished = task(&state, &done);
        assert_eq!(finished["status"], "completed");
        let queued = delete_user(&state, &app, "user-2");
        let running = delete_user(&state, &app, "user-3");
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(task(&state, &running)["status"], "running");
        drop(app);
        stop(state).await;

        let again = EmulatorState::open(cfg.clone()).unwrap();
        assert_eq!(task(&again, &done), finished);
        for id in [&queued, &running] {
            assert!(matches!(
                task(&again, id)["status"].as_str(),
                Some("pending" | "running")
            ));
        }
        tokio::time::sleep(Duration::from_secs(12)).await;
        for (id, user) in [(&queued, "user-2"), (&running, "user-3")] {
            let t = task(&again, id);
            assert_eq!(t["status"], "completed", "{t}");
            assert_eq!(t["result"][user]["status"], "ok", "{t}");
        }
        let snap = again.snapshot("a").unwrap();
        assert_eq!(snap["users"].as_array().unwrap().len(), 0, "{snap}");
        let completed = task(&again, &queued);
        stop(again).await;

        // Finished now, and stored so.
        let third = EmulatorState::open(cfg).unwrap();
        assert_eq!(task(&third, &queued), completed);
    }

    #[tokio::test(start_paused = true)]
    async fn a_channel_batch_update_resumes_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path()).pace(pace());
        let state = EmulatorState::open(cfg.clone()).unwrap();
        let seed = SeedSpec {
            users: 5,
            channels: 3,
            messages: 0,
        };
        state.seed("a", seed).unwrap();
        let app = Arc::clone(state.app("a").unwrap());
        let job = JobSpec {
            kind: JobKind::ChannelBatchUpdate,
            items: 3,
            request: json!({
                "operation": "addMembers",
                "cids": null,
                "types": ["messaging"],
                "members": [{"user_id": "user-5", "channel_role": "channel_guest"}],
                "data": {},
                "created_at_ns": 1,
            }),
        };
        let work = crate::handlers::resume::work(&state, &job).unwrap();
        let id = state.submit_job(&app, job, work).unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(task(&state, &id)["status"], "running");
        drop(app);
        stop(state).await;

        let again = EmulatorState::open(cfg.clone()).unwrap();
        tokio::time::sleep(Duration::from_secs(12)).await;
        let t = task(&again, &id);
        assert_eq!(t["status"], "completed", "{t}");
        assert_eq!(t["result"]["success_channels_count"], 3, "{t}");
        assert_eq!(t["result"]["operation"], "addMembers", "{t}");
        stop(again).await;
        let third = EmulatorState::open(cfg).unwrap();
        let snap = third.snapshot("a").unwrap();
        for c in snap["channels"].as_array().unwrap() {
            let guest = c["members"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["user_id"] == "user-5");
            assert_eq!(guest.unwrap()["channel_role"], "channel_guest", "{c}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_job_whose_input_does_not_read_fails_at_start_up() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path()).pace(pace());
        let state = EmulatorState::open(cfg.clone()).unwrap();
        let app = Arc::clone(state.app("a").unwrap());
        let id = delete_user(&state, &app, "nobody");
        drop(app);
        stop(state).await;
        let conn = rusqlite::Connection::open(dir.path().join(super::DB_FILE)).unwrap();
        conn.execute_batch(r#"UPDATE tasks SET job = '{"kind": "delete_users", "items": 1, "request": {"ids": 5}}'"#)
            .unwrap();
        drop(conn);
        let again = EmulatorState::open(cfg).unwrap();
        let t = task(&again, &id);
        assert_eq!(t["status"], "failed", "{t}");
        assert_eq!(t["error"]["type"], "ResumeError");
        assert!(
            t["error"]["description"]
                .as_str()
                .unwrap()
                .contains("stored input"),
            "{t}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_reset_forgets_the_stored_tasks() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path()).pace(pace());
        let state = EmulatorState::open(cfg.clone()).unwrap();
        let app = Arc::clone(state.app("a").unwrap());
        let id = delete_user(&state, &app, "nobody");
        drop(app);
        state.reset();
        stop(state).await;
        let again = EmulatorState::open(cfg).unwrap();
        assert!(
            again
                .app("a")
                .unwrap()
                .render_task(&id, &String::new, "0ms", Stamps::UnixNanos)
                .is_none()
        );
    }
}

mod exports {
    use std::sync::Arc;
    use std::time::Duration;

    use serde_json::json;

    use super::config;
    use crate::config::{Pace, SeedSpec};
    use crate::jobs::job::JobKind;
    use crate::persist::JobSpec;
    use crate::state::EmulatorState;

    fn export_job() -> JobSpec {
        JobSpec {
            kind: JobKind::ExportChannels,
            items: 1,
            request: json!({
                "specs": [{"cid": "messaging:seed-1", "since": null, "until": null}],
                "export_users": true, "include_deleted": false,
                "clear_deleted_text": false, "include_truncated": false,
            }),
        }
    }

    fn token_of(state: &EmulatorState, id: &str) -> String {
        let app = state.app("a").unwrap();
        let body = app
            .render_task(
                id,
                &String::new,
                "0ms",
                crate::jobs::task::Stamps::UnixNanos,
            )
            .unwrap()
            .unwrap();
        let task: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(task["status"], "completed", "{task}");
        let url = task["result"]["url"].as_str().unwrap();
        let file = url.rsplit('/').next().unwrap();
        file.split(".json").next().unwrap().to_owned()
    }

    #[tokio::test(start_paused = true)]
    async fn export_files_and_their_owner_survive_a_restart_and_a_reset_removes_them() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path()).pace(Pace::instant());
        let state = EmulatorState::open(cfg.clone()).unwrap();
        state
            .seed(
                "a",
                SeedSpec {
                    users: 2,
                    channels: 1,
                    messages: 4,
                },
            )
            .unwrap();
        let app = Arc::clone(state.app("a").unwrap());
        let job = export_job();
        let work = crate::handlers::resume::work(&state, &job).unwrap();
        let id = state.submit_job(&app, job, work).unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        let token = token_of(&state, &id);
        let entry = state.export_file(&token).expect("the file is indexed");
        assert!(
            entry.path.starts_with(dir.path().join("exports")),
            "{entry:?}"
        );
        let bytes = std::fs::read(&entry.path).unwrap();
        // A file an export cut short.
        std::fs::write(dir.path().join("exports/cut.json.partial"), "{").unwrap();
        drop(app);
        state.shutdown_token().cancel();
        tokio::task::yield_now().await;
        drop(state);

        let again = EmulatorState::open(cfg.clone()).unwrap();
        assert_eq!(token_of(&again, &id), token);
        let entry = again
            .export_file(&token)
            .expect("indexed after the restart");
        assert_eq!(entry.app_key, "a");
        assert_eq!(std::fs::read(&entry.path).unwrap(), bytes);
        assert!(!dir.path().join("exports/cut.json.partial").exists());
        let file: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(file["channels"][0]["messages"].as_array().unwrap().len(), 4);

        again.reset();
        assert!(!entry.path.exists());
        drop(again);
        let third = EmulatorState::open(cfg).unwrap();
        assert!(third.export_file(&token).is_none());
    }
}
