//! The mechanics of building the view, for the child (`child`): walking a
//! destination below the new root without leaving it, cloning and
//! attaching trees, making fresh filesystems, and the Landlock path
//! rules, which name inodes in the view.
//!
//! Runs after clone: raw system calls through `sys`, no allocation, no
//! panics (descriptors are `OwnedFd`s, closed when dropped).

use crate::plan::{Dest, Leaf, Step};
use crate::sys::{self, SysResult, CWD};
use crate::sys::{MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NOSUID, MOUNT_ATTR_RDONLY};
use crate::sys::{OPEN_TREE_CLOEXEC, OPEN_TREE_CLONE};
use libc::c_uint;
use nix::errno::Errno;
use std::ffi::CStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

const RESOLVE_IN_VIEW: u64 =
    libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;

const AT_RECURSIVE: c_uint = 0x8000;

/// A directory reached while walking: the root itself, or one opened on
/// the way.
enum Dir<'a> {
    Root(BorrowedFd<'a>),
    Opened(OwnedFd),
}

impl Dir<'_> {
    fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Dir::Root(fd) => *fd,
            Dir::Opened(fd) => fd.as_fd(),
        }
    }
}

/// Opens (creating where the plan allows) the path `d` below `root`,
/// following no symlink and never leaving `root`. With `parent_only`, stops
/// at the parent of the last component and returns it instead.
fn walk<'a>(root: BorrowedFd<'a>, d: &Dest, parent_only: bool) -> SysResult<Option<Dir<'a>>> {
    let n = d.comps.len();
    // Plans never hold an empty destination ("/" is refused when
    // resolving); refuse one here too.
    if n == 0 {
        return Err(Errno::EINVAL);
    }
    let upto = if parent_only { n - 1 } else { n };
    let mut dir = Dir::Root(root);
    for (i, c) in d.comps.iter().take(upto).enumerate() {
        let last = i + 1 == n;
        let leaf = if last { d.leaf } else { Leaf::Dir };
        let flags = libc::O_PATH
            | libc::O_CLOEXEC
            | if leaf == Leaf::Dir {
                libc::O_DIRECTORY
            } else {
                0
            };
        let mut r = sys::openat2(dir.fd(), c, flags, 0, RESOLVE_IN_VIEW);
        let creatable = leaf != Leaf::Existing && !d.optional && i >= d.create_from;
        if matches!(r, Err(Errno::ENOENT)) && creatable {
            let made = if leaf == Leaf::File {
                let create = libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY | libc::O_NOFOLLOW;
                sys::openat(dir.fd(), c, create | libc::O_CLOEXEC, 0o644).map(drop)
            } else {
                sys::mkdirat(dir.fd(), c, 0o755)
            };
            match made {
                Ok(()) | Err(Errno::EEXIST) => {
                    r = sys::openat2(dir.fd(), c, flags, 0, RESOLVE_IN_VIEW);
                }
                Err(e) => r = Err(e),
            }
        }
        match r {
            Ok(fd) => dir = Dir::Opened(fd),
            Err(Errno::ENOENT) if d.optional => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Ok(Some(dir))
}

/// The last component of `d` (never empty: `walk` refuses that first).
fn last(d: &Dest) -> SysResult<&CStr> {
    d.comps.last().map(|c| c.as_c_str()).ok_or(Errno::EINVAL)
}

fn attach(tree: OwnedFd, root: BorrowedFd<'_>, d: &Dest) -> SysResult<()> {
    match walk(root, d, false)? {
        Some(t) => sys::move_mount_fd(tree.as_fd(), t.fd()),
        None => Ok(()),
    }
}

/// A detached, recursive copy of the tree at `src` with `attrs` applied to
/// every mount in it, so a read-only bind is read-only all the way down.
pub(super) fn clone_tree(src: BorrowedFd<'_>, attrs: u64) -> SysResult<OwnedFd> {
    let flags = libc::AT_EMPTY_PATH as c_uint | AT_RECURSIVE;
    let tree = sys::open_tree(src, c"", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | flags)?;
    sys::mount_setattr(tree.as_fd(), c"", flags, attrs, 0)?;
    Ok(tree)
}

/// Makes the mount at `fd` read-only.
pub(super) fn seal(fd: BorrowedFd<'_>) -> SysResult<()> {
    let empty_path = libc::AT_EMPTY_PATH as c_uint;
    sys::mount_setattr(fd, c"", empty_path, MOUNT_ATTR_RDONLY, 0)
}

/// Applies one filesystem step below `root`; `trees` holds each bind's
/// cloned tree, taken when attached, and `last_mask` the mask attached
/// last (a mount in the view, which the next mask copies).
pub(super) fn apply(
    step: &Step,
    root: BorrowedFd<'_>,
    trees: &mut [Option<OwnedFd>],
    last_mask: &mut Option<OwnedFd>,
) -> SysResult<()> {
    match step {
        Step::Bind { tree, dest, .. } => {
            let tree = trees.get_mut(*tree).and_then(Option::take);
            attach(tree.ok_or(Errno::EINVAL)?, root, dest)
        }
        Step::Mask {
            tree, dest, attrs, ..
        } => {
            let Some(t) = walk(root, dest, false)? else {
                return Ok(());
            };
            let mask = match last_mask.take() {
                Some(prev) => clone_tree(prev.as_fd(), *attrs)?,
                None => trees
                    .get_mut(*tree)
                    .and_then(Option::take)
                    .ok_or(Errno::EINVAL)?,
            };
            sys::move_mount_fd(mask.as_fd(), t.fd())?;
            *last_mask = Some(mask);
            Ok(())
        }
        Step::Fresh {
            fstype,
            options,
            attrs,
            dest,
        } => {
            if dest.optional && walk(root, dest, false)?.is_none() {
                return Ok(());
            }
            let fs = sys::fsopen(fstype)?;
            for (k, v) in options {
                sys::fsconfig_string(fs.as_fd(), k, v)?;
            }
            sys::fsconfig_create(fs.as_fd())?;
            let mnt = sys::fsmount(fs.as_fd(), *attrs)?;
            drop(fs);
            attach(mnt, root, dest)
        }
        Step::ReadOnly { dest } => {
            let Some(t) = walk(root, dest, false)? else {
                return Ok(());
            };
            let all = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
            let tree = clone_tree(t.fd(), all)?;
            drop(t);
            attach(tree, root, dest)
        }
        Step::Seal { dest } => match walk(root, dest, false)? {
            Some(t) => seal(t.fd()),
            None => Ok(()),
        },
        Step::Dir { dest, mode } => {
            let Some(p) = walk(root, dest, true)? else {
                return Ok(());
            };
            let name = last(dest)?;
            // An existing directory is kept as it is; a new one gets `mode`
            // exactly (the umask is 0 during setup).
            if dest.comps.len() > dest.create_from {
                match sys::mkdirat(p.fd(), name, *mode) {
                    Ok(()) | Err(Errno::EEXIST) => {}
                    Err(e) => return Err(e),
                }
            }
            let dir = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
            sys::openat2(p.fd(), name, dir, 0, RESOLVE_IN_VIEW).map(drop)
        }
        Step::Symlink { dest, target } => match walk(root, dest, true)? {
            Some(p) => sys::symlinkat(target, p.fd(), last(dest)?),
            None => Ok(()),
        },
    }
}

/// Adds the rule `access` on `path` (in the view) to the ruleset.
pub(super) fn add_landlock_rule(
    ruleset: BorrowedFd<'_>,
    path: &CStr,
    access: u64,
) -> SysResult<()> {
    let fd = sys::openat(CWD, path, libc::O_PATH | libc::O_CLOEXEC, 0)?;
    // The kernel refuses directory-only rights on a file.
    let allowed = if sys::is_dir(fd.as_fd())? {
        access
    } else {
        access & crate::landlock::file_rights()
    };
    // A file rule with only directory rights grants nothing.
    if allowed == 0 {
        return Ok(());
    }
    sys::landlock_add_path_rule(ruleset, fd.as_fd(), allowed)
}
