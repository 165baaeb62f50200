//! Profile layers → Policy: merge `extends` layers and command-line
//! overrides, expand variables, fill in defaults, check cross-field rules.
//!
//! Merge rules: scalars (`hostname`, `cwd`, `user`, `limits.*`) and the
//! `namespaces` list are replaced by the later layer; `filesystem` operations
//! are appended after the parent's; `env.keep` is a union and `env.set` is
//! merged key by key, the later layer winning.

use super::model::{
    ArgSpec, At, ChannelSpec, DenySpec, FdSpec, FsEntry, LandlockRuleSpec, Limits, Loc, ModeRepr,
    Namespace, Profile, SizeRepr, SyscallSpec, UserSpec, ValueRepr,
};
use super::{Layer, ProfileError};
use crate::landlock::{self as ll, Compat, FsRule, LandlockPolicy};
use crate::policy::{Identity, Mount, MountOp, Policy, Rlimit, Warning};
use crate::seccomp::{self, Action, Arch, Cond, Op, SeccompPolicy};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{OsStr, OsString};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// The uid/gid a root-started sandbox runs as on the host unless configured.
pub const NOBODY: u32 = 65534;
const DEFAULT_TMPFS_SIZE: u64 = 64 << 20;
const DEFAULT_HOSTNAME: &str = "sandbox";

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
    /// `${USER}`.
    pub user: String,
    /// `${TMPDIR}` (`/tmp` when unset).
    pub tmpdir: String,
    /// The launcher's environment, for `env.keep`.
    pub env: Vec<(OsString, OsString)>,
}

impl Host {
    /// Facts of the running process.
    pub fn current() -> std::io::Result<Host> {
        let uid = nix::unistd::getuid().as_raw();
        let user = std::env::var("USER").ok().unwrap_or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                .ok()
                .flatten()
                .map(|u| u.name)
                .unwrap_or_else(|| uid.to_string())
        });
        Ok(Host {
            uid,
            gid: nix::unistd::getgid().as_raw(),
            home: std::env::var("HOME").ok(),
            cwd: std::env::current_dir()?,
            user,
            tmpdir: std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into()),
            env: std::env::vars_os().collect(),
        })
    }
}

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
        let v = self.at(limit.to_owned());
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
        }
    }

    /// A new, empty network namespace (`none`) or the host's network.
    pub fn network(&mut self, isolated: bool) {
        self.new_net = Some(isolated);
    }
}

/// Everything the layers say, after merging.
#[derive(Default)]
struct Merged<'a> {
    namespaces: Option<&'a At<Vec<At<Namespace>>>>,
    hostname: Option<&'a At<String>>,
    user: Option<&'a At<UserSpec>>,
    cwd: Option<&'a At<String>>,
    fs: Vec<&'a At<FsEntry>>,
    keep: Vec<&'a At<String>>,
    set: BTreeMap<&'a str, &'a At<String>>,
    limits: Limits,
    ll_read: Vec<&'a At<String>>,
    ll_write: Vec<&'a At<String>>,
    ll_execute: Vec<&'a At<String>>,
    ll_rules: Vec<&'a At<LandlockRuleSpec>>,
    ll_bind: Option<Vec<u16>>,
    ll_connect: Option<Vec<u16>>,
    ll_scopes: Option<&'a At<Vec<At<String>>>>,
    ll_compat: Option<&'a At<Compat>>,
    grants: &'a [At<(String, bool)>],
    sc_present: bool,
    sc_default: Option<&'a At<String>>,
    sc_restrict_suid: Option<&'a At<bool>>,
    sc_allow: Vec<&'a At<SyscallSpec>>,
    sc_deny: Vec<&'a At<DenySpec>>,
    fds: Option<&'a Vec<At<FdSpec>>>,
    channel: Option<&'a At<ChannelSpec>>,
}

/// Later layers replace earlier ones field by field.
fn merge_limits(dst: &mut Limits, src: &Limits) {
    macro_rules! take {
        ($($f:ident),*) => {$(
            if src.$f.is_some() {
                dst.$f = src.$f.clone();
            }
        )*};
    }
    take!(
        wall_time,
        cpu_time,
        address_space,
        data,
        file_size,
        open_files,
        processes,
        core,
        stack,
        locks,
        memlock,
        msgqueue,
        sigpending,
        nice,
        rtprio
    );
}

fn append_ports(dst: &mut Option<Vec<u16>>, src: &Option<Vec<u16>>) {
    if let Some(ports) = src {
        dst.get_or_insert_with(Vec::new).extend(ports);
    }
}

impl<'a> Merged<'a> {
    fn add(&mut self, p: &'a Profile) {
        self.namespaces = p.namespaces.as_ref().or(self.namespaces);
        self.hostname = p.hostname.as_ref().or(self.hostname);
        self.user = p.user.as_ref().or(self.user);
        self.cwd = p.cwd.as_ref().or(self.cwd);
        self.fs.extend(p.filesystem.iter().flatten());
        if let Some(env) = &p.env {
            self.keep.extend(env.keep.iter().flatten());
            for (k, v) in env.set.iter().flatten() {
                self.set.insert(k, v);
            }
        }
        if let Some(l) = &p.limits {
            merge_limits(&mut self.limits, l);
        }
        if let Some(l) = &p.landlock {
            self.ll_read.extend(l.read.iter().flatten());
            self.ll_write.extend(l.write.iter().flatten());
            self.ll_execute.extend(l.execute.iter().flatten());
            self.ll_rules.extend(l.rules.iter().flatten());
            if let Some(net) = &l.net {
                append_ports(&mut self.ll_bind, &net.bind);
                append_ports(&mut self.ll_connect, &net.connect);
            }
            self.ll_scopes = l.scopes.as_ref().or(self.ll_scopes);
            self.ll_compat = l.compatibility.as_ref().or(self.ll_compat);
        }
        self.fds = p.fds.as_ref().or(self.fds);
        self.channel = p.channel.as_ref().or(self.channel);
        if let Some(sc) = &p.seccomp {
            self.sc_present = true;
            self.sc_default = sc.default_action.as_ref().or(self.sc_default);
            self.sc_restrict_suid = sc.restrict_suid_sgid.as_ref().or(self.sc_restrict_suid);
            self.sc_allow.extend(sc.allow.iter().flatten());
            self.sc_deny.extend(sc.deny.iter().flatten());
        }
    }
}

