//! Landlock: which files, ports and scopes the payload may use, compiled
//! against the running kernel's ABI.
//!
//! `prepare` is pure: it turns the policy's rules and a kernel ABI into the
//! handled and allowed access masks, and says what had to be dropped for
//! compatibility. The crate `landlock` supplies the access-right tables per
//! ABI; the ruleset itself is built with raw syscalls (`sys`), because path
//! rules are added by the sandbox child after it has entered its view and
//! may not allocate.

use crate::diag::Loc;
use ::landlock::{Access, AccessFs, AccessNet, BitFlags, Scope, ABI};
use std::ffi::CString;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// How to treat access rights the kernel's Landlock ABI cannot enforce.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
#[serde(rename_all = "kebab-case")]
pub enum Compat {
    /// Drop rights newer than the kernel (reported), but fail when the
    /// kernel has no Landlock at all while filesystem rules are declared.
    #[default]
    Default,
    /// Drop whatever the kernel cannot enforce, reporting it.
    BestEffort,
    /// Fail (exit 125) if anything declared cannot be enforced.
    HardRequirement,
}

/// Filesystem rights by their profile names, in kernel bit order.
pub const FS_RIGHTS: &[(&str, AccessFs)] = &[
    ("execute", AccessFs::Execute),
    ("write-file", AccessFs::WriteFile),
    ("read-file", AccessFs::ReadFile),
    ("read-dir", AccessFs::ReadDir),
    ("remove-dir", AccessFs::RemoveDir),
    ("remove-file", AccessFs::RemoveFile),
    ("make-char", AccessFs::MakeChar),
    ("make-dir", AccessFs::MakeDir),
    ("make-reg", AccessFs::MakeReg),
    ("make-sock", AccessFs::MakeSock),
    ("make-fifo", AccessFs::MakeFifo),
    ("make-block", AccessFs::MakeBlock),
    ("make-sym", AccessFs::MakeSym),
    ("refer", AccessFs::Refer),
    ("truncate", AccessFs::Truncate),
    ("ioctl-dev", AccessFs::IoctlDev),
    ("resolve-unix", AccessFs::ResolveUnix),
];

/// `read:` — list directories and read files.
pub fn read_rights() -> BitFlags<AccessFs> {
    AccessFs::ReadFile | AccessFs::ReadDir
}

/// `write:` — create, change, rename and remove files, directories, fifos,
/// sockets and symlinks (not device nodes, not device ioctls).
pub fn write_rights() -> BitFlags<AccessFs> {
    AccessFs::WriteFile
        | AccessFs::RemoveDir
        | AccessFs::RemoveFile
        | AccessFs::MakeDir
        | AccessFs::MakeReg
        | AccessFs::MakeSock
        | AccessFs::MakeFifo
        | AccessFs::MakeSym
        | AccessFs::Refer
        | AccessFs::Truncate
}

/// `execute:` — execute files.
pub fn execute_rights() -> BitFlags<AccessFs> {
    AccessFs::Execute.into()
}

/// Rights that apply to a non-directory file (others are refused by the kernel).
pub fn file_rights() -> u64 {
    (AccessFs::Execute
        | AccessFs::WriteFile
        | AccessFs::ReadFile
        | AccessFs::Truncate
        | AccessFs::IoctlDev)
        .bits()
}

/// Looks up a fine-grained right by name.
pub fn fs_right(name: &str) -> Option<AccessFs> {
    FS_RIGHTS.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}

/// The names of the filesystem rights in `bits`.
pub(crate) fn names(bits: u64) -> Vec<&'static str> {
    FS_RIGHTS
        .iter()
        .filter(|(_, a)| bits & (*a as u64) != 0)
        .map(|(n, _)| *n)
        .collect()
}

/// One filesystem rule of the resolved policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsRule {
    /// Path in the sandbox's view.
    pub path: PathBuf,
    /// `AccessFs` bits allowed beneath it.
    pub access: u64,
    /// Where it was declared.
    pub loc: Loc,
}

