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
