//! Policy → Plan: everything the sandbox child will do, precomputed in the
//! parent. Building the Plan is where all allocation and fallible work
//! happens; the child only reads it (see `process::child`).

use crate::policy::{Mount, MountOp, Policy};
use crate::profile::model::Namespace;
use crate::profile::{base_of, Base};
use crate::sys::ExecStrings;
use crate::sys::{MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NOSUID, MOUNT_ATTR_RDONLY};
use std::ffi::{CStr, CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path};
use std::time::Duration;

/// Errors found while compiling a policy and a command into a plan.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A string that must become a C string contains a NUL byte.
    #[error("{what} contains a NUL byte")]
    Nul {
        /// Which value.
        what: String,
    },
    /// No command was given.
    #[error("no command given")]
    NoCommand,
    /// A declared Landlock control cannot be enforced by this kernel.
    #[error(transparent)]
    Landlock(#[from] crate::landlock::LandlockError),
    /// The seccomp filters cannot be compiled.
    #[error(transparent)]
    Seccomp(#[from] crate::seccomp::SeccompError),
    /// The descriptor map is invalid.
    #[error(transparent)]
    Fds(#[from] crate::fds::FdError),
    /// The channel socket's directory cannot be made in the view.
    #[error("the channel socket needs {0}, which lies inside a host bind or /proc of the view")]
    ChannelSocketDir(String),
    /// More descriptors than the payload can receive.
    #[error("at most {MAX_FDS} file descriptors can be passed")]
    TooManyFds,
    /// Building the Landlock ruleset failed.
    #[error("landlock: cannot {what}: {errno}")]
    Ruleset {
        /// What was being done.
        what: String,
        /// Why.
        errno: crate::diag::OsError,
    },
}

/// The Landlock ruleset: created (with its port rules) by the launcher; the
/// child adds the path rules once it is inside its view, and the payload
/// restricts itself with it just before exec.
#[derive(Debug)]
pub struct LandlockPlan {
    /// The ruleset fd (close-on-exec).
    pub ruleset: std::os::fd::OwnedFd,
    /// Path rules: view path and allowed rights.
    pub fs_rules: Vec<(CString, u64)>,
}

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

/// The command to execute, with every string pre-built.
#[derive(Debug)]
pub(crate) struct Exec {
    /// Paths to try in order (`argv[0]` looked up in the sandbox's PATH).
    pub(crate) candidates: Vec<CString>,
    /// Arguments.
    pub(crate) argv: ExecStrings,
    /// Environment entries `NAME=value`.
    pub(crate) env: ExecStrings,
}

/// Everything the sandbox child needs, built before clone.
#[derive(Debug)]
pub struct Plan {
    /// `CLONE_NEW*` flags.
    pub clone_flags: u64,
    /// Written by the parent to /proc/PID/uid_map.
    pub uid_map: String,
    /// Written by the parent to /proc/PID/gid_map.
    pub gid_map: String,
    /// Write "deny" to /proc/PID/setgroups first (required rootless).
    pub deny_setgroups: bool,
    /// uid inside the sandbox.
    pub uid: u32,
    /// gid inside the sandbox.
    pub gid: u32,
    /// Drop supplementary groups (possible when setgroups is allowed).
    pub clear_groups: bool,
    /// Host paths the child opens before it changes identity.
    pub sources: Vec<CString>,
    /// Number of bind steps: each gets its own tree, cloned from its source
    /// before anything is mounted, so no clone can contain the view itself.
    pub trees: usize,
    /// Filesystem steps in order.
    pub steps: Vec<Step>,
    /// A readable description of each step, for error messages.
    pub descriptions: Vec<String>,
    /// Hostname to set.
    pub hostname: Option<CString>,
    /// Bring the loopback interface up (new network namespace).
    pub loopback: bool,
    /// Working directory of the payload.
    pub cwd: CString,
    /// The payload command.
    pub exec: Exec,
    /// Highest capability number of the running kernel.
    pub last_cap: u32,
    /// Wall-clock limit.
    pub wall_time: Option<Duration>,
    /// `(RLIMIT_*, value)` pairs set in the payload.
    pub rlimits: Vec<(i32, u64)>,
    /// Landlock ruleset, when the kernel enforces anything the policy asks.
    pub landlock: Option<LandlockPlan>,
    /// Landlock report (also when nothing is enforced).
    pub landlock_report: crate::landlock::Prepared,
    /// Seccomp filters, installed in order just before exec.
    pub seccomp: Vec<crate::seccomp::Filter>,
    /// The sandbox init's own filter (installed once it has forked the
    /// payload, so the payload does not inherit it).
    pub init_filter: Vec<seccompiler::sock_filter>,
    /// Descriptors the payload receives.
    pub fds: crate::fds::FdMap,
    /// Sysctls of the sandbox's own namespaces (path, value, required),
    /// written by the child: quotas charged to the launching user,
    /// memfd_noexec.
    pub namespace_sysctls: &'static [(&'static CStr, &'static CStr, bool)],
    /// This process's argv and environ string areas, which the sandbox's
    /// init overwrites: `/proc/1/cmdline` would otherwise show the
    /// launcher's (or the host application's) command line to the payload.
    pub process_strings: Option<crate::sys::ProcessStrings>,
    /// Where PID 1 binds the channel's listening socket, on a private tmpfs
    /// in the view, before handing it to the launcher.
    pub channel_socket: Option<crate::sys::UnixPath>,
    /// Report each setup step to the launcher as it starts.
    pub trace: bool,
}

/// Most descriptors one payload can receive (the child remaps them with a
/// fixed-size stack array).
pub const MAX_FDS: usize = 64;

impl Plan {
    /// The bind steps' `(source index, tree index, attributes)`, in order.
    pub(crate) fn binds(&self) -> impl Iterator<Item = (usize, usize, u64)> + '_ {
        self.steps.iter().filter_map(|s| match s {
            Step::Bind {
                source,
                tree,
                attrs,
                ..
            } => Some((*source, *tree, *attrs)),
            _ => None,
        })
    }

    /// Whether a filter reports kills through a listener fd.
    pub fn has_listener(&self) -> bool {
        self.seccomp.iter().any(|f| f.listener)
    }
}

/// Creates the ruleset and adds the port rules.
fn landlock_plan(p: &crate::landlock::Prepared) -> Result<Option<LandlockPlan>, PlanError> {
    use std::os::fd::AsFd;
    if !p.enforces_anything() {
        return Ok(None);
    }
    let ruleset = crate::sys::landlock_create_ruleset(p.handled_fs, p.handled_net, p.scoped)
        .map_err(|errno| PlanError::Ruleset {
            what: "create the ruleset".into(),
            errno: crate::diag::OsError::of(errno),
        })?;
    for (port, access) in &p.net_rules {
        crate::sys::landlock_add_port_rule(ruleset.as_fd(), *port, *access).map_err(|errno| {
            PlanError::Ruleset {
                what: format!("add the rule for TCP port {port}"),
                errno: crate::diag::OsError::of(errno),
            }
        })?;
    }
    Ok(Some(LandlockPlan {
        ruleset,
        fs_rules: p.fs_rules.clone(),
    }))
}

fn cstring(bytes: &[u8], what: &str) -> Result<CString, PlanError> {
    CString::new(bytes).map_err(|_| PlanError::Nul { what: what.into() })
}

fn components(p: &Path) -> Vec<CString> {
    p.components()
        .filter_map(|c| match c {
            // Policy paths are normalized and NUL-free (checked in resolve).
            Component::Normal(n) => CString::new(n.as_bytes()).ok(),
            _ => None,
        })
        .collect()
}

const FORWARD_ATTRS: u64 = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
/// Files in /proc that reveal or control the host kernel and are masked.
const PROC_MASKED_FILES: &[&str] = &[
    "kcore",
    "keys",
    "timer_list",
    "timer_stats",
    "sched_debug",
    "latency_stats",
    "kmsg",
];
/// Directories in /proc covered by an empty read-only tmpfs.
const PROC_MASKED_DIRS: &[&str] = &["acpi", "asound", "scsi"];
/// Kernel tunables and triggers made read-only.
const PROC_READ_ONLY: &[&str] = &["sys", "sysrq-trigger", "irq", "bus", "fs"];
/// Sysctls of the sandbox's own namespaces, written by its init (as the
/// namespaces' owner) before capabilities go; files an older kernel lacks
/// are skipped.
///
/// `/proc/sys/user`: the kernel charges inotify and fanotify objects to the
/// user namespace's owner at every level up the tree (the launching user
/// on the host): without these, one sandbox could take all of that user's
/// instances. No nested user namespace either (the filter already refuses
/// them; this is the kernel saying it too).
///
/// `vm.memfd_noexec=2` (per PID namespace, Linux 6.3): a fresh memfd is
/// never executable and `MFD_EXEC` is refused, so code written to memory
/// cannot be executed with fexecve.
const NAMESPACE_SYSCTLS: &[(&CStr, &CStr, bool)] = &[
    (c"/proc/sys/user/max_inotify_instances", c"16", true),
    (c"/proc/sys/user/max_inotify_watches", c"8192", true),
    (c"/proc/sys/user/max_fanotify_groups", c"8", true),
    (c"/proc/sys/user/max_fanotify_marks", c"8192", true),
    (c"/proc/sys/user/max_user_namespaces", c"0", true),
    // Writable by global root only: applied when root launches.
    (c"/proc/sys/vm/memfd_noexec", c"2", false),
];
/// Device nodes bound from the host into the minimal /dev.
const DEV_NODES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

struct Builder {
    sources: Vec<CString>,
    trees: usize,
    steps: Vec<Step>,
    descriptions: Vec<String>,
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

fn dest(p: &Path, create_from: usize, leaf: Leaf, optional: bool) -> Dest {
    Dest {
        comps: components(p),
        create_from,
        leaf,
        optional,
    }
}

/// How many leading components of `path` must already exist when mount
/// `i` runs (the rest lie on a fresh filesystem and may be created).
fn create_from(mounts: &[Mount], i: usize, path: &Path) -> usize {
    match base_of(mounts, i, path) {
        Base::Root => 0,
        Base::Fresh(j) => mounts[j].op.dest().components().count() - 1,
        Base::Host(..) | Base::Proc(_) => path.components().count() - 1,
    }
}

fn add_mount(b: &mut Builder, mounts: &[Mount], i: usize) -> Result<(), PlanError> {
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

fn add_proc(b: &mut Builder, d: &Path, cf: usize) -> Result<(), PlanError> {
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
    let null = b.source(b"/dev/null")?;
    for name in PROC_MASKED_FILES {
        let p = d.join(name);
        let tree = b.tree();
        b.push(
            Step::Bind {
                source: null,
                tree,
                dest: dest(&p, no_create, Leaf::File, true),
                attrs: MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC,
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

fn add_dev(b: &mut Builder, d: &Path, cf: usize, shm_size: u64) -> Result<(), PlanError> {
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

fn clone_flags(policy: &Policy) -> u64 {
    let mut flags = 0;
    for ns in &policy.namespaces {
        flags |= match ns {
            Namespace::User => libc::CLONE_NEWUSER,
            Namespace::Pid => libc::CLONE_NEWPID,
            Namespace::Mount => libc::CLONE_NEWNS,
            Namespace::Net => libc::CLONE_NEWNET,
            Namespace::Ipc => libc::CLONE_NEWIPC,
            Namespace::Uts => libc::CLONE_NEWUTS,
            Namespace::Cgroup => libc::CLONE_NEWCGROUP,
        } as u64;
    }
    flags
}

/// The paths execve will try for `cmd`, as execvp would search them.
pub fn exec_candidates(cmd: &OsStr, path_var: Option<&OsStr>) -> Vec<OsString> {
    if cmd.as_bytes().contains(&b'/') {
        return vec![cmd.to_owned()];
    }
    let path = path_var.unwrap_or(OsStr::new("/usr/bin:/bin"));
    path.as_bytes()
        .split(|&b| b == b':')
        .map(|dir| {
            let dir = if dir.is_empty() { &b"."[..] } else { dir };
            let mut full = dir.to_vec();
            full.push(b'/');
            full.extend_from_slice(cmd.as_bytes());
            OsString::from_vec(full)
        })
        .collect()
}

fn last_cap() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(63)
}

/// Compiles a policy and a command line into a plan. `fds` maps launcher
/// descriptors onto the payload's (stdio included: what is not listed is
/// closed).
pub fn build(policy: &Policy, argv: &[OsString], fds: &[(i32, i32)]) -> Result<Plan, PlanError> {
    if fds.len() > MAX_FDS {
        return Err(PlanError::TooManyFds);
    }
    for &(src, _) in fds {
        if !crate::sys::fd_is_open(src) {
            return Err(crate::fds::FdError::NotOpen(src).into());
        }
    }
    let fd_map = crate::fds::plan(fds.to_vec())?;
    let cmd = argv.first().ok_or(PlanError::NoCommand)?;
    let mut b = Builder {
        sources: Vec::new(),
        trees: 0,
        steps: Vec::new(),
        descriptions: Vec::new(),
    };
    for i in 0..policy.mounts.len() {
        add_mount(&mut b, &policy.mounts, i)?;
    }
    let channel_socket = match policy.channel {
        Some(c) if c.socket => Some(add_channel_socket(&mut b, &policy.mounts)?),
        _ => None,
    };
    let argv_c = argv
        .iter()
        .map(|a| cstring(a.as_bytes(), "command argument"))
        .collect::<Result<Vec<_>, _>>()?;
    let env_c = policy
        .env
        .iter()
        .map(|(k, v)| {
            let mut e = k.as_bytes().to_vec();
            e.push(b'=');
            e.extend_from_slice(v.as_bytes());
            cstring(&e, "environment variable")
        })
        .collect::<Result<Vec<_>, _>>()?;
    let path_var = policy
        .env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.as_os_str());
    let candidates = exec_candidates(cmd, path_var)
        .iter()
        .map(|c| cstring(c.as_bytes(), "command"))
        .collect::<Result<Vec<_>, _>>()?;
    let exec = Exec {
        candidates,
        argv: ExecStrings::new(argv_c),
        env: ExecStrings::new(env_c),
    };
    let id = &policy.identity;
    let mut landlock_report =
        crate::landlock::prepare(&policy.landlock, crate::sys::landlock_abi())?;
    if channel_socket.is_some() {
        landlock_report.allow_unix_sockets_beneath(Path::new(crate::channel::SOCKET_DIR_IN_VIEW));
    }
    let landlock = landlock_plan(&landlock_report)?;
    Ok(Plan {
        clone_flags: clone_flags(policy),
        uid_map: format!("{} {} 1\n", id.uid, id.host_uid),
        gid_map: format!("{} {} 1\n", id.gid, id.host_gid),
        deny_setgroups: !id.launcher_is_root,
        uid: id.uid,
        gid: id.gid,
        clear_groups: id.launcher_is_root,
        sources: b.sources,
        trees: b.trees,
        steps: b.steps,
        descriptions: b.descriptions,
        hostname: policy
            .hostname
            .as_deref()
            .map(|h| cstring(h.as_bytes(), "hostname"))
            .transpose()?,
        loopback: policy.namespaces.contains(&Namespace::Net),
        cwd: cstring(policy.cwd.as_os_str().as_bytes(), "cwd")?,
        exec,
        last_cap: last_cap(),
        wall_time: policy.wall_time,
        rlimits: policy
            .rlimits
            .iter()
            .map(|r| (r.resource, r.value))
            .collect(),
        landlock,
        landlock_report,
        seccomp: crate::seccomp::compile(policy.seccomp.as_ref(), crate::seccomp::Arch::native())?,
        init_filter: init_filter()?,
        fds: fd_map,
        channel_socket,
        process_strings: process_strings(),
        namespace_sysctls: NAMESPACE_SYSCTLS,
        trace: false,
    })
}

/// The init's filter is the same for every sandbox: compiled once.
fn init_filter() -> Result<Vec<seccompiler::sock_filter>, PlanError> {
    static PROG: std::sync::OnceLock<Vec<seccompiler::sock_filter>> = std::sync::OnceLock::new();
    if let Some(p) = PROG.get() {
        return Ok(p.clone());
    }
    let p = crate::seccomp::init_filter(crate::seccomp::Arch::native())?;
    Ok(PROG.get_or_init(|| p).clone())
}

/// This process's argv/environ areas do not move: read once.
fn process_strings() -> Option<crate::sys::ProcessStrings> {
    static AREAS: std::sync::OnceLock<Option<crate::sys::ProcessStrings>> =
        std::sync::OnceLock::new();
    *AREAS.get_or_init(crate::sys::ProcessStrings::of_self)
}

/// The channel socket lives on its own small tmpfs in the view, which only
/// the sandbox user can enter: nothing of it exists on the host, and it
/// ends with the sandbox's mount namespace.
fn add_channel_socket(
    b: &mut Builder,
    mounts: &[Mount],
) -> Result<crate::sys::UnixPath, PlanError> {
    let dir = Path::new(crate::channel::SOCKET_DIR_IN_VIEW);
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
    let path = crate::channel::socket_path_in_view();
    crate::sys::UnixPath::new(path.as_os_str().as_bytes())
        .ok_or_else(|| PlanError::ChannelSocketDir(path.display().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_follow_execvp_rules() {
        let c = exec_candidates(OsStr::new("sh"), Some(OsStr::new("/a:/b/c::")));
        assert_eq!(c, ["/a/sh", "/b/c/sh", "./sh", "./sh"].map(OsString::from));
        let c = exec_candidates(OsStr::new("./x"), Some(OsStr::new("/a")));
        assert_eq!(c, [OsString::from("./x")]);
    }
}
