//! Seccomp: the payload's syscall allowlist, compiled for the running
//! architecture, plus the side-door checks every sandbox gets.
//!
//! A sandbox gets one program (`program`, built by [`compile`]): the ABI
//! check, a binary search on the syscall number, then each syscall's rules
//! in order — side doors, clone3, the stacking guard, the profile's deny
//! entries, its allow entries — and the default action, a kill being
//! delivered as a user notification to the sandbox's warden thread (in
//! PID 1), which reports the syscall and kills the sandbox: the payload
//! can neither suppress nor fake it. [`compile`] documents the order.
//!
//! A profile without a `seccomp` section gets the ABI check, the side
//! doors, clone3, and EPERM for the [`groups::DANGEROUS`] syscalls.

mod arch;
pub mod args;
pub mod bpf;
pub mod consts;
pub mod groups;
mod precompiled;
pub mod program;

use crate::diag::Loc;
pub use arch::Arch;
pub use args::{Cond, Op};

/// What every sandbox's built-in filters answer whatever the allowlist
/// says: `(syscall, when, answer)`, for `explain`.
pub const ALWAYS_ANSWERED: &[(&str, &str, &str)] = &[
    ("clone3", "always", "ENOSYS (libc falls back to clone)"),
    ("clone", "with namespace flags", "EPERM"),
    ("unshare", "with namespace flags", "EPERM"),
    ("ioctl", "TIOCSTI, TIOCLINUX", "EPERM"),
];
use seccompiler::sock_filter;

/// What happens to a syscall the allowlist does not name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Kill the whole sandbox, and report the syscall (default).
    KillProcess,
    /// Kill the sandbox (reported like kill-process: stockade kills the
    /// whole sandbox, never leaving a half-dead process).
    KillThread,
    /// Deliver SIGSYS to the thread.
    Trap,
    /// Allow, but log the syscall to the kernel's audit log.
    Log,
    /// Fail with this errno.
    Errno(u32),
}

impl Action {
    /// The profile spelling.
    pub fn name(self) -> String {
        match self {
            Action::KillProcess => "kill-process".into(),
            Action::KillThread => "kill-thread".into(),
            Action::Trap => "trap".into(),
            Action::Log => "log".into(),
            Action::Errno(e) => format!("errno({e})"),
        }
    }

    /// Parses `kill-process`, `kill-thread`, `trap`, `log`, `errno(NAME|N)`.
    pub fn parse(s: &str) -> Result<Action, String> {
        match s {
            "kill-process" => Ok(Action::KillProcess),
            "kill-thread" => Ok(Action::KillThread),
            "trap" => Ok(Action::Trap),
            "log" => Ok(Action::Log),
            _ => match s.strip_prefix("errno(").and_then(|r| r.strip_suffix(')')) {
                Some(e) => parse_errno(e).map(Action::Errno),
                None => Err(format!(
                    "unknown action '{s}': use kill-process, kill-thread, trap, log or errno(NAME)"
                )),
            },
        }
    }
}

/// Errno names a profile may use.
pub(crate) const ERRNOS: &[(&str, i32)] = &[
    ("EPERM", libc::EPERM),
    ("ENOENT", libc::ENOENT),
    ("EINTR", libc::EINTR),
    ("EIO", libc::EIO),
    ("EBADF", libc::EBADF),
    ("EAGAIN", libc::EAGAIN),
    ("ENOMEM", libc::ENOMEM),
    ("EACCES", libc::EACCES),
    ("EFAULT", libc::EFAULT),
    ("EBUSY", libc::EBUSY),
    ("EEXIST", libc::EEXIST),
    ("EINVAL", libc::EINVAL),
    ("ENOSPC", libc::ENOSPC),
    ("EROFS", libc::EROFS),
    ("ENOSYS", libc::ENOSYS),
    ("ENOTSUP", libc::ENOTSUP),
    ("EOPNOTSUPP", libc::EOPNOTSUPP),
    ("EAFNOSUPPORT", libc::EAFNOSUPPORT),
    ("EPROTONOSUPPORT", libc::EPROTONOSUPPORT),
    ("ECONNREFUSED", libc::ECONNREFUSED),
    ("ENETUNREACH", libc::ENETUNREACH),
    ("ENOTTY", libc::ENOTTY),
];

