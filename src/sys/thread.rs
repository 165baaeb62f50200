//! A raw thread on a static stack, for the sandbox's PID 1 (which may
//! not allocate or use pthreads after clone).

use super::check::*;
use libc::{c_int, pid_t};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

/// Memory for a thread started with [`start_thread`]: a fixed stack that
/// exists before the clone, since the child may not allocate.
#[repr(C, align(16))]
pub(crate) struct ThreadStack(std::cell::UnsafeCell<[u8; THREAD_STACK_LEN]>);

const THREAD_STACK_LEN: usize = 64 * 1024;

// SAFETY: the stack is only ever used by the one thread `start_thread`
// runs on it; nothing else reads or writes the bytes.
unsafe impl Sync for ThreadStack {}

impl ThreadStack {
    /// A zeroed stack, for a `static`.
    pub(crate) const fn new() -> ThreadStack {
        ThreadStack(std::cell::UnsafeCell::new([0; THREAD_STACK_LEN]))
    }
}

impl Default for ThreadStack {
    fn default() -> ThreadStack {
        ThreadStack::new()
    }
}

/// Starts `f(arg)` as a new thread of this process on `stack` (with
/// `CLONE_THREAD`: it shares PID 1's immunity to signals from inside the
/// namespace), with every signal blocked, so that it never takes one meant
/// for PID 1's `sigtimedwait` loop; the caller's mask is kept. The thread
/// shares this thread's TLS, so it must only make system calls through
/// [`raw`](super::raw), which never touch `errno`.
///
/// # Safety
/// Once per stack: a second thread on the same stack would corrupt the
/// first. `f` must make raw system calls only (no libc function that
/// reads or writes thread-local state, no allocation, no unwinding).
pub(crate) unsafe fn start_thread(
    stack: &'static ThreadStack,
    f: extern "C" fn(*mut libc::c_void) -> c_int,
    arg: usize,
) -> SysResult<pid_t> {
    let flags = libc::CLONE_VM
        | libc::CLONE_FS
        | libc::CLONE_FILES
        | libc::CLONE_SIGHAND
        | libc::CLONE_THREAD
        | libc::CLONE_SYSVSEM;
    // The stack grows down from its end, which the type aligns to 16.
    let top = stack.0.get().cast::<u8>().wrapping_add(THREAD_STACK_LEN);
    let old = super::signal::block_all_signals()?;
    // SAFETY: `top` is the end of a 64 KiB static buffer no other thread
    // uses (the caller's contract); the thread runs `f` there and ends
    // when it returns; `arg` is passed through as an integer.
    let started = unsafe { super::raw::clone_on(flags as usize, top, f, arg as *mut libc::c_void) };
    super::signal::set_signal_mask(&old)?;
    started
}

/// Runs `f(arg)` on `stack` in a new process that shares this one's
/// memory until it execs or exits, while the calling thread waits
/// (`CLONE_VM | CLONE_VFORK`, as posix_spawn does): no page table is
/// copied, so the child costs about what a thread costs. `extra` adds
/// clone flags (`CLONE_FILES`). Returns the child's pid once it has
/// exec'd or exited.
///
/// # Safety
/// Once per stack at a time. `f` runs in this process's memory and with
/// the calling thread's TLS: it may only make raw or async-signal-safe
/// system calls, must leave memory other threads use alone, and must end
/// in execve or `_exit`, never return.
pub(crate) unsafe fn vfork_on(
    stack: &'static ThreadStack,
    extra: c_int,
    f: extern "C" fn(*mut libc::c_void) -> c_int,
    arg: *mut libc::c_void,
) -> SysResult<pid_t> {
    let flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD | extra;
    let top = stack.0.get().cast::<u8>().wrapping_add(THREAD_STACK_LEN);
    // SAFETY: `top` is the end of a static stack no one else uses (the
    // caller's contract); this thread is suspended until the child execs
    // or exits, so the child never runs beside it in the shared memory;
    // `arg` is passed through.
    unsafe { super::raw::clone_on(flags as usize, top, f, arg) }
}

/// One answer a raw thread hands another thread of its process: a
/// descriptor or other nonnegative number, or an errno, behind a futex
/// word the waiter sleeps on. For a `static`, shared by both threads.
pub(crate) struct Handoff {
    done: AtomicU32,
    /// The answer, or a negated errno.
    answer: AtomicI32,
}

impl Handoff {
    /// An empty handoff.
    pub(crate) const fn new() -> Handoff {
        Handoff {
            done: AtomicU32::new(0),
            answer: AtomicI32::new(0),
        }
    }

    /// Empties it again (a static outlives a sandbox in a test process).
    pub(crate) fn reset(&self) {
        self.done.store(0, Ordering::SeqCst);
    }

    /// Stores `answer` and wakes the waiter.
    pub(crate) fn give(&self, answer: SysResult<c_int>) {
        let v = answer.unwrap_or_else(|errno| -(errno as c_int));
        self.answer.store(v, Ordering::SeqCst);
        self.done.store(1, Ordering::SeqCst);
        super::raw::futex_wake(&self.done);
    }

    /// Waits for the answer.
    pub(crate) fn take(&self) -> SysResult<c_int> {
        while self.done.load(Ordering::SeqCst) == 0 {
            super::raw::futex_wait(&self.done, 0);
        }
        match self.answer.load(Ordering::SeqCst) {
            v if v < 0 => Err(nix::errno::Errno::from_raw(-v)),
            v => Ok(v),
        }
    }
}
