//! Processes: clone and fork, exec, wait and signal, identity, the
//! namespace's hostname and network, limits.

use super::check::*;
use libc::pid_t;
use std::ffi::CString;
use std::os::fd::AsRawFd;

/// `clone3` with `CLONE_PIDFD`, behaving like fork (no shared memory, no new
/// stack), in `cgroup` when given. Returns `(0, None)` in the child and
/// `(pid, pidfd)` in the parent.
///
/// # Safety
/// The child runs on a copy of the caller's address space with only the
/// calling thread: it may only call async-signal-safe functions until it
/// execs or exits.
pub(crate) unsafe fn clone_pidfd(
    flags: u64,
    cgroup: Option<BorrowedFd<'_>>,
) -> SysResult<(pid_t, Option<OwnedFd>)> {
    // CLONE_INTO_CGROUP (Linux 5.7): the child starts in `cgroup`.
    const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;
    let mut pidfd: c_int = -1;
    let into = cgroup.map_or(0, |_| CLONE_INTO_CGROUP);
    let args = libc::clone_args {
        flags: flags | libc::CLONE_PIDFD as u64 | into,
        pidfd: &mut pidfd as *mut c_int as u64,
        child_tid: 0,
        parent_tid: 0,
        exit_signal: libc::SIGCHLD as u64,
        stack: 0,
        stack_size: 0,
        tls: 0,
        set_tid: 0,
        set_tid_size: 0,
        cgroup: cgroup.map_or(0, |fd| fd.as_raw_fd() as u64),
    };
    // SAFETY: args is a valid clone_args of the size passed; without
    // CLONE_VM and with no stack the child gets a private copy of memory,
    // which the caller's contract makes safe to run on.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const libc::clone_args,
            std::mem::size_of::<libc::clone_args>(),
        )
    };
    let pid = check(rc)? as pid_t;
    if pid == 0 {
        return Ok((0, None));
    }
    Ok((pid, Some(new_fd(pidfd.into())?)))
}

/// sethostname(2).
pub(crate) fn sethostname(name: &CStr) -> SysResult<()> {
    let bytes = name.to_bytes();
    // SAFETY: the pointer and length describe the bytes of `name`.
    check_int(unsafe { libc::sethostname(bytes.as_ptr().cast(), bytes.len()) }).map(drop)
}

// The identity calls below are raw system calls, never glibc's wrappers:
// in a process that glibc believes multi-threaded, setresuid, setresgid
// and setgroups broadcast the change to every thread (__nptl_setxid) and
// wait for threads that do not exist in a cloned child, which then hangs
// on a futex forever. The raw calls change this thread only, which in the
// child is the whole process.

/// setresuid(2) with all three ids equal (raw; this thread only).
pub(crate) fn setresuid(uid: u32) -> SysResult<()> {
    // SAFETY: plain integer arguments.
    check(unsafe { libc::syscall(libc::SYS_setresuid, uid, uid, uid) }).map(drop)
}

/// setresgid(2) with all three ids equal (raw; this thread only).
pub(crate) fn setresgid(gid: u32) -> SysResult<()> {
    // SAFETY: plain integer arguments.
    check(unsafe { libc::syscall(libc::SYS_setresgid, gid, gid, gid) }).map(drop)
}

/// setgroups(2) with an empty list (raw; this thread only).
pub(crate) fn clear_groups() -> SysResult<()> {
    // SAFETY: a zero-length list is not dereferenced.
    check(unsafe { libc::syscall(libc::SYS_setgroups, 0usize, std::ptr::null::<libc::gid_t>()) })
        .map(drop)
}

/// waitpid(2). Returns `(pid, raw status)`; pid 0 with WNOHANG means none.
pub(crate) fn waitpid(pid: pid_t, flags: c_int) -> SysResult<(pid_t, c_int)> {
    let mut status: c_int = 0;
    // SAFETY: status is a valid out-pointer.
    let rc = unsafe { libc::waitpid(pid, &mut status, flags) };
    check_int(rc).map(|p| (p, status))
}

