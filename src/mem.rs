//! `memcpy`, `memmove`, `memcmp` and `bcmp` for the static x86_64 build.
//!
//! musl's x86_64 `memcpy` starts a `rep movsq` for every call and moves
//! the bytes around it one `movsb` at a time, and its `memcmp` compares a
//! byte per iteration. A start makes some 1,600 copies and 1,400
//! comparisons, most of them under 16 bytes (moves of small values, string
//! keys): memcpy alone took a sixth of the launcher's user time. These copy
//! up to 64 bytes with a pair of overlapping loads of one width, and
//! hand longer ones to `rep movsb`, which the processor runs in whole
//! cache lines (ERMSB); they compare 8 bytes at a time, the last word
//! overlapping the one before.
//!
//! The crate is `no_builtins` (main.rs), so the compiler does not turn
//! these functions' own loads and loops back into calls to themselves.
//! The exported symbols replace libc's in the linked program only where
//! they are compiled in: musl on x86_64. The functions are tested on every
//! x86_64 build against byte-by-byte references.
#![allow(unsafe_code)]

use std::arch::asm;

/// The `T` at `p + off`, wherever it is aligned.
///
/// # Safety
/// `p + off` must be valid for reads of `size_of::<T>()` bytes.
#[inline(always)]
unsafe fn ld<T: Copy>(p: *const u8, off: usize) -> T {
    // SAFETY: the caller's promise.
    unsafe { p.wrapping_add(off).cast::<T>().read_unaligned() }
}

/// Stores `v` at `p + off`, wherever it is aligned.
///
/// # Safety
/// `p + off` must be valid for writes of `size_of::<T>()` bytes.
#[inline(always)]
unsafe fn st<T: Copy>(p: *mut u8, off: usize, v: T) {
    // SAFETY: the caller's promise.
    unsafe { p.wrapping_add(off).cast::<T>().write_unaligned(v) }
}

/// Copies `n` bytes, `size_of::<T>() <= n <= 2 * size_of::<T>()`, as the
/// first and the last `T` (overlapping in the middle), both loaded before
/// either is stored.
///
/// # Safety
/// `s` must be valid for reads and `d` for writes of `n` bytes, and `n`
/// within the bounds above.
#[inline(always)]
unsafe fn ends<T: Copy>(d: *mut u8, s: *const u8, n: usize) {
    let w = std::mem::size_of::<T>();
    // SAFETY: w <= n: the word lies within the n bytes of `s`.
    let a: T = unsafe { ld(s, 0) };
    // SAFETY: as above.
    let b: T = unsafe { ld(s, n - w) };
    // SAFETY: as above, for `d`.
    unsafe { st(d, 0, a) };
    // SAFETY: as above, for `d`.
    unsafe { st(d, n - w, b) };
}

/// Copies `n <= 64` bytes from `s` to `d`, whatever their overlap: every
/// byte is loaded before any is stored.
///
/// # Safety
/// `s` must be valid for reads and `d` for writes of `n` bytes.
#[inline(always)]
unsafe fn copy_small(d: *mut u8, s: *const u8, n: usize) {
    // Each width's bounds hold by the comparisons before it; the
    // buffers are the caller's promise.
    if n >= 32 {
        // SAFETY: 32 <= n <= 64.
        unsafe { ends::<[u128; 2]>(d, s, n) }
    } else if n >= 16 {
        // SAFETY: 16 <= n < 32.
        unsafe { ends::<u128>(d, s, n) }
    } else if n >= 8 {
        // SAFETY: 8 <= n < 16.
        unsafe { ends::<u64>(d, s, n) }
    } else if n >= 4 {
        // SAFETY: 4 <= n < 8.
        unsafe { ends::<u32>(d, s, n) }
    } else if n >= 2 {
        // SAFETY: 2 <= n < 4.
        unsafe { ends::<u16>(d, s, n) }
    } else if n == 1 {
        // SAFETY: n == 1.
        unsafe { ends::<u8>(d, s, n) }
    }
}

