//! Resolution, without privileges or a real host.

use super::*;
use crate::profile::parse;

fn host() -> Host {
    Host {
        uid: 1000,
        gid: 1000,
        home: Some("/home/u".into()),
        cwd: PathBuf::from("/usr/share"),
        user: Some("u".into()),
        tmpdir: "/tmp".into(),
        env: vec![
            ("TERM".into(), "xterm".into()),
            ("SECRET".into(), "s".into()),
        ],
        fs: HostFs::Real,
    }
}

fn resolve_text(text: &str, h: &Host) -> Result<Policy, ProfileError> {
    let layer = Layer {
        profile: parse(text, "t.yaml")?,
    };
    resolve(&[layer], &Overrides::default(), h)
}

#[test]
fn shipped_profiles_deny_host_unix_sockets_where_landlock_can() {
    use ::landlock::{AccessFs, ABI};
    let right = AccessFs::ResolveUnix as u64;
    for name in crate::profile::BUILTINS.iter().map(|b| b.name) {
        let layers = crate::profile::load(name).unwrap();
        let policy = resolve(&layers, &Overrides::default(), &host()).unwrap();
        assert!(
            policy.landlock.fs.iter().all(|r| r.access & right == 0),
            "{name}"
        );
        for abi in [ABI::V9 as i32, ABI::V10 as i32] {
            let r = crate::landlock::prepare(&policy.landlock, abi).unwrap();
            assert_ne!(r.handled_fs & right, 0, "{name} on ABI {abi}");
            assert!(r.fs_rules.iter().all(|x| x.1 & right == 0), "{name}");
        }
    }
}

#[test]
fn the_working_directory_never_covers_a_shared_directory() {
    let yaml = "version: 1\ncwd: ${CWD}\nfilesystem:\n  - {bind: /usr}\n  \
                - {tmpfs: /tmp}\n  - {bind: \"${CWD}\", writable: true}\n";
    let binds = |p: &Policy| -> Vec<PathBuf> {
        p.mounts
            .iter()
            .filter_map(|m| match &m.op {
                MountOp::Bind { src, .. } => Some(src.clone()),
                _ => None,
            })
            .collect()
    };
    let tmpfs_at = |p: &Policy, d: &str| {
        p.mounts
            .iter()
            .any(|m| matches!(&m.op, MountOp::Tmpfs { dest, .. } if dest == Path::new(d)))
    };
    // A project directory is bound as it is.
    let p = resolve_text(yaml, &host()).unwrap();
    assert_eq!(
        binds(&p),
        [PathBuf::from("/usr"), PathBuf::from("/usr/share")]
    );
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    // /tmp: the profile's private /tmp stands; the payload starts there.
    let h = Host {
        cwd: "/tmp".into(),
        ..host()
    };
    let p = resolve_text(yaml, &h).unwrap();
    assert_eq!(binds(&p), [PathBuf::from("/usr")]);
    assert_eq!(p.cwd, Path::new("/tmp"));
    assert!(
        p.warnings[0].to_string().contains("private /tmp"),
        "{:?}",
        p.warnings
    );
    // The root: nothing bound, no error.
    let h = Host {
        cwd: "/".into(),
        ..host()
    };
    let p = resolve_text(yaml, &h).unwrap();
    assert_eq!(binds(&p), [PathBuf::from("/usr")]);
    // An ancestor of a shared directory (/var holds /var/tmp): an empty
    // private directory instead.
    let h = Host {
        cwd: "/var".into(),
        ..host()
    };
    let p = resolve_text(yaml, &h).unwrap();
    assert_eq!(binds(&p), [PathBuf::from("/usr")]);
    assert!(tmpfs_at(&p, "/var"));
    assert!(
        p.warnings[0]
            .to_string()
            .contains("other programs share it"),
        "{:?}",
        p.warnings
    );
    // An explicit bind of a shared directory stands, with a warning.
    let p = resolve_text(
        "version: 1\nfilesystem:\n  - {bind: /usr}\n  - {bind: /var, writable: true}\n",
        &host(),
    )
    .unwrap();
    assert_eq!(binds(&p), [PathBuf::from("/usr"), PathBuf::from("/var")]);
    assert!(
        p.warnings[0].to_string().contains("sockets in it"),
        "{:?}",
        p.warnings
    );
}

