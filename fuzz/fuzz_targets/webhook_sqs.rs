//! `webhook::Parser::parse_sqs`: an SQS message body (raw JSON, or base64 of gzip or
//! JSON) → an event. Raw JSON decodes as `parse` would; base64 as `parse` of what it
//! decodes to; memory stays under the cap's bound. Input: the message as text (lossy UTF-8).
#![no_main]
use base64::Engine as _;
use getstream_tasks::webhook::WebhookErrorKind;
use getstream_fuzz::{WEBHOOK_CAP, decode_checked, expected_kind, parser};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let got = decode_checked(data.len(), || parser().parse_sqs(&text));
    let trimmed = text.trim();
    if trimmed.is_empty() {
        assert_eq!(got, Some(WebhookErrorKind::EmptyBody));
    } else if trimmed.starts_with('{') {
        assert_eq!(got, expected_kind(trimmed.as_bytes()));
    } else {
        match base64::engine::general_purpose::STANDARD.decode(trimmed) {
            Err(_) => assert!(
                matches!(
                    got,
                    Some(WebhookErrorKind::InvalidBase64 | WebhookErrorKind::PayloadTooLarge)
                ),
                "{got:?}"
            ),
            // Base64 of more than twice the cap is refused before decoding.
            Ok(decoded) if decoded.len() > 2 * WEBHOOK_CAP => {
                assert_eq!(got, Some(WebhookErrorKind::PayloadTooLarge))
            }
            Ok(decoded) => assert_eq!(got, expected_kind(&decoded)),
        }
    }
});
