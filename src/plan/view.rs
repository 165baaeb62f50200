//! The view's steps: each policy mount as open/clone/attach steps on
//! destinations split into components, with the /proc and /dev layouts
//! stockade builds and the channel socket's directory.

use super::error::{cstring, PlanError};
use crate::policy::{base_of, Base, Mount, MountOp};
use crate::sys::{MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NOSUID, MOUNT_ATTR_RDONLY};
use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

/// A path in the view, split into components, with what the child may
/// create while walking to it.
#[derive(Debug)]
pub struct Dest {
    /// Components below the new root, each a single name.
    pub comps: Vec<CString>,
    /// Components from this index on may be created when missing (they lie
    /// on a filesystem stockade just made). Earlier ones must exist.
    pub create_from: usize,
    /// What the last component must be.
    pub leaf: Leaf,
    /// Skip the step when the path does not exist.
    pub optional: bool,
}

/// What the last component of a [`Dest`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    /// A directory (created when missing and allowed).
    Dir,
    /// A file (created empty when missing and allowed).
    File,
    /// Whatever the kernel has there, file or directory; never created.
    /// Kernels differ: `/proc/sysrq-trigger` is a file on most kernels
    /// and absent on some.
    Existing,
}

/// One step of building the view, in order.
#[derive(Debug)]
pub enum Step {
    /// Attach the tree cloned from a source at `dest`.
    Bind {
        /// Index into [`Plan::sources`].
        source: usize,
        /// Index of this bind's cloned tree (one per bind step).
        tree: usize,
        /// Where.
        dest: Dest,
        /// `MOUNT_ATTR_*` applied recursively before attaching.
        attrs: u64,
    },
    /// Cover the file at `dest` with a copy of the mask tree (`/dev/null`,
    /// read-only), when the kernel has that file. The first mask attaches
    /// the tree cloned from the host; each later one attaches a clone of
    /// the mask before it, so nothing is cloned for a file that is absent:
    /// closing a clone that was never attached makes the kernel wait for an
    /// RCU grace period, a tenth of a millisecond per file.
    Mask {
        /// Index into [`Plan::sources`] (`/dev/null`).
        source: usize,
        /// Index of the shared mask tree.
        tree: usize,
        /// Where.
        dest: Dest,
        /// `MOUNT_ATTR_*` of the mask.
        attrs: u64,
    },
    /// Create and attach a new filesystem instance (tmpfs, proc, devpts).
    Fresh {
        /// Filesystem type.
        fstype: &'static CStr,
        /// `fsconfig` string parameters.
        options: Vec<(CString, CString)>,
        /// `MOUNT_ATTR_*` of the new mount.
        attrs: u64,
        /// Where.
        dest: Dest,
    },
    /// Re-attach an existing subtree read-only (e.g. /proc/sys).
    ReadOnly {
        /// Where.
        dest: Dest,
    },
    /// Make the mount at `dest` read-only once it is populated.
    Seal {
        /// Where.
        dest: Dest,
    },
    /// Create a directory.
    Dir {
        /// Where.
        dest: Dest,
        /// Mode (the child's umask is 0 during setup).
        mode: u32,
    },
    /// Create a symbolic link.
    Symlink {
        /// Where.
        dest: Dest,
        /// Link text.
        target: CString,
    },
}

impl Step {
    /// Where the step acts.
    pub(crate) fn dest(&self) -> &Dest {
        match self {
            Step::Bind { dest, .. }
            | Step::Mask { dest, .. }
            | Step::Fresh { dest, .. }
            | Step::ReadOnly { dest }
            | Step::Seal { dest }
            | Step::Dir { dest, .. }
            | Step::Symlink { dest, .. } => dest,
        }
    }
}

pub(super) const FORWARD_ATTRS: u64 = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
/// The source of every /proc file mask, and its attributes.
pub(super) const MASK_SOURCE: &[u8] = b"/dev/null";
pub(super) const MASK_ATTRS: u64 = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
/// Files in /proc that reveal or control the host kernel and are masked.
pub(super) const PROC_MASKED_FILES: &[&str] = &[
    "kcore",
    "keys",
    "timer_list",
    "timer_stats",
    "sched_debug",
    "latency_stats",
    "kmsg",
];
/// Directories in /proc covered by an empty read-only tmpfs.
pub(super) const PROC_MASKED_DIRS: &[&str] = &["acpi", "asound", "scsi"];
/// Kernel tunables and triggers made read-only.
pub(super) const PROC_READ_ONLY: &[&str] = &["sys", "sysrq-trigger", "irq", "bus", "fs"];
/// Device nodes bound from the host into the minimal /dev.
pub(super) const DEV_NODES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