/// Resolves profile layers (root ancestor first) plus overrides into a policy.
pub fn resolve(layers: &[Layer], ov: &Overrides, host: &Host) -> Result<Policy, ProfileError> {
    let mut m = Merged::default();
    for l in layers {
        m.add(&l.profile);
    }
    m.add(&ov.profile);
    m.grants = &ov.landlock_grants;

    let namespaces = resolve_namespaces(m.namespaces, ov.new_net)?;
    let hostname = match (namespaces.contains(&Namespace::Uts), m.hostname) {
        (true, None) => Some(DEFAULT_HOSTNAME.to_string()),
        (true, Some(h)) => Some(check_hostname(h)?),
        (false, Some(h)) => {
            return Err(
                ProfileError::new(&h.loc, "hostname requires the uts namespace")
                    .hint("add 'uts' to namespaces, or remove hostname"),
            )
        }
        (false, None) => None,
    };
    let mut warnings = Vec::new();
    let identity = resolve_identity(m.user, host, &mut warnings)?;
    let mut mounts = Vec::new();
    let mut workdir_binds = Vec::new();
    for e in &m.fs {
        let workdir = is_workdir_bind(e);
        // The working directory "/" would be the whole host: never bound.
        if workdir && host.cwd == Path::new("/") {
            warnings.push(workdir_warning(&host.cwd, SHARED_WHY));
            continue;
        }
        if let Some(op) = fs_op(e, host)? {
            if workdir {
                workdir_binds.push(mounts.len());
            }
            mounts.push(Mount {
                op,
                loc: e.loc.clone(),
            });
        }
    }
    canonicalize_binds(&mut mounts);
    keep_shared_directories_private(&mut mounts, &workdir_binds, host, &mut warnings);
    check_creations(&mounts)?;
    let cwd = match m.cwd {
        None => PathBuf::from("/"),
        Some(c) => {
            let p = view_path(&expand(&c.value, &c.loc, host)?, &c.loc, "cwd")?;
            if !in_view(&p, &mounts) {
                return Err(ProfileError::new(
                    &c.loc,
                    format!("cwd {} is not part of the sandbox's view", p.display()),
                )
                .hint("bind or create that directory, or choose another with --chdir"));
            }
            p
        }
    };
    let env = resolve_env(&m, host)?;
    let wall_time = m
        .limits
        .wall_time
        .as_ref()
        .map(|w| duration(w, "wall_time"))
        .transpose()?;
    let rlimits = resolve_rlimits(&m.limits)?;
    let landlock = resolve_landlock(&m, &mounts, host)?;
    let seccomp = resolve_seccomp(&m, &mut warnings)?;
    let fds = match m.fds {
        None => vec![(0, 0), (1, 1), (2, 2)],
        Some(list) => {
            let mut out = Vec::new();
            for f in list {
                let pair = match &f.value {
                    FdSpec::Same(n) => Some((*n, *n)),
                    FdSpec::Map(s) => crate::fds::parse_spec(s),
                };
                match pair {
                    Some((a, b)) if a >= 0 && b >= 0 => out.push((a, b)),
                    _ => {
                        return Err(ProfileError::new(
                            &f.loc,
                            "invalid fd: use N or \"HOST:SANDBOX\"",
                        ))
                    }
                }
            }
            out
        }
    };
    let channel = match m.channel.map(|c| &c.value) {
        None | Some(ChannelSpec::On(false)) => None,
        Some(ChannelSpec::On(true)) => Some(crate::policy::ChannelLimits::default()),
        Some(ChannelSpec::Limits(l)) => {
            let d = crate::policy::ChannelLimits::default();
            let loc = &m.channel.map(|c| c.loc.clone()).unwrap_or_else(Loc::cli);
            Some(crate::policy::ChannelLimits {
                max_message: match &l.max_message {
                    Some(s) => parse_size(s, loc)? as usize,
                    None => d.max_message,
                },
                max_fds: l.max_fds.map_or(d.max_fds, |n| n as usize),
                socket: l.socket.unwrap_or(false),
            })
        }
    };
    for m in &mounts {
        if let MountOp::Bind {
            src,
            writable: true,
            ..
        } = &m.op
        {
            if !sandbox_can_write(src, &identity) {
                warnings.push(Warning::BindNotWritable {
                    path: src.clone(),
                    host_uid: identity.host_uid,
                });
            }
        }
    }
    Ok(Policy {
        namespaces,
        hostname,
        identity,
        cwd,
        mounts,
        env,
        wall_time,
        rlimits,
        landlock,
        seccomp,
        fds,
        channel,
        warnings,
    })
}

fn value(v: &ValueRepr) -> Result<u64, String> {
    match v {
        ValueRepr::Num(n) => Ok(*n),
        ValueRepr::Text(t) => seccomp::consts::parse_value(t),
    }
}

fn conds(name: &str, args: &[ArgSpec]) -> Result<Vec<Cond>, String> {
    args.iter()
        .map(|a| {
            if a.arg > 5 {
                return Err(format!(
                    "argument index {} is impossible: syscalls have arguments 0 to 5",
                    a.arg
                ));
            }
            Cond::new(name, a.arg, Op::parse(&a.op)?, value(&a.value)?)
        })
        .collect()
}

/// Syscalls stockade itself makes after the filter is in place: execve of
/// the payload, and write + exit_group to report an exec failure.
const NEEDED_AFTER_FILTER: [&str; 3] = ["execve", "write", "exit_group"];