#[test]
fn variables_expand_and_unknown_ones_fail() {
    let h = host();
    let loc = Loc::cli();
    assert_eq!(
        expand("${HOME}/x:${UID}", &loc, &h).unwrap(),
        "/home/u/x:1000"
    );
    assert_eq!(expand("a$b", &loc, &h).unwrap(), "a$b");
    assert!(expand("${NOPE}", &loc, &h).unwrap_err().hint.is_some());
    assert!(expand("${HOME", &loc, &h).is_err());
}

/// Without `$USER`, `${USER}` is the user database's name for the uid,
/// looked up only when a profile names it; a uid it lacks is its number.
#[test]
fn user_without_user_variable_comes_from_the_user_database() {
    let loc = Loc::cli();
    let h = Host {
        uid: 0,
        user: None,
        ..host()
    };
    let root = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(0))
        .unwrap()
        .map(|u| u.name)
        .unwrap();
    assert_eq!(expand("${USER}", &loc, &h).unwrap(), root);
    let nobody = Host {
        uid: 3_999_999_999,
        user: None,
        ..host()
    };
    assert_eq!(expand("${USER}", &loc, &nobody).unwrap(), "3999999999");
    assert_eq!(expand("${USER}", &loc, &host()).unwrap(), "u");
}

#[test]
fn defaults_are_secure() {
    let p = resolve_text("version: 1\n", &host()).unwrap();
    let ns: Vec<_> = p.namespaces.iter().map(|n| n.name()).collect();
    assert_eq!(ns, ["user", "pid", "mount", "net", "ipc", "uts"]);
    assert_eq!(p.hostname.as_deref(), Some("sandbox"));
    assert!(p.env.is_empty(), "env must be empty unless named");
    assert_eq!(p.cwd, PathBuf::from("/"));
}

#[test]
fn root_launcher_maps_payload_to_nobody() {
    let mut h = host();
    h.uid = 0;
    h.gid = 0;
    let p = resolve_text("version: 1\n", &h).unwrap();
    assert_eq!((p.identity.uid, p.identity.host_uid), (NOBODY, NOBODY));
    let p = resolve_text("version: 1\nuser: root\n", &h).unwrap();
    assert_eq!((p.identity.uid, p.identity.host_uid), (0, 0));
    assert!(p.warnings.contains(&Warning::HostRoot));
    let p = resolve_text("version: 1\nuser: root\n", &host()).unwrap();
    assert_eq!((p.identity.uid, p.identity.host_uid), (0, 1000));
    assert!(p.warnings.is_empty());
}

#[test]
fn env_is_only_what_is_named() {
    let p = resolve_text(
        "version: 1\nenv:\n  keep: [TERM, MISSING]\n  set: {HOME: \"${HOME}\"}\n",
        &host(),
    )
    .unwrap();
    assert_eq!(
        p.env,
        vec![
            ("HOME".into(), "/home/u".into()),
            ("TERM".into(), "xterm".into())
        ]
    );
}

#[test]
fn namespaces_must_keep_the_essentials() {
    let e = resolve_text("version: 1\nnamespaces: [user, mount, net]\n", &host()).unwrap_err();
    assert!(e.msg.contains("'pid'"), "{e}");
    assert_eq!(e.loc.line, 2);
    let e = resolve_text(
        "version: 1\nnamespaces: [user, pid, mount]\nhostname: x\n",
        &host(),
    )
    .unwrap_err();
    assert!(e.msg.contains("requires the uts namespace"), "{e}");
}

