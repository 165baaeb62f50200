//! Generates the syscall name tables `seccomp::arch` looks names up in:
//! for each architecture stockade compiles filters for, every syscall's
//! name and number, and a hash table of their indices (open addressing),
//! so a name costs a hash and a comparison or two instead of the
//! `syscalls` crate's match over every name, for every profile entry at
//! every start.

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
    let mut out = format!("pub(super) static {name}: Names = Names {{\n    names: &[\n");
    for (n, nr) in &rows {
        let nr = u16::try_from(*nr).expect("syscall numbers fit in 16 bits");
        writeln!(out, "        ({n:?}, {nr}),").unwrap();
    }
    out.push_str("    ],\n    slots: &[\n");
    for chunk in slots.chunks(16) {
        let line: Vec<String> = chunk.iter().map(u16::to_string).collect();
        writeln!(out, "        {},", line.join(", ")).unwrap();
    }
    out.push_str("    ],\n};\n");
    out
}

fn main() {
    let x86_64 = syscalls::x86_64::Sysno::iter()
        .map(|s| (s.name(), s.id()))
        .collect();
    let aarch64 = syscalls::aarch64::Sysno::iter()
        .map(|s| (s.name(), s.id()))
        .collect();
    let text = table("X86_64", x86_64) + &table("AARCH64", aarch64);
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("syscall_names.rs");
    std::fs::write(out, text).unwrap();
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/fnv.rs");
}
