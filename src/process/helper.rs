//! PID 1's helper thread: work taken off PID 1's path while it builds
//! the view.
//!
//! - The sysctls of the sandbox's own namespaces
//!   ([`crate::plan::NAMESPACE_SYSCTLS`]: its quotas, `memfd_noexec`).
//!   Each write goes through procfs's lookup and the sysctl's handler, and
//!   the thread has what the writes need: the launcher's identity and
//!   every capability of the sandbox's user namespace, which it keeps
//!   (credentials are per thread, and PID 1 changes only its own). It
//!   writes them first, through the host's /proc (the paths resolve in
//!   the root it shares with PID 1); PID 1 waits for the outcome before it
//!   pivots, and so before the view's /proc replaces the host's.
//! - The network namespace. Creating one is the costliest single step of
//!   a start in the kernel (every network subsystem registers its
//!   per-namespace state: the loopback device, its addresses, a few
//!   hundred sysctls) and nothing PID 1 does before step 12 depends on it:
//!   the view holds no mount that captures a network namespace (sysfs
//!   would), and the payload does not exist yet. So PID 1 is cloned into
//!   every other new namespace and, at its first step, starts this thread,
//!   which unshares a network namespace of its own (owned by the sandbox's
//!   user namespace, as a clone flag would make it), brings `lo` up in it
//!   unless nothing in the sandbox could use it (`Policy::loopback_up`)
//!   and hands PID 1 a descriptor of it. At step 12 PID 1 joins it, so the
//!   warden and the payload, started after, are born in it.
//! - The detach of the host's mount tree after `pivot_root` (step 9).
//!   Unmounting it makes the kernel wait for an expedited RCU grace period
//!   and then free a copy of every host mount, in the caller's system
//!   call. PID 1 wakes the thread once it has pivoted and goes on; until
//!   the thread answers, the host tree sits on top of the view's root,
//!   where only a lookup that descends into mounts stacked on its starting
//!   point (umount's) finds it: the lookups of steps 10–15 start at the
//!   root or the working directory and stay in the view. PID 1 waits for
//!   the answer at the end of step 13, before the warden or the payload
//!   exists.
//!
//! - The payload's signal dispositions. "Ignore" survives an exec (Rust
//!   ignores SIGPIPE, and a library host may ignore more), so the payload
//!   must start with the defaults. Dispositions belong to the thread
//!   group: the thread resets PID 1's, after the network namespace and
//!   before the detach, and the payload, forked after step 13, inherits
//!   them. PID 1 needs none of its own: it takes its signals blocked,
//!   with sigtimedwait, and the kernel drops any other signal with the
//!   default action sent to a PID namespace's init from inside it (a
//!   SIGPIPE from writing to a launcher that is gone among them).
//!
//! The thread shares PID 1's TLS, memory, descriptor table and working
//! directory (`CLONE_FS`): raw system calls only (see `sys::start_thread`).
//! With `--net host` it makes no namespace and stays in PID 1's, which is
//! then the sandbox's.

#![allow(unsafe_code)]

use crate::plan::{NetworkSetup, NAMESPACE_SYSCTLS};
use crate::sys::{self, raw, Handoff, ThreadStack};
use nix::errno::Errno;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, Ordering};

static STACK: ThreadStack = ThreadStack::new();
/// The sysctls' outcome: 0, or the errno of the one at `SYSCTL_FAILED`.
static SYSCTLS: Handoff = Handoff::new();
static SYSCTL_FAILED: AtomicU32 = AtomicU32::new(0);
/// The namespace's descriptor (when one is made).
static NETWORK: Handoff = Handoff::new();
/// Nonzero once PID 1 has pivoted.
static PIVOTED: AtomicU32 = AtomicU32::new(0);
/// The detach's outcome.
static DETACHED: Handoff = Handoff::new();

/// Starts the thread. Called once, by PID 1, before anything else.
pub(super) fn start_from_child(network: NetworkSetup) -> sys::SysResult<()> {
    SYSCTLS.reset();
    NETWORK.reset();
    DETACHED.reset();
    PIVOTED.store(0, Ordering::SeqCst);
    // Left where the scheduler puts it: moving it off PID 1's CPU (its
    // mask narrowed, then widened) made whole starts slower, not faster
    // (benches/README.md, "A helper thread queued behind PID 1").
    // SAFETY: PID 1 calls this once, so STACK has no other thread; `run`
    // makes raw system calls only.
    unsafe { sys::start_thread(&STACK, run, network as usize) }.map(drop)
}

/// Waits for the namespace sysctls; on failure, the index of the one
/// that failed in [`NAMESPACE_SYSCTLS`] and why.
pub(super) fn sysctls_written_from_child() -> Result<(), (usize, Errno)> {
    SYSCTLS
        .take()
        .map(drop)
        .map_err(|e| (SYSCTL_FAILED.load(Ordering::SeqCst) as usize, e))
}

/// Waits for the thread's namespace and moves PID 1 into it.
pub(super) fn join_network_from_child() -> sys::SysResult<()> {
    let fd = NETWORK.take()?;
    // SAFETY: the thread stored the descriptor SIOCGSKNS returned in the
    // table PID 1 shares with it, and gave it up: PID 1 owns it now.
    let ns = unsafe { OwnedFd::from_raw_fd(fd) };
    sys::join_network(ns.as_fd())
}

/// Hands the detach of the old root, stacked on the view's root by
/// `pivot_root(".", ".")`, to the thread (which resolves `.` in the
/// working directory it shares with PID 1: the view's root).
pub(super) fn detach_old_root_from_child() {
    PIVOTED.store(1, Ordering::SeqCst);
    raw::futex_wake(&PIVOTED);
}

/// Waits until the old root is detached.
pub(super) fn old_root_detached_from_child() -> sys::SysResult<()> {
    DETACHED.take().map(drop)
}

extern "C" fn run(network: *mut libc::c_void) -> libc::c_int {
    SYSCTLS.give(write_sysctls());
    let network = network as usize;
    if network != NetworkSetup::Kept as usize {
        NETWORK.give(raw::new_network(network == NetworkSetup::OwnWithLoopback as usize));
    }
    raw::default_signal_dispositions();
    while PIVOTED.load(Ordering::SeqCst) == 0 {
        raw::futex_wait(&PIVOTED, 0);
    }
    DETACHED.give(raw::umount2(c".", libc::MNT_DETACH).map(|()| 0));
    0
}

/// Writes [`NAMESPACE_SYSCTLS`]: a file an older kernel lacks is skipped,
/// and so is an optional one this launcher may not write.
fn write_sysctls() -> sys::SysResult<libc::c_int> {
    for (i, (path, value, required)) in NAMESPACE_SYSCTLS.iter().enumerate() {
        match raw::write_file(path, value.to_bytes()) {
            Ok(()) | Err(Errno::ENOENT) => {}
            Err(Errno::EACCES | Errno::EPERM) if !required => {}
            Err(e) => {
                SYSCTL_FAILED.store(i as u32, Ordering::SeqCst);
                return Err(e);
            }
        }
    }
    Ok(0)
}
