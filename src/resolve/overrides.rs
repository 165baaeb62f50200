//! The last layer: settings made on the command line or in code, merged
//! over the profile and resolved by the same rules.

use crate::diag::Loc;
use crate::policy::ChannelLimits;
use crate::profile::model::*;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;

/// Settings given on the command line or through the library's builder,
/// layered on top of the profile and resolved by the same rules (so a bind
/// added in code is checked like one in a file, and gets its Landlock rule).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// The settings as a profile layer, merged last.
    pub profile: Profile,
    /// `--net host` (false) or `--net none` (true).
    pub new_net: Option<bool>,
    /// Paths mounted here (`--ro`, `--rw`, `--tmpfs`) and whether writable:
    /// when the profile has Landlock filesystem rules, these get read and
    /// execute (plus write) rules, so what you mount you can use.
    pub landlock_grants: Vec<At<(String, bool)>>,
    /// Where errors say these settings came from (the command line unless
    /// set).
    pub origin: Option<Loc>,
    /// What only a launch adds, applied by [`finish`](super::finish) to any
    /// policy (also one given whole to the library).
    pub launch: Launch,
    /// Where the sandbox's cgroup goes (`--cgroup-parent`).
    pub cgroup_parent: Option<std::path::PathBuf>,
}

/// What the command line or the builder adds to a resolved policy for one
/// launch: passed descriptors, literal environment variables, the
/// channel. Checked by the same rules as the profile's entries.
#[derive(Clone, Debug, Default)]
pub struct Launch {
    /// `(host fd, payload fd)` pairs (`--fd`, `pass_fd`), each replacing a
    /// mapping of the same payload fd.
    pub fds: Vec<At<(i32, i32)>>,
    /// Variables set as given, no `${VAR}` expansion (the builder's
    /// `env`), replacing the profile's.
    pub env: Vec<At<(OsString, OsString)>>,
    /// The channel as the launch asks for it.
    pub channel: Option<ChannelSetting>,
}

/// How a launch sets the channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelSetting {
    /// On, with the profile's limits or the defaults; with `socket`, the
    /// filesystem socket too (`--channel`, `--channel-socket`).
    On {
        /// Also the socket.
        socket: bool,
    },
    /// On with exactly these limits (the builder's `channel`).
    Limits(ChannelLimits),
}

/// A resource limit of the payload (soft = hard), as the profile's
/// `limits` section names them; sizes in bytes.
///
/// ```no_run
/// # use stockade::sandbox::*;
/// let s = Sandbox::from_profile("strict")?
///     .limit(Limit::Data(512 << 20))
///     .limit(Limit::Processes(32))
///     .limit(Limit::CpuTime(std::time::Duration::from_secs(10)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// RLIMIT_CPU: CPU time, in whole seconds (at least one).
    CpuTime(std::time::Duration),
    /// RLIMIT_AS: address space.
    AddressSpace(u64),
    /// RLIMIT_DATA: data segment and heap.
    Data(u64),
    /// RLIMIT_FSIZE: largest file the payload may write.
    FileSize(u64),
    /// RLIMIT_NOFILE: open file descriptors.
    OpenFiles(u64),
    /// RLIMIT_NPROC: processes (counted per user namespace: the sandbox only).
    Processes(u64),
    /// RLIMIT_CORE: core dump size.
    Core(u64),
    /// RLIMIT_STACK.
    Stack(u64),
    /// RLIMIT_LOCKS: file locks.
    Locks(u64),
    /// RLIMIT_MEMLOCK: locked memory.
    Memlock(u64),
    /// RLIMIT_MSGQUEUE: bytes in POSIX message queues.
    Msgqueue(u64),
    /// RLIMIT_SIGPENDING: queued signals.
    Sigpending(u64),
    /// Memory of the whole sandbox: cgroup v2 memory.max where a cgroup
    /// can be made, else RLIMIT_DATA per process (the profile's `memory`).
    Memory(u64),
}

impl Overrides {
    /// Settings whose errors name `origin` (e.g. `Sandbox builder`).
    pub fn from(origin: &str) -> Overrides {
        Overrides {
            origin: Some(Loc {
                file: std::sync::Arc::from(origin),
                line: 0,
                col: 0,
            }),
            ..Overrides::default()
        }
    }

    /// Whether nothing has been set.
    pub fn profile_is_empty(&self) -> bool {
        self.new_net.is_none()
            && self.landlock_grants.is_empty()
            && self.profile.filesystem.is_none()
            && self.profile.env.is_none()
            && self.profile.cwd.is_none()
            && self.profile.hostname.is_none()
            && self.profile.user.is_none()
            && self.profile.limits.is_none()
            && self.cgroup_parent.is_none()
    }

    fn at<T>(&self, value: T) -> At<T> {
        At {
            value,
            loc: self.origin.clone().unwrap_or_else(Loc::cli),
        }
    }

