//! The payload's last steps (19–27 of [`Stage`]), in the process PID 1
//! forked: lose the terminal, enter the working directory, set limits,
//! place its descriptors, shed every privilege, restrict itself, exec.
//!
//! Runs after fork (see `child`): raw system calls only, no allocation,
//! no panics.
#![allow(unsafe_code)]

use super::caps::drop_privileges_from_child;
use super::report::{enter, fail_from_child, send_from_child, Record, Stage};
use super::warden;
use crate::plan::{Plan, MAX_FDS};
use crate::sys::{self, SigSet};
use nix::errno::Errno;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

/// The payload's entry point; `sock` and `ruleset` are parked above every
/// number its descriptor map uses. Ends in exec, or in `_exit` with a
/// failure record.
pub(super) fn run_from_child(
    plan: &Plan,
    sock: BorrowedFd<'_>,
    ruleset: Option<BorrowedFd<'_>>,
    umask: libc::mode_t,
) -> ! {
    let fail = |stage: Stage, errno: Errno| -> ! { fail_from_child(sock, stage, 0, errno) };
    enter(plan, sock, Stage::NewSession);
    let session = match &plan.terminal {
        // A new session has no controlling terminal, so the payload cannot
        // push input into the launcher's terminal with TIOCSTI
        // (CVE-2017-5226).
        None => sys::setsid(),
        // The sandbox's own terminal, whose session PID 1 leads: the
        // payload's group takes the foreground (SIGTTOU is blocked, as it
        // must be for a group that is not there yet), so job control,
        // /dev/tty and the terminal's signals work inside, and none of it
        // reaches the launcher's terminal.
        Some(t) => sys::new_process_group()
            .and_then(|()| sys::sigmask(libc::SIG_BLOCK, &SigSet::of(&[libc::SIGTTOU])))
            .and_then(|()| sys::take_foreground(t.setup.at)),
    };
    if let Err(e) = session {
        fail(Stage::NewSession, e);
    }
    enter(plan, sock, Stage::Chdir);
    if let Err(e) = sys::chdir(&plan.cwd) {
        fail(Stage::Chdir, e);
    }
    sys::umask(umask);
    // The dispositions are the defaults already (PID 1's helper thread
    // reset them before the fork: see `helper`); the mask is emptied here.
    if let Err(e) = sys::sigmask(libc::SIG_SETMASK, &SigSet::of(&[])) {
        fail(Stage::NewSession, e);
    }
    enter(plan, sock, Stage::Rlimits);
    for &(resource, value) in &plan.rlimits {
        if let Err(e) = sys::setrlimit(resource, value) {
            fail(Stage::Rlimits, e);
        }
    }
    // Exactly the mapped descriptors survive, whatever the launcher's host
    // left open; the setup socket and the ruleset (close-on-exec) live
    // until exec.
    enter(plan, sock, Stage::Fds);
    if let Err((i, e)) = place_fds(plan, sock, ruleset) {
        fail_from_child(sock, Stage::Fds, i, e);
    }
    enter(plan, sock, Stage::DropCaps);
    if let Err(e) = drop_privileges_from_child() {
        fail(Stage::DropCaps, e);
    }
    enter(plan, sock, Stage::NoNewPrivs);
    if let Err(e) = sys::set_no_new_privs() {
        fail(Stage::NoNewPrivs, e);
    }
    // After the mounts (a Landlock domain may not mount), after
    // no_new_privs (required), and as late as possible before exec.
    if let Some(ruleset) = ruleset {
        enter(plan, sock, Stage::Landlock);
        if let Err(e) = sys::landlock_restrict_self(ruleset) {
            fail(Stage::Landlock, e);
        }
    }
    // Last: from here on the payload's own filter judges every syscall, and
    // stockade makes only execve (and, on failure, write and exit_group).
    if !plan.seccomp.is_empty() {
        enter(plan, sock, Stage::Seccomp);
    }
    for f in &plan.seccomp {
        if f.listener {
            warden::listener_soon();
        }
        // The listener lands in the table PID 1 shares until exec, where
        // the warden reads it by number; this process never uses it.
        match sys::seccomp_install(&f.prog, f.listener, false) {
            Ok(listener) => std::mem::forget(listener),
            Err(e) => fail(Stage::Seccomp, e),
        }
        // Wait, inside the filter's first notification, until the warden
        // answers: from here on it receives every one (see `warden`).
        if f.listener {
            let (nr, args) = warden::HANDSHAKE;
            // SAFETY: the handshake's number is one no kernel implements
            // and its arguments are integers: no memory is touched.
            if let Err(e) = unsafe { sys::syscall2(nr, args) } {
                fail(Stage::Warden, e);
            }
        }
    }
    // write is on every allowlist that kills (checked when resolving).
    enter(plan, sock, Stage::Exec);
    send_from_child(sock, Record::Applied(super::report::now_ns()));
    let mut errno = Errno::ENOENT;
    for (i, path) in plan.exec.candidates.iter().enumerate() {
        match sys::execve(path, &plan.exec.argv, &plan.exec.env) {
            Errno::ENOENT | Errno::ENOTDIR => {}
            Errno::EACCES => errno = Errno::EACCES,
            // The launcher maps the record to 126/127; the exit code of
            // this process is not what it reports.
            other => fail_from_child(sock, Stage::Exec, i as u32, other),
        }
    }
    fail_from_child(sock, Stage::Exec, 0, errno)
}

/// Duplicates every source above everything in use, places the copies at
/// their targets (which handles overlaps such as 4→3 with 3→4), then closes
/// every number that is not a target, the socket or the ruleset.
fn place_fds(
    plan: &Plan,
    sock: BorrowedFd<'_>,
    ruleset: Option<BorrowedFd<'_>>,
) -> Result<(), (u32, Errno)> {
    let sock = sock.as_raw_fd();
    let ruleset = ruleset.map_or(-1, |r| r.as_raw_fd());
    let high = sock.max(ruleset) + 1;
    // A stack array: the plan holds at most MAX_FDS pairs (checked when it
    // was built; `zip` stops at the array's end regardless).
    let mut temps: [Option<OwnedFd>; MAX_FDS] = [const { None }; MAX_FDS];
    for (i, (&(src, _), temp)) in plan.fds.pairs.iter().zip(temps.iter_mut()).enumerate() {
        *temp = Some(sys::dup_above(src, high).map_err(|e| (i as u32, e))?);
    }
    for (i, (&(_, dst), temp)) in plan.fds.pairs.iter().zip(temps.iter()).enumerate() {
        let Some(temp) = temp else {
            return Err((i as u32, Errno::EINVAL));
        };
        // SAFETY: the targets are this process's new layout, about to be
        // exec'd: whatever had their numbers is replaced on purpose, and
        // nothing here uses it again (the two parked descriptors lie above
        // every target).
        unsafe { sys::dup_onto(temp.as_fd(), dst) }.map_err(|e| (i as u32, e))?;
    }
    // Keep: the sorted targets, then the socket and the ruleset (both
    // above every target). The temporaries are closed with the rest.
    let (lo, hi) = (sock.min(ruleset), sock.max(ruleset));
    let keep = plan.fds.targets.iter().copied().chain([lo, hi]);
    // SAFETY: the payload is about to exec: it keeps only the targets and
    // the two parked descriptors, and no closed descriptor is used again
    // (`temps` are forgotten below, never dropped).
    let r = unsafe { sys::close_all_but(keep) }.map_err(|e| (0, e));
    std::mem::forget(temps);
    r
}
