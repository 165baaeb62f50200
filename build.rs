//! Generates the syscall name tables `seccomp::arch` looks names up in:
//! for each architecture stockade compiles filters for, every syscall's
//! name and number, a hash table of their indices (open addressing), so a
//! name costs a hash and a comparison or two instead of the `syscalls`
//! crate's match over every name, for every profile entry at every start,
//! and the index of each number.

use std::fmt::Write as _;

include!("src/fnv.rs");

/// Slots of each table: a power of two above twice the number of
/// syscalls of any architecture, so probes stay short.
const NAME_SLOTS: usize = 1024;

fn table(name: &str, rows: Vec<(&'static str, i32)>) -> String {
    assert!(
        rows.len() * 2 < NAME_SLOTS,
        "more syscalls than the table holds"
    );
    let mut slots = vec![0u16; NAME_SLOTS];
    for (i, (n, _)) in rows.iter().enumerate() {
        let mut s = (fnv1a(n.as_bytes()) % NAME_SLOTS as u64) as usize;
        while slots[s] != 0 {
            s = (s + 1) % NAME_SLOTS;
        }
        slots[s] = u16::try_from(i + 1).unwrap();
    }
    // Names as one string and rows of integers into it: a table of string
    // references would need one relocation each when the program starts.
    let mut text = String::new();
    let mut out = format!("pub(super) static {name}: Names = Names {{\n    names: &[\n");
    let mut by_nr = Vec::new();
    for (i, (n, nr)) in rows.iter().enumerate() {
        let nr = usize::try_from(*nr).expect("syscall numbers are positive");
        let at = u16::try_from(text.len()).expect("names fit in 64 KiB");
        let len = u16::try_from(n.len()).unwrap();
        text.push_str(n);
        writeln!(out, "        ({at}, {len}, {nr}),").unwrap();
        if by_nr.len() <= nr {
            by_nr.resize(nr + 1, 0u16);
        }
        by_nr[nr] = u16::try_from(i + 1).unwrap();
    }
    writeln!(out, "    ],\n    text: {text:?},\n    slots: &[").unwrap();
    for chunk in slots.chunks(16) {
        let line: Vec<String> = chunk.iter().map(u16::to_string).collect();
        writeln!(out, "        {},", line.join(", ")).unwrap();
    }
    out.push_str("    ],\n    by_nr: &[\n");
    for chunk in by_nr.chunks(16) {
        let line: Vec<String> = chunk.iter().map(u16::to_string).collect();
        writeln!(out, "        {},", line.join(", ")).unwrap();
    }
    out.push_str("    ],\n};\n");
    out
}

fn main() {
    // By number up to the last, not the crate's `iter()`, which stops
    // before the last syscall of each table.
    use syscalls::{aarch64, x86_64};
    let x86_64 = (0..=x86_64::Sysno::last().id())
        .filter_map(|n| x86_64::Sysno::new(n as usize))
        .map(|s| (s.name(), s.id()))
        .collect();
    let aarch64 = (0..=aarch64::Sysno::last().id())
        .filter_map(|n| aarch64::Sysno::new(n as usize))
        .map(|s| (s.name(), s.id()))
        .collect();
    let text = table("X86_64", x86_64) + &table("AARCH64", aarch64);
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("syscall_names.rs");
    std::fs::write(out, text).unwrap();
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/fnv.rs");
}
