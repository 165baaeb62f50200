//! The effective policy: every profile layer merged, variables expanded,
//! defaults filled in and cross-field rules checked. Pure data; the library
//! and the CLI share this one type, and `check` prints it.

use crate::diag::Loc;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The fully resolved sandbox policy.
///
/// ```no_run
/// # use stockade::sandbox::*;
/// let sandbox = Sandbox::from_profile("strict")?;
/// let policy = sandbox.policy()?;
/// println!("{:?} {:?} {}", policy.namespaces, policy.wall_time, policy.mounts.len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Policy {
    /// Namespaces created for the sandbox (always includes user, pid, mount).
    pub namespaces: BTreeSet<Namespace>,
    /// Hostname, set when the uts namespace is new.
    pub hostname: Option<String>,
    /// Who the payload is, inside and on the host.
    pub identity: Identity,
    /// Working directory inside the view.
    pub cwd: PathBuf,
    /// Filesystem operations in the order they are applied.
    pub mounts: Vec<Mount>,
    /// The payload's complete environment.
    pub env: Vec<(OsString, OsString)>,
    /// Wall-clock limit.
    pub wall_time: Option<Duration>,
    /// Resource limits (soft = hard), set in the payload before exec.
    pub rlimits: Vec<Rlimit>,
    /// Limits of the whole sandbox that need a cgroup v2.
    pub cgroup: CgroupLimits,
    /// Landlock rules.
    pub landlock: crate::landlock::LandlockPolicy,
    /// `(launcher fd, payload fd)` pairs; everything else is closed.
    pub fds: Vec<(i32, i32)>,
    /// The launcher–payload channel, when enabled.
    pub channel: Option<ChannelLimits>,
    /// Seccomp allowlist; None when the profile has no `seccomp` section
    /// (the side-door filter still applies).
    pub seccomp: Option<crate::seccomp::SeccompPolicy>,
    /// Things that work but deserve the user's attention, printed at start.
    pub warnings: Vec<Warning>,
}

/// Something a policy does that works but may not be what its author
/// meant. `Display` gives the message the CLI prints.
///
/// ```no_run
/// # use stockade::sandbox::*;
/// use stockade::policy::Warning;
/// for w in Sandbox::from_profile("default")?.bind_rw("/tmp").warnings() {
///     if let Warning::SharedDirectoryBound { path } = &w {
///         eprintln!("{} exposes its sockets", path.display());
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Warning {
    /// The launcher's working directory is left out of the view.
    WorkdirNotBound {
        /// The working directory.
        dir: PathBuf,
        /// Why it is not bound.
        why: String,
    },
    /// A writable bind the sandbox's user cannot write to.
    BindNotWritable {
        /// The bind's host path.
        path: PathBuf,
        /// The sandbox user's host uid.
        host_uid: u32,
    },
    /// A directory other programs share is bound: their sockets in it are
    /// reachable from the payload.
    SharedDirectoryBound {
        /// The bind's host path.
        path: PathBuf,
    },
    /// The seccomp allowlist has a call known to lead out of sandboxes or
    /// into the kernel.
    DangerousSyscall {
        /// Where the profile allows it.
        at: String,
        /// The syscall.
        name: String,
        /// The group it came from, if any.
        via: String,
    },
    /// The payload runs as host root.
    HostRoot,
    /// The host's network is shared, but the seccomp filter refuses the
    /// sockets that would use it.
    NetworkRefused {
        /// What the filter answers `socket(AF_INET, SOCK_STREAM, 0)` with
        /// (an errno's name, or the default action).
        answer: String,
    },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::WorkdirNotBound { dir, why } => write!(
                f,
                "the working directory {d} is not bound into the sandbox: {why}; run from a \
                 project directory, or bind it explicitly with --rw {d}",
                d = dir.display()
            ),
            Warning::BindNotWritable { path, host_uid } => write!(
                f,
                "{} is bound writable, but the sandbox user (host uid {host_uid}) cannot write \
                 to it; fix: make it writable for that user (chown/chmod), run stockade as \
                 that user, or use --user root",
                path.display()
            ),
            Warning::SharedDirectoryBound { path } => write!(
                f,
                "{} is bound into the sandbox: sockets in it (tmux, ssh-agent, X11, D-Bus) are \
                 reachable from the payload",
                path.display()
            ),
            Warning::DangerousSyscall { at, name, via } => {
                write!(f, "{at}: seccomp allows {name}")?;
                if !via.is_empty() {
                    write!(f, " (from {via})")?;
                }
                write!(f, ", a known way out of sandboxes or into the kernel")
            }
            Warning::HostRoot => write!(
                f,
                "the payload runs as host root (uid 0): it can read and write every root-owned \
                 file in its view; use this only for trusted programs"
            ),
            Warning::NetworkRefused { answer } => write!(
                f,
                "the host's network is shared (no `net` namespace), but the profile's seccomp \
                 filter answers socket(AF_INET) with {answer}: nothing in the sandbox can use \
                 it; extend a profile that allows IP sockets (`default`), or drop --net host"
            ),
        }
    }
}

