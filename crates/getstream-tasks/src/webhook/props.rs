//! Property tests (the stable-toolchain fuzz harness) for the webhook decoders:
//! [`parse`], [`verify_and_parse`], [`parse_sqs`], [`parse_sns`] and the
//! signature. Inputs are the conformance fixtures (tests/data/webhook),
//! mutated, plus arbitrary bytes and arbitrary events. Each property: no
//! panic, a typed one-line error, the deliveries agree with each other, and a
//! gzip payload past the cap is `PayloadTooLarge` without a buffer past it.
//!
//! CI runs proptest's default 256 cases a property; run longer with
//! `PROPTEST_CASES=100000 cargo test -p getstream-tasks --lib webhook::props`. The
//! cargo-fuzz targets (`fuzz/`, `scripts/fuzz.sh`) also measure the heap.

use std::io::Write;

use base64::Engine as _;
use proptest::prelude::*;

use super::decode::gunzip;
use super::{
    Parser, WebhookErrorKind as Kind, WebhookEvent, parse, parse_sns, parse_sqs, sign,
    verify_and_parse, verify_signature,
};
use crate::Error;

/// The conformance fixtures' bodies, plain and gzip.
const FIXTURES: &[&[u8]] = &[
    include_bytes!("../../tests/data/webhook/export_channels_success.json"),
    include_bytes!("../../tests/data/webhook/export_channels_success.json.gz"),
    include_bytes!("../../tests/data/webhook/export_users_error.json"),
    include_bytes!("../../tests/data/webhook/export_users_error.json.gz"),
    include_bytes!("../../tests/data/webhook/channel_batch_update_completed.json"),
    include_bytes!("../../tests/data/webhook/channel_batch_update_completed.json.gz"),
    include_bytes!("../../tests/data/webhook/channel_deleted.json"),
    include_bytes!("../../tests/data/webhook/channel_deleted_without_cid.json.gz"),
    include_bytes!("../../tests/data/webhook/user_deleted.json"),
    include_bytes!("../../tests/data/webhook/user_deactivated.json.gz"),
    include_bytes!("../../tests/data/webhook/user_reactivated.json"),
    include_bytes!("../../tests/data/webhook/unknown_type.json.gz"),
    br#"{"Type":"Notification","Message":"{\"type\":\"channel.deleted\",\"cid\":\"messaging:a\"}"}"#,
    br#"{"Type": "SubscriptionConfirmation", "Token": "t"}"#,
    b"H4sIAAAAAAACA32PTYrCQBCFryI=",
];

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn base64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn envelope(message: &str) -> String {
    serde_json::json!({"Type": "Notification", "MessageId": "m", "Message": message}).to_string()
}

/// A fixture changed by a few byte edits (flips, insertions, removals, cuts).
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    let edit = (any::<u8>(), any::<prop::sample::Index>(), 0..4u8);
    (
        prop::sample::select(FIXTURES),
        prop::collection::vec(edit, 0..6),
    )
        .prop_map(|(seed, edits)| {
            let mut bytes = seed.to_vec();
            for (byte, at, kind) in edits {
                if bytes.is_empty() {
                    bytes.push(byte);
                    continue;
                }
                let i = at.index(bytes.len());
                match kind {
                    0 => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    2 => {
                        bytes.remove(i);
                    }
                    _ => bytes.truncate(i),
                }
            }
            bytes
        })
}

/// Bytes a sender could push: mutated fixtures (a gzip one still starts with
/// the magic most of the time), or anything.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => mutated(),
        1 => prop::collection::vec(any::<u8>(), 0..512),
    ]
}

/// An event: a JSON object with a non-empty `type` and a few fields.
fn event_json() -> impl Strategy<Value = Vec<u8>> {
    let value = prop_oneof![
        ".{0,20}".prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<bool>().prop_map(serde_json::Value::from),
    ];
    (
        prop::sample::select(
            &[
                "export.channels.success",
                "user.deleted",
                "channel.deleted",
                "x",
            ][..],
        ),
        prop::collection::btree_map("[a-z_]{1,10}", value, 0..6),
    )
        .prop_map(|(t, fields)| {
            let mut map: serde_json::Map<_, _> = fields.into_iter().collect();
            map.insert("type".into(), t.into());
            serde_json::to_vec(&map).unwrap()
        })
}

/// A secret no error message could contain by chance.
fn secret() -> impl Strategy<Value = String> {
    "sec-[A-Za-z0-9]{12,40}"
}

fn kind(result: &crate::Result<WebhookEvent>) -> Option<Kind> {
    match result {
        Ok(_) => None,
        Err(Error::Webhook(e)) => Some(e.kind()),
        Err(other) => panic!("not a webhook error: {other}"),
    }
}