/// Parses an errno name or number (1..=4095).
pub fn parse_errno(s: &str) -> Result<u32, String> {
    if let Ok(n) = s.parse::<u32>() {
        return if (1..4096).contains(&n) {
            Ok(n)
        } else {
            Err(format!("errno {n} is out of range 1..4095"))
        };
    }
    ERRNOS
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, v)| *v as u32)
        .ok_or_else(|| {
            let names: Vec<&str> = ERRNOS.iter().map(|(n, _)| *n).collect();
            match crate::diag::closest(s, names.iter().copied()) {
                Some(near) => format!("unknown errno '{s}' (did you mean '{near}'?)"),
                None => format!("unknown errno '{s}' (known: {})", names.join(", ")),
            }
        })
}

/// One resolved allow or deny entry: a syscall, optional argument
/// conditions (all must hold), and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Syscall name.
    pub name: &'static str,
    /// Conditions; empty means always.
    pub conds: Vec<Cond>,
    /// `@group via @group` chain, or empty when named directly.
    pub via: &'static str,
    /// Where the entry was written.
    pub loc: Loc,
}

/// The resolved `seccomp:` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeccompPolicy {
    /// What unlisted syscalls get.
    pub default_action: Action,
    /// Allowed syscalls.
    pub allow: Vec<Entry>,
    /// Syscalls answered with an errno.
    pub deny: Vec<(Entry, u32)>,
}

/// What the policy answers a call, before the built-in filters (the
/// architecture check, the side doors, clone3) have their say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Allowed by the allowlist.
    Allow,
    /// Failed with this errno by a deny entry.
    Errno(u32),
    /// Left to the default action.
    Default(Action),
}

impl SeccompPolicy {
    /// What the policy answers syscall `name` with `args`: a matching deny
    /// entry first (its errno), then a matching allow entry, else the
    /// default action — the order the compiled filters apply.
    pub fn answer(&self, name: &str, args: &[u64; 6]) -> Answer {
        let matches = |e: &Entry| e.name == name && e.conds.iter().all(|c| c.holds(args));
        if let Some((_, errno)) = self.deny.iter().find(|(e, _)| matches(e)) {
            return Answer::Errno(*errno);
        }
        if self.allow.iter().any(matches) {
            return Answer::Allow;
        }
        Answer::Default(self.default_action)
    }

    /// Whether the payload could open a socket of a family other than
    /// `AF_UNIX`: `socket` allowed for one, io_uring allowed (its socket
    /// operation is no system call a filter sees), or a `log` default that
    /// lets unlisted calls through. Deny entries are left aside: they only
    /// narrow, so the answer errs towards "could". When it is "could not",
    /// nothing in the sandbox can send a packet, and a new network
    /// namespace's loopback device is left down ([`Policy::loopback_up`]).
    ///
    /// [`Policy::loopback_up`]: crate::policy::Policy::loopback_up
    pub fn sockets_beyond_unix(&self) -> bool {
        if self.default_action == Action::Log {
            return true;
        }
        // The kernel reads the family as an int and refuses a negative one
        // or one from AF_MAX (46 in 6.x) on; up to 255 leaves room for
        // families yet to come. A condition on another argument may hold
        // for some call, so only those on the family decide.
        let beyond_unix = |e: &Entry| {
            (0..=255).filter(|&f| f != libc::AF_UNIX as u64).any(|f| {
                let args = [f, 0, 0, 0, 0, 0];
                e.conds
                    .iter()
                    .filter(|c| c.arg == 0)
                    .all(|c| c.holds(&args))
            })
        };
        self.allow.iter().any(|e| match e.name {
            "socket" => beyond_unix(e),
            "io_uring_setup" => true,
            _ => false,
        })
    }

    /// The syscalls the allowlist lets through, each once, without those
    /// the built-in filters always answer themselves (`ALWAYS_ANSWERED`).
    pub fn allowed_names(&self) -> std::collections::BTreeSet<&str> {
        self.allow
            .iter()
            .map(|e| e.name)
            .filter(|n| {
                !ALWAYS_ANSWERED
                    .iter()
                    .any(|(name, when, _)| name == n && *when == "always")
            })
            .collect()
    }
}

/// Expands `name` (a syscall or `@group`) into entries, for `arch`.
/// Unknown names fail with a suggestion.
pub fn expand(name: &str, arch: Arch, loc: &Loc, conds: &[Cond]) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    expand_onto(&mut out, name, arch, loc, conds)?;
    Ok(out)
}

