//! `X-Signature`: the hex HMAC-SHA256 of the uncompressed body, keyed with the
//! API secret.

use hmac::{KeyInit, Mac};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

fn mac(secret: &str) -> HmacSha256 {
    // HMAC takes keys of any length; this cannot fail.
    HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length")
}

/// The `X-Signature` Stream sends with `body`: lowercase hex of
/// HMAC-SHA256(`secret`, `body`). `body` is the **uncompressed** payload.
///
/// Useful to sign payloads in your own tests of a webhook handler.
///
/// ```
/// let signature = getstream_tasks::webhook::sign(b"{\"type\":\"user.deleted\"}", "secret");
/// assert_eq!(signature.len(), 64);
/// assert!(getstream_tasks::webhook::verify_signature(b"{\"type\":\"user.deleted\"}", &signature, "secret"));
/// ```
pub fn sign(body: &[u8], secret: &str) -> String {
    let mut mac = mac(secret);
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(64);
    for byte in digest.iter() {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether `signature` (the `X-Signature` header) is the HMAC-SHA256 of `body`
/// under `secret`.
///
/// `body` must be the raw bytes as received — after gunzipping a compressed
/// body, never a re-serialised one: parsing JSON and writing it back changes
/// spacing, key order and escapes, and the signature no longer matches. Hex
/// in either case is accepted, surrounding whitespace is ignored; the
/// comparison takes the same time wherever the first difference is.
///
/// ```
/// use getstream_tasks::webhook;
/// let body = br#"{"type":"export.users.success","task_id":"t1"}"#;
/// let signature = webhook::sign(body, "secret");
/// assert!(webhook::verify_signature(body, &signature, "secret"));
/// assert!(webhook::verify_signature(body, &signature.to_uppercase(), "secret"));
/// assert!(!webhook::verify_signature(body, &signature, "another secret"));
/// assert!(!webhook::verify_signature(b"{ }", &signature, "secret"));
/// ```
pub fn verify_signature(body: &[u8], signature: &str, secret: &str) -> bool {
    let Some(expected) = decode_hex32(signature.trim()) else {
        return false;
    };
    let mut mac = mac(secret);
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected).is_ok()
}

/// 64 hex digits (either case) as 32 bytes; `None` for anything else. Only
/// the length and the alphabet decide early, neither of which depends on the
/// expected value.
fn decode_hex32(hex: &str) -> Option<[u8; 32]> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    let mut valid = true;
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let (hi, lo) = (nibble(pair[0]), nibble(pair[1]));
        valid &= hi.is_some() & lo.is_some();
        out[i] = (hi.unwrap_or(0) << 4) | lo.unwrap_or(0);
    }
    valid.then_some(out)
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            sign(b"what do ya want for nothing?", "Jefe"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn malformed_signatures_do_not_verify() {
        let good = sign(b"x", "k");
        for bad in [
            "",
            "zz",
            &good[..63],
            &format!("{good}0"),
            &good.replace(&good[..1], "g"),
        ] {
            assert!(!verify_signature(b"x", bad, "k"), "{bad:?}");
        }
        assert!(verify_signature(b"x", &format!("  {good}\n"), "k"));
    }
}
