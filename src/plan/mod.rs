//! Policy → Plan: everything the sandbox child will do, precomputed in the
//! parent. Building the Plan is where all allocation and fallible work
//! happens; the child only reads it (see `process::child`).

mod error;
mod exec;
mod fds;
mod landlock;
mod view;

use error::cstring;
pub use error::PlanError;
pub(crate) use exec::Exec;
pub(crate) use fds::MAX_FDS;
pub(crate) use landlock::Ruleset;
use landlock::*;
use view::*;
pub(crate) use view::{Dest, Leaf, Step};

use crate::policy::Namespace;
use crate::policy::Policy;
use std::ffi::{CStr, CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

/// What PID 1's helper thread does about the network (its value is the
/// thread's start argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NetworkSetup {
    /// Nothing: PID 1's namespace, the launcher's, is the sandbox's.
    Kept = 0,
    /// A namespace of its own, its loopback device left down.
    Own = 1,
    /// A namespace of its own with loopback up ([`Policy::loopback_up`]).
    OwnWithLoopback = 2,
}

/// Everything the sandbox child needs, built before clone. Read-only once
/// built: its contents are reached through `Deref` (there is no
/// `DerefMut`), and only `build` makes one, after checking what the child
/// relies on (`Contents::check`).
#[derive(Debug)]
pub struct Plan(Contents);

impl std::ops::Deref for Plan {
    type Target = Contents;

    fn deref(&self) -> &Contents {
        &self.0
    }
}

/// What a [`Plan`] holds.
#[derive(Debug)]
pub struct Contents {
    /// `CLONE_NEW*` flags.
    pub(crate) clone_flags: u64,
    /// Written by the parent to /proc/PID/uid_map.
    pub(crate) uid_map: String,
    /// Written by the parent to /proc/PID/gid_map.
    pub(crate) gid_map: String,
    /// Write "deny" to /proc/PID/setgroups first (required rootless).
    pub(crate) deny_setgroups: bool,
    /// uid inside the sandbox.
    pub(crate) uid: u32,
    /// gid inside the sandbox.
    pub(crate) gid: u32,
    /// Drop supplementary groups (possible when setgroups is allowed).
    pub(crate) clear_groups: bool,
    /// Host paths the child opens before it changes identity.
    pub(crate) sources: Vec<CString>,
    /// Number of trees cloned from sources before anything is mounted, so no
    /// clone can contain the view itself: one per bind step, one for all
    /// the /proc file masks.
    pub(crate) trees: usize,
    /// Filesystem steps in order.
    pub(crate) steps: Vec<Step>,
    /// A readable description of each step, for error messages.
    pub(crate) descriptions: Vec<String>,
    /// Hostname to set.
    pub(crate) hostname: Option<CString>,
    /// The sandbox's network namespace: a new one is made by a thread of
    /// PID 1 (not a clone flag: see `process::helper`).
    pub(crate) network: NetworkSetup,
    /// Working directory of the payload.
    pub(crate) cwd: CString,
    /// The payload command.
    pub(crate) exec: Exec,
    /// Highest capability number of the running kernel.
    pub(crate) last_cap: u32,
    /// Wall-clock limit.
    pub(crate) wall_time: Option<Duration>,
    /// `(RLIMIT_*, value)` pairs set in the payload.
    pub(crate) rlimits: Vec<(i32, u64)>,
    /// Landlock ruleset, when the kernel enforces anything the policy asks.
    pub(crate) landlock: Option<Ruleset>,
    /// Landlock report (also when nothing is enforced).
    pub(crate) landlock_report: crate::landlock::LandlockReport,
    /// Seccomp filters, installed in order just before exec.
    pub(crate) seccomp: Vec<crate::seccomp::Filter>,
    /// The sandbox init's own filter (installed once it has forked the
    /// payload, so the payload does not inherit it).
    pub(crate) init_filter: Vec<seccompiler::sock_filter>,
    /// Descriptors the payload receives.
    pub(crate) fds: crate::fds::FdMap,
    /// This process's argv and environ string areas, which the sandbox's
    /// init overwrites: `/proc/1/cmdline` would otherwise show the
    /// launcher's (or the host application's) command line to the payload.
    pub(crate) process_strings: Option<crate::sys::ProcessStrings>,
    /// Where PID 1 binds the channel's listening socket, on a private tmpfs
    /// in the view, before handing it to the launcher.
    pub(crate) channel_socket: Option<crate::sys::UnixPath>,
    /// Report each setup step to the launcher as it starts.
    pub(crate) trace: bool,
    /// The payload's pseudo-terminal, when one of its streams is a terminal.
    pub(crate) terminal: Option<Terminal>,
    /// Report the payload's stops to the launcher (job control).
    pub(crate) report_stops: bool,
    /// Learning: the warden lets refused calls through and reports them.
    pub(crate) learn: bool,
}

