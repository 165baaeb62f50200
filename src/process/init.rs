//! PID 1 of the sandbox's PID namespace: reaps every zombie, forwards the
//! launcher's signals to the payload's process group, enforces the
//! wall-time limit, ends the sandbox when the launcher's process is gone,
//! and when the payload exits kills whatever is left and reports the
//! payload's status.
//!
//! Runs after clone (see `child`): raw syscalls only, no allocation, no
//! panics.
#![allow(unsafe_code)]

use super::caps::drop_privileges_from_child;
use super::report::{enter, fail_from_child, send_from_child, Record, Stage};
use super::signals::{INIT_SIGNALS, KILL_GRACE};
use super::warden;
use crate::plan::Plan;
use crate::sys::{self, SigSet};
use libc::{c_int, pid_t};
use nix::errno::Errno;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

/// The init loop. Never returns. `listener` is the payload's seccomp
/// notification fd, which the warden (started before the payload) reads;
/// the plan gives init's own filter and the wall-time limit.
pub(super) fn run_from_child(
    payload: pid_t,
    sock: BorrowedFd<'_>,
    listener: Option<RawFd>,
    plan: &Plan,
) -> ! {
    // Keep only the setup socket and the listener: stdio and everything
    // else belong to the payload, and an init holding a pipe open would
    // delay the reader's EOF.
    let (s, l) = (sock.as_raw_fd(), listener.unwrap_or(-1));
    // SAFETY: PID 1 uses no descriptor but these two from here on (the
    // parked ruleset and the originals are the payload's, now exec'd or
    // about to be; nothing closed is dropped later: this never returns).
    let _ = unsafe { sys::close_all_but([s.min(l), s.max(l)].into_iter()) };
    // Not dumpable: the payload (same uid) cannot ptrace PID 1 or open its
    // /proc entries such as /proc/1/exe, the launcher's binary on the host
    // (the shape of CVE-2019-5736).
    let _ = sys::set_undumpable();
    // PID 1 needs no privilege to reap and forward; shed it like the payload
    // (the warden, started earlier, shed its own: capabilities are per
    // thread).
    let _ = drop_privileges_from_child();
    let _ = sys::set_no_new_privs();
    if listener.is_none() {
        warden::abandon();
    }
    // Like bubblewrap's and nsjail's init: only what the loop below (and
    // the warden, which gets the same filter) needs. Fail closed: an init
    // that cannot filter itself ends the sandbox.
    enter(plan, sock, Stage::InitFilter);
    if let Err(errno) = sys::seccomp_install(&plan.init_filter, false, true) {
        let _ = sys::kill(-1, libc::SIGKILL);
        fail_from_child(sock, Stage::InitFilter, 0, errno);
    }

    let set = SigSet::of(&INIT_SIGNALS);
    // The wall-time limit is PID 1's to enforce, so it holds whatever the
    // launcher is doing (a library host blocked on the channel included).
    // A deadline on the clock, not a timer signal: a payload that keeps a
    // signal of its own pending in PID 1 could make the kernel drop the
    // timer's (one pending instance per signal), but cannot stop the clock.
    let mut deadline = plan
        .wall_time
        .and_then(|limit| sys::monotonic_now().checked_add(limit));
    let mut timed_out = false;
    loop {
        let wait = deadline.map(|d| d.saturating_sub(sys::monotonic_now()));
        let (sig, _) = match sys::sigtimedwait(&set, wait) {
            Ok(Some(s)) => s,
            // The deadline: SIGTERM first, SIGKILL after the grace period.
            Ok(None) if timed_out => {
                let _ = sys::kill(-1, libc::SIGKILL);
                deadline = None;
                continue;
            }
            Ok(None) => {
                timed_out = true;
                send_from_child(sock, Record::TimedOut);
                forward(payload, libc::SIGTERM);
                deadline = sys::monotonic_now().checked_add(KILL_GRACE);
                continue;
            }
            Err(_) => continue,
        };
        match sig {
            libc::SIGCHLD => {
                if let Some(status) = reap(payload, sock, plan.report_stops) {
                    // The payload is done: nothing else in the namespace may
                    // live on (double-forked daemons included).
                    let _ = sys::kill(-1, libc::SIGKILL);
                    while !matches!(sys::waitpid(-1, 0), Err(Errno::ECHILD)) {}
                    send_from_child(sock, Record::Status(status, super::report::now_ns()));
                    sys::exit(0);
                }
            }
            // The launcher's process is gone (or dropped its handle): no one
            // is left to report to or to stop the sandbox.
            libc::SIGIO => {
                if sys::peer_closed(sock) {
                    let _ = sys::kill(-1, libc::SIGKILL);
                    sys::exit(0);
                }
            }
            // Without a terminal the payload's group is orphaned (its
            // parent, PID 1, is in another session), and the kernel drops
            // SIGTSTP for such groups: only SIGSTOP stops them.
            libc::SIGTSTP if plan.terminal.is_none() => forward(payload, libc::SIGSTOP),
            _ => forward(payload, sig),
        }
    }
}

/// Sends `sig` to the payload's process group, as a terminal would, so its
/// children hear it too (the payload leads its group). A hang-up or a
/// termination is followed by SIGCONT, as a terminal's hang-up is: a
/// stopped process would otherwise only hear it once continued.
fn forward(payload: pid_t, sig: c_int) {
    let send = |sig| {
        if sys::kill(-payload, sig).is_err() {
            let _ = sys::kill(payload, sig);
        }
    };
    send(sig);
    if matches!(sig, libc::SIGHUP | libc::SIGTERM) {
        send(libc::SIGCONT);
    }
}

/// Reaps every exited child; returns the payload's status if it was among
/// them. With `report_stops`, also reports the payload's stops.
fn reap(payload: pid_t, sock: BorrowedFd<'_>, report_stops: bool) -> Option<c_int> {
    let flags = libc::WNOHANG | if report_stops { libc::WUNTRACED } else { 0 };
    let mut found = None;
    loop {
        match sys::waitpid(-1, flags) {
            Ok((0, _)) | Err(Errno::ECHILD) => return found,
            Ok((pid, status)) if pid == payload && libc::WIFSTOPPED(status) => {
                send_from_child(sock, Record::Stopped(libc::WSTOPSIG(status)));
            }
            Ok((pid, status)) if pid == payload => found = Some(status),
            Ok(_) | Err(Errno::EINTR) => {}
            Err(_) => return found,
        }
    }
}
