//! The serde model of one profile file: exactly what the YAML says, nothing
//! resolved. Every value that a later error may point at is wrapped in
//! [`At`], which remembers the file, line and column it came from.

pub(crate) use crate::diag::Loc;
pub(crate) use crate::policy::Namespace;
use serde::{Deserialize, Deserializer};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::sync::Arc;

thread_local! {
    /// The file being parsed, read by `At::deserialize`. Set by `parse_with_origin`
    /// for the duration of one parse, so the model types stay plain serde types.
    static CURRENT_FILE: RefCell<Arc<str>> = RefCell::new(Arc::from("<profile>"));
    /// Whether the text being parsed is a snapshot (JSON, each [`At`] as
    /// `[line, column, value]`) rather than YAML.
    static SNAPSHOT: Cell<bool> = const { Cell::new(false) };
}

/// Parses `text` with every [`At`] recording `file` as its origin.
pub(crate) fn parse_with_origin<T: for<'de> Deserialize<'de>>(
    text: &str,
    file: &Arc<str>,
) -> Result<T, serde_saphyr::Error> {
    CURRENT_FILE.with(|c| *c.borrow_mut() = file.clone());
    SNAPSHOT.set(false);
    // Errors are reported with stockade's own location, so the library's
    // snippet (a cropped copy of the text around every error) is not made.
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    serde_saphyr::from_str_with_options(text, options)
}

/// Parses a snapshot of a profile (see `profile::snapshot`): the model as
/// JSON, every [`At`] as `[line, column, value]` with `file` as its origin.
/// A tenth of the YAML parse's time, for the built-in profiles every run
/// loads.
pub(crate) fn parse_snapshot(json: &str, file: &Arc<str>) -> serde_json::Result<Profile> {
    CURRENT_FILE.with(|c| *c.borrow_mut() = file.clone());
    SNAPSHOT.set(true);
    let profile = serde_json::from_str(json);
    SNAPSHOT.set(false);
    profile
}

/// A value together with its location in the profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct At<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub loc: Loc,
}

/// In the schema a located value is the value itself.
#[cfg(test)]
impl<T: schemars::JsonSchema> schemars::JsonSchema for At<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for At<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (line, col, value) = if SNAPSHOT.get() {
            <(usize, usize, T)>::deserialize(d)?
        } else {
            let s = serde_saphyr::Spanned::<T>::deserialize(d)?;
            (
                s.referenced.line() as usize,
                s.referenced.column() as usize,
                s.value,
            )
        };
        let file = CURRENT_FILE.with(|c| c.borrow().clone());
        Ok(At {
            value,
            loc: Loc { file, line, col },
        })
    }
}

/// The snapshot form: `[line, column, value]`.
#[cfg(test)]
impl<T: serde::Serialize> serde::Serialize for At<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.loc.line, self.loc.col, &self.value).serialize(s)
    }
}

