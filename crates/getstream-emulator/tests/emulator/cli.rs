//! The binary: stdout contract, serving, graceful exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn binary_prints_the_contract_and_serves_until_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_getstream-emulator"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--api-key",
            "cli-key",
            "--api-secret",
            "cli-secret-0123456789abcdef0123456789",
            "--seed",
            "channels=2,messages=3,users=2",
            "--instant",
        ])
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let base = lines.next().unwrap().unwrap();
    let key = lines.next().unwrap().unwrap();
    let secret = lines.next().unwrap().unwrap();
    assert!(base.starts_with("base_url=http://127.0.0.1:"), "{base}");
    assert!(!base.ends_with(":0"), "the real port is printed: {base}");
    assert_eq!(key, "api_key=cli-key");
    assert_eq!(secret, "api_secret=cli-secret-0123456789abcdef0123456789");
    let base = base.trim_start_matches("base_url=");
    let token = crate::support::token("cli-secret-0123456789abcdef0123456789");
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v2/export/users?api_key=cli-key"))
        .header("authorization", &token)
        .header("stream-auth-type", "jwt")
        .json(&serde_json::json!({"user_ids": ["user-1"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit {:?}", out.status);
    // Nothing more on stdout; logs on stderr never carry the secret or the token.
    assert!(lines.next().is_none());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("listening"), "{stderr}");
    assert!(!stderr.contains("cli-secret"), "{stderr}");
    assert!(!stderr.contains(&token), "{stderr}");
}

#[test]
fn bad_arguments_fail_with_a_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_getstream-emulator"))
        .args(["--seed", "channels=lots"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("seed"));
}

#[test]
fn cli_arguments_build_the_config() {
    use clap::Parser;
    use getstream_emulator::cli::Args;
    let args = Args::try_parse_from([
        "getstream-emulator",
        "--addr",
        "127.0.0.1:0",
        "--app",
        "k2:s2",
        "--min-task-duration",
        "750ms",
        "--per-item-cost",
        "3ms",
        "--workers",
        "2",
        "--rate-limit",
        "GET /api/v2/tasks/{id}=7",
        "--admin",
    ])
    .unwrap();
    let config = args.config();
    assert_eq!(config.apps().len(), 2);
    assert_eq!(config.apps()[0].key(), getstream_emulator::DEFAULT_API_KEY);
    assert_eq!(
        config.job_pace().min_task_duration,
        std::time::Duration::from_millis(750)
    );
    assert_eq!(config.worker_count(), 2);
    assert_eq!(
        config
            .rate_limit_rules()
            .limit_for("GET /api/v2/tasks/{id}"),
        7
    );
    assert_eq!(
        config
            .rate_limit_rules()
            .limit_for("POST /api/v2/users/delete"),
        60
    );
    assert_eq!(
        config
            .rate_limit_rules()
            .limit_for("PUT /api/v2/chat/channels/batch"),
        60
    );
    assert!(config.admin_enabled());
    for bad in [
        vec!["x", "--api-secret", ""],
        vec!["x", "--api-key", "only-key"],
        vec!["x", "--workers", "0"],
        vec!["x", "--min-task-duration", "soon"],
        vec!["x", "--app", "no-secret"],
        vec!["x", "--public-url", "ftp://x"],
        vec!["x", "--rate-limit", "GET /x=lots"],
    ] {
        assert!(
            Args::try_parse_from(&bad).is_err(),
            "{bad:?} should be refused"
        );
    }
}

#[test]
fn webhook_url_reaches_the_config_and_bad_ones_are_refused() {
    use clap::Parser;
    use getstream_emulator::cli::Args;
    let args = Args::try_parse_from([
        "getstream-emulator",
        "--webhook-url",
        "http://127.0.0.1:9000/hooks",
    ])
    .unwrap();
    assert_eq!(
        args.config().default_webhook_url(),
        Some("http://127.0.0.1:9000/hooks")
    );
    assert_eq!(
        Args::try_parse_from(["getstream-emulator"])
            .unwrap()
            .config()
            .default_webhook_url(),
        None
    );
    for bad in ["ftp://example.com", "example.com/hook", "http://"] {
        assert!(
            Args::try_parse_from(["getstream-emulator", "--webhook-url", bad]).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn connection_and_remote_admin_flags_reach_the_config() {
    use clap::Parser;
    use getstream_emulator::cli::Args;
    use std::time::Duration;
    let args = Args::try_parse_from([
        "getstream-emulator",
        "--header-timeout",
        "3s",
        "--idle-timeout",
        "90s",
        "--max-connections",
        "5",
        "--shutdown-grace",
        "250ms",
        "--allow-remote-admin",
    ])
    .unwrap();
    let config = args.config();
    let limits = config.connection_limits();
    assert_eq!(limits.header_timeout, Duration::from_secs(3));
    assert_eq!(limits.idle_timeout, Duration::from_secs(90));
    assert_eq!(limits.max_connections, 5);
    assert_eq!(limits.shutdown_grace, Duration::from_millis(250));
    assert!(config.remote_admin_allowed());
    let defaults = Args::try_parse_from(["getstream-emulator"])
        .unwrap()
        .config();
    assert_eq!(
        defaults.connection_limits(),
        &getstream_emulator::ConnectionLimits::default()
    );
    assert!(!defaults.remote_admin_allowed());
    assert!(Args::try_parse_from(["x", "--max-connections", "0"]).is_err());
}
