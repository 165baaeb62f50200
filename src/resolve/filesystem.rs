//! The `filesystem` section → the view's mount operations, with the
//! cross-checks no single entry can make (nothing created on the host,
//! shared directories kept private).

use super::host::*;
use super::values::*;
use crate::diag::io_reason;
use crate::diag::{Loc, ProfileError};
use crate::policy::{base_of, under, Base};
use crate::policy::{Mount, MountOp, Warning};
use crate::profile::model::*;
use std::path::{Path, PathBuf};

pub(super) fn parse_mode(m: &ModeRepr, loc: &Loc) -> Result<u32, ProfileError> {
    let digits = match m {
        ModeRepr::Int(i) => i.to_string(),
        ModeRepr::Text(t) => t.trim_start_matches("0o").to_string(),
    };
    match u32::from_str_radix(&digits, 8) {
        Ok(v) if v <= 0o7777 => Ok(v),
        _ => Err(ProfileError::new(loc, format!("invalid mode '{digits}'"))
            .hint("write the mode in octal, e.g. \"0755\" or \"1777\"")),
    }
}

/// What a filesystem entry makes of the view.
pub(super) enum FsOp {
    /// A mount operation.
    Mount(MountOp),
    /// Nothing: an optional bind whose source is missing, which would have
    /// gone here (rules beneath it go with it).
    Absent(PathBuf),
}

pub(super) fn fs_op(e: &At<FsEntry>, host: &Host) -> Result<FsOp, ProfileError> {
    let f = &e.value;
    let loc = &e.loc;
    let kinds = [
        ("bind", f.bind.is_some()),
        ("tmpfs", f.tmpfs.is_some()),
        ("proc", f.proc.is_some()),
        ("dev", f.dev.is_some()),
        ("dir", f.dir.is_some()),
        ("symlink", f.symlink.is_some()),
    ];
    let set: Vec<&str> = kinds.iter().filter(|k| k.1).map(|k| k.0).collect();
    if [&f.bind, &f.tmpfs, &f.proc, &f.dev, &f.dir, &f.symlink]
        .iter()
        .any(|d| {
            d.as_deref()
                .is_some_and(|d| d.trim_end_matches('/').is_empty())
        })
        && f.dest.is_none()
    {
        return Err(ProfileError::new(
            loc,
            "'/' cannot be a destination: it is the sandbox's own root",
        )
        .hint("give the operation a subdirectory (for a bind, use 'dest:')"));
    }
    let kind = match set.as_slice() {
        [k] => *k,
        [] => {
            return Err(
                ProfileError::new(loc, "filesystem entry names no operation")
                    .hint("use exactly one of bind, tmpfs, proc, dev, dir, symlink"),
            )
        }
        many => {
            return Err(ProfileError::new(
                loc,
                format!(
                    "filesystem entry names several operations: {}",
                    many.join(", ")
                ),
            )
            .hint("split it into one entry per operation"))
        }
    };
    let allowed: &[&str] = match kind {
        "bind" => &["dest", "writable", "optional"],
        "tmpfs" => &["size", "mode"],
        "dev" => &["size"],
        "dir" => &["mode"],
        "symlink" => &["target"],
        _ => &[],
    };
    let extras = [
        ("dest", f.dest.is_some()),
        ("writable", f.writable.is_some()),
        ("optional", f.optional.is_some()),
        ("size", f.size.is_some()),
        ("mode", f.mode.is_some()),
        ("target", f.target.is_some()),
    ];
    if let Some((k, _)) = extras.iter().find(|(k, on)| *on && !allowed.contains(k)) {
        return Err(ProfileError::new(
            loc,
            format!("'{k}' does not apply to a {kind} entry"),
        ));
    }
    let dest_of = |s: &String| -> Result<PathBuf, ProfileError> {
        view_path(&expand(s, loc, host)?, loc, kind)
    };
    Ok(FsOp::Mount(match kind {
        "bind" => {
            let src_s = expand(f.bind.as_deref().unwrap_or_default(), loc, host)?;
            let src = view_path(&src_s, loc, "bind source")?;
            let dest = match &f.dest {
                Some(d) => view_path(&expand(d, loc, host)?, loc, "dest")?,
                None => src.clone(),
            };
            if dest == Path::new("/") {
                return Err(
                    ProfileError::new(loc, "cannot bind onto / (the sandbox's root)")
                        .hint("bind to a subdirectory with 'dest:', or run from another directory"),
                );
            }
            let meta = match host.fs.stat(&src) {
                Ok(m) => m,
                Err(_) if f.optional == Some(true) => return Ok(FsOp::Absent(dest)),
                Err(err) => {
                    return Err(ProfileError::new(
                        loc,
                        format!("bind source {}: {}", src.display(), io_reason(&err)),
                    )
                    .hint("create it, fix the path, or add 'optional: true'"))
                }
            };
            // Sources are canonicalized by canonicalize_binds once all
            // entries are known (a link may become a link in the view).
            MountOp::Bind {
                src,
                dest,
                writable: f.writable.unwrap_or(false),
                is_dir: meta.is_dir,
            }
        }
        "tmpfs" => MountOp::Tmpfs {
            dest: dest_of(f.tmpfs.as_ref().unwrap_or(&String::new()))?,
            size: match &f.size {
                Some(s) => parse_size(s, loc)?,
                None => DEFAULT_TMPFS_SIZE,
            },
            mode: match &f.mode {
                Some(m) => parse_mode(m, loc)?,
                None => 0o1777,
            },
        },
        "proc" => MountOp::Proc {
            dest: dest_of(f.proc.as_ref().unwrap_or(&String::new()))?,
        },
        "dev" => MountOp::Dev {
            dest: dest_of(f.dev.as_ref().unwrap_or(&String::new()))?,
            shm: match &f.size {
                Some(s) => parse_size(s, loc)?,
                None => DEFAULT_TMPFS_SIZE,
            },
        },
        "dir" => MountOp::Dir {
            dest: dest_of(f.dir.as_ref().unwrap_or(&String::new()))?,
            mode: match &f.mode {
                Some(m) => parse_mode(m, loc)?,
                None => 0o755,
            },
        },
        _ => {
            let target = f
                .target
                .as_ref()
                .ok_or_else(|| ProfileError::new(loc, "symlink needs a 'target'"))?;
            MountOp::Symlink {
                dest: dest_of(f.symlink.as_ref().unwrap_or(&String::new()))?,
                target: PathBuf::from(expand(target, loc, host)?),
            }
        }
    }))
}