/// One profile file (format version 1). Every field is optional so that a
/// profile can extend another and override only what it names.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Format version; must be `1`. Required.
    #[cfg_attr(test, schemars(required, range(min = 1, max = 1)))]
    pub version: Option<At<u32>>,
    /// One line shown by `stockade profiles`.
    pub description: Option<String>,
    /// A built-in profile name or a path relative to this file. The parent is
    /// resolved first; this file's values then override or extend it.
    pub extends: Option<At<String>>,
    /// Namespaces to create. Default: all of user, pid, mount, net, ipc, uts.
    /// user, pid and mount cannot be left out.
    pub namespaces: Option<At<Vec<At<Namespace>>>>,
    /// Hostname inside the sandbox (needs the uts namespace). Default: `sandbox`.
    pub hostname: Option<At<String>>,
    /// Identity of the payload inside the sandbox. Default: the invoking
    /// user's ids when rootless, uid/gid 65534 when started by root.
    pub user: Option<At<UserSpec>>,
    /// Working directory inside the sandbox. Default: `/`.
    pub cwd: Option<At<String>>,
    /// Filesystem operations applied in order on an empty root. A child
    /// profile's operations come after its parent's.
    pub filesystem: Option<Vec<At<FsEntry>>>,
    /// Environment of the payload; empty unless named here.
    pub env: Option<EnvSection>,
    /// Limits.
    pub limits: Option<Limits>,
    /// Landlock rules (paths are in the sandbox's view).
    pub landlock: Option<LandlockSection>,
    /// Seccomp allowlist. Without it, only the built-in side-door filter
    /// applies (see SECURITY.md).
    pub seccomp: Option<SeccompSection>,
    /// Descriptors passed to the payload: `N` (as itself) or `"N:M"` (host
    /// N as M). Default `[0, 1, 2]`; everything else is closed.
    pub fds: Option<Vec<At<FdSpec>>>,
    /// A SOCK_SEQPACKET channel between the launcher and the payload
    /// (`true`, or limits); its fd number is in `STOCKADE_CHANNEL_FD`.
    pub channel: Option<At<ChannelSpec>>,
    /// What this profile takes away from the profiles it extends, before
    /// its own entries are added.
    pub remove: Option<RemoveSection>,
}

/// `remove:` — inherited entries a profile takes away. Each name must
/// match something inherited (a typo is an error, not a silent no-op).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
#[serde(deny_unknown_fields)]
pub struct RemoveSection {
    /// `true`: no hostname is inherited (a profile that drops `uts` needs
    /// none).
    pub hostname: Option<At<bool>>,
    /// Filesystem operations at these destinations (as written, e.g.
    /// `/tmp`, `${CWD}`).
    pub filesystem: Option<Vec<At<String>>>,
    /// Environment variables set or kept (names or globs such as `LC_*`).
    pub env: Option<Vec<At<String>>>,
    /// Landlock paths: entries of read, write, execute and rules.
    pub landlock: Option<Vec<At<String>>>,
    /// Syscalls or `@groups`: inherited allow and deny entries for them
    /// (a syscall inside an inherited group is taken out of it).
    pub seccomp: Option<Vec<At<String>>>,
}

/// `3` or `"7:3"`.
#[derive(Clone, Debug)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize), serde(untagged))]
pub enum FdSpec {
    /// Passed under its own number.
    Same(i32),
    /// `"HOST:SANDBOX"`.
    Map(String),
}

/// `channel: true` or `channel: {max_message: 64K, max_fds: 4}`.
#[derive(Clone, Debug)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize), serde(untagged))]
pub enum ChannelSpec {
    /// On (default limits) or off.
    On(bool),
    /// On, with limits.
    Limits(ChannelLimits),
}

/// Channel limits.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
#[serde(deny_unknown_fields)]
pub struct ChannelLimits {
    /// Largest message either side accepts. Default 64K.
    pub max_message: Option<SizeRepr>,
    /// Most descriptors one message may carry. Default 8.
    pub max_fds: Option<u32>,
    /// Also listen on a filesystem socket, `/run/stockade/channel.sock` in
    /// the sandbox (`STOCKADE_CHANNEL_SOCKET`), for processes that did not
    /// inherit the descriptor. Default false.
    pub socket: Option<bool>,
}

/// `seccomp:` section. `allow` and `deny` are appended to a parent
/// profile's; `default_action` replaces it.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
#[serde(deny_unknown_fields)]
pub struct SeccompSection {
    /// `kill-process` (default), `kill-thread`, `trap`, `log`, `errno(NAME|N)`.
    pub default_action: Option<At<String>>,
    /// Syscall names, `@groups` and argument rules.
    pub allow: Option<Vec<At<SyscallSpec>>>,
    /// Syscalls (or groups, or argument rules) answered with an errno.
    pub deny: Option<Vec<At<DenySpec>>>,
    /// Refuse (EPERM) making set-user-ID or set-group-ID files: chmod,
    /// fchmod(at), creat, open(at) with O_CREAT or O_TMPFILE, mknod(at)
    /// with those mode bits; openat2 answers ENOSYS (its flags are out of
    /// a filter's sight). Like systemd's `RestrictSUIDSGID=`. Default
    /// false; the shipped profiles set it.
    pub restrict_suid_sgid: Option<At<bool>>,
}

