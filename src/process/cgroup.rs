//! Launcher side: the sandbox's own cgroup v2, made before the clone (the
//! child starts in it with `CLONE_INTO_CGROUP`), read for OOM kills and
//! removed once the sandbox is reaped.
//!
//! Every step is descriptor-based below the cgroup v2 mount (`openat2`
//! beneath it, no symlinks, `mkdirat`/`unlinkat` on directory
//! descriptors), so a local user who can write a delegated parent cannot
//! redirect the launcher.

use crate::policy::CgroupLimits;
use crate::sys::{self, CWD};
use nix::errno::Errno;
use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The top-level cgroup a root launcher puts its sandboxes under.
const DEFAULT_PARENT: &str = "stockade";

/// A sandbox's cgroup, alive from before the clone until it is removed.
#[derive(Debug)]
pub(crate) struct SandboxCgroup {
    parent: OwnedFd,
    name: CString,
    dir: OwnedFd,
    /// Where it is, for messages.
    pub(crate) path: PathBuf,
}

/// Why no cgroup could be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unavailable(pub(crate) String);

fn os(what: &str, path: &Path, e: Errno) -> Unavailable {
    Unavailable(format!("{what} {}: {}", path.display(), e.desc()))
}

/// Where cgroup v2 is mounted, from the mount table.
pub(crate) fn cgroup2_mount() -> Option<PathBuf> {
    let table = crate::sys::read_proc("/proc/self/mountinfo")?;
    table.lines().find_map(|l| {
        let (left, right) = l.split_once(" - ")?;
        let fstype = right.split_whitespace().next()?;
        let mountpoint = left.split_whitespace().nth(4)?;
        (fstype == "cgroup2").then(|| PathBuf::from(mountpoint.replace("\\040", " ")))
    })
}

fn cstr(s: &str) -> CString {
    CString::new(s).unwrap_or_default()
}

/// Opens the directory `rel` (no `..`, no symlink) beneath `root`.
fn open_beneath(root: BorrowedFd<'_>, rel: &Path) -> Result<OwnedFd, Errno> {
    let rel = if rel.as_os_str().is_empty() {
        c".".to_owned()
    } else {
        CString::new(rel.as_os_str().as_bytes()).map_err(|_| Errno::EINVAL)?
    };
    let resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
    let flags = libc::O_DIRECTORY | libc::O_CLOEXEC | libc::O_RDONLY;
    sys::openat2(root, &rel, flags, 0, resolve)
}

fn write_at(dir: BorrowedFd<'_>, file: &CStr, value: &str) -> Result<(), Errno> {
    let fd = sys::openat(
        dir,
        file,
        libc::O_WRONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW,
        0,
    )?;
    match sys::write(fd.as_fd(), value.as_bytes()) {
        Ok(n) if n == value.len() => Ok(()),
        Ok(_) => Err(Errno::EIO),
        Err(e) => Err(e),
    }
}

fn read_at(dir: BorrowedFd<'_>, file: &CStr) -> Result<String, Errno> {
    let fd = sys::openat(
        dir,
        file,
        libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW,
        0,
    )?;
    let mut buf = vec![0u8; 4096];
    let n = sys::read(fd.as_fd(), &mut buf)?;
    buf.truncate(n);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// The controllers `limits` needs.
fn controllers(limits: &CgroupLimits) -> Vec<&'static str> {
    let mut c = Vec::new();
    if limits.memory.is_some() {
        c.push("memory");
    }
    if limits.pids.is_some() {
        c.push("pids");
    }
    if limits.cpu.is_some() {
        c.push("cpu");
    }
    c
}

