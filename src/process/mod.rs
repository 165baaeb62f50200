//! The sandbox's processes: `spawn` (launcher side: clone, id maps,
//! release), `child` (the cloned child: builds the view, then becomes PID 1
//! and forks the payload), `init` (PID 1's reaper loop) and `supervise`
//! (the launcher's wait loop: signals, time limit, outcome).

pub mod child;
pub mod init;
pub mod report;
pub mod spawn;
pub mod supervise;
pub mod warden;

pub use report::{Failure, Stage};
pub use spawn::{spawn, SpawnError, Spawned};
pub use supervise::{Event, KillSwitch, Outcome, Supervisor};

/// Signals the launcher forwards to the payload (through PID 1).
pub const FORWARDED_SIGNALS: [libc::c_int; 7] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGWINCH,
];

/// Every signal PID 1 takes with sigtimedwait (blocked from its start;
/// the payload unblocks them before exec): the forwarded ones, SIGCHLD and
/// SIGIO (the launcher's end of the setup socket closed).
pub const INIT_SIGNALS: [libc::c_int; FORWARDED_SIGNALS.len() + 2] = {
    let mut all = [libc::SIGCHLD, libc::SIGIO, 0, 0, 0, 0, 0, 0, 0];
    let mut i = 0;
    while i < FORWARDED_SIGNALS.len() {
        all[2 + i] = FORWARDED_SIGNALS[i];
        i += 1;
    }
    all
};
