//! The signals both sides of the sandbox agree on.

use std::time::Duration;

/// Signals the launcher forwards to the payload (through PID 1). SIGTSTP
/// stops the payload, not the launcher (an interactive launcher follows
/// the payload's stop with its own: see `Sandbox::report_stops`), and
/// SIGCONT resumes it.
pub(crate) const FORWARDED_SIGNALS: [libc::c_int; 9] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGWINCH,
    libc::SIGTSTP,
    libc::SIGCONT,
];

/// Every signal PID 1 takes with sigtimedwait (blocked from its start;
/// the payload unblocks them before exec): the forwarded ones, SIGCHLD and
/// SIGIO (the launcher's end of the setup socket closed).
pub(crate) const INIT_SIGNALS: [libc::c_int; FORWARDED_SIGNALS.len() + 2] = {
    let mut all = [libc::SIGCHLD; FORWARDED_SIGNALS.len() + 2];
    all[1] = libc::SIGIO;
    let mut i = 0;
    while i < FORWARDED_SIGNALS.len() {
        all[2 + i] = FORWARDED_SIGNALS[i];
        i += 1;
    }
    all
};

/// How long the payload has between SIGTERM and SIGKILL at the time limit
/// (PID 1 keeps it).
pub(crate) const KILL_GRACE: Duration = Duration::from_secs(2);
