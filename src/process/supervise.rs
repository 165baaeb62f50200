//! The launcher's wait loop: relays signals to the sandbox, enforces the
//! wall-time limit, collects the setup and status records, reaps the init.

use super::report::{Failure, Record, RECORD_LEN};
use super::Spawned;
use crate::sys;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signalfd::SignalFd;
use std::os::fd::{AsFd, AsRawFd};
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
            Outcome::SetupFailed(f) if f.stage == super::Stage::Exec => {
                if f.errno == nix::errno::Errno::ENOENT {
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

/// Waits for the sandbox to end. `signals` (when given) delivers the
/// launcher's own signals, which are forwarded to the payload.
pub fn supervise(
    s: Spawned,
    wall_time: Option<Duration>,
    signals: Option<&SignalFd>,
) -> std::io::Result<Outcome> {
    let deadline = wall_time.map(|d| Instant::now() + d);
    let mut kill_at: Option<Instant> = None;
    let mut failure: Option<Failure> = None;
    let mut status: Option<i32> = None;
    let mut sock_open = true;
    let pidfd = s.pidfd.as_raw_fd();
    let init_status = loop {
        let now = Instant::now();
        let wake = kill_at.or(deadline);
        let timeout = match wake {
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
        let mut fds = vec![PollFd::new(s.pidfd.as_fd(), PollFlags::POLLIN)];
        if sock_open {
            fds.push(PollFd::new(s.sock.as_fd(), PollFlags::POLLIN));
        }
        if let Some(sig) = signals {
            fds.push(PollFd::new(sig.as_fd(), PollFlags::POLLIN));
        }
        match poll(&mut fds, timeout) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
        let ready = |i: usize| {
            fds.get(i)
                .and_then(|f| f.revents())
                .is_some_and(|r| !r.is_empty())
        };
        let (init_ready, sock_ready) = (ready(0), sock_open && ready(1));
        let sig_ready = signals.is_some() && ready(if sock_open { 2 } else { 1 });
        drop(fds);
        if sock_ready {
            sock_open = read_record(&s, &mut failure, &mut status) != Read::Closed;
        }
        if sig_ready {
            if let Some(sigfd) = signals {
                if let Ok(Some(info)) = sigfd.read_signal() {
                    let _ = sys::pidfd_kill(pidfd, info.ssi_signo as i32);
                }
            }
        }
        if init_ready {
            if let Some(st) = sys::wait_pidfd(pidfd, true)? {
                break st;
            }
        }
    };
    // Everything in the sandbox is gone once its init is reaped; collect
    // what it sent.
    while sock_open && read_record(&s, &mut failure, &mut status) == Read::Record {}
    Ok(match (failure, status) {
        (Some(f), _) => Outcome::SetupFailed(f),
        _ if kill_at.is_some() => Outcome::TimedOut,
        (None, Some(st)) => from_wait_status(st),
        (None, None) => Outcome::Vanished(init_status),
    })
}

#[derive(PartialEq, Eq)]
enum Read {
    Record,
    Empty,
    Closed,
}

/// Reads one record without blocking.
fn read_record(s: &Spawned, failure: &mut Option<Failure>, status: &mut Option<i32>) -> Read {
    let mut buf = [0u8; RECORD_LEN + 1];
    match nix::sys::socket::recv(
        s.sock.as_raw_fd(),
        &mut buf,
        nix::sys::socket::MsgFlags::MSG_DONTWAIT,
    ) {
        Ok(0) => Read::Closed,
        Ok(n) => {
            match Record::decode(&buf[..n]) {
                // The first failure is the cause; later ones are fallout.
                Some(Record::Failed(f)) => {
                    failure.get_or_insert(f);
                }
                Some(Record::Status(st)) => *status = Some(st),
                None => {}
            }
            Read::Record
        }
        Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => Read::Empty,
        Err(_) => Read::Closed,
    }
}
