//! The CLI's `--interval`/`--timeout` parser: any text is a duration or a message, and
//! a duration as humantime prints it reads back the same. Input: the text (lossy UTF-8).
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
    match parse::parse_duration(&text) {
        Ok(d) => {
            let shown = humantime::format_duration(d).to_string();
            assert_eq!(parse::parse_duration(&shown), Ok(d), "{shown}");
        }
        Err(message) => assert!(!message.is_empty()),
    }
});
