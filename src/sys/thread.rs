//! A raw thread on a static stack, for the sandbox's PID 1 (which may
//! not allocate or use pthreads after clone).

use super::check::*;
use libc::pid_t;

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
/// namespace). The thread shares this thread's TLS, so it must only make
/// system calls through [`raw`](super::raw), which never touch `errno`.
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
    // SAFETY: `top` is the end of a 64 KiB static buffer no other thread
    // uses (the caller's contract); clone(3) runs `f` there and ends the
    // thread when it returns; `arg` is passed through as an integer.
    let rc = unsafe { libc::clone(f, top.cast(), flags, arg as *mut libc::c_void) };
    check_int(rc)
}