    /// Binds host path `src` (relative to `cwd`) at `dest` (default: the
    /// same path), read-only unless `writable`.
    pub fn bind(&mut self, src: &str, dest: Option<&str>, writable: bool, cwd: &Path) {
        let p = Path::new(src);
        let src = if p.is_absolute() {
            p.to_path_buf()
        } else {
            cwd.join(p)
        };
        let src = src.to_string_lossy().into_owned();
        let dest = dest.map(str::to_owned);
        let grant = self.at((dest.clone().unwrap_or_else(|| src.clone()), writable));
        self.landlock_grants.push(grant);
        let entry = self.at(FsEntry {
            bind: Some(src),
            dest,
            writable: Some(writable),
            ..FsEntry::default()
        });
        self.profile
            .filesystem
            .get_or_insert_with(Vec::new)
            .push(entry);
    }

    /// A fresh, writable tmpfs at `dest`.
    pub fn tmpfs(&mut self, dest: &str) {
        let grant = self.at((dest.to_owned(), true));
        self.landlock_grants.push(grant);
        let entry = self.at(FsEntry {
            tmpfs: Some(dest.to_owned()),
            ..FsEntry::default()
        });
        self.profile
            .filesystem
            .get_or_insert_with(Vec::new)
            .push(entry);
    }

    /// Sets an environment variable (`${VAR}` expanded as in a profile).
    pub fn set_env(&mut self, name: &str, value: &str) {
        let v = self.at(value.to_owned());
        let env = self.profile.env.get_or_insert_with(Default::default);
        env.set
            .get_or_insert_with(BTreeMap::new)
            .insert(name.to_owned(), v);
    }

    /// Passes a host environment variable through.
    pub fn keep_env(&mut self, name: &str) {
        let v = self.at(name.to_owned());
        let env = self.profile.env.get_or_insert_with(Default::default);
        env.keep.get_or_insert_with(Vec::new).push(v);
    }

    /// The payload's working directory inside the sandbox.
    pub fn cwd(&mut self, dir: &str) {
        self.profile.cwd = Some(self.at(dir.to_owned()));
    }

    /// The sandbox's hostname.
    pub fn hostname(&mut self, name: &str) {
        self.profile.hostname = Some(self.at(name.to_owned()));
    }

    /// The identity inside the sandbox.
    pub fn user(&mut self, user: UserSpec) {
        self.profile.user = Some(self.at(user));
    }

    /// The wall-time limit (`30s`, `5m`, `1h 30m`).
    pub fn wall_time(&mut self, limit: &str) {
        // A bare number is seconds (`--timeout 10`), as timeout(1) reads it.
        let limit = match limit.trim().parse::<u64>() {
            Ok(n) => format!("{n}s"),
            Err(_) => limit.to_owned(),
        };
        let v = self.at(limit);
        self.profile
            .limits
            .get_or_insert_with(Limits::default)
            .wall_time = Some(v);
    }

    /// One resource limit, checked when resolved like the profile's.
    pub fn limit(&mut self, limit: Limit) {
        let loc = self.at(()).loc;
        let bytes = |n: u64| {
            Some(At {
                value: SizeRepr::Bytes(n),
                loc: loc.clone(),
            })
        };
        let count = |n: u64| {
            Some(At {
                value: n,
                loc: loc.clone(),
            })
        };
        let l = self.profile.limits.get_or_insert_with(Limits::default);
        match limit {
            Limit::CpuTime(d) => {
                let v = format!("{}s", d.as_secs().max(1));
                l.cpu_time = Some(At {
                    value: v,
                    loc: loc.clone(),
                });
            }
            Limit::AddressSpace(n) => l.address_space = bytes(n),
            Limit::Data(n) => l.data = bytes(n),
            Limit::FileSize(n) => l.file_size = bytes(n),
            Limit::OpenFiles(n) => l.open_files = count(n),
            Limit::Processes(n) => l.processes = count(n),
            Limit::Core(n) => l.core = bytes(n),
            Limit::Stack(n) => l.stack = bytes(n),
            Limit::Locks(n) => l.locks = count(n),
            Limit::Memlock(n) => l.memlock = bytes(n),
            Limit::Msgqueue(n) => l.msgqueue = bytes(n),
            Limit::Sigpending(n) => l.sigpending = count(n),
            Limit::Memory(n) => l.memory = bytes(n),
        }
    }

    /// Passes host descriptor `fd` as the payload's `target`.
    pub fn pass_fd(&mut self, fd: i32, target: i32) {
        let pair = self.at((fd, target));
        self.launch.fds.push(pair);
    }

    /// Sets an environment variable as given (no `${VAR}` expansion).
    pub fn set_env_literal(&mut self, name: OsString, value: OsString) {
        let entry = self.at((name, value));
        self.launch.env.push(entry);
    }

    /// Turns the channel on.
    pub fn channel(&mut self, setting: ChannelSetting) {
        self.launch.channel = Some(setting);
    }

    /// The memory of the whole sandbox (`--memory`).
    pub fn memory(&mut self, size: &str) {
        let v = self.at(SizeRepr::Text(size.to_owned()));
        self.profile
            .limits
            .get_or_insert_with(Limits::default)
            .memory = Some(v);
    }

    /// The CPUs the sandbox may use (`--cpus`).
    pub fn cpus(&mut self, cpus: f64) {
        let v = self.at(cpus);
        self.profile.limits.get_or_insert_with(Limits::default).cpu = Some(v);
    }

    /// A new, empty network namespace (`none`) or the host's network.
    pub fn network(&mut self, isolated: bool) {
        self.new_net = Some(isolated);
    }
}
