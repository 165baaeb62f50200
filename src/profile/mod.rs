//! Profiles: load YAML (files or built-ins), follow `extends`, and return
//! the layers, root ancestor first; `resolve` turns them into a policy.
//!
//! `load` reads and parses; it has no other side effects.

mod builtin;
pub mod model;
#[cfg(test)]
mod schema;
#[cfg(test)]
mod snapshot;

pub use builtin::{builtin, Builtin, BUILTINS};

use crate::diag::Loc;
pub use crate::diag::ProfileError;
use model::{At, Profile};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Profiles larger than this are refused before parsing.
pub const MAX_PROFILE_BYTES: u64 = 1 << 20;
/// Longest `extends` chain accepted.
const MAX_EXTENDS_DEPTH: usize = 8;

/// The profile `stockade run` uses when none is named.
pub const DEFAULT_PROFILE: &str = "default";

/// One parsed profile file, with the directory its relative `extends` and
/// paths are relative to.
#[derive(Clone, Debug)]
pub struct Layer {
    /// The parsed file.
    pub profile: Profile,
}

/// Whether `spec` names a file rather than a built-in profile.
fn is_path(spec: &str) -> bool {
    spec.contains('/') || spec.ends_with(".yaml") || spec.ends_with(".yml")
}

/// Parses profile text. `origin` names it in error messages.
pub fn parse(text: &str, origin: &str) -> Result<Profile, ProfileError> {
    let file: Arc<str> = Arc::from(origin);
    let profile: Profile = model::parse_with_origin(text, &file).map_err(|e| {
        let (line, col) = e
            .location()
            .map(|l| (l.line() as usize, l.column() as usize))
            .unwrap_or((0, 0));
        let loc = Loc {
            file: file.clone(),
            line,
            col,
        };
        let msg = yaml_message(&e);
        let hint = did_you_mean(&msg);
        let err = ProfileError::new(&loc, msg);
        match hint {
            Some(h) => err.hint(h),
            None => err,
        }
    })?;
    match &profile.version {
        Some(At { value: 1, .. }) => Ok(profile),
        Some(v) => Err(ProfileError::new(
            &v.loc,
            format!("unsupported profile version {}", v.value),
        )
        .hint("this stockade reads version: 1")),
        None => Err(ProfileError::new(
            &Loc {
                file,
                line: 1,
                col: 1,
            },
            "missing 'version'",
        )
        .hint("start the profile with 'version: 1'")),
    }
}

/// Parses a built-in profile: its snapshot when that was made from the
/// YAML built into this binary, otherwise the YAML.
fn parse_builtin(b: &Builtin) -> Result<Profile, ProfileError> {
    let origin = format!("built-in profile '{}'", b.name);
    if let Some(json) = b.snapshot() {
        if let Ok(profile) = model::parse_snapshot(json, &Arc::from(origin.as_str())) {
            return Ok(profile);
        }
    }
    parse(b.yaml, &origin)
}

/// The YAML library's message without its own location prefix and snippet
/// (we print the location ourselves, once).
fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.without_snippet().to_string();
    let first = text.lines().next().unwrap_or("invalid YAML").trim();
    // Drop a trailing " at line L, column C" if the library added one,
    // and its advice to the library's user (not the profile's author).
    let first = match first.rfind(" at line ") {
        Some(i) => first[..i].trim_end_matches(','),
        None => first,
    };
    match first.find(", set DuplicateKeyPolicy") {
        Some(i) => first[..i].to_string(),
        None => first.to_string(),
    }
}

/// For "unknown field `x`, expected one of a, b" and "unknown variant"
/// messages, the closest expected name.
fn did_you_mean(msg: &str) -> Option<String> {
    let got = msg.split('`').nth(1)?;
    let list = msg.split("expected one of ").nth(1)?;
    let names = list.split(',').map(|c| c.trim().trim_matches('`'));
    crate::diag::closest(got, names).map(|best| format!("did you mean '{best}'?"))
}