/// [`expand`] onto the end of `out` (a profile's whole allowlist, without
/// a list of its own per entry to move); on an error `out` is as it was.
pub(crate) fn expand_onto(
    out: &mut Vec<Entry>,
    name: &str,
    arch: Arch,
    loc: &Loc,
    conds: &[Cond],
) -> Result<(), String> {
    if let Some(g_name) = name.strip_prefix('@') {
        let Some(index) = groups::GROUPS.iter().position(|g| g.name == name) else {
            let names = groups::GROUPS.iter().map(|g| &g.name[1..]);
            let best = crate::diag::nearest(g_name, names).map_or("default", |(_, n)| n);
            return Err(format!(
                "unknown syscall group '{name}' (did you mean '@{best}'?)"
            ));
        };
        if !conds.is_empty() {
            return Err(format!(
                "argument rules need a single syscall, not the group {name}"
            ));
        }
        out.extend(arch.group_members().of(index).map(|(name, via)| Entry {
            name,
            conds: Vec::new(),
            via,
            loc: loc.clone(),
        }));
        return Ok(());
    }
    let Some(static_name) = arch.static_name(name) else {
        let best = crate::diag::closest(name, arch.all_names().iter().copied());
        return Err(match best {
            Some(b) => format!(
                "unknown syscall '{name}' on {} (did you mean '{b}'?)",
                arch.name()
            ),
            None => format!("unknown syscall '{name}' on {}", arch.name()),
        });
    };
    out.push(Entry {
        name: static_name,
        conds: conds.to_vec(),
        via: "",
        loc: loc.clone(),
    });
    Ok(())
}

/// One compiled filter.
#[derive(Clone, Debug)]
pub struct Filter {
    /// What it is for (for `explain --bpf`).
    pub what: &'static str,
    /// The program.
    pub prog: Vec<sock_filter>,
    /// Whether it reports kills to the launcher (installed with
    /// `SECCOMP_FILTER_FLAG_NEW_LISTENER`; at most one, the last).
    pub listener: bool,
}

/// Errors compiling filters.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SeccompError {
    /// seccompiler refused the rules.
    #[error("seccomp: cannot compile the {what} filter: {why}")]
    Compile {
        /// Which filter.
        what: &'static str,
        /// Why.
        why: String,
    },
    /// A program over the kernel's limit of 4096 instructions.
    #[error("seccomp: the {what} filter has {len} instructions; the kernel accepts at most 4096")]
    TooLarge {
        /// Which filter.
        what: &'static str,
        /// Its length.
        len: usize,
    },
}

const SECCOMP_RET_USER_NOTIF: u32 = 0x7fc0_0000;
/// Longest program the kernel accepts (BPF_MAXINSNS).
pub const MAX_INSNS: usize = 4096;

const NS_FLAGS: [u64; 8] = [
    libc::CLONE_NEWNS as u64,
    libc::CLONE_NEWCGROUP as u64,
    libc::CLONE_NEWUTS as u64,
    libc::CLONE_NEWIPC as u64,
    libc::CLONE_NEWUSER as u64,
    libc::CLONE_NEWPID as u64,
    libc::CLONE_NEWNET as u64,
    0x80, // CLONE_NEWTIME
];

/// A built-in condition (its width is in the table).
fn cond(name: &str, arg: u8, op: Op, value: u64) -> Cond {
    Cond::new(name, arg, op, value).unwrap_or(Cond {
        arg,
        op,
        value,
        width: args::Width::Bits64,
    })
}

/// personality(2) calls that change nothing dangerous: query, and the
/// default Linux personality.
fn personality_safe() -> Vec<Vec<Cond>> {
    [0u64, 0xffff_ffff]
        .iter()
        .map(|v| vec![cond("personality", 0, Op::Eq, *v)])
        .collect()
}

