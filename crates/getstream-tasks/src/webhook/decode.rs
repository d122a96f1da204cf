//! Turning what arrives (a webhook body, an SQS message body, an SNS
//! notification) into the JSON bytes of one event: gunzip with a size cap,
//! base64, the SNS envelope.

use std::borrow::Cow;
#[cfg(feature = "gzip")]
use std::io::Read;

use base64::Engine as _;

use crate::error::{WebhookError, WebhookErrorKind as Kind};

/// The gzip magic: Stream compresses payloads without saying so in a header.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Inflate in pieces of this size, so that the output grows only as far as
/// the data goes.
#[cfg(feature = "gzip")]
const CHUNK: usize = 16 * 1024;

pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

fn too_large(what: &str, limit: usize) -> WebhookError {
    WebhookError::new(
        Kind::PayloadTooLarge,
        format!("{what} is larger than the {limit}-byte cap"),
    )
}

/// `bytes`, inflated when it starts with the gzip magic; at most `limit`
/// bytes either way.
pub(crate) fn maybe_gunzip(bytes: &[u8], limit: usize) -> Result<Cow<'_, [u8]>, WebhookError> {
    if bytes.is_empty() {
        return Err(WebhookError::new(Kind::EmptyBody, "the payload is empty"));
    }
    if !is_gzip(bytes) {
        if bytes.len() > limit {
            return Err(too_large("the payload", limit));
        }
        return Ok(Cow::Borrowed(bytes));
    }
    gunzip(bytes, limit).map(Cow::Owned)
}

/// Without the `gzip` feature a compressed payload cannot be read: the error
/// says which feature to turn on.
#[cfg(not(feature = "gzip"))]
pub(crate) fn gunzip(_bytes: &[u8], _limit: usize) -> Result<Vec<u8>, WebhookError> {
    Err(gzip_unavailable())
}

#[cfg_attr(feature = "gzip", allow(dead_code))]
fn gzip_unavailable() -> WebhookError {
    WebhookError::new(
        Kind::Gzip,
        "the payload is gzip-compressed (the app setting enable_hook_payload_compression is \
         on), and this build of getstream reads gzip only with its `gzip` feature",
    )
}

/// Inflates one gzip member, refusing (before allocating past it) output
/// larger than `limit`: a small "zip bomb" body must not take the process down.
#[cfg(feature = "gzip")]
pub(crate) fn gunzip(bytes: &[u8], limit: usize) -> Result<Vec<u8>, WebhookError> {
    let mut decoder = flate2::read::GzDecoder::new(bytes);
    // A guess for the start; grows by doubling, but never beyond `limit`.
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len().saturating_mul(4).min(limit));
    let mut chunk = [0u8; CHUNK];
    loop {
        let n = match decoder.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(WebhookError::with_source(
                    Kind::Gzip,
                    "the gzip payload does not inflate",
                    e,
                ));
            }
        };
        let needed = out.len() + n;
        if needed > limit {
            return Err(too_large("the inflated payload", limit));
        }
        if needed > out.capacity() {
            let target = out.capacity().saturating_mul(2).clamp(needed, limit);
            out.reserve_exact(target - out.len());
        }
        out.extend_from_slice(&chunk[..n]);
    }
    if out.is_empty() {
        return Err(WebhookError::new(
            Kind::EmptyBody,
            "the gzip payload is empty",
        ));
    }
    Ok(out)
}

/// The most JSON values a payload under `limit` bytes may hold: one per 8
/// bytes of the cap (and at least 1024). A `serde_json::Value` takes 32 bytes
/// and more (an object entry well over 100), so a dense payload at the cap —
/// `[0,0,0,…]`, 2 bytes a value — would take 16 to 30 times the cap once
/// decoded: a 16 KiB gzip body inflating to 16 MiB of it held ~400 MiB.
/// Real events hold one value per 10 bytes or fewer.
pub(crate) fn max_json_values(limit: usize) -> usize {
    (limit / 8).max(1024)
}

