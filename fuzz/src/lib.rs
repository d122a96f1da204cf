//! What the fuzz targets share: reading several fields out of one fuzz input,
//! and an allocator that measures the memory a call takes, so a decoder that
//! allocates past its cap is a finding (not only one that crashes).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use getstream_tasks::webhook::{Parser, WebhookErrorKind};

/// The payload cap of the webhook targets: small, so that inputs of
/// `-max_len` (64 KiB, scripts/fuzz.sh) inflate past it.
pub const WEBHOOK_CAP: usize = 16 * 1024;

/// The parser the webhook targets use.
pub fn parser() -> Parser {
    Parser::new().max_payload_size(WEBHOOK_CAP)
}

/// The most memory a webhook decode may hold at once for an input of
/// `input_len` bytes: the cap, the JSON tree read from at most the cap (at
/// most one value per 8 bytes of it, each 32 to ~150 bytes decoded), base64
/// and inflate buffers, and slack for the inflater's state. Independent of
/// how far a gzip bomb would inflate.
pub fn webhook_memory_bound(input_len: usize) -> usize {
    48 * WEBHOOK_CAP + 2 * input_len + 256 * 1024
}

/// Reads a fuzz input as fields: each `field()` is one length byte and that
/// many bytes; `rest()` is what is left. Short inputs give short fields
/// (never a panic), so any byte string is a valid input.
pub struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    /// The fields of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Fields(data)
    }

    /// One length-prefixed field.
    pub fn field(&mut self) -> &'a [u8] {
        let Some((&len, rest)) = self.0.split_first() else {
            return &[];
        };
        let (field, rest) = rest.split_at(usize::from(len).min(rest.len()));
        self.0 = rest;
        field
    }

    /// A little-endian integer of `N` bytes (zero-padded when short).
    pub fn uint<const N: usize>(&mut self) -> u64 {
        let n = N.min(8).min(self.0.len());
        let mut buf = [0u8; 8];
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        u64::from_le_bytes(buf)
    }

    /// Whatever is left.
    pub fn rest(self) -> &'a [u8] {
        self.0
    }
}

/// The kind of a webhook decoding error (`None` when it decoded).
pub fn kind(
    result: &getstream_tasks::Result<getstream_tasks::webhook::WebhookEvent>,
) -> Option<WebhookErrorKind> {
    match result {
        Ok(_) => None,
        Err(getstream_tasks::Error::Webhook(e)) => Some(e.kind()),
        Err(other) => panic!("a webhook decoder returned a non-webhook error: {other}"),
    }
}

/// Checks what every decoded event promises: a non-empty `type`, and the
/// accessors and typed view read without panicking.
pub fn check_event(result: &getstream_tasks::Result<getstream_tasks::webhook::WebhookEvent>) {
    match result {
        Ok(event) => {
            assert!(!event.event_type().is_empty());
            let _ = (event.task_id(), event.created_at(), event.custom());
            let _ = format!("{:?}", event.view());
        }
        Err(e) => {
            let text = e.to_string();
            assert!(!text.is_empty());
        }
    }
}

/// Counts live heap bytes and their peak, for [`peak_memory`].
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only counters move.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Both blocks may be live during the move.
            grew(new_size);
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

/// The largest single allocation a target may make (what libFuzzer's
/// `-malloc_limit_mb` checks, which needs a sanitizer): 64 MiB, four times
/// the default webhook cap. Past it the process aborts, and libFuzzer keeps
/// the input as a crash.
pub const MALLOC_LIMIT: usize = 64 * 1024 * 1024;

fn grew(size: usize) {
    if size > MALLOC_LIMIT {
        // No panic (it would allocate, inside the allocator): abort.
        std::process::abort();
    }
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the most heap memory it held at once
/// beyond what was live before. Targets run one input at a time (libFuzzer
/// without `-fork`/`-jobs`), so the counters see only `f`.
pub fn peak_memory<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let result = f();
    let peak = PEAK.load(Ordering::Relaxed);
    (result, peak.saturating_sub(before))
}

/// What a webhook body should decode to, worked out apart from the SDK's
/// decoder (flate2 read directly, bounded by `take`): the error kind it must
/// give, or `None` for an event.
pub fn expected_kind(body: &[u8]) -> Option<WebhookErrorKind> {
    match reference_payload(body) {
        Err(kind) => Some(kind),
        Ok(json) => expected_json_kind(&json),
    }
}

/// The JSON bytes a body carries (inflated when it starts with the gzip
/// magic), or the error kind the size cap, gzip or emptiness gives.
pub fn reference_payload(body: &[u8]) -> Result<Vec<u8>, WebhookErrorKind> {
    use std::io::Read;
    if body.is_empty() {
        return Err(WebhookErrorKind::EmptyBody);
    }
    if !body.starts_with(&[0x1f, 0x8b]) {
        if body.len() > WEBHOOK_CAP {
            return Err(WebhookErrorKind::PayloadTooLarge);
        }
        return Ok(body.to_vec());
    }
    let mut out = Vec::new();
    let decoder = flate2::read::GzDecoder::new(body);
    match decoder.take(WEBHOOK_CAP as u64 + 1).read_to_end(&mut out) {
        Err(_) => Err(WebhookErrorKind::Gzip),
        Ok(_) if out.len() > WEBHOOK_CAP => Err(WebhookErrorKind::PayloadTooLarge),
        Ok(0) => Err(WebhookErrorKind::EmptyBody),
        Ok(_) => Ok(out),
    }
}

/// Whether JSON bytes hold more values than the cap allows (one per 8 bytes
/// of it, at least 1024; counted as the SDK documents it: `[`, `{`, `,` and
/// `:` outside strings, plus one). The SDK refuses those before decoding.
pub fn too_many_values(json: &[u8]) -> bool {
    let mut values = 1usize;
    let mut rest = json;
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        match b {
            b'"' => {
                // Skip the string: to the first quote not escaped.
                let mut i = 0;
                while i < rest.len() && rest[i] != b'"' {
                    i += if rest[i] == b'\\' { 2 } else { 1 };
                }
                rest = rest.get(i + 1..).unwrap_or(&[]);
            }
            b'[' | b'{' | b',' | b':' => values += 1,
            _ => {}
        }
    }
    values > (WEBHOOK_CAP / 8).max(1024)
}

/// The error kind (or `None`) JSON bytes give as an event.
pub fn expected_json_kind(json: &[u8]) -> Option<WebhookErrorKind> {
    if too_many_values(json) {
        return Some(WebhookErrorKind::PayloadTooLarge);
    }
    match serde_json::from_slice::<serde_json::Value>(json) {
        Err(_) => Some(WebhookErrorKind::InvalidJson),
        Ok(value) => kind(&getstream_tasks::webhook::WebhookEvent::from_value(value)),
    }
}

/// Decodes with `f`, checks the memory it held against
/// [`webhook_memory_bound`] and the event's promises, and returns the kind.
pub fn decode_checked(
    input_len: usize,
    f: impl FnOnce() -> getstream_tasks::Result<getstream_tasks::webhook::WebhookEvent>,
) -> Option<WebhookErrorKind> {
    let (result, peak) = peak_memory(f);
    let bound = webhook_memory_bound(input_len);
    assert!(
        peak <= bound,
        "decoding {input_len} bytes held {peak} bytes at once (bound {bound}): {:?}",
        kind(&result)
    );
    check_event(&result);
    kind(&result)
}
