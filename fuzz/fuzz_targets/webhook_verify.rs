//! `webhook::Parser::verify_and_parse`: body, `X-Signature`, secret → an event or
//! `InvalidSignature`. Input: flags (1 byte: bit 0 signs the body correctly, bit 1
//! uppercases that signature), the secret and the signature (length-prefixed fields),
//! the body (the rest).
#![no_main]
use getstream_tasks::webhook::{self, WebhookErrorKind};
use getstream_fuzz::{Fields, decode_checked, expected_json_kind, parser, reference_payload};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Fields::new(data);
    let flags = input.uint::<1>();
    let secret = String::from_utf8_lossy(input.field()).into_owned();
    let mut signature = String::from_utf8_lossy(input.field()).into_owned();
    let body = input.rest();
    let payload = reference_payload(body);
    if flags & 1 == 1 {
        // Stream signs the uncompressed body.
        signature = webhook::sign(payload.as_deref().unwrap_or(body), &secret);
        if flags & 2 == 2 {
            signature = signature.to_uppercase();
        }
    }
    let got = decode_checked(data.len(), || {
        parser().verify_and_parse(body, &signature, &secret)
    });
    let expected = match &payload {
        Err(kind) => Some(*kind),
        Ok(json) if !webhook::verify_signature(json, &signature, &secret) => {
            Some(WebhookErrorKind::InvalidSignature)
        }
        Ok(json) => expected_json_kind(json),
    };
    assert_eq!(got, expected);
    if flags & 1 == 1
        && let Ok(json) = &payload
    {
        assert!(webhook::verify_signature(json, &signature, &secret));
        assert_ne!(got, Some(WebhookErrorKind::InvalidSignature));
    }
});