#[test]
fn filesystem_entries_are_checked() {
    let h = host();
    let e = resolve_text("version: 1\nfilesystem:\n  - {tmpfs: /t, bind: /usr}\n", &h).unwrap_err();
    assert!(e.msg.contains("several operations"), "{e}");
    assert_eq!((e.loc.line, e.loc.col), (3, 5));
    let e = resolve_text("version: 1\nfilesystem:\n  - {bind: usr}\n", &h).unwrap_err();
    assert!(e.msg.contains("not an absolute path"), "{e}");
    let e = resolve_text("version: 1\nfilesystem:\n  - {bind: /nonexistent-x}\n", &h).unwrap_err();
    assert!(e.msg.contains("No such file"), "{e}");
    let p = resolve_text(
        "version: 1\nfilesystem:\n  - {bind: /nonexistent-x, optional: true}\n",
        &h,
    )
    .unwrap();
    assert!(p.mounts.is_empty());
    let e = resolve_text(
        "version: 1\nfilesystem:\n  - {tmpfs: /t, writable: true}\n",
        &h,
    )
    .unwrap_err();
    assert!(e.msg.contains("'writable' does not apply"), "{e}");
    let e = resolve_text("version: 1\nfilesystem:\n  - {dir: /a/../b}\n", &h).unwrap_err();
    assert!(e.msg.contains("'..'"), "{e}");
    let p = resolve_text(
        "version: 1\nfilesystem:\n  - {tmpfs: /t, size: 1M, mode: \"0700\"}\n  - {tmpfs: /u, mode: 1777}\n",
        &h,
    )
    .unwrap();
    assert_eq!(
        p.mounts[0].op,
        MountOp::Tmpfs {
            dest: "/t".into(),
            size: 1 << 20,
            mode: 0o700
        }
    );
    assert!(matches!(
        p.mounts[1].op,
        MountOp::Tmpfs { mode: 0o1777, .. }
    ));
}

#[test]
fn nothing_is_created_inside_a_host_bind() {
    let h = host();
    let e = resolve_text(
        "version: 1\nfilesystem:\n  - {bind: /usr}\n  - {tmpfs: /usr/no-such-dir-here}\n",
        &h,
    )
    .unwrap_err();
    assert!(e.msg.contains("inside the host bind"), "{e}");
    assert_eq!(e.loc.line, 4);
    // An existing directory inside a bind may be covered.
    resolve_text(
        "version: 1\nfilesystem:\n  - {bind: /usr}\n  - {tmpfs: /usr/share}\n",
        &h,
    )
    .unwrap();
    let e = resolve_text(
        "version: 1\nfilesystem:\n  - {proc: /proc}\n  - {tmpfs: /proc/x}\n",
        &h,
    )
    .unwrap_err();
    assert!(e.msg.contains("inside the proc mount"), "{e}");
}

#[test]
fn cwd_must_be_in_the_view() {
    let e = resolve_text("version: 1\ncwd: /srv/x\n", &host()).unwrap_err();
    assert!(e.msg.contains("not part of the sandbox's view"), "{e}");
    let p = resolve_text(
        "version: 1\ncwd: ${CWD}\nfilesystem:\n  - {bind: /usr}\n",
        &host(),
    )
    .unwrap();
    assert_eq!(p.cwd, PathBuf::from("/usr/share"));
}

#[test]
fn wall_time_parses_human_units() {
    let p = resolve_text("version: 1\nlimits: {wall_time: 1m 30s}\n", &host()).unwrap();
    assert_eq!(p.wall_time, Some(std::time::Duration::from_secs(90)));
    let e = resolve_text("version: 1\nlimits: {wall_time: soon}\n", &host()).unwrap_err();
    assert_eq!(e.loc.line, 2);
}

#[test]
fn later_layers_override_and_extend() {
    let h = host();
    let a = Layer {
        profile: parse(
            "version: 1\nhostname: a\nenv: {keep: [TERM], set: {A: '1', B: '1'}}\nfilesystem: [{tmpfs: /a}]\n",
            "a",
        )
        .unwrap(),
    };
    let b = Layer {
        profile: parse(
            "version: 1\nhostname: b\nenv: {set: {B: '2'}}\nfilesystem: [{tmpfs: /b}]\n",
            "b",
        )
        .unwrap(),
    };
    let p = resolve(&[a, b], &Overrides::default(), &h).unwrap();
    assert_eq!(p.hostname.as_deref(), Some("b"));
    let dests: Vec<_> = p.mounts.iter().map(|m| m.op.dest().to_path_buf()).collect();
    assert_eq!(dests, [PathBuf::from("/a"), PathBuf::from("/b")]);
    let env: Vec<_> = p
        .env
        .iter()
        .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
        .collect();
    assert_eq!(env, ["A=1", "B=2", "TERM=xterm"]);
}

