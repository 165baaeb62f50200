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

mod caps;
mod check;
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

pub(crate) use check::{SysResult, CWD};
