//! Webhook, SQS and SNS decoding against the conformance fixtures in
//! `tests/data/webhook` (written by its `generate.py` with Python's own hmac,
//! gzip and base64, so the Rust side is checked against another
//! implementation).

use std::path::PathBuf;

use base64::Engine as _;
use getstream_tasks::webhook::{self, EventView, ExportKind, UserAction, WebhookErrorKind};
use getstream_tasks::{Error, Result};
use serde_json::Value;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/webhook")
}

fn cases() -> Value {
    let text = std::fs::read_to_string(data_dir().join("cases.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn read(name: &Value) -> Vec<u8> {
    std::fs::read(data_dir().join(name.as_str().unwrap())).unwrap()
}

fn b64(text: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text.as_str().unwrap())
        .unwrap()
}

fn export_kind(name: &Value) -> ExportKind {
    match name.as_str().unwrap() {
        "channels" => ExportKind::Channels,
        "users" => ExportKind::Users,
        "bulk_image_moderation" => ExportKind::BulkImageModeration,
        "moderation_logs" => ExportKind::ModerationLogs,
        "review_queue" => ExportKind::ReviewQueue,
        other => panic!("unknown export kind {other}"),
    }
}

/// Checks an event against the case's expectations.
fn check(name: &str, how: &str, event: Result<webhook::WebhookEvent>, expect: &Value) {
    let event = event.unwrap_or_else(|e| panic!("{name} via {how}: {e}"));
    let at = format!("{name} via {how}");
    assert_eq!(event.event_type(), expect["type"].as_str().unwrap(), "{at}");
    assert_eq!(event.task_id(), expect["task_id"].as_str(), "{at}");
    assert_eq!(
        event.created_at().map(|t| t.unix_nanos()),
        expect["created_at"].as_i64().map(i128::from),
        "{at}"
    );
    match (expect["view"].as_str().unwrap(), event.view()) {
        ("export_succeeded", EventView::ExportSucceeded(v)) => {
            assert_eq!(v.url(), expect["url"].as_str(), "{at}");
            assert_eq!(v.task_id(), expect["task_id"].as_str(), "{at}");
            assert_eq!(v.kind(), export_kind(&expect["kind"]), "{at}");
            assert!(v.finished_at().is_some(), "{at}");
        }
        ("export_failed", EventView::ExportFailed(v)) => {
            assert_eq!(v.error(), expect["error"].as_str(), "{at}");
            assert_eq!(v.task_id(), expect["task_id"].as_str(), "{at}");
            assert_eq!(v.kind(), export_kind(&expect["kind"]), "{at}");
        }
        ("call_deleted", EventView::CallDeleted(v)) => {
            assert_eq!(v.call_cid(), expect["call_cid"].as_str(), "{at}");
        }
        ("feed_deleted", EventView::FeedDeleted(v)) => {
            assert_eq!(v.fid(), expect["fid"].as_str(), "{at}");
        }
        ("activity_deleted", EventView::ActivityDeleted(v)) => {
            assert_eq!(v.fid(), expect["fid"].as_str(), "{at}");
            assert_eq!(v.activity_id(), expect["activity_id"].as_str(), "{at}");
        }
        ("channel_batch_update", EventView::ChannelBatchUpdate(v)) => {
            assert!(v.is_completed(), "{at}");
            assert_eq!(v.operation(), expect["operation"].as_str(), "{at}");
            assert_eq!(
                v.success_channels_count(),
                expect["success_channels_count"].as_u64()
            );
            assert_eq!(
                v.failed_channels().len() as u64,
                expect["failed_channels"].as_u64().unwrap()
            );
        }
        ("channel_deleted", EventView::ChannelDeleted(v)) => {
            assert_eq!(v.cid().as_deref(), expect["cid"].as_str(), "{at}");
        }
        ("user", EventView::User(v)) => {
            assert_eq!(v.user_id(), expect["user_id"].as_str(), "{at}");
            let action = match expect["action"].as_str().unwrap() {
                "deleted" => UserAction::Deleted,
                "deactivated" => UserAction::Deactivated,
                _ => UserAction::Reactivated,
            };
            assert_eq!(v.action(), action, "{at}");
        }
        ("other", EventView::Other) => {}
        (want, got) => panic!("{at}: expected view {want}, got {got:?}"),
    }
}

#[test]
fn every_valid_case_decodes_the_same_in_every_form() {
    let cases = cases();
    let secret = cases["secret"].as_str().unwrap();
    let valid = cases["valid"].as_array().unwrap();
    assert!(valid.len() >= 16);
    for case in valid {
        let name = case["name"].as_str().unwrap();
        let expect = &case["expect"];
        let body = read(&case["body_file"]);
        let gzip = read(&case["gzip_file"]);
        let signature = case["signature"].as_str().unwrap();

        assert!(
            webhook::verify_signature(&body, signature, secret),
            "{name}"
        );
        assert!(
            webhook::verify_signature(&body, &signature.to_uppercase(), secret),
            "{name}"
        );
        assert_eq!(webhook::sign(&body, secret), signature, "{name}");

        check(name, "parse", webhook::parse(&body), expect);
        check(name, "parse(gzip)", webhook::parse(&gzip), expect);
        check(
            name,
            "verify_and_parse",
            webhook::verify_and_parse(&body, signature, secret),
            expect,
        );
        check(
            name,
            "verify_and_parse(gzip)",
            webhook::verify_and_parse(&gzip, signature, secret),
            expect,
        );
        let client = getstream_tasks::Client::new("key", secret).unwrap();
        check(
            name,
            "Client::verify_webhook",
            client.verify_webhook(&gzip, signature),
            expect,
        );
        for form in ["sqs_base64_gzip", "sqs_raw"] {
            check(
                name,
                form,
                webhook::parse_sqs(case[form].as_str().unwrap()),
                expect,
            );
        }
        for form in ["sns_envelope", "sns_envelope_raw"] {
            check(
                name,
                form,
                webhook::parse_sns(case[form].as_str().unwrap()),
                expect,
            );
        }
        // An SNS message already taken out of its envelope.
        check(
            name,
            "sns message",
            webhook::parse_sns(case["sqs_base64_gzip"].as_str().unwrap()),
            expect,
        );
        // The JSON is kept as sent.
        let raw: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(webhook::parse(&body).unwrap().json(), &raw, "{name}");
    }
}

#[test]
fn every_invalid_case_gives_its_own_kind() {
    let cases = cases();
    let secret = cases["secret"].as_str().unwrap();
    let mut kinds_seen = std::collections::BTreeSet::new();
    for case in cases["invalid"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let text = case["body"].as_str().unwrap_or_default();
        let result = match case["via"].as_str().unwrap() {
            "verify" => webhook::verify_and_parse(
                text.as_bytes(),
                case["signature"].as_str().unwrap(),
                secret,
            ),
            "verify_base64" => webhook::verify_and_parse(
                &b64(&case["body_base64"]),
                case["signature"].as_str().unwrap(),
                secret,
            ),
            "webhook" => webhook::parse(text.as_bytes()),
            "webhook_base64" => webhook::parse(&b64(&case["body_base64"])),
            "sqs" => webhook::parse_sqs(text),
            "sns" => webhook::parse_sns(text),
            other => panic!("{name}: unknown via {other}"),
        };
        let error = match result {
            Err(Error::Webhook(e)) => e,
            Err(other) => panic!("{name}: not a webhook error: {other}"),
            Ok(event) => panic!("{name}: accepted as {event:?}"),
        };
        let want = case["kind"].as_str().unwrap();
        assert_eq!(error.kind().as_str(), want, "{name}: {error}");
        // Never the secret, never the signature, always one line.
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(secret), "{name}");
        if let Some(signature) = case["signature"].as_str() {
            assert!(!shown.contains(signature), "{name}");
        }
        assert!(!error.to_string().contains('\n'), "{name}");
        kinds_seen.insert(want.to_owned());
    }
    let all = [
        WebhookErrorKind::InvalidSignature,
        WebhookErrorKind::InvalidBase64,
        WebhookErrorKind::Gzip,
        WebhookErrorKind::InvalidJson,
        WebhookErrorKind::MissingType,
        WebhookErrorKind::PayloadTooLarge,
        WebhookErrorKind::InvalidEnvelope,
        WebhookErrorKind::EmptyBody,
    ];
    for kind in all {
        assert!(kinds_seen.contains(kind.as_str()), "no fixture for {kind}");
    }
}

