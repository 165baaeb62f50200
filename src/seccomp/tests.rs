use super::*;
use bpf::run;
use seccompiler::{
    SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule,
    TargetArch,
};
use std::collections::BTreeMap;

fn bpf_insn(code: u16, jt: u8, jf: u8, k: u32) -> sock_filter {
    sock_filter { code, jt, jf, k }
}

/// Marker the old allowlist's kill action was compiled to and then
/// rewritten into a user notification (seccompiler has no such action).
const NOTIFY_MARKER: u32 = 0x7ff0_0000 | 0x5eed;

/// Kills the process for a syscall from any ABI other than `arch`'s native
/// one: another audit arch (i386 `int 0x80`, arm32 compat) or, on x86_64,
/// an x32 number.
fn arch_check(arch: Arch) -> Vec<sock_filter> {
    let mut p = vec![
        bpf_insn(0x20, 0, 0, 4),
        bpf_insn(0x15, 1, 0, arch.audit()),
        bpf_insn(0x06, 0, 0, program::RET_KILL_PROCESS),
    ];
    if arch == Arch::X86_64 {
        p.push(bpf_insn(0x20, 0, 0, 0));
        p.push(bpf_insn(0x35, 0, 1, bpf::X32_SYSCALL_BIT));
        p.push(bpf_insn(0x06, 0, 0, program::RET_KILL_PROCESS));
    }
    p.push(bpf_insn(0x06, 0, 0, program::RET_ALLOW));
    p
}

fn target(arch: Arch) -> TargetArch {
    match arch {
        Arch::X86_64 => TargetArch::x86_64,
        Arch::Aarch64 => TargetArch::aarch64,
    }
}

// seccompiler compiles the reference programs: the stack sandboxes had
// before one program replaced it, and the init's filter before it was
// laid out as a search.
fn to_seccompiler(c: &Cond) -> Result<SeccompCondition, String> {
    // 16- and 32-bit arguments compare the low word only: the high bits
    // are whatever the caller left in the register, and the kernel ignores
    // them. (A 16-bit rule is a masked_eq within 16 bits, so the low word
    // is exact.)
    let len = match c.width {
        args::Width::Bits16 | args::Width::Bits32 => SeccompCmpArgLen::Dword,
        args::Width::Bits64 => SeccompCmpArgLen::Qword,
    };
    let op = match c.op {
        Op::Eq => SeccompCmpOp::Eq,
        Op::Ne => SeccompCmpOp::Ne,
        Op::Lt => SeccompCmpOp::Lt,
        Op::Le => SeccompCmpOp::Le,
        Op::Gt => SeccompCmpOp::Gt,
        Op::Ge => SeccompCmpOp::Ge,
        Op::MaskedEq(m) => SeccompCmpOp::MaskedEq(m),
    };
    SeccompCondition::new(c.arg, len, op, c.value).map_err(|e| e.to_string())
}

type RuleMap = BTreeMap<i64, Vec<SeccompRule>>;

/// Adds `entry` to `rules`. An unconditional entry makes the syscall
/// unconditional (seccompiler: an empty rule list matches always).
fn add(rules: &mut RuleMap, arch: Arch, name: &str, conds: &[Cond]) -> Result<(), String> {
    let Some(nr) = arch.nr(name) else {
        return Ok(());
    };
    let unconditional = rules.get(&nr).is_some_and(|r| r.is_empty());
    if unconditional {
        return Ok(());
    }
    if conds.is_empty() {
        rules.insert(nr, Vec::new());
        return Ok(());
    }
    let c = conds
        .iter()
        .map(to_seccompiler)
        .collect::<Result<Vec<_>, _>>()?;
    rules
        .entry(nr)
        .or_default()
        .push(SeccompRule::new(c).map_err(|e| e.to_string())?);
    Ok(())
}

fn compile_one(
    what: &'static str,
    arch: Arch,
    rules: RuleMap,
    mismatch: SeccompAction,
    matched: SeccompAction,
) -> Result<Vec<sock_filter>, SeccompError> {
    let err = |why: String| SeccompError::Compile { what, why };
    let filter = SeccompFilter::new(rules, mismatch, matched, target(arch))
        .map_err(|e| err(e.to_string()))?;
    let prog: seccompiler::BpfProgram =
        filter
            .try_into()
            .map_err(|e: seccompiler::BackendError| match e {
                seccompiler::BackendError::FilterTooLarge(len) => {
                    SeccompError::TooLarge { what, len }
                }
                e => err(e.to_string()),
            })?;
    if prog.len() > MAX_INSNS {
        return Err(SeccompError::TooLarge {
            what,
            len: prog.len(),
        });
    }
    Ok(prog)
}