/// An allowlist entry: a name (`read`, `@basic-io`) or a rule.
#[derive(Clone, Debug)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize), serde(untagged))]
pub enum SyscallSpec {
    /// A syscall or `@group`.
    Name(String),
    /// A syscall with argument conditions.
    Rule(RuleSpec),
}

/// `{syscall: socket, args: [{arg: 0, op: eq, value: AF_UNIX}], why: "..."}`.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Syscall or `@group` (a group takes no `args`).
    pub syscall: String,
    /// Conditions, all of which must hold.
    #[serde(default)]
    pub args: Vec<ArgSpec>,
    /// Why the entry is there (required in shipped profiles). Read by
    /// people, not by stockade; declared so the strict parser accepts it.
    #[allow(dead_code)]
    pub why: Option<String>,
}

/// `{syscall: ptrace, errno: EPERM}`.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
#[serde(deny_unknown_fields)]
pub struct DenySpec {
    /// Syscall or `@group`.
    pub syscall: String,
    /// Errno name or number.
    pub errno: ValueRepr,
    /// Conditions, all of which must hold.
    #[serde(default)]
    pub args: Vec<ArgSpec>,
    /// Why. Read by people, not by stockade; declared so the strict
    /// parser accepts it.
    #[allow(dead_code)]
    pub why: Option<String>,
}

/// One argument condition.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
#[serde(deny_unknown_fields)]
pub struct ArgSpec {
    /// Argument index, 0..=5.
    pub arg: u8,
    /// `eq ne lt le gt ge masked_eq(MASK)`.
    pub op: String,
    /// A number or a constant name (`AF_UNIX`, `O_WRONLY|O_CREAT`).
    pub value: ValueRepr,
}

/// A number or a name.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize), serde(untagged))]
pub enum ValueRepr {
    /// A number.
    Num(u64),
    /// A name or an expression of names.
    Text(String),
}

/// `landlock:` section. Lists are appended to a parent profile's; `scopes`
/// and `compatibility` replace the parent's.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
#[serde(deny_unknown_fields)]
pub struct LandlockSection {
    /// Paths beneath which files may be read and directories listed.
    pub read: Option<Vec<At<String>>>,
    /// Paths beneath which files may be written, created, renamed, removed.
    pub write: Option<Vec<At<String>>>,
    /// Paths beneath which files may be executed.
    pub execute: Option<Vec<At<String>>>,
    /// Fine-grained rules.
    pub rules: Option<Vec<At<LandlockRuleSpec>>>,
    /// TCP port rules (Landlock ABI 4); without this key TCP is not restricted.
    pub net: Option<LandlockNet>,
    /// `abstract-unix-socket`, `signal` (Landlock ABI 6). Default: both.
    pub scopes: Option<At<Vec<At<String>>>>,
    /// `best-effort` or `hard-requirement`; default: enforce everything the
    /// kernel supports, drop (and report) rights newer than the kernel.
    pub compatibility: Option<At<crate::landlock::Compat>>,
}

/// One fine-grained Landlock rule.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
#[serde(deny_unknown_fields)]
pub struct LandlockRuleSpec {
    /// Path in the view.
    pub path: String,
    /// Right names (`read-file`, `make-dir`, `ioctl-dev`, …) or the
    /// shorthands `read`, `write`, `execute`.
    pub access: Vec<String>,
}

/// `landlock.net`.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
#[serde(deny_unknown_fields)]
pub struct LandlockNet {
    /// Ports the payload may bind with TCP.
    pub bind: Option<Vec<u16>>,
    /// Ports the payload may connect to with TCP.
    pub connect: Option<Vec<u16>>,
}