/// What every outcome promises: a non-empty `type`, readable views; or a
/// webhook error in one line, naming neither the secret nor the signature.
fn check(result: &crate::Result<WebhookEvent>, secrets: &[&str]) -> Result<(), TestCaseError> {
    match result {
        Ok(event) => {
            prop_assert!(!event.event_type().trim().is_empty());
            let _ = (
                event.task_id(),
                event.created_at(),
                format!("{:?}", event.view()),
            );
        }
        Err(e) => {
            prop_assert!(kind(result).is_some());
            let text = e.to_string();
            prop_assert!(!text.contains(['\n', '\r']), "{}", text);
            // (Short strings could be in any message.)
            for secret in secrets.iter().filter(|s| s.chars().count() >= 12) {
                prop_assert!(!text.contains(secret), "{}", text);
            }
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn signatures_round_trip(body in prop::collection::vec(any::<u8>(), 0..256), key in secret(),
                             other in secret(), flip in any::<prop::sample::Index>()) {
        let signature = sign(&body, &key);
        prop_assert_eq!(signature.len(), 64);
        prop_assert!(verify_signature(&body, &signature, &key));
        prop_assert!(verify_signature(&body, &signature.to_uppercase(), &key));
        let padded = format!(" {}\n", signature);
        prop_assert!(verify_signature(&body, &padded, &key));
        prop_assert_eq!(verify_signature(&body, &signature, &other), key == other);
        // One hex digit changed: refused.
        let mut changed = signature.clone().into_bytes();
        let i = flip.index(64);
        changed[i] = if changed[i] == b'0' { b'1' } else { b'0' };
        prop_assert!(!verify_signature(&body, std::str::from_utf8(&changed).unwrap(), &key));
        // Another body: refused.
        let mut longer = body.clone();
        longer.push(b' ');
        prop_assert!(!verify_signature(&longer, &signature, &key));
    }

    #[test]
    fn any_signature_text_is_checked_without_panicking(
        body in payload(), signature in ".{0,80}", key in secret(),
    ) {
        let verified = verify_signature(&body, &signature, &key);
        prop_assert_eq!(verified, signature.trim().eq_ignore_ascii_case(&sign(&body, &key)));
    }

    #[test]
    fn any_bytes_decode_or_fail_cleanly(body in payload(), key in secret(), signature in ".{0,70}") {
        let parsed = parse(&body);
        check(&parsed, &[])?;
        let verified = verify_and_parse(&body, &signature, &key);
        check(&verified, &[&key, &signature])?;
        // A bad signature is the only difference verification makes.
        if kind(&verified) != Some(Kind::InvalidSignature) {
            prop_assert_eq!(kind(&verified), kind(&parsed));
        }
        let text = String::from_utf8_lossy(&body);
        check(&parse_sqs(&text), &[])?;
        check(&parse_sns(&text), &[])?;
    }

    #[test]
    fn a_correctly_signed_event_verifies_plain_or_gzip(
        json in event_json(), key in secret(), compressed in any::<bool>(),
    ) {
        // Stream signs the uncompressed body.
        let signature = sign(&json, &key);
        let body = if compressed { gzip(&json) } else { json.clone() };
        let event = verify_and_parse(&body, &signature, &key).unwrap();
        prop_assert_eq!(&event, &parse(&json).unwrap());
        // The signature of the compressed bytes does not verify.
        if compressed {
            let wrong = sign(&body, &key);
            prop_assert_eq!(kind(&verify_and_parse(&body, &wrong, &key)), Some(Kind::InvalidSignature));
        }
    }

    #[test]
    fn every_delivery_of_an_event_decodes_the_same(json in event_json()) {
        let event = parse(&json).unwrap();
        let text = std::str::from_utf8(&json).unwrap();
        let packed = base64(&gzip(&json));
        prop_assert_eq!(&parse(&gzip(&json)).unwrap(), &event);
        prop_assert_eq!(&parse_sqs(text).unwrap(), &event);
        prop_assert_eq!(&parse_sqs(&packed).unwrap(), &event);
        prop_assert_eq!(&parse_sqs(&base64(&json)).unwrap(), &event);
        prop_assert_eq!(&parse_sns(&envelope(&packed)).unwrap(), &event);
        prop_assert_eq!(&parse_sns(&envelope(text)).unwrap(), &event);
        prop_assert_eq!(&parse_sns(&packed).unwrap(), &event);
        prop_assert_eq!(&parse_sns(text).unwrap(), &event);
    }

    #[test]
    fn gzip_past_the_cap_is_payload_too_large(
        cap in 1usize..64 * 1024, over in 1usize..200_000, byte in any::<u8>(), key in secret(),
    ) {
        // Highly compressible: a small body that inflates past the cap.
        let inflated = vec![byte; cap + over];
        let bomb = gzip(&inflated);
        let parser = Parser::new().max_payload_size(cap);
        let too_large = Some(Kind::PayloadTooLarge);
        prop_assert_eq!(gunzip(&bomb, cap).unwrap_err().kind(), Kind::PayloadTooLarge);
        prop_assert_eq!(kind(&parser.parse(&bomb)), too_large);
        // Refused before the signature is looked at: nothing past the cap is hashed.
        prop_assert_eq!(kind(&parser.verify_and_parse(&bomb, &sign(&inflated, &key), &key)), too_large);
        let packed = base64(&bomb);
        prop_assert_eq!(kind(&parser.parse_sqs(&packed)), too_large);
        prop_assert_eq!(kind(&parser.parse_sns(&envelope(&packed))), too_large);
    }

    #[test]
    fn gzip_within_the_cap_inflates_into_at_most_the_cap(
        data in prop::collection::vec(any::<u8>(), 1..4096), slack in 0usize..4096,
    ) {
        let cap = data.len() + slack;
        let out = gunzip(&gzip(&data), cap).unwrap();
        prop_assert_eq!(&out, &data);
        // The buffer never grew past the cap, whatever the compression ratio.
        prop_assert!(out.capacity() <= cap, "{} > {}", out.capacity(), cap);
    }
}
