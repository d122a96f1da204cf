//! `webhook::Parser::parse_sns`: an SNS notification envelope (or its extracted
//! `Message`) → an event; a `Notification` decodes as `parse_sqs` of its `Message`;
//! memory stays under the cap's bound. Input: the notification as text (lossy UTF-8).
#![no_main]
use getstream_fuzz::{decode_checked, kind, parser};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let got = decode_checked(data.len(), || parser().parse_sns(&text));
    // The envelope is decoded whole: refused first when it holds too many values.
    if text.trim().starts_with('{') && getstream_fuzz::too_many_values(text.trim().as_bytes()) {
        assert_eq!(
            got,
            Some(getstream_tasks::webhook::WebhookErrorKind::PayloadTooLarge)
        );
    } else if let Ok(serde_json::Value::Object(envelope)) = serde_json::from_str(text.trim())
        && envelope.get("Type").and_then(|t| t.as_str()) == Some("Notification")
        && let Some(serde_json::Value::String(message)) = envelope.get("Message")
    {
        assert_eq!(got, kind(&parser().parse_sqs(message)));
    }
});