/// The payload's own pseudo-terminal, made by PID 1 in the view's devpts.
#[derive(Debug)]
pub(crate) struct Terminal {
    /// The view's `pts/ptmx`, opened after pivot_root.
    pub(crate) ptmx: CString,
    /// Where its peer goes, its mode and size.
    pub(crate) setup: TerminalSetup,
}

/// What the launcher decides about the payload's terminal.
#[derive(Clone, Copy)]
pub(crate) struct TerminalSetup {
    /// The descriptor number the launcher reserved in the map (a
    /// placeholder): PID 1 puts the terminal's peer there, so the map
    /// places it on every stream that asked for it.
    pub(crate) at: i32,
    /// Its initial mode (the host terminal's, usually).
    pub(crate) mode: Option<crate::sys::KernelTermios>,
    /// Its initial window size.
    pub(crate) size: Option<libc::winsize>,
}

impl std::fmt::Debug for TerminalSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TerminalSetup")
            .field("at", &self.at)
            .field("mode", &self.mode.is_some())
            .field("size", &self.size.map(|s| (s.ws_row, s.ws_col)))
            .finish()
    }
}

impl Plan {
    /// Closes the plan's descriptor and leaves its memory to the process's
    /// exit: for a launcher that ends with its one sandbox, whose init
    /// shares these pages copy-on-write until the sandbox ends (see
    /// `Sandbox::last_in_process`).
    pub(crate) fn leave_to_exit(mut self) {
        if let Some(Ruleset { ruleset, fs_rules }) = self.0.landlock.take() {
            drop(ruleset);
            std::mem::forget(fs_rules);
        }
        std::mem::forget(self);
    }
}

/// How a sandbox is launched, beside its policy and command.
#[derive(Debug, Default)]
pub struct Launch {
    /// Report each setup step as it starts.
    pub trace: bool,
    /// A cgroup enforces `memory` (no RLIMIT_DATA fallback).
    pub memory_by_cgroup: bool,
    /// Report the payload's stops.
    pub report_stops: bool,
    /// Let the calls the filter refuses through, reporting each syscall
    /// once (see `Sandbox::learn`).
    pub learn: bool,
    /// The terminal: the map's placeholder number, mode and size.
    pub(crate) terminal: Option<TerminalSetup>,
}

