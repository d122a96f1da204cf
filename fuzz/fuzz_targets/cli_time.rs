//! The CLI's `--since`-style time parser: any text is a time or a message, and a time
//! shows as RFC 3339 (as the CLI shows it; humantime panics on a time it cannot show).
//! Input: the text (lossy UTF-8).
#![no_main]
// The counting allocator with its single-allocation limit.
use getstream_fuzz as _;
use libfuzzer_sys::fuzz_target;

// The CLI is a binary crate: its parsers live in a std + humantime file, included here.
#[path = "../../crates/getstream-cli/src/parse.rs"]
#[allow(dead_code)]
mod parse;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match parse::parse_time(&text) {
        Ok(t) => {
            let shown = humantime::format_rfc3339_nanos(t).to_string();
            // An RFC 3339 time given reads back as the same instant.
            if humantime::parse_rfc3339_weak(text.trim()).is_ok() {
                assert_eq!(parse::parse_time(&shown), Ok(t), "{shown}");
            }
        }
        Err(message) => assert!(!message.is_empty()),
    }
});
