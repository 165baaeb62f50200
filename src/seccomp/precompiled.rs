//! The built-in profiles' programs, compiled ahead: a launcher that runs
//! a built-in profile takes its program from here instead of compiling
//! it (a tenth of the launcher's work before the clone).
//!
//! Each program sits next to its *key*: every input of
//! [`super::compile`] (the architecture, the default action, each deny
//! and allow entry with its conditions) written out as bytes. A policy
//! gets a precompiled program only when its own key equals the stored
//! one byte for byte, so a profile with one entry more, a command-line
//! override or a learning run compiles as before.
//!
//! The table is `src/seccomp/precompiled/x86_64.bin`, written from the
//! built-in profiles by a unit test in `plan` (which may resolve them);
//! the test fails while it is stale (`STOCKADE_WRITE_SNAPSHOTS=1 cargo
//! test --lib the_table_holds` rewrites it). Entries are `[key length: u32][key][instructions:
//! u32][instructions, 8 bytes each]`, little-endian. Only x86_64 has a
//! table: the policy a profile resolves to names the syscalls of the
//! machine that resolves it, so a table made on one architecture would
//! never match on another; other builds compile every time.

use super::args::{Cond, Op, Width};
use seccompiler::sock_filter;

/// This architecture's table.
#[cfg(target_arch = "x86_64")]
pub(super) const TABLE: &[u8] = include_bytes!("precompiled/x86_64.bin");
/// This architecture's table (none).
#[cfg(not(target_arch = "x86_64"))]
pub(super) const TABLE: &[u8] = &[];

/// Writes one argument condition into a key.
pub(super) fn put_cond(k: &mut Vec<u8>, c: &Cond) {
    let (op, mask) = match c.op {
        Op::Eq => (1, 0),
        Op::Ne => (2, 0),
        Op::Lt => (3, 0),
        Op::Le => (4, 0),
        Op::Gt => (5, 0),
        Op::Ge => (6, 0),
        Op::MaskedEq(m) => (7, m),
    };
    let width = match c.width {
        Width::Bits16 => 1,
        Width::Bits32 => 2,
        Width::Bits64 => 3,
    };
    k.extend_from_slice(&[c.arg, op, width]);
    k.extend_from_slice(&mask.to_le_bytes());
    k.extend_from_slice(&c.value.to_le_bytes());
}

/// Reads a little-endian u32 at `*at`, moving past it.
fn u32_at(table: &[u8], at: &mut usize) -> Option<usize> {
    let b = table.get(*at..*at + 4)?;
    *at += 4;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// The program stored under `key` in `table`.
pub(super) fn find(table: &[u8], key: &[u8]) -> Option<Vec<sock_filter>> {
    let mut at = 0;
    while at < table.len() {
        let len = u32_at(table, &mut at)?;
        let stored = table.get(at..at + len)?;
        at += len;
        let n = u32_at(table, &mut at)?;
        let code = table.get(at..at + n * 8)?;
        at += n * 8;
        if stored == key {
            return Some(code.chunks_exact(8).map(decode).collect());
        }
    }
    None
}

fn decode(b: &[u8]) -> sock_filter {
    sock_filter {
        code: u16::from_le_bytes([b[0], b[1]]),
        jt: b[2],
        jf: b[3],
        k: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
    }
}

/// Appends one entry to a table.
#[cfg(test)]
pub(super) fn encode(out: &mut Vec<u8>, key: &[u8], prog: &[sock_filter]) {
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&(prog.len() as u32).to_le_bytes());
    for i in prog {
        out.extend_from_slice(&i.code.to_le_bytes());
        out.extend_from_slice(&[i.jt, i.jf]);
        out.extend_from_slice(&i.k.to_le_bytes());
    }
}
