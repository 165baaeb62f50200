//! The command line without sandboxes: help, profiles, check, usage errors.

mod common;
use common::*;

fn stockade_cmd(args: &[&str]) -> std::process::Output {
    // From a directory the sandbox user may write, so `default` has nothing
    // to warn about.
    static CWD: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let cwd = CWD.get_or_init(|| workdir(Mode::Rootless, "cli"));
    std::process::Command::new(env!("CARGO_BIN_EXE_stockade"))
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn help_names_every_run_flag() {
    let out = stockade_cmd(&["run", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let s = stdout(&out);
    for flag in [
        "--profile",
        "--ro",
        "--rw",
        "--tmpfs",
        "--chdir",
        "--net",
        "--hostname",
        "--pty",
        "--no-pty",
        "--env",
        "--keep-env",
        "--timeout",
        "--user",
        "--verbose",
    ] {
        assert!(s.contains(flag), "{flag} missing from help");
    }
}

#[test]
fn profiles_lists_the_builtins_with_descriptions() {
    let out = stockade_cmd(&["profiles"]);
    assert_eq!(out.status.code(), Some(0));
    let s = stdout(&out);
    let names: Vec<&str> = s
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    let all = [
        "default",
        "strict",
        "shell",
        "python",
        "node",
        "build",
        "network-client",
        "plugin",
    ];
    assert_eq!(names, all);
    assert!(s.lines().all(|l| l.split_whitespace().count() > 3));
    // Each says in a header comment what it allows, and loads here.
    for name in all {
        let yaml = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("profiles/{name}.yaml")),
        )
        .unwrap();
        assert!(
            yaml.starts_with(&format!("# stockade built-in profile: {name}\n#\n# ")),
            "{name}"
        );
        let out = stockade_cmd(&["check", name]);
        assert_eq!(stdout(&out), format!("{name}: ok\n"), "{}", stderr(&out));
    }
}

#[test]
fn command_line_binds_override_the_profile_and_rules_follow_symlinks() {
    // `--ro $PWD` under default: the working directory is read-only, and
    // the profile's write rule on it does not make that an error.
    let dir = workdir(Mode::Rootless, "cli-ro-pwd");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stockade"))
        .current_dir(&dir)
        .args(["run", "-q", "--ro"])
        .arg(&dir)
        .args([
            "--",
            "sh",
            "-c",
            "touch x 2>&1 | grep -c Read-only; ls -d $PWD",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("1\n{}\n", dir.display()));
    assert!(!dir.join("x").exists());
    // A rule on /bin, which merged-/usr systems link to usr/bin.
    let p = dir.join("bin-rule.yaml");
    std::fs::write(
        &p,
        "version: 1\nextends: default\nlandlock:\n  read: [/bin]\n",
    )
    .unwrap();
    let out = stockade_cmd(&["check", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn check_accepts_builtins_and_reports_errors_with_position() {
    let out = stockade_cmd(&["check", "default", "strict"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "default: ok\nstrict: ok\n");
    let dir = scratch_root().join("check");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(
        &bad,
        "version: 1\nhostname: sandbox\nnamespaces: [user, pid, mount, nett]\n",
    )
    .unwrap();
    let out = stockade_cmd(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(125));
    let e = stderr(&out);
    assert!(e.contains(&format!("{}:3:", bad.display())), "{e}");
    assert!(e.contains("did you mean 'net'?"), "{e}");
}

#[test]
fn usage_errors_exit_125() {
    assert_eq!(
        stockade_cmd(&["run", "--bogus", "--", "true"])
            .status
            .code(),
        Some(125)
    );
    assert_eq!(stockade_cmd(&["run"]).status.code(), Some(125));
    let out = stockade_cmd(&["run", "--env", "NOVALUE", "--", "true"]);
    assert_eq!(out.status.code(), Some(125));
    assert_eq!(
        stderr(&out),
        "stockade: --env NOVALUE: expected NAME=VALUE\n"
    );
    let out = stockade_cmd(&["run", "--user", "x:y", "--", "true"]);
    assert_eq!(out.status.code(), Some(125));
    let out = stockade_cmd(&["run", "--timeout", "soon", "--", "true"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        stderr(&out).starts_with("stockade: command line: invalid wall_time 'soon'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn explain_shows_origins_and_disassembles_filters() {
    let out = stockade_cmd(&["explain", "-p", "strict", "--seccomp"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = stdout(&out);
    let read = s
        .lines()
        .find(|l| l.trim_start().starts_with("read "))
        .unwrap();
    assert!(
        read.contains("@basic-io (built-in profile 'strict':"),
        "{read}"
    );
    let socket = s
        .lines()
        .find(|l| l.trim_start().starts_with("socket "))
        .unwrap();
    assert!(socket.contains("if args[0] == 0x1"), "{socket}");
    assert!(s.contains("ptrace                   errno EPERM"), "{s}");
    for arch in ["x86_64", "aarch64"] {
        let out = stockade_cmd(&["explain", "-p", "default", "--bpf", "--arch", arch]);
        let s = stdout(&out);
        // --bpf adds the filter to the whole explanation.
        assert!(s.starts_with("namespaces: "), "{s}");
        assert!(s.contains("\nfilter 1/1"), "{s}");
        assert!(s.contains("sandbox (") && s.contains(&format!("for {arch}")));
        assert!(s.contains("reports kills"), "{s}");
        assert!(s.contains("ret USER_NOTIF") && s.contains("ret KILL_PROCESS"));
        // Syscall numbers and argument constants are named.
        for name in [
            "; ioctl",
            "; TIOCSTI",
            "; AF_VSOCK",
            "; AF_UNIX",
            "; O_CREAT",
            "; S_ISUID",
        ] {
            assert!(s.contains(name), "{name} in {s}");
        }
    }
    let out = stockade_cmd(&["explain", "--bpf", "--arch", "sparc"]);
    assert_eq!(out.status.code(), Some(125));
}

#[test]
fn explain_json_holds_the_whole_policy_with_origins() {
    let out = stockade_cmd(&["explain", "--json", "-p", "network-client"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["profile"], "network-client");
    assert!(!v["namespaces"].as_array().unwrap().contains(&"net".into()));
    let usr = &v["filesystem"][0];
    assert_eq!(
        (
            usr["op"].as_str(),
            usr["dest"].as_str(),
            usr["writable"].as_bool()
        ),
        (Some("bind"), Some("/usr"), Some(false))
    );
    assert!(
        usr["origin"]
            .as_str()
            .unwrap()
            .starts_with("built-in profile 'default':"),
        "{usr}"
    );
    assert_eq!(
        v["landlock"]["tcp_connect"],
        serde_json::json!([53, 80, 443])
    );
    assert_eq!(v["landlock"]["tcp_bind"], serde_json::json!([]));
    let listen = v["seccomp"]["deny"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["syscall"] == "listen")
        .unwrap();
    assert_eq!(listen["errno"], "EPERM");
    assert!(listen["origin"]
        .as_str()
        .unwrap()
        .starts_with("built-in profile 'network-client':"));
    // clone3 is answered first, so it is not among the allowed entries, and
    // the count is the status stream's.
    let allow = v["seccomp"]["allow"].as_array().unwrap();
    assert!(allow.iter().all(|e| e["syscall"] != "clone3"));
    let names: std::collections::BTreeSet<&str> = allow
        .iter()
        .map(|e| e["syscall"].as_str().unwrap())
        .collect();
    assert_eq!(
        v["seccomp"]["allowed_syscalls"].as_u64(),
        Some(names.len() as u64)
    );
    let text = stdout(&stockade_cmd(&[
        "explain",
        "-p",
        "network-client",
        "--seccomp",
    ]));
    assert!(
        text.contains(&format!("seccomp allow ({} syscalls)", names.len())),
        "{text}"
    );
}

#[test]
fn completions_man_page_and_version_describe_the_command() {
    for shell in ["bash", "zsh", "fish"] {
        let out = stockade_cmd(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let s = stdout(&out);
        for word in ["explain", "trace-setup", "cgroup-parent"] {
            assert!(s.contains(word), "{shell} completion lacks {word}");
        }
    }
    let out = stockade_cmd(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).starts_with(".ie"), "{}", stdout(&out));
    assert!(stdout(&out).contains(".TH stockade 1"));
    let out = stockade_cmd(&["--version"]);
    let s = stdout(&out);
    assert!(
        s.starts_with(&format!("stockade {}", env!("CARGO_PKG_VERSION"))),
        "{s}"
    );
    assert!(s.contains("landlock ABI on this kernel: "), "{s}");
    assert_eq!(
        stockade_cmd(&["completions", "tcsh"]).status.code(),
        Some(125)
    );
}

#[test]
fn explain_does_not_list_what_the_built_in_filters_always_answer() {
    let out = stockade_cmd(&["explain", "-p", "default", "--seccomp"]);
    let s = stdout(&out);
    let allowed: Vec<&str> = s
        .lines()
        .skip_while(|l| !l.starts_with("seccomp allow ("))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert!(allowed.len() > 100, "{s}");
    assert!(
        !allowed
            .iter()
            .any(|l| l.trim_start().starts_with("clone3 ")),
        "{s}"
    );
    assert!(s.contains("clone3                   always: ENOSYS"), "{s}");
    // The count agrees with the status stream's.
    let n: usize = s
        .lines()
        .find_map(|l| {
            l.strip_prefix("seccomp allow (")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap();
    assert_eq!(n, allowed.len());
}

#[test]
fn doctor_checks_every_requirement_and_exits_1_only_on_a_problem() {
    let out = stockade_cmd(&["doctor"]);
    let s = stdout(&out);
    for check in [
        "kernel ",
        "user namespaces",
        "seccomp",
        "landlock",
        "other syscall ABIs",
        "cgroup v2",
        "a sandbox",
    ] {
        assert!(
            s.lines()
                .any(|l| (l.starts_with("ok ") || l.starts_with("problem ")) && l.contains(check)),
            "no {check} check: {s}"
        );
    }
    // Every problem says what it breaks and the fix on the next line.
    let lines: Vec<&str> = s.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("problem ") {
            assert!(
                lines
                    .get(i + 1)
                    .is_some_and(|n| n.contains("fix:") || n.contains("see ")),
                "{s}"
            );
        }
    }
    let problems = lines.iter().filter(|l| l.starts_with("problem ")).count();
    assert!(s.ends_with(&format!("{problems} problem(s)\n")), "{s}");
    assert_eq!(out.status.code(), Some(i32::from(problems > 0)), "{s}");
    // Where the tests run, sandboxes start.
    if all_modes_work() {
        assert!(s.contains("ok       a sandbox"), "{s}");
    }
}

/// `stockade check` of a file, from `dir`, ended within 10 s.
fn check_within(dir: &std::path::Path, file: &str) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stockade"))
        .current_dir(dir)
        .args(["check", file])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > end {
            let _ = child.kill();
            panic!("stockade check {file} hung");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

/// tests/data/bad: 46 broken profiles, each refused with its position and
/// reason (EXPECTED), never a panic or a hang; and files that are no
/// profile at all.
#[test]
fn every_bad_profile_is_refused_where_and_why() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad");
    let expected = std::fs::read_to_string(dir.join("EXPECTED")).unwrap();
    let mut named = std::collections::BTreeSet::new();
    for line in expected.lines().filter(|l| !l.starts_with('#')) {
        let mut f = line.split('\t');
        let (file, loc, fragment) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
        named.insert(file.to_string());
        let out = check_within(&dir, file);
        let e = stderr(&out);
        assert_eq!(out.status.code(), Some(125), "{file}: {e}");
        assert!(
            e.starts_with(&format!("stockade: profile {file}:{loc}: ")),
            "{file}: {e}"
        );
        assert!(e.contains(fragment), "{file}: {e}");
        assert!(!e.contains("panicked"), "{file}: {e}");
    }
    let on_disk: std::collections::BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    assert_eq!(
        on_disk, named,
        "every file in tests/data/bad has its line in EXPECTED"
    );
    assert!(named.len() >= 40);
    // Not profiles at all.
    let scratch = workdir(Mode::Root, "bad-files");
    let fifo = scratch.join("fifo.yaml");
    let _ = std::fs::remove_file(&fifo);
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    std::fs::write(scratch.join("huge.yaml"), vec![b'a'; 2 << 20]).unwrap();
    for (file, why) in [
        ("fifo.yaml", "is a FIFO"),
        ("/dev/zero", "is a character device"),
        ("/tmp", "is a directory"),
        ("huge.yaml", "is larger than"),
    ] {
        let out = check_within(&scratch, file);
        assert_eq!(out.status.code(), Some(125), "{file}: {}", stderr(&out));
        assert!(stderr(&out).contains(why), "{file}: {}", stderr(&out));
    }
}

#[test]
fn a_shared_network_the_filter_refuses_is_reported() {
    // `check` resolves without launching: a profile that shares the host's
    // network (no `net` namespace) under strict's filter, which answers
    // IP sockets with EAFNOSUPPORT.
    let dir = workdir(Mode::Rootless, "cli-net");
    let yaml = "version: 1\nextends: strict\nnamespaces: [user, pid, mount, ipc, uts]\n";
    std::fs::write(dir.join("shared-net.yaml"), yaml).unwrap();
    let out = check_within(&dir, "shared-net.yaml");
    let s = stdout(&out);
    assert!(
        s.contains("warning: the host's network is shared (no `net` namespace), but the profile's seccomp filter answers socket(AF_INET) with EAFNOSUPPORT"),
        "{s}{}",
        stderr(&out)
    );
    // default allows IP sockets: nothing to say.
    let yaml = "version: 1\nextends: default\nnamespaces: [user, pid, mount, ipc, uts]\n";
    std::fs::write(dir.join("shared-ok.yaml"), yaml).unwrap();
    let out = check_within(&dir, "shared-ok.yaml");
    assert!(
        !stdout(&out).contains("network is shared"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn the_status_stream_reports_errors_before_the_launch() {
    // A reader of --status-fd learns why nothing started: here a profile
    // that does not exist, and one that does not resolve.
    for (args, fragment) in [
        (vec!["-p", "nosuch"], "no profile named 'nosuch'"),
        (
            vec!["--chdir", "/nowhere"],
            "cwd /nowhere is not part of the sandbox's view",
        ),
    ] {
        let mut all = vec!["run", "--status-fd", "1"];
        all.extend(args);
        all.extend(["--", "true"]);
        let out = stockade_cmd(&all);
        assert_eq!(out.status.code(), Some(125));
        let line = stdout(&out);
        let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
        assert_eq!(v["event"], "exited", "{line}");
        assert_eq!(v["outcome"], "setup-error", "{line}");
        assert_eq!(v["exit_code"], 125, "{line}");
        assert!(v["message"].as_str().unwrap().contains(fragment), "{line}");
    }
}

/// A profile with seven independent mistakes.
const SEVEN_MISTAKES: &str = "version: 1\nextends: strict\nhostname: \"bad host\"\nfilesystem:\n  \
    - {bind: /nonexistent-stockade}\n  - {tmpfs: /data, size: 12Q}\nlandlock:\n  rules:\n    \
    - {path: /usr, access: [reed]}\nseccomp:\n  allow: [opne, getpid]\n  deny:\n    \
    - {syscall: ptrace, errno: EPREM}\nlimits:\n  wall_time: 5 fortnights\n";

#[test]
fn check_reports_every_error_at_once_also_as_json() {
    let dir = scratch_root().join("check-all");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("seven.yaml");
    std::fs::write(&bad, SEVEN_MISTAKES).unwrap();
    let bad = bad.to_str().unwrap();
    let want = [
        (3, 11, "invalid hostname 'bad host'"),
        (5, 5, "bind source /nonexistent-stockade"),
        (6, 5, "invalid size '12Q'"),
        (9, 7, "unknown landlock right 'reed'"),
        (11, 11, "unknown syscall 'opne'"),
        (13, 7, "unknown errno 'EPREM' (did you mean 'EPERM'?)"),
        (15, 14, "invalid wall_time '5 fortnights'"),
    ];
    let out = stockade_cmd(&["check", bad]);
    assert_eq!(out.status.code(), Some(125));
    let err = stderr(&out);
    let firsts: Vec<&str> = err.lines().filter(|l| l.starts_with("stockade:")).collect();
    assert_eq!(firsts.len(), want.len(), "{err}");
    for (line, (l, c, msg)) in firsts.iter().zip(want) {
        assert!(line.contains(&format!("{bad}:{l}:{c}: ")), "{line}");
        assert!(line.contains(msg), "{line}");
    }
    let out = stockade_cmd(&["check", "--json", bad, "strict"]);
    assert_eq!(out.status.code(), Some(125));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["profile"], bad);
    assert_eq!(v[0]["ok"], false);
    let errors = v[0]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), want.len(), "{v}");
    for (e, (l, c, msg)) in errors.iter().zip(want) {
        assert_eq!(
            (e["file"].as_str(), e["line"].as_u64(), e["column"].as_u64()),
            (Some(bad), Some(l), Some(c))
        );
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains(msg.split(" (").next().unwrap()),
            "{e}"
        );
    }
    assert_eq!(
        errors[1]["hint"],
        "create it, fix the path, or add 'optional: true'"
    );
    assert_eq!(
        v[1],
        serde_json::json!({"profile": "strict", "ok": true, "errors": [], "warnings": []})
    );
}
