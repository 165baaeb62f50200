//! The built-in profiles, embedded from `profiles/` at build time.

/// A built-in profile, embedded from `profiles/`.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// Name used with `--profile` and `extends`.
    pub name: &'static str,
    /// The YAML text.
    pub yaml: &'static str,
}

/// A built-in profile from `profiles/NAME.yaml`.
macro_rules! builtins {
    ($($name:literal),* $(,)?) => {
        &[$(Builtin {
            name: $name,
            yaml: include_str!(concat!("../../profiles/", $name, ".yaml")),
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

/// Looks a built-in profile up by name.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}