/// Environment variable naming the payload's channel descriptor.
pub const ENV_FD: &str = "STOCKADE_CHANNEL_FD";
/// Environment variable with the largest message size, in bytes.
pub const ENV_MAX_MESSAGE: &str = "STOCKADE_CHANNEL_MAX_MESSAGE";
/// Environment variable with the most descriptors per message.
pub const ENV_MAX_FDS: &str = "STOCKADE_CHANNEL_MAX_FDS";
/// Environment variable with the filesystem socket's path in the sandbox.
pub const ENV_SOCKET: &str = "STOCKADE_CHANNEL_SOCKET";
/// Where the socket directory appears inside the sandbox.
pub const SOCKET_DIR_IN_VIEW: &str = "/run/stockade";
/// The socket's name in that directory.
pub const SOCKET_NAME: &str = "channel.sock";

/// The channel socket's path inside the sandbox (also in the payload's
/// [`ENV_SOCKET`]).
///
/// ```no_run
/// # use stockade::channel::*;
/// # use stockade::sandbox::Sandbox;
/// # use std::time::Duration;
/// assert_eq!(socket_path_in_view(), std::path::Path::new("/run/stockade/channel.sock"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn socket_path_in_view() -> std::path::PathBuf {
    std::path::Path::new(SOCKET_DIR_IN_VIEW).join(SOCKET_NAME)
}

/// Limits of the launcher–payload channel.
///
/// ```no_run
/// # use stockade::sandbox::*;
/// let limits = stockade::policy::ChannelLimits { max_message: 1 << 20, ..Default::default() };
/// let child = Sandbox::from_profile("strict")?.args(["./plugin"]).channel(Some(limits)).spawn()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelLimits {
    /// Largest message, in bytes.
    pub max_message: usize,
    /// Most descriptors per message.
    pub max_fds: usize,
    /// Also listen on a filesystem socket inside the sandbox.
    pub socket: bool,
}

impl Policy {
    /// The payload's descriptor number for the channel, when the policy
    /// has one: the lowest number from 3 up that no mapping targets.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// let s = Sandbox::from_profile("strict")?.channel(None);
    /// assert_eq!(s.policy()?.channel_fd(), Some(3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn channel_fd(&self) -> Option<i32> {
        self.channel?;
        (3..).find(|n| !self.fds.iter().any(|p| p.1 == *n))
    }

    /// The network the payload gets, in words (`explain`).
    pub fn network(&self) -> &'static str {
        if !self.namespaces.contains(&Namespace::Net) {
            "the host's"
        } else if self.loopback_up() {
            "a namespace of its own, loopback up"
        } else {
            "a namespace of its own, loopback down (no socket but AF_UNIX can be opened)"
        }
    }

    /// Whether the sandbox's new network namespace gets its loopback
    /// device up. It does unless the namespace is the host's or the
    /// payload can open no socket but `AF_UNIX` ones
    /// ([`SeccompPolicy::sockets_beyond_unix`]): then nothing could use
    /// it, and leaving it down spares every start the kernel's work of
    /// bringing it up and tearing its addresses and routes down.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// assert!(Sandbox::from_profile("default")?.policy()?.loopback_up());
    /// assert!(!Sandbox::from_profile("strict")?.policy()?.loopback_up());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// [`SeccompPolicy::sockets_beyond_unix`]: crate::seccomp::SeccompPolicy::sockets_beyond_unix
    pub fn loopback_up(&self) -> bool {
        self.namespaces.contains(&Namespace::Net)
            && self
                .seccomp
                .as_ref()
                .is_none_or(|s| s.sockets_beyond_unix())
    }
}

impl Default for ChannelLimits {
    fn default() -> Self {
        ChannelLimits {
            max_message: 64 << 10,
            max_fds: 8,
            socket: false,
        }
    }
}

/// One resource limit.
///
/// ```no_run
/// # use stockade::sandbox::*;
/// for r in &Sandbox::from_profile("strict")?.limit(Limit::OpenFiles(64)).policy()?.rlimits {
///     println!("{} = {}", r.name, r.value);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimit {
    /// Profile name (`open_files`).
    pub name: &'static str,
    /// `RLIMIT_*`.
    pub resource: i32,
    /// Soft and hard limit.
    pub value: u64,
}