/// The resolved `landlock:` section.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LandlockPolicy {
    /// Filesystem rules; when there is at least one, every filesystem right
    /// the kernel knows is handled, so whatever no rule allows is denied.
    pub fs: Vec<FsRule>,
    /// TCP ports the payload may bind, when `net` is declared.
    pub bind_tcp: Option<Vec<u16>>,
    /// TCP ports the payload may connect to, when `net` is declared.
    pub connect_tcp: Option<Vec<u16>>,
    /// `Scope` bits.
    pub scopes: u64,
    /// Compatibility mode.
    pub compat: Compat,
}

/// How a dropped TCP port rule is named in [`LandlockReport::dropped`].
const NETWORK_RULE: &str = "network rule";

/// Every scope a profile can name.
pub const SCOPES: &[(&str, Scope)] = &[
    ("abstract-unix-socket", Scope::AbstractUnixSocket),
    ("signal", Scope::Signal),
];

/// Scopes applied when a profile does not name any.
pub fn default_scopes() -> u64 {
    (Scope::AbstractUnixSocket | Scope::Signal).bits()
}

/// What the running kernel will enforce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LandlockReport {
    /// ABI used (the kernel's, capped at what this build knows).
    pub abi: i32,
    /// Handled filesystem rights.
    pub handled_fs: u64,
    /// Handled network rights.
    pub handled_net: u64,
    /// Scopes.
    pub scoped: u64,
    /// Path rules: view path and allowed rights.
    pub fs_rules: Vec<(CString, u64)>,
    /// Port rules: port and allowed rights.
    pub net_rules: Vec<(u64, u64)>,
    /// Declared controls the kernel cannot enforce, for the report.
    pub dropped: Vec<String>,
}

impl LandlockReport {
    /// Lets the payload connect to Unix sockets beneath `dir` (the
    /// sandbox's own channel socket, which PID 1 binds outside the
    /// payload's Landlock domain). Only where the kernel handles
    /// `resolve-unix` (ABI 9): there, connecting to any socket file no
    /// rule names is denied, the host's included.
    pub fn allow_unix_sockets_beneath(&mut self, dir: &std::path::Path) {
        let right = AccessFs::ResolveUnix as u64;
        if self.handled_fs & right == 0 {
            return;
        }
        if let Ok(c) = CString::new(dir.as_os_str().as_bytes()) {
            add_fs_rule(&mut self.fs_rules, c, right);
        }
    }

    /// Whether a ruleset is needed at all.
    pub fn enforces_anything(&self) -> bool {
        self.handled_fs != 0 || self.handled_net != 0 || self.scoped != 0
    }

    /// The dropped TCP port rules: with them gone, TCP is unrestricted.
    pub fn dropped_network(&self) -> Vec<&str> {
        self.dropped
            .iter()
            .filter(|d| d.starts_with(NETWORK_RULE))
            .map(String::as_str)
            .collect()
    }

    /// "fully enforced", "partially enforced" or "not enforced".
    pub fn status(&self) -> &'static str {
        match (self.enforces_anything(), self.dropped.is_empty()) {
            (false, _) => "not enforced",
            (true, true) => "fully enforced",
            (true, false) => "partially enforced",
        }
    }
}

impl fmt::Display for LandlockReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "landlock ABI {}: {}", self.abi, self.status())?;
        if !self.dropped.is_empty() {
            write!(f, " (dropped: {})", self.dropped.join("; "))?;
        }
        Ok(())
    }
}

/// A declared control the kernel cannot enforce under `hard-requirement`
/// (or any Landlock at all, by default).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("landlock: {what} needs Landlock ABI {needs}, but this kernel provides ABI {has}\n  hint: {hint}")]
pub struct LandlockError {
    /// The control.
    pub what: String,
    /// ABI it needs.
    pub needs: i32,
    /// ABI the kernel has.
    pub has: i32,
    /// How to proceed.
    pub hint: &'static str,
}

const COMPAT_HINT: &str =
    "upgrade the kernel, remove the rule, or set landlock.compatibility: best-effort";

