//! Client construction, configuration from the environment, and secret redaction.

use std::time::Duration;

use getstream_tasks::{Client, Error};
use serde_json::json;

use crate::support::{
    API_KEY, API_SECRET, Reply, Server, builder, chain, client_at, dropping_server, global_logs,
};

#[test]
fn builder_defaults_and_errors() {
    assert_eq!(
        getstream_tasks::DEFAULT_BASE_URL,
        "https://chat.stream-io-api.com"
    );
    assert_eq!(getstream_tasks::DEFAULT_TIMEOUT, Duration::from_secs(30));
    assert_eq!(
        getstream_tasks::DEFAULT_CONNECT_TIMEOUT,
        Duration::from_secs(10)
    );
    assert_eq!(
        getstream_tasks::DEFAULT_POLL_INTERVAL,
        Duration::from_secs(1)
    );
    assert_eq!(
        getstream_tasks::DEFAULT_WAIT_TIMEOUT,
        Duration::from_secs(60)
    );
    let client = Client::new(API_KEY, API_SECRET).unwrap();
    assert_eq!(client.base_url(), "https://chat.stream-io-api.com/");
    assert_eq!(client.api_key(), API_KEY);

    let e = builder("chat.stream-io-api.com").build().unwrap_err();
    assert!(e.is_invalid_argument(), "{e}");
    assert!(e.to_string().contains("base_url"), "{e}");
    let e = Client::new("", API_SECRET).unwrap_err();
    assert!(e.to_string().contains("api_key"), "{e}");
}

/// Runs only as a child process of `from_env_reads_the_three_variables`, with
/// the variables set (the test binary forbids `unsafe` `set_var`).
#[test]
fn from_env_child() {
    let Ok(expected) = std::env::var("GETSTREAM_TEST_EXPECT") else {
        return;
    };
    match Client::from_env() {
        Ok(client) => {
            assert_eq!(
                expected,
                format!("ok {} {}", client.api_key(), client.base_url())
            );
            #[cfg(feature = "blocking")]
            assert_eq!(
                getstream_tasks::blocking::Client::from_env()
                    .unwrap()
                    .base_url(),
                client.base_url()
            );
        }
        Err(e) => assert_eq!(expected, format!("err {e}")),
    }
}

#[test]
fn from_env_reads_the_three_variables() {
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[
                ("STREAM_API_KEY", "k1"),
                ("STREAM_API_SECRET", "s1"),
                ("STREAM_BASE_URL", "http://127.0.0.1:9"),
            ],
            "ok k1 http://127.0.0.1:9/",
        ),
        (
            &[("STREAM_API_KEY", "k1"), ("STREAM_API_SECRET", "s1")],
            "ok k1 https://chat.stream-io-api.com/",
        ),
        (
            &[("STREAM_API_SECRET", "s1")],
            "err invalid argument `STREAM_API_KEY`: is not set",
        ),
        (
            &[("STREAM_API_KEY", "k1"), ("STREAM_API_SECRET", "")],
            "err invalid argument `STREAM_API_SECRET`: is not set",
        ),
    ];
    for (vars, expected) in cases {
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command
            .args(["--exact", "client::from_env_child", "--test-threads=1"])
            .env_remove("STREAM_API_KEY")
            .env_remove("STREAM_API_SECRET")
            .env_remove("STREAM_BASE_URL")
            .env("GETSTREAM_TEST_EXPECT", expected);
        for (name, value) in vars {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{expected}: {stdout}");
        assert!(stdout.contains("1 passed"), "{stdout}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_secret_and_the_token_never_show() {
    // The global capture (see `global_logs`); it also holds the other tests' logs.
    let logs = global_logs();

    let server =
        Server::with_task(
            "failed",
            [Reply::task("failed", "failed")
                .with(json!({"error": {"type": "x", "description": "y"}}))],
        )
        .await;
    server.task(
        "missing",
        [Reply::api_error(404, 16, "Can't find task with id missing")],
    );
    server.task("html", [Reply::text(502, "<html>bad gateway</html>")]);
    server.task("garbage", [Reply::text(200, "garbage")]);
    server.task("running", [Reply::task("running", "running")]);
    server.task("hang", [Reply::hang()]);
    let client = server.client();
    let async_builder = builder(&server.url);

    let mut errors: Vec<Error> = Vec::new();
    for id in ["failed", "missing", "html", "garbage", ""] {
        errors.push(client.wait_for_task(id).await.unwrap_err());
    }
    errors.push(
        client
            .wait_for_task("running")
            .timeout(Duration::from_millis(1500))
            .await
            .unwrap_err(),
    );
    errors.push(
        client
            .wait_for_task("hang")
            .timeout(Duration::from_secs(1))
            .await
            .unwrap_err(),
    );
    errors.push(
        client
            .wait_for_task("html")
            .timeout(Duration::from_secs(1))
            .await
            .unwrap_err(),
    );
    let resetting = client_at(&dropping_server().await);
    errors.push(resetting.get_task("t").await.unwrap_err());
    errors.push(
        Client::new(API_KEY, API_SECRET)
            .unwrap()
            .wait_for_task("t")
            .interval(Duration::ZERO)
            .await
            .unwrap_err(),
    );

    let token = server.requests()[0].headers["authorization"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(token.len() > 20);
    let mut shown = vec![
        format!("{client:?}"),
        format!("{async_builder:?}"),
        format!("{:?}", client.wait_for_task("x")),
    ];
    for e in &errors {
        shown.push(chain(e));
    }
    #[cfg(feature = "blocking")]
    {
        let blocking =
            getstream_tasks::blocking::Client::builder(API_KEY, API_SECRET).base_url(&server.url);
        shown.push(format!("{blocking:?}"));
        let blocking = blocking.build().unwrap();
        shown.push(format!("{blocking:?} {:?}", blocking.wait_for_task("x")));
    }
    shown.push(String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned());
    assert!(
        shown.last().unwrap().contains("polled task"),
        "the logs were captured: {}",
        shown.last().unwrap()
    );
    for text in &shown {
        assert!(!text.contains(API_SECRET), "secret leaked: {text}");
        assert!(!text.contains(&token), "token leaked: {text}");
    }
    for e in &errors {
        assert!(!e.to_string().contains('\n'), "one line: {e}");
    }
    // The API key is not secret: Debug shows it, which helps debugging.
    assert!(shown[0].contains(API_KEY));
}