/// `user: root` or `user: {uid: N, gid: N}`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize), serde(untagged))]
pub enum UserSpec {
    /// A name: only `root` (uid and gid 0 inside) is accepted.
    Name(String),
    /// Numeric ids inside the sandbox.
    Ids(UserIds),
}

/// Numeric identity inside the sandbox, and (for a launcher run by root) the
/// host ids it maps onto.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
#[serde(deny_unknown_fields)]
pub struct UserIds {
    /// uid inside the sandbox.
    pub uid: u32,
    /// gid inside the sandbox. Default: same as uid.
    pub gid: Option<u32>,
    /// When stockade runs as root: the host uid the sandbox uid maps onto.
    /// Default 65534. Ignored rootless (the invoking uid is used).
    pub host_uid: Option<u32>,
    /// When stockade runs as root: the host gid. Default 65534.
    pub host_gid: Option<u32>,
}

/// One filesystem operation. Exactly one of `bind`, `tmpfs`, `proc`, `dev`,
/// `dir`, `symlink` is set; the other keys qualify it.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
#[serde(deny_unknown_fields)]
pub struct FsEntry {
    /// Host path to bind into the view (read-only unless `writable`).
    pub bind: Option<String>,
    /// Where a bind appears inside the view. Default: the same path as on the host.
    pub dest: Option<String>,
    /// Make a bind writable. Default false.
    pub writable: Option<bool>,
    /// Skip a bind whose source does not exist instead of failing. Default false.
    pub optional: Option<bool>,
    /// Mount a fresh tmpfs at this path.
    pub tmpfs: Option<String>,
    /// tmpfs size (`64M`, `1G`, bytes). Default 64M.
    pub size: Option<SizeRepr>,
    /// Mode of a tmpfs root or a `dir`, octal (`"1777"`, `0755`).
    pub mode: Option<ModeRepr>,
    /// Mount a new procfs (for the sandbox's PID namespace) at this path.
    pub proc: Option<String>,
    /// Build a minimal /dev at this path.
    pub dev: Option<String>,
    /// Create an empty directory.
    pub dir: Option<String>,
    /// Create a symbolic link at this path pointing at `target`.
    pub symlink: Option<String>,
    /// Target of a `symlink`.
    pub target: Option<String>,
}

impl FsEntry {
    /// The destination as written: `dest` or the bind's source, or the
    /// path of a tmpfs, proc, dev, dir or symlink.
    pub fn destination(&self) -> Option<&str> {
        self.dest
            .as_deref()
            .or(self.bind.as_deref())
            .or(self.tmpfs.as_deref())
            .or(self.proc.as_deref())
            .or(self.dev.as_deref())
            .or(self.dir.as_deref())
            .or(self.symlink.as_deref())
    }
}

/// A size written as a number of bytes or with a unit (`64M`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize), serde(untagged))]
pub enum SizeRepr {
    /// Bytes.
    Bytes(u64),
    /// With a unit, parsed by `parse-size` (`64M`, `1GiB`).
    Text(String),
}

/// A file mode: YAML integers are read as octal digits (`0755`, `1777`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize), serde(untagged))]
pub enum ModeRepr {
    /// Digits read as octal.
    Int(u64),
    /// A string of octal digits.
    Text(String),
}

/// `env:` section.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
#[serde(deny_unknown_fields)]
pub struct EnvSection {
    /// Host variables passed through unchanged, when set.
    pub keep: Option<Vec<At<String>>>,
    /// Variables set to a value (variables like `${HOME}` are expanded).
    pub set: Option<BTreeMap<String, At<String>>>,
}