#[test]
fn a_re_serialised_body_does_not_verify() {
    let cases = cases();
    let secret = cases["secret"].as_str().unwrap();
    let case = &cases["valid"][1];
    let body = read(&case["body_file"]);
    let reserialised =
        serde_json::to_vec(&serde_json::from_slice::<Value>(&body).unwrap()).unwrap();
    assert_ne!(body, reserialised);
    let error =
        webhook::verify_and_parse(&reserialised, case["signature"].as_str().unwrap(), secret)
            .unwrap_err();
    assert_eq!(
        error.webhook_kind(),
        Some(WebhookErrorKind::InvalidSignature)
    );
}

#[test]
fn the_size_cap_is_configurable() {
    let cases = cases();
    let case = &cases["valid"][0];
    let body = read(&case["body_file"]);
    let gzip = read(&case["gzip_file"]);
    let exact = webhook::Parser::new().max_payload_size(body.len());
    assert!(exact.parse(&gzip).is_ok());
    assert!(exact.parse(&body).is_ok());
    let small = webhook::Parser::new().max_payload_size(body.len() - 1);
    for result in [
        small.parse(&gzip),
        small.parse(&body),
        small.parse_sqs(case["sqs_base64_gzip"].as_str().unwrap()),
        small.parse_sns(case["sns_envelope"].as_str().unwrap()),
    ] {
        assert_eq!(
            result.unwrap_err().webhook_kind(),
            Some(WebhookErrorKind::PayloadTooLarge)
        );
    }
}
