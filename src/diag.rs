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

/// Levenshtein distance, for suggestions.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The candidate nearest to `word` and its distance, however far.
pub(crate) fn nearest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<(usize, &'a str)> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .min()
}

/// The candidate close enough to `word` to be what was meant (a third of
/// its letters wrong, at least two allowed).
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    nearest(word, candidates)
        .filter(|(d, _)| *d <= 2.max(word.len() / 3))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_pick_the_nearest_name_within_reach() {
        assert_eq!(edit_distance("opne", "open"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(closest("opne", ["open", "close"]), Some("open"));
        assert_eq!(closest("zzzzzz", ["open", "close"]), None);
        assert_eq!(nearest("clse", ["open", "close"]), Some((1, "close")));
    }
}