impl Contents {
    /// The trees the child clones before it builds the view, in order:
    /// `(step index, source index, tree index, attributes)` for each bind
    /// step, and for the first mask step of each mask tree.
    pub(crate) fn clones(&self) -> impl Iterator<Item = (usize, usize, usize, u64)> + '_ {
        self.steps.iter().enumerate().filter_map(|(i, s)| match s {
            Step::Bind {
                source,
                tree,
                attrs,
                ..
            } => Some((i, *source, *tree, *attrs)),
            Step::Mask {
                source,
                tree,
                attrs,
                ..
            } => {
                let earlier = self
                    .steps
                    .iter()
                    .take(i)
                    .any(|e| matches!(e, Step::Mask { tree: t, .. } if t == tree));
                (!earlier).then_some((i, *source, *tree, *attrs))
            }
            _ => None,
        })
    }

    /// What the child relies on and cannot check without failing a step:
    /// every bind names a source and a tree that exist, each tree once
    /// (the masks' shared tree once for all);
    /// every destination has a component; the descriptor map fits the
    /// child's stack array; there is a command to try.
    fn check(&self) -> Result<(), PlanError> {
        let mut trees = vec![false; self.trees];
        for (_, source, tree, _) in self.clones() {
            let fresh = trees.get_mut(tree).map(|t| !std::mem::replace(t, true));
            if source >= self.sources.len() || fresh != Some(true) {
                return Err(PlanError::Inconsistent(
                    "a bind names a missing source or tree",
                ));
            }
        }
        if trees.contains(&false) {
            return Err(PlanError::Inconsistent("a cloned tree is never attached"));
        }
        // A mask attaches a copy of whichever mask came before it: all
        // masks of a tree must be alike.
        let masks = || {
            self.steps.iter().filter_map(|s| match s {
                Step::Mask {
                    source,
                    tree,
                    attrs,
                    ..
                } => Some((*source, *tree, *attrs)),
                _ => None,
            })
        };
        if masks().any(|m| masks().any(|n| n.1 == m.1 && n != m)) {
            return Err(PlanError::Inconsistent("masks of one tree differ"));
        }
        if self.steps.iter().any(|s| s.dest().comps.is_empty()) {
            return Err(PlanError::Inconsistent("a step has an empty destination"));
        }
        if self.fds.pairs.len() > MAX_FDS {
            return Err(PlanError::TooManyFds(MAX_FDS));
        }
        if self.exec.candidates.is_empty() || self.exec.argv.strings().is_empty() {
            return Err(PlanError::NoCommand);
        }
        Ok(())
    }

    /// Whether a filter reports kills through a listener fd.
    pub fn has_listener(&self) -> bool {
        self.seccomp.iter().any(|f| f.listener)
    }
}

/// Sysctls of the sandbox's own namespaces, written by PID 1's helper
/// thread (as the namespaces' owner, with the launcher's identity) before
/// PID 1 pivots; files an older kernel lacks are skipped. A `false` marks
/// one this launcher may not be allowed to write, skipped then.
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
pub(crate) const NAMESPACE_SYSCTLS: &[(&CStr, &CStr, bool)] = &[
    (c"/proc/sys/user/max_inotify_instances", c"16", true),
    (c"/proc/sys/user/max_inotify_watches", c"8192", true),
    (c"/proc/sys/user/max_fanotify_groups", c"8", true),
    (c"/proc/sys/user/max_fanotify_marks", c"8192", true),
    (c"/proc/sys/user/max_user_namespaces", c"0", true),
    // Writable by global root only: applied when root launches.
    (c"/proc/sys/vm/memfd_noexec", c"2", false),
];

fn clone_flags(policy: &Policy) -> u64 {
    let mut flags = 0;
    for ns in &policy.namespaces {
        flags |= match ns {
            Namespace::User => libc::CLONE_NEWUSER,
            Namespace::Pid => libc::CLONE_NEWPID,
            Namespace::Mount => libc::CLONE_NEWNS,
            // PID 1 makes it on a thread of its own (`process::helper`).
            Namespace::Net => 0,
            Namespace::Ipc => libc::CLONE_NEWIPC,
            Namespace::Uts => libc::CLONE_NEWUTS,
            Namespace::Cgroup => libc::CLONE_NEWCGROUP,
        } as u64;
    }
    flags
}

