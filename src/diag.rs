//! Diagnostics every layer may use: where a value came from ([`Loc`]), the
//! positioned error a profile or setting produces ([`ProfileError`]), an
//! operating-system error number ([`OsError`]), and did-you-mean
//! suggestions. The bottom of the module graph: it imports no other
//! module of stockade.

use std::fmt;
use std::sync::Arc;

/// Where a value came from: a profile file with line and column, or the
/// command line (line 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    /// File name as the user gave it, `built-in profile 'NAME'`, or `command line`.
    pub file: Arc<str>,
    /// 1-based line; 0 when the value has no position (command line).
    pub line: usize,
    /// 1-based column; 0 when the value has no position.
    pub col: usize,
}

impl Loc {
    /// A location with no line or column, for values given on the command line.
    pub fn cli() -> Loc {
        Loc {
            file: Arc::from("command line"),
            line: 0,
            col: 0,
        }
    }

    /// Whether the value was given outside any profile file (on the command
    /// line or through the library's builder): it has no position.
    pub fn is_outside_profile(&self) -> bool {
        self.line == 0
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.col)
        }
    }
}

/// An error in a profile or a setting: where, what, and how to fix it.
///
/// ```no_run
/// # use stockade::sandbox::*;
/// match Sandbox::from_yaml("version: 1\nextends: strict\nhostname: 'a b'\n") {
///     Err(e) => eprintln!("stockade: {e}"), // profile <yaml>:3:11: ...
///     Ok(_) => {}
/// }
/// ```
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{}{loc}: {msg}{}", if loc.line == 0 { "" } else { "profile " }, hint.as_ref().map(|h| format!("\n  hint: {h}")).unwrap_or_default())]
pub struct ProfileError {
    /// Where the problem is.
    pub loc: Loc,
    /// What is wrong.
    pub msg: String,
    /// How to fix it, when we can tell.
    pub hint: Option<String>,
}

impl ProfileError {
    /// An error at `loc`.
    pub fn new(loc: &Loc, msg: impl Into<String>) -> ProfileError {
        ProfileError {
            loc: loc.clone(),
            msg: msg.into(),
            hint: None,
        }
    }

    /// Adds how to fix it.
    pub fn hint(mut self, hint: impl Into<String>) -> ProfileError {
        self.hint = Some(hint.into());
        self
    }
}

/// An operating-system error number (`errno`); `Display` gives its name
/// and message, as `ENOENT: No such file or directory`.
///
/// ```no_run
/// let e = stockade::error::OsError(libc::ENOENT);
/// assert_eq!(e.desc(), "No such file or directory");
/// assert_eq!(e.to_io().kind(), std::io::ErrorKind::NotFound);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OsError(pub i32);

impl OsError {
    pub(crate) fn of(e: nix::errno::Errno) -> OsError {
        OsError(e as i32)
    }

    /// The message alone (`No such file or directory`).
    pub fn desc(self) -> &'static str {
        nix::errno::Errno::from_raw(self.0).desc()
    }

    /// The same error as a `std::io::Error`.
    pub fn to_io(self) -> std::io::Error {
        std::io::Error::from_raw_os_error(self.0)
    }
}

impl fmt::Display for OsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", nix::errno::Errno::from_raw(self.0))
    }
}

/// An I/O error's reason without the "(os error N)" suffix.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => OsError(n).desc().to_string(),
        None => e.to_string(),
    }
}

/// Levenshtein distance, for suggestions, if it is at most `max`.
/// Suggestions compare a word against hundreds of names (every syscall for
/// a misspelled one, which profile fuzzing produces at every other input):
/// the length difference rules most out at once, a row whose every cell
/// exceeds `max` ends the rest (a row's minimum never falls), and the row
/// lives on the stack.
pub(crate) fn edit_distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    let len_b = b.chars().count();
    if a.chars().count().abs_diff(len_b) > max {
        return None;
    }
    let mut stack = [0usize; 64];
    let mut heap = Vec::new();
    let row: &mut [usize] = if len_b < stack.len() {
        &mut stack[..=len_b]
    } else {
        heap.resize(len_b + 1, 0);
        &mut heap
    };
    for (j, cell) in row.iter_mut().enumerate() {
        *cell = j;
    }
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        let mut lowest = row[0];
        for (j, cb) in b.chars().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
            lowest = lowest.min(row[j + 1]);
        }
        if lowest > max {
            return None;
        }
    }
    Some(row[len_b]).filter(|d| *d <= max)
}

/// The candidate nearest to `word` within `max` edits and its distance
/// (ties go to the candidate that sorts first).
pub(crate) fn nearest_within<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max: usize,
) -> Option<(usize, &'a str)> {
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let bound = best.map_or(max, |(d, _)| d);
        if let Some(d) = edit_distance_within(word, c, bound) {
            if best.is_none_or(|b| (d, c) < b) {
                best = Some((d, c));
            }
        }
    }
    best
}

/// The candidate nearest to `word` and its distance, however far.
pub(crate) fn nearest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<(usize, &'a str)> {
    nearest_within(word, candidates, usize::MAX)
}

/// The candidate close enough to `word` to be what was meant (a third of
/// its letters wrong, at least two allowed).
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    nearest_within(word, candidates, 2.max(word.len() / 3)).map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_pick_the_nearest_name_within_reach() {
        assert_eq!(edit_distance_within("opne", "open", 9), Some(2));
        assert_eq!(edit_distance_within("", "abc", 9), Some(3));
        assert_eq!(edit_distance_within("", "abc", 2), None);
        assert_eq!(closest("opne", ["open", "close"]), Some("open"));
        assert_eq!(closest("zzzzzz", ["open", "close"]), None);
        assert_eq!(nearest("clse", ["open", "close"]), Some((1, "close")));
    }

    /// The textbook full matrix, to check the bounded one against.
    fn reference(a: &str, b: &str) -> usize {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let mut m = vec![vec![0; b.len() + 1]; a.len() + 1];
        for (i, row) in m.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in m[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let swap = m[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
                m[i][j] = swap.min(m[i - 1][j] + 1).min(m[i][j - 1] + 1);
            }
        }
        m[a.len()][b.len()]
    }

    #[test]
    fn the_bounded_distance_agrees_with_the_full_matrix() {
        // Every word of up to four letters from a small alphabet with a
        // two-byte letter, and long words past the stack row.
        let alphabet = ['a', 'b', 'é'];
        let mut words = vec![String::new()];
        for len in 1..=4 {
            let mut next = Vec::new();
            for w in words.iter().filter(|w| w.chars().count() == len - 1) {
                for c in alphabet {
                    next.push(format!("{w}{c}"));
                }
            }
            words.extend(next);
        }
        words.push("a".repeat(70));
        words.push(format!("{}b", "a".repeat(69)));
        words.push("é".repeat(66));
        let mut pairs = 0;
        for a in &words {
            for b in &words {
                let d = reference(a, b);
                assert_eq!(
                    edit_distance_within(a, b, usize::MAX),
                    Some(d),
                    "{a:?} {b:?}"
                );
                for max in 0..=5 {
                    let want = Some(d).filter(|d| *d <= max);
                    assert_eq!(edit_distance_within(a, b, max), want, "{a:?} {b:?} {max}");
                }
                pairs += 1;
            }
        }
        assert_eq!(pairs, words.len() * words.len());
        // The bound prunes candidates but never changes which is nearest.
        for w in &words {
            let all = words.iter().map(String::as_str);
            let want = all.clone().map(|c| (reference(w, c), c)).min();
            assert_eq!(nearest(w, all), want, "{w:?}");
        }
    }
}