/// Limits of the whole sandbox, enforced by a cgroup v2 of its own where
/// the launcher can create one (as root, or under a delegated
/// `parent`), with fallbacks otherwise (see README, "Resource limits").
///
/// ```no_run
/// # use stockade::sandbox::*;
/// let s = Sandbox::from_profile("strict")?.limit(Limit::Memory(512 << 20));
/// assert_eq!(s.policy()?.cgroup.memory, Some(512 << 20));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CgroupLimits {
    /// memory.max of the whole sandbox, in bytes (swap 0).
    pub memory: Option<u64>,
    /// cpu.max as a number of CPUs (0.5: half of one).
    pub cpu: Option<f64>,
    /// pids.max: the profile's `processes`.
    pub pids: Option<u64>,
    /// Fail (exit 125) rather than fall back when no cgroup can be made.
    pub required: bool,
    /// The cgroup (a path under the cgroup v2 mount, or relative to it)
    /// under which each sandbox gets its own; it must be delegated to the
    /// launcher. Default: `stockade` at the top, as root.
    pub parent: Option<PathBuf>,
}

impl CgroupLimits {
    /// Whether a cgroup is wanted at all: only `memory` and `cpu` need
    /// one (`processes` is also bounded by RLIMIT_NPROC, per sandbox).
    pub fn wanted(&self) -> bool {
        self.memory.is_some() || self.cpu.is_some() || self.required
    }
}

/// The payload's identity and the id mapping that produces it.
///
/// ```no_run
/// # use stockade::sandbox::*;
/// let sandbox = Sandbox::from_profile("strict")?.user(1000, 1000);
/// let id = &sandbox.policy()?.identity;
/// println!("uid {} inside is host uid {}", id.uid, id.host_uid);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    /// uid inside the sandbox.
    pub uid: u32,
    /// gid inside the sandbox.
    pub gid: u32,
    /// Host uid that `uid` maps onto.
    pub host_uid: u32,
    /// Host gid that `gid` maps onto.
    pub host_gid: u32,
    /// Whether the launcher runs as root (it may then write any mapping and
    /// drop supplementary groups; rootless it must deny setgroups).
    pub launcher_is_root: bool,
}

/// One filesystem operation with the place in the profile that asked for it.
///
/// ```no_run
/// # use stockade::sandbox::*;
/// for m in &Sandbox::from_profile("default")?.policy()?.mounts {
///     println!("{:?} (from {})", m.op, m.loc);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// What to do.
    pub op: MountOp,
    /// Where it was declared.
    pub loc: Loc,
}

/// A filesystem operation on the sandbox's view. Destinations are absolute,
/// normalized paths inside the view; bind sources are canonical host paths.
///
/// ```no_run
/// # use stockade::sandbox::*;
/// use stockade::policy::MountOp;
/// for m in &Sandbox::from_profile("strict")?.policy()?.mounts {
///     if let MountOp::Bind { src, dest, writable, .. } = &m.op {
///         println!("{} -> {} (writable: {writable})", src.display(), dest.display());
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MountOp {
    /// Bind a host file or directory (recursively).
    Bind {
        /// Canonical host path.
        src: PathBuf,
        /// Path in the view.
        dest: PathBuf,
        /// Read-write instead of read-only.
        writable: bool,
        /// Whether the source is a directory (else a file).
        is_dir: bool,
    },
    /// A fresh tmpfs.
    Tmpfs {
        /// Path in the view.
        dest: PathBuf,
        /// Size limit in bytes.
        size: u64,
        /// Mode of its root directory.
        mode: u32,
    },
    /// A new procfs for the sandbox's PID namespace, with the kernel's
    /// sensitive files masked and tunables read-only.
    Proc {
        /// Path in the view.
        dest: PathBuf,
    },
    /// A minimal /dev: null, zero, full, random, urandom, tty, ptmx with a
    /// private devpts, shm, and the fd/stdin/stdout/stderr links.
    Dev {
        /// Path in the view.
        dest: PathBuf,
        /// Size of its writable `shm` tmpfs; 0: `shm` is an empty
        /// read-only directory.
        shm: u64,
    },
    /// An empty directory.
    Dir {
        /// Path in the view.
        dest: PathBuf,
        /// Its mode.
        mode: u32,
    },
    /// A symbolic link.
    Symlink {
        /// Path in the view.
        dest: PathBuf,
        /// What it points at (not resolved).
        target: PathBuf,
    },
}