/// Makes the sandbox's cgroup with `limits` set, or says why it cannot.
pub(crate) fn create(limits: &CgroupLimits) -> Result<SandboxCgroup, Unavailable> {
    let mount = cgroup2_mount().ok_or_else(|| Unavailable("no cgroup v2 is mounted".into()))?;
    let root = sys::openat(
        CWD,
        &CString::new(mount.as_os_str().as_bytes()).map_err(|_| Unavailable("bad mount".into()))?,
        libc::O_DIRECTORY | libc::O_CLOEXEC | libc::O_RDONLY,
        0,
    )
    .map_err(|e| os("cannot open", &mount, e))?;
    let want = controllers(limits);
    let parent_rel: PathBuf = match &limits.parent {
        Some(p) => p.strip_prefix(&mount).unwrap_or(p).to_path_buf(),
        None if nix::unistd::geteuid().is_root() => {
            // The top level: the root cgroup may hold processes and still
            // hand controllers down; stockade's own cgroup holds none.
            let available = read_at(root.as_fd(), c"cgroup.controllers").unwrap_or_default();
            let missing: Vec<&str> = want
                .iter()
                .copied()
                .filter(|c| !available.split_whitespace().any(|a| a == *c))
                .collect();
            if !missing.is_empty() {
                return Err(Unavailable(format!(
                    "this kernel's cgroup v2 at {} has no {} controller",
                    mount.display(),
                    missing.join(", ")
                )));
            }
            enable(root.as_fd(), &want)
                .map_err(|e| os("cannot enable controllers in", &mount, e))?;
            match sys::mkdirat(root.as_fd(), &cstr(DEFAULT_PARENT), 0o755) {
                Ok(()) | Err(Errno::EEXIST) => {}
                Err(e) => return Err(os("cannot create", &mount.join(DEFAULT_PARENT), e)),
            }
            PathBuf::from(DEFAULT_PARENT)
        }
        None => {
            return Err(Unavailable(
                "a rootless launcher needs a delegated cgroup (--cgroup-parent)".into(),
            ))
        }
    };
    let parent_path = mount.join(&parent_rel);
    let parent =
        open_beneath(root.as_fd(), &parent_rel).map_err(|e| os("cannot open", &parent_path, e))?;
    let available = read_at(parent.as_fd(), c"cgroup.controllers").unwrap_or_default();
    if let Some(c) = want
        .iter()
        .find(|c| !available.split_whitespace().any(|a| a == **c))
    {
        return Err(Unavailable(format!(
            "the {c} controller is not available in {}",
            parent_path.display()
        )));
    }
    enable(parent.as_fd(), &want)
        .map_err(|e| os("cannot enable controllers in", &parent_path, e))?;
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "sandbox-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let cname = cstr(&name);
    let path = parent_path.join(&name);
    sys::mkdirat(parent.as_fd(), &cname, 0o755).map_err(|e| os("cannot create", &path, e))?;
    let made = (|| {
        let dir = open_beneath(parent.as_fd(), Path::new(&name))?;
        if let Some(m) = limits.memory {
            write_at(dir.as_fd(), c"memory.max", &m.to_string())?;
            // Without swap accounting the file is absent: nothing to cap.
            match write_at(dir.as_fd(), c"memory.swap.max", "0") {
                Ok(()) | Err(Errno::ENOENT) => {}
                Err(e) => return Err(e),
            }
            // One OOM kill takes the whole sandbox, as one unit.
            write_at(dir.as_fd(), c"memory.oom.group", "1")?;
        }
        if let Some(p) = limits.pids {
            write_at(dir.as_fd(), c"pids.max", &p.to_string())?;
        }
        if let Some(cpus) = limits.cpu {
            let period = 100_000u64;
            let quota = ((cpus * period as f64) as u64).max(1000);
            write_at(dir.as_fd(), c"cpu.max", &format!("{quota} {period}"))?;
        }
        Ok(dir)
    })();
    match made {
        Ok(dir) => Ok(SandboxCgroup {
            parent,
            name: cname,
            dir,
            path,
        }),
        Err(e) => {
            let _ = sys::rmdirat(parent.as_fd(), &cname);
            Err(os("cannot set the limits of", &path, e))
        }
    }
}

/// Adds `controllers` to `dir`'s cgroup.subtree_control (those already
/// there are kept).
fn enable(dir: BorrowedFd<'_>, controllers: &[&str]) -> Result<(), Errno> {
    let on = read_at(dir, c"cgroup.subtree_control").unwrap_or_default();
    let add: Vec<String> = controllers
        .iter()
        .filter(|c| !on.split_whitespace().any(|o| o == **c))
        .map(|c| format!("+{c}"))
        .collect();
    if add.is_empty() {
        return Ok(());
    }
    write_at(dir, c"cgroup.subtree_control", &add.join(" "))
}

impl SandboxCgroup {
    /// The directory, for `CLONE_INTO_CGROUP`.
    pub(crate) fn dir(&self) -> BorrowedFd<'_> {
        self.dir.as_fd()
    }

    /// How many processes the kernel's OOM killer ended in it.
    pub(crate) fn oom_kills(&self) -> u64 {
        read_at(self.dir.as_fd(), c"memory.events")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("oom_kill ")?.trim().parse().ok())
            })
            .unwrap_or(0)
    }

    /// Removes it; the sandbox must have ended (every process reaped).
    /// The kernel may report it busy for a moment while the last exits
    /// are accounted (longer on a loaded or emulated machine): retries
    /// with a growing pause, two seconds in all at most.
    pub(crate) fn remove(&self) {
        let mut pause = std::time::Duration::from_millis(1);
        let mut waited = std::time::Duration::ZERO;
        while let Err(Errno::EBUSY) = sys::rmdirat(self.parent.as_fd(), &self.name) {
            if waited >= std::time::Duration::from_secs(2) {
                return;
            }
            std::thread::sleep(pause);
            waited += pause;
            pause = (pause * 2).min(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for SandboxCgroup {
    fn drop(&mut self) {
        self.remove();
    }
}
