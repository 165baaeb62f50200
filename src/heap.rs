//! The command's heap: dlmalloc behind a lock of one atomic word.
//!
//! dlmalloc's own global allocator takes a pthread mutex around every
//! call (in musl: a call into libc, an atomic compare-and-swap to lock, an
//! atomic exchange to unlock), and a start allocates and frees some 2,300
//! times before the sandbox runs. Here a lock is one compare-and-swap and
//! an unlock a plain store. The command's threads (the terminal relay,
//! the socket acceptor) rarely allocate at once; a thread that finds the
//! lock taken spins briefly, then yields its CPU to the holder.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, Ordering};

/// The global allocator of the `stockade` binary (musl builds; glibc's
/// malloc serves the others).
pub struct Heap;

static LOCKED: AtomicBool = AtomicBool::new(false);
static DLMALLOC: Shared = Shared(UnsafeCell::new(dlmalloc::Dlmalloc::new()));

/// The heap's state, reached only through a [`Guard`].
struct Shared(UnsafeCell<dlmalloc::Dlmalloc>);

// SAFETY: the state is touched only by the lock's holder (`Guard::heap`).
unsafe impl Sync for Shared {}

/// Holds the lock until dropped.
struct Guard;

impl Guard {
    fn take() -> Guard {
        let mut spins = 0u32;
        while LOCKED
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            spins = spins.saturating_add(1);
            if spins < 100 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        Guard
    }

    /// The heap, which only the lock's holder touches.
    fn heap(&mut self) -> &mut dlmalloc::Dlmalloc {
        // SAFETY: the lock is held while `self` lives, and the reference
        // cannot outlive this borrow of it: no other reference to the heap
        // exists meanwhile.
        unsafe { &mut *DLMALLOC.0.get() }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        LOCKED.store(false, Ordering::Release);
    }
}

// SAFETY: every call runs dlmalloc under the lock, so no two calls touch
// its state at once; dlmalloc returns blocks of the size and alignment
// asked for, or null.
//
// Not inlined: with LTO, dlmalloc's code would be copied into every
// allocation site (+700 KB of text, +300 KiB of peak RSS).
unsafe impl GlobalAlloc for Heap {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut g = Guard::take();
        // SAFETY: the lock is held (`g`); no reference to the heap outlives
        // the call.
        unsafe { g.heap().malloc(layout.size(), layout.align()) }
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let mut g = Guard::take();
        // SAFETY: the lock is held; `ptr` came from this heap with `layout`
        // (GlobalAlloc's contract).
        unsafe { g.heap().free(ptr, layout.size(), layout.align()) }
    }

    #[inline(never)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let mut g = Guard::take();
        // SAFETY: the lock is held.
        unsafe { g.heap().calloc(layout.size(), layout.align()) }
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let mut g = Guard::take();
        // SAFETY: the lock is held; `ptr` came from this heap with `layout`.
        unsafe {
            g.heap()
                .realloc(ptr, layout.size(), layout.align(), new_size)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Threads allocating, filling, checking and freeing at once never
    /// see a block another thread holds: the lock keeps dlmalloc's calls
    /// apart.
    #[test]
    fn threads_allocating_at_once_get_blocks_of_their_own() {
        let threads: Vec<_> = (1..=4u8)
            .map(|id| {
                std::thread::spawn(move || {
                    let mut held: Vec<(*mut u8, Layout)> = Vec::new();
                    for i in 0..20_000usize {
                        let layout =
                            Layout::from_size_align(8 + (i * 7 + usize::from(id)) % 600, 8)
                                .unwrap_or(Layout::new::<u64>());
                        // SAFETY: a non-zero size; the block is this thread's
                        // until freed below.
                        let p = unsafe { Heap.alloc(layout) };
                        assert!(!p.is_null());
                        // SAFETY: `p` holds `layout.size()` bytes.
                        unsafe { p.write_bytes(id, layout.size()) };
                        held.push((p, layout));
                        if held.len() > 64 {
                            let (p, layout) = held.swap_remove(i % held.len());
                            // SAFETY: `p` holds `layout.size()` bytes, all
                            // written above.
                            let bytes = unsafe { std::slice::from_raw_parts(p, layout.size()) };
                            assert!(
                                bytes.iter().all(|b| *b == id),
                                "thread {id}: a block was written by another"
                            );
                            // SAFETY: allocated above with `layout`, freed once.
                            unsafe { Heap.dealloc(p, layout) };
                        }
                    }
                    for (p, layout) in held {
                        // SAFETY: allocated above with `layout`, freed once.
                        unsafe { Heap.dealloc(p, layout) };
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }
}
