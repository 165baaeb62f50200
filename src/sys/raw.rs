//! System calls by inline assembly: no libc, no `errno` (the return value
//! carries it), for a thread that shares its TLS with another.

use super::check::SysResult;
use libc::{c_int, c_long, pid_t};
use nix::errno::Errno;
use std::os::fd::RawFd;
use std::sync::atomic::AtomicU32;

/// One system call by number.
///
/// # Safety
/// Every argument the call `nr` reads or writes through must point to a
/// live buffer of the size the kernel expects.
#[cfg(target_arch = "x86_64")]
unsafe fn syscall6(nr: c_long, a: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: a bare `syscall` instruction with the x86_64 calling
    // convention (it clobbers rcx and r11); pointers in `a` are valid by
    // the caller's contract.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") nr as isize => ret,
            in("rdi") a[0],
            in("rsi") a[1],
            in("rdx") a[2],
            in("r10") a[3],
            in("r8") a[4],
            in("r9") a[5],
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack)
        );
    }
    ret
}

/// One system call by number (see the x86_64 version).
///
/// # Safety
/// As for the x86_64 version.
#[cfg(target_arch = "aarch64")]
unsafe fn syscall6(nr: c_long, a: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: a bare `svc 0` with the aarch64 calling convention;
    // pointers in `a` are valid by the caller's contract.
    unsafe {
        std::arch::asm!(
            "svc 0",
            in("x8") nr,
            inlateout("x0") a[0] as isize => ret,
            in("x1") a[1],
            in("x2") a[2],
            in("x3") a[3],
            in("x4") a[4],
            in("x5") a[5],
            options(nostack)
        );
    }
    ret
}

/// clone(2) onto `top`, the end of a stack: the child calls `f(arg)`
/// there and ends with exit(2) when it returns; returns the child's id.
/// No C library's clone() is used: musl's refuses `CLONE_THREAD`, and
/// neither may touch a thread structure the child does not have.
///
/// # Safety
/// `top` must be the 16-byte-aligned end of memory that nothing else uses
/// while the child runs; `flags` must include `CLONE_VM` (the child runs
/// `f` in this memory, with this thread's TLS, so `f` may only make raw
/// system calls and must not unwind).
pub(crate) unsafe fn clone_on(
    flags: usize,
    top: *mut u8,
    f: extern "C" fn(*mut libc::c_void) -> c_int,
    arg: *mut libc::c_void,
) -> SysResult<pid_t> {
    let ret: isize;
    // SAFETY: the kernel copies every register but rax, rcx and r11 into
    // the child and switches it to `top`; the child calls `f` with the
    // aligned stack the ABI expects and never returns here. The parent
    // takes the branch with its own stack untouched. Pointers are valid
    // by the caller's contract.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "mov rdi, r13",
            "call r12",
            "mov edi, eax",
            "mov eax, {exit}",
            "syscall",
            "ud2",
            "2:",
            exit = const libc::SYS_exit,
            inlateout("rax") libc::SYS_clone as isize => ret,
            in("rdi") flags,
            in("rsi") top,
            in("rdx") 0usize,
            in("r10") 0usize,
            in("r8") 0usize,
            in("r12") f,
            in("r13") arg,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack)
        );
    }
    // SAFETY: the kernel copies every register but x0 into the child and
    // switches it to `top` (16-byte aligned); the child calls `f` and
    // never returns here. Pointers are valid by the caller's contract.
    #[cfg(target_arch = "aarch64")]
    unsafe {
        std::arch::asm!(
            "svc 0",
            "cbnz x0, 2f",
            "mov x0, x10",
            "blr x9",
            "mov x8, {exit}",
            "svc 0",
            "brk #0",
            "2:",
            exit = const libc::SYS_exit,
            in("x8") libc::SYS_clone,
            inlateout("x0") flags as isize => ret,
            in("x1") top,
            in("x2") 0usize,
            in("x3") 0usize,
            in("x4") 0usize,
            in("x9") f,
            in("x10") arg,
            lateout("x30") _,
            options(nostack)
        );
    }
    check(ret).map(|pid| pid as pid_t)
}