/// `restrict_suid_sgid`: deny entries (EPERM) for every way to make a
/// set-user-ID or set-group-ID file, and openat2 (ENOSYS), whose mode a
/// filter cannot see; `loc` is where the profile asked for it.
pub fn restrict_suid_sgid(loc: &Loc) -> Vec<(Entry, u32)> {
    let mut out = Vec::new();
    let via = "restrict_suid_sgid";
    let mut entry = |name: &'static str, conds: Vec<Cond>, errno: i32| {
        out.push((
            Entry {
                name,
                conds,
                via,
                loc: loc.clone(),
            },
            errno as u32,
        ))
    };
    let bits = [libc::S_ISUID as u64, libc::S_ISGID as u64];
    let creating = [
        libc::O_CREAT as u64,
        (libc::O_TMPFILE & !libc::O_DIRECTORY) as u64,
    ];
    for bit in bits {
        let mode = |name: &str, arg: u8| cond(name, arg, Op::MaskedEq(bit), bit);
        // (syscall, mode argument)
        for (name, arg) in [
            ("chmod", 1),
            ("fchmod", 1),
            ("fchmodat", 2),
            ("fchmodat2", 2),
            ("creat", 1),
            ("mknod", 1),
            ("mknodat", 2),
        ] {
            if Arch::native().nr(name).is_some() {
                entry(name, vec![mode(name, arg)], libc::EPERM);
            }
        }
        // (syscall, flags argument, mode argument)
        for (name, flags, arg) in [("open", 1, 2), ("openat", 2, 3)] {
            if Arch::native().nr(name).is_none() {
                continue;
            }
            for c in creating {
                let f = cond(name, flags, Op::MaskedEq(c), c);
                entry(name, vec![f, mode(name, arg)], libc::EPERM);
            }
        }
    }
    entry("openat2", Vec::new(), libc::ENOSYS);
    out
}

/// The syscalls the sandbox's init makes once it reaps and forwards:
/// sigwaitinfo, kill, waitpid, one write of its status record, _exit; the
/// hang-up check of the launcher's socket and the limit's second timer.
const INIT_SYSCALLS: &[&str] = &[
    "rt_sigtimedwait",
    "kill",
    "wait4",
    "write",
    "exit_group",
    "exit",
    "rt_sigreturn",
    "restart_syscall",
    // The warden's and PID 1's zero-timeout hang-up checks.
    "ppoll",
    // The wall-time deadline (where the vDSO falls back to a syscall).
    "clock_gettime",
];

/// The warden's one ioctl (`SECCOMP_IOCTL_NOTIF_RECV`).
const NOTIF_RECV: u64 = 0xc050_2100;
/// Its second, in learning mode only (`SECCOMP_IOCTL_NOTIF_SEND`, to let a
/// call through).
const NOTIF_SEND: u64 = 0xc018_2101;

/// The sandbox init's own filter: exactly what its reap-and-forward loop
/// needs; anything else kills it (and with it, the sandbox). Laid out
/// like the payload's (see `program`), as a search on the number, and
/// opened by [`NO_CACHE`], so that the kernel builds no action cache for
/// it.
pub fn init_filter(arch: Arch, learn: bool) -> Result<Vec<sock_filter>, SeccompError> {
    let mut rules = Rules::new();
    for name in INIT_SYSCALLS {
        rule(&mut rules, arch, name, &[], program::RET_ALLOW);
    }
    let ioctls: &[u64] = if learn {
        &[NOTIF_RECV, NOTIF_SEND]
    } else {
        &[NOTIF_RECV]
    };
    for request in ioctls {
        let c = [cond("ioctl", 1, Op::Eq, *request)];
        rule(&mut rules, arch, "ioctl", &c, program::RET_ALLOW);
    }
    let mut prog = build("init", arch, rules, program::RET_KILL_PROCESS)?;
    prog.insert(0, NO_CACHE);
    Ok(prog)
}

/// `ld #0`, an instruction the kernel's cache preparation does not
/// emulate. Installing a filter, the kernel runs it on every syscall
/// number of both ABIs (926 on x86_64) to find the calls it may allow
/// from then on without running it; the walk ends at the first
/// instruction it does not model. Before the search it ends there at once
/// and no call is cached: right for PID 1, which makes a handful of calls
/// in a sandbox's life (each then runs this short program, tens of
/// nanoseconds), while the walk cost 7.5 us of every start (installing
/// the init's filter in a forked child, medians of 2,000 alternated: 30.0
/// against 22.5 us). The accumulator it sets is overwritten by the
/// architecture's load that follows.
const NO_CACHE: sock_filter = sock_filter {
    code: bpf::LD_IMM,
    jt: 0,
    jf: 0,
    k: 0,
};