#[derive(Default)]
pub(super) struct Builder {
    pub(super) sources: Vec<CString>,
    pub(super) trees: usize,
    /// The source and tree every /proc file mask is copied from, once one
    /// is needed.
    pub(super) mask: Option<(usize, usize)>,
    pub(super) steps: Vec<Step>,
    pub(super) descriptions: Vec<String>,
    /// The view's `pts/ptmx` (the last `dev` mount's), for a terminal.
    pub(super) ptmx: Option<CString>,
}

impl Builder {
    fn source(&mut self, path: &[u8]) -> Result<usize, PlanError> {
        let c = cstring(path, "path")?;
        if let Some(i) = self.sources.iter().position(|s| *s == c) {
            return Ok(i);
        }
        self.sources.push(c);
        Ok(self.sources.len() - 1)
    }

    fn tree(&mut self) -> usize {
        self.trees += 1;
        self.trees - 1
    }

    fn push(&mut self, step: Step, what: String) {
        self.steps.push(step);
        self.descriptions.push(what);
    }

    fn fresh(
        &mut self,
        fstype: &'static CStr,
        opts: &[(&str, String)],
        attrs: u64,
        dest: Dest,
        what: String,
    ) {
        let options = opts
            .iter()
            .filter_map(|(k, v)| Some((CString::new(*k).ok()?, CString::new(v.as_str()).ok()?)))
            .collect();
        self.push(
            Step::Fresh {
                fstype,
                options,
                attrs,
                dest,
            },
            what,
        );
    }
}

pub(super) fn components(p: &Path) -> Vec<CString> {
    p.components()
        .filter_map(|c| match c {
            // Policy paths are normalized and NUL-free (checked in resolve).
            Component::Normal(n) => CString::new(n.as_bytes()).ok(),
            _ => None,
        })
        .collect()
}

pub(super) fn dest(p: &Path, create_from: usize, leaf: Leaf, optional: bool) -> Dest {
    Dest {
        comps: components(p),
        create_from,
        leaf,
        optional,
    }
}

/// How many leading components of `path` must already exist when mount
/// `i` runs (the rest lie on a fresh filesystem and may be created).
pub(super) fn create_from(mounts: &[Mount], i: usize, path: &Path) -> usize {
    match base_of(mounts, i, path) {
        Base::Root => 0,
        Base::Fresh(j) => mounts[j].op.dest().components().count() - 1,
        Base::Host(..) | Base::Proc(_) => path.components().count() - 1,
    }
}

pub(super) fn add_mount(b: &mut Builder, mounts: &[Mount], i: usize) -> Result<(), PlanError> {
    let op = &mounts[i].op;
    let d = op.dest();
    let cf = create_from(mounts, i, d);
    match op {
        MountOp::Bind {
            src,
            writable,
            is_dir,
            ..
        } => {
            let source = b.source(src.as_os_str().as_bytes())?;
            let attrs = FORWARD_ATTRS | if *writable { 0 } else { MOUNT_ATTR_RDONLY };
            let tree = b.tree();
            b.push(
                Step::Bind {
                    source,
                    tree,
                    dest: dest(d, cf, if *is_dir { Leaf::Dir } else { Leaf::File }, false),
                    attrs,
                },
                op.to_string(),
            );
        }
        MountOp::Tmpfs { size, mode, .. } => b.fresh(
            c"tmpfs",
            &[("size", size.to_string()), ("mode", format!("{mode:o}"))],
            FORWARD_ATTRS,
            dest(d, cf, Leaf::Dir, false),
            op.to_string(),
        ),
        MountOp::Dir { mode, .. } => b.push(
            Step::Dir {
                dest: dest(d, cf, Leaf::Dir, false),
                mode: *mode,
            },
            op.to_string(),
        ),
        MountOp::Symlink { target, .. } => b.push(
            Step::Symlink {
                dest: dest(d, cf, Leaf::Dir, false),
                target: cstring(target.as_os_str().as_bytes(), "symlink target")?,
            },
            op.to_string(),
        ),
        MountOp::Proc { .. } => add_proc(b, d, cf)?,
        MountOp::Dev { shm, .. } => add_dev(b, d, cf, *shm)?,
    }
    Ok(())
}

