//! What the payload may do with what it sees: Landlock rules, scopes,
//! capabilities, no_new_privs, identity and resource limits. Root and
//! rootless, checked from inside and on the host.

mod common;
use common::*;
use std::io::Read;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn kernel_abi() -> i32 {
    stockade::sandbox::landlock_abi()
}

fn have_python() -> bool {
    let ok = Path::new("/usr/bin/python3").exists();
    if !ok {
        skip("/usr/bin/python3 is missing: the socket probes need it");
    }
    ok
}

/// Lets python open network sockets: `strict`'s seccomp allowlist does not.
const NET_SECCOMP: &str = "seccomp:\n  allow: [\"@system-service\"]\n";

/// A profile file in `dir` extending `strict` with `extra` YAML.
fn profile(dir: &Path, name: &str, extra: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, format!("version: 1\nextends: strict\n{extra}")).unwrap();
    p.to_string_lossy().into_owned()
}

fn run_profile(
    mode: Mode,
    dir: &Path,
    profile: &str,
    extra: &[&str],
    script: &str,
) -> std::process::Output {
    let mut args = vec!["-p", profile];
    args.extend_from_slice(extra);
    run_sh(mode, dir, &args, script)
}

/// On a kernel whose Landlock ABI is below `needs`, the `landlock:` YAML
/// `section` (without `compatibility`) is refused with `hard-requirement`
/// (exit 125, naming the ABI it needs) and runs with `best-effort`, whose
/// `-v` report names what it dropped (`dropped`).
fn assert_compatibility_paths(mode: Mode, dir: &Path, section: &str, needs: i32, dropped: &str) {
    let abi = kernel_abi();
    assert!(abi < needs, "only for kernels without ABI {needs}");
    // Stand-alone profiles: nothing else in them needs a newer ABI.
    let standalone = |name: &str, compat: &str| {
        let p = dir.join(name);
        std::fs::write(
            &p,
            format!("{BARE_VIEW}landlock:\n  compatibility: {compat}\n{section}"),
        )
        .unwrap();
        p.to_string_lossy().into_owned()
    };
    let hard = standalone("compat-hard.yaml", "hard-requirement");
    let out = run_profile(mode, dir, &hard, &[], "echo ran");
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    let e = stderr(&out);
    assert!(
        e.contains(&format!(
            "needs Landlock ABI {needs}, but this kernel provides ABI {abi}"
        )),
        "{e}"
    );
    let soft = standalone("compat-soft.yaml", "best-effort");
    let out = run_profile(mode, dir, &soft, &["-v"], "echo ran");
    assert_eq!(stdout(&out), "ran\n", "{}", stderr(&out));
    let e = stderr(&out);
    assert!(
        e.contains(&format!("landlock ABI {abi}:"))
            && e.contains("dropped: ")
            && e.contains(dropped),
        "{e}"
    );
}