/// The stack of programs sandboxes had before one program replaced them
/// (kept as the reference the single program must agree with).
fn compile_stacked(
    policy: Option<&SeccompPolicy>,
    arch: Arch,
) -> Result<Vec<Filter>, SeccompError> {
    let mut filters = vec![Filter {
        what: "arch",
        prog: arch_check(arch),
        listener: false,
    }];
    let compile_err = |what: &'static str| move |why: String| SeccompError::Compile { what, why };

    // Side doors: EPERM.
    let mut side = RuleMap::new();
    let ioctl = |req: u64| vec![cond("ioctl", 1, Op::Eq, req)];
    for req in [consts::value_of("TIOCSTI"), consts::value_of("TIOCLINUX")] {
        add(&mut side, arch, "ioctl", &ioctl(req)).map_err(compile_err("side doors"))?;
    }
    // AF_VSOCK talks to the hypervisor's port space, which network
    // namespaces do not cover: no sandbox gets it, whatever its profile.
    for call in ["socket", "socketpair"] {
        let c = [cond(call, 0, Op::Eq, libc::AF_VSOCK as u64)];
        add(&mut side, arch, call, &c).map_err(compile_err("side doors"))?;
    }
    for call in ["clone", "unshare"] {
        for f in NS_FLAGS {
            let c = [cond(call, 0, Op::MaskedEq(f), f)];
            add(&mut side, arch, call, &c).map_err(compile_err("side doors"))?;
        }
    }
    filters.push(Filter {
        what: "side doors",
        prog: compile_one(
            "side doors",
            arch,
            side,
            SeccompAction::Allow,
            SeccompAction::Errno(libc::EPERM as u32),
        )?,
        listener: false,
    });
    let mut clone3 = RuleMap::new();
    add(&mut clone3, arch, "clone3", &[]).map_err(compile_err("clone3"))?;
    filters.push(Filter {
        what: "clone3",
        prog: compile_one(
            "clone3",
            arch,
            clone3,
            SeccompAction::Allow,
            SeccompAction::Errno(libc::ENOSYS as u32),
        )?,
        listener: false,
    });

    let Some(policy) = policy else {
        let mut deny = RuleMap::new();
        for name in groups::DANGEROUS {
            if *name == "personality" {
                continue;
            }
            add(&mut deny, arch, name, &[]).map_err(compile_err("dangerous"))?;
        }
        // personality() only to query or to set the default (as the
        // allowlists do): READ_IMPLIES_EXEC and ADDR_NO_RANDOMIZE stay out.
        let unsafe_personality = [
            cond("personality", 0, Op::Ne, 0),
            cond("personality", 0, Op::Ne, 0xffff_ffff),
        ];
        add(&mut deny, arch, "personality", &unsafe_personality)
            .map_err(compile_err("dangerous"))?;
        filters.push(Filter {
            what: "dangerous",
            prog: compile_one(
                "dangerous",
                arch,
                deny,
                SeccompAction::Allow,
                SeccompAction::Errno(libc::EPERM as u32),
            )?,
            listener: false,
        });
        return Ok(filters);
    };

    let mut by_errno: BTreeMap<u32, RuleMap> = BTreeMap::new();
    for (e, errno) in &policy.deny {
        add(by_errno.entry(*errno).or_default(), arch, e.name, &e.conds)
            .map_err(compile_err("deny"))?;
    }
    // A payload that stacks a filter of its own answering ERRNO would
    // outrank the kill notification (ERRNO precedes USER_NOTIF) and make
    // unlisted calls fail quietly instead of ending the sandbox. Unless the
    // profile allows seccomp(2) itself, prctl(PR_SET_SECCOMP) fails too.
    let reports_kills = matches!(
        policy.default_action,
        Action::KillProcess | Action::KillThread
    );
    let stacking = [cond("prctl", 0, Op::Eq, libc::PR_SET_SECCOMP as u64)];
    if reports_kills && !policy.allow.iter().any(|e| e.name == "seccomp") {
        add(
            by_errno.entry(libc::EPERM as u32).or_default(),
            arch,
            "prctl",
            &stacking,
        )
        .map_err(compile_err("deny"))?;
    }
    for (errno, rules) in by_errno {
        filters.push(Filter {
            what: "deny",
            prog: compile_one(
                "deny",
                arch,
                rules,
                SeccompAction::Allow,
                SeccompAction::Errno(errno),
            )?,
            listener: false,
        });
    }

    let mut allow = RuleMap::new();
    for e in &policy.allow {
        add(&mut allow, arch, e.name, &e.conds).map_err(compile_err("allow"))?;
    }
    // Denied calls pass the allowlist, so that the deny filter's errno (not
    // the default action) is what the payload sees.
    for (e, _) in &policy.deny {
        add(&mut allow, arch, e.name, &e.conds).map_err(compile_err("allow"))?;
    }
    if !allow.contains_key(&arch.nr("personality").unwrap_or(-1)) {
        for c in personality_safe() {
            add(&mut allow, arch, "personality", &c).map_err(compile_err("allow"))?;
        }
    }
    let (mismatch, listener) = match policy.default_action {
        Action::KillProcess | Action::KillThread => {
            (SeccompAction::Trace(NOTIFY_MARKER & 0xffff), true)
        }
        Action::Trap => (SeccompAction::Trap, false),
        Action::Log => (SeccompAction::Log, false),
        Action::Errno(e) => (SeccompAction::Errno(e), false),
    };
    let mut prog = compile_one("allow", arch, allow, mismatch, SeccompAction::Allow)?;
    if listener {
        let marker = 0x7ff0_0000 | (NOTIFY_MARKER & 0xffff);
        for insn in prog.iter_mut() {
            if insn.code == bpf::RET_K && insn.k == marker {
                insn.k = SECCOMP_RET_USER_NOTIF;
            }
        }
    }
    filters.push(Filter {
        what: "allow",
        prog,
        listener,
    });
    Ok(filters)
}

fn loc() -> Loc {
    Loc::cli()
}

#[test]
fn every_group_member_is_a_real_syscall() {
    for g in groups::GROUPS {
        for arch in [Arch::X86_64, Arch::Aarch64] {
            for name in g.common {
                if name.starts_with('@') {
                    assert!(
                        groups::group(name).is_some(),
                        "{}: unknown group {name}",
                        g.name
                    );
                } else {
                    assert!(
                        arch.nr(name).is_some(),
                        "{}: {name} is not a syscall on {}",
                        g.name,
                        arch.name()
                    );
                }
            }
        }
        for name in g.x86_64_only {
            assert!(
                Arch::X86_64.nr(name).is_some(),
                "{}: {name} not on x86_64",
                g.name
            );
            assert!(
                Arch::Aarch64.nr(name).is_none(),
                "{}: {name} exists on aarch64: move it to common",
                g.name
            );
        }
    }
    for name in groups::DANGEROUS {
        assert!(
            Arch::X86_64.nr(name).is_some() && Arch::Aarch64.nr(name).is_some(),
            "{name}"
        );
    }
}

#[test]
fn dangerous_is_sorted_for_its_binary_search() {
    assert!(groups::DANGEROUS.windows(2).all(|w| w[0] < w[1]));
    for name in groups::DANGEROUS {
        assert!(groups::is_dangerous(name), "{name}");
    }
    assert!(!groups::is_dangerous("read") && !groups::is_dangerous("zzz"));
}