fn read_file(path: &Path, loc: &Loc) -> Result<String, ProfileError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO with no writer must not hang; anything but
    // a regular file is refused before a byte is read (a FIFO, /dev/zero,
    // a directory).
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| {
            ProfileError::new(
                loc,
                format!(
                    "cannot open profile {}: {}",
                    path.display(),
                    crate::diag::io_reason(&e)
                ),
            )
        })?;
    let kind = f.metadata().map(|m| m.file_type());
    if !kind.as_ref().is_ok_and(|k| k.is_file()) {
        let what = match kind {
            Ok(k) if k.is_dir() => "a directory",
            Ok(k) if std::os::unix::fs::FileTypeExt::is_fifo(&k) => "a FIFO",
            Ok(k) if std::os::unix::fs::FileTypeExt::is_char_device(&k) => "a character device",
            Ok(k) if std::os::unix::fs::FileTypeExt::is_block_device(&k) => "a block device",
            Ok(k) if std::os::unix::fs::FileTypeExt::is_socket(&k) => "a socket",
            _ => "not a regular file",
        };
        return Err(
            ProfileError::new(loc, format!("profile {} is {what}", path.display()))
                .hint("a profile is a regular YAML file"),
        );
    }
    let mut text = String::new();
    f.take(MAX_PROFILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| {
            ProfileError::new(loc, format!("cannot read profile {}: {e}", path.display()))
        })?;
    if text.len() as u64 > MAX_PROFILE_BYTES {
        return Err(ProfileError::new(
            loc,
            format!(
                "profile {} is larger than {MAX_PROFILE_BYTES} bytes",
                path.display()
            ),
        ));
    }
    Ok(text)
}

/// Where `-p NAME` looks for `NAME.yaml` before the built-ins, in order:
/// `$XDG_CONFIG_HOME/stockade/profiles` (`~/.config` when unset), then
/// `/etc/stockade/profiles`.
pub fn search_path() -> Vec<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    config
        .map(|c| c.join("stockade/profiles"))
        .into_iter()
        .chain([PathBuf::from("/etc/stockade/profiles")])
        .collect()
}

/// The file `NAME.yaml` in the search path, if there is one.
pub fn find_in_search_path(name: &str) -> Option<PathBuf> {
    search_path()
        .into_iter()
        .map(|d| d.join(format!("{name}.yaml")))
        .find(|p| p.symlink_metadata().is_ok())
}

