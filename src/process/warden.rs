//! The warden: a thread of the sandbox's PID 1 that receives every seccomp
//! user notification of the payload's filter, reports the violation to
//! the launcher and kills the payload, without the launcher's help.
//!
//! Why a thread of PID 1, inside the sandbox:
//! - It blocks in `SECCOMP_IOCTL_NOTIF_RECV`, which returns once per
//!   notification ever queued, including one a signal withdrew before it
//!   was read (then `ENOENT`). A launcher that polls the listener misses
//!   withdrawn ones, so a payload could dodge the kill by interrupting its
//!   own forbidden call.
//! - It is receiving before the payload runs a single instruction of its
//!   own: the payload's last step before execve is a handshake call that
//!   its new filter hands to the warden, which answers it. A warden that
//!   started later could find the filter already without users (the
//!   payload gone) and its withdrawn notifications with it.
//! - Being inside, it needs no host thread and ends with the sandbox's PID
//!   namespace on every kernel (before 6.6 a blocked receive never returns
//!   once the filter's users are gone).
//! - As a thread of PID 1 it shares PID 1's immunity: the kernel drops
//!   every signal sent from inside the namespace to a thread group whose
//!   handler is the default, SIGKILL and SIGSTOP included, so the payload
//!   (same uid) can neither kill nor stop it.
//!
//! It shares PID 1's TLS and memory, so it only makes system calls through
//! `sys::raw`, which never touch `errno`, and never allocates.

#![allow(unsafe_code)]

use super::caps::LOCKED_SECUREBITS;
use super::report::{Failure, Record, Stage, WITHDRAWN};
use crate::sys::{self, raw, ThreadStack};
use nix::errno::Errno;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};

/// The call the payload's setup makes right after installing its filter,
/// before execve: a number no kernel assigns (so no allowlist can name
/// it) with two fixed arguments. Only the first notification may be it.
pub(super) const HANDSHAKE: (libc::c_long, [u64; 2]) = (0x3ff0, [0x5354_4f43, 0x4b41_4445]);

static STACK: ThreadStack = ThreadStack::new();
static LISTENER: AtomicI32 = AtomicI32::new(-1);
static SOCK: AtomicI32 = AtomicI32::new(-1);
/// Set by PID 1 when the payload ended before creating its listener.
static ABANDON: AtomicBool = AtomicBool::new(false);
/// Nonzero once the payload is about to install its filter, or has ended
/// (see `abandon`): until then the warden sleeps on it instead of looking
/// for the listener.
static SOON: AtomicU32 = AtomicU32::new(0);
/// Learning mode: let refused calls through and report each syscall once.
static LEARN: AtomicBool = AtomicBool::new(false);
/// The syscall numbers below 1024 already reported in learning mode.
static SEEN: [AtomicU64; 16] = [const { AtomicU64::new(0) }; 16];

/// Marks `nr` seen; whether it was new (numbers outside the table always are).
fn first_time(nr: i32) -> bool {
    let Ok(n) = usize::try_from(nr) else {
        return true;
    };
    match SEEN.get(n / 64) {
        Some(word) => word.fetch_or(1 << (n % 64), Ordering::SeqCst) & (1 << (n % 64)) == 0,
        None => true,
    }
}

/// Starts the warden, which waits for the payload's listener to appear
/// at descriptor `listener` (PID 1 and the payload share the table until
/// the payload's exec) and reports on `sock`. Called once, by PID 1,
/// before it forks the payload.
pub(super) fn start_from_child(listener: RawFd, sock: RawFd, learn: bool) -> sys::SysResult<()> {
    LISTENER.store(listener, Ordering::SeqCst);
    LEARN.store(learn, Ordering::SeqCst);
    SOCK.store(sock, Ordering::SeqCst);
    // SAFETY: `start_from_child` runs once per sandbox child (PID 1 calls
    // it once, before the fork), so STACK has no other thread; `run` makes
    // raw system calls only.
    unsafe { sys::start_thread(&STACK, run, 0) }.map(drop)
}

/// Tells a warden still waiting for the listener that none will come.
pub(super) fn abandon() {
    ABANDON.store(true, Ordering::SeqCst);
    listener_soon();
}