#[test]
fn default_and_system_service_hold_no_dangerous_syscall() {
    for arch in [Arch::X86_64, Arch::Aarch64] {
        for g in ["@default", "@system-service"] {
            let entries = expand(g, arch, &loc(), &[]).unwrap();
            assert!(entries.len() > 30);
            for e in &entries {
                assert!(!groups::DANGEROUS.contains(&e.name), "{g} holds {}", e.name);
            }
        }
    }
}

#[test]
fn expansion_records_the_group_chain_and_suggests() {
    let e = expand("@system-service", Arch::X86_64, &loc(), &[]).unwrap();
    let read = e.iter().find(|e| e.name == "read").unwrap();
    assert_eq!(read.via, "@basic-io via @system-service");
    let err = expand("opne", Arch::X86_64, &loc(), &[]).unwrap_err();
    assert_eq!(
        err,
        "unknown syscall 'opne' on x86_64 (did you mean 'open'?)"
    );
    let err = expand("open", Arch::Aarch64, &loc(), &[]).unwrap_err();
    assert!(
        err.starts_with("unknown syscall 'open' on aarch64"),
        "{err}"
    );
    let err = expand("@basic-oi", Arch::X86_64, &loc(), &[]).unwrap_err();
    assert!(err.contains("did you mean '@basic-io'"), "{err}");
    // Legacy calls only on x86_64.
    let a = expand("@file-system", Arch::Aarch64, &loc(), &[]).unwrap();
    assert!(!a.iter().any(|e| e.name == "open"));
}

#[test]
fn actions_ops_and_errnos_parse() {
    assert_eq!(Action::parse("errno(EPERM)"), Ok(Action::Errno(1)));
    assert_eq!(Action::parse("errno(38)"), Ok(Action::Errno(38)));
    assert!(Action::parse("errno(5000)").is_err());
    assert!(Action::parse("explode").is_err());
    assert_eq!(Op::parse("masked_eq(0xff)"), Ok(Op::MaskedEq(0xff)));
    assert!(Op::parse("like").is_err());
}

fn policy(allow: &[&str], deny: &[(&str, u32)], default_action: Action) -> SeccompPolicy {
    let mut a = Vec::new();
    for n in allow {
        a.extend(expand(n, Arch::native(), &loc(), &[]).unwrap());
    }
    let d = deny
        .iter()
        .flat_map(|(n, e)| {
            expand(n, Arch::native(), &loc(), &[])
                .unwrap()
                .into_iter()
                .map(move |x| (x, *e))
        })
        .collect();
    SeccompPolicy {
        default_action,
        allow: a,
        deny: d,
    }
}

/// The stack's answer as the kernel combines it (the most severe action;
/// among equals, the most recently installed filter's), and every errno
/// any filter of the stack gave.
fn run_stack(filters: &[Filter], arch: u32, nr: u32, args: &[u64; 6]) -> (u32, Vec<u32>) {
    let action = |r: u32| (r & 0xffff_0000) as i32;
    let mut ret = program::RET_ALLOW;
    let mut errnos = Vec::new();
    for f in filters.iter().rev() {
        let r = run(&f.prog, arch, nr, args);
        if r & 0xffff_0000 == 0x0005_0000 {
            errnos.push(r);
        }
        if action(r) < action(ret) {
            ret = r;
        }
    }
    (ret, errnos)
}

