//! Property tests (the stable-toolchain fuzz harness) for the command line's own parsers:
//! `--interval`/`--timeout` durations and `--since`-style times. Any text gives a value or
//! a message, never a panic; what the CLI would print reads back as the same value.
//!
//! CI runs proptest's default 256 cases a property; run longer with
//! `PROPTEST_CASES=200000 cargo test -p getstream-cli --bin getstream parse_props`.

use std::time::{Duration, SystemTime};

use proptest::prelude::*;

use crate::parse::{parse_duration, parse_time};

/// Text the tests and the docs give, plus the parsers' edge cases.
const SEEDS: &[&str] = &[
    "500ms",
    "2s",
    "1m 30s",
    "10m",
    "24h",
    "7days",
    "2026-11-01T10:00:00Z",
    "2026-11-01 10:00:00",
    "2026-11-01T10:00:00.123456789+01:00",
    "584942417355years",
    "18446744073709551615s",
    "soon",
    "yesterday-ish",
    "",
];

/// A seed with a few characters changed, inserted or removed; or any text.
fn text() -> impl Strategy<Value = String> {
    let edit = (any::<char>(), any::<prop::sample::Index>(), 0..3u8);
    prop_oneof![
        3 => (prop::sample::select(SEEDS), prop::collection::vec(edit, 0..4)).prop_map(
            |(seed, edits)| {
                let mut chars: Vec<char> = seed.chars().collect();
                for (c, at, kind) in edits {
                    let i = if chars.is_empty() { 0 } else { at.index(chars.len()) };
                    match kind {
                        0 if !chars.is_empty() => chars[i] = c,
                        1 => chars.insert(i, c),
                        _ if !chars.is_empty() => {
                            chars.remove(i);
                        }
                        _ => {}
                    }
                }
                chars.into_iter().collect()
            }
        ),
        1 => any::<String>(),
        1 => "[0-9]{1,25} ?(ns|us|ms|s|m|h|d|days|w|months|y|years)( [0-9]{1,6}[a-z]{1,3}){0,3}",
    ]
}

proptest! {
    #[test]
    fn any_text_is_a_duration_or_a_message(s in text()) {
        match parse_duration(&s) {
            Ok(d) => prop_assert_eq!(parse_duration(&humantime::format_duration(d).to_string()), Ok(d)),
            Err(message) => prop_assert!(!message.is_empty()),
        }
    }

    #[test]
    fn any_text_is_a_time_or_a_message(s in text()) {
        match parse_time(&s) {
            // Whatever parsed can be shown again (as the CLI shows a --since time).
            Ok(t) => prop_assert!(!humantime::format_rfc3339(t).to_string().is_empty()),
            Err(message) => prop_assert!(!message.is_empty()),
        }
    }

    #[test]
    fn durations_read_back(nanos in any::<u64>(), secs in 0u64..(1 << 40)) {
        let d = Duration::new(secs, (nanos % 1_000_000_000) as u32);
        prop_assert_eq!(parse_duration(&humantime::format_duration(d).to_string()), Ok(d));
    }

    #[test]
    fn rfc3339_times_read_back(secs in 0u64..253_402_300_799, nanos in 0u32..1_000_000_000) {
        let t = SystemTime::UNIX_EPOCH + Duration::new(secs, nanos);
        let text = humantime::format_rfc3339_nanos(t).to_string();
        prop_assert_eq!(parse_time(&text), Ok(t));
    }
}
