//! Facts about the launching host and every look at its filesystem that
//! resolution makes: the one place host state enters a policy.

use crate::policy::{under, Identity, Mount, MountOp};
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Facts about the invoking process that resolution depends on. Injected so
/// that resolution is testable without touching the real environment.
#[derive(Clone, Debug)]
pub struct Host {
    /// Real uid of the launcher.
    pub uid: u32,
    /// Real gid of the launcher.
    pub gid: u32,
    /// `${HOME}`.
    pub home: Option<String>,
    /// `${CWD}`: the launcher's working directory.
    pub cwd: PathBuf,
    /// `${USER}`: `$USER`, or `None` to look the uid up in the user
    /// database when a profile names `${USER}` (most never do, and the
    /// lookup reads /etc/passwd: a tenth of a start's launcher work).
    pub user: Option<String>,
    /// `${TMPDIR}` (`/tmp` when unset).
    pub tmpdir: String,
    /// The launcher's environment, for `env.keep`.
    pub env: Vec<(OsString, OsString)>,
}

impl Host {
    /// Facts of the running process.
    pub fn current() -> std::io::Result<Host> {
        Ok(Host {
            uid: nix::unistd::getuid().as_raw(),
            gid: nix::unistd::getgid().as_raw(),
            home: std::env::var("HOME").ok(),
            cwd: std::env::current_dir()?,
            user: std::env::var("USER").ok(),
            tmpdir: std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into()),
            env: std::env::vars_os().collect(),
        })
    }

    /// `${USER}`: [`Host::user`], else the name the user database gives
    /// the uid, else the uid.
    pub fn user_name(&self) -> String {
        self.user.clone().unwrap_or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(self.uid))
                .ok()
                .flatten()
                .map(|u| u.name)
                .unwrap_or_else(|| self.uid.to_string())
        })
    }
}

/// Host directories that other programs share, with their sockets (tmux,
/// ssh-agent, X11, D-Bus, systemd): a working directory may not expose
/// them by accident.
pub(super) fn shared_directories(host: &Host) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = [
        "/", "/tmp", "/var/tmp", "/dev/shm", "/run", "/var/run", "/home",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    dirs.extend(host.home.as_ref().map(PathBuf::from));
    dirs.iter()
        .map(|d| std::fs::canonicalize(d).unwrap_or_else(|_| d.clone()))
        .collect()
}

/// A bind whose host source is itself a symlink (`/bin -> usr/bin` on a
/// merged-/usr system) becomes the same symlink in the view when its target
/// is already bound there; otherwise it binds what the link points at. This
/// keeps the view identical to the host's layout with one mount for /usr.
pub(super) fn canonicalize_binds(mounts: &mut [Mount]) {
    // Each source resolved once (a readlink per component).
    let canonical: Vec<Option<PathBuf>> = mounts
        .iter()
        .map(|m| match &m.op {
            MountOp::Bind { src, .. } => std::fs::canonicalize(src).ok(),
            _ => None,
        })
        .collect();
    let identity_binds: Vec<(&Path, bool)> = mounts
        .iter()
        .zip(&canonical)
        .filter_map(|(m, canon)| match (&m.op, canon) {
            (
                MountOp::Bind {
                    src,
                    dest,
                    writable,
                    ..
                },
                Some(canon),
            ) if src == dest => Some((canon.as_path(), *writable)),
            _ => None,
        })
        .collect();
    for (m, canon) in mounts.iter_mut().zip(&canonical) {
        let MountOp::Bind {
            src,
            dest,
            writable,
            is_dir,
        } = &m.op
        else {
            continue;
        };
        let Some(canon) = canon else {
            continue;
        };
        if canon == src {
            continue;
        }
        let link = std::fs::read_link(src).ok();
        let covered = src == dest
            && identity_binds
                .iter()
                .any(|(b, w)| b != src && under(canon, b) && w == writable);
        m.op = match link {
            Some(target) if covered => MountOp::Symlink {
                dest: dest.clone(),
                target,
            },
            _ => MountOp::Bind {
                src: canon.clone(),
                dest: dest.clone(),
                writable: *writable,
                is_dir: *is_dir,
            },
        };
    }
}

/// Would the sandbox user be able to write `path` on the host?
pub(super) fn sandbox_can_write(path: &Path, id: &Identity) -> bool {
    if !id.launcher_is_root {
        // Rootless the sandbox user is the invoking user, groups included.
        return nix::unistd::access(path, nix::unistd::AccessFlags::W_OK).is_ok();
    }
    match std::fs::metadata(path) {
        Ok(meta) => mode_allows_write(
            meta.mode(),
            meta.uid(),
            meta.gid(),
            id.host_uid,
            id.host_gid,
        ),
        Err(_) => false,
    }
}

/// The write permission check of a file's mode bits for a process with no
/// supplementary groups and no capabilities on the host (uid 0 aside).
pub fn mode_allows_write(mode: u32, owner: u32, group: u32, uid: u32, gid: u32) -> bool {
    if uid == 0 {
        return true;
    }
    let bit = if uid == owner {
        0o200
    } else if gid == group {
        0o020
    } else {
        0o002
    };
    mode & bit != 0
}

/// The metadata of the host path `p`, following symlinks (a bind source).
pub(super) fn stat(p: &Path) -> std::io::Result<std::fs::Metadata> {
    std::fs::metadata(p)
}

/// Whether anything, a dangling symlink included, exists at host path `p`.
pub(super) fn exists_nofollow(p: &Path) -> bool {
    p.symlink_metadata().is_ok()
}