fn resolve_seccomp(
    m: &Merged<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<Option<SeccompPolicy>, ProfileError> {
    if !m.sc_present {
        return Ok(None);
    }
    let arch = Arch::native();
    let default_action = match m.sc_default {
        None => Action::KillProcess,
        Some(a) => Action::parse(&a.value).map_err(|e| ProfileError::new(&a.loc, e))?,
    };
    let mut allow = Vec::new();
    for a in &m.sc_allow {
        let (name, c) = match &a.value {
            SyscallSpec::Name(n) => (n.as_str(), Vec::new()),
            SyscallSpec::Rule(r) => (
                r.syscall.as_str(),
                conds(&r.syscall, &r.args).map_err(|e| ProfileError::new(&a.loc, e))?,
            ),
        };
        let entries = seccomp::expand(name, arch, &a.loc, &c)
            .map_err(|e| ProfileError::new(&a.loc, format!("seccomp.allow: {e}")))?;
        for e in &entries {
            if seccomp::groups::DANGEROUS.contains(&e.name.as_str()) {
                warnings.push(Warning::DangerousSyscall {
                    at: a.loc.to_string(),
                    name: e.name.clone(),
                    via: e.via.clone(),
                });
            }
        }
        allow.extend(entries);
    }
    let mut deny = Vec::new();
    for d in &m.sc_deny {
        let errno = match &d.value.errno {
            ValueRepr::Num(n) => seccomp::parse_errno(&n.to_string()),
            ValueRepr::Text(t) => seccomp::parse_errno(t),
        }
        .map_err(|e| ProfileError::new(&d.loc, e))?;
        let c = conds(&d.value.syscall, &d.value.args).map_err(|e| ProfileError::new(&d.loc, e))?;
        let entries = seccomp::expand(&d.value.syscall, arch, &d.loc, &c)
            .map_err(|e| ProfileError::new(&d.loc, format!("seccomp.deny: {e}")))?;
        deny.extend(entries.into_iter().map(|e| (e, errno)));
    }
    if let Some(r) = m.sc_restrict_suid.filter(|r| r.value) {
        deny.extend(seccomp::restrict_suid_sgid(&r.loc));
    }
    let at = m.sc_default.map(|a| a.loc.clone()).unwrap_or_else(|| {
        m.sc_allow
            .first()
            .map(|a| a.loc.clone())
            .unwrap_or_else(Loc::cli)
    });
    if allow.is_empty() {
        return Err(ProfileError::new(&at, "the seccomp allowlist is empty")
            .hint("allow at least @default; every program needs some syscalls"));
    }
    if !matches!(default_action, Action::Log) {
        for need in NEEDED_AFTER_FILTER {
            if !allow.iter().any(|e| e.name == need && e.conds.is_empty()) {
                return Err(ProfileError::new(
                    &at,
                    format!("the seccomp allowlist lacks {need}, which stockade needs after the filter is in place"),
                )
                .hint(format!("add {need} (or @default) to seccomp.allow")));
            }
        }
    }
    Ok(Some(SeccompPolicy {
        default_action,
        allow,
        deny,
    }))
}

fn duration(w: &At<String>, what: &str) -> Result<std::time::Duration, ProfileError> {
    humantime::parse_duration(&w.value).map_err(|e| {
        ProfileError::new(&w.loc, format!("invalid {what} '{}': {e}", w.value))
            .hint("use a duration like 30s, 5m or 1h30m")
    })
}

/// Resource limits, soft = hard. `core` is 0 unless set.
fn resolve_rlimits(l: &Limits) -> Result<Vec<Rlimit>, ProfileError> {
    let mut out = Vec::new();
    let mut push = |name: &'static str, resource: libc::__rlimit_resource_t, value: u64| {
        out.push(Rlimit {
            name,
            resource: resource as i32,
            value,
        })
    };
    if let Some(c) = &l.cpu_time {
        push(
            "cpu_time",
            libc::RLIMIT_CPU,
            duration(c, "cpu_time")?.as_secs().max(1),
        );
    }
    let sizes = [
        ("address_space", libc::RLIMIT_AS, &l.address_space),
        ("data", libc::RLIMIT_DATA, &l.data),
        ("file_size", libc::RLIMIT_FSIZE, &l.file_size),
        ("stack", libc::RLIMIT_STACK, &l.stack),
        ("memlock", libc::RLIMIT_MEMLOCK, &l.memlock),
        ("msgqueue", libc::RLIMIT_MSGQUEUE, &l.msgqueue),
    ];
    for (name, res, v) in sizes {
        if let Some(v) = v {
            push(name, res, parse_size(&v.value, &v.loc)?);
        }
    }
    let core = match &l.core {
        Some(v) => parse_size(&v.value, &v.loc)?,
        None => 0,
    };
    push("core", libc::RLIMIT_CORE, core);
    let counts = [
        ("open_files", libc::RLIMIT_NOFILE, &l.open_files),
        ("processes", libc::RLIMIT_NPROC, &l.processes),
        ("locks", libc::RLIMIT_LOCKS, &l.locks),
        ("sigpending", libc::RLIMIT_SIGPENDING, &l.sigpending),
        ("nice", libc::RLIMIT_NICE, &l.nice),
        ("rtprio", libc::RLIMIT_RTPRIO, &l.rtprio),
    ];
    for (name, res, v) in counts {
        if let Some(v) = v {
            if name == "nice" && v.value > 40 {
                return Err(ProfileError::new(
                    &v.loc,
                    "nice must be 0..40 (20 - nice value)",
                ));
            }
            push(name, res, v.value);
        }
    }
    Ok(out)
}

fn resolve_landlock(
    m: &Merged<'_>,
    mounts: &[Mount],
    host: &Host,
) -> Result<LandlockPolicy, ProfileError> {
    let mut fs = Vec::new();
    let classes = [
        (&m.ll_read, ll::read_rights().bits()),
        (&m.ll_write, ll::write_rights().bits()),
        (&m.ll_execute, ll::execute_rights().bits()),
    ];
    for (list, access) in classes {
        for p in list.iter() {
            fs.push(landlock_rule(&p.value, access, &p.loc, mounts, host)?);
        }
    }
    if !fs.is_empty() {
        for g in m.grants {
            let (path, writable) = &g.value;
            let mut access = ll::read_rights().bits() | ll::execute_rights().bits();
            if *writable {
                access |= ll::write_rights().bits();
            }
            fs.push(landlock_rule(path, access, &g.loc, mounts, host)?);
        }
    }
    for r in &m.ll_rules {
        let mut access = 0;
        for name in &r.value.access {
            access |= match name.as_str() {
                "read" => ll::read_rights().bits(),
                "write" => ll::write_rights().bits(),
                "execute" => ll::execute_rights().bits(),
                n => match ll::fs_right(n) {
                    Some(a) => a as u64,
                    None => {
                        let all: Vec<&str> = ["read", "write", "execute"]
                            .into_iter()
                            .chain(ll::FS_RIGHTS.iter().map(|(n, _)| *n))
                            .collect();
                        let best =
                            crate::diag::nearest(n, all.iter().copied()).map_or("read", |(_, c)| c);
                        return Err(ProfileError::new(
                            &r.loc,
                            format!("unknown landlock right '{n}'"),
                        )
                        .hint(format!("did you mean '{best}'? rights: {}", all.join(", "))));
                    }
                },
            };
        }
        fs.push(landlock_rule(&r.value.path, access, &r.loc, mounts, host)?);
    }
    let scopes = match m.ll_scopes {
        None => ll::default_scopes(),
        Some(list) => {
            let mut bits = 0;
            for s in &list.value {
                bits |= match s.value.as_str() {
                    "abstract-unix-socket" => ::landlock::Scope::AbstractUnixSocket as u64,
                    "signal" => ::landlock::Scope::Signal as u64,
                    other => {
                        return Err(
                            ProfileError::new(&s.loc, format!("unknown scope '{other}'"))
                                .hint("scopes: abstract-unix-socket, signal"),
                        )
                    }
                };
            }
            bits
        }
    };
    Ok(LandlockPolicy {
        fs,
        bind_tcp: m.ll_bind.clone(),
        connect_tcp: m.ll_connect.clone(),
        scopes,
        compat: m.ll_compat.map(|c| c.value).unwrap_or_default(),
    })
}

