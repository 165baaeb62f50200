//! The `landlock` section (and the grants of mounted paths) →
//! [`LandlockPolicy`].

use super::host::*;
use super::merge::*;
use super::values::*;
use crate::diag::{Loc, ProfileError};
use crate::landlock::{self as ll, FsRule, LandlockPolicy};
use crate::policy::{base_of, in_view, Base};
use crate::policy::{Mount, MountOp};

pub(super) fn resolve_landlock(
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
pub(super) fn landlock_rule(
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
