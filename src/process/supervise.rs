//! The launcher's side of one sandbox: collects the setup, violation,
//! time-limit and status records and reaps the init, turning them into
//! events and an outcome. What must happen whatever the launcher does (the
//! seccomp kill, the time limit) happens inside the sandbox, in PID 1.

use super::report::{Failure, Record, Stage, RECORD_LEN, WITHDRAWN};
use super::spawn::Spawned;
use crate::sys;
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::MsgFlags;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How a sandbox run ended.
///
/// ```no_run
/// # use stockade::sandbox::*;
/// let mut child = Sandbox::from_profile("strict")?.args(["./plugin"]).spawn()?;
/// match child.wait()? {
///     Outcome::Exited(0) => {}
///     Outcome::SeccompViolation { .. } => eprintln!("the plugin tried something forbidden"),
///     o => eprintln!("{} (exit code {})", child.describe(o).unwrap_or_default(), o.exit_code()),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
    /// The host ended the sandbox (`Child::kill`, or dropping its `Child`).
    Killed,
    /// The kernel's OOM killer ended the sandbox at its cgroup's
    /// memory.max (the profile's `memory`).
    OutOfMemory,
    /// The sandbox's init ended without reporting (raw wait status).
    Vanished(i32),
}

impl Outcome {
    /// The launcher's exit code for this outcome.
    pub fn exit_code(&self) -> i32 {
        match *self {
            Outcome::Exited(c) => c,
            Outcome::Signaled(s) => 128 + s,
            Outcome::Killed | Outcome::OutOfMemory => 128 + libc::SIGKILL,
            Outcome::TimedOut => 124,
            // As if the kernel had killed it with SIGSYS.
            Outcome::SeccompViolation { .. } => 128 + libc::SIGSYS,
            Outcome::SetupFailed(f) if f.stage == Stage::Exec => {
                if f.errno.0 == libc::ENOENT {
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
#[derive(Debug, Default)]
struct State {
    applied: bool,
    failure: Option<Failure>,
    status: Option<i32>,
    violation: Option<(i32, u32)>,
    timed_out: bool,
    channel_socket: Option<OwnedFd>,
    terminal: Option<OwnedFd>,
    sock_open: bool,
    /// Stops reported and not yet returned as events.
    stops: std::collections::VecDeque<i32>,
    /// Setup steps reported and not yet returned as events.
    steps: std::collections::VecDeque<Stage>,
    /// Calls let through in learning mode, not yet returned as events.
    learned: std::collections::VecDeque<(i32, u32)>,
    /// How many of those there were (bounded: see `read_record`).
    learned_total: usize,
    /// When things happened.
    timeline: Timeline,
}

/// When a sandbox's setup steps started, when every layer was in place,
/// when its payload ended and when the launcher had it all cleaned up: on
/// CLOCK_MONOTONIC (the same clock inside and out), for a start-up
/// breakdown. Setup steps are reported only with
/// [`Sandbox::trace_setup`](crate::sandbox::Sandbox::trace_setup).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    /// Each setup step and when it started, in the order reported.
    pub steps: Vec<(Stage, Duration)>,
    /// Every layer applied; the payload about to exec.
    pub applied: Option<Duration>,
    /// The payload reaped by the sandbox's init.
    pub payload_ended: Option<Duration>,
    /// The init reaped by the launcher.
    pub init_reaped: Option<Duration>,
    /// The sandbox's cgroup removed too: nothing of it is left.
    pub cleaned_up: Option<Duration>,
}

/// Something the launcher learned about the sandbox, in order.
///
/// ```no_run
/// # use stockade::sandbox::*;
/// let mut child = Sandbox::from_profile("strict")?.args(["true"]).spawn()?;
/// assert_eq!(child.next_event(None)?, Some(Event::Applied));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A setup step starts (only with [`Sandbox::trace_setup`](crate::sandbox::Sandbox::trace_setup)).
    Step(Stage),
    /// Every layer is in place; the payload is about to exec.
    Applied,
    /// The payload was stopped by this signal (only with
    /// [`Sandbox::report_stops`](crate::sandbox::Sandbox::report_stops));
    /// it stays stopped until the host sends SIGCONT.
    Stopped(i32),
    /// Learning (only with [`Sandbox::learn`](crate::sandbox::Sandbox::learn)):
    /// the payload made a syscall its profile refuses and was let through;
    /// once per syscall.
    Learned {
        /// Syscall number.
        nr: i32,
        /// `AUDIT_ARCH_*` of the call.
        arch: u32,
    },
    /// The run is over.
    Ended(Outcome),
}

/// The launcher's side of a running sandbox: call [`Supervisor::poll`]
/// until it returns the outcome.
#[derive(Debug)]
pub struct Supervisor {
    s: Spawned,
    st: State,
    applied_reported: bool,
    killed: Arc<AtomicBool>,
    outcome: Option<Outcome>,
}

/// Kills or signals a sandbox from any thread, while its [`Supervisor`]
/// waits elsewhere. Holds its own reference to the init's pidfd, so it
/// never reaches a recycled pid.
#[derive(Debug)]
pub struct KillSwitch {
    pidfd: OwnedFd,
    killed: Arc<AtomicBool>,
}

impl KillSwitch {
    /// Kills the whole sandbox; unless it had already ended, the outcome
    /// is [`Outcome::Killed`].
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        let _ = sys::pidfd_kill(self.pidfd.as_fd(), libc::SIGKILL);
    }

    /// Sends `sig` to the sandbox's init, which forwards it to the payload.
    pub fn signal(&self, sig: i32) {
        let _ = sys::pidfd_kill(self.pidfd.as_fd(), sig);
    }

    /// The init's pidfd: readable once the sandbox is over.
    pub fn pidfd(&self) -> BorrowedFd<'_> {
        self.pidfd.as_fd()
    }
}

impl Supervisor {
    /// Starts supervising.
    pub fn new(s: Spawned) -> Supervisor {
        Supervisor {
            s,
            st: State {
                sock_open: true,
                ..State::default()
            },
            applied_reported: false,
            killed: Arc::new(AtomicBool::new(false)),
            outcome: None,
        }
    }

