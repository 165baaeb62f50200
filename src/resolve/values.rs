//! Values every section shares: `${VAR}` expansion, sizes, durations.

use super::host::Host;
use crate::diag::{Loc, ProfileError};
use crate::profile::model::{At, SizeRepr};
use std::path::{Component, Path, PathBuf};

/// Size of a tmpfs that does not say.
pub(super) const DEFAULT_TMPFS_SIZE: u64 = 64 << 20;

pub(super) fn duration(w: &At<String>, what: &str) -> Result<std::time::Duration, ProfileError> {
    humantime::parse_duration(&w.value).map_err(|e| {
        ProfileError::new(&w.loc, format!("invalid {what} '{}': {e}", w.value))
            .hint("use a duration like 30s, 5m or 1h30m")
    })
}

/// Expands `${HOME}`, `${CWD}`, `${USER}`, `${UID}` and `${TMPDIR}`.
/// `rel` taken from directory `dir` and normalized lexically (`..` pops,
/// `.` is dropped), as a symlink's target is read inside the view; an
/// absolute `rel` starts from the root.
pub(super) fn lexical_join(dir: &Path, rel: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in dir.join(rel).components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            _ => {}
        }
    }
    out
}

pub(super) fn expand(s: &str, loc: &Loc, host: &Host) -> Result<String, ProfileError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| ProfileError::new(loc, format!("unterminated '${{' in '{s}'")))?;
        let name = &after[..end];
        let value = match name {
            "HOME" => host
                .home
                .clone()
                .ok_or_else(|| ProfileError::new(loc, "${HOME} is used but HOME is not set"))?,
            "CWD" => host.cwd.to_string_lossy().into_owned(),
            "USER" => host.user_name(),
            "UID" => host.uid.to_string(),
            "TMPDIR" => host.tmpdir.clone(),
            _ => {
                return Err(
                    ProfileError::new(loc, format!("unknown variable '${{{name}}}'"))
                        .hint("variables: ${HOME}, ${CWD}, ${USER}, ${UID}, ${TMPDIR}"),
                )
            }
        };
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

pub(super) fn parse_size(s: &SizeRepr, loc: &Loc) -> Result<u64, ProfileError> {
    match s {
        SizeRepr::Bytes(b) => Ok(*b),
        SizeRepr::Text(t) => parse_size::Config::new()
            .with_binary()
            .parse_size(t)
            .map_err(|e| {
                ProfileError::new(loc, format!("invalid size '{t}': {e}"))
                    .hint("use bytes or a unit, e.g. 64M or 1G")
            }),
    }
}

/// An absolute, normalized path (no `.`, no `..`, no trailing slash).
pub(super) fn view_path(s: &str, loc: &Loc, what: &str) -> Result<PathBuf, ProfileError> {
    let p = Path::new(s);
    if !p.is_absolute() {
        // On a command line a shell would expand ${CWD} (to nothing): the
        // hint there is the shell's own $PWD.
        let hint = if loc.line == 0 {
            format!("write it from the root as the sandbox sees it, e.g. \"$PWD/{s}\"")
        } else {
            format!("write it from the root, e.g. ${{CWD}}/{s}")
        };
        return Err(
            ProfileError::new(loc, format!("{what} '{s}' is not an absolute path")).hint(hint),
        );
    }
    let mut out = PathBuf::from("/");
    for c in p.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(n) => out.push(n),
            Component::ParentDir | Component::Prefix(_) => {
                return Err(ProfileError::new(
                    loc,
                    format!("{what} '{s}' contains '..'"),
                ))
            }
        }
    }
    Ok(out)
}