/// A rule must name a path in the view, and may not grant writes beneath a
/// read-only bind (the mount would refuse them anyway: the rule is a mistake).
fn landlock_rule(
    path: &str,
    access: u64,
    loc: &Loc,
    mounts: &[Mount],
    host: &Host,
) -> Result<FsRule, ProfileError> {
    let p = view_path(&expand(path, loc, host)?, loc, "landlock path")?;
    if !in_view(&p, mounts) {
        return Err(ProfileError::new(
            loc,
            format!(
                "landlock rule on {}, which is not part of the sandbox's view",
                p.display()
            ),
        )
        .hint("bind or create the path first, or remove the rule"));
    }
    if access & ll::write_rights().bits() != 0 {
        if let Base::Host(i, _, _) = base_of(mounts, mounts.len(), &p) {
            if let MountOp::Bind {
                writable: false, ..
            } = mounts[i].op
            {
                return Err(ProfileError::new(
                    loc,
                    format!(
                        "landlock write rule on {}, which lies in a read-only bind ({})",
                        p.display(),
                        mounts[i].loc
                    ),
                )
                .hint("make the bind writable, or drop the write rule"));
            }
        }
    }
    Ok(FsRule {
        path: p,
        access,
        loc: loc.clone(),
    })
}

const REQUIRED_NS: [Namespace; 3] = [Namespace::User, Namespace::Pid, Namespace::Mount];

fn resolve_namespaces(
    given: Option<&At<Vec<At<Namespace>>>>,
    new_net: Option<bool>,
) -> Result<BTreeSet<Namespace>, ProfileError> {
    let mut set: BTreeSet<Namespace> = match given {
        None => [
            Namespace::User,
            Namespace::Pid,
            Namespace::Mount,
            Namespace::Net,
            Namespace::Ipc,
            Namespace::Uts,
        ]
        .into(),
        Some(list) => {
            let set: BTreeSet<Namespace> = list.value.iter().map(|n| n.value).collect();
            for req in REQUIRED_NS {
                if !set.contains(&req) {
                    return Err(ProfileError::new(
                        &list.loc,
                        format!("namespaces must include '{}'", req.name()),
                    )
                    .hint("stockade always creates user, pid and mount namespaces: its view and its init depend on them"));
                }
            }
            set
        }
    };
    match new_net {
        Some(true) => {
            set.insert(Namespace::Net);
        }
        Some(false) => {
            set.remove(&Namespace::Net);
        }
        None => {}
    }
    Ok(set)
}

fn check_hostname(h: &At<String>) -> Result<String, ProfileError> {
    let ok = !h.value.is_empty()
        && h.value.len() <= 64
        && h.value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if ok {
        Ok(h.value.clone())
    } else {
        Err(
            ProfileError::new(&h.loc, format!("invalid hostname '{}'", h.value))
                .hint("use 1 to 64 letters, digits, '-' and '.'"),
        )
    }
}

fn resolve_identity(
    user: Option<&At<UserSpec>>,
    host: &Host,
    warnings: &mut Vec<Warning>,
) -> Result<Identity, ProfileError> {
    let root = host.uid == 0;
    let (uid, gid, host_ids) = match user.map(|u| (&u.value, &u.loc)) {
        None if root => (NOBODY, NOBODY, None),
        None => (host.uid, host.gid, None),
        Some((UserSpec::Name(n), _)) if n == "root" => (0, 0, root.then_some((0, 0))),
        Some((UserSpec::Name(n), loc)) => {
            return Err(ProfileError::new(loc, format!("unknown user '{n}'"))
                .hint("use 'root' or {uid: N, gid: N}"))
        }
        Some((UserSpec::Ids(ids), loc)) => {
            let host_ids = match (ids.host_uid, ids.host_gid) {
                (None, None) => None,
                (u, g) if root => Some((u.unwrap_or(NOBODY), g.unwrap_or(NOBODY))),
                _ => {
                    return Err(ProfileError::new(
                        loc,
                        "host_uid/host_gid need stockade to run as root",
                    )
                    .hint("rootless, the sandbox user always maps onto the invoking user"))
                }
            };
            (ids.uid, ids.gid.unwrap_or(ids.uid), host_ids)
        }
    };
    let (host_uid, host_gid) = match host_ids {
        Some(ids) => ids,
        None if root => (NOBODY, NOBODY),
        None => (host.uid, host.gid),
    };
    if root && host_uid == 0 {
        warnings.push(Warning::HostRoot);
    }
    Ok(Identity {
        uid,
        gid,
        host_uid,
        host_gid,
        launcher_is_root: root,
    })
}

/// Expands `${HOME}`, `${CWD}`, `${USER}`, `${UID}` and `${TMPDIR}`.
pub(crate) fn expand(s: &str, loc: &Loc, host: &Host) -> Result<String, ProfileError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| ProfileError::new(loc, format!("unterminated '${{' in '{s}'")))?;
        let name = &after[..end];
        let value = match name {
            "HOME" => host
                .home
                .clone()
                .ok_or_else(|| ProfileError::new(loc, "${HOME} is used but HOME is not set"))?,
            "CWD" => host.cwd.to_string_lossy().into_owned(),
            "USER" => host.user.clone(),
            "UID" => host.uid.to_string(),
            "TMPDIR" => host.tmpdir.clone(),
            _ => {
                return Err(
                    ProfileError::new(loc, format!("unknown variable '${{{name}}}'"))
                        .hint("variables: ${HOME}, ${CWD}, ${USER}, ${UID}, ${TMPDIR}"),
                )
            }
        };
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// An absolute, normalized path (no `.`, no `..`, no trailing slash).
fn view_path(s: &str, loc: &Loc, what: &str) -> Result<PathBuf, ProfileError> {
    let p = Path::new(s);
    if !p.is_absolute() {
        return Err(
            ProfileError::new(loc, format!("{what} '{s}' is not an absolute path"))
                .hint("write it from the root, e.g. ${CWD}/dir"),
        );
    }
    let mut out = PathBuf::from("/");
    for c in p.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(n) => out.push(n),
            Component::ParentDir | Component::Prefix(_) => {
                return Err(ProfileError::new(
                    loc,
                    format!("{what} '{s}' contains '..'"),
                ))
            }
        }
    }
    Ok(out)
}

fn parse_mode(m: &ModeRepr, loc: &Loc) -> Result<u32, ProfileError> {
    let digits = match m {
        ModeRepr::Int(i) => i.to_string(),
        ModeRepr::Text(t) => t.trim_start_matches("0o").to_string(),
    };
    match u32::from_str_radix(&digits, 8) {
        Ok(v) if v <= 0o7777 => Ok(v),
        _ => Err(ProfileError::new(loc, format!("invalid mode '{digits}'"))
            .hint("write the mode in octal, e.g. \"0755\" or \"1777\"")),
    }
}