/// Compiles a policy and a command line into a plan. `fds` maps launcher
/// descriptors onto the payload's (stdio included: what is not listed is
/// closed).
pub fn build(
    policy: &Policy,
    argv: &[OsString],
    fds: &[(i32, i32)],
    launch: &Launch,
) -> Result<Plan, PlanError> {
    let fd_map = fds::probe(fds)?;
    let cmd = argv.first().ok_or(PlanError::NoCommand)?;
    let mut b = Builder::default();
    for i in 0..policy.mounts.len() {
        add_mount(&mut b, &policy.mounts, i)?;
    }
    let channel_socket = match policy.channel {
        Some(c) if c.socket => Some(add_channel_socket(&mut b, &policy.mounts)?),
        _ => None,
    };
    let exec = exec::exec(policy, cmd, argv)?;
    let id = &policy.identity;
    let mut landlock_report =
        crate::landlock::prepare(&policy.landlock, crate::sys::landlock_abi())?;
    if channel_socket.is_some() {
        landlock_report.allow_unix_sockets_beneath(Path::new(crate::policy::SOCKET_DIR_IN_VIEW));
    }
    let landlock = landlock_plan(&landlock_report)?;
    let terminal = match launch.terminal {
        None => None,
        Some(setup) => Some(Terminal {
            ptmx: b.ptmx.clone().ok_or(PlanError::NoDevForTerminal)?,
            setup,
        }),
    };
    let contents = Contents {
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
        network: if !policy.namespaces.contains(&Namespace::Net) {
            NetworkSetup::Kept
        } else if policy.loopback_up() {
            NetworkSetup::OwnWithLoopback
        } else {
            NetworkSetup::Own
        },
        cwd: cstring(policy.cwd.as_os_str().as_bytes(), "cwd")?,
        exec,
        last_cap: crate::sys::last_cap(),
        wall_time: policy.wall_time,
        rlimits: rlimits(policy, launch.memory_by_cgroup),
        landlock,
        landlock_report,
        seccomp: payload_filter(policy.seccomp.as_ref(), launch.learn)?,
        init_filter: init_filter(launch.learn)?,
        fds: fd_map,
        channel_socket,
        process_strings: process_strings(),
        trace: launch.trace,
        terminal,
        report_stops: launch.report_stops,
        learn: launch.learn,
    };
    contents.check()?;
    Ok(Plan(contents))
}

/// The payload's rlimits: the policy's, with `memory` as RLIMIT_DATA (the
/// lower of it and `data`) when no cgroup enforces it.
fn rlimits(policy: &Policy, memory_by_cgroup: bool) -> Vec<(i32, u64)> {
    let mut out: Vec<(i32, u64)> = policy
        .rlimits
        .iter()
        .map(|r| (r.resource, r.value))
        .collect();
    #[allow(clippy::unnecessary_cast)] // u32 with glibc, i32 with musl
    let data = libc::RLIMIT_DATA as i32;
    if let (Some(m), false) = (policy.cgroup.memory, memory_by_cgroup) {
        match out.iter_mut().find(|r| r.0 == data) {
            Some(r) => r.1 = r.1.min(m),
            None => out.push((data, m)),
        }
    }
    out
}

/// The payload's filter. Learning goes through the warden, which hears of
/// the calls the default action refuses only when that action is a kill:
/// a trap or errno default becomes one.
fn payload_filter(
    sc: Option<&crate::seccomp::SeccompPolicy>,
    learn: bool,
) -> Result<Vec<crate::seccomp::Filter>, PlanError> {
    use crate::seccomp::compile_or_reuse as compile;
    use crate::seccomp::{Action, Arch, SeccompPolicy};
    Ok(match sc {
        Some(sc) if learn && matches!(sc.default_action, Action::Trap | Action::Errno(_)) => {
            let learning = SeccompPolicy {
                default_action: Action::KillProcess,
                ..sc.clone()
            };
            compile(Some(&learning), Arch::native())?
        }
        _ => compile(sc, Arch::native())?,
    })
}

