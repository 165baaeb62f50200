//! The system-call layer: thin, typed wrappers over the raw system calls
//! the launcher and the sandbox child make, one file per kind of object.
//! With `spawn` (clone) and `warden` (the notification thread's entry),
//! the only code with `unsafe`, and crate-private.
//!
//! Descriptors are typed: a call that creates one returns an [`OwnedFd`],
//! a call that uses one borrows it ([`BorrowedFd`]; [`CWD`] for paths
//! relative to the working directory). A wrapper whose caller must keep a
//! rule the types cannot express (replace or close descriptors by number,
//! fork, start a thread) is an `unsafe fn` with a `# Safety` section.
//!
//! Every wrapper used after clone is async-signal-safe: it takes borrowed C
//! strings, integers and stack buffers, allocates nothing and cannot panic.
#![allow(unsafe_code)]
#![deny(
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used
)]

mod caps;
mod fd;
mod landlock;
mod mount;
mod process;
pub(crate) mod raw;
mod seccomp;
mod signal;
mod socket;
mod thread;
mod tty;

pub(crate) use caps::*;
pub(crate) use fd::*;
pub(crate) use landlock::*;
pub(crate) use mount::*;
pub(crate) use process::*;
pub(crate) use seccomp::*;
pub(crate) use signal::*;
pub(crate) use socket::*;
pub(crate) use thread::*;
pub(crate) use tty::*;

use libc::{c_char, c_int, c_long};
use nix::errno::Errno;
use std::ffi::CStr;
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// Result of a raw syscall.
pub(crate) type SysResult<T> = Result<T, Errno>;

/// The working directory, for the `*at` calls (`AT_FDCWD`).
// SAFETY: AT_FDCWD is not a descriptor but a value every `*at` call
// accepts in its place, valid for the whole process lifetime; it is never
// closed (it is not -1, the one value BorrowedFd may not hold).
pub(crate) const CWD: BorrowedFd<'static> = unsafe { BorrowedFd::borrow_raw(libc::AT_FDCWD) };

fn check(rc: c_long) -> SysResult<c_long> {
    if rc == -1 {
        Err(Errno::last())
    } else {
        Ok(rc)
    }
}

fn check_int(rc: c_int) -> SysResult<c_int> {
    if rc == -1 {
        Err(Errno::last())
    } else {
        Ok(rc)
    }
}

/// Takes ownership of the descriptor a successful system call returned.
fn new_fd(rc: c_long) -> SysResult<OwnedFd> {
    // File descriptors fit in c_int by the kernel's own definition.
    let fd = check(rc)? as RawFd;
    // SAFETY: the kernel just created `fd` for this call; nothing else in
    // the process knows its number, so the OwnedFd is its only owner.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn opt_ptr(s: Option<&CStr>) -> *const c_char {
    s.map_or(std::ptr::null(), CStr::as_ptr)
}
