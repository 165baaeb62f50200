//! Launcher side of the start: clone the child into its new namespaces,
//! write its id maps, release it.
//!
//! Global invariant: the code the clone runs (`child::run`) is
//! async-signal-safe and allocates nothing, so `spawn` may be called from a
//! multi-threaded process.
#![allow(unsafe_code)]

use super::cgroup::SandboxCgroup;
use super::child;
use crate::diag::OsError;
use crate::plan::Plan;
use crate::sys;
use nix::errno::Errno;
use std::os::fd::{AsFd, OwnedFd};

/// Errors while starting the sandbox.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// socketpair failed.
    #[error("cannot create the setup socket: {0}")]
    Socket(OsError),
    /// clone3 failed.
    #[error("cannot create the sandbox namespaces: {errno}{}", hint_for_clone(*.errno))]
    Clone {
        /// Why.
        errno: OsError,
    },
    /// Writing /proc/PID/{uid_map,gid_map,setgroups} failed.
    #[error("cannot write {file} for the sandbox: {err}")]
    IdMap {
        /// Which file.
        file: &'static str,
        /// Why.
        err: std::io::Error,
    },
    /// Releasing the child failed.
    #[error("cannot release the sandbox child: {0}")]
    Release(Errno),
    /// `require_cgroup` is set and no cgroup could be made.
    #[error(
        "cannot give the sandbox a cgroup: {0}\n  hint: limits.require_cgroup is set: run as root, \
         pass --cgroup-parent with a cgroup delegated to you, or remove require_cgroup to fall back \
         to rlimits"
    )]
    Cgroup(String),
}

fn hint_for_clone(e: OsError) -> &'static str {
    match e.0 {
        libc::EPERM | libc::EACCES => {
            "\n  hint: unprivileged user namespaces are disabled or restricted here; check \
             sysctl kernel.unprivileged_userns_clone, user.max_user_namespaces and \
             kernel.apparmor_restrict_unprivileged_userns (`stockade doctor` says which)"
        }
        libc::ENOSPC => {
            "\n  hint: user.max_user_namespaces (or another namespace limit) is exhausted"
        }
        libc::ENOSYS | libc::EINVAL => "\n  hint: stockade needs Linux 5.12 or newer",
        _ => "",
    }
}

/// A started sandbox, as the launcher holds it.
#[derive(Debug)]
pub(crate) struct Spawned {
    /// PID of the sandbox's init, in the launcher's PID namespace.
    pub(crate) pid: libc::pid_t,
    /// pidfd of the init, for race-free signalling and waiting.
    pub(crate) pidfd: OwnedFd,
    /// Launcher end of the setup socket: failure and status records arrive here.
    pub(crate) sock: OwnedFd,
    /// The sandbox's own cgroup, when it has one (boxed: the watch
    /// thread moves supervisors around).
    pub(crate) cgroup: Option<Box<SandboxCgroup>>,
}

/// Starts the sandbox described by `plan`. On error nothing is left behind:
/// a child that was already cloned is killed and reaped.
pub(crate) fn spawn(plan: &Plan, cgroup: Option<SandboxCgroup>) -> Result<Spawned, SpawnError> {
    let into = cgroup.as_ref().map(SandboxCgroup::dir);
    let (parent_sock, child_sock) =
        sys::seqpacket_pair().map_err(|e| SpawnError::Socket(OsError::of(e)))?;
    // Slots for the child's source and tree descriptors, allocated here
    // because the child may not allocate.
    let mut slots: Vec<Option<OwnedFd>> = Vec::new();
    slots.resize_with(plan.sources.len() + plan.trees, || None);
    // SAFETY: the child runs `child::run_from_child`, which only reads the
    // plan (its own copy), fills `slots` (its own copy), calls
    // async-signal-safe sys wrappers and ends in execve or _exit; it never
    // returns here.
    let (pid, pidfd) = match unsafe { sys::clone_pidfd(plan.clone_flags, into) } {
        Ok((0, _)) => child::run_from_child(plan, &mut slots, child_sock.as_fd(), parent_sock),
        Ok((pid, Some(pidfd))) => (pid, pidfd),
        Ok((_, None)) => {
            return Err(SpawnError::Clone {
                errno: OsError(libc::EBADF),
            })
        }
        Err(errno) => {
            return Err(SpawnError::Clone {
                errno: OsError::of(errno),
            })
        }
    };
    drop(child_sock);
    let spawned = Spawned {
        pid,
        pidfd,
        sock: parent_sock,
        cgroup: cgroup.map(Box::new),
    };
    if let Err(e) = release(plan, &spawned) {
        let _ = sys::pidfd_kill(spawned.pidfd.as_fd(), libc::SIGKILL);
        let _ = sys::wait_pidfd(spawned.pidfd.as_fd(), false);
        return Err(e);
    }
    Ok(spawned)
}

/// Writes the id maps and lets the child go on. A child that failed
/// before it waits for them (its helper thread not started under a
/// process limit, say) has sent its failure record and ended: what failed
/// is in that record, which the supervision reads, not in the maps of a
/// process that is gone (nor a SIGPIPE from releasing it).
fn release(plan: &Plan, s: &Spawned) -> Result<(), SpawnError> {
    match write_id_maps(plan, s) {
        Err(_) if sys::peer_closed(s.sock.as_fd()) => Ok(()),
        r => r,
    }
}

fn write_id_maps(plan: &Plan, s: &Spawned) -> Result<(), SpawnError> {
    let write = |file: &'static str, text: &str| {
        std::fs::write(format!("/proc/{}/{file}", s.pid), text)
            .map_err(|err| SpawnError::IdMap { file, err })
    };
    // Unprivileged, setgroups must be denied before gid_map can be written
    // (user_namespaces(7)); it also stops the payload from dropping a group
    // that denies it access.
    if plan.deny_setgroups {
        write("setgroups", "deny")?;
    }
    write("gid_map", &plan.gid_map)?;
    write("uid_map", &plan.uid_map)?;
    sys::send(s.sock.as_fd(), b"g")
        .map(drop)
        .map_err(SpawnError::Release)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A child that has ended cannot take its id maps or its release:
    /// release leaves the failure to the child's record (and sends
    /// without SIGPIPE, which would end a command-line launcher), while a
    /// child still there gets the error.
    #[test]
    fn releasing_a_child_that_is_gone_leaves_the_failure_to_its_record() {
        let plan = crate::plan::strict_plan();
        let (sock, child) = sys::seqpacket_pair().unwrap();
        let s = Spawned {
            // No process has this id (pid_max is at most 2^22).
            pid: i32::MAX,
            pidfd: std::fs::File::open("/dev/null").unwrap().into(),
            sock,
            cgroup: None,
        };
        assert!(matches!(release(&plan, &s), Err(SpawnError::IdMap { .. })));
        drop(child);
        assert!(release(&plan, &s).is_ok());
    }
}
