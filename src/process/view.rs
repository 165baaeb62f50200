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

/// Opens (creating it where the plan allows) `name` in `dir`, following no
/// symlink; `None` when it is missing and `optional`.
fn open_in(
    dir: BorrowedFd<'_>,
    name: &CStr,
    leaf: Leaf,
    creatable: bool,
    optional: bool,
) -> SysResult<Option<OwnedFd>> {
    let flags = libc::O_PATH
        | libc::O_CLOEXEC
        | if leaf == Leaf::Dir {
            libc::O_DIRECTORY
        } else {
            0
        };
    if creatable && leaf == Leaf::File {
        // A file to create is created first, not looked for: on a
        // filesystem stockade just made it is never there, and the
        // descriptor of the new file serves as well as an O_PATH one.
        let create = libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY | libc::O_NOFOLLOW;
        match sys::openat(dir, name, create | libc::O_CLOEXEC, 0o644) {
            Err(Errno::EEXIST) => {}
            r => return r.map(Some),
        }
    }
    if creatable && leaf == Leaf::Dir {
        // Likewise made first: mkdirat never follows a symlink, and
        // "exists" (a directory, or a symlink the open below refuses)
        // comes before any other error.
        match sys::mkdirat(dir, name, 0o755) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(e),
        }
    }
    match sys::openat2(dir, name, flags, 0, RESOLVE_IN_VIEW) {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::ENOENT) if optional => Ok(None),
        Err(e) => Err(e),
    }
}

/// Walks destinations below the new root without leaving it, and keeps
/// the directory the last one was in: the next step in the same
/// directory (most are siblings: the masks of /proc, the nodes of /dev)
/// starts there instead of at the root.
pub(super) struct Walker<'p> {
    root: BorrowedFd<'p>,
    /// A directory opened for an earlier step, and its path. Forgotten
    /// when a mount is attached on it or on a directory above it, which
    /// would leave the descriptor naming the directory underneath.
    parent: Option<(&'p [std::ffi::CString], OwnedFd)>,
}

