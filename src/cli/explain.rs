//! `stockade explain`: the effective policy of a profile, rendered for a
//! reviewer.

use super::args::ExplainArgs;
use super::flags::host;
use crate::error::Error;
use crate::profile;
use crate::resolve::Overrides;
use crate::sys;
use nix::errno::Errno;
use serde_json::{json, Value};
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
    if args.json {
        println!("{}", policy_json(&args.profile, &policy));
        return Ok(0);
    }
    // `--bpf` adds the filter to the rest; `--seccomp` narrows to the lists.
    let all = !args.seccomp;
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
                    allow.entry(e.name).or_default().push(from);
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

/// The effective policy as JSON: what `explain` prints, each entry with
/// the profile line (or `command line`) it came from.
fn policy_json(profile: &str, p: &crate::policy::Policy) -> Value {
    use crate::policy::MountOp;
    let mounts: Vec<Value> = p
        .mounts
        .iter()
        .map(|m| {
            let mut v = match &m.op {
                MountOp::Bind {
                    src,
                    dest,
                    writable,
                    ..
                } => json!({"op": "bind", "source": src, "dest": dest, "writable": writable}),
                MountOp::Tmpfs { dest, size, mode } => {
                    json!({"op": "tmpfs", "dest": dest, "size": size, "mode": format!("{mode:04o}")})
                }
                MountOp::Proc { dest } => json!({"op": "proc", "dest": dest}),
                MountOp::Dev { dest, shm } => json!({"op": "dev", "dest": dest, "shm_size": shm}),
                MountOp::Dir { dest, mode } => {
                    json!({"op": "dir", "dest": dest, "mode": format!("{mode:04o}")})
                }
                MountOp::Symlink { dest, target } => {
                    json!({"op": "symlink", "dest": dest, "target": target})
                }
            };
            v["origin"] = json!(m.loc.to_string());
            v
        })
        .collect();
    let env: serde_json::Map<String, Value> = p
        .env
        .iter()
        .map(|(k, v)| (k.to_string_lossy().into_owned(), json!(v.to_string_lossy())))
        .collect();
    let ll = &p.landlock;
    let enforced = match crate::landlock::prepare(ll, sys::landlock_abi()) {
        Ok(r) => json!({"abi": r.abi, "status": r.status(), "dropped": r.dropped}),
        Err(e) => json!({"error": e.to_string()}),
    };
    let scopes: Vec<&str> = crate::landlock::SCOPES
        .iter()
        .filter(|(_, bit)| ll.scopes & (*bit as u64) != 0)
        .map(|(n, _)| *n)
        .collect();
    let landlock = json!({
        "rules": ll.fs.iter().map(|r| json!({
            "path": r.path, "access": crate::landlock::names(r.access), "origin": r.loc.to_string(),
        })).collect::<Vec<_>>(),
        "tcp_bind": ll.bind_tcp,
        "tcp_connect": ll.connect_tcp,
        "scopes": scopes,
        "compatibility": format!("{:?}", ll.compat).to_lowercase(),
        "on_this_kernel": enforced,
    });
    let seccomp = p.seccomp.as_ref().map(|sc| {
        let allowed = sc.allowed_names();
        let entry = |e: &crate::seccomp::Entry| {
            json!({
                "syscall": e.name,
                "via": (!e.via.is_empty()).then_some(e.via),
                "if": (!e.conds.is_empty()).then(|| describe_conds(&e.conds)),
                "origin": e.loc.to_string(),
            })
        };
        json!({
            "default_action": sc.default_action.name(),
            "allowed_syscalls": allowed.len(),
            "allow": sc.allow.iter().filter(|e| allowed.contains(e.name)).map(entry).collect::<Vec<_>>(),
            "deny": sc.deny.iter().map(|(e, errno)| {
                let mut v = entry(e);
                v["errno"] = json!(format!("{:?}", Errno::from_raw(*errno as i32)));
                v
            }).collect::<Vec<_>>(),
            "answered_first": crate::seccomp::ALWAYS_ANSWERED.iter().map(|(name, when, answer)| {
                json!({"syscall": name, "when": when, "answer": answer})
            }).collect::<Vec<_>>(),
        })
    });
    json!({
        "profile": profile,
        "namespaces": p.namespaces.iter().map(|n| n.name()).collect::<Vec<_>>(),
        "network": {
            "namespace": if p.namespaces.contains(&crate::policy::Namespace::Net) { "own" } else { "host" },
            "loopback_up": p.loopback_up(),
        },
        "hostname": p.hostname,
        "user": {
            "uid": p.identity.uid, "gid": p.identity.gid,
            "host_uid": p.identity.host_uid, "host_gid": p.identity.host_gid,
        },
        "cwd": p.cwd,
        "filesystem": mounts,
        "env": env,
        "wall_time_seconds": p.wall_time.map(|d| d.as_secs_f64()),
        "rlimits": p.rlimits.iter().map(|r| json!({"name": r.name, "value": r.value})).collect::<Vec<_>>(),
        "cgroup": {
            "memory": p.cgroup.memory, "cpus": p.cgroup.cpu, "pids": p.cgroup.pids,
            "required": p.cgroup.required, "parent": p.cgroup.parent,
        },
        "landlock": landlock,
        "seccomp": seccomp,
        "fds": p.fds,
        "channel": p.channel.map(|c| json!({
            "max_message": c.max_message, "max_fds": c.max_fds, "socket": c.socket,
        })),
        "warnings": p.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
    })
}
