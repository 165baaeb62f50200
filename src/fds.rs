//! Which descriptors the payload gets, and under which numbers: planned in
//! the launcher, applied by the payload with `dup3`/`close_range` only.
//!
//! Everything not in the map is closed before exec, whatever the host
//! process had open: a host that leaked a secret file without CLOEXEC does
//! not leak it into the sandbox (compare CVE-2024-21626).

/// A validated descriptor map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdMap {
    /// `(launcher fd, payload fd)` pairs.
    pub pairs: Vec<(i32, i32)>,
    /// Payload fds, sorted.
    pub targets: Vec<i32>,
    /// A number above every source and target: the child parks its own
    /// descriptors (setup socket, Landlock ruleset) at or above it.
    pub base: i32,
    /// The lowest number that is not a target.
    pub first_free: i32,
}

/// A descriptor map that cannot be applied.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FdError {
    /// Two sources for one target.
    #[error("fd {0} is the target of two mappings")]
    DuplicateTarget(i32),
    /// A negative number.
    #[error("fd {0} is not a valid descriptor number")]
    Negative(i32),
    /// The launcher does not have the source open.
    #[error("fd {0} is not open in stockade (pass it with --fd only if it is open)")]
    NotOpen(i32),
}

/// Validates `pairs`. Overlaps (4→3 and 3→4) are fine: the payload first
/// duplicates every source above `base`, then places them.
pub fn plan(pairs: Vec<(i32, i32)>) -> Result<FdMap, FdError> {
    let mut targets: Vec<i32> = Vec::with_capacity(pairs.len());
    for &(src, dst) in &pairs {
        if src < 0 {
            return Err(FdError::Negative(src));
        }
        if dst < 0 {
            return Err(FdError::Negative(dst));
        }
        if targets.contains(&dst) {
            return Err(FdError::DuplicateTarget(dst));
        }
        targets.push(dst);
    }
    targets.sort_unstable();
    let base = pairs
        .iter()
        .flat_map(|&(s, d)| [s, d])
        .max()
        .unwrap_or(2)
        .max(2)
        + 1;
    let first_free = (0..).find(|n| !targets.contains(n)).unwrap_or(0);
    Ok(FdMap {
        pairs,
        targets,
        base,
        first_free,
    })
}

/// Parses `N` or `N:M` (`--fd`).
pub fn parse_spec(s: &str) -> Option<(i32, i32)> {
    match s.split_once(':') {
        Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
        None => {
            let n = s.parse().ok()?;
            Some((n, n))
        }
    }
}

/// Matches `name` against a pattern with `*` (any run) and `?` (one char),
/// for `env.keep`.
pub fn glob(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_maps_are_fine_duplicates_are_not() {
        let m = plan(vec![(4, 3), (3, 4), (0, 0)]).unwrap();
        assert_eq!(m.targets, [0, 3, 4]);
        assert_eq!(m.base, 5);
        assert_eq!(m.first_free, 1);
        assert_eq!(plan(vec![(1, 3), (2, 3)]), Err(FdError::DuplicateTarget(3)));
        assert_eq!(plan(vec![(-1, 3)]), Err(FdError::Negative(-1)));
        let m = plan(vec![]).unwrap();
        assert_eq!((m.base, m.first_free), (3, 0));
    }

    #[test]
    fn specs_and_globs() {
        assert_eq!(parse_spec("7"), Some((7, 7)));
        assert_eq!(parse_spec("7:3"), Some((7, 3)));
        assert_eq!(parse_spec("x"), None);
        assert!(glob("LC_*", "LC_ALL"));
        assert!(glob("*", "ANY"));
        assert!(glob("A?C", "ABC"));
        assert!(!glob("LC_*", "LANG"));
        assert!(glob("X*Y*Z", "XaaYbbZ"));
        assert!(!glob("X*Y*Z", "XaaYbb"));
        assert!(glob("PATH", "PATH"));
    }
}