#[test]
fn write_permission_from_mode_bits() {
    assert!(mode_allows_write(0o755, 5, 5, 5, 9));
    assert!(!mode_allows_write(0o755, 0, 0, 65534, 65534));
    assert!(mode_allows_write(0o777, 0, 0, 65534, 65534));
    assert!(mode_allows_write(0o775, 0, 7, 65534, 7));
    assert!(!mode_allows_write(0o757, 0, 7, 65534, 7));
    assert!(mode_allows_write(0o000, 0, 0, 0, 0));
}

#[test]
fn launch_additions_are_checked_and_applying_them_twice_changes_nothing() {
    let h = host();
    let mut ov = Overrides::from("test");
    ov.pass_fd(5, 3);
    ov.pass_fd(1, 1);
    ov.set_env_literal("MODE".into(), "${NOT_EXPANDED}".into());
    ov.channel(ChannelSetting::On { socket: true });
    let layers = vec![Layer {
        profile: parse("version: 1\nextends: strict\n", "t.yaml").unwrap(),
    }];
    let layers = [crate::profile::load("strict").unwrap(), layers].concat();
    let p = resolve(&layers, &ov, &h).unwrap();
    // --fd 1 replaced the profile's stdout; 3 is taken, so the channel is 4.
    assert!(p.fds.contains(&(5, 3)) && p.fds.contains(&(1, 1)));
    assert_eq!(p.fds.iter().filter(|f| f.1 == 1).count(), 1);
    assert_eq!(p.channel_fd(), Some(4));
    let env = |p: &Policy, k: &str| {
        p.env
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.to_string_lossy().into_owned())
    };
    assert_eq!(env(&p, "MODE").as_deref(), Some("${NOT_EXPANDED}"));
    assert_eq!(env(&p, "STOCKADE_CHANNEL_FD").as_deref(), Some("4"));
    assert_eq!(
        env(&p, "STOCKADE_CHANNEL_SOCKET").as_deref(),
        Some("/run/stockade/channel.sock")
    );
    let again = finish(p.clone(), &ov.launch).unwrap();
    assert_eq!(again.env, p.env);
    assert_eq!(again.fds, p.fds);
    // What a profile entry could not be, a launch addition cannot be either.
    let mut bad = Overrides::from("test");
    bad.pass_fd(-1, 3);
    let e = finish(p.clone(), &bad.launch).unwrap_err();
    assert!(e.msg.contains("invalid fd"), "{e}");
    let mut bad = Overrides::from("test");
    bad.set_env_literal("A=B".into(), "x".into());
    let e = finish(p, &bad.launch).unwrap_err();
    assert!(e.msg.contains("invalid environment variable name"), "{e}");
}

