//! What the sandbox tells the launcher over the setup socket: fixed-size
//! records (a setup failure `{stage, index, errno}`, the payload's wait
//! status, a violation, ...), encoded by hand into 16 bytes so the child
//! never allocates, and the helpers the child sends them with.

use crate::diag::OsError;
use crate::sys;
use nix::errno::Errno;
use std::os::fd::BorrowedFd;

/// Exit code of the child when setup failed (the record says why).
pub(crate) const SETUP_FAILED: libc::c_int = 125;

/// The syscall number a violation record carries when a signal withdrew
/// the notification before the warden read it (the call is unknown).
pub(crate) const WITHDRAWN: i32 = -1;

/// The sandbox's setup steps, numbered in the order they run: PID 1
/// before the fork (1–18), the payload (19–27), PID 1 after the fork
/// (28). ARCHITECTURE.md lists the same steps with the same numbers, and a
/// test checks both against what a real sandbox runs. A failure names one.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for the launcher to write uid_map/gid_map.
    AwaitIdMaps = 1,
    /// Making every mount private so nothing propagates to the host.
    PrivateMounts,
    /// Opening bind sources while still holding the launcher's identity.
    OpenSources,
    /// Cloning each bind's source tree (read-only where declared).
    CloneSources,
    /// Writing the sandbox namespaces' sysctls (quotas, memfd_noexec).
    NamespaceSysctls,
    /// Switching to the sandbox user (capabilities in the namespace kept).
    SwitchIds,
    /// Mounting the empty tmpfs that becomes the root.
    RootTmpfs,
    /// Applying the filesystem operations.
    Mounts,
    /// pivot_root into the new root and detaching the old one.
    PivotRoot,
    /// Making the root read-only.
    SealRoot,
    /// Setting the hostname.
    Hostname,
    /// Joining the network namespace (its loopback up unless nothing could
    /// use it) that a thread of PID 1 has made meanwhile (started before
    /// step 1).
    Network,
    /// Adding the Landlock path rules (in the view, before the fork).
    LandlockRules,
    /// Creating the channel's listening socket in the view and handing it
    /// to the launcher.
    ChannelSocket,
    /// Creating the payload's pseudo-terminal in the view's devpts and
    /// handing its master to the launcher.
    Terminal,
    /// Moving the setup socket and the ruleset above every descriptor
    /// number the payload receives.
    ParkFds,
    /// Starting, or running, the warden thread that receives the
    /// payload's seccomp notifications.
    Warden,
    /// Forking the payload from PID 1.
    ForkPayload,
    /// setsid: the payload loses the launcher's controlling terminal
    /// (TIOCSTI), and takes the sandbox's own terminal, if any, as its own.
    NewSession,
    /// Changing to the working directory.
    Chdir,
    /// Setting resource limits (before capabilities go: raising a hard
    /// limit needs CAP_SYS_RESOURCE).
    Rlimits,
    /// Placing the payload's descriptors and closing every other one.
    Fds,
    /// Dropping every capability and locking securebits.
    DropCaps,
    /// Setting no_new_privs.
    NoNewPrivs,
    /// Landlock restrict_self (after no_new_privs, which it requires).
    Landlock,
    /// Installing the seccomp filters (last: nothing after it but exec).
    Seccomp,
    /// Executing the command.
    Exec,
    /// PID 1 installing its own filter (after the payload is forked).
    InitFilter,
}

impl Stage {
    /// Every stage, in order.
    pub(crate) const ALL: [Stage; 28] = [
        Stage::AwaitIdMaps,
        Stage::PrivateMounts,
        Stage::OpenSources,
        Stage::CloneSources,
        Stage::NamespaceSysctls,
        Stage::SwitchIds,
        Stage::RootTmpfs,
        Stage::Mounts,
        Stage::PivotRoot,
        Stage::SealRoot,
        Stage::Hostname,
        Stage::Network,
        Stage::LandlockRules,
        Stage::ChannelSocket,
        Stage::Terminal,
        Stage::ParkFds,
        Stage::Warden,
        Stage::ForkPayload,
        Stage::NewSession,
        Stage::Chdir,
        Stage::Rlimits,
        Stage::Fds,
        Stage::DropCaps,
        Stage::NoNewPrivs,
        Stage::Landlock,
        Stage::Seccomp,
        Stage::Exec,
        Stage::InitFilter,
    ];

    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Stage::AwaitIdMaps => "id maps",
            Stage::PrivateMounts => "private mounts",
            Stage::OpenSources => "bind sources",
            Stage::CloneSources => "bind trees",
            Stage::SwitchIds => "sandbox user",
            Stage::NamespaceSysctls => "namespace sysctls",
            Stage::RootTmpfs => "root tmpfs",
            Stage::Mounts => "filesystem",
            Stage::PivotRoot => "pivot_root",
            Stage::SealRoot => "read-only root",
            Stage::Hostname => "hostname",
            Stage::Network => "network",
            Stage::LandlockRules => "landlock rules",
            Stage::ChannelSocket => "channel socket",
            Stage::Terminal => "terminal",
            Stage::ForkPayload => "fork payload",
            Stage::NewSession => "new session",
            Stage::Chdir => "working directory",
            Stage::Rlimits => "resource limits",
            Stage::ParkFds => "setup descriptors",
            Stage::Fds => "file descriptors",
            Stage::DropCaps => "capabilities",
            Stage::NoNewPrivs => "no_new_privs",
            Stage::Landlock => "landlock",
            Stage::Seccomp => "seccomp",
            Stage::Exec => "exec",
            Stage::InitFilter => "init filter",
            Stage::Warden => "seccomp warden",
        }
    }

    fn from_u32(v: u32) -> Option<Stage> {
        Stage::ALL.iter().copied().find(|s| *s as u32 == v)
    }
}