/// The single program answers every call as the stack of programs did:
/// the same action, and the same errno unless several filters of the stack
/// answered with different ones (there the side doors now come first).
#[test]
fn one_program_answers_as_the_old_stack_did() {
    // Shaped like the shipped profiles (which a higher layer loads): their
    // groups, their argument rules, their errno answers, restrict_suid_sgid.
    let rule = |name: &'static str, conds: &[(u8, Op, u64)]| Entry {
        name,
        conds: conds
            .iter()
            .map(|(a, op, v)| Cond::new(name, *a, *op, *v).unwrap())
            .collect(),
        via: "",
        loc: loc(),
    };
    let errno_denies = [
        ("@mount", libc::EPERM),
        ("unshare", libc::EPERM),
        ("setns", libc::EPERM),
        ("ptrace", libc::EPERM),
        ("io_uring_setup", libc::ENOSYS),
        ("bpf", libc::EPERM),
        ("perf_event_open", libc::EACCES),
        ("keyctl", libc::ENOSYS),
        ("open_by_handle_at", libc::EPERM),
    ];
    let shipped = |allow: &[&str], families: &[u64], extra_allow: Vec<Entry>| {
        let mut p = policy(
            allow,
            &errno_denies.map(|(n, e)| (n, e as u32)),
            Action::KillProcess,
        );
        p.allow.extend(extra_allow);
        let not_family: Vec<(u8, Op, u64)> = families.iter().map(|f| (0, Op::Ne, *f)).collect();
        for call in ["socket", "socketpair"] {
            p.deny
                .push((rule(call, &not_family), libc::EAFNOSUPPORT as u32));
        }
        p.deny.push((
            rule(
                "socket",
                &[(0, Op::Eq, libc::AF_NETLINK as u64), (2, Op::Ne, 0)],
            ),
            libc::EPROTONOSUPPORT as u32,
        ));
        p.deny.extend(restrict_suid_sgid(&loc()));
        p
    };
    let ip = [
        libc::AF_UNIX,
        libc::AF_INET,
        libc::AF_INET6,
        libc::AF_NETLINK,
    ]
    .map(|f| f as u64);
    let default_like = shipped(&["@system-service"], &ip, Vec::new());
    let strict_like = shipped(
        &[
            "@default",
            "@basic-io",
            "@file-system",
            "@process",
            "@signal",
            "@memory",
            "connect",
            "sendmsg",
        ],
        &[libc::AF_UNIX as u64],
        vec![rule("socket", &[(0, Op::Eq, libc::AF_UNIX as u64)])],
    );
    let mut custom = policy(
        &["@default", "ioctl", "personality"],
        &[("socket", 97)],
        Action::Log,
    );
    custom.allow.push(Entry {
        name: "mmap",
        conds: vec![
            Cond::new("mmap", 2, Op::MaskedEq(4), 0).unwrap(),
            Cond::new("mmap", 1, Op::Le, 0x1_0000_0000).unwrap(),
        ],
        via: "",
        loc: loc(),
    });
    custom.deny.push((
        Entry {
            name: "lseek",
            conds: vec![Cond::new("lseek", 1, Op::Gt, 0xffff_fffe).unwrap()],
            via: "",
            loc: loc(),
        },
        22,
    ));
    // 64-bit masks: reaching into the high word, one bit of it alone, a
    // high bit that must be clear.
    for (mask, value, errno) in [
        (0x3_0000_0001, 0x1_0000_0000, 7),
        (1 << 40, 1 << 40, 8),
        (0x1_0000_0001, 1, 9),
    ] {
        custom.deny.push((
            Entry {
                name: "mmap",
                conds: vec![Cond::new("mmap", 1, Op::MaskedEq(mask), value).unwrap()],
                via: "",
                loc: loc(),
            },
            errno,
        ));
    }
    let mut errno_default = custom.clone();
    errno_default.default_action = Action::Errno(38);
    let policies = [
        ("default", Some(default_like)),
        ("strict", Some(strict_like)),
        ("none", None),
        ("custom", Some(custom)),
        ("errno default", Some(errno_default)),
    ];
    // Every value a condition compares with, at its boundaries and with
    // junk in the high bits.
    let mut values = vec![0u64, 1, u64::MAX, 0xffff_ffff, 1 << 32];
    for (_, p) in &policies {
        let conds = p.iter().flat_map(|p| {
            p.allow
                .iter()
                .chain(p.deny.iter().map(|d| &d.0))
                .flat_map(|e| e.conds.iter())
        });
        for c in conds {
            values.push(c.value);
        }
    }
    for v in [
        consts::value_of("TIOCSTI"),
        consts::value_of("TIOCLINUX"),
        libc::AF_VSOCK as u64,
        libc::PR_SET_SECCOMP as u64,
    ]
    .into_iter()
    .chain(NS_FLAGS)
    {
        values.push(v);
    }
    let mut probes: Vec<u64> = values
        .iter()
        .flat_map(|v| {
            [
                *v,
                v.wrapping_add(1),
                v.wrapping_sub(1),
                v | 0xdead_0000_0000_0000,
            ]
        })
        .collect();
    probes.sort_unstable();
    probes.dedup();
    let mut checked = 0u64;
    for arch in [Arch::X86_64, Arch::Aarch64] {
        for (name, p) in &policies {
            let old = compile_stacked(p.as_ref(), arch).unwrap();
            let new = compile(p.as_ref(), arch).unwrap();
            assert_eq!(new.len(), 1);
            assert_eq!(new[0].listener, old.iter().any(|f| f.listener), "{name}");
            let prog = &new[0].prog;
            assert!(prog.len() <= MAX_INSNS, "{name}: {}", prog.len());
            let mut numbers: Vec<u32> = (0..600).collect();
            numbers.extend([0x4000_0000, 0x4000_0001, 0x4000_0000 + 59, u32::MAX]);
            for nr in numbers {
                let mut calls = vec![[0u64; 6]];
                // Calls with argument rules get every probe in every argument.
                let name_of = arch.syscall_name(i64::from(nr));
                let has_rules = name_of.is_some_and(|n| {
                    p.iter().any(|p| {
                        p.allow
                            .iter()
                            .chain(p.deny.iter().map(|d| &d.0))
                            .any(|e| e.name == n && !e.conds.is_empty())
                    }) || [
                        "ioctl",
                        "socket",
                        "socketpair",
                        "clone",
                        "unshare",
                        "prctl",
                        "personality",
                    ]
                    .contains(&n)
                });
                if has_rules {
                    for a in 0..6 {
                        for v in &probes {
                            let mut args = [0u64; 6];
                            args[a] = *v;
                            calls.push(args);
                        }
                    }
                    // Two arguments at once, each a value of this
                    // syscall's own conditions or all of them together:
                    // a rule on two arguments (restrict_suid_sgid's flag
                    // and mode) holds only then.
                    let n = name_of.unwrap_or_default();
                    let mut own: Vec<u64> = p
                        .iter()
                        .flat_map(|p| p.allow.iter().chain(p.deny.iter().map(|d| &d.0)))
                        .filter(|e| e.name == n)
                        .flat_map(|e| e.conds.iter().map(|c| c.value))
                        .chain(if ["clone", "unshare"].contains(&n) {
                            NS_FLAGS.to_vec()
                        } else {
                            Vec::new()
                        })
                        .collect();
                    own.push(own.iter().fold(0, |a, v| a | v));
                    own.push(0);
                    own.sort_unstable();
                    own.dedup();
                    for a in 0..6 {
                        for b in a + 1..6 {
                            for x in &own {
                                for y in &own {
                                    let mut args = [0u64; 6];
                                    args[a] = *x;
                                    args[b] = *y;
                                    calls.push(args);
                                }
                            }
                        }
                    }
                }
                for audit in [arch.audit(), 0x4000_0003] {
                    for args in &calls {
                        let got = run(prog, audit, nr, args);
                        let (want, errnos) = run_stack(&old, audit, nr, args);
                        let same = got == want
                            || (got & 0xffff_0000 == 0x0005_0000
                                && want & 0xffff_0000 == 0x0005_0000
                                && errnos.len() > 1
                                && errnos.contains(&got));
                        assert!(
                            same,
                            "{name} on {}: nr {nr} ({name_of:?}) args {args:x?}: one program {got:#x}, stack {want:#x}",
                            arch.name()
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 100_000, "{checked}");
}

#[test]
fn one_program_per_sandbox_with_the_kill_as_a_notification() {
    let p = policy(&["@system-service"], &[("ptrace", 1)], Action::KillProcess);
    for arch in [Arch::X86_64, Arch::Aarch64] {
        let f = compile(Some(&p), arch).unwrap();
        assert_eq!(f.len(), 1);
        assert!(f[0].listener);
        let text = bpf::disassemble(&f[0].prog);
        assert!(text.contains("ret USER_NOTIF"), "{text}");
        assert!(!text.contains("TRACE"), "{text}");
        assert!(f[0].prog.len() <= MAX_INSNS);
    }
    let log = policy(&["@default"], &[], Action::Log);
    let f = compile(Some(&log), Arch::X86_64).unwrap();
    assert!(!f[0].listener);
    assert!(bpf::disassemble(&f[0].prog).contains("ret LOG"));
}

#[test]
fn the_program_checks_the_abi_first_and_answers_plain_calls_without_arguments() {
    let p = policy(&["@default", "getppid"], &[], Action::KillProcess);
    let prog = &compile(Some(&p), Arch::X86_64).unwrap()[0].prog;
    let text = bpf::disassemble(prog);
    assert!(
        text.starts_with(
            "0000: ld arch\n0001: jeq #0xc000003e, 3, 2\n0002: ret KILL_PROCESS\n0003: ld nr\n\
             0004: jge #0x40000000, 5, 6\n0005: ret KILL_PROCESS\n"
        ),
        "{text}"
    );
    // getppid has no argument rule: the path to its answer loads only the
    // number (the kernel's action cache can then skip the program).
    let nr = Arch::X86_64.nr("getppid").unwrap() as u32;
    let (mut pc, mut loads, mut steps) = (0usize, Vec::new(), 0);
    loop {
        let i = &prog[pc];
        pc += 1;
        steps += 1;
        match i.code {
            0x20 => loads.push(i.k),
            0x05 => pc += i.k as usize,
            0x15 | 0x25 | 0x35 => {
                let a = if loads.last() == Some(&4) {
                    0xc000_003e
                } else {
                    nr
                };
                let t = match i.code {
                    0x15 => a == i.k,
                    0x25 => a > i.k,
                    _ => a >= i.k,
                };
                pc += if t { i.jt } else { i.jf } as usize;
            }
            0x06 => {
                assert_eq!(i.k, program::RET_ALLOW);
                break;
            }
            c => panic!("{c:#x}"),
        }
    }
    assert!(loads.iter().all(|k| *k == 0 || *k == 4), "{loads:?}");
    // A binary search: a handful of comparisons, not a walk of the list.
    assert!(steps < 30, "{steps} instructions to reach getppid's answer");
    let aarch = bpf::disassemble(&compile(Some(&p), Arch::Aarch64).unwrap()[0].prog);
    assert!(
        aarch.starts_with(
            "0000: ld arch\n0001: jeq #0xc00000b7, 3, 2\n0002: ret KILL_PROCESS\n0003: ld nr\n"
        ) && !aarch.contains("0004: jge #0x40000000"),
        "{aarch}"
    );
}

#[test]
fn side_doors_compare_only_the_low_32_bits_of_ioctl_requests() {
    let f = compile(None, Arch::X86_64).unwrap();
    let text = bpf::disassemble(&f[0].prog);
    // The request (args[1]) is compared on its low word with TIOCSTI.
    assert!(text.contains("ld args[1]\n"), "{text}");
    assert!(!text.contains("ld args[1]_hi"), "{text}");
    assert!(text.contains(&format!("#{:#x}", libc::TIOCSTI)), "{text}");
    assert!(text.contains("ret ERRNO(1)"));
    assert!(
        text.contains(&format!("ret ERRNO({})", libc::ENOSYS)),
        "{text}"
    );
}

#[test]
fn oversize_programs_are_refused() {
    let mut p = policy(&[], &[], Action::KillProcess);
    for v in 0..3000u64 {
        p.allow.push(Entry {
            name: "write",
            conds: vec![Cond::new("write", 0, Op::Eq, v).unwrap()],
            via: "",
            loc: loc(),
        });
    }
    match compile(Some(&p), Arch::X86_64) {
        Err(SeccompError::TooLarge {
            what: "sandbox",
            len,
        }) => assert!(len > MAX_INSNS),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_syscall_name_maps_to_its_number_as_the_syscalls_crate_says() {
    use std::str::FromStr;
    for s in syscalls::x86_64::Sysno::iter() {
        assert_eq!(Arch::X86_64.nr(s.name()), Some(i64::from(s.id())), "{s}");
        assert_eq!(syscalls::x86_64::Sysno::from_str(s.name()), Ok(s));
    }
    for s in syscalls::aarch64::Sysno::iter() {
        assert_eq!(Arch::Aarch64.nr(s.name()), Some(i64::from(s.id())), "{s}");
    }
    assert_eq!(Arch::Aarch64.nr("newfstatat"), Arch::Aarch64.nr("fstatat"));
    assert!(Arch::Aarch64.nr("newfstatat").is_some());
    for name in ["", "opne", "open ", "zzz", "_", "read\0"] {
        assert_eq!(Arch::X86_64.nr(name), None, "{name:?}");
    }
    assert_eq!(Arch::X86_64.nr("open"), Some(2));
    assert_eq!(Arch::Aarch64.nr("open"), None);
    // And back: every number to its name, numbers without one to none.
    for nr in -1..1100i64 {
        let x86 = usize::try_from(nr)
            .ok()
            .and_then(syscalls::x86_64::Sysno::new);
        assert_eq!(Arch::X86_64.syscall_name(nr), x86.map(|s| s.name()), "{nr}");
        let arm = usize::try_from(nr)
            .ok()
            .and_then(syscalls::aarch64::Sysno::new);
        assert_eq!(
            Arch::Aarch64.syscall_name(nr),
            arm.map(|s| s.name()),
            "{nr}"
        );
    }
    // Every name, the last of each table included (the crate's `iter()`
    // stops before it: x86_64's file_setattr was once unknown here).
    let x86: Vec<&str> = (0..1100)
        .filter_map(syscalls::x86_64::Sysno::new)
        .map(|s| s.name())
        .collect();
    assert_eq!(Arch::X86_64.all_names(), x86);
    let arm: Vec<&str> = (0..1100)
        .filter_map(syscalls::aarch64::Sysno::new)
        .map(|s| s.name())
        .collect();
    assert_eq!(Arch::Aarch64.all_names(), arm);
    assert_eq!(Arch::X86_64.nr("file_setattr"), Some(469));
}

// The table of built-in profiles' programs (`precompiled`); what it
// holds is checked against the built-in profiles in `plan`'s tests.

/// Two policies that compile differently never share a key: every
/// field of a condition is in it.
#[test]
fn a_condition_changed_in_any_field_changes_the_key() {
    let c = args::Cond::new("socket", 0, Op::Eq, 1).unwrap();
    let base = |c: args::Cond| SeccompPolicy {
        default_action: Action::KillProcess,
        allow: vec![Entry {
            name: "socket",
            conds: vec![c],
            via: "",
            loc: crate::diag::Loc::cli(),
        }],
        deny: vec![],
    };
    let k = key(Some(&base(c.clone())), Arch::X86_64);
    let changed = [
        Cond {
            arg: 1,
            ..c.clone()
        },
        Cond {
            op: Op::Ne,
            ..c.clone()
        },
        Cond {
            op: Op::MaskedEq(3),
            ..c.clone()
        },
        Cond {
            value: 2,
            ..c.clone()
        },
        Cond {
            width: args::Width::Bits64,
            ..c.clone()
        },
    ];
    for other in changed {
        assert_ne!(key(Some(&base(other)), Arch::X86_64), k);
    }
    assert_ne!(key(Some(&base(c.clone())), Arch::Aarch64), k);
    assert_ne!(key(None, Arch::X86_64), k);
}

/// A number line too long for one pool of answers (allowed and refused
/// numbers alternate, and some have argument rules): the search's upper
/// levels jump over halves, its subtrees share their answers, and every
/// number and argument still gets its own answer, on both architectures.
#[test]
fn a_search_beyond_one_pool_answers_every_number() {
    use program::{build, Rule, RET_ALLOW, RET_KILL_PROCESS};
    let with_rule = |nr: u32| nr % 50 == 1;
    let cond = Cond::new("any", 0, Op::Eq, 7).unwrap();
    let mut rules = Vec::new();
    for nr in 0..460u32 {
        if with_rule(nr) {
            rules.push((
                i64::from(nr),
                Rule {
                    conds: vec![cond.clone()],
                    ret: program::ret_errno(nr),
                },
            ));
        } else if nr % 2 == 0 {
            rules.push((
                i64::from(nr),
                Rule {
                    conds: vec![],
                    ret: RET_ALLOW,
                },
            ));
        }
    }
    for arch in [Arch::X86_64, Arch::Aarch64] {
        let prog = build(arch, &rules, RET_KILL_PROCESS).unwrap();
        let text = bpf::disassemble(&prog);
        // Beyond one pool: a jump over a lower half longer than 255.
        assert!(text.contains(": ja "), "{text}");
        // Each pool answers "allow" once: far fewer than the 230 allowed
        // stretches of numbers.
        let allows = text.matches("ret ALLOW").count();
        assert!(allows < 10, "{allows} allows:\n{text}");
        for nr in 0..600u32 {
            for a0 in [7u64, 8] {
                let want = if nr < 460 && with_rule(nr) {
                    if a0 == 7 {
                        program::ret_errno(nr)
                    } else {
                        RET_KILL_PROCESS
                    }
                } else if nr < 460 && nr % 2 == 0 {
                    RET_ALLOW
                } else {
                    RET_KILL_PROCESS
                };
                let got = run(&prog, arch.audit(), nr, &[a0, 0, 0, 0, 0, 0]);
                assert_eq!(got, want, "{} nr {nr} arg {a0}", arch.name());
            }
        }
    }
}

/// A rule that starts with the argument word the rule before it loaded
/// (and left unmasked on every way it fails) does not load it again; one
/// after a masked check does. Every combination still gets the first
/// matching rule's answer.
#[test]
fn a_rule_reuses_the_word_the_rule_before_left_loaded() {
    use program::{build, ret_errno, Rule, RET_ALLOW};
    let c = |arg: u8, op: Op, v: u64| Cond::new("socket", arg, op, v).unwrap();
    let nr = 41i64;
    let rules: Vec<(i64, Rule)> = [
        (c(0, Op::Eq, 1), 1),
        (c(0, Op::Eq, 2), 2),
        (c(1, Op::MaskedEq(0xf), 1), 3),
        (c(1, Op::Eq, 5), 4),
        (c(0, Op::Ne, 3), 5),
    ]
    .into_iter()
    .map(|(cond, e)| {
        (
            nr,
            Rule {
                conds: vec![cond],
                ret: ret_errno(e),
            },
        )
    })
    .collect();
    let prog = build(Arch::X86_64, &rules, RET_ALLOW).unwrap();
    let text = bpf::disassemble(&prog);
    assert_eq!(text.matches("ld args[0]\n").count(), 2, "{text}");
    assert_eq!(text.matches("ld args[1]\n").count(), 2, "{text}");
    for a0 in 0..5u64 {
        for a1 in [1u64, 0x11, 5, 0x15, 0] {
            let want = if a0 == 1 {
                ret_errno(1)
            } else if a0 == 2 {
                ret_errno(2)
            } else if a1 & 0xf == 1 {
                ret_errno(3)
            } else if a1 == 5 {
                ret_errno(4)
            } else if a0 != 3 {
                ret_errno(5)
            } else {
                RET_ALLOW
            };
            let got = run(
                &prog,
                Arch::X86_64.audit(),
                nr as u32,
                &[a0, a1, 0, 0, 0, 0],
            );
            assert_eq!(got, want, "args {a0:#x} {a1:#x}\n{text}");
        }
    }
}

#[test]
fn the_groups_said_to_hold_dangerous_syscalls_are_exactly_those_that_do() {
    for g in groups::GROUPS {
        let holds = [Arch::X86_64, Arch::Aarch64].into_iter().any(|arch| {
            expand(g.name, arch, &loc(), &[])
                .unwrap()
                .iter()
                .any(|e| groups::is_dangerous(e.name))
        });
        assert_eq!(holds, groups::may_be_dangerous(g.name), "{}", g.name);
    }
    assert!(groups::may_be_dangerous("ptrace") && groups::may_be_dangerous("read"));
}

/// The init's filter as seccompiler compiled it before it was laid out as
/// a search: the reference the search must agree with.
fn init_filter_chained(arch: Arch, learn: bool) -> Vec<sock_filter> {
    let mut rules = RuleMap::new();
    for name in INIT_SYSCALLS {
        add(&mut rules, arch, name, &[]).unwrap();
    }
    let ioctls: &[u64] = if learn {
        &[NOTIF_RECV, NOTIF_SEND]
    } else {
        &[NOTIF_RECV]
    };
    for request in ioctls {
        add(
            &mut rules,
            arch,
            "ioctl",
            &[cond("ioctl", 1, Op::Eq, *request)],
        )
        .unwrap();
    }
    compile_one(
        "init",
        arch,
        rules,
        SeccompAction::KillProcess,
        SeccompAction::Allow,
    )
    .unwrap()
}

/// The instructions the kernel walks when it installs `prog`, and the
/// numbers it caches: it runs the filter on every syscall number of both
/// ABIs, without arguments, to find the numbers it may allow without
/// running the filter again (`seccomp_cache_prepare`); a walk ends at a
/// `ret` (allowing: cached), a load of an argument or an instruction it
/// does not model (`seccomp_is_const_allow`).
fn install_walk(prog: &[sock_filter], arch: Arch) -> (usize, usize) {
    let (compat, numbers) = match arch {
        Arch::X86_64 => (0x4000_0003, 0..463u32),
        Arch::Aarch64 => (0x4000_0028, 0..463u32),
    };
    let (mut steps, mut cached) = (0, 0);
    for audit in [arch.audit(), compat] {
        for nr in numbers.clone() {
            let (mut a, mut pc) = (0u32, 0usize);
            loop {
                let i = &prog[pc];
                steps += 1;
                pc += 1;
                let jump = |c: bool| usize::from(if c { i.jt } else { i.jf });
                match i.code {
                    0x20 if i.k == 0 => a = nr,
                    0x20 if i.k == 4 => a = audit,
                    0x05 => pc += i.k as usize,
                    0x15 => pc += jump(a == i.k),
                    0x25 => pc += jump(a > i.k),
                    0x35 => pc += jump(a >= i.k),
                    0x45 => pc += jump(a & i.k != 0),
                    0x54 => a &= i.k,
                    0x06 => {
                        cached += usize::from(i.k == program::RET_ALLOW);
                        break;
                    }
                    _ => break,
                }
            }
        }
    }
    (steps, cached)
}

/// PID 1's filter allows exactly what it did as seccompiler's chain of
/// comparisons, for every number of every ABI and every ioctl request
/// near the ones it allows; its installation stops at its first
/// instruction for every number and caches none, and its search alone
/// would walk fewer than half the chain's instructions.
#[test]
fn the_init_filter_answers_as_the_chained_one_did_and_builds_no_cache() {
    let mut checked = 0;
    for arch in [Arch::X86_64, Arch::Aarch64] {
        for learn in [false, true] {
            let new = init_filter(arch, learn).unwrap();
            let old = init_filter_chained(arch, learn);
            let mut requests = vec![0u64, 1, u64::MAX];
            for r in [NOTIF_RECV, NOTIF_SEND] {
                requests.extend([r, r - 1, r + 1, r | 0xdead_0000_0000_0000]);
            }
            let mut numbers: Vec<u32> = (0..600).collect();
            numbers.extend([0x4000_0000, 0x4000_0001, 0x4000_0000 + 16, u32::MAX]);
            for nr in numbers {
                for audit in [arch.audit(), 0x4000_0003, 0x4000_0028] {
                    for req in &requests {
                        let args = [3, *req, 0, 0, 0, 0];
                        let (got, want) =
                            (run(&new, audit, nr, &args), run(&old, audit, nr, &args));
                        assert_eq!(
                            got,
                            want,
                            "{} learn {learn}: nr {nr} audit {audit:#x} request {req:#x}",
                            arch.name()
                        );
                        checked += 1;
                    }
                }
            }
            let allowed = |prog: &[sock_filter]| {
                (0..600)
                    .filter(|nr| run(prog, arch.audit(), *nr, &[0; 6]) == program::RET_ALLOW)
                    .count()
            };
            // The syscalls named, ioctl apart (only with its request).
            assert_eq!(allowed(&new), INIT_SYSCALLS.len(), "{}", arch.name());
            assert_eq!(new[0], NO_CACHE);
            assert_eq!(install_walk(&new, arch), (2 * 463, 0), "{}", arch.name());
            let (search, search_cached) = install_walk(&new[1..], arch);
            let (chained, chain_cached) = install_walk(&old, arch);
            assert!(
                search * 2 < chained,
                "{} learn {learn}: the search walks {search} instructions, the chain {chained}",
                arch.name()
            );
            assert_eq!(search_cached, chain_cached, "{}", arch.name());
        }
    }
    assert!(checked > 20_000, "{checked}");
}

/// Adjacent rules that answer alike and differ only in which bit of the
/// same argument they ask for become one `jset` on the bits together, and
/// the program answers as the rules do, first match first: random rule
/// lists of single-bit, equality and masked conditions on two or three
/// arguments of both widths, with bits in the high word too (which never
/// merge), against every call made of those bits.
#[test]
fn rules_asking_for_one_bit_each_merge_and_answer_as_the_rules_do() {
    use args::Width;
    use program::{build, ret_errno, Rule, RET_ALLOW};
    let bits = [
        0x1u64,
        0x40,
        0x400,
        0x800,
        0x40_0000,
        0x8000_0000,
        0x2_0000_0000,
    ];
    let mut next = crate::diag::test_rng(0x9e37_79b9_7f4a_7c15);
    let nr = 2i64; // open: arguments 1 (32 bits) and 2 (32 bits) and 0 (a pointer, 64)
    let (mut merges, mut checked) = (0, 0);
    for _ in 0..400 {
        // The trial's conditions: rules draw theirs from a few, so that
        // neighbours often share all but one.
        let mut pool = Vec::new();
        while pool.len() < 5 {
            let arg = [1, 1, 2, 0][next(4) as usize];
            let width = if arg == 0 {
                Width::Bits64
            } else {
                Width::Bits32
            };
            let bit = bits[next(bits.len() as u64) as usize];
            let (op, value) = match next(6) {
                0 => (Op::Eq, bit),
                1 => (Op::MaskedEq(bit | 0x40), 0x40),
                _ => (Op::MaskedEq(bit), bit),
            };
            if width == Width::Bits64 || value <= u64::from(u32::MAX) {
                pool.push(Cond {
                    arg,
                    op,
                    value,
                    width,
                });
            }
        }
        let per_rule = 1 + next(2);
        let mut rules: Vec<(i64, Rule)> = Vec::new();
        for _ in 0..1 + next(8) {
            let conds = (0..per_rule)
                .map(|_| pool[next(pool.len() as u64) as usize].clone())
                .collect();
            // Few answers, so that neighbours often answer alike.
            let ret = [ret_errno(1), ret_errno(1), ret_errno(13), RET_ALLOW][next(4) as usize];
            rules.push((nr, Rule { conds, ret }));
        }
        let prog = build(Arch::X86_64, &rules, program::RET_KILL_PROCESS).unwrap();
        // A `jset` on several bits is a merge.
        merges += usize::from(
            prog.iter()
                .any(|i| i.code == bpf::JSET_K && !i.k.is_power_of_two()),
        );
        // Every combination of up to two of the bits in each argument.
        let values: Vec<u64> = (0..bits.len())
            .flat_map(|i| (i..bits.len()).map(move |j| (i, j)))
            .map(|(i, j)| bits[i] | bits[j])
            .chain([0])
            .collect();
        for _ in 0..300 {
            let args = [
                values[next(values.len() as u64) as usize],
                values[next(values.len() as u64) as usize],
                values[next(values.len() as u64) as usize] | (next(2) << 40),
                0,
                0,
                0,
            ];
            let want = rules
                .iter()
                .find(|(_, r)| r.conds.iter().all(|c| c.holds(&args)))
                .map_or(program::RET_KILL_PROCESS, |(_, r)| r.ret);
            let got = run(&prog, Arch::X86_64.audit(), nr as u32, &args);
            assert_eq!(
                got,
                want,
                "args {args:x?}\nrules {rules:?}\n{}",
                bpf::disassemble(&prog)
            );
            checked += 1;
        }
    }
    assert!(merges > 10, "{merges} lists merged");
    assert!(checked > 100_000);
}

/// Only a policy under which no call can open a socket of a family other
/// than AF_UNIX counts as one without such sockets: a rule on the type
/// leaves the family open, a `ne` lets the others through, io_uring opens
/// sockets no filter sees, and a `log` default allows what is unlisted.
#[test]
fn sockets_beyond_unix_are_ruled_out_only_when_no_call_can_open_one() {
    let socket = |conds: Vec<Cond>| Entry {
        name: "socket",
        conds,
        via: "",
        loc: crate::diag::Loc::cli(),
    };
    let on = |arg: u8, op: Op, value: u64| args::Cond::new("socket", arg, op, value).unwrap();
    let unix = libc::AF_UNIX as u64;
    let with = |allow: Vec<Entry>, default_action: Action| SeccompPolicy {
        default_action,
        allow,
        deny: vec![],
    };
    let kill = Action::KillProcess;
    let none = [
        with(vec![], kill),
        with(vec![socket(vec![on(0, Op::Eq, unix)])], kill),
        with(
            vec![socket(vec![on(0, Op::Eq, unix), on(1, Op::Eq, 2)])],
            kill,
        ),
        with(
            vec![socket(vec![on(0, Op::Le, unix), on(0, Op::Ge, unix)])],
            kill,
        ),
        // AF_UNSPEC (0) is refused by the kernel, but stockade does not
        // rely on that: only AF_UNIX is left out of the check.
        policy(&["read", "write", "socketpair"], &[], Action::Errno(1)),
    ];
    for p in &none {
        assert!(!p.sockets_beyond_unix(), "{p:?}");
    }
    let some = [
        with(vec![socket(vec![])], kill),
        with(vec![socket(vec![on(1, Op::Eq, 1)])], kill),
        with(
            vec![socket(vec![on(0, Op::Ne, libc::AF_INET as u64)])],
            kill,
        ),
        with(vec![socket(vec![on(0, Op::Le, unix)])], kill),
        with(vec![socket(vec![on(0, Op::MaskedEq(1), 1)])], kill),
        with(vec![socket(vec![on(0, Op::Eq, 45)])], kill),
        with(vec![], Action::Log),
        policy(&["io_uring_setup"], &[], kill),
    ];
    for p in &some {
        assert!(p.sockets_beyond_unix(), "{p:?}");
    }
}

/// A group expanded by hand, member by member through its nested groups,
/// as the table build.rs flattens should read: each syscall in order with
/// the chain of groups that brought it in.
fn expand_by_hand(name: &str, arch: Arch, via: &str, out: &mut Vec<(String, String)>) {
    match groups::group(name) {
        Some(g) => {
            let via = if via.is_empty() {
                name.to_string()
            } else {
                format!("{name} via {via}")
            };
            let legacy = if arch == Arch::X86_64 {
                g.x86_64_only
            } else {
                &[]
            };
            for member in g.common.iter().chain(legacy) {
                expand_by_hand(member, arch, &via, out);
            }
        }
        None => out.push((arch.static_name(name).unwrap().to_string(), via.to_string())),
    }
}

#[test]
fn every_flattened_group_is_its_expansion_by_hand() {
    let mut sizes = Vec::new();
    for arch in [Arch::X86_64, Arch::Aarch64] {
        for g in groups::GROUPS {
            let mut want = Vec::new();
            expand_by_hand(g.name, arch, "", &mut want);
            let got: Vec<(String, String)> = expand(g.name, arch, &loc(), &[])
                .unwrap()
                .into_iter()
                .map(|e| {
                    assert!(e.conds.is_empty() && e.loc == loc());
                    (e.name.to_string(), e.via.to_string())
                })
                .collect();
            assert_eq!(got, want, "{} on {}", g.name, arch.name());
            sizes.push(got.len());
        }
    }
    // Nested groups were followed: the largest holds far more than any
    // group lists itself.
    let listed = groups::GROUPS
        .iter()
        .map(|g| g.common.len() + g.x86_64_only.len());
    assert!(sizes.iter().max() > listed.max().as_ref(), "{sizes:?}");
}