#[test]
fn every_limit_of_the_section_becomes_its_rlimit() {
    let yaml = "version: 1\nlimits:\n  cpu_time: 90s\n  address_space: 1G\n  data: 2M\n  \
                file_size: 3K\n  open_files: 4\n  processes: 5\n  core: 6\n  stack: 7M\n  \
                locks: 8\n  memlock: 9\n  msgqueue: 10\n  sigpending: 11\n  nice: 12\n  \
                rtprio: 13\n";
    let p = resolve_text(yaml, &host()).unwrap();
    let got: Vec<(&str, i32, u64)> = p
        .rlimits
        .iter()
        .map(|r| (r.name, r.resource, r.value))
        .collect();
    // The constants are u32 with glibc, i32 with musl.
    fn r(x: impl TryInto<i32>) -> i32 {
        x.try_into().ok().unwrap()
    }
    assert_eq!(
        got,
        [
            ("cpu_time", r(libc::RLIMIT_CPU), 90),
            ("address_space", r(libc::RLIMIT_AS), 1 << 30),
            ("data", r(libc::RLIMIT_DATA), 2 << 20),
            ("file_size", r(libc::RLIMIT_FSIZE), 3 << 10),
            ("open_files", r(libc::RLIMIT_NOFILE), 4),
            ("processes", r(libc::RLIMIT_NPROC), 5),
            ("core", r(libc::RLIMIT_CORE), 6),
            ("stack", r(libc::RLIMIT_STACK), 7 << 20),
            ("locks", r(libc::RLIMIT_LOCKS), 8),
            ("memlock", r(libc::RLIMIT_MEMLOCK), 9),
            ("msgqueue", r(libc::RLIMIT_MSGQUEUE), 10),
            ("sigpending", r(libc::RLIMIT_SIGPENDING), 11),
            ("nice", r(libc::RLIMIT_NICE), 12),
            ("rtprio", r(libc::RLIMIT_RTPRIO), 13),
        ]
    );
    // Unset, core is 0; the others are left as they are.
    let p = resolve_text("version: 1\n", &host()).unwrap();
    assert_eq!(
        p.rlimits
            .iter()
            .map(|r| (r.name, r.value))
            .collect::<Vec<_>>(),
        [("core", 0)]
    );
    let e = resolve_text("version: 1\nlimits: {nice: 41}\n", &host()).unwrap_err();
    assert!(e.msg.contains("nice must be 0..40"), "{e}");
}

#[test]
fn memory_and_cpu_are_limits_of_the_whole_sandbox() {
    let yaml =
        "version: 1\nlimits: {memory: 512M, cpu: 1.5, processes: 64, require_cgroup: true}\n";
    let p = resolve_text(yaml, &host()).unwrap();
    assert_eq!(p.cgroup.memory, Some(512 << 20));
    assert_eq!(p.cgroup.cpu, Some(1.5));
    assert_eq!(p.cgroup.pids, Some(64));
    assert!(p.cgroup.required && p.cgroup.wanted());
    // Only memory and cpu (or require_cgroup) ask for a cgroup.
    let p = resolve_text("version: 1\nlimits: {processes: 64}\n", &host()).unwrap();
    assert!(!p.cgroup.wanted());
    for (bad, why) in [
        ("cpu: 0", "cpu must be a number of CPUs"),
        ("cpu: .nan", "cpu must be a number of CPUs"),
        ("cpu: 5000", "cpu must be a number of CPUs"),
        ("memory: 1M", "memory must be at least 4M"),
    ] {
        let e = resolve_text(&format!("version: 1\nlimits: {{{bad}}}\n"), &host()).unwrap_err();
        assert!(e.msg.contains(why), "{bad}: {e}");
        assert_eq!(e.loc.line, 2, "{bad}: {e}");
    }
}

/// `text` as a layer on top of the built-in `parent`.
fn resolve_over(parent: &str, text: &str) -> Result<Policy, ProfileError> {
    let mut layers = crate::profile::load(parent).unwrap();
    layers.push(Layer {
        profile: parse(text, "child.yaml")?,
    });
    resolve(&layers, &Overrides::default(), &host())
}