/// Tells the warden that the listener is about to appear: called by the
/// payload, which shares PID 1's memory until its exec, right before it
/// installs its filter. The warden looks for the listener from then on.
pub(super) fn listener_soon() {
    SOON.store(1, Ordering::SeqCst);
    raw::futex_wake(&SOON);
}

extern "C" fn run(_: *mut libc::c_void) -> libc::c_int {
    let listener = LISTENER.load(Ordering::SeqCst);
    let sock = SOCK.load(Ordering::SeqCst);
    let fail = |errno: Errno| -> ! {
        // Fail closed: without a warden a forbidden call would wait
        // forever or fail quietly.
        let f = Failure {
            stage: Stage::Warden,
            index: 0,
            errno: crate::diag::OsError::of(errno),
        };
        let _ = raw::write(sock, &Record::Failed(f).encode());
        let _ = raw::kill(-1, libc::SIGKILL);
        raw::exit_thread();
    };
    // PID 1 sheds its privileges after the fork; this thread, created
    // before, sheds its own (capabilities are per thread; the bounding
    // set came empty from PID 1).
    if let Err(e) = raw::drop_privileges(LOCKED_SECUREBITS) {
        fail(e);
    }
    // Its naps while the filter is installed end within 5 µs of their
    // 20, not the default 50 µs late: the payload's handshake waits for
    // the first look after the listener exists.
    let _ = raw::set_timer_slack(5_000);
    let mut shaken = false;
    let mut reported = false;
    let learn = LEARN.load(Ordering::SeqCst);
    loop {
        let violation = match raw::seccomp_notif_recv(listener) {
            Ok((id, nr, _, args)) if !shaken => {
                if i64::from(nr) != HANDSHAKE.0 || args != HANDSHAKE.1 {
                    fail(Errno::EPROTO);
                }
                // Woken on the notifying CPU at once, the warden usually
                // receives before a signal can withdraw a notification,
                // and before a payload that dodged one can exit (after
                // which a withdrawn notification leaves no trace).
                let _ = raw::seccomp_notif_sync_wake_up(listener);
                if let Err(e) = raw::seccomp_notif_answer(listener, id) {
                    fail(e);
                }
                shaken = true;
                continue;
            }
            Ok((id, nr, arch, _)) if learn => {
                if first_time(nr) {
                    let _ = raw::write(sock, &Record::Learned { nr, arch }.encode());
                }
                // ENOENT: the call was withdrawn meanwhile; nothing to let through.
                match raw::seccomp_notif_continue(listener, id) {
                    Ok(()) | Err(Errno::ENOENT) => continue,
                    Err(e) => fail(e),
                }
            }
            Ok((_, nr, arch, _)) => (nr, arch),
            // Not there yet (the payload is still setting up), or a slot
            // the setup is still rearranging.
            Err(Errno::EBADF | Errno::ENOTTY | Errno::EINVAL) if !shaken => {
                if ABANDON.load(Ordering::SeqCst) {
                    raw::exit_thread();
                }
                // Asleep while the payload sets up; then, for the few
                // hundred microseconds the kernel takes to install the
                // filter, looking every 20 µs or so.
                if SOON.load(Ordering::SeqCst) == 0 {
                    raw::futex_wait(&SOON, 0);
                } else {
                    raw::nap(20_000);
                }
                continue;
            }
            Err(Errno::EINTR) => continue,
            Err(Errno::ENOENT) => {
                // Linux 6.6+ also ends the wait when the filter has no
                // users left (the payload and its children are gone),
                // which the hang-up shows; anything else was withdrawn.
                if raw::hung_up(listener) {
                    raw::exit_thread();
                }
                if learn {
                    continue;
                }
                (WITHDRAWN, 0)
            }
            Err(errno) => fail(errno),
        };
        // Report first, so the launcher has the cause before the payload's
        // status; then everything in the namespace but PID 1 dies.
        if !reported {
            reported = true;
            let (nr, arch) = violation;
            let _ = raw::write(sock, &Record::Violation { nr, arch }.encode());
        }
        let _ = raw::kill(-1, libc::SIGKILL);
    }
}