/// kill(2).
pub(crate) fn kill(pid: pid_t, sig: c_int) -> SysResult<()> {
    // SAFETY: plain integer arguments.
    check_int(unsafe { libc::kill(pid, sig) }).map(drop)
}

/// pidfd_send_signal(2).
pub(crate) fn pidfd_kill(pidfd: BorrowedFd<'_>, sig: c_int) -> SysResult<()> {
    // SAFETY: a null siginfo means "as kill(2) would"; flags must be 0.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            sig,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    check(rc).map(drop)
}

/// Reaps the process behind `pidfd`. Returns the raw wait status, or `None`
/// with `nohang` when it has not exited yet.
pub(crate) fn wait_pidfd(pidfd: BorrowedFd<'_>, nohang: bool) -> SysResult<Option<c_int>> {
    // SAFETY: siginfo_t is plain data, filled by the kernel.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let flags = libc::WEXITED | if nohang { libc::WNOHANG } else { 0 };
    loop {
        // SAFETY: info is a valid out-pointer; P_PIDFD takes the fd as id.
        let rc = unsafe {
            libc::waitid(
                libc::P_PIDFD,
                pidfd.as_raw_fd() as libc::id_t,
                &mut info,
                flags,
            )
        };
        match check_int(rc) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(_) => break,
        }
    }
    // SAFETY: after a successful waitid the pid field is valid.
    let pid = unsafe { info.si_pid() };
    // SAFETY: likewise the status field.
    let status = unsafe { info.si_status() };
    if pid == 0 {
        return Ok(None);
    }
    let raw = match info.si_code {
        libc::CLD_EXITED => (status & 0xff) << 8,
        libc::CLD_DUMPED => (status & 0x7f) | 0x80,
        _ => status & 0x7f,
    };
    Ok(Some(raw))
}

/// The strings of an argv or envp, with the null-terminated pointer array
/// execve reads, built together before clone. The fields are private and
/// never change after `new`, so the pointers always point into `strings`.
#[derive(Debug, Default)]
pub(crate) struct ExecStrings {
    strings: Vec<CString>,
    ptrs: Vec<*const c_char>,
}

impl ExecStrings {
    /// Takes the strings and builds the array pointing at them (their
    /// bytes live on the heap, so moving the Vec moves no string).
    pub(crate) fn new(strings: Vec<CString>) -> ExecStrings {
        let ptrs = strings
            .iter()
            .map(|s| s.as_ptr())
            .chain(std::iter::once(std::ptr::null()))
            .collect();
        ExecStrings { strings, ptrs }
    }

    /// The strings, in order.
    pub(crate) fn strings(&self) -> &[CString] {
        &self.strings
    }
}

/// execve(2) of `path` with `argv` and `env`. Returns only on failure.
pub(crate) fn execve(path: &CStr, argv: &ExecStrings, env: &ExecStrings) -> Errno {
    // SAFETY: both arrays were built by ExecStrings::new from the strings
    // they own, end with a null pointer and never change, so they are
    // valid for the duration of the call.
    unsafe { libc::execve(path.as_ptr(), argv.ptrs.as_ptr(), env.ptrs.as_ptr()) };
    Errno::last()
}

/// umask(2). Returns the previous mask.
pub(crate) fn umask(mask: libc::mode_t) -> libc::mode_t {
    // SAFETY: plain integer argument.
    unsafe { libc::umask(mask) }
}

/// _exit(2): ends the process without running any user-space cleanup.
pub(crate) fn exit(code: c_int) -> ! {
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(code) }
}

/// setsid(2).
pub(crate) fn setsid() -> SysResult<()> {
    // SAFETY: no arguments.
    check_int(unsafe { libc::setsid() }).map(drop)
}

/// setpgid(0, 0): this process leads a new process group in its session.
pub(crate) fn new_process_group() -> SysResult<()> {
    // SAFETY: integers only.
    check_int(unsafe { libc::setpgid(0, 0) }).map(drop)
}

/// Moves the calling thread into the network namespace `ns` refers to
/// (setns(2)).
pub(crate) fn join_network(ns: BorrowedFd<'_>) -> SysResult<()> {
    // SAFETY: integer arguments only.
    check_int(unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) }).map(drop)
}