/// Whether a filesystem entry is the bind of the working directory.
pub(super) fn is_workdir_bind(e: &At<FsEntry>) -> bool {
    e.value.bind.as_deref().map(str::trim) == Some("${CWD}") && e.value.dest.is_none()
}

pub(super) fn workdir_warning(dir: &Path, why: &str) -> Warning {
    Warning::WorkdirNotBound {
        dir: dir.to_path_buf(),
        why: why.to_owned(),
    }
}

pub(super) const SHARED_WHY: &str =
    "other programs share it, and their sockets (tmux, ssh-agent, X11) \
                          would be reachable from the payload";

/// The working directory's bind must not cover a directory other programs
/// share (or an ancestor of one), nor replace a private mount of the
/// profile: it is dropped, and unless its path is the profile's own
/// private mount it becomes a private empty tmpfs. A bind the profile or the
/// command line names explicitly is kept, with a warning.
pub(super) fn keep_shared_directories_private(
    mounts: &mut Vec<Mount>,
    workdir_binds: &[usize],
    host: &Host,
    warnings: &mut Vec<Warning>,
) {
    if !mounts.iter().any(|m| matches!(m.op, MountOp::Bind { .. })) {
        return;
    }
    let shared = shared_directories(host);
    let covers_shared = |src: &Path| shared.iter().any(|d| under(d, src));
    for (i, m) in mounts.iter().enumerate() {
        if let MountOp::Bind { src, .. } = &m.op {
            if !workdir_binds.contains(&i) && covers_shared(src) {
                warnings.push(Warning::SharedDirectoryBound { path: src.clone() });
            }
        }
    }
    for &i in workdir_binds.iter().rev() {
        let MountOp::Bind { src, dest, .. } = &mounts[i].op else {
            continue;
        };
        let (src, dest) = (src.clone(), dest.clone());
        let private = mounts.iter().any(|m| {
            matches!(
                m.op,
                MountOp::Tmpfs { .. } | MountOp::Proc { .. } | MountOp::Dev { .. }
            ) && under(m.op.dest(), &dest)
        });
        if !covers_shared(&src) && !private {
            continue;
        }
        let loc = mounts.remove(i).loc;
        // Bound explicitly too (e.g. --rw /tmp): that bind stands, warned about above.
        let explicit = mounts
            .iter()
            .any(|m| matches!(&m.op, MountOp::Bind { src: s, .. } if *s == src));
        if !explicit {
            let why = if private {
                format!("the profile gives the sandbox a private {}", dest.display())
            } else {
                SHARED_WHY.to_owned()
            };
            warnings.push(workdir_warning(&src, &why));
        }
        // The payload still starts there: on the profile's own private
        // mount when that is the directory, else on an empty one.
        let own = mounts.iter().any(|m| {
            matches!(m.op, MountOp::Tmpfs { .. } | MountOp::Dev { .. }) && m.op.dest() == dest
        });
        if !own {
            mounts.insert(
                i,
                Mount {
                    op: MountOp::Tmpfs {
                        dest,
                        size: DEFAULT_TMPFS_SIZE,
                        mode: 0o755,
                    },
                    loc,
                },
            );
        }
    }
}