impl<'p> Walker<'p> {
    /// A walker of the view whose root is `root`.
    pub(super) fn new(root: BorrowedFd<'p>) -> Walker<'p> {
        Walker { root, parent: None }
    }

    /// Opens (creating where the plan allows) the directory `d`'s last
    /// component is in; `None` when an optional path is missing.
    fn parent(&mut self, d: &'p Dest) -> SysResult<Option<BorrowedFd<'_>>> {
        // Plans never hold an empty destination ("/" is refused when
        // resolving); refuse one here too.
        let Some((_, above)) = d.comps.split_last() else {
            return Err(Errno::EINVAL);
        };
        if above.is_empty() {
            return Ok(Some(self.root));
        }
        if !matches!(&self.parent, Some((p, _)) if *p == above) {
            self.parent = None;
            let mut dir: Option<OwnedFd> = None;
            for (i, c) in above.iter().enumerate() {
                let at = dir.as_ref().map_or(self.root, |f| f.as_fd());
                let creatable = !d.optional && i >= d.create_from;
                match open_in(at, c, Leaf::Dir, creatable, d.optional)? {
                    Some(fd) => dir = Some(fd),
                    None => return Ok(None),
                }
            }
            self.parent = dir.map(|fd| (above, fd));
        }
        Ok(self.parent.as_ref().map(|(_, fd)| fd.as_fd()))
    }

    /// Opens (creating where the plan allows) `d` itself, following no
    /// symlink and never leaving the root; `None` when an optional path
    /// is missing.
    fn open(&mut self, d: &'p Dest) -> SysResult<Option<OwnedFd>> {
        let name = last(d)?;
        let creatable = d.leaf != Leaf::Existing && !d.optional && d.comps.len() > d.create_from;
        match self.parent(d)? {
            Some(dir) => open_in(dir, name, d.leaf, creatable, d.optional),
            None => Ok(None),
        }
    }

    /// Attaches `tree` at `target`, the opened `d`.
    fn attach_on(&mut self, tree: BorrowedFd<'_>, target: BorrowedFd<'_>, d: &Dest) -> SysResult<()> {
        sys::move_mount_fd(tree, target)?;
        if matches!(&self.parent, Some((p, _)) if p.starts_with(&d.comps)) {
            self.parent = None;
        }
        Ok(())
    }

    /// Attaches `tree` at `d` (nothing when an optional `d` is missing).
    fn attach(&mut self, tree: OwnedFd, d: &'p Dest) -> SysResult<()> {
        match self.open(d)? {
            Some(t) => self.attach_on(tree.as_fd(), t.as_fd(), d),
            None => Ok(()),
        }
    }
}

/// The last component of `d` (never empty: `Walker::parent` refuses that
/// first).
fn last(d: &Dest) -> SysResult<&CStr> {
    d.comps.last().map(|c| c.as_c_str()).ok_or(Errno::EINVAL)
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

/// Applies one filesystem step with `walker`; `trees` holds each bind's
/// cloned tree, taken when attached, and `last_mask` the mask attached
/// last (a mount in the view, which the next mask copies).
pub(super) fn apply<'p>(
    step: &'p Step,
    walker: &mut Walker<'p>,
    trees: &mut [Option<OwnedFd>],
    last_mask: &mut Option<OwnedFd>,
) -> SysResult<()> {
    match step {
        Step::Bind { tree, dest, .. } => {
            let tree = trees.get_mut(*tree).and_then(Option::take);
            walker.attach(tree.ok_or(Errno::EINVAL)?, dest)
        }
        Step::Mask {
            tree, dest, attrs, ..
        } => {
            let Some(t) = walker.open(dest)? else {
                return Ok(());
            };
            let mask = match last_mask.take() {
                Some(prev) => clone_tree(prev.as_fd(), *attrs)?,
                None => trees
                    .get_mut(*tree)
                    .and_then(Option::take)
                    .ok_or(Errno::EINVAL)?,
            };
            walker.attach_on(mask.as_fd(), t.as_fd(), dest)?;
            *last_mask = Some(mask);
            Ok(())
        }
        Step::Fresh {
            fstype,
            options,
            attrs,
            dest,
        } => {
            let Some(t) = walker.open(dest)? else {
                return Ok(());
            };
            let fs = sys::fsopen(fstype)?;
            for (k, v) in options {
                sys::fsconfig_string(fs.as_fd(), k, v)?;
            }
            sys::fsconfig_create(fs.as_fd())?;
            let mnt = sys::fsmount(fs.as_fd(), *attrs)?;
            drop(fs);
            walker.attach_on(mnt.as_fd(), t.as_fd(), dest)
        }
        Step::ReadOnly { dest } => {
            let Some(t) = walker.open(dest)? else {
                return Ok(());
            };
            let all = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
            let tree = clone_tree(t.as_fd(), all)?;
            walker.attach_on(tree.as_fd(), t.as_fd(), dest)
        }
        Step::Seal { dest } => match walker.open(dest)? {
            Some(t) => seal(t.as_fd()),
            None => Ok(()),
        },
        Step::Dir { dest, mode } => {
            let name = last(dest)?;
            let create = dest.comps.len() > dest.create_from;
            let Some(p) = walker.parent(dest)? else {
                return Ok(());
            };
            // An existing directory is kept as it is; a new one gets `mode`
            // exactly (the umask is 0 during setup).
            if create {
                match sys::mkdirat(p, name, *mode) {
                    Ok(()) | Err(Errno::EEXIST) => {}
                    Err(e) => return Err(e),
                }
            }
            let dir = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
            sys::openat2(p, name, dir, 0, RESOLVE_IN_VIEW).map(drop)
        }
        Step::Symlink { dest, target } => {
            let name = last(dest)?;
            match walker.parent(dest)? {
                Some(p) => sys::symlinkat(target, p, name),
                None => Ok(()),
            }
        }
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
