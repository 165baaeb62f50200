//! Entry points shared by the cargo-fuzz targets in `fuzz/` and by the
//! corpus replay in `cargo test`, so every input ever found runs in CI
//! without a nightly toolchain. Each must return normally for any input.

use crate::profile;
use crate::resolve::{Host, HostFs, Node, Overrides};
use std::path::PathBuf;

/// The fuzzing host's files: a merged-/usr system with a user's home and
/// a resolver configuration that links into /run, as bind sources,
/// shared directories and links find them on such a host. Links are
/// relative, so the same tree built in a directory answers alike (a test
/// holds the two together).
pub const HOST_TREE: &[(&str, Node)] = {
    use Node::*;
    &[
        ("/bin", Link("usr/bin")),
        ("/sbin", Link("usr/sbin")),
        ("/lib", Link("usr/lib")),
        ("/lib64", Link("usr/lib64")),
        ("/usr", Dir(0o755, 0)),
        ("/usr/bin", Dir(0o755, 0)),
        ("/usr/bin/dash", File(0o755, 0)),
        ("/usr/bin/sh", Link("dash")),
        ("/usr/bin/python3", Link("python3.13")),
        ("/usr/bin/python3.13", File(0o755, 0)),
        ("/usr/sbin", Dir(0o755, 0)),
        ("/usr/lib", Dir(0o755, 0)),
        ("/usr/lib/x86_64-linux-gnu", Dir(0o755, 0)),
        ("/usr/lib/x86_64-linux-gnu/libc.so.6", File(0o755, 0)),
        (
            "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            File(0o755, 0),
        ),
        ("/usr/lib64", Dir(0o755, 0)),
        (
            "/usr/lib64/ld-linux-x86-64.so.2",
            Link("../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
        ),
        ("/usr/share", Dir(0o755, 0)),
        ("/etc", Dir(0o755, 0)),
        ("/etc/passwd", File(0o644, 0)),
        ("/etc/ssl", Dir(0o755, 0)),
        ("/etc/ssl/certs", Dir(0o755, 0)),
        (
            "/etc/resolv.conf",
            Link("../run/systemd/resolve/stub-resolv.conf"),
        ),
        ("/etc/alternatives", Dir(0o755, 0)),
        ("/etc/alternatives/loop", Link("../alternatives/loop")),
        ("/run", Dir(0o755, 0)),
        ("/run/systemd", Dir(0o755, 0)),
        ("/run/systemd/resolve", Dir(0o755, 0)),
        ("/run/systemd/resolve/stub-resolv.conf", File(0o644, 0)),
        ("/run/user", Dir(0o755, 0)),
        ("/run/user/1000", Dir(0o700, 1000)),
        ("/var", Dir(0o755, 0)),
        ("/var/run", Link("../run")),
        ("/var/tmp", Dir(0o1777, 0)),
        ("/var/cache", Dir(0o755, 0)),
        ("/tmp", Dir(0o1777, 0)),
        ("/dev", Dir(0o755, 0)),
        ("/dev/null", File(0o666, 0)),
        ("/dev/shm", Dir(0o1777, 0)),
        ("/proc", Dir(0o555, 0)),
        ("/opt", Dir(0o755, 0)),
        ("/opt/tool", Link("missing")),
        ("/home", Dir(0o755, 0)),
        ("/home/fuzz", Dir(0o750, 1000)),
        ("/home/fuzz/src", Dir(0o755, 1000)),
        ("/home/fuzz/src/main.c", File(0o644, 1000)),
        ("/home/fuzz/.cache", Dir(0o700, 1000)),
        ("/home/fuzz/bin", Link("src")),
    ]
};

/// A fixed host, so results do not depend on the fuzzing machine: its
/// environment and its files ([`HOST_TREE`]; no input makes resolution
/// look at the real ones).
pub fn host() -> Host {
    Host {
        uid: 1000,
        gid: 1000,
        home: Some("/home/fuzz".into()),
        cwd: PathBuf::from("/tmp"),
        user: Some("fuzz".into()),
        tmpdir: "/tmp".into(),
        env: vec![("TERM".into(), "xterm".into())],
        fs: HostFs::Fixed(HOST_TREE),
    }
}

/// Arbitrary bytes as a profile: parse and resolve (against the fixed
/// host's files). Anything the parser accepts must either resolve
/// or fail with a positioned error; nothing may panic. Cheap per input, so
/// the fuzzer explores the parser; rendering and compiling are
/// `profile_compile`'s.
pub fn profile_parse(data: &[u8]) {
    let _ = parse_and_resolve(data);
}

/// Arbitrary bytes as a profile, parsed, resolved, rendered as `explain`
/// prints it and then compiled: the seccomp filters for both architectures
/// and Landlock for several ABIs.
pub fn profile_compile(data: &[u8]) {
    let Some(policy) = parse_and_resolve(data) else {
        return;
    };
    let _ = policy.to_string();
    for arch in [crate::seccomp::Arch::X86_64, crate::seccomp::Arch::Aarch64] {
        let _ = crate::seccomp::compile(policy.seccomp.as_ref(), arch);
    }
    for abi in [0, 1, 4, 6, 7, 9, 99] {
        let _ = crate::landlock::prepare(&policy.landlock, abi);
    }
}

/// Arbitrary bytes through the YAML library alone, with the options a
/// profile is parsed with, into nothing (no model, no resolution): what
/// `profile_parse` would cost if stockade added nothing to the parse, the
/// bound on its rate that `benches/compare.sh` reports beside it.
pub fn yaml_baseline(data: &[u8]) {
    if data.len() as u64 > profile::MAX_PROFILE_BYTES {
        return;
    }
    let text = String::from_utf8_lossy(data);
    let file = std::sync::Arc::from("fuzz.yaml");
    let _ = profile::model::parse_with_origin::<serde::de::IgnoredAny>(&text, &file);
}

fn parse_and_resolve(data: &[u8]) -> Option<crate::policy::Policy> {
    if data.len() as u64 > profile::MAX_PROFILE_BYTES {
        return None;
    }
    let text = String::from_utf8_lossy(data);
    let p = profile::parse(&text, "fuzz.yaml").ok()?;
    // A parent named by `extends` is not followed (no file access at
    // all); the profile is resolved on its own.
    let layers = [profile::Layer { profile: p }];
    crate::resolve::resolve(&layers, &Overrides::default(), &host()).ok()
}

/// The words a profile is made of, for the fuzzer's dictionary
/// (`fuzz/profile.dict`): keys, keyword values, variables, syscall and
/// group names, errno and constant names, Landlock rights.
pub fn dictionary() -> Vec<String> {
    const WORDS: &[&str] = &[
        "version",
        "description",
        "extends",
        "namespaces",
        "hostname",
        "user",
        "cwd",
        "filesystem",
        "env",
        "limits",
        "landlock",
        "seccomp",
        "fds",
        "channel",
        "remove",
        "bind",
        "dest",
        "writable",
        "optional",
        "tmpfs",
        "size",
        "mode",
        "proc",
        "dev",
        "dir",
        "symlink",
        "target",
        "keep",
        "set",
        "wall_time",
        "cpu_time",
        "address_space",
        "data",
        "stack",
        "memlock",
        "msgqueue",
        "file_size",
        "core",
        "open_files",
        "processes",
        "locks",
        "sigpending",
        "nice",
        "rtprio",
        "memory",
        "cpu",
        "require_cgroup",
        "read",
        "write",
        "execute",
        "rules",
        "path",
        "access",
        "net",
        "connect",
        "scopes",
        "compatibility",
        "default_action",
        "allow",
        "deny",
        "restrict_suid_sgid",
        "syscall",
        "args",
        "arg",
        "op",
        "value",
        "errno",
        "why",
        "max_message",
        "max_fds",
        "socket",
        "uid",
        "gid",
        "host_uid",
        "host_gid",
        "root",
        "pid",
        "mount",
        "ipc",
        "uts",
        "cgroup",
        "kill-process",
        "kill-thread",
        "trap",
        "log",
        "best-effort",
        "hard-requirement",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "masked_eq(",
        "abstract-unix-socket",
        "signal",
        "default",
        "strict",
        "${HOME}",
        "${CWD}",
        "${USER}",
        "${UID}",
        "${TMPDIR}",
        "true",
        "false",
        "~",
        "64M",
        "1G",
        "30s",
        "5m",
        "\"1777\"",
        "0755",
        "- {",
        "}",
        ": [",
        "]",
        "\n  - ",
    ];
    let mut words: std::collections::BTreeSet<String> =
        WORDS.iter().map(|w| w.to_string()).collect();
    for arch in [crate::seccomp::Arch::X86_64, crate::seccomp::Arch::Aarch64] {
        words.extend(arch.all_names().into_iter().map(str::to_string));
    }
    words.extend(
        crate::seccomp::groups::GROUPS
            .iter()
            .map(|g| g.name.to_string()),
    );
    words.extend(crate::seccomp::ERRNOS.iter().map(|(n, _)| n.to_string()));
    words.extend(
        crate::seccomp::consts::CONSTANTS
            .iter()
            .map(|(n, _)| n.to_string()),
    );
    words.extend(
        crate::landlock::FS_RIGHTS
            .iter()
            .map(|(n, _)| n.to_string()),
    );
    words.extend(HOST_TREE.iter().map(|(p, _)| p.to_string()));
    words.into_iter().collect()
}

/// Arbitrary bytes as what the sandbox and the payload may send the
/// launcher: setup records, and channel datagrams with descriptors.
pub fn channel_message(data: &[u8]) {
    use crate::channel::Channel;
    use crate::policy::ChannelLimits;
    use std::os::fd::AsFd;
    let _ = crate::process::decode_record(data);
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let limits = ChannelLimits {
        max_message: usize::from(control & 0x3f) * 16,
        max_fds: usize::from(control >> 6),
        socket: false,
    };
    let Ok((host, payload)) = Channel::pair(ChannelLimits {
        max_message: 1 << 16,
        max_fds: 8,
        socket: false,
    }) else {
        return;
    };
    let payload = Channel::from_fd(payload, limits);
    let null = std::fs::File::open("/dev/null").ok();
    // Split the rest into datagrams at 0xff bytes; the byte after each
    // split says how many descriptors (0..=3) ride along.
    let mut sent = 0;
    for chunk in rest.split(|b| *b == 0xff).take(16) {
        let n = chunk.first().map_or(0, |b| usize::from(b % 4));
        let fds: Vec<_> = null.iter().cycle().take(n).map(|f| f.as_fd()).collect();
        if host.send(chunk, &fds).is_ok() {
            sent += 1;
        }
    }
    for _ in 0..sent {
        match payload.try_recv() {
            Ok(Some(m)) => {
                assert!(m.data.len() <= limits.max_message);
                assert!(m.fds.len() <= limits.max_fds);
            }
            Ok(None) => break,
            Err(_) => {}
        }
    }
}

/// A structured profile (decoded from bytes) written out as YAML must
/// parse and resolve to exactly what was written.
pub fn profile_roundtrip(data: &[u8]) {
    let mut it = data.iter().copied();
    let mut next = || it.next().unwrap_or(0);
    const NAMES: [&str; 6] = ["a", "b1", "web-x", "n.s", "z9", "sandbox"];
    const CALLS: [&str; 6] = ["read", "write", "openat", "@default", "@basic-io", "getpid"];
    let hostname = NAMES[usize::from(next()) % NAMES.len()];
    let mut yaml = format!("version: 1\nhostname: {hostname}\nfilesystem:\n");
    let mut tmpfs = Vec::new();
    for i in 0..next() % 4 {
        let size = u64::from(next()) * 4096 + 4096;
        let mode = u32::from(next()) & 0o777;
        tmpfs.push((format!("/t{i}"), size, mode));
        yaml.push_str(&format!(
            "  - {{tmpfs: /t{i}, size: {size}, mode: \"{mode:o}\"}}\n"
        ));
    }
    if tmpfs.is_empty() {
        yaml.push_str("  []\n");
        yaml = yaml.replace("filesystem:\n  []\n", "filesystem: []\n");
    }
    let mut env = Vec::new();
    yaml.push_str("env:\n  set:\n");
    for i in 0..next() % 4 {
        let v = format!("v{}", next());
        env.push((format!("K{i}"), v.clone()));
        yaml.push_str(&format!("    K{i}: \"{v}\"\n"));
    }
    if env.is_empty() {
        yaml = yaml.replace("env:\n  set:\n", "env: {set: {}}\n");
    }
    let mut calls = vec!["execve", "write", "exit_group"];
    for _ in 0..next() % 4 {
        calls.push(CALLS[usize::from(next()) % CALLS.len()]);
    }
    let quoted: Vec<String> = calls.iter().map(|c| format!("\"{c}\"")).collect();
    yaml.push_str(&format!("seccomp:\n  allow: [{}]\n", quoted.join(", ")));
    let layers = [profile::Layer {
        profile: profile::parse(&yaml, "roundtrip.yaml")
            .unwrap_or_else(|e| panic!("generated profile does not parse: {e}\n{yaml}")),
    }];
    let policy = crate::resolve::resolve(&layers, &Overrides::default(), &host())
        .unwrap_or_else(|e| panic!("generated profile does not resolve: {e}\n{yaml}"));
    assert_eq!(policy.hostname.as_deref(), Some(hostname));
    let got: Vec<(String, u64, u32)> = policy
        .mounts
        .iter()
        .filter_map(|m| match &m.op {
            crate::policy::MountOp::Tmpfs { dest, size, mode } => {
                Some((dest.display().to_string(), *size, *mode))
            }
            _ => None,
        })
        .collect();
    assert_eq!(got, tmpfs);
    let mut want_env: Vec<(std::ffi::OsString, std::ffi::OsString)> =
        env.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
    want_env.sort();
    assert_eq!(policy.env, want_env);
    let sc = policy.seccomp.expect("seccomp section");
    for c in calls.iter().filter(|c| !c.starts_with('@')) {
        assert!(sc.allow.iter().any(|e| e.name == *c), "{c} missing");
    }
}

#[cfg(test)]
mod tests {
    /// `fuzz/profile.dict` is `dictionary()` in libFuzzer's format;
    /// `STOCKADE_WRITE_DICT=1 cargo test --lib dictionary` rewrites it.
    #[test]
    fn the_fuzz_dictionary_is_current() {
        // Printable ASCII as is; quotes, backslashes and the rest as \xNN.
        let quote = |w: &str| -> String {
            w.bytes()
                .map(|b| match b {
                    b'"' | b'\\' => format!("\\x{b:02x}"),
                    0x20..=0x7e => char::from(b).to_string(),
                    _ => format!("\\x{b:02x}"),
                })
                .collect()
        };
        let want: String = super::dictionary()
            .iter()
            .map(|w| format!("\"{}\"\n", quote(w)))
            .collect();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/profile.dict");
        if std::env::var_os("STOCKADE_WRITE_DICT").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "fuzz/profile.dict is out of date: STOCKADE_WRITE_DICT=1 cargo test --lib dictionary"
        );
    }
}
