//! The built-in profiles, embedded from `profiles/` at build time, each
//! with its snapshot: the parsed model as JSON, which a run loads instead
//! of parsing the YAML (the format and its generator are in `snapshot`).

/// A built-in profile, embedded from `profiles/`.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// Name used with `--profile` and `extends`.
    pub name: &'static str,
    /// The YAML text.
    pub yaml: &'static str,
    /// The parsed YAML as written by `snapshot`'s generator, from
    /// `src/profile/snapshots/NAME.json`: used instead of the YAML while
    /// its hash line matches the YAML's.
    pub(super) snapshot: &'static str,
    /// The YAML's content hash, computed at build time.
    pub(super) yaml_hash: u64,
}

/// A built-in profile from `profiles/NAME.yaml`.
macro_rules! builtins {
    ($($name:literal),* $(,)?) => {
        &[$(Builtin {
            name: $name,
            yaml: include_str!(concat!("../../profiles/", $name, ".yaml")),
            snapshot: include_str!(concat!("snapshots/", $name, ".json")),
            yaml_hash: content_hash(
                include_str!(concat!("../../profiles/", $name, ".yaml")).as_bytes(),
            ),
        }),*]
    };
}

/// Every built-in profile.
pub const BUILTINS: &[Builtin] = builtins![
    "default",
    "strict",
    "shell",
    "python",
    "node",
    "build",
    "network-client",
    "plugin",
];

/// The key of a snapshot: FNV-1a of the YAML, a content key, not a
/// defence (the YAML and the snapshot are both part of the binary).
pub(super) const fn content_hash(bytes: &[u8]) -> u64 {
    crate::fnv::fnv1a(bytes)
}

impl Builtin {
    /// The snapshot's JSON when it was made from this binary's YAML (its
    /// first line is that YAML's hash in hexadecimal); `None` for an
    /// edited profile, whose YAML is then parsed.
    pub(super) fn snapshot(&self) -> Option<&'static str> {
        let (hash, json) = self.snapshot.split_once('\n')?;
        (u64::from_str_radix(hash, 16) == Ok(self.yaml_hash)).then_some(json)
    }
}

/// Looks a built-in profile up by name.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}