    /// The descriptors this supervisor waits on: the init's pidfd, and
    /// the setup socket while it is still open.
    pub fn fds(&self) -> (BorrowedFd<'_>, Option<BorrowedFd<'_>>) {
        (
            self.s.pidfd.as_fd(),
            self.st.sock_open.then(|| self.s.sock.as_fd()),
        )
    }

    /// The launcher's end of the setup socket.
    pub fn setup_socket(&self) -> BorrowedFd<'_> {
        self.s.sock.as_fd()
    }

    /// Kills the whole sandbox now; the outcome is then
    /// [`Outcome::Killed`] unless the payload had already ended.
    pub fn kill(&mut self) {
        self.killed.store(true, Ordering::SeqCst);
        let _ = sys::pidfd_kill(self.s.pidfd.as_fd(), libc::SIGKILL);
    }

    fn killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    /// A handle that kills or signals this sandbox from another thread.
    pub fn kill_switch(&self) -> std::io::Result<KillSwitch> {
        Ok(KillSwitch {
            pidfd: self.s.pidfd.try_clone()?,
            killed: Arc::clone(&self.killed),
        })
    }

    /// Waits up to `wait` for the channel's listening socket, which the
    /// sandbox's init binds in the view and sends before the payload
    /// starts. None when setup failed first or the time ran out.
    pub fn take_channel_socket(&mut self, wait: Duration) -> Option<OwnedFd> {
        self.take_attached(wait, |st| st.channel_socket.take())
    }

    /// Waits up to `wait` for the master of the payload's terminal, which
    /// the sandbox's init makes in the view and sends before the payload
    /// starts. None when setup failed first or the time ran out.
    pub fn take_terminal(&mut self, wait: Duration) -> Option<OwnedFd> {
        self.take_attached(wait, |st| st.terminal.take())
    }

