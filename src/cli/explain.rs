//! `stockade explain`: the effective policy of a profile, rendered for a
//! reviewer.

use super::args::ExplainArgs;
use super::flags::host;
use crate::error::Error;
use crate::profile;
use crate::resolve::Overrides;
use crate::sys;
use nix::errno::Errno;
use std::collections::BTreeMap;

pub(super) fn explain(args: ExplainArgs) -> Result<i32, Error> {
    use crate::seccomp::{self, Arch};
    let host = host()?;
    let layers = profile::load(&args.profile)?;
    let policy = crate::resolve::resolve(&layers, &Overrides::default(), &host)?;
    let arch = match &args.arch {
        None => Arch::native(),
        Some(a) => Arch::from_name(a)
            .ok_or_else(|| Error::Usage(format!("--arch {a}: expected x86_64 or aarch64")))?,
    };
    let all = !args.seccomp && !args.bpf;
    if all {
        print!("{policy}");
        let ll = crate::landlock::prepare(&policy.landlock, sys::landlock_abi());
        match ll {
            Ok(p) => println!("{p}"),
            Err(e) => println!("{e}"),
        }
        for w in &policy.warnings {
            println!("warning: {w}");
        }
    }
    if all || args.seccomp {
        match &policy.seccomp {
            None => println!(
                "seccomp: no allowlist; built-in side-door filter only (dangerous syscalls get EPERM)"
            ),
            Some(sc) => {
                println!("seccomp: default action {}", sc.default_action.name());
                let mut allow: BTreeMap<&str, Vec<String>> = BTreeMap::new();
                for e in &sc.allow {
                    let mut from = if e.via.is_empty() { String::new() } else { format!("{} ", e.via) };
                    from.push_str(&format!("({})", e.loc));
                    if !e.conds.is_empty() {
                        from = format!("if {} {from}", describe_conds(&e.conds));
                    }
                    allow.entry(e.name.as_str()).or_default().push(from);
                }
                // What the built-in filters answer first is not allowed,
                // whatever the list says.
                let allowed = sc.allowed_names();
                allow.retain(|name, _| allowed.contains(name));
                println!("seccomp allow ({} syscalls):", allow.len());
                for (name, from) in &allow {
                    println!("  {name:<24} {}", from.join("; "));
                }
                println!("answered by stockade's own filters first, whatever the list says:");
                for (name, when, answer) in seccomp::ALWAYS_ANSWERED {
                    println!("  {name:<24} {when}: {answer}");
                }
                if !sc.deny.is_empty() {
                    println!("seccomp deny:");
                    for (e, errno) in &sc.deny {
                        let cond = if e.conds.is_empty() { String::new() } else { format!(" if {}", describe_conds(&e.conds)) };
                        println!(
                            "  {:<24} errno {}{cond} ({})",
                            e.name,
                            Errno::from_raw(*errno as i32),
                            e.loc
                        );
                    }
                }
            }
        }
    }
    if args.bpf {
        let filters = seccomp::compile(policy.seccomp.as_ref(), arch)
            .map_err(|e| Error::Plan(crate::plan::PlanError::Seccomp(e)))?;
        for (i, f) in filters.iter().enumerate() {
            println!(
                "filter {}/{}: {} ({} instructions{}) for {}",
                i + 1,
                filters.len(),
                f.what,
                f.prog.len(),
                if f.listener { ", reports kills" } else { "" },
                arch.name()
            );
            print!("{}", seccomp::bpf::disassemble_named(&f.prog, arch));
        }
    }
    Ok(0)
}

fn describe_conds(conds: &[crate::seccomp::Cond]) -> String {
    use crate::seccomp::Op;
    conds
        .iter()
        .map(|c| match c.op {
            Op::MaskedEq(m) => format!("args[{}] & {m:#x} == {:#x}", c.arg, c.value),
            op => {
                let sym = match op {
                    Op::Eq => "==",
                    Op::Ne => "!=",
                    Op::Lt => "<",
                    Op::Le => "<=",
                    Op::Gt => ">",
                    _ => ">=",
                };
                format!("args[{}] {sym} {:#x}", c.arg, c.value)
            }
        })
        .collect::<Vec<_>>()
        .join(" && ")
}