/// A failed setup step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Which step.
    pub stage: Stage,
    /// Which item of the step (mount step, source, exec candidate).
    pub index: u32,
    /// Why.
    pub errno: OsError,
}

/// A record from the sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// Setup failed; the sandbox is exiting.
    Failed(Failure),
    /// The payload ended with this raw wait status, reaped at this time
    /// (CLOCK_MONOTONIC, nanoseconds).
    Status(i32, u64),
    /// The payload made a syscall its filter kills (`nr` is
    /// [`WITHDRAWN`] when a signal withdrew the
    /// notification first); the warden has killed the payload.
    Violation {
        /// Syscall number.
        nr: i32,
        /// `AUDIT_ARCH_*` of the call.
        arch: u32,
    },
    /// The channel's listening socket (in the sandbox's view) is attached.
    ChannelSocket,
    /// Every layer is applied; the payload is about to exec (at this time,
    /// CLOCK_MONOTONIC nanoseconds).
    Applied(u64),
    /// The wall-time limit was reached; PID 1 is stopping the payload.
    TimedOut,
    /// A setup step starts (only when the plan asks for a trace), at this
    /// time (CLOCK_MONOTONIC, nanoseconds).
    Step(Stage, u64),
    /// The payload's pseudo-terminal master is attached.
    Terminal,
    /// The payload was stopped by this signal (only when the plan asks
    /// for stops to be reported).
    Stopped(i32),
    /// Learning: the payload made a syscall its filter refuses, and the
    /// warden let it through (reported once per syscall).
    Learned {
        /// Syscall number.
        nr: i32,
        /// `AUDIT_ARCH_*` of the call.
        arch: u32,
    },
}

/// Size of an encoded record.
pub const RECORD_LEN: usize = 16;
const KIND_FAILED: u32 = 1;
const KIND_STATUS: u32 = 2;
const KIND_VIOLATION: u32 = 3;
const KIND_APPLIED: u32 = 4;
const KIND_CHANNEL_SOCKET: u32 = 5;
const KIND_TIMED_OUT: u32 = 6;
const KIND_STEP: u32 = 7;
const KIND_TERMINAL: u32 = 8;
const KIND_STOPPED: u32 = 9;
const KIND_LEARNED: u32 = 10;

impl Record {
    /// Encodes without allocating.
    pub fn encode(self) -> [u8; RECORD_LEN] {
        let (kind, a, b, c) = match self {
            Record::Failed(f) => (KIND_FAILED, f.stage as u32, f.index, f.errno.0),
            Record::Status(s, t) => (KIND_STATUS, t as u32, (t >> 32) as u32, s),
            Record::Violation { nr, arch } => (KIND_VIOLATION, arch, 0, nr),
            Record::Applied(t) => (KIND_APPLIED, t as u32, (t >> 32) as u32, 0),
            Record::ChannelSocket => (KIND_CHANNEL_SOCKET, 0, 0, 0),
            Record::TimedOut => (KIND_TIMED_OUT, 0, 0, 0),
            Record::Step(stage, t) => (KIND_STEP, stage as u32, t as u32, (t >> 32) as i32),
            Record::Terminal => (KIND_TERMINAL, 0, 0, 0),
            Record::Stopped(sig) => (KIND_STOPPED, 0, 0, sig),
            Record::Learned { nr, arch } => (KIND_LEARNED, arch, 0, nr),
        };
        let mut out = [0u8; RECORD_LEN];
        for (chunk, word) in out.chunks_exact_mut(4).zip([kind, a, b, c as u32]) {
            chunk.copy_from_slice(&word.to_ne_bytes());
        }
        out
    }