#[test]
fn landlock_filesystem_rules_hold() {
    if kernel_abi() < 1 {
        each_mode(|mode| {
            let dir = workdir(mode, "ll-fs-none");
            assert_compatibility_paths(
                mode,
                &dir,
                "  read: [/usr]\n  execute: [/usr]\n",
                1,
                "filesystem",
            );
        });
        return;
    }
    each_mode(|mode| {
        let dir = workdir(mode, "ll-fs");
        for d in ["granted", "readonly", "denied"] {
            std::fs::create_dir(dir.join(d)).unwrap();
            std::fs::write(dir.join(d).join("f"), "data").unwrap();
            give_to_sandbox(&dir.join(d));
            give_to_sandbox(&dir.join(d).join("f"));
        }
        // A copy of `true` where execution is allowed, and one where it is not.
        for d in ["granted", "readonly"] {
            let t = dir.join(d).join("true");
            std::fs::copy("/usr/bin/true", &t).unwrap();
            std::fs::set_permissions(&t, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let yaml = format!(
            "filesystem:\n  - {{bind: {d}/granted, dest: /g, writable: true}}\n  \
             - {{bind: {d}/readonly, dest: /r, writable: true}}\n  \
             - {{bind: {d}/denied, dest: /d, writable: true}}\n\
             landlock:\n  read: [/g, /r]\n  write: [/g]\n  execute: [/g]\n",
            d = dir.display()
        );
        let p = profile(&dir, "ll.yaml", &yaml);
        let out = run_profile(
            mode,
            &dir,
            &p,
            &[],
            "cat /g/f >/dev/null && echo g-read; echo x > /g/new && echo g-write; /g/true && echo g-exec; \
             cat /r/f >/dev/null && echo r-read; echo x > /r/new 2>/dev/null || echo r-write-denied; \
             /r/true 2>/dev/null || echo r-exec-denied; \
             cat /d/f 2>/dev/null || echo d-read-denied; \
             echo x > /d/new 2>/dev/null || echo d-write-denied",
        );
        assert_eq!(
            stdout(&out),
            "g-read\ng-write\ng-exec\nr-read\nr-write-denied\nr-exec-denied\n\
             d-read-denied\nd-write-denied\n",
            "{}",
            stderr(&out)
        );
        // The host side: only the granted write landed.
        assert!(dir.join("granted/new").exists());
        assert!(!dir.join("readonly/new").exists());
        assert!(!dir.join("denied/new").exists());
        // And the file modes allowed every one of these: the denials are Landlock's.
        let out = run_sh(
            mode,
            &dir,
            &[
                "-p",
                "strict",
                "--rw",
                &format!("{}:/d", dir.join("denied").display()),
            ],
            "cat /d/f",
        );
        assert_eq!(stdout(&out), "data");
    });
}

#[test]
fn landlock_tcp_ports_with_host_network() {
    if kernel_abi() < 4 {
        each_mode(|mode| {
            let dir = workdir(mode, "ll-net-old");
            let section = format!("  net: {{connect: [443]}}\n{NET_SECCOMP}");
            // (NET_SECCOMP is a top-level section after landlock's keys.)
            assert_compatibility_paths(mode, &dir, &section, 4, "network rule 'connect'");
        });
        return;
    }
    if !have_python() {
        return;
    }
    each_mode(|mode| {
        let dir = workdir(mode, "ll-net");
        let allowed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let denied = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let (pa, pd) = (
            allowed.local_addr().unwrap().port(),
            denied.local_addr().unwrap().port(),
        );
        // Two free ports for bind attempts.
        let free = |_| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        };
        let (ba, bd) = (free(0), free(1));
        // default: strict refuses every socket family but AF_UNIX.
        let p = dir.join("net.yaml");
        std::fs::write(
            &p,
            format!("version: 1\nextends: default\nlandlock:\n  net: {{bind: [{ba}], connect: [{pa}]}}\n"),
        )
        .unwrap();
        let p = p.to_string_lossy().into_owned();
        let script = format!(
            "python3 -c '
import socket
def attempt(f):
    s = socket.socket()
    try:
        f(s); print(\"ok\")
    except OSError as e:
        print(\"denied\" if e.errno == 13 else e)
    s.close()
attempt(lambda s: s.connect((\"127.0.0.1\", {pa})))
attempt(lambda s: s.connect((\"127.0.0.1\", {pd})))
attempt(lambda s: s.bind((\"127.0.0.1\", {ba})))
attempt(lambda s: s.bind((\"127.0.0.1\", {bd})))
'"
        );
        let out = run_profile(mode, &dir, &p, &["--net", "host"], &script);
        assert_eq!(stdout(&out), "ok\ndenied\nok\ndenied\n", "{}", stderr(&out));
        // The allowed connection really reached the host listener.
        allowed.set_nonblocking(true).unwrap();
        assert!(allowed.accept().is_ok(), "host listener saw no connection");
        denied.set_nonblocking(true).unwrap();
        assert!(denied.accept().is_err(), "denied port was reached");
    });
}

#[test]
fn landlock_scopes_block_signals_and_abstract_sockets_outside() {
    if kernel_abi() < 6 {
        each_mode(|mode| {
            let dir = workdir(mode, "ll-scope-old");
            // The default scopes are dropped quietly, even under
            // hard-requirement; declared ones are not.
            let p = dir.join("implicit.yaml");
            std::fs::write(
                &p,
                format!("{BARE_VIEW}landlock:\n  compatibility: hard-requirement\n"),
            )
            .unwrap();
            let out = run_profile(mode, &dir, &p.to_string_lossy(), &[], "echo ran");
            assert_eq!(stdout(&out), "ran\n", "{}", stderr(&out));
            assert_compatibility_paths(mode, &dir, "  scopes: [signal]\n", 6, "scopes");
        });
        return;
    }
    each_mode(|mode| {
        let dir = workdir(mode, "ll-scope");
        // PID 1 (stockade's init) is outside the payload's Landlock domain.
        let out = run_sh(
            mode,
            &dir,
            &["-p", "strict"],
            "kill -0 1 2>/dev/null && echo signal-sent || echo signal-denied",
        );
        assert_eq!(stdout(&out), "signal-denied\n");
        let open = profile(
            &dir,
            "noscope.yaml",
            &format!("landlock:\n  scopes: []\n{NET_SECCOMP}"),
        );
        let scoped = profile(&dir, "scoped.yaml", NET_SECCOMP);
        let out = run_profile(mode, &dir, &open, &[], "kill -0 1 && echo signal-sent");
        assert_eq!(
            stdout(&out),
            "signal-sent\n",
            "the differential pair must differ"
        );

        if !have_python() {
            return;
        }
        // A host process listens on an abstract socket; the sandbox shares
        // the host network namespace, so only the scope stands in the way.
        let name = format!("stockade-test-{}-{}", std::process::id(), mode as u8);
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let listener = std::os::unix::net::UnixListener::bind_addr(&addr).unwrap();
        let script = format!(
            "python3 -c '
import socket
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(\"\\0{name}\"); print(\"connected\")
except OSError as e:
    print(\"denied\" if e.errno == 1 else e)
'"
        );
        let out = run_profile(mode, &dir, &scoped, &["--net", "host"], &script);
        assert_eq!(stdout(&out), "denied\n", "{}", stderr(&out));
        let out = run_profile(mode, &dir, &open, &["--net", "host"], &script);
        assert_eq!(stdout(&out), "connected\n", "{}", stderr(&out));
        listener.set_nonblocking(true).unwrap();
        assert!(listener.accept().is_ok());
    });
}

#[test]
fn hard_requirement_refuses_what_the_kernel_cannot_enforce() {
    let abi = kernel_abi();
    if abi >= 9 {
        // Nothing to refuse: the same profile runs.
        each_mode(|mode| {
            let dir = workdir(mode, "ll-hard");
            let p = profile(
                &dir,
                "hard.yaml",
                "landlock:\n  compatibility: hard-requirement\n  rules:\n    - {path: /tmp, access: [resolve-unix]}\n",
            );
            let out = run_profile(mode, &dir, &p, &[], "echo ran");
            assert_eq!(stdout(&out), "ran\n", "{}", stderr(&out));
        });
        return;
    }
    each_mode(|mode| {
        let dir = workdir(mode, "ll-hard");
        assert_compatibility_paths(
            mode,
            &dir,
            "  read: [/usr]\n  execute: [/usr]\n  rules:\n    - {path: /tmp, access: [resolve-unix]}\n",
            9,
            "filesystem rights resolve-unix",
        );
    });
}

#[test]
fn setuid_root_binary_runs_without_privilege() {
    if !is_root() {
        skip("making a setuid-root binary needs root");
        return;
    }
    each_mode(|mode| {
        let dir = workdir(mode, "suid");
        let id = dir.join("id");
        std::fs::copy("/usr/bin/id", &id).unwrap();
        std::os::unix::fs::chown(&id, Some(0), Some(0)).unwrap();
        std::fs::set_permissions(&id, std::fs::Permissions::from_mode(0o4755)).unwrap();
        for user in [&[][..], &["--user", "1000"][..]] {
            let out = run_sh(mode, &dir, user, "./id -u; ./id -ru");
            let s = stdout(&out);
            let lines: Vec<&str> = s.lines().collect();
            assert_eq!(lines.len(), 2, "{}", stderr(&out));
            assert_eq!(lines[0], lines[1], "euid changed: setuid took effect");
            assert_ne!(lines[0], "0");
        }
    });
}

#[test]
fn configured_identity_and_no_supplementary_groups() {
    each_mode(|mode| {
        let dir = workdir(mode, "ident");
        let out = run_sh(mode, &dir, &["--user", "1234:4321"], "id -u; id -g; id -G");
        assert_eq!(stdout(&out), "1234\n4321\n4321\n", "{}", stderr(&out));
        if is_root() {
            // A root launcher drops root's supplementary groups.
            let out = run_sh(mode, &dir, &[], "grep Groups /proc/self/status");
            let groups = stdout(&out).replace("Groups:", "");
            assert!(!groups.split_whitespace().any(|g| g == "0"), "{groups}");
        }
    });
}

fn limits_of(s: &str, name: &str) -> (String, String) {
    let line = s
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("{name} in {s}"));
    let rest: Vec<&str> = line[name.len()..].split_whitespace().collect();
    (rest[0].to_string(), rest[1].to_string())
}

#[test]
fn rlimits_are_set_as_declared_and_enforced() {
    each_mode(|mode| {
        let dir = workdir(mode, "rlimits");
        let p = profile(
            &dir,
            "limits.yaml",
            "limits:\n  cpu_time: 7s\n  address_space: 3G\n  data: 2G\n  file_size: 64K\n  \
             open_files: 77\n  processes: 12\n  core: 0\n  stack: 8M\n  locks: 33\n  memlock: 64K\n  \
             msgqueue: 100K\n  sigpending: 99\n  nice: 0\n  rtprio: 0\n",
        );
        let out = run_profile(mode, &dir, &p, &[], "cat /proc/self/limits");
        let s = stdout(&out);
        for (name, value) in [
            ("Max cpu time", "7"),
            ("Max address space", "3221225472"),
            ("Max data size", "2147483648"),
            ("Max file size", "65536"),
            ("Max open files", "77"),
            ("Max processes", "12"),
            ("Max core file size", "0"),
            ("Max stack size", "8388608"),
            ("Max file locks", "33"),
            ("Max locked memory", "65536"),
            ("Max msgqueue size", "102400"),
            ("Max pending signals", "99"),
            ("Max nice priority", "0"),
            ("Max realtime priority", "0"),
        ] {
            assert_eq!(limits_of(&s, name), (value.into(), value.into()), "{name}");
        }
        // file_size: a write past 64K is stopped (SIGXFSZ kills head: 128+25).
        let out = run_profile(
            mode,
            &dir,
            &p,
            &[],
            "head -c 200000 /dev/zero > /tmp/big; echo status=$?; wc -c < /tmp/big",
        );
        assert_eq!(stdout(&out), "status=153\n65536\n", "{}", stderr(&out));
        // processes: counted inside the sandbox's user namespace only, so a
        // fork loop stops at the limit no matter what the uid runs on the host.
        let out = run_profile(
            mode,
            &dir,
            &p,
            &[],
            // dash gives up at the first failed fork, saying why.
            // The sleeps outlast the loop however slow the machine.
            "n=0; while [ $n -lt 40 ]; do sleep 60 & n=$((n+1)); done 2>&1; echo all-forked",
        );
        assert!(!stdout(&out).contains("all-forked"), "{}", stdout(&out));
        assert!(stdout(&out).contains("Cannot fork"), "{}", stderr(&out));
        // open_files.
        let out = run_profile(mode, &dir, &p, &[], "ulimit -n");
        assert_eq!(stdout(&out), "77\n");
    });
}

#[test]
fn core_dumps_are_off_by_default() {
    each_mode(|mode| {
        let dir = workdir(mode, "core");
        let out = run_sh(mode, &dir, &[], "ulimit -c");
        assert_eq!(stdout(&out), "0\n");
    });
}

#[test]
fn landlock_report_in_verbose_output() {
    each_mode(|mode| {
        let dir = workdir(mode, "ll-report");
        let out = run_sh(mode, &dir, &["-v"], "true");
        let e = stderr(&out);
        let abi = kernel_abi();
        if abi >= 1 {
            assert!(e.contains(&format!("landlock ABI {}:", abi.min(10))), "{e}");
        } else {
            assert!(e.contains("not enforced"), "{e}");
        }
    });
}

#[test]
fn write_rule_on_read_only_bind_is_an_error() {
    let dir = workdir(Mode::Rootless, "ll-ro");
    let p = profile(&dir, "bad.yaml", "landlock:\n  write: [/usr/lib]\n");
    let mut out = String::new();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stockade"))
        .args(["check", &p])
        .current_dir(&dir)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(125));
    assert!(
        out.contains("bad.yaml:4:") && out.contains("read-only bind"),
        "{out}"
    );
}
