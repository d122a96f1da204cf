//! Timestamps as the server sends them: integer or float Unix nanoseconds, numeric
//! strings, RFC 3339; read back after serializing. Input: the JSON (or text) as is.
#![no_main]
// The counting allocator with its single-allocation limit.
use getstream_fuzz as _;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| getstream_tasks::fuzz::timestamp(data));
