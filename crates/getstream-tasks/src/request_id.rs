//! Fresh `x-client-request-id` values: random UUIDs (version 4).
//!
//! They only tell requests apart in logs, so `fastrand` (already used for
//! jitter) is random enough; no OS entropy or `uuid` crate is needed.

/// A random UUID v4, lowercase hex with hyphens (36 characters).
pub(crate) fn new_v4() -> String {
    let mut bits = fastrand::u128(..);
    // Version 4 (random) in bits 76..80, RFC 4122 variant (10) in bits 62..64.
    bits = (bits & !(0xF << 76)) | (0x4 << 76);
    bits = (bits & !(0b11 << 62)) | (0b10 << 62);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_like_a_v4_uuid_and_differs_each_time() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_v4()).collect();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            let groups: Vec<&str> = id.split('-').collect();
            assert_eq!(
                groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12],
                "{id}"
            );
            assert!(
                id.chars()
                    .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            );
            assert!(groups[2].starts_with('4'), "{id}");
            assert!(matches!(&groups[3][..1], "8" | "9" | "a" | "b"), "{id}");
        }
    }
}