/// Drops a mount that a later one at the same destination replaces whole
/// (`--ro $PWD` over the profile's writable `${CWD}`), when nothing between
/// them builds on it: the effective view, and no warning about a bind
/// that is never seen.
pub(super) fn drop_superseded(mounts: &mut Vec<Mount>) {
    let mut i = 0;
    while i < mounts.len() {
        let dest = mounts[i].op.dest();
        let later = mounts[i + 1..]
            .iter()
            .position(|m| !matches!(m.op, MountOp::Symlink { .. }) && m.op.dest() == dest);
        let between_clean = later.is_some_and(|j| {
            mounts[i + 1..i + 1 + j]
                .iter()
                .all(|m| !under(m.op.dest(), dest))
        });
        if between_clean && !matches!(mounts[i].op, MountOp::Symlink { .. }) {
            mounts.remove(i);
        } else {
            i += 1;
        }
    }
}

/// Refuses operations that would create files on the host: a destination
/// inside a host bind must already exist there.
pub(super) fn check_creations(mounts: &[Mount], fs: HostFs) -> Result<(), ProfileError> {
    for (i, m) in mounts.iter().enumerate() {
        let dest = m.op.dest();
        match base_of(mounts, i, dest) {
            Base::Root | Base::Fresh(_) => {}
            Base::Proc(p) => {
                return Err(ProfileError::new(
                    &m.loc,
                    format!(
                        "{} lies inside the proc mount at {}",
                        dest.display(),
                        mounts[p].op.dest().display()
                    ),
                ))
            }
            Base::Host(_, src, bdest) => {
                let rest = dest.strip_prefix(bdest).unwrap_or(Path::new(""));
                let on_host = src.join(rest);
                let exists = fs.exists_nofollow(&on_host);
                let creates = matches!(m.op, MountOp::Symlink { .. });
                if !exists || creates {
                    return Err(ProfileError::new(
                        &m.loc,
                        format!(
                            "{} would be created inside the host bind of {} ({} on the host)",
                            dest.display(),
                            src.display(),
                            on_host.display()
                        ),
                    )
                    .hint("stockade never creates files on the host: create it there first, or choose a destination outside the bind"));
                }
            }
        }
    }
    Ok(())
}

/// Where the view's resolver configuration is read.
const RESOLV_CONF: &str = "/etc/resolv.conf";

/// With the host's network shared, names must resolve. When the view's
/// /etc/resolv.conf is a host symlink (systemd-resolved links it into
/// /run) whose target no bind of the view supplies, the target file is
/// bound read-only where the link points; without it the link dangles and
/// every lookup fails without a word. Returns that bind.
pub(super) fn resolver_target(mounts: &[Mount], fs: HostFs) -> Option<Mount> {
    let link = Path::new(RESOLV_CONF);
    // The host file behind a view path: the last mount covering it decides.
    let host_path = |p: &Path| -> Option<PathBuf> {
        let m = mounts.iter().rev().find(|m| under(p, m.op.dest()))?;
        match &m.op {
            MountOp::Bind { src, dest, .. } => Some(src.join(p.strip_prefix(dest).ok()?)),
            _ => None,
        }
    };
    let host_link = host_path(link)?;
    let text = fs.read_link(&host_link)?;
    // Where the link points inside the view, resolved lexically.
    let target = lexical_join(link.parent()?, &text);
    if host_path(&target).is_some_and(|p| fs.stat(&p).is_ok()) {
        return None;
    }
    let src = fs.canonicalize(&host_link).ok()?;
    if !fs.stat(&src).ok()?.is_file {
        return None;
    }
    Some(Mount {
        op: MountOp::Bind {
            src,
            dest: target,
            writable: false,
            is_dir: false,
        },
        loc: Loc {
            file: std::sync::Arc::from(format!(
                "{RESOLV_CONF} (a symlink, followed for name resolution)"
            )),
            line: 0,
            col: 0,
        },
    })
}
