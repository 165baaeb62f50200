//! How wide each syscall argument is, as the kernel reads it.
//!
//! seccomp hands the filter all 64 bits of every argument register, but
//! the kernel truncates `int`, `unsigned int`, `pid_t`, `uid_t` (32 bits)
//! and `umode_t` (16 bits) arguments before using them. A rule that
//! compared all 64 bits of an `int` could be bypassed by setting the high
//! bits: `socket((1 << 32) | AF_VSOCK, …)` is `socket(AF_VSOCK, …)` to the
//! kernel but not to a 64-bit `eq`. So rules on 32-bit arguments compare
//! the low 32 bits only, rules on 16-bit ones must be `masked_eq` within
//! 16 bits, and a rule on an argument whose width stockade does not know
//! is refused.
//!
//! The widths come from the kernel's `SYSCALL_DEFINE` signatures
//! (`include/linux/syscalls.h`), which are the same on x86_64 and aarch64.

/// The width of an argument as the kernel reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// `umode_t`: the kernel keeps the low 16 bits.
    Bits16,
    /// `int`, `unsigned int`, `pid_t`, `uid_t`, `gid_t`, `clockid_t`, `key_t`.
    Bits32,
    /// `long`, `unsigned long`, `size_t`, `loff_t`, pointers.
    Bits64,
}

/// Per syscall, one letter per argument: `i` 32-bit integer, `h` 16-bit
/// mode, `w` 64-bit integer, `p` pointer. Only syscalls listed here may
/// have argument rules.
const SIGNATURES: &[(&str, &str)] = &[
    ("accept", "ipp"),
    ("accept4", "ippi"),
    ("bind", "ipi"),
    ("bpf", "ipi"),
    ("chmod", "ph"),
    ("chown", "pii"),
    ("clock_gettime", "ip"),
    ("clock_nanosleep", "iipp"),
    ("clone", "wpppw"),
    ("close", "i"),
    ("connect", "ipi"),
    ("copy_file_range", "ipipwi"),
    ("creat", "ph"),
    ("dup", "i"),
    ("dup2", "ii"),
    ("dup3", "iii"),
    ("epoll_create1", "i"),
    ("eventfd2", "ii"),
    ("execveat", "ipppi"),
    ("exit", "i"),
    ("exit_group", "i"),
    ("faccessat", "ipi"),
    ("faccessat2", "ipii"),
    ("fallocate", "iiww"),
    ("fchmod", "ih"),
    ("fchmodat", "iph"),
    ("fchmodat2", "iphi"),
    ("fchown", "iii"),
    ("fchownat", "ipiii"),
    ("fcntl", "iiw"),
    ("flock", "ii"),
    ("ftruncate", "iw"),
    ("futex", "piippi"),
    ("getpgid", "i"),
    ("getpriority", "ii"),
    ("getrandom", "pwi"),
    ("getrlimit", "ip"),
    ("getsid", "i"),
    ("getsockopt", "iiipp"),
    ("inotify_init1", "i"),
    ("io_uring_setup", "ip"),
    ("ioctl", "iiw"),
    ("ioprio_set", "iii"),
    ("keyctl", "iwwww"),
    ("kill", "ii"),
    ("lchown", "pii"),
    ("linkat", "ipipi"),
    ("listen", "ii"),
    ("lseek", "iwi"),
    ("madvise", "pwi"),
    ("memfd_create", "pi"),
    ("mkdir", "ph"),
    ("mkdirat", "iph"),
    ("mknod", "phi"),
    ("mknodat", "iphi"),
    ("mlock2", "pwi"),
    ("mmap", "pwwwww"),
    ("mount", "pppwp"),
    ("mprotect", "pww"),
    ("msgget", "ii"),
    ("newfstatat", "ippi"),
    ("open", "pih"),
    ("openat", "ipih"),
    ("perf_event_open", "piiiw"),
    ("personality", "i"),
    ("pidfd_getfd", "iii"),
    ("pidfd_open", "ii"),
    ("pidfd_send_signal", "iipi"),
    ("pipe2", "pi"),
    ("pkey_mprotect", "pwwi"),
    ("prctl", "iwwww"),
    ("pread64", "ipww"),
    ("prlimit64", "iipp"),
    ("process_vm_readv", "ipwpww"),
    ("process_vm_writev", "ipwpww"),
    ("ptrace", "wwww"),
    ("pwrite64", "ipww"),
    ("read", "ipw"),
    ("recvfrom", "ipwipp"),
    ("recvmsg", "ipi"),
    ("renameat2", "ipipi"),
    ("rt_sigaction", "ippw"),
    ("rt_sigprocmask", "ippw"),
    ("sched_getaffinity", "iip"),
    ("sched_setaffinity", "iip"),
    ("seccomp", "iip"),
    ("semget", "iii"),
    ("sendmsg", "ipi"),
    ("sendto", "ipwipi"),
    ("setfsgid", "i"),
    ("setfsuid", "i"),
    ("setgid", "i"),
    ("setns", "ii"),
    ("setpgid", "ii"),
    ("setpriority", "iii"),
    ("setregid", "ii"),
    ("setresgid", "iii"),
    ("setresuid", "iii"),
    ("setreuid", "ii"),
    ("setrlimit", "ip"),
    ("setsockopt", "iiipi"),
    ("setuid", "i"),
    ("shmat", "ipi"),
    ("shmctl", "iip"),
    ("shmget", "iwi"),
    ("shutdown", "ii"),
    ("socket", "iii"),
    ("socketpair", "iiip"),
    ("splice", "ipipwi"),
    ("statx", "ipiip"),
    ("symlinkat", "pip"),
    ("sync_file_range", "iwwi"),
    ("tee", "iiwi"),
    ("tgkill", "iii"),
    ("timer_create", "ipp"),
    ("timerfd_create", "ii"),
    ("tkill", "ii"),
    ("umask", "i"),
    ("umount2", "pi"),
    ("unlinkat", "ipi"),
    ("unshare", "w"),
    ("wait4", "ipip"),
    ("waitid", "iipip"),
    ("write", "ipw"),
];