fn parse_size(s: &SizeRepr, loc: &Loc) -> Result<u64, ProfileError> {
    match s {
        SizeRepr::Bytes(b) => Ok(*b),
        SizeRepr::Text(t) => parse_size::Config::new()
            .with_binary()
            .parse_size(t)
            .map_err(|e| {
                ProfileError::new(loc, format!("invalid size '{t}': {e}"))
                    .hint("use bytes or a unit, e.g. 64M or 1G")
            }),
    }
}

fn fs_op(e: &At<FsEntry>, host: &Host) -> Result<Option<MountOp>, ProfileError> {
    let f = &e.value;
    let loc = &e.loc;
    let kinds = [
        ("bind", f.bind.is_some()),
        ("tmpfs", f.tmpfs.is_some()),
        ("proc", f.proc.is_some()),
        ("dev", f.dev.is_some()),
        ("dir", f.dir.is_some()),
        ("symlink", f.symlink.is_some()),
    ];
    let set: Vec<&str> = kinds.iter().filter(|k| k.1).map(|k| k.0).collect();
    if [&f.bind, &f.tmpfs, &f.proc, &f.dev, &f.dir, &f.symlink]
        .iter()
        .any(|d| {
            d.as_deref()
                .is_some_and(|d| d.trim_end_matches('/').is_empty())
        })
        && f.dest.is_none()
    {
        return Err(ProfileError::new(
            loc,
            "'/' cannot be a destination: it is the sandbox's own root",
        )
        .hint("give the operation a subdirectory (for a bind, use 'dest:')"));
    }
    let kind = match set.as_slice() {
        [k] => *k,
        [] => {
            return Err(
                ProfileError::new(loc, "filesystem entry names no operation")
                    .hint("use exactly one of bind, tmpfs, proc, dev, dir, symlink"),
            )
        }
        many => {
            return Err(ProfileError::new(
                loc,
                format!(
                    "filesystem entry names several operations: {}",
                    many.join(", ")
                ),
            )
            .hint("split it into one entry per operation"))
        }
    };
    let allowed: &[&str] = match kind {
        "bind" => &["dest", "writable", "optional"],
        "tmpfs" => &["size", "mode"],
        "dev" => &["size"],
        "dir" => &["mode"],
        "symlink" => &["target"],
        _ => &[],
    };
    let extras = [
        ("dest", f.dest.is_some()),
        ("writable", f.writable.is_some()),
        ("optional", f.optional.is_some()),
        ("size", f.size.is_some()),
        ("mode", f.mode.is_some()),
        ("target", f.target.is_some()),
    ];
    if let Some((k, _)) = extras.iter().find(|(k, on)| *on && !allowed.contains(k)) {
        return Err(ProfileError::new(
            loc,
            format!("'{k}' does not apply to a {kind} entry"),
        ));
    }
    let dest_of = |s: &String| -> Result<PathBuf, ProfileError> {
        view_path(&expand(s, loc, host)?, loc, kind)
    };
    Ok(Some(match kind {
        "bind" => {
            let src_s = expand(f.bind.as_deref().unwrap_or_default(), loc, host)?;
            let src = view_path(&src_s, loc, "bind source")?;
            let dest = match &f.dest {
                Some(d) => view_path(&expand(d, loc, host)?, loc, "dest")?,
                None => src.clone(),
            };
            if dest == Path::new("/") {
                return Err(
                    ProfileError::new(loc, "cannot bind onto / (the sandbox's root)")
                        .hint("bind to a subdirectory with 'dest:', or run from another directory"),
                );
            }
            let meta = match std::fs::metadata(&src) {
                Ok(m) => m,
                Err(_) if f.optional == Some(true) => return Ok(None),
                Err(err) => {
                    return Err(ProfileError::new(
                        loc,
                        format!("bind source {}: {}", src.display(), io_reason(&err)),
                    )
                    .hint("create it, fix the path, or add 'optional: true'"))
                }
            };
            // Sources are canonicalized by canonicalize_binds once all
            // entries are known (a link may become a link in the view).
            MountOp::Bind {
                src,
                dest,
                writable: f.writable.unwrap_or(false),
                is_dir: meta.is_dir(),
            }
        }
        "tmpfs" => MountOp::Tmpfs {
            dest: dest_of(f.tmpfs.as_ref().unwrap_or(&String::new()))?,
            size: match &f.size {
                Some(s) => parse_size(s, loc)?,
                None => DEFAULT_TMPFS_SIZE,
            },
            mode: match &f.mode {
                Some(m) => parse_mode(m, loc)?,
                None => 0o1777,
            },
        },
        "proc" => MountOp::Proc {
            dest: dest_of(f.proc.as_ref().unwrap_or(&String::new()))?,
        },
        "dev" => MountOp::Dev {
            dest: dest_of(f.dev.as_ref().unwrap_or(&String::new()))?,
            shm: match &f.size {
                Some(s) => parse_size(s, loc)?,
                None => DEFAULT_TMPFS_SIZE,
            },
        },
        "dir" => MountOp::Dir {
            dest: dest_of(f.dir.as_ref().unwrap_or(&String::new()))?,
            mode: match &f.mode {
                Some(m) => parse_mode(m, loc)?,
                None => 0o755,
            },
        },
        _ => {
            let target = f
                .target
                .as_ref()
                .ok_or_else(|| ProfileError::new(loc, "symlink needs a 'target'"))?;
            MountOp::Symlink {
                dest: dest_of(f.symlink.as_ref().unwrap_or(&String::new()))?,
                target: PathBuf::from(expand(target, loc, host)?),
            }
        }
    }))
}