impl MountOp {
    /// The path in the view that the operation creates or covers.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// for m in &Sandbox::from_profile("strict")?.policy()?.mounts {
    ///     println!("{}", m.op.dest().display());
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dest(&self) -> &std::path::Path {
        match self {
            MountOp::Bind { dest, .. }
            | MountOp::Tmpfs { dest, .. }
            | MountOp::Proc { dest }
            | MountOp::Dev { dest, .. }
            | MountOp::Dir { dest, .. }
            | MountOp::Symlink { dest, .. } => dest,
        }
    }
}

impl std::fmt::Display for MountOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MountOp::Bind {
                src,
                dest,
                writable,
                ..
            } => {
                let rw = if *writable { "rw" } else { "ro" };
                if src == dest {
                    write!(f, "bind {} ({rw})", src.display())
                } else {
                    write!(f, "bind {} on {} ({rw})", src.display(), dest.display())
                }
            }
            MountOp::Tmpfs { dest, size, mode } => {
                write!(f, "tmpfs {} (size {size}, mode {mode:04o})", dest.display())
            }
            MountOp::Proc { dest } => write!(f, "proc {}", dest.display()),
            MountOp::Dev { dest, shm: 0 } => write!(f, "dev {} (no shm)", dest.display()),
            MountOp::Dev { dest, shm } => write!(f, "dev {} (shm size {shm})", dest.display()),
            MountOp::Dir { dest, mode } => write!(f, "dir {} (mode {mode:04o})", dest.display()),
            MountOp::Symlink { dest, target } => {
                write!(f, "symlink {} -> {}", dest.display(), target.display())
            }
        }
    }
}

impl std::fmt::Display for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ns: Vec<&str> = self.namespaces.iter().map(|n| n.name()).collect();
        writeln!(f, "namespaces: {}", ns.join(", "))?;
        writeln!(f, "network: {}", self.network())?;
        if let Some(h) = &self.hostname {
            writeln!(f, "hostname: {h}")?;
        }
        let id = &self.identity;
        writeln!(
            f,
            "user: uid {} gid {} (host uid {} gid {})",
            id.uid, id.gid, id.host_uid, id.host_gid
        )?;
        writeln!(f, "cwd: {}", self.cwd.display())?;
        writeln!(f, "filesystem:")?;
        for m in &self.mounts {
            writeln!(f, "  {}", m.op)?;
        }
        writeln!(f, "env:")?;
        for (k, v) in &self.env {
            writeln!(f, "  {}={}", k.to_string_lossy(), v.to_string_lossy())?;
        }
        match self.wall_time {
            Some(d) => writeln!(f, "wall_time: {}", humantime::format_duration(d))?,
            None => writeln!(f, "wall_time: none")?,
        }
        for r in &self.rlimits {
            writeln!(f, "limit {}: {}", r.name, r.value)?;
        }
        if let Some(m) = self.cgroup.memory {
            writeln!(f, "limit memory: {m} (cgroup memory.max, else RLIMIT_DATA)")?;
        }
        if let Some(c) = self.cgroup.cpu {
            writeln!(f, "limit cpu: {c} (cgroup cpu.max)")?;
        }
        if self.cgroup.required {
            writeln!(f, "limit require_cgroup: true")?;
        }
        writeln!(f, "landlock:")?;
        for r in &self.landlock.fs {
            let names = crate::landlock::names(r.access);
            writeln!(f, "  {}: {}", r.path.display(), names.join(", "))?;
        }
        if let Some(p) = &self.landlock.bind_tcp {
            writeln!(f, "  tcp bind: {p:?}")?;
        }
        if let Some(p) = &self.landlock.connect_tcp {
            writeln!(f, "  tcp connect: {p:?}")?;
        }
        writeln!(
            f,
            "  scopes: {:#x}, compatibility: {:?}",
            self.landlock.scopes, self.landlock.compat
        )
    }
}

/// A Linux namespace stockade can create.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
#[serde(rename_all = "lowercase")]
pub enum Namespace {
    /// User namespace (always created).
    User,
    /// PID namespace (always created; stockade's init is PID 1 in it).
    Pid,
    /// Mount namespace (always created; holds the private filesystem view).
    Mount,
    /// Network namespace: only a loopback interface, up unless no socket
    /// but an AF_UNIX one can be opened.
    Net,
    /// System V IPC and POSIX message queues.
    Ipc,
    /// Hostname and domain name.
    Uts,
    /// Cgroup namespace.
    Cgroup,
}