/// Refuses JSON with more than [`max_json_values`] values before decoding
/// it, so the decoded tree takes a bounded multiple of the cap. Counts what
/// starts a value or an entry outside strings (`[`, `{`, `,`, `:`): an upper
/// bound on the tree's nodes, in one pass without allocating.
pub(crate) fn check_json_values(json: &[u8], limit: usize) -> Result<(), WebhookError> {
    let max = max_json_values(limit);
    let (mut values, mut in_string, mut escaped) = (1usize, false, false);
    for &b in json {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' | b',' | b':' => {
                values += 1;
                if values > max {
                    return Err(WebhookError::new(
                        Kind::PayloadTooLarge,
                        format!(
                            "the payload holds more than {max} JSON values (one per 8 bytes of \
                             the {limit}-byte cap)"
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// An SQS message body, or an SNS `Message`: raw JSON when compression is
/// off, else base64 (of gzip when compression is on).
pub(crate) fn queue_message(message: &str, limit: usize) -> Result<Cow<'_, [u8]>, WebhookError> {
    let text = message.trim();
    if text.is_empty() {
        return Err(WebhookError::new(Kind::EmptyBody, "the message is empty"));
    }
    // Raw JSON: the base64 alphabet has no `{`.
    if text.starts_with('{') {
        return maybe_gunzip(text.as_bytes(), limit);
    }
    // Base64 is 4 characters for 3 bytes: refuse before decoding what could
    // only be too large.
    if text.len() / 4 * 3 > limit.saturating_add(3).saturating_mul(2) {
        return Err(too_large("the message", limit));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| {
            WebhookError::with_source(
                Kind::InvalidBase64,
                "the message is neither JSON nor base64",
                e,
            )
        })?;
    Ok(Cow::Owned(maybe_gunzip(&decoded, limit)?.into_owned()))
}

/// The `Message` of an SNS notification envelope; the text itself when it is
/// already an extracted message (base64, or a raw event object).
pub(crate) fn sns_message(notification: &str, limit: usize) -> Result<Cow<'_, str>, WebhookError> {
    let text = notification.trim();
    if !text.starts_with('{') {
        return Ok(Cow::Borrowed(text));
    }
    // The envelope is decoded whole: the same bound on its tree.
    check_json_values(text.as_bytes(), limit)?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        WebhookError::with_source(
            Kind::InvalidEnvelope,
            "the SNS notification is not valid JSON",
            e,
        )
    })?;
    let Some(envelope) = value.as_object() else {
        return Err(WebhookError::new(
            Kind::InvalidEnvelope,
            "the SNS notification is not a JSON object",
        ));
    };
    // A raw (uncompressed) event already extracted from its envelope.
    if !envelope.contains_key("Type") && !envelope.contains_key("Message") {
        return Ok(Cow::Borrowed(text));
    }
    match (envelope.get("Type"), envelope.get("Message")) {
        (Some(serde_json::Value::String(t)), Some(serde_json::Value::String(message)))
            if t == "Notification" =>
        {
            Ok(Cow::Owned(message.clone()))
        }
        (Some(serde_json::Value::String(t)), _) if t != "Notification" => Err(WebhookError::new(
            Kind::InvalidEnvelope,
            format!("the SNS message is a {t:?}, not a Notification"),
        )),
        _ => Err(WebhookError::new(
            Kind::InvalidEnvelope,
            "the SNS envelope has no string Type \"Notification\" and Message",
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn without_the_gzip_feature_the_error_names_it() {
        // What a build without `gzip` answers for a compressed payload (this
        // test build has the feature, so the refusal itself is not reachable).
        let e = gzip_unavailable();
        assert_eq!(e.kind(), Kind::Gzip);
        assert!(e.to_string().contains("`gzip` feature"), "{e}");
        assert!(
            e.to_string().contains("enable_hook_payload_compression"),
            "{e}"
        );
    }

    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn gunzip_stops_at_the_cap_without_growing_past_it() {
        let bomb = gzip(&vec![b'a'; 4 * 1024 * 1024]);
        assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
        let error = gunzip(&bomb, 1024 * 1024).unwrap_err();
        assert_eq!(error.kind(), Kind::PayloadTooLarge);
        // Exactly at the cap is fine; the buffer never exceeds it.
        let exact = gunzip(&gzip(&vec![b'b'; 100_000]), 100_000).unwrap();
        assert_eq!(exact.len(), 100_000);
        assert!(exact.capacity() <= 100_000, "{}", exact.capacity());
    }

    #[test]
    fn truncated_and_corrupt_gzip_is_a_gzip_error() {
        let good = gzip(b"{\"type\":\"x\"}");
        let truncated = &good[..good.len() - 6];
        assert_eq!(gunzip(truncated, 1 << 20).unwrap_err().kind(), Kind::Gzip);
        let mut corrupt = good.clone();
        let last = corrupt.len() - 5;
        corrupt[last] ^= 0xff; // the length/CRC trailer
        assert_eq!(gunzip(&corrupt, 1 << 20).unwrap_err().kind(), Kind::Gzip);
    }

    #[test]
    fn dense_json_past_its_value_budget_is_refused_before_decoding() {
        // 16 KiB of gzip inflating to 16 MiB of `[0,0,…]`: within the byte cap,
        // 8 million values (~400 MiB decoded) — found with the fuzz targets'
        // allocation limit.
        let mut dense = b"{\"type\":\"x\",\"a\":[".to_vec();
        while dense.len() < 16 * 1024 * 1024 - 8 {
            dense.extend_from_slice(b"0,");
        }
        dense.extend_from_slice(b"0]}");
        let bomb = gzip(&dense);
        assert!(bomb.len() < 32 * 1024, "{} bytes", bomb.len());
        let parser = crate::webhook::Parser::new();
        let Err(crate::Error::Webhook(e)) = parser.parse(&bomb) else {
            panic!("decoded")
        };
        assert_eq!(e.kind(), Kind::PayloadTooLarge);
        assert!(e.to_string().contains("2097152 JSON values"), "{e}");
        // At the budget: accepted; one value more: refused. Strings hide
        // their commas and colons, escaped quotes included.
        let limit = 8 * 2000;
        let at = format!("[{}0]", "0,".repeat(1998));
        assert!(check_json_values(at.as_bytes(), limit).is_ok());
        let over = format!("[{}0]", "0,".repeat(1999));
        assert!(check_json_values(over.as_bytes(), limit).is_err());
        let text = format!("[\"{}\\\"{}\"]", ",:[{".repeat(5000), ",".repeat(5000));
        assert!(check_json_values(text.as_bytes(), limit).is_ok());
        // Real events are far below it: the largest fixture at a cap of its size.
        let fixture =
            include_bytes!("../../tests/data/webhook/channel_batch_update_completed.json");
        assert!(check_json_values(fixture, fixture.len()).is_ok());
        let cids: Vec<_> = (0..2000)
            .map(
                |i| serde_json::json!({"cid": format!("messaging:c-{i:05}"), "error": "not found"}),
            )
            .collect();
        let batch = serde_json::to_vec(
            &serde_json::json!({"type": "channel_batch_update.completed",
            "failed_channels": cids}),
        )
        .unwrap();
        assert!(
            check_json_values(&batch, batch.len()).is_ok(),
            "{} bytes",
            batch.len()
        );
    }

    #[test]
    fn plain_body_over_the_cap_is_refused() {
        let body = vec![b' '; 11];
        assert_eq!(
            maybe_gunzip(&body, 10).unwrap_err().kind(),
            Kind::PayloadTooLarge
        );
    }
}
