//! A non-2xx response → `ApiError`. Input: status (2 bytes LE, mod 1000), the
//! `Retry-After` value (a length-prefixed field), now (5 bytes LE), the body (the rest).
#![no_main]
use getstream_fuzz::Fields;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Fields::new(data);
    let status = (input.uint::<2>() % 1000) as u16;
    let retry_after = input.field();
    let now = getstream_tasks::fuzz::now(input.uint::<5>());
    getstream_tasks::fuzz::error_envelope(status, retry_after, input.rest(), now);
});
