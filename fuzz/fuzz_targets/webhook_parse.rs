//! `webhook::Parser::parse`: a webhook body (plain or gzip) → an event. The error kind
//! matches a decode with flate2 read directly; the memory held stays under a bound set by
//! the cap, however far a gzip bomb would inflate. Input: the body.
#![no_main]
use getstream_fuzz::{decode_checked, expected_kind, parser};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let got = decode_checked(data.len(), || parser().parse(data));
    assert_eq!(
        got,
        expected_kind(data),
        "{:?}",
        String::from_utf8_lossy(data)
    );
    // The module's function (default 16 MiB cap) on the same bytes: inputs are at most
    // -max_len, so only a bomb could reach its cap; no single allocation past 64 MiB
    // (the allocator's limit: a JSON tree of 16 MiB of `[0,0,…]` took 256 MiB at once).
    let default = getstream_tasks::webhook::parse(data);
    getstream_fuzz::check_event(&default);
});
