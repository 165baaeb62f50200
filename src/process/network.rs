//! The sandbox's network namespace, made by a thread of PID 1 while PID 1
//! builds the view.
//!
//! Creating a network namespace is the costliest single step of a start in
//! the kernel (every network subsystem registers its per-namespace state:
//! the loopback device, its addresses, a few hundred sysctls) and nothing
//! PID 1 does before step 12 depends on it: the view holds no mount that
//! captures a network namespace (sysfs would), and the payload does not
//! exist yet. So PID 1 is cloned into every other new namespace, and at its
//! first step starts a thread that unshares a network namespace of its own
//! (owned by the sandbox's user namespace, as a clone flag would make it),
//! brings `lo` up in it and hands PID 1 a descriptor of it; the two run on
//! different CPUs where there are two. At step 12 PID 1 waits for the
//! thread's answer and joins the namespace, so the warden and the payload,
//! started after, are born in it.
//!
//! The thread shares PID 1's TLS and memory: raw system calls only (see
//! `sys::start_thread`). Its descriptor lands in the table it shares with
//! PID 1.

#![allow(unsafe_code)]

use crate::sys::{self, raw, ThreadStack};
use nix::errno::Errno;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

static STACK: ThreadStack = ThreadStack::new();
/// Nonzero once the thread has stored its answer in `ANSWER`.
static DONE: AtomicU32 = AtomicU32::new(0);
/// The namespace's descriptor, or a negated errno.
static ANSWER: AtomicI32 = AtomicI32::new(0);

/// Starts the thread. Called once, by PID 1, before anything else.
pub(super) fn start_from_child() -> sys::SysResult<()> {
    DONE.store(0, Ordering::SeqCst);
    // SAFETY: PID 1 calls this once, so STACK has no other thread; `run`
    // makes raw system calls only.
    unsafe { sys::start_thread(&STACK, run, 0) }.map(drop)
}

/// Waits for the thread's answer and moves PID 1 into the namespace.
pub(super) fn join_from_child() -> sys::SysResult<()> {
    while DONE.load(Ordering::SeqCst) == 0 {
        raw::futex_wait(&DONE, 0);
    }
    let fd = ANSWER.load(Ordering::SeqCst);
    if fd < 0 {
        return Err(Errno::from_raw(-fd));
    }
    // SAFETY: the thread stored the descriptor SIOCGSKNS returned in the
    // table PID 1 shares with it, and gave it up: PID 1 owns it now.
    let ns = unsafe { OwnedFd::from_raw_fd(fd) };
    sys::join_network(ns.as_fd())
}

extern "C" fn run(_: *mut libc::c_void) -> libc::c_int {
    let answer = match raw::new_network() {
        Ok(fd) => fd,
        Err(errno) => -(errno as i32),
    };
    ANSWER.store(answer, Ordering::SeqCst);
    DONE.store(1, Ordering::SeqCst);
    raw::futex_wake(&DONE);
    0
}