/// `Deserialize` for a value the YAML may write in several ways (a
/// number or a string, a name or a mapping): each kind the type takes
/// maps to a variant, and anything else is refused with a message naming
/// them all, while a mapping's own mistakes (a missing or misspelt key)
/// are reported as such.
macro_rules! deserialize_from {
    ($ty:ident, $expecting:literal,
     { $( $method:ident($v:ident: $vty:ty) => $e:expr, )* }
     $( map => $variant:path, )?) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = $ty;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expecting)
                    }

                    $( fn $method<E: serde::de::Error>(self, $v: $vty) -> Result<$ty, E> {
                        $e
                    } )*

                    $( fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<$ty, A::Error> {
                        Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                            .map($variant)
                    } )?
                }
                d.deserialize_any(V)
            }
        }
    };
}

/// A number that must fit `T`.
fn fits<T: TryFrom<i128>, E: serde::de::Error>(v: i128) -> Result<T, E> {
    T::try_from(v).map_err(|_| E::custom(format!("{v} is out of range")))
}

deserialize_from!(SyscallSpec, "a syscall name, an @group, or {syscall: NAME, args: [...]}", {
    visit_str(v: &str) => Ok(SyscallSpec::Name(v.to_owned())),
} map => SyscallSpec::Rule,);

deserialize_from!(FdSpec, "a descriptor number N, or \"HOST:SANDBOX\"", {
    visit_u64(v: u64) => fits(v.into()).map(FdSpec::Same),
    visit_i64(v: i64) => fits(v.into()).map(FdSpec::Same),
    visit_str(v: &str) => Ok(FdSpec::Map(v.to_owned())),
});

deserialize_from!(ChannelSpec, "true, false, or {max_message: SIZE, max_fds: N, socket: BOOL}", {
    visit_bool(v: bool) => Ok(ChannelSpec::On(v)),
} map => ChannelSpec::Limits,);

deserialize_from!(ValueRepr, "a number or a constant name (AF_UNIX, O_WRONLY|O_CREAT)", {
    visit_u64(v: u64) => Ok(ValueRepr::Num(v)),
    visit_i64(v: i64) => fits(v.into()).map(ValueRepr::Num),
    visit_str(v: &str) => Ok(ValueRepr::Text(v.to_owned())),
});

deserialize_from!(UserSpec, "root, or {uid: N, gid: N}", {
    visit_str(v: &str) => Ok(UserSpec::Name(v.to_owned())),
} map => UserSpec::Ids,);

deserialize_from!(SizeRepr, "a size: bytes, or with a unit (64M, 1G)", {
    visit_u64(v: u64) => Ok(SizeRepr::Bytes(v)),
    visit_i64(v: i64) => fits(v.into()).map(SizeRepr::Bytes),
    visit_str(v: &str) => Ok(SizeRepr::Text(v.to_owned())),
});

deserialize_from!(ModeRepr, "an octal mode (\"0755\", 1777)", {
    visit_u64(v: u64) => Ok(ModeRepr::Int(v)),
    visit_i64(v: i64) => fits(v.into()).map(ModeRepr::Int),
    visit_str(v: &str) => Ok(ModeRepr::Text(v.to_owned())),
});

/// A resource limit's value as the profile wrote it.
#[derive(Clone, Copy, Debug)]
pub enum LimitValue<'a> {
    /// A duration (`10s`): whole seconds.
    Duration(&'a At<String>),
    /// A size in bytes or with a unit.
    Size(&'a At<SizeRepr>),
    /// A count.
    Count(&'a At<u64>),
}

impl<'a> From<&'a At<String>> for LimitValue<'a> {
    fn from(v: &'a At<String>) -> Self {
        LimitValue::Duration(v)
    }
}

impl<'a> From<&'a At<SizeRepr>> for LimitValue<'a> {
    fn from(v: &'a At<SizeRepr>) -> Self {
        LimitValue::Size(v)
    }
}

impl<'a> From<&'a At<u64>> for LimitValue<'a> {
    fn from(v: &'a At<u64>) -> Self {
        LimitValue::Count(v)
    }
}

