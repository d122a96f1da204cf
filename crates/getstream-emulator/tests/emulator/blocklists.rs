//! Block lists: the data routes, their bad input (400 envelopes), and the import task
//! (chunks, skips, an unknown list refused, a list deleted mid-task failing the task).

use std::time::Duration;

use axum::http::Method;
use getstream_emulator::{EmulatorState, Pace, app};
use serde_json::{Value, json};

use crate::support::*;

fn router() -> axum::Router {
    app(EmulatorState::new(config()))
}

fn words(b: &Value) -> Vec<&str> {
    b["blocklist"]["words"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn block_lists_are_created_read_updated_listed_and_deleted() {
    let r = router();
    let made = api(
        &r,
        Method::POST,
        "/api/v2/blocklists",
        Some(
            json!({"name": "no-cakes", "words": ["fudge", "Cream", " cream "], "team": "red",
                    "is_leet_check_enabled": true}),
        ),
    )
    .await;
    assert_eq!(made.status, 201, "{:?}", made.body);
    let l = &made.body["blocklist"];
    assert_eq!(l["name"], "no-cakes");
    assert_eq!(l["type"], "word");
    assert_eq!(l["team"], "red");
    assert_eq!(l["is_leet_check_enabled"], true);
    assert_eq!(l["is_plural_check_enabled"], false);
    assert!(l["created_at"].as_i64().unwrap() > 1_600_000_000_000_000_000);
    assert_eq!(
        words(&made.body),
        ["fudge", "Cream"],
        "trimmed, duplicates dropped"
    );

    // The same name again is a 400.
    api(
        &r,
        Method::POST,
        "/api/v2/blocklists",
        Some(json!({"name": "no-cakes", "words": []})),
    )
    .await
    .assert_error(400, 4);

    let other = api(
        &r,
        Method::POST,
        "/api/v2/blocklists",
        Some(json!({"name": "domains", "words": ["spam.example"], "type": "domain"})),
    )
    .await;
    assert_eq!(other.status, 201, "{:?}", other.body);

    let got = api(&r, Method::GET, "/api/v2/blocklists/no-cakes", None).await;
    assert_eq!(got.status, 200, "{:?}", got.body);
    assert_eq!(words(&got.body), ["fudge", "Cream"]);
    assert!(got.body["duration"].is_string());
    // Asked for in another team: not found.
    api(
        &r,
        Method::GET,
        "/api/v2/blocklists/no-cakes?team=blue",
        None,
    )
    .await
    .assert_error(404, 16);

    let names = |b: &Value| -> Vec<String> {
        b["blocklists"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = api(&r, Method::GET, "/api/v2/blocklists", None).await;
    assert_eq!(names(&all.body), ["domains", "no-cakes"]);
    let red = api(&r, Method::GET, "/api/v2/blocklists?team=red", None).await;
    assert_eq!(names(&red.body), ["no-cakes"]);

    let put = api(
        &r,
        Method::PUT,
        "/api/v2/blocklists/no-cakes",
        Some(json!({"words": ["sugar", "salt"], "team": "blue", "is_plural_check_enabled": true})),
    )
    .await;
    assert_eq!(put.status, 200, "{:?}", put.body);
    assert_eq!(words(&put.body), ["sugar", "salt"]);
    assert_eq!(put.body["blocklist"]["team"], "blue");
    assert_eq!(put.body["blocklist"]["is_plural_check_enabled"], true);
    assert_eq!(put.body["blocklist"]["is_leet_check_enabled"], true, "kept");
    api(
        &r,
        Method::PUT,
        "/api/v2/blocklists/missing",
        Some(json!({"words": []})),
    )
    .await
    .assert_error(404, 16);

    let del = api(&r, Method::DELETE, "/api/v2/blocklists/no-cakes", None).await;
    assert_eq!(del.status, 200, "{:?}", del.body);
    api(&r, Method::GET, "/api/v2/blocklists/no-cakes", None)
        .await
        .assert_error(404, 16);
    api(&r, Method::DELETE, "/api/v2/blocklists/no-cakes", None)
        .await
        .assert_error(404, 16);
}

#[tokio::test]
async fn bad_block_list_input_is_a_400_envelope() {
    let r = router();
    let create = |body: Value| {
        let r = r.clone();
        async move { api(&r, Method::POST, "/api/v2/blocklists", Some(body)).await }
    };
    for body in [
        json!({"words": ["a"]}),
        json!({"name": "a b", "words": ["a"]}),
        json!({"name": "x".repeat(256), "words": ["a"]}),
        json!({"name": "l"}),
        json!({"name": "l", "words": "a"}),
        json!({"name": "l", "words": ["  "]}),
        json!({"name": "l", "words": ["x".repeat(256)]}),
        json!({"name": "l", "words": ["a"], "type": "phrase"}),
        json!({"name": "l", "words": ["a"], "team": "t".repeat(256)}),
        json!({"name": "l", "words": (0..10_001).map(|i| format!("w{i}")).collect::<Vec<_>>()}),
    ] {
        create(body).await.assert_error(400, 4);
    }
    api(&r, Method::GET, "/api/v2/blocklists/a%20b", None)
        .await
        .assert_error(400, 4);

    // The lists per app are capped.
    for i in 0..100 {
        let made = create(json!({"name": format!("l{i}"), "words": []})).await;
        assert_eq!(made.status, 201, "{:?}", made.body);
    }
    let refused = create(json!({"name": "one-more", "words": []})).await;
    refused.assert_error(400, 4);
    assert!(
        refused.body["message"].as_str().unwrap().contains("100"),
        "{:?}",
        refused.body
    );

    // Import: the items, the chunk size, the list.
    let import = |name: &str, body: Value| {
        let r = r.clone();
        let path = format!("/api/v2/blocklists/{name}/import");
        async move { api(&r, Method::POST, &path, Some(body)).await }
    };
    for body in [
        json!({}),
        json!({"items": []}),
        json!({"items": (0..10_001).map(|i| format!("w{i}")).collect::<Vec<_>>()}),
        json!({"items": ["ok", " "]}),
        json!({"items": ["x".repeat(256)]}),
        json!({"items": ["a"], "chunk_size": 0}),
        json!({"items": ["a"], "chunk_size": 1001}),
        json!({"items": ["a"], "chunk_size": -1}),
        json!({"items": "a"}),
    ] {
        import("l0", body).await.assert_error(400, 4);
    }
    // An unknown list is refused at once: no task.
    let unknown = import("missing", json!({"items": ["a"]})).await;
    unknown.assert_error(404, 16);
    assert!(unknown.body.get("task_id").is_none());
    // Items that would take the list past 10,000 words.
    let full: Vec<String> = (0..9_999).map(|i| format!("w{i}")).collect();
    let put = api(
        &r,
        Method::PUT,
        "/api/v2/blocklists/l0",
        Some(json!({ "words": full })),
    )
    .await;
    assert_eq!(put.status, 200);
    import("l0", json!({"items": ["new-1", "new-2", "W1"]}))
        .await
        .assert_error(400, 4);
    // Present words do not count: one new word fits.
    let fits = import("l0", json!({"items": ["new-1", "W1", "w2"]})).await;
    assert_eq!(fits.status, 201, "{:?}", fits.body);
}

#[tokio::test(start_paused = true)]
async fn an_import_adds_new_words_in_chunks_and_skips_the_rest() {
    let (handle, http) = start(config()).await;
    let (s, b) = http
        .post(
            "/api/v2/blocklists",
            json!({"name": "profanity", "words": ["cream"]}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let items = json!([
        " Cream", "fudge", "sugar", "FUDGE", "salt ", "sugar", "pepper"
    ]);
    let (task, seen) = http
        .run_task(
            "/api/v2/blocklists/profanity/import",
            json!({"items": items, "chunk_size": 2}),
        )
        .await;
    assert_eq!(task["status"], "completed", "{task}");
    assert_eq!(seen.last().map(String::as_str), Some("completed"));
    assert_eq!(
        task["result"],
        json!({"blocklist": "profanity", "added": 4, "skipped": 3, "total": 7})
    );
    let (_, got) = http.get("/api/v2/blocklists/profanity").await;
    assert_eq!(words(&got), ["cream", "fudge", "sugar", "salt", "pepper"]);

    // Importing the same again adds nothing.
    let (task, _) = http
        .run_task(
            "/api/v2/blocklists/profanity/import",
            json!({"items": ["fudge", "PEPPER"]}),
        )
        .await;
    assert_eq!(
        task["result"],
        json!({"blocklist": "profanity", "added": 0, "skipped": 2, "total": 2})
    );
    handle.shutdown().await;
}

/// A pace that keeps a job pending for 5 s, then running for 10 s before it does its work.
fn slow() -> Pace {
    Pace {
        pending: Duration::from_secs(5),
        min_task_duration: Duration::from_secs(10),
        per_item_cost: Duration::ZERO,
    }
}

#[tokio::test(start_paused = true)]
async fn deleting_the_list_while_the_import_runs_fails_the_task() {
    let (handle, http) = start(config().pace(slow())).await;
    for name in ["doomed", "reborn"] {
        let (s, b) = http
            .post("/api/v2/blocklists", json!({"name": name, "words": []}))
            .await;
        assert_eq!(s, 201, "{b}");
    }
    let mut ids = Vec::new();
    for name in ["doomed", "reborn"] {
        let (s, b) = http
            .post(
                &format!("/api/v2/blocklists/{name}/import"),
                json!({"items": ["a", "b"]}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        ids.push(b["task_id"].as_str().unwrap().to_owned());
    }
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(http.task(&ids[0]).await["status"], "running");
    for name in ["doomed", "reborn"] {
        let (s, _, b) = http
            .send(
                reqwest::Method::DELETE,
                &format!("/api/v2/blocklists/{name}"),
                None,
            )
            .await
            .unwrap();
        assert_eq!(s, 200, "{b}");
    }
    // A list created again under the name is another list: its import still fails.
    let (s, _) = http
        .post("/api/v2/blocklists", json!({"name": "reborn", "words": []}))
        .await;
    assert_eq!(s, 201);
    for (id, name) in ids.iter().zip(["doomed", "reborn"]) {
        let (task, _) = http.wait(id).await;
        assert_eq!(task["status"], "failed", "{task}");
        assert_eq!(task["error"]["type"], "not_found", "{task}");
        let description = task["error"]["description"].as_str().unwrap();
        assert!(description.contains(name), "{description}");
    }
    let (_, got) = http.get("/api/v2/blocklists/reborn").await;
    assert!(words(&got).is_empty(), "{got}");
    handle.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_list_filled_meanwhile_fails_the_import_keeping_the_chunks_before() {
    let (handle, http) = start(config().pace(slow())).await;
    let full: Vec<String> = (0..9_997).map(|i| format!("w{i}")).collect();
    let (s, b) = http
        .post("/api/v2/blocklists", json!({"name": "big", "words": full}))
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = http
        .post(
            "/api/v2/blocklists/big/import",
            json!({"items": ["a", "b", "c"], "chunk_size": 1}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let id = b["task_id"].as_str().unwrap().to_owned();
    // Before the task runs, the list is refilled one word short of what the import needs.
    let mut refill = full.clone();
    refill.push("extra".to_owned());
    let (s, _, b) = http
        .send(
            reqwest::Method::PUT,
            "/api/v2/blocklists/big",
            Some(json!({ "words": refill })),
        )
        .await
        .unwrap();
    assert_eq!(s, 200, "{b}");
    let (task, _) = http.wait(&id).await;
    assert_eq!(task["status"], "failed", "{task}");
    assert_eq!(task["error"]["type"], "limit_exceeded", "{task}");
    let (_, got) = http.get("/api/v2/blocklists/big").await;
    let w = words(&got);
    assert_eq!(w.len(), 10_000);
    assert_eq!(w[9_998..], ["a", "b"], "the chunks before the refusal stay");
    handle.shutdown().await;
}