/// Adds the rights `access` on `path`, to the rule already on `path` if
/// there is one: the kernel unites the rules of one inode anyway, and
/// each rule costs the sandbox an open, a stat and a system call at every
/// start (`strict` names /tmp and /dev twice).
fn add_fs_rule(rules: &mut Vec<(CString, u64)>, path: CString, access: u64) {
    match rules.iter_mut().find(|(p, _)| *p == path) {
        Some((_, a)) => *a |= access,
        None => rules.push((path, access)),
    }
}

/// The lowest ABI that supports every filesystem right in `bits`.
fn needed_fs_abi(bits: u64) -> i32 {
    (1..=10)
        .find(|&v| AccessFs::from_all(ABI::from(v)).bits() & bits == bits)
        .unwrap_or(99)
}

/// The Landlock ABI version this kernel offers (0 without Landlock).
pub fn kernel_abi() -> i32 {
    crate::sys::landlock_abi()
}

/// Compiles the policy for a kernel with Landlock ABI `kernel_abi` (0 when
/// Landlock is unavailable).
pub fn prepare(p: &LandlockPolicy, kernel_abi: i32) -> Result<LandlockReport, LandlockError> {
    let abi = ABI::from(kernel_abi);
    let abi_num = abi as i32;
    let mut dropped = Vec::new();
    let mut check = |what: String, needs: i32, implicit: bool| -> Result<(), LandlockError> {
        let fatal = match p.compat {
            Compat::HardRequirement => !implicit,
            Compat::Default => abi_num == 0 && !implicit && what.starts_with("filesystem"),
            Compat::BestEffort => false,
        };
        if fatal {
            return Err(LandlockError {
                what,
                needs,
                has: abi_num,
                hint: COMPAT_HINT,
            });
        }
        dropped.push(format!("{what} (needs ABI {needs})"));
        Ok(())
    };

    let supported_fs = AccessFs::from_all(abi).bits();
    let mut handled_fs = 0;
    let mut fs_rules = Vec::new();
    if !p.fs.is_empty() {
        handled_fs = supported_fs;
        for r in &p.fs {
            let unsupported = r.access & !supported_fs;
            if unsupported != 0 {
                check(
                    format!(
                        "filesystem rights {} on {}",
                        names(unsupported).join(", "),
                        r.path.display()
                    ),
                    needed_fs_abi(r.access),
                    false,
                )?;
            }
            // A rule left with no right would be refused by the kernel.
            if handled_fs != 0 && r.access & supported_fs != 0 {
                // Policy paths are NUL-free (checked when resolving).
                if let Ok(c) = CString::new(r.path.as_os_str().as_bytes()) {
                    add_fs_rule(&mut fs_rules, c, r.access & supported_fs);
                }
            }
        }
    }

    let supported_net = AccessNet::from_all(abi).bits();
    let mut handled_net = 0;
    let mut net_rules = Vec::new();
    for (ports, right, name) in [
        (&p.bind_tcp, AccessNet::BindTcp, "bind"),
        (&p.connect_tcp, AccessNet::ConnectTcp, "connect"),
    ] {
        let Some(ports) = ports else { continue };
        let bit = right as u64;
        if supported_net & bit == 0 {
            check(format!("{NETWORK_RULE} '{name}'"), 4, false)?;
            continue;
        }
        handled_net |= bit;
        net_rules.extend(ports.iter().map(|&port| (u64::from(port), bit)));
    }

    let supported_scopes = Scope::from_all(abi).bits();
    let unsupported = p.scopes & !supported_scopes;
    if unsupported != 0 {
        let implicit = p.scopes == default_scopes();
        check("scopes abstract-unix-socket/signal".into(), 6, implicit)?;
    }
    Ok(LandlockReport {
        abi: abi_num,
        handled_fs,
        handled_net,
        scoped: p.scopes & supported_scopes,
        fs_rules,
        net_rules,
        dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(path: &str, access: BitFlags<AccessFs>) -> FsRule {
        FsRule {
            path: path.into(),
            access: access.bits(),
            loc: Loc::cli(),
        }
    }

    #[test]
    fn full_abi_enforces_everything_declared() {
        let p = LandlockPolicy {
            fs: vec![rule("/usr", read_rights() | execute_rights())],
            bind_tcp: Some(vec![8080]),
            connect_tcp: None,
            scopes: default_scopes(),
            compat: Compat::HardRequirement,
        };
        let r = prepare(&p, 7).unwrap();
        assert_eq!(r.status(), "fully enforced");
        assert_eq!(r.handled_fs, AccessFs::from_all(ABI::V7).bits());
        assert_eq!(r.handled_net, AccessNet::BindTcp as u64);
        assert_eq!(r.net_rules, [(8080, AccessNet::BindTcp as u64)]);
        assert_eq!(r.scoped, default_scopes());
    }

    #[test]
    fn rules_on_one_path_become_one_rule_with_every_right() {
        let p = LandlockPolicy {
            fs: vec![
                rule("/tmp", read_rights()),
                rule("/usr", execute_rights()),
                rule("/tmp", write_rights()),
                rule("/tmp/x", write_rights()),
            ],
            ..LandlockPolicy::default()
        };
        let r = prepare(&p, 7).unwrap();
        let paths: Vec<&[u8]> = r.fs_rules.iter().map(|(c, _)| c.as_bytes()).collect();
        assert_eq!(paths, [&b"/tmp"[..], b"/usr", b"/tmp/x"]);
        assert_eq!(r.fs_rules[0].1, (read_rights() | write_rights()).bits());
        assert_eq!(r.fs_rules[2].1, write_rights().bits());
    }

    #[test]
    fn newer_rights_are_dropped_or_refused() {
        let p = LandlockPolicy {
            fs: vec![rule("/tmp", AccessFs::ResolveUnix | AccessFs::ReadFile)],
            scopes: 0,
            ..Default::default()
        };
        let r = prepare(&p, 7).unwrap();
        assert_eq!(r.status(), "partially enforced");
        assert_eq!(r.fs_rules[0].1, AccessFs::ReadFile as u64);
        let only_new = LandlockPolicy {
            fs: vec![rule("/tmp", AccessFs::ResolveUnix.into())],
            ..Default::default()
        };
        assert!(prepare(&only_new, 7).unwrap().fs_rules.is_empty());
        assert!(r.dropped[0].contains("resolve-unix"), "{:?}", r.dropped);
        let hard = LandlockPolicy {
            compat: Compat::HardRequirement,
            ..p
        };
        let e = prepare(&hard, 7).unwrap_err();
        assert_eq!((e.needs, e.has), (9, 7));
    }

    #[test]
    fn old_kernels() {
        // Scopes are on by default: an old kernel drops them quietly in any mode.
        let p = LandlockPolicy {
            scopes: default_scopes(),
            compat: Compat::HardRequirement,
            ..Default::default()
        };
        let r = prepare(&p, 5).unwrap();
        assert!(!r.enforces_anything());
        // Declared network rules on ABI 3.
        let p = LandlockPolicy {
            connect_tcp: Some(vec![443]),
            compat: Compat::HardRequirement,
            ..Default::default()
        };
        assert_eq!(prepare(&p, 3).unwrap_err().needs, 4);
        // No Landlock at all with filesystem rules: refused unless best-effort.
        let p = LandlockPolicy {
            fs: vec![rule("/usr", read_rights())],
            ..Default::default()
        };
        assert!(prepare(&p, 0).is_err());
        let r = prepare(
            &LandlockPolicy {
                compat: Compat::BestEffort,
                ..p
            },
            0,
        )
        .unwrap();
        assert_eq!(r.status(), "not enforced");
    }

    #[test]
    fn host_unix_sockets_are_out_of_reach_where_the_kernel_can_say_so() {
        // Any filesystem rule makes every right of the ABI handled; no
        // shorthand grants resolve-unix, so on ABI 9 connecting to a
        // socket file outside the sandbox is denied, and the channel
        // socket's directory is the one exception added.
        let p = LandlockPolicy {
            fs: vec![
                rule("/usr", read_rights() | execute_rights()),
                rule("/tmp", read_rights() | write_rights()),
            ],
            ..LandlockPolicy::default()
        };
        let right = AccessFs::ResolveUnix as u64;
        let granted = |r: &LandlockReport| r.fs_rules.iter().filter(|x| x.1 & right != 0).count();
        let mut r9 = prepare(&p, 9).unwrap();
        assert_ne!(r9.handled_fs & right, 0);
        assert_eq!(granted(&r9), 0);
        r9.allow_unix_sockets_beneath(std::path::Path::new("/run/stockade"));
        assert_eq!(granted(&r9), 1);
        assert_eq!(r9.fs_rules.last().unwrap().0.as_bytes(), b"/run/stockade");
        assert_eq!(r9.fs_rules.last().unwrap().1, right);
        // Older kernels have no such right: nothing to grant, nothing dropped.
        let mut r7 = prepare(&p, 7).unwrap();
        let before = r7.fs_rules.len();
        r7.allow_unix_sockets_beneath(std::path::Path::new("/run/stockade"));
        assert_eq!((r7.handled_fs & right, r7.fs_rules.len()), (0, before));
        assert!(r7.dropped.is_empty());
    }

    #[test]
    fn every_abi_gets_exactly_what_it_supports() {
        // One policy asking for everything, prepared for every ABI from
        // "no Landlock" to past the newest: what is handled, what is
        // dropped and what hard-requirement refuses follow the ABI alone.
        let everything = AccessFs::from_all(ABI::V10).bits();
        let all = |compat| LandlockPolicy {
            fs: vec![FsRule {
                path: "/work".into(),
                access: everything,
                loc: Loc::cli(),
            }],
            bind_tcp: Some(vec![8080]),
            connect_tcp: Some(vec![443]),
            scopes: Scope::from_all(ABI::V10).bits(),
            compat,
        };
        for abi in 0..=10 {
            let r = prepare(&all(Compat::BestEffort), abi).unwrap();
            let fs = AccessFs::from_all(ABI::from(abi)).bits();
            assert_eq!(r.abi, abi.min(ABI::V10 as i32), "ABI {abi}");
            assert_eq!(r.handled_fs, fs, "ABI {abi}");
            assert_eq!(r.fs_rules.len(), usize::from(abi >= 1), "ABI {abi}");
            assert_eq!(r.handled_net != 0, abi >= 4, "ABI {abi}");
            assert_eq!(r.net_rules.len(), if abi >= 4 { 2 } else { 0 }, "ABI {abi}");
            assert_eq!(r.scoped != 0, abi >= 6, "ABI {abi}");
            let dropped = r.dropped.join("; ");
            assert_eq!(
                dropped.contains("filesystem rights"),
                fs != everything,
                "ABI {abi}: {dropped}"
            );
            assert_eq!(
                dropped.contains("network rule"),
                abi < 4,
                "ABI {abi}: {dropped}"
            );
            assert_eq!(dropped.contains("scopes"), abi < 6, "ABI {abi}: {dropped}");
            let status = if abi == 0 {
                "not enforced"
            } else if fs == everything {
                "fully enforced"
            } else {
                "partially enforced"
            };
            assert_eq!(r.status(), status, "ABI {abi}");
            // hard-requirement names the first thing this ABI lacks.
            match prepare(&all(Compat::HardRequirement), abi) {
                Ok(r) => assert!(r.dropped.is_empty() && fs == everything, "ABI {abi}"),
                Err(e) => {
                    assert!(fs != everything, "ABI {abi}");
                    assert_eq!(e.has, abi.min(ABI::V10 as i32));
                    assert!(e.needs > abi, "ABI {abi} refused for needing {}", e.needs);
                }
            }
            // The default compatibility refuses only a kernel without Landlock.
            assert_eq!(
                prepare(&all(Compat::Default), abi).is_err(),
                abi == 0,
                "ABI {abi}"
            );
        }
    }

    #[test]
    fn right_names_cover_every_right() {
        let all = AccessFs::from_all(ABI::V10).bits();
        let named = FS_RIGHTS.iter().fold(0, |acc, (_, a)| acc | *a as u64);
        assert_eq!(all, named);
        assert_eq!(fs_right("ioctl-dev"), Some(AccessFs::IoctlDev));
        assert_eq!(fs_right("bogus"), None);
    }
}
