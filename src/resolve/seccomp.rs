//! The `seccomp` section → [`SeccompPolicy`].

use super::errors::Errors;
use super::merge::*;
use crate::diag::{Loc, ProfileError};
use crate::policy::Warning;
use crate::profile::model::*;
use crate::seccomp;
use crate::seccomp::{Action, Arch, Cond, Op, SeccompPolicy};

pub(super) fn value(v: &ValueRepr) -> Result<u64, String> {
    match v {
        ValueRepr::Num(n) => Ok(*n),
        ValueRepr::Text(t) => seccomp::consts::parse_value(t),
    }
}

pub(super) fn conds(name: &str, args: &[ArgSpec]) -> Result<Vec<Cond>, String> {
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
pub(super) const NEEDED_AFTER_FILTER: [&str; 3] = ["execve", "write", "exit_group"];

pub(super) fn resolve_seccomp(
    m: &Merged<'_>,
    warnings: &mut Vec<Warning>,
    errs: &mut Errors,
) -> Option<SeccompPolicy> {
    if !m.sc_present {
        return None;
    }
    let arch = Arch::native();
    let default_action = match m.sc_default {
        None => Action::KillProcess,
        Some(a) => errs
            .take(Action::parse(&a.value).map_err(|e| ProfileError::new(&a.loc, e)))
            .unwrap_or(Action::KillProcess),
    };
    // What each `remove.seccomp` name takes away, expanded, and whether it
    // took anything (a name that matches nothing inherited is an error).
    let mut removed: Vec<(usize, &Loc, &str, Vec<&'static str>, bool)> = Vec::new();
    for (layer, r) in &m.sc_removed {
        let Some(names) = errs.take(
            seccomp::expand(&r.value, arch, &r.loc, &[])
                .map_err(|e| ProfileError::new(&r.loc, format!("remove.seccomp: {e}"))),
        ) else {
            continue;
        };
        let names = names.into_iter().map(|e| e.name).collect();
        removed.push((*layer, &r.loc, r.value.as_str(), names, false));
    }
    let removing = !removed.is_empty();
    let mut taken = |layer: usize, name: &str| -> bool {
        let mut hit = false;
        for r in removed.iter_mut().filter(|r| r.0 > layer) {
            if r.3.contains(&name) {
                r.4 = true;
                hit = true;
            }
        }
        hit
    };
    let mut allow = Vec::new();
    let before = errs.len();
    for (layer, a) in &m.sc_allow {
        let (name, c) = match &a.value {
            SyscallSpec::Name(n) => (n.as_str(), Vec::new()),
            SyscallSpec::Rule(r) => {
                let c = conds(&r.syscall, &r.args).map_err(|e| ProfileError::new(&a.loc, e));
                let Some(c) = errs.take(c) else { continue };
                (r.syscall.as_str(), c)
            }
        };
        let start = allow.len();
        let expanded = seccomp::expand_onto(&mut allow, name, arch, &a.loc, &c)
            .map_err(|e| ProfileError::new(&a.loc, format!("seccomp.allow: {e}")));
        if errs.take(expanded).is_none() {
            continue;
        }
        if seccomp::groups::may_be_dangerous(name) {
            for e in &allow[start..] {
                if seccomp::groups::is_dangerous(e.name) {
                    warnings.push(Warning::DangerousSyscall {
                        at: a.loc.to_string(),
                        name: e.name.to_string(),
                        via: e.via.to_string(),
                    });
                }
            }
        }
        if removing {
            // What a later layer's `remove` takes away goes, in order.
            let mut kept = start;
            for i in start..allow.len() {
                if !taken(*layer, allow[i].name) {
                    allow.swap(kept, i);
                    kept += 1;
                }
            }
            allow.truncate(kept);
        }
    }
    // With an allow entry in error, what the list lacks is not known.
    let allow_known = errs.len() == before;
    let mut deny = Vec::new();
    for (layer, d) in &m.sc_deny {
        let errno = match &d.value.errno {
            ValueRepr::Num(n) => seccomp::parse_errno(&n.to_string()),
            ValueRepr::Text(t) => seccomp::parse_errno(t),
        }
        .map_err(|e| ProfileError::new(&d.loc, e));
        let c = conds(&d.value.syscall, &d.value.args).map_err(|e| ProfileError::new(&d.loc, e));
        let (Some(errno), Some(c)) = (errs.take(errno), errs.take(c)) else {
            continue;
        };
        let Some(entries) = errs.take(
            seccomp::expand(&d.value.syscall, arch, &d.loc, &c)
                .map_err(|e| ProfileError::new(&d.loc, format!("seccomp.deny: {e}"))),
        ) else {
            continue;
        };
        deny.extend(
            entries
                .into_iter()
                .filter(|e| !taken(*layer, e.name))
                .map(|e| (e, errno)),
        );
    }
    for (_, loc, name, _, _) in removed.iter().filter(|r| !r.4) {
        errs.push(ProfileError::new(
            loc,
            format!("remove.seccomp: {name} matches nothing inherited"),
        )
        .hint("`remove` takes away what the profiles this one extends declare; `stockade explain --seccomp` shows them"));
    }
    if let Some(r) = m.sc_restrict_suid.filter(|r| r.value) {
        deny.extend(seccomp::restrict_suid_sgid(&r.loc));
    }
    let at = m.sc_default.map(|a| a.loc.clone()).unwrap_or_else(|| {
        m.sc_allow
            .first()
            .map(|a| a.1.loc.clone())
            .unwrap_or_else(Loc::cli)
    });
    if !allow_known {
        return None;
    }
    if allow.is_empty() {
        errs.push(
            ProfileError::new(&at, "the seccomp allowlist is empty")
                .hint("allow at least @default; every program needs some syscalls"),
        );
        return None;
    }
    if !matches!(default_action, Action::Log) {
        for need in NEEDED_AFTER_FILTER {
            if !allow.iter().any(|e| e.name == need && e.conds.is_empty()) {
                errs.push(ProfileError::new(
                    &at,
                    format!("the seccomp allowlist lacks {need}, which stockade needs after the filter is in place"),
                )
                .hint(format!("add {need} (or @default) to seccomp.allow")));
            }
        }
    }
    Some(SeccompPolicy {
        default_action,
        allow,
        deny,
    })
}