/// `rules` as one program for `arch`, `default` for every other call.
fn build(
    what: &'static str,
    arch: Arch,
    mut rules: Rules,
    default: u32,
) -> Result<Vec<sock_filter>, SeccompError> {
    // Stable: each syscall's rules keep the order they answer in.
    rules.sort_by_key(|r| r.0);
    let prog =
        program::build(arch, &rules, default).map_err(|why| SeccompError::Compile { what, why })?;
    if prog.len() > MAX_INSNS {
        return Err(SeccompError::TooLarge {
            what,
            len: prog.len(),
        });
    }
    Ok(prog)
}

/// The rules of a sandbox's program, by syscall number: each syscall's
/// rules in the order they answer.
/// `(syscall number, rule)` in the order the rules were added.
type Rules = Vec<(i64, program::Rule)>;

/// Appends a rule for `name` (skipped where `arch` has no such syscall).
fn rule(rules: &mut Rules, arch: Arch, name: &str, conds: &[Cond], ret: u32) {
    if let Some(nr) = arch.nr(name) {
        rules.push((
            nr,
            program::Rule {
                conds: conds.to_vec(),
                ret,
            },
        ));
    }
}

/// `SECCOMP_RET_*` for a default action (a kill is a user notification
/// the warden turns into a reported kill).
fn default_ret(a: Action) -> u32 {
    match a {
        Action::KillProcess | Action::KillThread => SECCOMP_RET_USER_NOTIF,
        Action::Trap => 0x0003_0000,
        Action::Log => 0x7ffc_0000,
        Action::Errno(e) => program::ret_errno(e),
    }
}

/// Compiles `policy` (None: no `seccomp` section) for `arch` into one
/// program. Each syscall's rules answer in this order, the first match
/// deciding:
///
/// 1. side doors (EPERM): `ioctl(TIOCSTI/TIOCLINUX)`, `socket`/`socketpair`
///    with AF_VSOCK, `clone`/`unshare` with namespace flags — no profile
///    entry can override them;
/// 2. `clone3` (ENOSYS: libc falls back to `clone`, whose flags the filter
///    can read);
/// 3. `prctl(PR_SET_SECCOMP)` (EPERM) where kills are reported and the
///    profile does not allow seccomp(2): a stacked filter answering ERRNO
///    would outrank the kill notification;
/// 4. the profile's `deny` entries (their errno), in order;
/// 5. the profile's `allow` entries, and the harmless `personality` calls;
///
/// then `default_action` (a kill as a user notification to the warden).
/// Without a `seccomp` section: 1 and 2, the [`groups::DANGEROUS`] calls
/// (EPERM), and everything else allowed.
pub fn compile(policy: Option<&SeccompPolicy>, arch: Arch) -> Result<Vec<Filter>, SeccompError> {
    let eperm = program::ret_errno(libc::EPERM as u32);
    let mut rules = Rules::new();
    let ioctl = |req: u64| vec![cond("ioctl", 1, Op::Eq, req)];
    for req in [consts::value_of("TIOCSTI"), consts::value_of("TIOCLINUX")] {
        rule(&mut rules, arch, "ioctl", &ioctl(req), eperm);
    }
    // AF_VSOCK talks to the hypervisor's port space, which network
    // namespaces do not cover: no sandbox gets it, whatever its profile.
    for call in ["socket", "socketpair"] {
        let c = [cond(call, 0, Op::Eq, libc::AF_VSOCK as u64)];
        rule(&mut rules, arch, call, &c, eperm);
    }
    for call in ["clone", "unshare"] {
        for f in NS_FLAGS {
            rule(
                &mut rules,
                arch,
                call,
                &[cond(call, 0, Op::MaskedEq(f), f)],
                eperm,
            );
        }
    }
    rule(
        &mut rules,
        arch,
        "clone3",
        &[],
        program::ret_errno(libc::ENOSYS as u32),
    );

    let (default, listener) = match policy {
        None => {
            for name in groups::DANGEROUS {
                if *name != "personality" {
                    rule(&mut rules, arch, name, &[], eperm);
                }
            }
            // personality() only to query or to set the default (as the
            // allowlists do): READ_IMPLIES_EXEC and ADDR_NO_RANDOMIZE stay out.
            let unsafe_personality = [
                cond("personality", 0, Op::Ne, 0),
                cond("personality", 0, Op::Ne, 0xffff_ffff),
            ];
            rule(&mut rules, arch, "personality", &unsafe_personality, eperm);
            (program::RET_ALLOW, false)
        }
        Some(policy) => {
            let reports_kills = reports_kills(Some(policy));
            if reports_kills && !policy.allow.iter().any(|e| e.name == "seccomp") {
                let stacking = [cond("prctl", 0, Op::Eq, libc::PR_SET_SECCOMP as u64)];
                rule(&mut rules, arch, "prctl", &stacking, eperm);
            }
            for (e, errno) in &policy.deny {
                rule(
                    &mut rules,
                    arch,
                    e.name,
                    &e.conds,
                    program::ret_errno(*errno),
                );
            }
            for e in &policy.allow {
                rule(&mut rules, arch, e.name, &e.conds, program::RET_ALLOW);
            }
            if !policy.allow.iter().any(|e| e.name == "personality") {
                for c in personality_safe() {
                    rule(&mut rules, arch, "personality", &c, program::RET_ALLOW);
                }
            }
            (default_ret(policy.default_action), reports_kills)
        }
    };
    Ok(vec![Filter {
        what: "sandbox",
        prog: build("sandbox", arch, rules, default)?,
        listener,
    }])
}