fn check(ret: isize) -> SysResult<usize> {
    if (-4095..0).contains(&ret) {
        Err(Errno::from_raw(-ret as i32))
    } else {
        Ok(ret as usize)
    }
}

/// A system call with three arguments.
///
/// # Safety
/// As for `syscall6`.
unsafe fn call(nr: c_long, a: usize, b: usize, c: usize) -> SysResult<usize> {
    // SAFETY: the caller's contract.
    check(unsafe { syscall6(nr, [a, b, c, 0, 0, 0]) })
}

/// One seccomp user notification: `(id, syscall nr, audit arch, first
/// two arguments)`.
pub(crate) fn seccomp_notif_recv(fd: RawFd) -> SysResult<(u64, i32, u32, [u64; 2])> {
    let mut n = super::seccomp::SeccompNotif::default();
    let p = &mut n as *mut super::seccomp::SeccompNotif as usize;
    // SAFETY: NOTIF_RECV fills the zeroed seccomp_notif `p` points at,
    // which lives on this stack for the call.
    unsafe {
        call(
            libc::SYS_ioctl,
            fd as usize,
            super::seccomp::SECCOMP_IOCTL_NOTIF_RECV as usize,
            p,
        )
    }?;
    Ok((n.id, n.nr, n.arch, [n.args[0], n.args[1]]))
}

/// Asks the kernel to hand each new notification to the receiver on
/// the notifying thread's CPU at once (Linux 6.6); older kernels
/// refuse the request, which changes nothing but timing.
pub(crate) fn seccomp_notif_sync_wake_up(fd: RawFd) -> SysResult<()> {
    const SECCOMP_IOCTL_NOTIF_SET_FLAGS: usize = 0x4008_2104;
    const SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: usize = 1;
    let flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
    // SAFETY: SET_FLAGS takes its flags as an integer, no pointer.
    unsafe {
        call(
            libc::SYS_ioctl,
            fd as usize,
            SECCOMP_IOCTL_NOTIF_SET_FLAGS,
            flags,
        )
    }
    .map(drop)
}

/// Lets notification `id`'s call return 0 without running it.
pub(crate) fn seccomp_notif_answer(fd: RawFd, id: u64) -> SysResult<()> {
    seccomp_notif_send(fd, id, 0)
}

/// Lets notification `id`'s call run as if no filter had asked
/// (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`, Linux 5.5): learning mode only.
pub(crate) fn seccomp_notif_continue(fd: RawFd, id: u64) -> SysResult<()> {
    seccomp_notif_send(fd, id, 1)
}

fn seccomp_notif_send(fd: RawFd, id: u64, flags: u32) -> SysResult<()> {
    #[repr(C)]
    struct Resp {
        id: u64,
        val: i64,
        error: i32,
        flags: u32,
    }
    const SECCOMP_IOCTL_NOTIF_SEND: usize = 0xc018_2101;
    let r = Resp {
        id,
        val: 0,
        error: 0,
        flags,
    };
    let p = &r as *const Resp as usize;
    // SAFETY: NOTIF_SEND reads the seccomp_notif_resp `p` points at, alive
    // on this stack for the call.
    unsafe { call(libc::SYS_ioctl, fd as usize, SECCOMP_IOCTL_NOTIF_SEND, p) }.map(drop)
}

/// write(2).
pub(crate) fn write(fd: RawFd, buf: &[u8]) -> SysResult<usize> {
    // SAFETY: the pointer and length describe `buf`, only read.
    unsafe {
        call(
            libc::SYS_write,
            fd as usize,
            buf.as_ptr() as usize,
            buf.len(),
        )
    }
}

/// kill(2).
pub(crate) fn kill(pid: pid_t, sig: c_int) -> SysResult<()> {
    // SAFETY: integer arguments only.
    unsafe { call(libc::SYS_kill, pid as usize, sig as usize, 0) }.map(drop)
}