/// The init's filter is the same for every sandbox: compiled once.
fn init_filter(learn: bool) -> Result<Vec<seccompiler::sock_filter>, PlanError> {
    static PROG: [std::sync::OnceLock<Vec<seccompiler::sock_filter>>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    let cell = &PROG[usize::from(learn)];
    if let Some(p) = cell.get() {
        return Ok(p.clone());
    }
    let p = crate::seccomp::init_filter(crate::seccomp::Arch::native(), learn)?;
    Ok(cell.get_or_init(|| p).clone())
}

/// This process's argv/environ areas do not move: read once.
fn process_strings() -> Option<crate::sys::ProcessStrings> {
    static AREAS: std::sync::OnceLock<Option<crate::sys::ProcessStrings>> =
        std::sync::OnceLock::new();
    *AREAS.get_or_init(crate::sys::ProcessStrings::of_self)
}

/// The plan of `run -p strict -- /bin/true` with no override, for tests.
#[cfg(test)]
pub(crate) fn strict_plan() -> Plan {
    let layers = crate::profile::load("strict").unwrap();
    let policy = crate::resolve::resolve(
        &layers,
        &crate::resolve::Overrides::default(),
        &crate::fuzzing::host(),
    )
    .unwrap();
    let launch = Launch {
        trace: false,
        memory_by_cgroup: false,
        report_stops: false,
        learn: false,
        terminal: None,
    };
    build(&policy, &["/bin/true".into()], &[(1, 1)], &launch).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::Overrides;
    use crate::sys::MOUNT_ATTR_RDONLY;

    /// The policies the built-in profiles resolve to, as a run of each
    /// resolves it, with no override.
    fn builtin_policies() -> Vec<(&'static str, Option<crate::seccomp::SeccompPolicy>)> {
        let host = crate::resolve::Host::current().unwrap();
        crate::profile::BUILTINS
            .iter()
            .map(|b| {
                let layers = crate::profile::load(b.name).unwrap();
                let policy =
                    crate::resolve::resolve(&layers, &Overrides::default(), &host).unwrap();
                (b.name, policy.seccomp)
            })
            .collect()
    }

    /// `src/seccomp/precompiled/x86_64.bin` holds the programs the
    /// built-in profiles compile to, and nothing else.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_table_holds_what_the_builtin_profiles_compile_to() {
        use crate::seccomp::{precompiled_entry, precompiled_table, Arch};
        let mut table = Vec::new();
        for (_, policy) in builtin_policies() {
            precompiled_entry(&mut table, policy.as_ref(), Arch::X86_64).unwrap();
        }
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/seccomp/precompiled/x86_64.bin"
        );
        if std::env::var("STOCKADE_WRITE_SNAPSHOTS").as_deref() == Ok("1") {
            std::fs::write(path, &table).unwrap();
            return;
        }
        assert!(
            precompiled_table(None).0 == table.as_slice(),
            "src/seccomp/precompiled/x86_64.bin is stale: run \
             STOCKADE_WRITE_SNAPSHOTS=1 cargo test --lib the_table_holds"
        );
    }

    /// The payload's filter from the table is what compiling gives,
    /// listener included; a policy one entry or its default away from a
    /// built-in's is compiled.
    #[test]
    fn a_reused_program_is_what_compiling_gives_and_only_for_the_same_policy() {
        use crate::seccomp::{compile, precompiled_table, Action, Arch};
        let mut reused = 0;
        for (name, policy) in builtin_policies() {
            let want = compile(policy.as_ref(), Arch::native()).unwrap();
            let got = payload_filter(policy.as_ref(), false).unwrap();
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].what, want[0].what);
            assert_eq!(got[0].listener, want[0].listener, "{name}");
            assert!(got[0].prog == want[0].prog, "{name}");
            reused += usize::from(precompiled_table(policy.as_ref()).1);
            let Some(mut other) = policy else { continue };
            other.allow.pop();
            assert!(!precompiled_table(Some(&other)).1, "{name}");
            other.default_action = Action::Errno(1);
            assert!(!precompiled_table(Some(&other)).1, "{name}");
        }
        if cfg!(target_arch = "x86_64") {
            assert_eq!(reused, crate::profile::BUILTINS.len());
        }
    }

    fn masks(plan: &Plan) -> Vec<(usize, usize)> {
        plan.steps
            .iter()
            .filter_map(|s| match s {
                Step::Mask { source, tree, .. } => Some((*source, *tree)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_proc_file_mask_copies_one_tree_cloned_once() {
        let plan = strict_plan();
        let m = masks(&plan);
        assert_eq!(m.len(), view::PROC_MASKED_FILES.len());
        assert!(m.iter().all(|x| *x == m[0]), "{m:?}");
        let (source, tree) = m[0];
        assert_eq!(plan.sources[source].as_bytes(), view::MASK_SOURCE);
        // Cloned once, at the first mask; each bind's tree once too.
        let cloned: Vec<usize> = plan.clones().map(|(_, _, t, _)| t).collect();
        assert_eq!(cloned.iter().filter(|t| **t == tree).count(), 1);
        assert_eq!(cloned.len(), plan.trees);
        let first = plan
            .steps
            .iter()
            .position(|s| matches!(s, Step::Mask { .. }));
        assert_eq!(plan.clones().find(|c| c.2 == tree).map(|c| c.0), first);
        // The clone's index names its step, for error messages.
        for (i, ..) in plan.clones() {
            assert!(matches!(
                plan.steps[i],
                Step::Bind { .. } | Step::Mask { .. }
            ));
        }
    }

    /// Where the program's walk for `nr` loads its first argument word, if
    /// it does (the start of the syscall's block).
    fn block_of(prog: &[seccompiler::sock_filter], arch: u32, nr: u32) -> Option<usize> {
        let (mut a, mut pc) = (0u32, 0usize);
        loop {
            let i = &prog[pc];
            let jump = |cond: bool| if cond { i.jt as usize } else { i.jf as usize };
            pc += 1;
            match i.code {
                0x20 if i.k == 0 => a = nr,
                0x20 if i.k == 4 => a = arch,
                0x20 => return Some(pc - 1),
                0x05 => pc += i.k as usize,
                0x15 => pc += jump(a == i.k),
                0x25 => pc += jump(a > i.k),
                0x35 => pc += jump(a >= i.k),
                0x06 => return None,
                c => panic!("opcode {c:#x} at {}", pc - 1),
            }
        }
    }

    /// Syscalls whose argument rules are alike share one block, no
    /// conditional jump lands on a `ja` whose target it could reach itself,
    /// and every instruction is on some path: the program is as short as its
    /// search and its blocks allow (`strict`: 210 -> 178 instructions), which
    /// is what the kernel translates and compiles at every start.
    #[test]
    fn alike_blocks_are_shared_and_no_jump_stops_at_a_ja() {
        use crate::seccomp::{compile, Arch};
        for (name, seccomp) in builtin_policies() {
            for arch in [Arch::X86_64, Arch::Aarch64] {
                let Ok(filters) = compile(seccomp.as_ref(), arch) else {
                    continue;
                };
                let Some(f) = filters.last() else { continue };
                let prog = &f.prog;
                let mut reached = vec![false; prog.len()];
                let mut todo = vec![0usize];
                while let Some(at) = todo.pop() {
                    if std::mem::replace(&mut reached[at], true) {
                        continue;
                    }
                    let i = &prog[at];
                    match i.code {
                        0x06 => {}
                        0x05 => todo.push(at + 1 + i.k as usize),
                        0x15 | 0x25 | 0x35 | 0x45 => {
                            for off in [i.jt, i.jf] {
                                let to = at + 1 + off as usize;
                                if prog[to].code == 0x05 {
                                    let beyond = to + 1 + prog[to].k as usize;
                                    assert!(beyond - at - 1 > 255, "{}: {at} -> ja at {to}", name);
                                }
                                todo.push(to);
                            }
                        }
                        _ => todo.push(at + 1),
                    }
                }
                assert!(reached.iter().all(|r| *r), "{}: unreachable code", name);
                // Every block starts once: two numbers reaching blocks that
                // begin with the same instructions reach the same one.
                let mut starts: Vec<(usize, u32)> = Vec::new();
                for nr in 0..1024u32 {
                    if let Some(at) = block_of(prog, arch.audit(), nr) {
                        starts.push((at, nr));
                    }
                }
                starts.sort();
                starts.dedup_by_key(|s| s.0);
                for (n, (at, _)) in starts.iter().enumerate() {
                    for (other, _) in &starts[n + 1..] {
                        let len = (other - at).min(prog.len() - other);
                        let same = (0..len).all(|k| {
                            let (x, y) = (&prog[at + k], &prog[other + k]);
                            (x.code, x.jt, x.jf, x.k) == (y.code, y.jt, y.jf, y.k)
                        });
                        assert!(
                            !same || len == 0,
                            "{}: blocks at {at} and {other} alike",
                            name
                        );
                    }
                }
            }
        }
        let strict = builtin_policies().into_iter().find(|p| p.0 == "strict");
        let seccomp = strict.and_then(|p| p.1);
        let prog = &compile(seccomp.as_ref(), Arch::X86_64).unwrap()[0].prog;
        let nr = |n: &str| Arch::X86_64.nr(n).unwrap() as u32;
        let chmod = block_of(prog, Arch::X86_64.audit(), nr("chmod"));
        assert!(chmod.is_some());
        assert_eq!(chmod, block_of(prog, Arch::X86_64.audit(), nr("fchmod")));
    }

    /// Where a built-in profile leaves loopback down, the program its
    /// payload runs under refuses a socket of every family but AF_UNIX,
    /// whatever its type and protocol; where it brings loopback up, some
    /// such socket is allowed.
    #[test]
    fn loopback_is_left_down_only_where_the_program_refuses_every_other_family() {
        use crate::seccomp::{bpf, compile, program::RET_ALLOW, Arch};
        let arch = Arch::native();
        let socket = arch.nr("socket").unwrap() as u32;
        let kinds = [1u64, 2, 3, 5, 10, 0x80801, 0x80002, 0xffff_ffff, 1 << 40];
        let protocols = [0u64, 1, 6, 17, 58, 255, 0x1_0000_0000];
        let mut down = Vec::new();
        for (name, seccomp) in builtin_policies() {
            let prog = &compile(seccomp.as_ref(), arch).unwrap()[0].prog;
            let allowed = (0..=300u64)
                .chain([1 << 32 | 2, u64::MAX])
                .filter(|&f| f != libc::AF_UNIX as u64)
                .any(|f| {
                    kinds.iter().any(|&t| {
                        protocols.iter().any(|&p| {
                            let args = [f, t, p, 0, 0, 0];
                            bpf::run(prog, arch.audit(), socket, &args) == RET_ALLOW
                        })
                    })
                });
            let up = seccomp.as_ref().is_none_or(|s| s.sockets_beyond_unix());
            assert_eq!(up, allowed, "{name}");
            if !up {
                down.push(name);
            }
        }
        assert!(
            down.contains(&"strict") && down.contains(&"plugin"),
            "{down:?}"
        );
    }

    #[test]
    fn masks_of_one_tree_must_be_alike() {
        let Plan(mut c) = strict_plan();
        assert!(c.check().is_ok());
        let last = c
            .steps
            .iter_mut()
            .rev()
            .find_map(|s| match s {
                Step::Mask { attrs, .. } => Some(attrs),
                _ => None,
            })
            .unwrap();
        *last &= !MOUNT_ATTR_RDONLY;
        assert!(matches!(c.check(), Err(PlanError::Inconsistent(_))));
    }
}