/// Compiles `policy` for `arch` like [`compile`], taking the program from
/// the table of built-in profiles' programs when it holds this very
/// policy (see `precompiled`).
pub fn compile_or_reuse(
    policy: Option<&SeccompPolicy>,
    arch: Arch,
) -> Result<Vec<Filter>, SeccompError> {
    // Without a table (other architectures) there is no key to look for.
    if arch == Arch::native() && !precompiled::TABLE.is_empty() {
        if let Some(prog) = precompiled::find(precompiled::TABLE, &key(policy, arch)) {
            return Ok(vec![Filter {
                what: "sandbox",
                prog,
                listener: reports_kills(policy),
            }]);
        }
    }
    compile(policy, arch)
}

/// Whether the program reports kills: its default is a kill, which the
/// warden hears of as a user notification (and the filter is installed
/// with a listener).
fn reports_kills(policy: Option<&SeccompPolicy>) -> bool {
    policy.is_some_and(|p| matches!(p.default_action, Action::KillProcess | Action::KillThread))
}

/// Every input of [`compile`], as bytes.
fn key(policy: Option<&SeccompPolicy>, arch: Arch) -> Vec<u8> {
    let mut k = Vec::with_capacity(8192);
    k.extend_from_slice(b"stockade seccomp 1\0");
    k.push(match arch {
        Arch::X86_64 => 1,
        Arch::Aarch64 => 2,
    });
    let Some(p) = policy else {
        k.push(0);
        return k;
    };
    k.push(1);
    action(&mut k, p.default_action);
    k.extend_from_slice(&(p.deny.len() as u32).to_le_bytes());
    for (e, errno) in &p.deny {
        entry(&mut k, e);
        k.extend_from_slice(&errno.to_le_bytes());
    }
    k.extend_from_slice(&(p.allow.len() as u32).to_le_bytes());
    for e in &p.allow {
        entry(&mut k, e);
    }
    k
}

fn action(k: &mut Vec<u8>, a: Action) {
    let (tag, errno) = match a {
        Action::KillProcess => (1, 0),
        Action::KillThread => (2, 0),
        Action::Trap => (3, 0),
        Action::Log => (4, 0),
        Action::Errno(e) => (5, e),
    };
    k.push(tag);
    k.extend_from_slice(&errno.to_le_bytes());
}

fn entry(k: &mut Vec<u8>, e: &Entry) {
    // Names are NUL-free (syscall names from the tables).
    k.extend_from_slice(e.name.as_bytes());
    k.push(0);
    k.push(e.conds.len() as u8);
    for c in &e.conds {
        precompiled::put_cond(k, c);
    }
}

/// The table entry of `policy` compiled for `arch`, appended to `table`
/// (for the test that checks the table against the built-in profiles).
#[cfg(test)]
pub(crate) fn precompiled_entry(
    table: &mut Vec<u8>,
    policy: Option<&SeccompPolicy>,
    arch: Arch,
) -> Result<(), SeccompError> {
    let f = compile(policy, arch)?;
    precompiled::encode(table, &key(policy, arch), &f[0].prog);
    Ok(())
}

/// This architecture's table, and whether it holds `policy`.
#[cfg(test)]
pub(crate) fn precompiled_table(policy: Option<&SeccompPolicy>) -> (&'static [u8], bool) {
    let key = key(policy, Arch::native());
    let table = precompiled::TABLE;
    (table, precompiled::find(table, &key).is_some())
}

#[cfg(test)]
mod tests;