/// Loads `spec` (a name in the search path or of a built-in, or a file
/// path) and every profile it extends. Returns the layers from the root
/// ancestor to `spec` itself. `extends: NAME` always names a built-in.
pub fn load(spec: &str) -> Result<Vec<Layer>, ProfileError> {
    let mut layers = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let first = match is_path(spec) {
        true => spec.to_string(),
        false => find_in_search_path(spec)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| spec.to_string()),
    };
    let mut next = Some((first, None::<PathBuf>, Loc::cli()));
    while let Some((name, base, loc)) = next.take() {
        if layers.len() >= MAX_EXTENDS_DEPTH {
            return Err(ProfileError::new(
                &loc,
                format!("'extends' chain is deeper than {MAX_EXTENDS_DEPTH} profiles"),
            ));
        }
        let (profile, dir, key) = if is_path(&name) {
            let path = match &base {
                Some(b) if Path::new(&name).is_relative() => b.join(&name),
                _ => PathBuf::from(&name),
            };
            let text = read_file(&path, &loc)?;
            let key = std::fs::canonicalize(&path)
                .unwrap_or_else(|_| path.clone())
                .display()
                .to_string();
            let dir = path.parent().map(Path::to_path_buf);
            (parse(&text, &path.display().to_string())?, dir, key)
        } else {
            let b = builtin(&name).ok_or_else(|| {
                let names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
                if loc.line > 0 {
                    // `extends: NAME` names a built-in only.
                    return ProfileError::new(&loc, format!("no built-in profile named '{name}'"))
                        .hint(format!(
                            "built-in profiles: {}; a file path needs a '/' or a .yaml suffix",
                            names.join(", ")
                        ));
                }
                let dirs: Vec<String> = search_path()
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect();
                ProfileError::new(&loc, format!("no profile named '{name}'")).hint(format!(
                    "looked for {name}.yaml in {}, and the built-in profiles: {}; a file path \
                     needs a '/' or a .yaml suffix",
                    dirs.join(", "),
                    names.join(", ")
                ))
            })?;
            (parse_builtin(b)?, None, format!("builtin:{name}"))
        };
        if seen.contains(&key) {
            return Err(ProfileError::new(
                &loc,
                format!("'extends' loops back to {name}"),
            ));
        }
        seen.push(key);
        if let Some(ext) = &profile.extends {
            next = Some((ext.value.clone(), dir.clone(), ext.loc.clone()));
        }
        layers.push(Layer { profile });
    }
    layers.reverse();
    Ok(layers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_and_describe_themselves() {
        for b in BUILTINS {
            let p = parse(b.yaml, b.name).unwrap_or_else(|e| panic!("{}: {e}", b.name));
            assert!(p.description.is_some(), "{} has no description", b.name);
        }
    }

    #[test]
    fn unknown_field_has_line_and_column() {
        let e = parse("version: 1\nhostnme: x\n", "p.yaml").unwrap_err();
        assert_eq!((e.loc.line, e.loc.col), (2, 1), "{e}");
        assert!(e.msg.contains("hostnme"), "{e}");
        assert!(e.to_string().starts_with("profile p.yaml:2:1: "), "{e}");
    }

    #[test]
    fn misspellings_get_a_suggestion() {
        let e = parse("version: 1\nhostnme: x\n", "p.yaml").unwrap_err();
        assert_eq!(e.hint.as_deref(), Some("did you mean 'hostname'?"));
        let e = parse("version: 1\nnamespaces: [nett]\n", "p.yaml").unwrap_err();
        assert_eq!(e.hint.as_deref(), Some("did you mean 'net'?"));
        let e = parse("version: 1\nzzzzzzzz: x\n", "p.yaml").unwrap_err();
        assert_eq!(e.hint, None);
    }

    #[test]
    fn wrong_type_is_reported_where_it_is() {
        let e = parse(
            "version: 1\nfilesystem:\n  - {bind: /usr, writable: maybe}\n",
            "p.yaml",
        )
        .unwrap_err();
        assert_eq!(e.loc.line, 3, "{e}");
    }

    #[test]
    fn version_is_required_and_checked() {
        let e = parse("hostname: x\n", "p.yaml").unwrap_err();
        assert!(e.msg.contains("missing 'version'"), "{e}");
        let e = parse("version: 2\n", "p.yaml").unwrap_err();
        assert!(e.msg.contains("unsupported profile version 2"), "{e}");
        assert_eq!(e.loc.line, 1);
    }

    #[test]
    fn duplicate_keys_are_refused() {
        assert!(parse("version: 1\nhostname: a\nhostname: b\n", "p.yaml").is_err());
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut y = String::from("version: 1\ndescription: &a x\n");
        let mut prev = "a".to_string();
        for i in 0..30 {
            let name = format!("l{i}");
            y.push_str(&format!(
                "x{i}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = name;
        }
        assert!(parse(&y, "bomb.yaml").is_err());
    }

    #[test]
    fn extends_chain_is_followed_and_loops_are_caught() {
        let dir = std::env::temp_dir().join(format!("stockade-ext-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.yaml"), "version: 1\nextends: ./b.yaml\n").unwrap();
        std::fs::write(dir.join("b.yaml"), "version: 1\nextends: strict\n").unwrap();
        let layers = load(dir.join("a.yaml").to_str().unwrap()).unwrap();
        assert_eq!(layers.len(), 3);
        std::fs::write(dir.join("b.yaml"), "version: 1\nextends: a.yaml\n").unwrap();
        let e = load(dir.join("a.yaml").to_str().unwrap()).unwrap_err();
        assert!(e.msg.contains("loops back"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_builtin_lists_the_known_ones() {
        let e = load("nonesuch").unwrap_err();
        assert!(e.hint.unwrap().contains("default, strict"));
    }
}
