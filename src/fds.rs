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
/// for `env.keep`. Walks both strings in place: every host variable is
/// matched against every pattern at each start.
pub fn glob(pattern: &str, name: &str) -> bool {
    let (mut p, mut n) = (pattern, name);
    // The pattern after the last `*` and where in `name` that star's run
    // ends; a mismatch lets the run take one more char.
    let mut star: Option<(&str, &str)> = None;
    while let Some(c) = n.chars().next() {
        match p.chars().next() {
            Some('*') => {
                p = &p[1..];
                star = Some((p, n));
                continue;
            }
            Some(q) if q == '?' || q == c => {
                p = &p[q.len_utf8()..];
                n = &n[c.len_utf8()..];
                continue;
            }
            _ => {}
        }
        let Some((after, mark)) = star else {
            return false;
        };
        let Some(taken) = mark.chars().next() else {
            return false;
        };
        let mark = &mark[taken.len_utf8()..];
        star = Some((after, mark));
        (p, n) = (after, mark);
    }
    p.chars().all(|c| c == '*')
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
        assert!(glob("", ""));
        assert!(!glob("", "A"));
        assert!(glob("**", ""));
        assert!(glob("*B", "AAB"));
        assert!(!glob("*B", "ABA"));
        assert!(glob("?", "é"));
        assert!(!glob("??", "é"));
        assert!(glob("*é?", "aéé"));
        assert!(glob("A*A*A", "AAAA"));
        assert!(!glob("A*A*A", "AA"));
        assert!(glob("PATH", "PATH"));
    }

    /// Whether `name` matches, by trying every split: slow and obviously right.
    fn reference(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|i| reference(rest, &n[i..])),
            Some((c, rest)) => n
                .split_first()
                .is_some_and(|(d, tail)| (*c == '?' || c == d) && reference(rest, tail)),
        }
    }

    #[test]
    fn glob_agrees_with_trying_every_split() {
        // Every pattern and name of up to four chars over a small alphabet.
        fn words(alphabet: &[char], len: usize) -> Vec<Vec<char>> {
            let mut all = vec![vec![]];
            let mut last = vec![vec![]];
            for _ in 0..len {
                last = last
                    .iter()
                    .flat_map(|w: &Vec<char>| {
                        alphabet.iter().map(move |c| [w.clone(), vec![*c]].concat())
                    })
                    .collect();
                all.extend(last.iter().cloned());
            }
            all
        }
        let names = words(&['a', 'b', 'é'], 4);
        let mut checked = 0;
        for p in words(&['a', 'é', '*', '?'], 4) {
            let ps: String = p.iter().collect();
            for n in &names {
                let ns: String = n.iter().collect();
                assert_eq!(glob(&ps, &ns), reference(&p, n), "{ps:?} against {ns:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, 341 * 121);
    }
}
