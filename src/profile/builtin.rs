//! The built-in profiles, embedded from `profiles/` at build time.

/// A built-in profile, embedded from `profiles/`.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// Name used with `--profile` and `extends`.
    pub name: &'static str,
    /// The YAML text.
    pub yaml: &'static str,
}

/// Every built-in profile.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "default",
        yaml: include_str!("../../profiles/default.yaml"),
    },
    Builtin {
        name: "strict",
        yaml: include_str!("../../profiles/strict.yaml"),
    },
    Builtin {
        name: "shell",
        yaml: include_str!("../../profiles/shell.yaml"),
    },
    Builtin {
        name: "python",
        yaml: include_str!("../../profiles/python.yaml"),
    },
    Builtin {
        name: "node",
        yaml: include_str!("../../profiles/node.yaml"),
    },
    Builtin {
        name: "build",
        yaml: include_str!("../../profiles/build.yaml"),
    },
    Builtin {
        name: "network-client",
        yaml: include_str!("../../profiles/network-client.yaml"),
    },
    Builtin {
        name: "plugin",
        yaml: include_str!("../../profiles/plugin.yaml"),
    },
];

/// Looks a built-in profile up by name.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}