/// Host directories that other programs share, with their sockets (tmux,
/// ssh-agent, X11, D-Bus, systemd): a working directory may not expose
/// them by accident.
fn shared_directories(host: &Host) -> Vec<PathBuf> {
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

/// Whether a filesystem entry is the bind of the working directory.
fn is_workdir_bind(e: &At<FsEntry>) -> bool {
    e.value.bind.as_deref().map(str::trim) == Some("${CWD}") && e.value.dest.is_none()
}

fn workdir_warning(dir: &Path, why: &str) -> Warning {
    Warning::WorkdirNotBound {
        dir: dir.to_path_buf(),
        why: why.to_owned(),
    }
}

const SHARED_WHY: &str = "other programs share it, and their sockets (tmux, ssh-agent, X11) \
                          would be reachable from the payload";

/// The working directory's bind must not cover a directory other programs
/// share (or an ancestor of one), nor replace a private mount of the
/// profile: it is dropped, and unless its path is the profile's own
/// private mount it becomes a private empty tmpfs. A bind the profile or the
/// command line names explicitly is kept, with a warning.
fn keep_shared_directories_private(
    mounts: &mut Vec<Mount>,
    workdir_binds: &[usize],
    host: &Host,
    warnings: &mut Vec<Warning>,
) {
    if !mounts.iter().any(|m| matches!(m.op, MountOp::Bind { .. })) {
        return;
    }
    let shared = shared_directories(host);
    let covers_shared = |src: &Path| shared.iter().any(|d| d.starts_with(src));
    for (i, m) in mounts.iter().enumerate() {
        if let MountOp::Bind { src, .. } = &m.op {
            if !workdir_binds.contains(&i) && covers_shared(src) {
                warnings.push(Warning::SharedDirectoryBound { path: src.clone() });
            }
        }
    }
    for &i in workdir_binds.iter().rev() {
        let MountOp::Bind { src, dest, .. } = &mounts[i].op else {
            continue;
        };
        let (src, dest) = (src.clone(), dest.clone());
        let private = mounts.iter().any(|m| {
            matches!(
                m.op,
                MountOp::Tmpfs { .. } | MountOp::Proc { .. } | MountOp::Dev { .. }
            ) && m.op.dest().starts_with(&dest)
        });
        if !covers_shared(&src) && !private {
            continue;
        }
        let loc = mounts.remove(i).loc;
        // Bound explicitly too (e.g. --rw /tmp): that bind stands, warned about above.
        let explicit = mounts
            .iter()
            .any(|m| matches!(&m.op, MountOp::Bind { src: s, .. } if *s == src));
        if !explicit {
            let why = if private {
                format!("the profile gives the sandbox a private {}", dest.display())
            } else {
                SHARED_WHY.to_owned()
            };
            warnings.push(workdir_warning(&src, &why));
        }
        // The payload still starts there: on the profile's own private
        // mount when that is the directory, else on an empty one.
        let own = mounts.iter().any(|m| {
            matches!(m.op, MountOp::Tmpfs { .. } | MountOp::Dev { .. }) && m.op.dest() == dest
        });
        if !own {
            mounts.insert(
                i,
                Mount {
                    op: MountOp::Tmpfs {
                        dest,
                        size: DEFAULT_TMPFS_SIZE,
                        mode: 0o755,
                    },
                    loc,
                },
            );
        }
    }
}

/// A bind whose host source is itself a symlink (`/bin -> usr/bin` on a
/// merged-/usr system) becomes the same symlink in the view when its target
/// is already bound there; otherwise it binds what the link points at. This
/// keeps the view identical to the host's layout with one mount for /usr.
fn canonicalize_binds(mounts: &mut [Mount]) {
    let identity_binds: Vec<(PathBuf, bool)> = mounts
        .iter()
        .filter_map(|m| match &m.op {
            MountOp::Bind {
                src,
                dest,
                writable,
                ..
            } if src == dest => Some((std::fs::canonicalize(src).ok()?, *writable)),
            _ => None,
        })
        .collect();
    for m in mounts.iter_mut() {
        let MountOp::Bind {
            src,
            dest,
            writable,
            is_dir,
        } = &m.op
        else {
            continue;
        };
        let Ok(canon) = std::fs::canonicalize(src) else {
            continue;
        };
        if &canon == src {
            continue;
        }
        let link = std::fs::read_link(src).ok();
        let covered = src == dest
            && identity_binds
                .iter()
                .any(|(b, w)| b != src && canon.starts_with(b) && w == writable);
        m.op = match link {
            Some(target) if covered => MountOp::Symlink {
                dest: dest.clone(),
                target,
            },
            _ => MountOp::Bind {
                src: canon,
                dest: dest.clone(),
                writable: *writable,
                is_dir: *is_dir,
            },
        };
    }
}

/// What lies under a path in the view when an operation runs: the deepest
/// earlier mount whose destination contains it.
#[derive(Debug, PartialEq, Eq)]
pub enum Base<'a> {
    /// stockade's own root tmpfs.
    Root,
    /// A fresh filesystem from an earlier operation (tmpfs, dev), at this
    /// index; the first `depth` components of the path belong to it.
    Fresh(usize),
    /// A host bind at this index: nothing may be created there.
    Host(usize, &'a Path, &'a Path),
    /// A procfs: nothing may be created there.
    Proc(usize),
}