/// The width of argument `arg` of syscall `name`; None when stockade does
/// not know it (the syscall is not listed, or has fewer arguments).
pub fn width(name: &str, arg: u8) -> Option<Width> {
    let sig = SIGNATURES.iter().find(|(n, _)| *n == name)?.1;
    match sig.as_bytes().get(usize::from(arg))? {
        b'h' => Some(Width::Bits16),
        b'i' => Some(Width::Bits32),
        _ => Some(Width::Bits64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_well_formed_and_sorted() {
        for w in SIGNATURES.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
        for (name, sig) in SIGNATURES {
            assert!(sig.len() <= 6, "{name}");
            assert!(sig.bytes().all(|c| b"ihwp".contains(&c)), "{name}: {sig}");
            let known = [super::super::Arch::X86_64, super::super::Arch::Aarch64]
                .iter()
                .any(|a| a.nr(name).is_some());
            assert!(known, "{name} is no syscall");
        }
    }

    #[test]
    fn widths_follow_the_kernel() {
        assert_eq!(width("socket", 0), Some(Width::Bits32));
        assert_eq!(width("ioctl", 1), Some(Width::Bits32));
        assert_eq!(width("ioctl", 2), Some(Width::Bits64));
        assert_eq!(width("openat", 3), Some(Width::Bits16));
        assert_eq!(width("clone", 0), Some(Width::Bits64));
        assert_eq!(width("socket", 3), None);
        assert_eq!(width("no_such_call", 0), None);
    }
}

/// A comparison of one syscall argument, at the width the kernel reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cond {
    /// Argument index, 0..=5.
    pub arg: u8,
    /// Comparison.
    pub op: Op,
    /// Right-hand side.
    pub value: u64,
    /// How many bits of the argument the kernel reads (and the filter
    /// compares).
    pub width: Width,
}

impl Cond {
    /// A condition on argument `arg` of syscall `name`. Refused when it
    /// could be bypassed: an argument whose width stockade does not know,
    /// a value wider than the argument, or anything but `masked_eq` within
    /// 16 bits on a 16-bit mode. A name that is no syscall passes here and
    /// is reported when it is expanded.
    pub fn new(name: &str, arg: u8, op: Op, value: u64) -> Result<Cond, String> {
        use Width;
        let known = super::arch::Arch::native().nr(name).is_some();
        let width = match width(name, arg) {
            Some(w) => w,
            None if !known => Width::Bits64,
            None => {
                return Err(format!(
                    "argument rules on {name} argument {arg} are not supported: stockade does not \
                     know how many bits of it the kernel reads, and a rule on the wrong width \
                     can be bypassed"
                ))
            }
        };
        let limit = match width {
            Width::Bits16 => 0xffff,
            Width::Bits32 => u64::from(u32::MAX),
            Width::Bits64 => u64::MAX,
        };
        if width == Width::Bits16 && !matches!(op, Op::MaskedEq(_)) {
            return Err(format!(
                "{name} argument {arg} is a file mode (16 bits): use masked_eq(MASK), e.g. \
                 masked_eq(0o4000) for set-user-ID"
            ));
        }
        let mask = match op {
            Op::MaskedEq(m) => m,
            _ => 0,
        };
        if value > limit || mask > limit {
            return Err(format!(
                "{name} argument {arg} is {} bits wide; {value:#x} does not fit",
                match width {
                    Width::Bits16 => 16,
                    Width::Bits32 => 32,
                    Width::Bits64 => 64,
                }
            ));
        }
        Ok(Cond {
            arg,
            op,
            value,
            width,
        })
    }
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `(arg & mask) == value`
    MaskedEq(u64),
}

impl Op {
    /// Parses `eq ne lt le gt ge` and `masked_eq(MASK)`.
    pub fn parse(s: &str) -> Result<Op, String> {
        Ok(match s {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "lt" => Op::Lt,
            "le" => Op::Le,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            _ => match s
                .strip_prefix("masked_eq(")
                .and_then(|r| r.strip_suffix(')'))
            {
                Some(m) => Op::MaskedEq(super::consts::parse_value(m)?),
                None => {
                    return Err(format!(
                        "unknown operator '{s}': use eq, ne, lt, le, gt, ge or masked_eq(MASK)"
                    ))
                }
            },
        })
    }
}

impl Cond {
    /// Whether `args` satisfies this condition, at the width the kernel
    /// reads the argument.
    pub fn holds(&self, args: &[u64; 6]) -> bool {
        let mask = match self.width {
            Width::Bits16 => 0xffff,
            Width::Bits32 => u64::from(u32::MAX),
            Width::Bits64 => u64::MAX,
        };
        let a = args.get(usize::from(self.arg)).copied().unwrap_or(0) & mask;
        match self.op {
            Op::Eq => a == self.value,
            Op::Ne => a != self.value,
            Op::Lt => a < self.value,
            Op::Le => a <= self.value,
            Op::Gt => a > self.value,
            Op::Ge => a >= self.value,
            Op::MaskedEq(m) => a & m == self.value,
        }
    }
}