/// Declares the `limits:` section from one list: each resource limit is
/// one line (field, value type, `RLIMIT_*`), which gives the field, its
/// merging and its resolution.
macro_rules! limits_section {
    ($( $(#[$doc:meta])* $field:ident: $ty:ty => $res:ident, )*) => {
        /// `limits:` section. Each field replaces a parent profile's.
        #[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
        #[serde(deny_unknown_fields)]
        pub struct Limits {
            /// Wall-clock limit (`30s`, `5m`, `1h 30m`). The payload gets
            /// SIGTERM, then after a 2 s grace period the whole sandbox is
            /// killed; exit code 124.
            pub wall_time: Option<At<String>>,
            /// Memory of the whole sandbox (`512M`): cgroup v2 memory.max
            /// (swap 0) where the launcher can create a cgroup, otherwise
            /// RLIMIT_DATA per process (unless `data` is set).
            pub memory: Option<At<SizeRepr>>,
            /// CPUs the sandbox may use (`0.5`, `2`): cgroup v2 cpu.max.
            /// Not enforced without a cgroup.
            pub cpu: Option<At<f64>>,
            /// Refuse to run (exit 125) when no cgroup v2 can enforce
            /// `memory` and `cpu`, instead of falling back.
            pub require_cgroup: Option<At<bool>>,
            $( $(#[$doc])* pub $field: Option<At<$ty>>, )*
        }

        impl Limits {
            /// Takes every field `src` sets (a later layer wins).
            pub(crate) fn merge(&mut self, src: &Limits) {
                if src.wall_time.is_some() {
                    self.wall_time = src.wall_time.clone();
                }
                if src.memory.is_some() {
                    self.memory = src.memory.clone();
                }
                if src.cpu.is_some() {
                    self.cpu = src.cpu.clone();
                }
                if src.require_cgroup.is_some() {
                    self.require_cgroup = src.require_cgroup.clone();
                }
                $( if src.$field.is_some() { self.$field = src.$field.clone(); } )*
            }

            /// Every resource limit: its name, `RLIMIT_*` and value if set.
            pub(crate) fn rlimits(&self) -> Vec<(&'static str, i32, Option<LimitValue<'_>>)> {
                vec![$( (stringify!($field), libc::$res as i32, self.$field.as_ref().map(LimitValue::from)), )*]
            }
        }
    };
}

limits_section! {
    /// RLIMIT_CPU: CPU time (`10s`); SIGXCPU, then SIGKILL.
    cpu_time: String => RLIMIT_CPU,
    /// RLIMIT_AS: address space (`1G`).
    address_space: SizeRepr => RLIMIT_AS,
    /// RLIMIT_DATA: data segment and heap.
    data: SizeRepr => RLIMIT_DATA,
    /// RLIMIT_FSIZE: largest file the payload may write (SIGXFSZ/EFBIG).
    file_size: SizeRepr => RLIMIT_FSIZE,
    /// RLIMIT_NOFILE: open file descriptors.
    open_files: u64 => RLIMIT_NOFILE,
    /// RLIMIT_NPROC: processes (counted per user namespace: the sandbox only).
    processes: u64 => RLIMIT_NPROC,
    /// RLIMIT_CORE: core dump size. Default 0.
    core: SizeRepr => RLIMIT_CORE,
    /// RLIMIT_STACK.
    stack: SizeRepr => RLIMIT_STACK,
    /// RLIMIT_LOCKS: file locks.
    locks: u64 => RLIMIT_LOCKS,
    /// RLIMIT_MEMLOCK: locked memory.
    memlock: SizeRepr => RLIMIT_MEMLOCK,
    /// RLIMIT_MSGQUEUE: bytes in POSIX message queues.
    msgqueue: SizeRepr => RLIMIT_MSGQUEUE,
    /// RLIMIT_SIGPENDING: queued signals.
    sigpending: u64 => RLIMIT_SIGPENDING,
    /// RLIMIT_NICE: ceiling of the nice value, as 20 - nice (0..40).
    nice: u64 => RLIMIT_NICE,
    /// RLIMIT_RTPRIO: real-time priority ceiling.
    rtprio: u64 => RLIMIT_RTPRIO,
}