/// Where this process's argument and environment strings live (what
/// `/proc/PID/cmdline` and `/proc/PID/environ` show). Only
/// [`ProcessStrings::of_self`] makes one, so the ranges are always this
/// process's own (or, after a fork, its private copy's).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ProcessStrings {
    args: (usize, usize),
    env: (usize, usize),
}

impl ProcessStrings {
    /// The areas from `/proc/self/stat` (fields 48 to 51, counted after
    /// the command name, which may hold spaces and parentheses).
    pub(crate) fn of_self() -> Option<ProcessStrings> {
        let stat = super::fd::read_proc("/proc/self/stat")?;
        let after = stat.get(stat.rfind(')')? + 2..)?;
        let f: Vec<usize> = after
            .split_whitespace()
            .skip(45)
            .take(4)
            .map(|v| v.parse().ok())
            .collect::<Option<_>>()?;
        match f.as_slice() {
            &[a, b, c, d] if a < b && c <= d => Some(ProcessStrings {
                args: (a, b),
                env: (c, d),
            }),
            _ => None,
        }
    }

    /// Overwrites both areas with `title` and zeros. Rust holds no
    /// reference into them (std reads argv through raw pointers, on
    /// demand), so the only effect on this program is that later
    /// `std::env::args()` or `getenv` calls see the new bytes; the sandbox's
    /// init makes neither.
    pub(crate) fn overwrite(&self, title: &[u8]) {
        // The title goes into the argument area, NUL-terminated within it;
        // everything else becomes zeros.
        for ((start, end), text) in [(self.args, title), (self.env, &[][..])] {
            for p in start..end {
                let i = p - start;
                let b = match text.get(i) {
                    Some(&c) if i + 1 < end - start => c,
                    _ => 0,
                };
                // SAFETY: p lies in this process's argv or environ string
                // area (read from /proc/self/stat by of_self), which is
                // mapped and writable for the process's lifetime.
                unsafe { std::ptr::write_volatile(p as *mut u8, b) };
            }
        }
    }
}

/// setrlimit(2) with soft = hard = `value`, as the prlimit64 system call:
/// musl's setrlimit() signals every thread of the process (the payload
/// calls this after clone, where only one thread exists).
pub(crate) fn setrlimit(resource: c_int, value: u64) -> SysResult<()> {
    let lim = libc::rlimit64 {
        rlim_cur: value,
        rlim_max: value,
    };
    let none: *mut libc::rlimit64 = std::ptr::null_mut();
    // SAFETY: lim is a valid rlimit64 the kernel only reads; pid 0 is the
    // calling process; the resource number was validated when the plan was
    // built (an unknown one fails with EINVAL).
    check(unsafe { libc::syscall(libc::SYS_prlimit64, 0, resource, &lim, none) }).map(drop)
}

/// Whether the process was started with elevated privileges (setuid,
/// setgid or file capabilities): the kernel's AT_SECURE flag.
pub(crate) fn started_privileged() -> bool {
    // SAFETY: getauxval has no preconditions.
    unsafe { libc::getauxval(libc::AT_SECURE) != 0 }
}

/// Whether this kernel runs x32 system calls (x86_64 built with
/// CONFIG_X86_X32_ABI): `getppid` with the x32 bit set answers instead of
/// failing with ENOSYS. Always false elsewhere.
pub(crate) fn x32_syscalls_work() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        const X32_SYSCALL_BIT: c_long = 0x4000_0000;
        // SAFETY: getppid takes no argument and touches no memory, in
        // either ABI.
        check(unsafe { libc::syscall(X32_SYSCALL_BIT | libc::SYS_getppid) }).is_ok()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// A system call with two integer arguments.
///
/// # Safety
/// The call `nr` must touch no memory through its arguments (the warden
/// handshake: a number no kernel implements, which the payload's filter
/// hands to the warden).
pub(crate) unsafe fn syscall2(nr: c_long, args: [u64; 2]) -> SysResult<c_long> {
    // SAFETY: the arguments are integers and, by the caller's contract,
    // no pointers.
    check(unsafe { libc::syscall(nr, args[0], args[1]) })
}