/// ppoll(2) of one descriptor for `POLLIN`, or a sleep without one;
/// returns the events seen.
fn ppoll(fd: Option<RawFd>, ns: i64) -> SysResult<i16> {
    let mut p = libc::pollfd {
        fd: fd.unwrap_or(-1),
        events: libc::POLLIN,
        revents: 0,
    };
    let t = libc::timespec {
        tv_sec: 0,
        tv_nsec: ns as _,
    };
    let fds = if fd.is_some() {
        &mut p as *mut libc::pollfd as usize
    } else {
        0
    };
    let t = &t as *const libc::timespec as usize;
    // SAFETY: `fds` is null or points at the one pollfd `p`, and `t` at a
    // timespec, both alive on this stack for the call; no signal mask.
    check(unsafe { syscall6(libc::SYS_ppoll, [fds, fd.is_some() as usize, t, 0, 8, 0]) })?;
    Ok(p.revents)
}

/// Whether `fd` reports a hang-up now.
pub(crate) fn hung_up(fd: RawFd) -> bool {
    matches!(ppoll(Some(fd), 0), Ok(ev) if ev & libc::POLLHUP != 0)
}

/// Sleeps for `ns` nanoseconds (under a second).
pub(crate) fn nap(ns: i64) {
    let _ = ppoll(None, ns);
}

/// Waits while `word` holds `expected` (futex(2), private: the waker
/// shares this memory). Returns early on a signal or a spurious wake-up:
/// the caller checks the word again.
pub(crate) fn futex_wait(word: &AtomicU32, expected: u32) {
    let op = (libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG) as usize;
    // SAFETY: `word` is a live, aligned u32 the kernel only reads; no
    // timeout (null).
    let _ = unsafe { call(libc::SYS_futex, word.as_ptr() as usize, op, expected as usize) };
}

/// Wakes every waiter on `word` (futex(2), private).
pub(crate) fn futex_wake(word: &AtomicU32) {
    let op = (libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG) as usize;
    // SAFETY: the kernel only uses the address as a key.
    let _ = unsafe { call(libc::SYS_futex, word.as_ptr() as usize, op, i32::MAX as usize) };
}

/// prctl(2) with one integer argument.
fn prctl(option: c_int, arg: usize) -> SysResult<usize> {
    // SAFETY: the options used in this module take one integer argument and
    // read or write no memory.
    unsafe { call(libc::SYS_prctl, option as usize, arg, 0) }
}