/// `rep movsb` forwards: correct for any `d` below `s` or past `s + n`
/// (the instruction's result is that of copying a byte at a time).
///
/// # Safety
/// `s` must be valid for reads and `d` for writes of `n` bytes, and `d`
/// must not lie within `s + 1 .. s + n`.
#[inline(always)]
unsafe fn rep_movsb(d: *mut u8, s: *const u8, n: usize) {
    // SAFETY: the caller's promise; the direction flag is clear, as the
    // ABI has it at every call.
    unsafe {
        asm!(
            "rep movsb",
            inout("rcx") n => _,
            inout("rdi") d => _,
            inout("rsi") s => _,
            options(nostack, preserves_flags)
        );
    }
}

/// `rep movsb` backwards, for `d` within `s + 1 .. s + n`.
///
/// # Safety
/// `s` must be valid for reads and `d` for writes of `n >= 1` bytes.
#[inline(never)]
unsafe fn rep_movsb_back(d: *mut u8, s: *const u8, n: usize) {
    // SAFETY: the caller's promise; the last byte of each is within its
    // range (n >= 1), and the direction flag is set only for this one
    // instruction.
    unsafe {
        asm!(
            "std",
            "rep movsb",
            "cld",
            inout("rcx") n => _,
            inout("rdi") d.wrapping_add(n - 1) => _,
            inout("rsi") s.wrapping_add(n - 1) => _,
            options(nostack)
        );
    }
}

/// `memmove`, and `memcpy` too (for it an overlap never happens, and the
/// check costs a subtraction on copies over 64 bytes only): any overlap.
///
/// # Safety
/// `s` must be valid for reads and `d` for writes of `n` bytes.
#[inline(always)]
pub unsafe fn copy_any(d: *mut u8, s: *const u8, n: usize) {
    if n <= 64 {
        // SAFETY: the caller's promise; copy_small loads before it stores.
        unsafe { copy_small(d, s, n) }
    } else if (d as usize).wrapping_sub(s as usize) >= n {
        // `d` is below `s`, or at or past `s + n`: forwards is correct.
        // SAFETY: the caller's promise, and the check above.
        unsafe { rep_movsb(d, s, n) }
    } else {
        // SAFETY: the caller's promise; n > 64.
        unsafe { rep_movsb_back(d, s, n) }
    }
}

