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
//! The table is `src/seccomp/precompiled/x86_64.bin`, written by the
//! unit test below from the built-in profiles; the test fails while it
//! is stale (`STOCKADE_WRITE_SNAPSHOTS=1 cargo test --lib the_table_holds`
//! rewrites it). Entries are `[key length: u32][key][instructions:
//! u32][instructions, 8 bytes each]`, little-endian. Only x86_64 has a
//! table: the policy a profile resolves to names the syscalls of the
//! machine that resolves it, so a table made on one architecture would
//! never match on another; other builds compile every time.

use super::args::{Cond, Op, Width};
use super::{compile, Action, Arch, Entry, Filter, SeccompError, SeccompPolicy};
use seccompiler::sock_filter;

#[cfg(target_arch = "x86_64")]
const TABLE: &[u8] = include_bytes!("precompiled/x86_64.bin");
#[cfg(not(target_arch = "x86_64"))]
const TABLE: &[u8] = &[];

/// Compiles `policy` for `arch` like [`compile`], taking the program from
/// the precompiled table when the table holds this very policy.
pub fn compile_or_reuse(
    policy: Option<&SeccompPolicy>,
    arch: Arch,
) -> Result<Vec<Filter>, SeccompError> {
    if arch == Arch::native() {
        if let Some(prog) = find(TABLE, &key(policy, arch)) {
            return Ok(vec![Filter {
                what: "sandbox",
                prog,
                listener: reports_kills(policy),
            }]);
        }
    }
    compile(policy, arch)
}

/// Whether the program reports kills (as [`compile`] decides it).
fn reports_kills(policy: Option<&SeccompPolicy>) -> bool {
    policy.is_some_and(|p| matches!(p.default_action, Action::KillProcess | Action::KillThread))
}

/// Every input of [`compile`], as bytes.
pub(crate) fn key(policy: Option<&SeccompPolicy>, arch: Arch) -> Vec<u8> {
    let mut k = Vec::with_capacity(8192);
    k.extend_from_slice(b"stockade seccomp 1\0");
    k.push(match arch {
        Arch::X86_64 => 1,
        Arch::Aarch64 => 2,
    });
    let Some(p) = policy else {
        k.push(0);
        return k;
    };
    k.push(1);
    action(&mut k, p.default_action);
    k.extend_from_slice(&(p.deny.len() as u32).to_le_bytes());
    for (e, errno) in &p.deny {
        entry(&mut k, e);
        k.extend_from_slice(&errno.to_le_bytes());
    }
    k.extend_from_slice(&(p.allow.len() as u32).to_le_bytes());
    for e in &p.allow {
        entry(&mut k, e);
    }
    k
}

fn action(k: &mut Vec<u8>, a: Action) {
    let (tag, errno) = match a {
        Action::KillProcess => (1, 0),
        Action::KillThread => (2, 0),
        Action::Trap => (3, 0),
        Action::Log => (4, 0),
        Action::Errno(e) => (5, e),
    };
    k.push(tag);
    k.extend_from_slice(&errno.to_le_bytes());
}

fn entry(k: &mut Vec<u8>, e: &Entry) {
    // Names are NUL-free (syscall names from the tables).
    k.extend_from_slice(e.name.as_bytes());
    k.push(0);
    k.push(e.conds.len() as u8);
    for c in &e.conds {
        cond(k, c);
    }
}

fn cond(k: &mut Vec<u8>, c: &Cond) {
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

/// The program stored under `key`.
fn find(table: &[u8], key: &[u8]) -> Option<Vec<sock_filter>> {
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

/// One table entry.
#[cfg(test)]
fn encode(out: &mut Vec<u8>, key: &[u8], prog: &[sock_filter]) {
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&(prog.len() as u32).to_le_bytes());
    for i in prog {
        out.extend_from_slice(&i.code.to_le_bytes());
        out.extend_from_slice(&[i.jt, i.jf]);
        out.extend_from_slice(&i.k.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::{resolve, Host, Overrides};

    /// The policies the built-in profiles resolve to, as a run of each
    /// resolves it, with no override.
    fn builtin_policies() -> Vec<(&'static str, Option<SeccompPolicy>)> {
        let host = Host::current().unwrap();
        crate::profile::BUILTINS
            .iter()
            .map(|b| {
                let layers = crate::profile::load(b.name).unwrap();
                let policy = resolve(&layers, &Overrides::default(), &host).unwrap();
                (b.name, policy.seccomp)
            })
            .collect()
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_table_holds_what_the_builtin_profiles_compile_to() {
        let mut table = Vec::new();
        for (_, policy) in builtin_policies() {
            let f = compile(policy.as_ref(), Arch::X86_64).unwrap();
            encode(&mut table, &key(policy.as_ref(), Arch::X86_64), &f[0].prog);
        }
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/seccomp/precompiled/x86_64.bin"
        );
        if std::env::var("STOCKADE_WRITE_SNAPSHOTS").as_deref() == Ok("1") {
            std::fs::write(path, &table).unwrap();
            return;
        }
        assert!(
            TABLE == table.as_slice(),
            "src/seccomp/precompiled/x86_64.bin is stale: run \
             STOCKADE_WRITE_SNAPSHOTS=1 cargo test --lib the_table_holds"
        );
    }

    /// What the table gives is what compiling gives, listener included;
    /// a policy one entry away from a built-in's is compiled.
    #[test]
    fn reuse_gives_what_compiling_gives_and_only_for_the_same_policy() {
        let arch = Arch::native();
        let mut reused = 0;
        for (name, policy) in builtin_policies() {
            let want = compile(policy.as_ref(), arch).unwrap();
            let got = compile_or_reuse(policy.as_ref(), arch).unwrap();
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].what, want[0].what);
            assert_eq!(got[0].listener, want[0].listener, "{name}");
            assert!(got[0].prog == want[0].prog, "{name}");
            reused += usize::from(find(TABLE, &key(policy.as_ref(), arch)).is_some());
            let Some(mut other) = policy else { continue };
            other.allow.pop();
            assert!(find(TABLE, &key(Some(&other), arch)).is_none(), "{name}");
            other.default_action = Action::Errno(1);
            assert!(find(TABLE, &key(Some(&other), arch)).is_none(), "{name}");
        }
        if cfg!(target_arch = "x86_64") {
            assert_eq!(reused, crate::profile::BUILTINS.len());
        }
    }

    /// Two policies that compile differently never share a key: every
    /// field of a condition is in it.
    #[test]
    fn a_condition_changed_in_any_field_changes_the_key() {
        let c = Cond::new("socket", 0, Op::Eq, 1).unwrap();
        let base = |c: Cond| SeccompPolicy {
            default_action: Action::KillProcess,
            allow: vec![Entry {
                name: "socket",
                conds: vec![c],
                via: "".into(),
                loc: crate::diag::Loc::cli(),
            }],
            deny: vec![],
        };
        let k = key(Some(&base(c.clone())), Arch::X86_64);
        let changed = [
            Cond {
                arg: 1,
                ..c.clone()
            },
            Cond {
                op: Op::Ne,
                ..c.clone()
            },
            Cond {
                op: Op::MaskedEq(3),
                ..c.clone()
            },
            Cond {
                value: 2,
                ..c.clone()
            },
            Cond {
                width: Width::Bits64,
                ..c.clone()
            },
        ];
        for other in changed {
            assert_ne!(key(Some(&base(other)), Arch::X86_64), k);
        }
        assert_ne!(key(Some(&base(c.clone())), Arch::Aarch64), k);
        assert_ne!(key(None, Arch::X86_64), k);
    }
}
