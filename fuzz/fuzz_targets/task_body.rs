//! `GET /api/v2/tasks/{id}`'s body → `Task` (or a `DecodeError`), the typed results.
#![no_main]
// The counting allocator with its single-allocation limit.
use getstream_fuzz as _;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| getstream_tasks::fuzz::task_body(data));
