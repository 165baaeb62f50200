//! The launcher's wait loop: relays signals to the sandbox, enforces the
//! wall-time limit, collects the setup and status records, answers seccomp
//! kill notifications, reaps the init.

use super::report::{Failure, Record, RECORD_LEN};
use super::Spawned;
use crate::sys;
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signalfd::SignalFd;
use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
use std::io::IoSliceMut;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

/// How long the payload has between SIGTERM and SIGKILL at the time limit.
pub const KILL_GRACE: Duration = Duration::from_secs(2);

/// How a sandbox run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The payload exited with this code.
    Exited(i32),
    /// The payload was killed by this signal.
    Signaled(i32),
    /// The wall-time limit was reached and the sandbox was stopped.
    TimedOut,
    /// Setup failed before the payload ran (or its exec failed).
    SetupFailed(Failure),
    /// The payload made a syscall its seccomp filter kills; the sandbox was
    /// killed. `nr` and the audit `arch` come from the kernel's notification.
    SeccompViolation {
        /// Syscall number.
        nr: i32,
        /// `AUDIT_ARCH_*` of the call.
        arch: u32,
    },
    /// The sandbox's init ended without reporting (raw wait status).
    Vanished(i32),
}

impl Outcome {
    /// The launcher's exit code for this outcome.
    pub fn exit_code(&self) -> i32 {
        match *self {
            Outcome::Exited(c) => c,
            Outcome::Signaled(s) => 128 + s,
            Outcome::TimedOut => 124,
            // As if the kernel had killed it with SIGSYS.
            Outcome::SeccompViolation { .. } => 128 + libc::SIGSYS,
            Outcome::SetupFailed(f) if f.stage == super::Stage::Exec => {
                if f.errno == Errno::ENOENT {
                    127
                } else {
                    126
                }
            }
            Outcome::SetupFailed(_) | Outcome::Vanished(_) => 125,
        }
    }
}

fn from_wait_status(raw: i32) -> Outcome {
    if libc::WIFEXITED(raw) {
        Outcome::Exited(libc::WEXITSTATUS(raw))
    } else if libc::WIFSIGNALED(raw) {
        Outcome::Signaled(libc::WTERMSIG(raw))
    } else {
        Outcome::Vanished(raw)
    }
}

/// What the loop has learned so far.
#[derive(Default)]
struct State {
    failure: Option<Failure>,
    status: Option<i32>,
    violation: Option<(i32, u32)>,
    listener: Option<OwnedFd>,
    sock_open: bool,
}