/// `memcmp`: the sign of the first differing byte (as unsigned) of `a`
/// against `b`, 0 when the `n` bytes are equal.
///
/// # Safety
/// `a` and `b` must be valid for reads of `n` bytes.
#[inline(always)]
pub unsafe fn compare(a: *const u8, b: *const u8, n: usize) -> i32 {
    if n >= 8 {
        let mut i = 0;
        loop {
            // SAFETY: i + 8 <= n.
            let x: u64 = unsafe { ld(a, i) };
            // SAFETY: as above.
            let y: u64 = unsafe { ld(b, i) };
            if x != y {
                // Byte-swapped, the first byte in memory is the most
                // significant: the words order as their bytes do.
                return if x.swap_bytes() < y.swap_bytes() {
                    -1
                } else {
                    1
                };
            }
            if i + 8 == n {
                return 0;
            }
            // The last word may overlap the one before, whose bytes are
            // equal: its first difference is still the first.
            i = (i + 8).min(n - 8);
        }
    }
    for i in 0..n {
        // SAFETY: i < n.
        let x: u8 = unsafe { ld(a, i) };
        // SAFETY: as above.
        let y: u8 = unsafe { ld(b, i) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

#[cfg(target_env = "musl")]
mod exported {
    /// libc's `memcpy`.
    ///
    /// # Safety
    /// As `memcpy(3)`.
    #[no_mangle]
    pub unsafe extern "C" fn memcpy(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
        // SAFETY: the caller's promise, as memcpy(3)'s.
        unsafe { super::copy_any(d, s, n) };
        d
    }

    /// libc's `memmove`. Defined here too: musl's `memmove` calls into
    /// the object of its `memcpy`, which would then be linked twice.
    ///
    /// # Safety
    /// As `memmove(3)`.
    #[no_mangle]
    pub unsafe extern "C" fn memmove(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
        // SAFETY: the caller's promise, as memmove(3)'s.
        unsafe { super::copy_any(d, s, n) };
        d
    }

    /// libc's `memcmp`.
    ///
    /// # Safety
    /// As `memcmp(3)`.
    #[no_mangle]
    pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        // SAFETY: the caller's promise, as memcmp(3)'s.
        unsafe { super::compare(a, b, n) }
    }

    /// libc's `bcmp` (what the compiler calls for equality).
    ///
    /// # Safety
    /// As `bcmp(3)`.
    #[no_mangle]
    pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        // SAFETY: the caller's promise, as bcmp(3)'s.
        unsafe { super::compare(a, b, n) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sizes around every threshold, and some long ones.
    fn sizes() -> impl Iterator<Item = usize> {
        (0..=200).chain([255, 256, 257, 1000, 4095, 4096, 4097, 70_000])
    }

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    #[test]
    fn copies_every_size_at_every_alignment_and_nothing_more() {
        for n in sizes() {
            for sa in 0..8 {
                for da in 0..8 {
                    let src = pattern(n + 16, 7);
                    let mut dst = vec![0xa5u8; n + 32];
                    // SAFETY: both buffers hold n bytes past the offsets.
                    unsafe {
                        copy_any(
                            dst.as_mut_ptr().wrapping_add(8 + da),
                            src.as_ptr().wrapping_add(sa),
                            n,
                        )
                    };
                    assert!(dst[..8 + da].iter().all(|&b| b == 0xa5), "before, n={n}");
                    assert_eq!(&dst[8 + da..8 + da + n], &src[sa..sa + n], "n={n}");
                    assert!(dst[8 + da + n..].iter().all(|&b| b == 0xa5), "after, n={n}");
                }
            }
        }
    }

    #[test]
    fn moves_every_size_over_every_overlap_both_ways() {
        for n in sizes().filter(|&n| n <= 4097) {
            for shift in [
                0usize,
                1,
                2,
                3,
                7,
                8,
                9,
                15,
                16,
                17,
                31,
                33,
                63,
                64,
                65,
                n / 2,
                n,
            ] {
                for forward in [true, false] {
                    let mut buf = pattern(2 * n + 80, 3);
                    let (s, d) = if forward {
                        (8, 8 + shift)
                    } else {
                        (8 + shift, 8)
                    };
                    let mut want = buf.clone();
                    want.copy_within(s..s + n, d);
                    let p = buf.as_mut_ptr();
                    // SAFETY: s + n and d + n are within the buffer
                    // (shift <= n, the buffer is 2n + 80 long).
                    unsafe { copy_any(p.wrapping_add(d), p.wrapping_add(s), n) };
                    assert_eq!(buf, want, "n={n} shift={shift} forward={forward}");
                }
            }
        }
    }

    #[test]
    fn compares_as_unsigned_bytes_at_the_first_difference() {
        let reference = |a: &[u8], b: &[u8]| -> i32 {
            match a.iter().zip(b).find(|(x, y)| x != y) {
                Some((x, y)) => i32::from(*x) - i32::from(*y),
                None => 0,
            }
        };
        for n in sizes().filter(|&n| n <= 4097) {
            let a = pattern(n, 1);
            // SAFETY: both hold n bytes.
            assert_eq!(unsafe { compare(a.as_ptr(), a.clone().as_ptr(), n) }, 0);
            for at in [0, 1, 7, 8, 9, n / 2, n.saturating_sub(1)]
                .into_iter()
                .filter(|&i| i < n)
            {
                // A later difference the other way must not count.
                for (x, y) in [(0u8, 0xffu8), (0xff, 0), (0x7f, 0x80), (0x80, 0x7f)] {
                    let mut p = a.clone();
                    let mut q = a.clone();
                    p[at] = x;
                    q[at] = y;
                    if at + 1 < n {
                        p[n - 1] = y;
                        q[n - 1] = x;
                    }
                    // SAFETY: both hold n bytes.
                    let got = unsafe { compare(p.as_ptr(), q.as_ptr(), n) };
                    let want = reference(&p, &q);
                    assert_eq!(got.signum(), want.signum(), "n={n} at={at} {x}/{y}");
                }
            }
        }
    }
}
