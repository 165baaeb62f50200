//! The `landlock` section (and the grants of mounted paths) →
//! [`LandlockPolicy`].

use super::errors::Errors;
use super::host::*;
use super::merge::*;
use super::values::*;
use crate::diag::{Loc, ProfileError};
use crate::landlock::{self as ll, FsRule, LandlockPolicy};
use crate::policy::{base_of, in_view, under, Base};
use crate::policy::{Mount, MountOp};
use std::path::{Path, PathBuf};

/// `absent` holds the destinations of optional binds whose source is
/// missing: rules on paths beneath them go with them.
pub(super) fn resolve_landlock(
    m: &Merged<'_>,
    mounts: &[Mount],
    absent: &[PathBuf],
    host: &Host,
    errs: &mut Errors,
) -> LandlockPolicy {
    let mut fs = Vec::new();
    let classes = [
        (&m.ll_read, ll::read_rights().bits()),
        (&m.ll_write, ll::write_rights().bits()),
        (&m.ll_execute, ll::execute_rights().bits()),
    ];
    for (list, access) in classes {
        for p in list.iter() {
            fs.extend(
                errs.take(landlock_rule(
                    &p.value, access, &p.loc, mounts, absent, host,
                ))
                .flatten(),
            );
        }
    }
    if !fs.is_empty() {
        for g in m.grants {
            let (path, writable) = &g.value;
            let mut access = ll::read_rights().bits() | ll::execute_rights().bits();
            if *writable {
                access |= ll::write_rights().bits();
            }
            fs.extend(
                errs.take(landlock_rule(path, access, &g.loc, mounts, absent, host))
                    .flatten(),
            );
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
                            .chain(
                                ll::FS_RIGHTS
                                    .iter()
                                    .map(|(n, _)| *n)
                                    .filter(|n| *n != "execute"),
                            )
                            .collect();
                        let best =
                            crate::diag::nearest(n, all.iter().copied()).map_or("read", |(_, c)| c);
                        errs.push(
                            ProfileError::new(&r.loc, format!("unknown landlock right '{n}'"))
                                .hint(format!("did you mean '{best}'? rights: {}", all.join(", "))),
                        );
                        0
                    }
                },
            };
        }
        fs.extend(
            errs.take(landlock_rule(
                &r.value.path,
                access,
                &r.loc,
                mounts,
                absent,
                host,
            ))
            .flatten(),
        );
    }
    let scopes = match m.ll_scopes {
        None => ll::default_scopes(),
        Some(list) => {
            let mut bits = 0;
            for s in &list.value {
                match ll::SCOPES.iter().find(|(n, _)| *n == s.value) {
                    Some((_, scope)) => bits |= *scope as u64,
                    None => {
                        let all: Vec<&str> = ll::SCOPES.iter().map(|(n, _)| *n).collect();
                        errs.push(
                            ProfileError::new(&s.loc, format!("unknown scope '{}'", s.value))
                                .hint(format!("scopes: {}", all.join(", "))),
                        );
                    }
                }
            }
            bits
        }
    };
    // A write rule a command-line read-only bind took every right from.
    fs.retain(|r| r.access != 0);
    LandlockPolicy {
        fs,
        bind_tcp: m.ll_bind.clone(),
        connect_tcp: m.ll_connect.clone(),
        scopes,
        compat: m.ll_compat.map(|c| c.value).unwrap_or_default(),
    }
}

/// Follows the view's own symlinks (`/bin` → `usr/bin` on merged-/usr
/// systems) lexically, as the kernel will when the rule's path is opened
/// inside the view. Gives up (returning the path as it stands) on a loop.
pub(super) fn through_view_links(p: &Path, mounts: &[Mount]) -> PathBuf {
    let mut p = p.to_path_buf();
    for _ in 0..40 {
        let link = mounts.iter().rev().find_map(|m| match &m.op {
            MountOp::Symlink { dest, target } if under(&p, dest) => Some((dest, target)),
            _ => None,
        });
        let Some((dest, target)) = link else {
            return p;
        };
        let rest = p.strip_prefix(dest).unwrap_or(Path::new(""));
        let dir = dest.parent().unwrap_or(Path::new("/"));
        p = lexical_join(dir, &target.join(rest));
    }
    p
}

/// A rule must name a path in the view, and may not grant writes beneath a
/// read-only bind (the mount would refuse them anyway: the rule is a mistake).
/// A read-only bind from the command line or the builder (`--ro $PWD`)
/// overrides the profile instead: the profile's rule keeps its other rights.
pub(super) fn landlock_rule(
    path: &str,
    mut access: u64,
    loc: &Loc,
    mounts: &[Mount],
    absent: &[PathBuf],
    host: &Host,
) -> Result<Option<FsRule>, ProfileError> {
    let p = view_path(&expand(path, loc, host)?, loc, "landlock path")?;
    let p = through_view_links(&p, mounts);
    // Beneath an optional bind that is not there, unless another mount
    // makes that path.
    let gone = |a: &PathBuf| under(&p, a) && !mounts.iter().any(|m| under(m.op.dest(), a));
    if absent.iter().any(gone) {
        return Ok(None);
    }
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
                if mounts[i].loc.is_outside_profile() && !loc.is_outside_profile() {
                    access &= !ll::write_rights().bits();
                    return Ok(Some(FsRule {
                        path: p,
                        access,
                        loc: loc.clone(),
                    }));
                }
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
    Ok(Some(FsRule {
        path: p,
        access,
        loc: loc.clone(),
    }))
}