    /// Decodes a record; `None` for anything malformed.
    pub fn decode(buf: &[u8]) -> Option<Record> {
        if buf.len() != RECORD_LEN {
            return None;
        }
        let mut words = [0u32; 4];
        for (w, chunk) in words.iter_mut().zip(buf.chunks_exact(4)) {
            *w = u32::from_ne_bytes(chunk.try_into().ok()?);
        }
        let [kind, a, b, c] = words;
        match kind {
            KIND_FAILED => Some(Record::Failed(Failure {
                stage: Stage::from_u32(a)?,
                index: b,
                errno: OsError(c as i32),
            })),
            KIND_STATUS => Some(Record::Status(c as i32, time(a, b))),
            KIND_VIOLATION => Some(Record::Violation {
                nr: c as i32,
                arch: a,
            }),
            KIND_APPLIED => Some(Record::Applied(time(a, b))),
            KIND_CHANNEL_SOCKET => Some(Record::ChannelSocket),
            KIND_TIMED_OUT => Some(Record::TimedOut),
            KIND_STEP => Some(Record::Step(Stage::from_u32(a)?, time(b, c))),
            KIND_TERMINAL => Some(Record::Terminal),
            KIND_STOPPED => Some(Record::Stopped(c as i32)),
            KIND_LEARNED => Some(Record::Learned {
                nr: c as i32,
                arch: a,
            }),
            _ => None,
        }
    }
}

/// A time sent as two 32-bit halves.
fn time(lo: u32, hi: u32) -> u64 {
    u64::from(lo) | u64::from(hi) << 32
}

/// Now on CLOCK_MONOTONIC, in nanoseconds (the clock every record's time
/// is on; async-signal-safe).
pub(crate) fn now_ns() -> u64 {
    sys::monotonic_now().as_nanos() as u64
}

/// Sends a record from the sandbox; failure to send is ignored (the
/// launcher then reports the exit status alone).
pub(crate) fn send_from_child(sock: BorrowedFd<'_>, r: Record) {
    let _ = sys::write(sock, &r.encode());
}

/// Reports a failed setup step and ends the process.
pub(crate) fn fail_from_child(sock: BorrowedFd<'_>, stage: Stage, index: u32, errno: Errno) -> ! {
    let errno = OsError::of(errno);
    send_from_child(
        sock,
        Record::Failed(Failure {
            stage,
            index,
            errno,
        }),
    );
    sys::exit(SETUP_FAILED)
}

/// A setup step's result: a failure names its stage and item.
pub(super) type Setup<T> = Result<T, Failure>;

/// Tags a system call's error with the stage and item it belongs to.
pub(super) fn at<T>(stage: Stage, index: usize, r: sys::SysResult<T>) -> Setup<T> {
    r.map_err(|errno| Failure {
        stage,
        index: index as u32,
        errno: OsError::of(errno),
    })
}

/// Starts `stage`: with the plan's trace on, tells the launcher first.
pub(super) fn enter(plan: &crate::plan::Plan, sock: BorrowedFd<'_>, stage: Stage) {
    if plan.trace {
        send_from_child(sock, Record::Step(stage, now_ns()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_garbage_is_refused() {
        let f = Record::Failed(Failure {
            stage: Stage::Mounts,
            index: 7,
            errno: OsError(libc::ENOENT),
        });
        assert_eq!(Record::decode(&f.encode()), Some(f));
        let s = Record::Status(0x0100, 0x1234_5678_9abc_def0);
        assert_eq!(Record::decode(&s.encode()), Some(s));
        let v = Record::Violation {
            nr: -1,
            arch: 0xc000_003e,
        };
        assert_eq!(Record::decode(&v.encode()), Some(v));
        for r in [
            Record::Applied(u64::MAX),
            Record::ChannelSocket,
            Record::TimedOut,
            Record::Step(Stage::Exec, 1 << 40),
            Record::Terminal,
            Record::Stopped(libc::SIGTSTP),
        ] {
            assert_eq!(Record::decode(&r.encode()), Some(r));
        }
        assert_eq!(Record::decode(&[0u8; 16]), None);
        assert_eq!(Record::decode(&[1u8; 3]), None);
        let mut bad = f.encode();
        bad[4] = 200;
        assert_eq!(Record::decode(&bad), None);
    }

    #[test]
    fn stages_are_numbered_in_execution_order() {
        for (i, s) in Stage::ALL.iter().enumerate() {
            assert_eq!(*s as usize, i + 1);
            assert_eq!(Stage::from_u32(*s as u32), Some(*s));
        }
    }
}
