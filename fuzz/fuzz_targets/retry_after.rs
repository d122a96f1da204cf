//! `Retry-After` (possibly repeated) → a delay. Input: now (5 bytes LE), then up to four
//! values as length-prefixed fields.
#![no_main]
use getstream_fuzz::Fields;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Fields::new(data);
    let now = getstream_tasks::fuzz::now(input.uint::<5>());
    let mut values = Vec::new();
    while values.len() < 4 {
        let value = input.field();
        if value.is_empty() {
            break;
        }
        values.push(value);
    }
    getstream_tasks::fuzz::retry_after(&values, now);
});
