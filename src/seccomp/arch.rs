//! The architectures stockade compiles filters for.

use seccompiler::TargetArch;
use std::str::FromStr;

/// An architecture stockade compiles filters for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    /// x86_64 (the filter rejects i386 and x32 entry points).
    X86_64,
    /// aarch64 (the filter rejects arm32 entry points).
    Aarch64,
}

impl Arch {
    /// The architecture this build runs on.
    pub fn native() -> Arch {
        if cfg!(target_arch = "aarch64") {
            Arch::Aarch64
        } else {
            Arch::X86_64
        }
    }

    /// Parses `x86_64` or `aarch64`.
    pub fn from_name(s: &str) -> Option<Arch> {
        match s {
            "x86_64" => Some(Arch::X86_64),
            "aarch64" => Some(Arch::Aarch64),
            _ => None,
        }
    }

    /// The name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    pub(super) fn target(self) -> TargetArch {
        match self {
            Arch::X86_64 => TargetArch::x86_64,
            Arch::Aarch64 => TargetArch::aarch64,
        }
    }

    /// `AUDIT_ARCH_*` value the kernel reports in `seccomp_data.arch`.
    pub fn audit(self) -> u32 {
        match self {
            Arch::X86_64 => 0xc000_003e,
            Arch::Aarch64 => 0xc000_00b7,
        }
    }

    /// The syscall number of `name` (the kernel's name; a few differ from
    /// the syscall table's, e.g. aarch64's `newfstatat`).
    pub fn nr(self, name: &str) -> Option<i64> {
        let name = match (self, name) {
            (Arch::Aarch64, "newfstatat") => "fstatat",
            _ => name,
        };
        match self {
            Arch::X86_64 => syscalls::x86_64::Sysno::from_str(name)
                .ok()
                .map(|s| i64::from(s.id())),
            Arch::Aarch64 => syscalls::aarch64::Sysno::from_str(name)
                .ok()
                .map(|s| i64::from(s.id())),
        }
    }

    /// The name of syscall `nr`.
    pub fn syscall_name(self, nr: i64) -> Option<&'static str> {
        let n = usize::try_from(nr).ok()?;
        match self {
            Arch::X86_64 => syscalls::x86_64::Sysno::new(n).map(|s| s.name()),
            Arch::Aarch64 => syscalls::aarch64::Sysno::new(n).map(|s| s.name()),
        }
    }

    /// Every syscall name of the architecture.
    pub fn all_names(self) -> Vec<&'static str> {
        match self {
            Arch::X86_64 => syscalls::x86_64::Sysno::iter().map(|s| s.name()).collect(),
            Arch::Aarch64 => syscalls::aarch64::Sysno::iter().map(|s| s.name()).collect(),
        }
    }
}