/// Finds what `dest` lies on when operation `upto` runs.
pub fn base_of<'a>(mounts: &'a [Mount], upto: usize, dest: &Path) -> Base<'a> {
    let mut best: (usize, Base<'a>) = (0, Base::Root);
    for (i, m) in mounts[..upto].iter().enumerate() {
        let d = m.op.dest();
        if !dest.starts_with(d) {
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

/// Refuses operations that would create files on the host: a destination
/// inside a host bind must already exist there.
fn check_creations(mounts: &[Mount]) -> Result<(), ProfileError> {
    for (i, m) in mounts.iter().enumerate() {
        let dest = m.op.dest();
        match base_of(mounts, i, dest) {
            Base::Root | Base::Fresh(_) => {}
            Base::Proc(p) => {
                return Err(ProfileError::new(
                    &m.loc,
                    format!(
                        "{} lies inside the proc mount at {}",
                        dest.display(),
                        mounts[p].op.dest().display()
                    ),
                ))
            }
            Base::Host(_, src, bdest) => {
                let rest = dest.strip_prefix(bdest).unwrap_or(Path::new(""));
                let on_host = src.join(rest);
                let exists = on_host.symlink_metadata().is_ok();
                let creates = matches!(m.op, MountOp::Symlink { .. });
                if !exists || creates {
                    return Err(ProfileError::new(
                        &m.loc,
                        format!(
                            "{} would be created inside the host bind of {} ({} on the host)",
                            dest.display(),
                            src.display(),
                            on_host.display()
                        ),
                    )
                    .hint("stockade never creates files on the host: create it there first, or choose a destination outside the bind"));
                }
            }
        }
    }
    Ok(())
}

fn in_view(p: &Path, mounts: &[Mount]) -> bool {
    p == Path::new("/")
        || mounts.iter().any(|m| {
            let d = m.op.dest();
            match &m.op {
                MountOp::Symlink { .. } => false,
                MountOp::Dir { .. } => d.starts_with(p),
                _ => p.starts_with(d) || d.starts_with(p),
            }
        })
}

fn valid_env_name(n: &str) -> bool {
    !n.is_empty() && !n.contains('=') && !n.contains('\0')
}

fn resolve_env(m: &Merged<'_>, host: &Host) -> Result<Vec<(OsString, OsString)>, ProfileError> {
    let mut env: BTreeMap<OsString, OsString> = BTreeMap::new();
    for k in &m.keep {
        if !valid_env_name(&k.value) {
            return Err(ProfileError::new(
                &k.loc,
                format!("invalid variable name '{}'", k.value),
            ));
        }
        for (n, v) in &host.env {
            let matches = n == OsStr::new(&k.value)
                || n.to_str().is_some_and(|n| crate::fds::glob(&k.value, n));
            if matches {
                env.insert(n.clone(), v.clone());
            }
        }
    }
    for (k, v) in &m.set {
        if !valid_env_name(k) {
            return Err(ProfileError::new(
                &v.loc,
                format!("invalid variable name '{k}'"),
            ));
        }
        let value = expand(&v.value, &v.loc, host)?;
        if value.contains('\0') {
            return Err(ProfileError::new(
                &v.loc,
                format!("{k} contains a NUL byte"),
            ));
        }
        env.insert((*k).into(), value.into());
    }
    Ok(env.into_iter().collect())
}

/// An I/O error's reason without the "(os error N)" suffix.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => nix::errno::Errno::from_raw(n).desc().to_string(),
        None => e.to_string(),
    }
}

/// Would the sandbox user be able to write `path` on the host?
fn sandbox_can_write(path: &Path, id: &Identity) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::parse;

    fn host() -> Host {
        Host {
            uid: 1000,
            gid: 1000,
            home: Some("/home/u".into()),
            cwd: PathBuf::from("/usr/share"),
            user: "u".into(),
            tmpdir: "/tmp".into(),
            env: vec![
                ("TERM".into(), "xterm".into()),
                ("SECRET".into(), "s".into()),
            ],
        }
    }

    fn resolve_text(text: &str, h: &Host) -> Result<Policy, ProfileError> {
        let layer = Layer {
            profile: parse(text, "t.yaml")?,
        };
        resolve(&[layer], &Overrides::default(), h)
    }

    #[test]
    fn shipped_profiles_deny_host_unix_sockets_where_landlock_can() {
        use ::landlock::{AccessFs, ABI};
        let right = AccessFs::ResolveUnix as u64;
        for name in ["default", "strict"] {
            let layers = crate::profile::load(name).unwrap();
            let policy = resolve(&layers, &Overrides::default(), &host()).unwrap();
            assert!(
                policy.landlock.fs.iter().all(|r| r.access & right == 0),
                "{name}"
            );
            for abi in [ABI::V9 as i32, ABI::V10 as i32] {
                let r = crate::landlock::prepare(&policy.landlock, abi).unwrap();
                assert_ne!(r.handled_fs & right, 0, "{name} on ABI {abi}");
                assert!(r.fs_rules.iter().all(|x| x.1 & right == 0), "{name}");
            }
        }
    }

    #[test]
    fn the_working_directory_never_covers_a_shared_directory() {
        let yaml = "version: 1\ncwd: ${CWD}\nfilesystem:\n  - {bind: /usr}\n  \
                    - {tmpfs: /tmp}\n  - {bind: \"${CWD}\", writable: true}\n";
        let binds = |p: &Policy| -> Vec<PathBuf> {
            p.mounts
                .iter()
                .filter_map(|m| match &m.op {
                    MountOp::Bind { src, .. } => Some(src.clone()),
                    _ => None,
                })
                .collect()
        };
        let tmpfs_at = |p: &Policy, d: &str| {
            p.mounts
                .iter()
                .any(|m| matches!(&m.op, MountOp::Tmpfs { dest, .. } if dest == Path::new(d)))
        };
        // A project directory is bound as it is.
        let p = resolve_text(yaml, &host()).unwrap();
        assert_eq!(
            binds(&p),
            [PathBuf::from("/usr"), PathBuf::from("/usr/share")]
        );
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        // /tmp: the profile's private /tmp stands; the payload starts there.
        let h = Host {
            cwd: "/tmp".into(),
            ..host()
        };
        let p = resolve_text(yaml, &h).unwrap();
        assert_eq!(binds(&p), [PathBuf::from("/usr")]);
        assert_eq!(p.cwd, Path::new("/tmp"));
        assert!(
            p.warnings[0].to_string().contains("private /tmp"),
            "{:?}",
            p.warnings
        );
        // The root: nothing bound, no error.
        let h = Host {
            cwd: "/".into(),
            ..host()
        };
        let p = resolve_text(yaml, &h).unwrap();
        assert_eq!(binds(&p), [PathBuf::from("/usr")]);
        // An ancestor of a shared directory (/var holds /var/tmp): an empty
        // private directory instead.
        let h = Host {
            cwd: "/var".into(),
            ..host()
        };
        let p = resolve_text(yaml, &h).unwrap();
        assert_eq!(binds(&p), [PathBuf::from("/usr")]);
        assert!(tmpfs_at(&p, "/var"));
        assert!(
            p.warnings[0]
                .to_string()
                .contains("other programs share it"),
            "{:?}",
            p.warnings
        );
        // An explicit bind of a shared directory stands, with a warning.
        let p = resolve_text(
            "version: 1\nfilesystem:\n  - {bind: /usr}\n  - {bind: /var, writable: true}\n",
            &host(),
        )
        .unwrap();
        assert_eq!(binds(&p), [PathBuf::from("/usr"), PathBuf::from("/var")]);
        assert!(
            p.warnings[0].to_string().contains("sockets in it"),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn variables_expand_and_unknown_ones_fail() {
        let h = host();
        let loc = Loc::cli();
        assert_eq!(
            expand("${HOME}/x:${UID}", &loc, &h).unwrap(),
            "/home/u/x:1000"
        );
        assert_eq!(expand("a$b", &loc, &h).unwrap(), "a$b");
        assert!(expand("${NOPE}", &loc, &h).unwrap_err().hint.is_some());
        assert!(expand("${HOME", &loc, &h).is_err());
    }

    #[test]
    fn defaults_are_secure() {
        let p = resolve_text("version: 1\n", &host()).unwrap();
        let ns: Vec<_> = p.namespaces.iter().map(|n| n.name()).collect();
        assert_eq!(ns, ["user", "pid", "mount", "net", "ipc", "uts"]);
        assert_eq!(p.hostname.as_deref(), Some("sandbox"));
        assert!(p.env.is_empty(), "env must be empty unless named");
        assert_eq!(p.cwd, PathBuf::from("/"));
    }

    #[test]
    fn root_launcher_maps_payload_to_nobody() {
        let mut h = host();
        h.uid = 0;
        h.gid = 0;
        let p = resolve_text("version: 1\n", &h).unwrap();
        assert_eq!((p.identity.uid, p.identity.host_uid), (NOBODY, NOBODY));
        let p = resolve_text("version: 1\nuser: root\n", &h).unwrap();
        assert_eq!((p.identity.uid, p.identity.host_uid), (0, 0));
        assert!(p.warnings.contains(&Warning::HostRoot));
        let p = resolve_text("version: 1\nuser: root\n", &host()).unwrap();
        assert_eq!((p.identity.uid, p.identity.host_uid), (0, 1000));
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn env_is_only_what_is_named() {
        let p = resolve_text(
            "version: 1\nenv:\n  keep: [TERM, MISSING]\n  set: {HOME: \"${HOME}\"}\n",
            &host(),
        )
        .unwrap();
        assert_eq!(
            p.env,
            vec![
                ("HOME".into(), "/home/u".into()),
                ("TERM".into(), "xterm".into())
            ]
        );
    }

    #[test]
    fn namespaces_must_keep_the_essentials() {
        let e = resolve_text("version: 1\nnamespaces: [user, mount, net]\n", &host()).unwrap_err();
        assert!(e.msg.contains("'pid'"), "{e}");
        assert_eq!(e.loc.line, 2);
        let e = resolve_text(
            "version: 1\nnamespaces: [user, pid, mount]\nhostname: x\n",
            &host(),
        )
        .unwrap_err();
        assert!(e.msg.contains("requires the uts namespace"), "{e}");
    }

    #[test]
    fn filesystem_entries_are_checked() {
        let h = host();
        let e =
            resolve_text("version: 1\nfilesystem:\n  - {tmpfs: /t, bind: /usr}\n", &h).unwrap_err();
        assert!(e.msg.contains("several operations"), "{e}");
        assert_eq!((e.loc.line, e.loc.col), (3, 5));
        let e = resolve_text("version: 1\nfilesystem:\n  - {bind: usr}\n", &h).unwrap_err();
        assert!(e.msg.contains("not an absolute path"), "{e}");
        let e =
            resolve_text("version: 1\nfilesystem:\n  - {bind: /nonexistent-x}\n", &h).unwrap_err();
        assert!(e.msg.contains("No such file"), "{e}");
        let p = resolve_text(
            "version: 1\nfilesystem:\n  - {bind: /nonexistent-x, optional: true}\n",
            &h,
        )
        .unwrap();
        assert!(p.mounts.is_empty());
        let e = resolve_text(
            "version: 1\nfilesystem:\n  - {tmpfs: /t, writable: true}\n",
            &h,
        )
        .unwrap_err();
        assert!(e.msg.contains("'writable' does not apply"), "{e}");
        let e = resolve_text("version: 1\nfilesystem:\n  - {dir: /a/../b}\n", &h).unwrap_err();
        assert!(e.msg.contains("'..'"), "{e}");
        let p = resolve_text(
            "version: 1\nfilesystem:\n  - {tmpfs: /t, size: 1M, mode: \"0700\"}\n  - {tmpfs: /u, mode: 1777}\n",
            &h,
        )
        .unwrap();
        assert_eq!(
            p.mounts[0].op,
            MountOp::Tmpfs {
                dest: "/t".into(),
                size: 1 << 20,
                mode: 0o700
            }
        );
        assert!(matches!(
            p.mounts[1].op,
            MountOp::Tmpfs { mode: 0o1777, .. }
        ));
    }

    #[test]
    fn nothing_is_created_inside_a_host_bind() {
        let h = host();
        let e = resolve_text(
            "version: 1\nfilesystem:\n  - {bind: /usr}\n  - {tmpfs: /usr/no-such-dir-here}\n",
            &h,
        )
        .unwrap_err();
        assert!(e.msg.contains("inside the host bind"), "{e}");
        assert_eq!(e.loc.line, 4);
        // An existing directory inside a bind may be covered.
        resolve_text(
            "version: 1\nfilesystem:\n  - {bind: /usr}\n  - {tmpfs: /usr/share}\n",
            &h,
        )
        .unwrap();
        let e = resolve_text(
            "version: 1\nfilesystem:\n  - {proc: /proc}\n  - {tmpfs: /proc/x}\n",
            &h,
        )
        .unwrap_err();
        assert!(e.msg.contains("inside the proc mount"), "{e}");
    }

    #[test]
    fn cwd_must_be_in_the_view() {
        let e = resolve_text("version: 1\ncwd: /srv/x\n", &host()).unwrap_err();
        assert!(e.msg.contains("not part of the sandbox's view"), "{e}");
        let p = resolve_text(
            "version: 1\ncwd: ${CWD}\nfilesystem:\n  - {bind: /usr}\n",
            &host(),
        )
        .unwrap();
        assert_eq!(p.cwd, PathBuf::from("/usr/share"));
    }

    #[test]
    fn wall_time_parses_human_units() {
        let p = resolve_text("version: 1\nlimits: {wall_time: 1m 30s}\n", &host()).unwrap();
        assert_eq!(p.wall_time, Some(std::time::Duration::from_secs(90)));
        let e = resolve_text("version: 1\nlimits: {wall_time: soon}\n", &host()).unwrap_err();
        assert_eq!(e.loc.line, 2);
    }

    #[test]
    fn later_layers_override_and_extend() {
        let h = host();
        let a = Layer {
            profile: parse(
                "version: 1\nhostname: a\nenv: {keep: [TERM], set: {A: '1', B: '1'}}\nfilesystem: [{tmpfs: /a}]\n",
                "a",
            )
            .unwrap(),
        };
        let b = Layer {
            profile: parse(
                "version: 1\nhostname: b\nenv: {set: {B: '2'}}\nfilesystem: [{tmpfs: /b}]\n",
                "b",
            )
            .unwrap(),
        };
        let p = resolve(&[a, b], &Overrides::default(), &h).unwrap();
        assert_eq!(p.hostname.as_deref(), Some("b"));
        let dests: Vec<_> = p.mounts.iter().map(|m| m.op.dest().to_path_buf()).collect();
        assert_eq!(dests, [PathBuf::from("/a"), PathBuf::from("/b")]);
        let env: Vec<_> = p
            .env
            .iter()
            .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
            .collect();
        assert_eq!(env, ["A=1", "B=2", "TERM=xterm"]);
    }

    #[test]
    fn write_permission_from_mode_bits() {
        assert!(mode_allows_write(0o755, 5, 5, 5, 9));
        assert!(!mode_allows_write(0o755, 0, 0, 65534, 65534));
        assert!(mode_allows_write(0o777, 0, 0, 65534, 65534));
        assert!(mode_allows_write(0o775, 0, 7, 65534, 7));
        assert!(!mode_allows_write(0o757, 0, 7, 65534, 7));
        assert!(mode_allows_write(0o000, 0, 0, 0, 0));
    }
}