/// Drops every capability from the calling thread's bounding set. Each
/// drop copies the thread's credentials, so PID 1 empties the set once
/// (end of step 13); the warden thread and the payload, created after,
/// inherit it empty (credentials are copied at clone, and no call adds to
/// a bounding set). Nothing is read first: a new user namespace starts
/// with the full set (every capability up to `last_cap` is held), and
/// dropping one already gone succeeds as well.
pub(crate) fn empty_bounding_set(last_cap: u32) -> SysResult<()> {
    for cap in 0..=last_cap {
        match prctl(libc::PR_CAPBSET_DROP, cap as usize) {
            Ok(_) | Err(Errno::EINVAL) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Drops every capability of a thread whose bounding set is already
/// empty (see `empty_bounding_set`): locks `securebits`, then empties the
/// effective, permitted and inheritable sets (ambient ones follow), and
/// sets no_new_privs.
pub(crate) fn drop_privileges(securebits: u32) -> SysResult<()> {
    prctl(libc::PR_SET_SECUREBITS, securebits as usize)?;
    let (hdr, data) = super::caps::cleared_caps();
    let (h, d) = (
        &hdr as *const super::caps::CapHeader as usize,
        data.as_ptr() as usize,
    );
    // SAFETY: `h` and `d` point at the v3 header and two data elements
    // capset reads, alive on this stack for the call.
    unsafe { call(libc::SYS_capset, h, d, 0) }?;
    prctl(libc::PR_SET_NO_NEW_PRIVS, 1).map(drop)
}

/// Sets every signal's disposition in the calling thread group to the
/// default (`rt_sigaction(2)`; SIGKILL and SIGSTOP, which have no other,
/// are refused and skipped). A process forked after this inherits the
/// defaults, and its exec keeps them: "ignore" would survive an exec.
pub(crate) fn default_signal_dispositions() {
    // The kernel's `struct sigaction` with SIG_DFL (0), no flags, no
    // restorer and an empty mask is all zeros, on every architecture.
    let act = [0u64; 4];
    for sig in 1..=64usize {
        // SAFETY: `act` is a zeroed kernel sigaction alive for the call,
        // only read; no old action is written (null); sigsetsize 8.
        let _ = check(unsafe {
            syscall6(
                libc::SYS_rt_sigaction,
                [sig, act.as_ptr() as usize, 0, 8, 0, 0],
            )
        });
    }
}

/// Moves the calling thread into a new network namespace, brings its
/// loopback interface up if `loopback_up` and returns a descriptor of the
/// namespace (`SIOCGSKNS`, Linux 4.9), for another thread's `setns`. The
/// descriptor is close-on-exec.
pub(crate) fn new_network(loopback_up: bool) -> SysResult<RawFd> {
    const SIOCGSKNS: usize = 0x894c;
    // SAFETY: integer argument only.
    unsafe { call(libc::SYS_unshare, libc::CLONE_NEWNET as usize, 0, 0) }?;
    // Both requests are the socket layer's, not the family's: a Unix
    // socket, the cheapest to make, serves.
    let family = libc::AF_UNIX as usize;
    let kind = (libc::SOCK_DGRAM | libc::SOCK_CLOEXEC) as usize;
    // SAFETY: integer arguments only.
    let sock = unsafe { call(libc::SYS_socket, family, kind, 0) }?;
    let up = if loopback_up {
        // SAFETY: ifreq is plain data; zeroed is a valid value.
        let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
        for (d, s) in req.ifr_name.iter_mut().zip(b"lo\0") {
            *d = *s as libc::c_char;
        }
        req.ifr_ifru.ifru_flags = (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        let p = &req as *const libc::ifreq as usize;
        // SAFETY: SIOCSIFFLAGS reads the ifreq naming "lo" `p` points at,
        // alive on this stack for the call.
        unsafe { call(libc::SYS_ioctl, sock, libc::SIOCSIFFLAGS as usize, p) }.map(drop)
    } else {
        Ok(())
    };
    // SAFETY: SIOCGSKNS takes no argument.
    let ns = up.and_then(|()| unsafe { call(libc::SYS_ioctl, sock, SIOCGSKNS, 0) });
    // SAFETY: `sock` is the socket made above, used by no one else.
    let _ = unsafe { call(libc::SYS_close, sock, 0, 0) };
    ns.map(|fd| fd as RawFd)
}

/// Writes `value` to the existing file `path` (a sysctl) in one write.
pub(crate) fn write_file(path: &std::ffi::CStr, value: &[u8]) -> SysResult<()> {
    let flags = libc::O_WRONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW;
    let (p, at) = (path.as_ptr() as usize, libc::AT_FDCWD as usize);
    // SAFETY: `path` is NUL-terminated and outlives the call.
    let fd = unsafe { call(libc::SYS_openat, at, p, flags as usize) }? as RawFd;
    let written = write(fd, value);
    // SAFETY: `fd` was opened above and is used by no one else.
    let _ = unsafe { call(libc::SYS_close, fd as usize, 0, 0) };
    match written? {
        n if n == value.len() => Ok(()),
        _ => Err(Errno::EIO),
    }
}

/// umount2(2) without touching `errno`, for a raw thread.
pub(crate) fn umount2(target: &std::ffi::CStr, flags: c_int) -> SysResult<()> {
    let t = target.as_ptr() as usize;
    // SAFETY: `target` is NUL-terminated and outlives the call.
    unsafe { call(libc::SYS_umount2, t, flags as usize, 0) }.map(drop)
}

/// Sets the calling thread's timer slack (PR_SET_TIMERSLACK): how late
/// the kernel may end its sleeps, 50 µs by default.
pub(crate) fn set_timer_slack(ns: usize) -> SysResult<()> {
    prctl(libc::PR_SET_TIMERSLACK, ns).map(drop)
}

/// Ends the calling thread only (exit(2), not exit_group).
pub(crate) fn exit_thread() -> ! {
    loop {
        // SAFETY: exit(2) takes an integer status and does not return.
        unsafe { syscall6(libc::SYS_exit, [0; 6]) };
    }
}