pub(super) fn add_proc(b: &mut Builder, d: &Path, cf: usize) -> Result<(), PlanError> {
    b.fresh(
        c"proc",
        &[],
        FORWARD_ATTRS | MOUNT_ATTR_NOEXEC,
        dest(d, cf, Leaf::Dir, false),
        format!("proc {}", d.display()),
    );
    // Nothing is created inside procfs: entries that do not exist are skipped.
    let no_create = d.components().count();
    for name in PROC_READ_ONLY {
        let p = d.join(name);
        b.push(
            Step::ReadOnly {
                dest: dest(&p, no_create, Leaf::Existing, true),
            },
            format!("read-only {}", p.display()),
        );
    }
    let (source, tree) = match b.mask {
        Some(m) => m,
        None => {
            let m = (b.source(MASK_SOURCE)?, b.tree());
            b.mask = Some(m);
            m
        }
    };
    for name in PROC_MASKED_FILES {
        let p = d.join(name);
        b.push(
            Step::Mask {
                source,
                tree,
                dest: dest(&p, no_create, Leaf::File, true),
                attrs: MASK_ATTRS,
            },
            format!("mask {}", p.display()),
        );
    }
    for name in PROC_MASKED_DIRS {
        let p = d.join(name);
        b.fresh(
            c"tmpfs",
            &[("size", "0".into()), ("mode", "555".into())],
            FORWARD_ATTRS | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_RDONLY,
            dest(&p, no_create, Leaf::Dir, true),
            format!("mask {}", p.display()),
        );
    }
    Ok(())
}

pub(super) fn add_dev(
    b: &mut Builder,
    d: &Path,
    cf: usize,
    shm_size: u64,
) -> Result<(), PlanError> {
    b.fresh(
        c"tmpfs",
        &[("size", "64k".into()), ("mode", "755".into())],
        MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC,
        dest(d, cf, Leaf::Dir, false),
        format!("dev {}", d.display()),
    );
    let inside = d.components().count() - 1;
    for name in DEV_NODES {
        let host = format!("/dev/{name}");
        let source = b.source(host.as_bytes())?;
        let p = d.join(name);
        let tree = b.tree();
        b.push(
            Step::Bind {
                source,
                tree,
                dest: dest(&p, inside, Leaf::File, false),
                attrs: MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC,
            },
            format!("dev {} (from {host})", p.display()),
        );
    }
    let pts = d.join("pts");
    b.ptmx = Some(cstring(pts.join("ptmx").as_os_str().as_bytes(), "path")?);
    b.fresh(
        c"devpts",
        &[("ptmxmode", "0666".into()), ("mode", "0620".into())],
        MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC,
        dest(&pts, inside, Leaf::Dir, false),
        format!("devpts {}", pts.display()),
    );
    let shm = d.join("shm");
    if shm_size == 0 {
        // Read-only once /dev is sealed: POSIX shared memory fails cleanly.
        b.push(
            Step::Dir {
                dest: dest(&shm, inside, Leaf::Dir, false),
                mode: 0o755,
            },
            format!("dir {} (no shared memory)", shm.display()),
        );
    } else {
        b.fresh(
            c"tmpfs",
            &[("size", shm_size.to_string()), ("mode", "1777".into())],
            FORWARD_ATTRS,
            dest(&shm, inside, Leaf::Dir, false),
            format!("tmpfs {}", shm.display()),
        );
    }
    let links: [(&str, &CStr); 5] = [
        ("ptmx", c"pts/ptmx"),
        ("fd", c"/proc/self/fd"),
        ("stdin", c"/proc/self/fd/0"),
        ("stdout", c"/proc/self/fd/1"),
        ("stderr", c"/proc/self/fd/2"),
    ];
    for (name, target) in links {
        let p = d.join(name);
        b.push(
            Step::Symlink {
                dest: dest(&p, inside, Leaf::Dir, false),
                target: target.to_owned(),
            },
            format!("symlink {} -> {}", p.display(), target.to_string_lossy()),
        );
    }
    b.push(
        Step::Seal {
            dest: dest(d, d.components().count() - 1, Leaf::Dir, false),
        },
        format!("read-only {}", d.display()),
    );
    Ok(())
}

/// The channel socket lives on its own small tmpfs in the view, which only
/// the sandbox user can enter: nothing of it exists on the host, and it
/// ends with the sandbox's mount namespace.
pub(super) fn add_channel_socket(
    b: &mut Builder,
    mounts: &[Mount],
) -> Result<crate::sys::UnixPath, PlanError> {
    let dir = Path::new(crate::policy::SOCKET_DIR_IN_VIEW);
    if matches!(
        base_of(mounts, mounts.len(), dir),
        Base::Host(..) | Base::Proc(_)
    ) {
        return Err(PlanError::ChannelSocketDir(dir.display().to_string()));
    }
    let cf = create_from(mounts, mounts.len(), dir);
    b.fresh(
        c"tmpfs",
        &[("size", "64k".into()), ("mode", "700".into())],
        FORWARD_ATTRS | MOUNT_ATTR_NOEXEC,
        dest(dir, cf, Leaf::Dir, false),
        format!("tmpfs {} (channel socket)", dir.display()),
    );
    let path = crate::policy::socket_path_in_view();
    crate::sys::UnixPath::new(path.as_os_str().as_bytes())
        .ok_or_else(|| PlanError::ChannelSocketDir(path.display().to_string()))
}