#[test]
fn a_profile_takes_away_what_it_inherits() {
    let base = resolve_over("strict", "version: 1\n").unwrap();
    let has_dest = |p: &Policy, d: &str| p.mounts.iter().any(|m| m.op.dest() == Path::new(d));
    let allows = |p: &Policy, n: &str| {
        p.seccomp
            .as_ref()
            .unwrap()
            .allow
            .iter()
            .any(|e| e.name == n)
    };
    let denies = |p: &Policy, n: &str| {
        p.seccomp
            .as_ref()
            .unwrap()
            .deny
            .iter()
            .any(|e| e.0.name == n)
    };
    assert!(has_dest(&base, "/proc") && allows(&base, "getpid") && denies(&base, "ptrace"));
    assert!(base.env.iter().any(|(k, _)| k == "LANG"));
    let p = resolve_over(
        "strict",
        "version: 1\nremove:\n  filesystem: [/proc]\n  env: [LANG]\n  \
         landlock: [/proc]\n  seccomp: [getpid, ptrace]\n",
    )
    .unwrap();
    assert!(!has_dest(&p, "/proc"));
    assert!(!p.env.iter().any(|(k, _)| k == "LANG"));
    assert!(!allows(&p, "getpid"), "getpid came from an inherited group");
    assert!(!denies(&p, "ptrace"));
    assert!(allows(&p, "getppid"), "the rest of the group stays");
    // In the order it had.
    let names = |p: &Policy| -> Vec<&str> {
        let allow = &p.seccomp.as_ref().unwrap().allow;
        allow.iter().map(|e| e.name).collect()
    };
    let mut kept = names(&base);
    kept.retain(|n| *n != "getpid");
    assert_eq!(names(&p), kept);
    // The layer's own entries are added after the removal.
    let p = resolve_over(
        "strict",
        "version: 1\nremove: {seccomp: [ptrace]}\nseccomp: {allow: [ptrace]}\n",
    )
    .unwrap();
    assert!(allows(&p, "ptrace") && !denies(&p, "ptrace"));
    // A removal that matches nothing inherited is a located error.
    for (yaml, what) in [
        (
            "remove: {filesystem: [/nowhere]}",
            "remove.filesystem: /nowhere matches nothing inherited",
        ),
        (
            "remove: {seccomp: [reboot]}",
            "remove.seccomp: reboot matches nothing inherited",
        ),
        (
            "remove: {env: [NOPE]}",
            "remove.env: NOPE matches nothing inherited",
        ),
        (
            "remove: {landlock: [/nowhere]}",
            "remove.landlock: /nowhere matches nothing inherited",
        ),
    ] {
        let e = resolve_over("strict", &format!("version: 1\n{yaml}\n")).unwrap_err();
        assert!(e.to_string().contains(what), "{e}");
        assert!(e.to_string().contains("child.yaml:2:"), "{e}");
    }
}

