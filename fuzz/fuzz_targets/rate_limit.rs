//! `X-RateLimit-Limit`, `-Remaining`, `-Reset` → `RateLimitInfo`. Input: now (5 bytes
//! LE), then the three values as length-prefixed fields.
#![no_main]
use getstream_fuzz::Fields;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Fields::new(data);
    let now = getstream_tasks::fuzz::now(input.uint::<5>());
    let (limit, remaining, reset) = (input.field(), input.field(), input.field());
    getstream_tasks::fuzz::rate_limit(limit, remaining, reset, now);
});