/// Waits for the sandbox to end. `signals` (when given) delivers the
/// launcher's own signals, which are forwarded to the payload.
pub fn supervise(
    s: Spawned,
    wall_time: Option<Duration>,
    signals: Option<&SignalFd>,
) -> std::io::Result<Outcome> {
    let deadline = wall_time.map(|d| Instant::now() + d);
    let mut kill_at: Option<Instant> = None;
    let mut st = State {
        sock_open: true,
        ..State::default()
    };
    let pidfd = s.pidfd.as_raw_fd();
    let init_status = loop {
        let now = Instant::now();
        let timeout = match kill_at.or(deadline) {
            Some(t) if t <= now => {
                if kill_at.is_none() {
                    let _ = sys::pidfd_kill(pidfd, libc::SIGTERM);
                    kill_at = Some(now + KILL_GRACE);
                } else {
                    let _ = sys::pidfd_kill(pidfd, libc::SIGKILL);
                    kill_at = Some(now + Duration::from_secs(3600));
                }
                continue;
            }
            Some(t) => {
                let ms = (t - now).as_millis().clamp(1, i32::MAX as u128) as i32;
                PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
            }
            None => PollTimeout::NONE,
        };
        // Order: init, socket, listener, signals; absent ones are skipped.
        let mut fds = vec![PollFd::new(s.pidfd.as_fd(), PollFlags::POLLIN)];
        let sock_i = st.sock_open.then(|| {
            fds.push(PollFd::new(s.sock.as_fd(), PollFlags::POLLIN));
            fds.len() - 1
        });
        let listener_i = st.listener.as_ref().map(|l| {
            fds.push(PollFd::new(l.as_fd(), PollFlags::POLLIN));
            fds.len() - 1
        });
        let sig_i = signals.map(|sig| {
            fds.push(PollFd::new(sig.as_fd(), PollFlags::POLLIN));
            fds.len() - 1
        });
        match poll(&mut fds, timeout) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
        let events = |i: Option<usize>| {
            i.and_then(|i| fds[i].revents())
                .unwrap_or(PollFlags::empty())
        };
        let (init_ev, sock_ev, listener_ev, sig_ev) = (
            events(Some(0)),
            events(sock_i),
            events(listener_i),
            events(sig_i),
        );
        drop(fds);
        if !sock_ev.is_empty() {
            st.sock_open = read_record(s.sock.as_raw_fd(), &mut st) != Read::Closed;
        }
        if listener_ev.contains(PollFlags::POLLIN) {
            if let Some(l) = &st.listener {
                if let Ok(v) = sys::seccomp_notif_recv(l.as_raw_fd()) {
                    // Record the first violation, then end the whole
                    // sandbox: the offending call never runs.
                    st.violation.get_or_insert(v);
                    let _ = sys::pidfd_kill(pidfd, libc::SIGKILL);
                }
            }
        } else if !listener_ev.is_empty() {
            // Hang-up: no process uses the filter any more.
            st.listener = None;
        }
        if !sig_ev.is_empty() {
            if let Some(sigfd) = signals {
                if let Ok(Some(info)) = sigfd.read_signal() {
                    let _ = sys::pidfd_kill(pidfd, info.ssi_signo as i32);
                }
            }
        }
        if !init_ev.is_empty() {
            if let Some(status) = sys::wait_pidfd(pidfd, true)? {
                break status;
            }
        }
    };
    // Everything in the sandbox is gone once its init is reaped; collect
    // what it sent.
    while st.sock_open && read_record(s.sock.as_raw_fd(), &mut st) == Read::Record {}
    Ok(match (st.failure, st.violation, st.status) {
        (Some(f), _, _) => Outcome::SetupFailed(f),
        (None, Some((nr, arch)), _) => Outcome::SeccompViolation { nr, arch },
        _ if kill_at.is_some() => Outcome::TimedOut,
        (None, None, Some(status)) => from_wait_status(status),
        (None, None, None) => Outcome::Vanished(init_status),
    })
}

#[derive(PartialEq, Eq)]
enum Read {
    Record,
    Empty,
    Closed,
}

/// Reads one record (and a descriptor that comes with it) without blocking.
/// Malformed records are ignored: the sandbox is not trusted.
fn read_record(sock: RawFd, st: &mut State) -> Read {
    let mut buf = [0u8; RECORD_LEN + 1];
    let mut cmsg = nix::cmsg_space!([RawFd; 1]);
    let (n, fds) = {
        let mut iov = [IoSliceMut::new(&mut buf)];
        match recvmsg::<()>(
            sock,
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Ok(msg) => {
                let mut fds: Vec<OwnedFd> = Vec::new();
                if let Ok(cmsgs) = msg.cmsgs() {
                    for c in cmsgs {
                        if let ControlMessageOwned::ScmRights(raw) = c {
                            // Each received fd is new and ours alone.
                            fds.extend(raw.into_iter().map(sys::owned));
                        }
                    }
                }
                (msg.bytes, fds)
            }
            Err(Errno::EAGAIN | Errno::EINTR) => return Read::Empty,
            Err(_) => return Read::Closed,
        }
    };
    if n == 0 {
        return Read::Closed;
    }
    match Record::decode(&buf[..n]) {
        // The first failure is the cause; later ones are fallout.
        Some(Record::Failed(f)) => {
            st.failure.get_or_insert(f);
        }
        Some(Record::Status(status)) => st.status = Some(status),
        Some(Record::Listener) if st.listener.is_none() => {
            st.listener = fds.into_iter().next();
        }
        Some(Record::Listener) | None => {}
    }
    Read::Record
}
