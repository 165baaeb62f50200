//! Signals and the clock: masks, sigtimedwait, dispositions.

use super::check::*;

/// A signal set, built without allocation.
#[derive(Clone, Copy)]
pub(crate) struct SigSet(libc::sigset_t);

impl std::fmt::Debug for SigSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigSet")
    }
}

impl SigSet {
    /// The set of the given signals.
    pub(crate) fn of(signals: &[c_int]) -> SigSet {
        // SAFETY: sigset_t is plain data; sigemptyset initializes it.
        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: set is a valid sigset_t.
        unsafe { libc::sigemptyset(&mut set) };
        for &s in signals {
            // SAFETY: set is a valid, initialized sigset_t.
            unsafe { libc::sigaddset(&mut set, s) };
        }
        SigSet(set)
    }
}

/// sigprocmask(2) on the calling thread.
pub(crate) fn sigmask(how: c_int, set: &SigSet) -> SysResult<()> {
    // SAFETY: set points to an initialized sigset_t; the old set is not read.
    match unsafe { libc::pthread_sigmask(how, &set.0, std::ptr::null_mut()) } {
        0 => Ok(()),
        // pthread_sigmask returns the error number instead of setting errno.
        e => Err(Errno::from_raw(e)),
    }
}

/// sigtimedwait(2): the next pending signal of `set` and its `si_code`
/// (which says who sent it), waiting at most `wait` (forever with None);
/// None when the time ran out.
pub(crate) fn sigtimedwait(
    set: &SigSet,
    wait: Option<std::time::Duration>,
) -> SysResult<Option<(c_int, c_int)>> {
    // SAFETY: siginfo_t is plain data; zeroed is valid.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let t = wait.map(|w| libc::timespec {
        tv_sec: w.as_secs().min(i64::MAX as u64) as _,
        tv_nsec: w.subsec_nanos() as libc::c_long,
    });
    let tp = t
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: set is initialized; info is a valid siginfo_t to fill; tp is
    // null (no limit) or points at `t`, alive for the call.
    match check_int(unsafe { libc::sigtimedwait(&set.0, &mut info, tp) }) {
        Ok(sig) => Ok(Some((sig, info.si_code))),
        Err(Errno::EAGAIN) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Resets `sig` to its default disposition.
pub(crate) fn signal_default(sig: c_int) -> SysResult<()> {
    // SAFETY: SIG_DFL is a valid disposition for every catchable signal.
    let rc = unsafe { libc::signal(sig, libc::SIG_DFL) };
    if rc == libc::SIG_ERR {
        Err(Errno::last())
    } else {
        Ok(())
    }
}

/// CLOCK_MONOTONIC, as a duration since an arbitrary start.
pub(crate) fn monotonic_now() -> std::time::Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: t is a valid timespec to fill; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
    std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Blocks every signal in the calling thread, including the two glibc
/// reserves, and returns the previous mask. Threads inherit the mask.
pub(crate) fn block_all_signals() -> SysResult<[u64; 1]> {
    let all = [u64::MAX; 1];
    let mut old = [0u64; 1];
    // SAFETY: both sets are 8-byte buffers, the kernel's sigset size.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            all.as_ptr(),
            old.as_mut_ptr(),
            8usize,
        )
    };
    check(rc).map(|_| old)
}

/// Restores a mask returned by [`block_all_signals`].
pub(crate) fn set_signal_mask(mask: &[u64; 1]) -> SysResult<()> {
    // SAFETY: `mask` is an 8-byte set, only read.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            mask.as_ptr(),
            std::ptr::null_mut::<u64>(),
            8usize,
        )
    };
    check(rc).map(drop)
}

/// Sends `sig` to the calling thread only (tgkill), so that the thread that
/// unblocks it is the one it is delivered to.
pub(crate) fn signal_this_thread(sig: c_int) -> SysResult<()> {
    let (pid, tid) = (std::process::id() as libc::pid_t, nix::unistd::gettid().as_raw());
    // SAFETY: tgkill only takes integers.
    check(unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, sig) }).map(drop)
}
