use super::*;

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
fn default_and_system_service_hold_no_dangerous_syscall() {
    for arch in [Arch::X86_64, Arch::Aarch64] {
        for g in ["@default", "@system-service"] {
            let entries = expand(g, arch, &loc(), &[]).unwrap();
            assert!(entries.len() > 30);
            for e in &entries {
                assert!(
                    !groups::DANGEROUS.contains(&e.name.as_str()),
                    "{g} holds {}",
                    e.name
                );
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

#[test]
fn filters_are_stacked_in_documented_order() {
    let p = policy(&["@system-service"], &[("ptrace", 1)], Action::KillProcess);
    for arch in [Arch::X86_64, Arch::Aarch64] {
        let f = compile(Some(&p), arch).unwrap();
        let whats: Vec<&str> = f.iter().map(|f| f.what).collect();
        assert_eq!(whats, ["arch", "side doors", "clone3", "deny", "allow"]);
        assert!(f.last().unwrap().listener);
        assert_eq!(f.iter().filter(|f| f.listener).count(), 1);
        let text = bpf::disassemble(&f.last().unwrap().prog);
        assert!(text.contains("ret USER_NOTIF"), "{text}");
        assert!(!text.contains("TRACE"), "{text}");
        for f in &f {
            assert!(f.prog.len() <= MAX_INSNS);
        }
    }
    let log = policy(&["@default"], &[], Action::Log);
    let f = compile(Some(&log), Arch::X86_64).unwrap();
    assert!(!f.last().unwrap().listener);
    assert!(bpf::disassemble(&f.last().unwrap().prog).contains("ret LOG"));
}

#[test]
fn arch_check_kills_foreign_and_x32_calls() {
    let text = bpf::disassemble(&bpf::arch_check(Arch::X86_64));
    assert_eq!(
        text,
        "0000: ld arch\n0001: jeq #0xc000003e, 3, 2\n0002: ret KILL_PROCESS\n0003: ld nr\n\
         0004: jge #0x40000000, 5, 6\n0005: ret KILL_PROCESS\n0006: ret ALLOW\n"
    );
    let text = bpf::disassemble(&bpf::arch_check(Arch::Aarch64));
    assert!(text.contains("jeq #0xc00000b7") && !text.contains("0x40000000"));
}

#[test]
fn side_doors_compare_only_the_low_32_bits_of_ioctl_requests() {
    let f = compile(None, Arch::X86_64).unwrap();
    let side = bpf::disassemble(&f[1].prog);
    // The request (args[1]) is masked to 32 bits and compared with TIOCSTI.
    assert!(side.contains("ld args[1]\n"), "{side}");
    assert!(side.contains(&format!("#{:#x}", libc::TIOCSTI)), "{side}");
    assert!(side.contains("ret ERRNO(1)"));
    let c3 = bpf::disassemble(&f[2].prog);
    assert!(c3.contains(&format!("ret ERRNO({})", libc::ENOSYS)), "{c3}");
    assert_eq!(f.last().unwrap().what, "dangerous");
}

#[test]
fn oversize_programs_are_refused() {
    let mut p = policy(&[], &[], Action::KillProcess);
    for v in 0..3000u64 {
        p.allow.push(Entry {
            name: "write".into(),
            conds: vec![Cond::new("write", 0, Op::Eq, v).unwrap()],
            via: String::new(),
            loc: loc(),
        });
    }
    match compile(Some(&p), Arch::X86_64) {
        Err(SeccompError::TooLarge { what: "allow", len }) => assert!(len > MAX_INSNS),
        other => panic!("{other:?}"),
    }
}