#[test]
fn leaving_out_uts_drops_an_inherited_hostname() {
    let p = resolve_over(
        "strict",
        "version: 1\nnamespaces: [user, pid, mount, net, ipc]\n",
    )
    .unwrap();
    assert_eq!(p.hostname, None);
    // One's own hostname without uts is still an error, located there.
    let e = resolve_over(
        "strict",
        "version: 1\nnamespaces: [user, pid, mount, net, ipc]\nhostname: x\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("child.yaml:3:"), "{e}");
    let p = resolve_over("strict", "version: 1\nremove: {hostname: true}\n").unwrap();
    assert_eq!(
        p.hostname.as_deref(),
        Some("sandbox"),
        "uts without a name gets the default"
    );
}

#[test]
fn landlock_rules_follow_the_views_symlinks() {
    let text =
        "version: 1\nfilesystem:\n  - {bind: /usr}\n  - {symlink: /bin, target: usr/bin}\n  \
                - {symlink: /sbin, target: /bin}\nlandlock:\n  read: [/bin, /sbin/x]\n";
    let p = resolve_text(text, &host()).unwrap();
    let paths: Vec<&Path> = p.landlock.fs.iter().map(|r| r.path.as_path()).collect();
    assert_eq!(paths, [Path::new("/usr/bin"), Path::new("/usr/bin/x")]);
    // A link that leads out of the view is still an error.
    let text = "version: 1\nfilesystem:\n  - {bind: /usr}\n  - {symlink: /opt, target: /srv}\n\
                landlock:\n  read: [/opt]\n";
    let e = resolve_text(text, &host()).unwrap_err();
    assert!(
        e.msg
            .contains("/srv, which is not part of the sandbox's view"),
        "{e}"
    );
}

#[test]
fn a_read_only_bind_on_the_command_line_overrides_the_profiles_write_rule() {
    // host().cwd is /usr/share: `--ro $PWD` over a writable ${CWD}.
    let text = "version: 1\ncwd: ${CWD}\nfilesystem:\n  - {bind: /usr}\n  \
                - {bind: \"${CWD}\", writable: true}\nlandlock:\n  read: [/usr]\n  write: [\"${CWD}\"]\n";
    let layer = Layer {
        profile: parse(text, "t.yaml").unwrap(),
    };
    let mut ov = Overrides::default();
    ov.bind("/usr/share", None, false, Path::new("/"));
    let p = resolve(&[layer], &ov, &host()).unwrap();
    let at_share: Vec<&Mount> = p
        .mounts
        .iter()
        .filter(|m| m.op.dest() == Path::new("/usr/share"))
        .collect();
    assert_eq!(at_share.len(), 1, "{:?}", p.mounts);
    assert!(matches!(
        at_share[0].op,
        MountOp::Bind {
            writable: false,
            ..
        }
    ));
    let write = crate::landlock::write_rights().bits();
    assert!(
        p.landlock.fs.iter().all(|r| r.access & write == 0),
        "{:?}",
        p.landlock.fs
    );
    assert!(!p
        .warnings
        .iter()
        .any(|w| matches!(w, Warning::BindNotWritable { .. })));
    // The same read-only bind written in a profile is a mistake, reported.
    let text = "version: 1\nfilesystem:\n  - {bind: /usr}\n  - {bind: /usr/share}\n\
                landlock:\n  write: [/usr/share]\n";
    let e = resolve_text(text, &host()).unwrap_err();
    assert!(e.msg.contains("lies in a read-only bind"), "{e}");
}

#[test]
fn rules_on_an_absent_optional_bind_go_with_it() {
    let text = "version: 1\nfilesystem:\n  - {bind: /usr}\n  \
                - {bind: /nonexistent-stockade, optional: true}\n\
                landlock:\n  read: [/usr, /nonexistent-stockade/sub]\n";
    let p = resolve_text(text, &host()).unwrap();
    let paths: Vec<&Path> = p.landlock.fs.iter().map(|r| r.path.as_path()).collect();
    assert_eq!(paths, [Path::new("/usr")]);
    // Also where another mount covers the place it would have gone
    // (${HOME}/.cargo with HOME=/tmp, under a private /tmp).
    let under_tmp = "version: 1\nfilesystem:\n  - {bind: /usr}\n  - {tmpfs: /tmp}\n  \
                     - {bind: /tmp/nonexistent-stockade, optional: true}\n\
                     landlock:\n  read: [/usr, /tmp/nonexistent-stockade]\n";
    let p = resolve_text(under_tmp, &host()).unwrap();
    let paths: Vec<&Path> = p.landlock.fs.iter().map(|r| r.path.as_path()).collect();
    assert_eq!(paths, [Path::new("/usr")]);
    // Without `optional`, the missing source is the error.
    let text = text.replace(", optional: true", "");
    assert!(resolve_text(&text, &host()).is_err());
}

#[test]
fn allowing_a_dangerous_syscall_warns_wherever_it_comes_from() {
    let dangerous = |p: &Policy| -> Vec<(String, String)> {
        p.warnings
            .iter()
            .filter_map(|w| match w {
                Warning::DangerousSyscall { name, via, .. } => Some((name.clone(), via.clone())),
                _ => None,
            })
            .collect()
    };
    let allow = |list: &str| {
        let yaml = format!("version: 1\nseccomp:\n  allow: [\"@basic-io\", {list}]\n");
        resolve_text(&yaml, &host()).unwrap()
    };
    // Named, and from the group that holds it.
    let p = allow("\"@default\", ptrace");
    assert_eq!(dangerous(&p), [("ptrace".to_string(), String::new())]);
    let p = allow("\"@default\", \"@mount\"");
    let got = dangerous(&p);
    assert!(
        got.contains(&("pivot_root".into(), "@mount".into())),
        "{got:?}"
    );
    assert!(got.iter().all(|(_, via)| via == "@mount"), "{got:?}");
    // Groups that hold none, however many calls they bring.
    let p = allow("\"@default\", \"@system-service\", \"@file-system\", \"@process\"");
    let allowed = p.seccomp.as_ref().unwrap().allow.len();
    assert!(
        allowed > 200 && dangerous(&p).is_empty(),
        "{:?}",
        dangerous(&p)
    );
}