impl Namespace {
    /// The name used in profiles.
    pub fn name(self) -> &'static str {
        match self {
            Namespace::User => "user",
            Namespace::Pid => "pid",
            Namespace::Mount => "mount",
            Namespace::Net => "net",
            Namespace::Ipc => "ipc",
            Namespace::Uts => "uts",
            Namespace::Cgroup => "cgroup",
        }
    }
}

/// What lies under a path in the view when an operation runs: the deepest
/// earlier mount whose destination contains it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Base<'a> {
    /// stockade's own root tmpfs.
    Root,
    /// A fresh filesystem (tmpfs, dev) made by the operation at this
    /// index: what lies below its destination may be created.
    Fresh(usize),
    /// A host bind at this index: nothing may be created there.
    Host(usize, &'a Path, &'a Path),
    /// A procfs: nothing may be created there.
    Proc(usize),
}

/// Finds what `dest` lies on when operation `upto` runs.
pub(crate) fn base_of<'a>(mounts: &'a [Mount], upto: usize, dest: &Path) -> Base<'a> {
    let mut best: (usize, Base<'a>) = (0, Base::Root);
    for (i, m) in mounts[..upto].iter().enumerate() {
        let d = m.op.dest();
        if !under(dest, d) {
            continue;
        }
        let depth = d.components().count();
        let b = match &m.op {
            MountOp::Bind { src, dest, .. } => Base::Host(i, src, dest),
            MountOp::Tmpfs { .. } | MountOp::Dev { .. } => Base::Fresh(i),
            MountOp::Proc { .. } => Base::Proc(i),
            MountOp::Dir { .. } | MountOp::Symlink { .. } => continue,
        };
        if depth >= best.0 {
            best = (depth, b);
        }
    }
    best.1
}

/// `p.starts_with(base)`, component by component. Resolving compares
/// every mount with every other and with every Landlock rule, and
/// `Components` parses both paths anew at each comparison: where both are
/// in the form a policy's paths take (absolute, no `.` component, no
/// doubled or trailing slash), a byte prefix that ends at a separator
/// says the same.
pub(crate) fn under(p: &Path, base: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let (a, b) = (p.as_os_str().as_bytes(), base.as_os_str().as_bytes());
    if !(plain(a) && plain(b)) {
        return p.starts_with(base);
    }
    a.starts_with(b) && (b.len() == 1 || a.len() == b.len() || a.get(b.len()) == Some(&b'/'))
}

/// Absolute, without a `.` component or a doubled or trailing slash (`/`
/// itself included).
fn plain(s: &[u8]) -> bool {
    s.first() == Some(&b'/')
        && (s.len() == 1 || s.last() != Some(&b'/'))
        && !s.ends_with(b"/.")
        && !s.windows(2).any(|w| w == b"//")
        && !s.windows(3).any(|w| w == b"/./")
}

/// Whether `p` is part of the view the mounts build.
pub(crate) fn in_view(p: &Path, mounts: &[Mount]) -> bool {
    p == Path::new("/")
        || mounts.iter().any(|m| {
            let d = m.op.dest();
            match &m.op {
                MountOp::Symlink { .. } => false,
                MountOp::Dir { .. } => under(d, p),
                _ => under(p, d) || under(d, p),
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `under` answers as `Path::starts_with` for every pair of a set of
    /// paths in a policy's form and out of it (doubled, trailing and `.`
    /// separators, relative paths, prefixes that end inside a name).
    #[test]
    fn under_answers_as_starts_with() {
        let names = ["", "/", "a", "ab", "a.", ".", ".."];
        let mut paths: Vec<String> = vec![String::new()];
        for _ in 0..3 {
            let mut longer = Vec::new();
            for p in &paths {
                for n in names {
                    longer.push(format!("{p}{n}"));
                    longer.push(format!("{p}/{n}"));
                }
            }
            paths.extend(longer);
            paths.sort_unstable();
            paths.dedup();
        }
        let mut plain_pairs = 0;
        for a in &paths {
            for b in &paths {
                let (pa, pb) = (Path::new(a), Path::new(b));
                assert_eq!(under(pa, pb), pa.starts_with(pb), "{a:?} under {b:?}");
                plain_pairs += usize::from(plain(a.as_bytes()) && plain(b.as_bytes()));
            }
        }
        // Both ways are exercised: the byte comparison and the fallback.
        assert!(
            plain_pairs > 10_000,
            "{plain_pairs} of {}",
            paths.len().pow(2)
        );
        assert!(plain_pairs < paths.len().pow(2) / 2);
    }
}
