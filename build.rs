//! Generates the syscall name tables `seccomp::arch` looks names up in:
//! for each architecture stockade compiles filters for, every syscall's
//! name and number, a hash table of their indices (open addressing), so a
//! name costs a hash and a comparison or two instead of the `syscalls`
//! crate's match over every name, for every profile entry at every start,
//! and the index of each number.
//!
//! And links the static launcher's release build with the functions a
//! start runs placed together (see `start_order`).

use std::fmt::Write as _;

include!("src/fnv.rs");

include!("src/seccomp/aliases.rs");

mod group_table {
    include!("src/seccomp/group_table.rs");
}

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

/// Every group of `group_table` flattened into its syscalls on one
/// architecture (`rows` are its syscalls, by name), each with the chain of
/// groups that brought it in, in the order expanding the group by hand
/// gives: a `groups::Members` table. A member that is no syscall of the
/// architecture, or nesting deeper than four groups, fails the build.
fn members(static_name: &str, rows: &[(&'static str, i32)], x86_64: bool) -> String {
    use group_table::GROUPS;
    use std::collections::HashMap;
    let known = |n: &str| {
        let has = |k: &str| rows.iter().any(|(r, _)| *r == k);
        has(n)
            || (!x86_64
                && AARCH64_ALIASES
                    .iter()
                    .any(|&(alias, real)| alias == n && has(real)))
    };
    fn flatten(
        name: &'static str,
        via: &str,
        depth: usize,
        x86_64: bool,
        known: &dyn Fn(&str) -> bool,
        out: &mut Vec<(String, String)>,
    ) {
        let Some(g) = GROUPS.iter().find(|g| g.name == name) else {
            assert!(
                known(name),
                "seccomp group member {name} ({via}) is no syscall"
            );
            out.push((name.to_string(), via.to_string()));
            return;
        };
        assert!(
            depth < 4,
            "group {name} ({via}) is nested deeper than four groups"
        );
        let via = if via.is_empty() {
            name.to_string()
        } else {
            format!("{name} via {via}")
        };
        let legacy = if x86_64 { g.x86_64_only } else { &[] };
        for member in g.common.iter().chain(legacy) {
            flatten(member, &via, depth + 1, x86_64, known, out);
        }
    }
    let mut text = String::new();
    let mut placed: HashMap<String, (u16, u8)> = HashMap::new();
    let mut place = |s: &str| {
        *placed.entry(s.to_string()).or_insert_with(|| {
            let at = u16::try_from(text.len()).expect("the group text fits in 64 KiB");
            text.push_str(s);
            (
                at,
                u8::try_from(s.len()).expect("a name or chain under 256 bytes"),
            )
        })
    };
    let (mut table, mut spans) = (Vec::new(), Vec::new());
    for g in GROUPS {
        let mut out = Vec::new();
        flatten(g.name, "", 0, x86_64, &known, &mut out);
        let start = u16::try_from(table.len()).unwrap();
        for (name, via) in &out {
            let ((at, len), (via_at, via_len)) = (place(name), place(via));
            table.push(format!("({at}, {len}, {via_at}, {via_len})"));
        }
        spans.push(format!(
            "({start}, {})",
            u16::try_from(table.len()).unwrap()
        ));
    }
    let mut out = format!("pub(super) static {static_name}: Members = Members {{\n    text: {text:?},\n    rows: &[\n");
    for chunk in table.chunks(8) {
        writeln!(out, "        {},", chunk.join(", ")).unwrap();
    }
    out.push_str("    ],\n    spans: &[\n");
    for chunk in spans.chunks(8) {
        writeln!(out, "        {},", chunk.join(", ")).unwrap();
    }
    out.push_str("    ],\n};\n");
    out
}

fn main() {
    // By number up to the last, not the crate's `iter()`, which stops
    // before the last syscall of each table.
    use syscalls::{aarch64, x86_64};
    let x86_64: Vec<(&str, i32)> = (0..=x86_64::Sysno::last().id())
        .filter_map(|n| x86_64::Sysno::new(n as usize))
        .map(|s| (s.name(), s.id()))
        .collect();
    let aarch64: Vec<(&str, i32)> = (0..=aarch64::Sysno::last().id())
        .filter_map(|n| aarch64::Sysno::new(n as usize))
        .map(|s| (s.name(), s.id()))
        .collect();
    let members =
        members("X86_64_MEMBERS", &x86_64, true) + &members("AARCH64_MEMBERS", &aarch64, false);
    let text = table("X86_64", x86_64) + &table("AARCH64", aarch64);
    let dir = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(dir.join("syscall_names.rs"), text).unwrap();
    std::fs::write(dir.join("group_members.rs"), members).unwrap();
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/seccomp/group_table.rs");
    println!("cargo::rerun-if-changed=src/seccomp/aliases.rs");
    println!("cargo::rerun-if-changed=src/fnv.rs");
    start_order();
}

/// The kernel maps a program's code 64 KiB at a time around each page it
/// runs (fault-around), and the functions one start runs are spread over
/// most of the launcher's code: a start mapped well over half of it, which
/// it faults in and unmaps again at exit, in the launcher and in PID 1.
/// `benches/start-order.txt` lists those functions (`benches/order.sh`
/// writes it by tracing starts), and lld places them first, together.
/// Only for the static launcher's release build, and only with the lld
/// that Rust toolchains ship (`gcc-ld/ld.lld`); a name the list holds that
/// the build lacks (another compiler or dependency version) is skipped: a
/// stale list costs memory, never correctness.
fn start_order() {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    println!("cargo::rerun-if-changed=benches/start-order.txt");
    if var("PROFILE") != "release" || var("TARGET") != "x86_64-unknown-linux-musl" {
        return;
    }
    let Ok(out) = std::process::Command::new(var("RUSTC"))
        .args(["--print", "sysroot"])
        .output()
    else {
        return;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let gcc_ld = std::path::Path::new(&sysroot)
        .join("lib/rustlib")
        .join(var("HOST"))
        .join("bin/gcc-ld");
    let list = std::path::Path::new(&var("CARGO_MANIFEST_DIR")).join("benches/start-order.txt");
    if !gcc_ld.join("ld.lld").exists() || !list.exists() {
        return;
    }
    let lld = [
        "-fuse-ld=lld".to_string(),
        format!("-B{}", gcc_ld.display()),
    ];
    // The C compiler that links must know `-fuse-ld=lld` (GCC 9 and later,
    // clang): asked to print the linker's version, it names LLD.
    println!("cargo::rerun-if-env-changed=CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER");
    let cc = std::env::var("CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER").unwrap_or("cc".into());
    let speaks_lld = std::process::Command::new(cc)
        .args(&lld)
        .arg("-Wl,--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("LLD"));
    if !speaks_lld {
        return;
    }
    let order = [
        format!("-Wl,--symbol-ordering-file={}", list.display()),
        "-Wl,--no-warn-symbol-ordering".to_string(),
    ];
    for arg in lld.iter().chain(&order) {
        println!("cargo::rustc-link-arg-bins={arg}");
    }
}
