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

/// A word compared with many candidates, taken apart once, for the
/// Levenshtein distance of suggestions. A misspelled syscall is compared
/// with every syscall name, which profile fuzzing does at every other
/// input: the length difference rules most candidates out at once, and a
/// word of up to 64 letters is compared in a few word operations per
/// letter of the candidate ([`short_distance`]).
enum Letters {
    /// At most 64 letters.
    Short(Short),
    /// More.
    Long(Vec<char>),
}

/// A word of at most 64 letters with the bit vectors of
/// [`short_distance`]: where each letter occurs in the word, ASCII letters
/// in a table and the others in a list.
struct Short {
    len: usize,
    ascii: Box<[u64; 128]>,
    other: Vec<(char, u64)>,
}

impl Letters {
    fn of(word: &str) -> Self {
        let letters: Vec<char> = word.chars().collect();
        if letters.len() > 64 {
            return Letters::Long(letters);
        }
        let mut ascii = Box::new([0u64; 128]);
        let mut other: Vec<(char, u64)> = Vec::new();
        for (i, &c) in letters.iter().enumerate() {
            let bit = 1u64 << i;
            match u8::try_from(c) {
                Ok(b) if b.is_ascii() => ascii[usize::from(b)] |= bit,
                _ => match other.iter_mut().find(|o| o.0 == c) {
                    Some(o) => o.1 |= bit,
                    None => other.push((c, bit)),
                },
            }
        }
        Letters::Short(Short {
            len: letters.len(),
            ascii,
            other,
        })
    }

    fn distance_within(&self, b: &str, max: usize) -> Option<usize> {
        match self {
            Letters::Short(a) if b.is_ascii() => {
                a.distance_to(b.bytes().map(char::from), b.len(), max)
            }
            Letters::Short(a) => a.distance_to(b.chars(), b.chars().count(), max),
            Letters::Long(a) => {
                if a.len().abs_diff(b.chars().count()) > max {
                    return None;
                }
                // The distance is symmetric: a short candidate takes the
                // word's place.
                match Letters::of(b) {
                    Letters::Short(b) => b.distance_to(a.iter().copied(), a.len(), max),
                    Letters::Long(b) => within(a, &b, max),
                }
            }
        }
    }
}

impl Short {
    /// [`short_distance`] from this word to the `n` letters of `b`.
    fn distance_to(&self, b: impl Iterator<Item = char>, n: usize, max: usize) -> Option<usize> {
        let occurs = |c: char| match u8::try_from(c) {
            Ok(b) if b.is_ascii() => self.ascii[usize::from(b)],
            _ => self.other.iter().find(|o| o.0 == c).map_or(0, |o| o.1),
        };
        short_distance(self.len, occurs, b, n, max)
    }
}

/// The distance between a word of `len` letters (at most 64; where each
/// letter occurs in it, as a bit vector, from `occurs`) and the `b_len`
/// letters of `b`, if at most `max`: the edit matrix's last row kept as
/// bit vectors of vertical differences, one column of the matrix per
/// letter of `b` (Myers 1999, in Hyyrö's form for the edit distance), in
/// a few word operations each.
fn short_distance(
    len: usize,
    occurs: impl Fn(char) -> u64,
    b: impl Iterator<Item = char>,
    b_len: usize,
    max: usize,
) -> Option<usize> {
    if len.abs_diff(b_len) > max {
        return None;
    }
    if len == 0 {
        return Some(b_len);
    }
    let last = 1u64 << (len - 1);
    let (mut plus, mut minus) = (u64::MAX, 0u64);
    let mut score = len;
    for (j, c) in b.enumerate() {
        let eq = occurs(c);
        let xv = eq | minus;
        let xh = ((eq & plus).wrapping_add(plus) ^ plus) | eq;
        let mut ph = minus | !(xh | plus);
        let mut mh = plus & xh;
        if ph & last != 0 {
            score += 1;
        } else if mh & last != 0 {
            score -= 1;
        }
        // The top row grows by one per letter of `b`.
        ph = (ph << 1) | 1;
        mh <<= 1;
        plus = mh | !(xv | ph);
        minus = ph & xv;
        // Each letter left can lower the score by one at most.
        if score > max.saturating_add(b_len - j - 1) {
            return None;
        }
    }
    Some(score).filter(|d| *d <= max)
}

/// The bounded distance between two words of more than 64 letters, one
/// row of the edit matrix at a time: a row whose every cell exceeds `max`
/// ends it (a row's minimum never falls).
fn within<T: PartialEq>(a: &[T], b: &[T], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut stack = [0usize; 64];
    let mut heap = Vec::new();
    let row: &mut [usize] = if b.len() < stack.len() {
        &mut stack[..=b.len()]
    } else {
        heap.resize(b.len() + 1, 0);
        &mut heap
    };
    for (j, cell) in row.iter_mut().enumerate() {
        *cell = j;
    }
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        let mut lowest = row[0];
        for (j, cb) in b.iter().enumerate() {
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
    Some(row[b.len()]).filter(|d| *d <= max)
}

/// The candidate nearest to `word` within `max` edits and its distance
/// (ties go to the candidate that sorts first).
pub(crate) fn nearest_within<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max: usize,
) -> Option<(usize, &'a str)> {
    let letters = Letters::of(word);
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let bound = best.map_or(max, |(d, _)| d);
        if let Some(d) = letters.distance_within(c, bound) {
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

/// A small deterministic generator for the unit tests' random cases
/// (xorshift64), in the lowest layer so that every module's tests may
/// use it: each call gives a number below `n`.
#[cfg(test)]
pub(crate) fn test_rng(mut state: u64) -> impl FnMut(u64) -> u64 {
    move |n| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit_distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
        Letters::of(a).distance_within(b, max)
    }

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

    /// Words of up to 64 letters go through the bit-vector distance:
    /// random words around that length, from a four-letter alphabet with
    /// a two-byte letter so that distances are small, against the full
    /// matrix.
    #[test]
    fn the_bit_vector_distance_agrees_with_the_full_matrix() {
        let mut next = test_rng(0x9e37_79b9_7f4a_7c15);
        let mut word = |len: u64| -> String {
            (0..len)
                .map(|_| ['a', 'b', 'c', 'é'][next(4) as usize])
                .collect()
        };
        for round in 0..4000 {
            let long = [0, 1, 8, 31, 62, 63, 64, 65][round % 8];
            let a = word(long);
            // A few edits away, or anything.
            let b = if round % 3 == 0 {
                word(long.saturating_sub(2) + (round as u64 % 5))
            } else {
                let mut letters: Vec<char> = a.chars().collect();
                for _ in 0..round % 6 {
                    let at = (round * 7) % (letters.len() + 1);
                    match round % 3 {
                        1 => letters.insert(at, if round % 4 == 1 { 'x' } else { 'ß' }),
                        _ if !letters.is_empty() => {
                            letters.remove(at.min(letters.len() - 1));
                        }
                        _ => {}
                    }
                }
                letters.into_iter().collect()
            };
            let d = reference(&a, &b);
            for max in [0, 1, 2, 3, 5, 9, usize::MAX] {
                let want = Some(d).filter(|d| *d <= max);
                assert_eq!(edit_distance_within(&a, &b, max), want, "{a:?} {b:?} {max}");
                assert_eq!(edit_distance_within(&b, &a, max), want, "{b:?} {a:?} {max}");
            }
        }
    }
}