    /// Reads records until `take` finds the descriptor it wants.
    fn take_attached(
        &mut self,
        wait: Duration,
        take: fn(&mut State) -> Option<OwnedFd>,
    ) -> Option<OwnedFd> {
        let end = Instant::now() + wait;
        loop {
            if let Some(fd) = take(&mut self.st) {
                return Some(fd);
            }
            let left = end.saturating_duration_since(Instant::now());
            if !self.st.sock_open || self.st.failure.is_some() || left.is_zero() {
                return None;
            }
            let mut fds = [PollFd::new(self.s.sock.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, sys::poll_timeout(left)) {
                Ok(0) | Err(Errno::EINTR) => continue,
                Ok(_) => {}
                Err(_) => return None,
            }
            self.st.sock_open = read_record(self.s.sock.as_fd(), &mut self.st) != Read::Closed;
        }
    }

    /// When things happened so far.
    pub fn timeline(&self) -> &Timeline {
        &self.st.timeline
    }

    /// Whether the kernel's OOM killer struck in the sandbox's cgroup.
    fn out_of_memory(&self) -> bool {
        self.s.cgroup.as_ref().is_some_and(|c| c.oom_kills() > 0)
    }

    /// Waits up to `wait` (forever with None) for the next event.
    pub fn poll(&mut self, wait: Option<Duration>) -> std::io::Result<Option<Event>> {
        let give_up = wait.map(|w| Instant::now() + w);
        // Even with no time to wait, look once at what is ready.
        let mut looked = false;
        loop {
            // Events in the order they happened: what the sandbox reported
            // (the last records may be read only once its init is reaped),
            // then the end.
            if let Some(stage) = self.st.steps.pop_front() {
                return Ok(Some(Event::Step(stage)));
            }
            if self.st.applied && !self.applied_reported {
                self.applied_reported = true;
                return Ok(Some(Event::Applied));
            }
            if let Some(sig) = self.st.stops.pop_front() {
                return Ok(Some(Event::Stopped(sig)));
            }
            if let Some((nr, arch)) = self.st.learned.pop_front() {
                return Ok(Some(Event::Learned { nr, arch }));
            }
            if let Some(o) = self.outcome {
                return Ok(Some(Event::Ended(o)));
            }
            let left = give_up.map(|g| g.saturating_duration_since(Instant::now()));
            if looked && left.is_some_and(|l| l.is_zero()) {
                return Ok(None);
            }
            looked = true;
            let timeout = match left {
                Some(l) => sys::poll_timeout(l),
                None => PollTimeout::NONE,
            };
            if let Some(status) = self.step(timeout)? {
                self.st.timeline.init_reaped = Some(sys::monotonic_now());
                // Everything in the sandbox is gone once its init is
                // reaped; collect what it sent.
                while self.st.sock_open
                    && read_record(self.s.sock.as_fd(), &mut self.st) == Read::Record
                {
                }
                let st = &self.st;
                // A notification withdrawn while stockade itself was ending
                // the sandbox is the kill's doing, not the payload's.
                let ending = self.killed() || st.timed_out;
                let violation = st.violation.filter(|v| !(ending && v.0 == WITHDRAWN));
                let o = match (st.failure, violation, st.status) {
                    (Some(f), _, _) => Outcome::SetupFailed(f),
                    (None, Some((nr, arch)), _) => Outcome::SeccompViolation { nr, arch },
                    _ if st.timed_out => Outcome::TimedOut,
                    _ if self.out_of_memory() => Outcome::OutOfMemory,
                    (None, None, Some(status)) => from_wait_status(status),
                    (None, None, None) if self.killed() => Outcome::Killed,
                    (None, None, None) => Outcome::Vanished(status),
                };
                self.outcome = Some(o);
                // Every process of the sandbox is gone: its cgroup goes too.
                drop(self.s.cgroup.take());
                self.st.timeline.cleaned_up = Some(sys::monotonic_now());
                // Report what was read last first (the loop's top).
                continue;
            }
        }
    }

    /// One poll round; returns init's wait status once it has been reaped.
    fn step(&mut self, timeout: PollTimeout) -> std::io::Result<Option<i32>> {
        let st = &mut self.st;
        // The init, then the socket while it is open.
        let mut fds = vec![PollFd::new(self.s.pidfd.as_fd(), PollFlags::POLLIN)];
        if st.sock_open {
            fds.push(PollFd::new(self.s.sock.as_fd(), PollFlags::POLLIN));
        }
        match poll(&mut fds, timeout) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
        let ready = |i: usize| fds.get(i).and_then(PollFd::any).unwrap_or(false);
        let (init_ready, sock_ready) = (ready(0), ready(1));
        drop(fds);
        if sock_ready {
            st.sock_open = read_record(self.s.sock.as_fd(), st) != Read::Closed;
        }
        if init_ready {
            return sys::wait_pidfd(self.s.pidfd.as_fd(), true).map_err(Into::into);
        }
        Ok(None)
    }
}

#[derive(PartialEq, Eq)]
enum Read {
    Record,
    Empty,
    Closed,
}

/// Reads one record (and a descriptor that comes with it) without blocking.
/// Malformed records are ignored: the sandbox is not trusted.
fn read_record(sock: BorrowedFd<'_>, st: &mut State) -> Read {
    let mut buf = [0u8; RECORD_LEN + 1];
    // A child that ended with its release unread left its failure record
    // behind a reset, which `recv_with_fds` reads past.
    let (n, fds) = match sys::recv_with_fds::<1>(sock, &mut buf, MsgFlags::MSG_DONTWAIT) {
        Ok(m) => (m.len, m.fds),
        Err(Errno::EAGAIN | Errno::EINTR) => return Read::Empty,
        Err(_) => return Read::Closed,
    };
    if n == 0 {
        return Read::Closed;
    }
    match Record::decode(&buf[..n]) {
        // The first failure is the cause; later ones are fallout.
        Some(Record::Failed(f)) => {
            st.failure.get_or_insert(f);
        }
        Some(Record::Status(status, t)) => {
            st.status = Some(status);
            st.timeline.payload_ended = Some(Duration::from_nanos(t));
        }
        Some(Record::Applied(t)) => {
            st.applied = true;
            st.timeline.applied = Some(Duration::from_nanos(t));
        }
        Some(Record::TimedOut) => st.timed_out = true,
        Some(Record::Violation { nr, arch }) => {
            st.violation.get_or_insert((nr, arch));
        }
        Some(Record::ChannelSocket) if st.channel_socket.is_none() => {
            st.channel_socket = fds.into_iter().next();
        }
        Some(Record::Step(stage, t)) => {
            st.steps.push_back(stage);
            st.timeline.steps.push((stage, Duration::from_nanos(t)));
        }
        Some(Record::Terminal) if st.terminal.is_none() => {
            st.terminal = fds.into_iter().next();
        }
        // One pending stop is enough to act on: a payload that stops and
        // continues itself in a loop cannot grow the queue.
        Some(Record::Stopped(sig)) if st.stops.is_empty() => st.stops.push_back(sig),
        // The warden reports each syscall below 1024 once, and any other
        // number each time it is made: no more than this many are kept.
        Some(Record::Learned { nr, arch }) if st.learned_total < 4096 => {
            st.learned_total += 1;
            st.learned.push_back((nr, arch));
        }
        Some(
            Record::ChannelSocket | Record::Terminal | Record::Stopped(_) | Record::Learned { .. },
        )
        | None => {}
    }
    Read::Record
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::report::{Failure, Record, Stage};

    /// A child that ends with the launcher's release unread: the kernel
    /// reports a reset first, and its failure record is still read.
    #[test]
    fn a_failure_record_behind_a_reset_is_read() {
        let (launcher, child) = sys::seqpacket_pair().unwrap();
        let f = Failure {
            stage: Stage::AwaitIdMaps,
            index: 0,
            errno: crate::diag::OsError(libc::EAGAIN),
        };
        sys::send(child.as_fd(), &Record::Failed(f).encode()).unwrap();
        sys::send(launcher.as_fd(), b"g").unwrap();
        drop(child);
        let mut st = State::default();
        assert!(read_record(launcher.as_fd(), &mut st) == Read::Record);
        assert_eq!(st.failure, Some(f));
        assert!(read_record(launcher.as_fd(), &mut st) == Read::Closed);
    }
}
