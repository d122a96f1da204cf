//! Heap bytes in use, counted by a thin wrapper around the system allocator
//! (the allocator itself is unchanged: RSS figures stay those of glibc's
//! malloc). Counting is off until [`start`] (one relaxed load per allocation
//! otherwise), so the other benches' CPU figures are not disturbed.
//!
//! Heap bytes are allocator-independent: what the program asked for, without
//! the allocator's per-block overhead, its arenas or fragmentation, which
//! RSS includes.

// A `GlobalAlloc` is unsafe to implement; every call is forwarded unchanged.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

/// The system allocator, counting bytes in use once [`start`] is called.
pub struct Counting;

static ON: AtomicBool = AtomicBool::new(false);
/// Bytes allocated minus bytes freed since [`start`] (frees of blocks from
/// before it make this go below the true figure: differences are what count).
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn grow(by: isize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ON.load(Ordering::Relaxed) {
            grow(layout.size() as isize);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if ON.load(Ordering::Relaxed) {
            grow(layout.size() as isize);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ON.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ON.load(Ordering::Relaxed) {
            grow(new_size as isize - layout.size() as isize);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Starts counting; the baseline is 0 bytes from here on.
pub fn start() {
    LIVE.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    ON.store(true, Ordering::Relaxed);
}

/// The most heap bytes in use at once since [`start`], beyond what was in use then.
pub fn peak() -> u64 {
    PEAK.load(Ordering::Relaxed).max(0) as u64
}
