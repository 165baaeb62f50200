//! Real sandboxes, root and rootless: what the payload can see and do,
//! checked from inside and from the host.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn hello_world_runs_in_the_default_profile() {
    each_mode(|mode| {
        let dir = workdir(mode, "hello");
        let out = run_sh(mode, &dir, &[], "echo hello; ls /");
        assert!(out.status.success());
        let s = stdout(&out);
        assert!(s.starts_with("hello\n"));
        for d in ["usr", "etc", "tmp", "proc", "dev"] {
            assert!(s.lines().any(|l| l == d), "/{d} missing from the view: {s}");
        }
    });
}

#[test]
fn pid_namespace_hides_host_processes_and_init_is_pid_1() {
    each_mode(|mode| {
        let dir = workdir(mode, "pid");
        let out = run_sh(
            mode,
            &dir,
            &[],
            "cat /proc/1/comm; echo $$; ls /proc | grep -c '^[0-9]'",
        );
        let s = stdout(&out);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "stockade", "PID 1 must be stockade's init");
        // PIDs 2 and 3 are threads of PID 1: the one that made the network
        // namespace (gone by now) and the warden (`default` kills).
        assert_eq!(lines[1], "4", "the payload is PID 4");
        let visible: u32 = lines[2].parse().unwrap();
        assert!(visible <= 4, "sandbox sees {visible} processes");
        // The host has many more processes than that, and this test's own
        // PID is not visible inside under its host number's command line.
        assert!(std::fs::read_dir("/proc").unwrap().count() > 10);
    });
}

#[test]
fn hostname_is_private() {
    each_mode(|mode| {
        let dir = workdir(mode, "uts");
        let before = nix::unistd::gethostname().unwrap();
        let out = run_sh(
            mode,
            &dir,
            &["--hostname", "stk-inner"],
            "cat /proc/sys/kernel/hostname",
        );
        assert_eq!(stdout(&out).trim(), "stk-inner");
        let out = run_sh(mode, &dir, &[], "cat /proc/sys/kernel/hostname");
        assert_eq!(stdout(&out).trim(), "sandbox");
        assert_eq!(nix::unistd::gethostname().unwrap(), before);
    });
}

fn interfaces(dev: &str) -> Vec<String> {
    dev.lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(|s| s.trim().to_string())
        .collect()
}

#[test]
fn network_is_loopback_only_unless_host() {
    each_mode(|mode| {
        let dir = workdir(mode, "net");
        let out = run_sh(mode, &dir, &[], "cat /proc/net/dev");
        assert_eq!(interfaces(&stdout(&out)), ["lo"]);
        if have("/usr/bin/ip", "the loopback state check uses ip (iproute2)") {
            let out = run_sh(mode, &dir, &[], "ip -o link show lo");
            assert!(stdout(&out).contains(",UP"), "loopback must be up");
        }
        // Loopback comes up where a socket could use it: `default` allows
        // IP sockets, `strict` none but AF_UNIX (`explain` says which).
        // 127.0.0.1 is in the routing table only while it is up.
        let local = |args: &[&str]| {
            let out = run_sh(
                mode,
                &dir,
                args,
                "grep -c 127.0.0.1 /proc/net/fib_trie || true",
            );
            stdout(&out).trim().to_string()
        };
        assert_ne!(local(&[]), "0", "loopback must be up under default");
        assert_eq!(
            local(&["-p", "strict"]),
            "0",
            "loopback must be down under strict"
        );
        let host = std::fs::read_to_string("/proc/net/dev").unwrap();
        if interfaces(&host).len() > 1 {
            let out = run_sh(mode, &dir, &["--net", "host"], "cat /proc/net/dev");
            assert_eq!(interfaces(&stdout(&out)), interfaces(&host));
        } else {
            skip("--net host comparison: the host has only loopback (the second-kernel run adds a dummy interface)");
        }
    });
}

#[test]
fn binds_are_read_only_or_writable_as_declared() {
    each_mode(|mode| {
        let dir = workdir(mode, "binds");
        let ro = dir.join("ro");
        let rw = dir.join("rw");
        std::fs::create_dir(&ro).unwrap();
        std::fs::create_dir(&rw).unwrap();
        give_to_sandbox(&ro);
        give_to_sandbox(&rw);
        let ro_arg = format!("{}:/data/ro", ro.display());
        let rw_arg = format!("{}:/data/rw", rw.display());
        let out = run_sh(
            mode,
            &dir,
            &["-p", "strict", "--ro", &ro_arg, "--rw", &rw_arg],
            "touch /data/ro/x 2>/dev/null && echo ro-writable; \
             touch /data/rw/y && echo rw-ok; touch /usr/z 2>/dev/null && echo usr-writable; \
             grep ' /data/ro ' /proc/self/mounts",
        );
        let s = stdout(&out);
        assert!(!s.contains("ro-writable"), "{s}");
        assert!(!s.contains("usr-writable"), "{s}");
        assert!(s.contains("rw-ok"), "{s}");
        assert!(s.contains(" ro,"), "/data/ro must be mounted ro: {s}");
        assert!(!ro.join("x").exists());
        assert!(
            rw.join("y").exists(),
            "a write inside must land on the host"
        );
    });
}

#[test]
fn files_outside_the_view_are_absent() {
    each_mode(|mode| {
        let dir = workdir(mode, "outside");
        let secret_dir = scratch_root().join("not-bound");
        std::fs::create_dir_all(&secret_dir).unwrap();
        let script = format!(
            "for p in /root /home /var /srv /boot {} /sys; do test -e $p && echo visible:$p; done; echo done",
            secret_dir.display()
        );
        let out = run_sh(mode, &dir, &["-p", "strict"], &script);
        assert_eq!(stdout(&out), "done\n");
    });
}

/// The host's mount tree is not merely hidden under the view's root but
/// gone from the sandbox's mount namespace: left attached after
/// `pivot_root`, it would sit on top of the root, invisible to path
/// lookups (the test above) but listed in mountinfo and reachable by a
/// lookup that descends into it. The control is the host's own table,
/// which a mount namespace copied from it without the detach lists whole.
#[test]
fn the_host_mount_tree_is_detached_from_the_view() {
    // (mount point, filesystem type) of each line of a mountinfo table.
    fn mounts(table: &str) -> Vec<(String, String)> {
        table
            .lines()
            .filter_map(|l| {
                let (left, right) = l.split_once(" - ")?;
                let point = left.split(' ').nth(4)?;
                Some((point.to_owned(), right.split(' ').next()?.to_owned()))
            })
            .collect()
    }
    let host = mounts(&std::fs::read_to_string("/proc/self/mountinfo").unwrap());
    assert!(
        host.iter().any(|(_, t)| t == "sysfs"),
        "control: the host's table lists sysfs: {host:?}"
    );
    each_mode(|mode| {
        let dir = workdir(mode, "detached");
        let out = run_sh(mode, &dir, &["-p", "strict"], "cat /proc/self/mountinfo");
        let inside = mounts(&stdout(&out));
        let roots: Vec<_> = inside.iter().filter(|(p, _)| p == "/").collect();
        assert_eq!(roots.len(), 1, "one root, the view's: {inside:?}");
        assert_eq!(roots[0].1, "tmpfs", "{inside:?}");
        assert!(
            !inside.iter().any(|(_, t)| t == "sysfs"),
            "no mount of the host tree is left: {inside:?}"
        );
    });
}

#[test]
fn environment_is_scrubbed() {
    each_mode(|mode| {
        let dir = workdir(mode, "env");
        let out = run_sh(mode, &dir, &["--env", "A=1"], "env");
        let s = stdout(&out);
        assert!(!s.contains("hunter2"), "host secret leaked: {s}");
        assert!(s.contains("A=1\n"));
        assert!(s.contains("PATH=/usr/local/bin:"));
        let out = run_sh(
            mode,
            &dir,
            &["--keep-env", "STOCKADE_TEST_SECRET"],
            "echo $STOCKADE_TEST_SECRET",
        );
        assert_eq!(stdout(&out), "hunter2\n");
    });
}

#[test]
fn proc_tunables_are_read_only_and_kernel_files_masked() {
    each_mode(|mode| {
        let dir = workdir(mode, "proc");
        let out = run_sh(
            mode,
            &dir,
            &["--user", "root"],
            "echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo sys-writable; \
             echo x > /proc/sysrq-trigger 2>/dev/null && echo sysrq-writable; \
             for f in keys timer_list kmsg; do test -e /proc/$f && wc -c < /proc/$f; done; echo end; \
             cut -d' ' -f5,6 /proc/self/mountinfo",
        );
        let s = stdout(&out);
        assert!(!s.contains("writable"), "{s}");
        let (reads, mounts) = s.split_once("end\n").expect(&s);
        assert!(reads.lines().all(|l| l == "0"), "{s}");
        // Every masked file this kernel has is covered by its own
        // read-only mount (the masks are copies of one another).
        let masked = [
            "kcore",
            "keys",
            "timer_list",
            "timer_stats",
            "sched_debug",
            "latency_stats",
            "kmsg",
        ];
        let present: Vec<_> = masked
            .iter()
            .filter(|f| std::path::Path::new("/proc").join(f).exists())
            .collect();
        assert!(
            present.len() >= 2,
            "this kernel has too few to test: {present:?}"
        );
        for f in present {
            let line = format!("/proc/{f} ro,");
            assert!(mounts.lines().any(|l| l.starts_with(&line)), "{f}: {s}");
        }
    });
}

/// The /proc directory masks are empty and read-only, and /dev is
/// read-only once built, even for the sandbox's root; the same write
/// succeeds on the writable /tmp (the control).
#[test]
fn proc_directory_masks_are_empty_and_dev_is_read_only() {
    each_mode(|mode| {
        let dir = workdir(mode, "dirmask");
        let out = run_sh(
            mode,
            &dir,
            &["--user", "root"],
            "for d in acpi asound scsi; do test -d /proc/$d && echo \"$d [$(ls -A /proc/$d)]\"; done; \
             for p in /proc/acpi/x /dev/x /tmp/x; do \
               if touch $p 2>/tmp/err; then echo \"$p made\"; else echo \"$p $(cat /tmp/err)\"; fi; \
             done; mkdir /dev/d 2>&1; echo end; cut -d' ' -f5,6 /proc/self/mountinfo",
        );
        let s = stdout(&out);
        let (lines, mounts) = s.split_once("end\n").expect(&s);
        let present: Vec<_> = ["acpi", "asound", "scsi"]
            .into_iter()
            .filter(|d| std::path::Path::new("/proc").join(d).is_dir())
            .collect();
        assert!(
            !present.is_empty(),
            "this kernel has no masked directory to test"
        );
        for d in present {
            assert!(lines.contains(&format!("{d} []\n")), "{d} not empty: {s}");
            let line = format!("/proc/{d} ro,");
            assert!(mounts.lines().any(|l| l.starts_with(&line)), "{d}: {s}");
        }
        for p in ["/proc/acpi/x", "/dev/x"] {
            let refused = format!("{p} touch: cannot touch '{p}': Read-only file system");
            assert!(lines.contains(&refused), "{p}: {s}");
        }
        let mkdir = |l: &&str| l.contains("/dev/d") && l.ends_with("Read-only file system");
        assert!(lines.lines().any(|l| mkdir(&l)), "{s}");
        assert!(
            lines.contains("/tmp/x made"),
            "the control write failed: {s}"
        );
    });
}

#[test]
fn identity_defaults_and_root_opt_in() {
    each_mode(|mode| {
        let dir = workdir(mode, "ids");
        let out = run_sh(mode, &dir, &[], "id -u; id -g; cat /proc/self/uid_map");
        let s = stdout(&out);
        let lines: Vec<&str> = s.lines().collect();
        let expect = if is_root() {
            NOBODY
        } else {
            nix::unistd::getuid().as_raw()
        };
        assert_eq!(lines[0], expect.to_string(), "{s}");
        // Never host root by default.
        let map: Vec<&str> = lines[2].split_whitespace().collect();
        assert_ne!(map[1], "0", "payload must not map to host root: {s}");
        let out = run_sh(
            mode,
            &dir,
            &["--user", "root"],
            "id -u; cat /proc/self/uid_map",
        );
        let s = stdout(&out);
        assert!(s.starts_with("0\n"), "{s}");
        if mode == Mode::Root {
            assert!(stderr(&out).contains("warning: the payload runs as host root"));
        } else {
            assert!(!stderr(&out).contains("warning"));
        }
    });
}

#[test]
fn capabilities_are_gone_and_no_new_privs_set() {
    each_mode(|mode| {
        let dir = workdir(mode, "caps");
        for user in [&[][..], &["--user", "root"][..]] {
            let out = run_sh(
                mode,
                &dir,
                user,
                "grep -E '^(Cap|NoNewPrivs)' /proc/self/status",
            );
            let s = stdout(&out);
            assert_eq!(s.lines().count(), 6, "{s}");
            for l in s.lines() {
                let v = l.split_whitespace().nth(1).unwrap();
                if l.starts_with("NoNewPrivs") {
                    assert_eq!(v, "1");
                } else {
                    assert_eq!(v, "0000000000000000", "{l}");
                }
            }
        }
        // PID 1 empties the bounding set at step 13, before its warden
        // thread exists; both inherit nothing to regain at an exec.
        let out = run_sh(mode, &dir, &["-p", "strict"], "cat /proc/1/task/*/status");
        let s = stdout(&out);
        let bounding: Vec<_> = s.lines().filter(|l| l.starts_with("CapBnd:")).collect();
        assert!(bounding.len() >= 2, "PID 1 and its warden: {s}");
        for l in bounding {
            assert!(l.ends_with("0000000000000000"), "{l}");
        }
    });
}

/// `c` run by `prefix` (a program and its arguments that execs the rest),
/// in the same directory with the same environment.
fn run_by(prefix: &[&str], c: &std::process::Command) -> std::process::Command {
    let mut w = std::process::Command::new(prefix[0]);
    w.args(&prefix[1..]).arg(c.get_program()).args(c.get_args());
    if let Some(d) = c.get_current_dir() {
        w.current_dir(d);
    }
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => w.env(k, v),
            None => w.env_remove(k),
        };
    }
    w
}

/// "Ignore" survives an exec: a launcher started with signals ignored
/// (nohup, a shell's `trap ''`, a library host: Rust ignores SIGPIPE)
/// must not hand that on. The payload starts with every disposition at
/// its default; the same command outside the sandbox, started the same
/// way, inherits the ignored set.
#[test]
fn the_payload_starts_with_every_signal_at_its_default() {
    // SIGHUP, SIGUSR2, SIGPIPE, SIGALRM: bits 0, 11, 12, 13.
    const MASK: u64 = 0x3801;
    let ignoring = ["sh", "-c", "trap '' HUP USR2 PIPE ALRM; exec \"$@\"", "sh"];
    // cat installs no handler of its own (grep catches SIGSEGV).
    let cat = ["cat", "/proc/self/status"];
    let field = |s: &str, name: &str| -> u64 {
        let l = s
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name}: {s}"));
        u64::from_str_radix(l.split_whitespace().nth(1).unwrap(), 16).unwrap()
    };
    let mut control = std::process::Command::new(cat[0]);
    control.args(&cat[1..]);
    let out = run_by(&ignoring, &control).output().unwrap();
    assert_eq!(
        field(&stdout(&out), "SigIgn:") & MASK,
        MASK,
        "control: {}",
        stdout(&out)
    );
    each_mode(|mode| {
        let dir = workdir(mode, "dispositions");
        for profile in ["default", "strict"] {
            let mut c = stockade(mode, &dir);
            c.args(["run", "-q", "-p", profile, "--"]).args(cat);
            let out = run_by(&ignoring, &c).output().unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
            let s = stdout(&out);
            assert_eq!(field(&s, "SigIgn:"), 0, "[{mode:?}] {profile}: {s}");
            assert_eq!(field(&s, "SigCgt:"), 0, "[{mode:?}] {profile}: {s}");
        }
    });
}

#[test]
fn exit_codes_follow_the_conventions() {
    each_mode(|mode| {
        let dir = workdir(mode, "codes");
        let code = |extra: &[&str], script: &str| run_sh(mode, &dir, extra, script).status.code();
        assert_eq!(code(&[], "exit 0"), Some(0));
        assert_eq!(code(&[], "exit 3"), Some(3));
        assert_eq!(code(&[], "kill -9 $$"), Some(137));
        assert_eq!(code(&[], "kill -TERM $$"), Some(143));
        assert_eq!(code(&["--timeout", "300ms"], "sleep 20"), Some(124));
        assert_eq!(code(&["-p", "no-such-profile"], "true"), Some(125));
        let out = stockade(mode, &dir)
            .args(["run", "--", "no-such-command-x"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(127));
        assert!(stderr(&out).contains("command not found in the sandbox"));
        let out = stockade(mode, &dir)
            .args(["run", "--", "/etc/hostname"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    });
}

#[test]
fn time_limit_terminates_then_kills() {
    each_mode(|mode| {
        let dir = workdir(mode, "timeout");
        let start = Instant::now();
        // The payload ignores SIGTERM: the grace period ends in SIGKILL.
        let out = run_sh(
            mode,
            &dir,
            &["--timeout", "500ms"],
            "trap '' TERM; sleep 30.4242",
        );
        assert_eq!(out.status.code(), Some(124));
        assert!(stderr(&out).contains("time limit"));
        assert!(start.elapsed() < Duration::from_secs(10));
        assert!(gone_within("30.4242", 5), "sleeper survived the time limit");
    });
}

/// `stockade ARGS` with its stdout piped, once its payload has printed
/// "ready"; the rest of that output follows in the reader.
fn run_until_ready(
    mode: Mode,
    dir: &Path,
    args: &[&str],
    stdin: Stdio,
) -> (std::process::Child, BufReader<std::process::ChildStdout>) {
    let mut child = stockade(mode, dir)
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    (child, out)
}

#[test]
fn the_launcher_keeps_no_ruleset_open_while_the_sandbox_runs() {
    // The command line leaves its plan to the exit rather than free it
    // (the init shares those pages copy-on-write), but not the plan's one
    // descriptor, the Landlock ruleset the init has applied by then.
    let abi = stockade::sandbox::landlock_abi();
    if abi < 1 {
        skip("Landlock is not enabled in this kernel: the plan holds no ruleset");
        return;
    }
    each_mode(|mode| {
        let dir = workdir(mode, "ruleset");
        let script = "echo ready; cat";
        let args = ["run", "-p", "strict", "--", "sh", "-c", script];
        let (mut child, _) = run_until_ready(mode, &dir, &args, Stdio::piped());
        // setpriv execs stockade, so the child's pid is the launcher's.
        let fds: Vec<String> = std::fs::read_dir(format!("/proc/{}/fd", child.id()))
            .unwrap()
            .flatten()
            .map(|e| std::fs::read_link(e.path()).unwrap_or_default())
            .map(|t| t.display().to_string())
            .collect();
        // End of input ends the payload, and the sandbox with it.
        drop(child.stdin.take());
        assert!(child.wait().unwrap().success());
        // Its standard streams at least: the listing is the launcher's.
        assert!(fds.len() >= 3, "{fds:?}");
        assert!(
            !fds.iter().any(|t| t.contains("landlock")),
            "[{mode:?}] the launcher still holds a Landlock ruleset: {fds:?}"
        );
    });
}

#[test]
fn sigint_reaches_the_payload() {
    each_mode(|mode| {
        let dir = workdir(mode, "sigint");
        let script = "trap 'echo got-int; exit 42' INT; echo ready; while :; do sleep 0.05; done";
        let args = ["run", "--", "sh", "-c", script];
        let (mut child, mut out) = run_until_ready(mode, &dir, &args, Stdio::inherit());
        let mut line = String::new();
        // setpriv execs stockade, so the child's pid is the launcher's.
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGINT,
        )
        .unwrap();
        line.clear();
        out.read_line(&mut line).unwrap();
        assert_eq!(line, "got-int\n");
        assert_eq!(child.wait().unwrap().code(), Some(42));
    });
}

#[test]
fn sigkill_of_the_launcher_kills_the_sandbox() {
    each_mode(|mode| {
        let dir = workdir(mode, "sigkill");
        let token = format!("1000.{}{}", std::process::id(), mode as u8);
        let script = format!("sleep {token} & echo ready; wait");
        let args = ["run", "--", "sh", "-c", &script];
        let (mut child, _) = run_until_ready(mode, &dir, &args, Stdio::inherit());
        assert!(
            !host_processes_with(&token).is_empty(),
            "sleeper not found on the host"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(gone_within(&token, 5), "sandbox outlived its launcher");
    });
}

#[test]
fn double_forked_daemon_dies_with_the_payload() {
    each_mode(|mode| {
        let dir = workdir(mode, "daemon");
        let token = format!("1000.{}{}7", std::process::id(), mode as u8);
        let out = run_sh(
            mode,
            &dir,
            &[],
            &format!("(setsid sleep {token} > /dev/null 2>&1 &); sleep 0.2; echo parent-done"),
        );
        assert_eq!(out.status.code(), Some(0));
        assert!(gone_within(&token, 5), "daemon survived the payload");
    });
}

#[test]
fn bad_profile_reports_file_line_column() {
    each_mode(|mode| {
        let dir = workdir(mode, "badprofile");
        let p = dir.join("bad.yaml");
        std::fs::write(&p, "version: 1\nfilesystem:\n  - {tmpfs: /t, sise: 3}\n").unwrap();
        let out = stockade(mode, &dir)
            .args(["run", "-p", p.to_str().unwrap(), "--", "true"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(125));
        let e = stderr(&out);
        assert!(
            e.starts_with(&format!("stockade: profile {}:3:", p.display())),
            "{e}"
        );
        assert!(e.contains("sise"), "{e}");
        assert_eq!(e.lines().count(), 1 + e.matches("hint:").count(), "{e}");
    });
}

#[test]
fn symlink_in_a_bind_destination_is_refused() {
    each_mode(|mode| {
        let dir = workdir(mode, "symlink");
        let shared = dir.join("shared");
        let victim = dir.join("victim");
        std::fs::create_dir(&shared).unwrap();
        std::fs::create_dir(&victim).unwrap();
        std::fs::write(victim.join("keep"), "host data").unwrap();
        // A writable host directory holds a link that points elsewhere on
        // the host; a mount whose destination passes through it must not
        // land on the link's target.
        symlink(&victim, shared.join("link")).unwrap();
        give_to_sandbox(&shared);
        give_to_sandbox(&victim);
        let rw = format!("{}:/w", shared.display());
        let out = run_sh(
            mode,
            &dir,
            &["-p", "strict", "--rw", &rw, "--tmpfs", "/w/link"],
            "ls /w/link",
        );
        assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
        assert!(stderr(&out).contains("symbolic links"), "{}", stderr(&out));
        assert_eq!(
            std::fs::read_to_string(victim.join("keep")).unwrap(),
            "host data"
        );
    });
}

#[test]
fn setuid_installation_is_refused() {
    if !is_root() {
        skip("making a setuid-root copy needs root");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let bin = scratch_root().join("stockade-suid");
    // Copied by another process, as `binary()` is: a child another test
    // forks meanwhile would inherit a descriptor this process writes the
    // copy through, and the exec below would fail with ETXTBSY.
    let copied = std::process::Command::new("cp")
        .arg(binary())
        .arg(&bin)
        .status()
        .unwrap();
    assert!(copied.success());
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&bin)
        .args(["run", "--", "true"])
        .current_dir(scratch_root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("refusing to run with elevated privileges"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn writable_bind_the_sandbox_user_cannot_write_is_flagged() {
    if !is_root() {
        skip("needs a root launcher (rootless, the sandbox user is the caller)");
        return;
    }
    let dir = workdir(Mode::Root, "rwwarn").join("root-owned");
    // Owned by root, 0755: uid 65534 cannot write it.
    std::fs::create_dir(&dir).unwrap();
    let out = run_sh(Mode::Root, &dir, &[], "touch x 2>/dev/null || echo denied");
    assert_eq!(stdout(&out), "denied\n");
    let e = stderr(&out);
    assert!(
        e.contains("warning:") && e.contains("cannot write to it") && e.contains("fix:"),
        "{e}"
    );
}

#[test]
fn read_only_bind_is_read_only_all_the_way_down() {
    if !is_root() {
        skip("mounting a host submount for this test needs root");
        return;
    }
    let top = workdir(Mode::Root, "rec-ro");
    let inner = top.join("inner");
    std::fs::create_dir(&inner).unwrap();
    let mounted = std::process::Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            "mode=0777",
            "stockade-test",
            inner.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(mounted.success());
    for mode in modes() {
        let arg = format!("{}:/data", top.display());
        let out = run_sh(
            mode,
            &top,
            &["-p", "strict", "--ro", &arg],
            "touch /data/inner/x 2>/dev/null && echo submount-writable; echo checked",
        );
        assert_eq!(stdout(&out), "checked\n");
    }
    let _ = std::process::Command::new("umount").arg(&inner).status();
    assert!(!inner.join("x").exists());
}

#[test]
fn profile_dir_symlink_tmpfs_and_cgroup_namespace() {
    each_mode(|mode| {
        let dir = workdir(mode, "ops");
        let p = dir.join("ops.yaml");
        std::fs::write(
            &p,
            "version: 1\nextends: strict\nnamespaces: [user, pid, mount, net, ipc, uts, cgroup]\n\
             cwd: /work\nfilesystem:\n  - {tmpfs: /work, size: 1M, mode: \"0700\"}\n  \
             - {dir: /work/made, mode: \"0750\"}\n  - {symlink: /work/link, target: made}\n",
        )
        .unwrap();
        let out = stockade(mode, &dir)
            .args(["run", "-p", p.to_str().unwrap(), "--", "sh", "-c"])
            .arg(
                "pwd; stat -c '%a %F' /work /work/made; readlink /work/link; \
                 cat /proc/self/cgroup; df -k /work | tail -1 | awk '{print $2}'",
            )
            .output()
            .unwrap();
        let s = stdout(&out);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(
            lines[..4],
            ["/work", "700 directory", "750 directory", "made"],
            "{}",
            stderr(&out)
        );
        assert_eq!(lines.last(), Some(&"1024"), "tmpfs size: {s}");
        // In a new cgroup namespace every hierarchy's path is its root.
        let cgroups = &lines[4..lines.len() - 1];
        assert!(!cgroups.is_empty());
        assert!(cgroups.iter().all(|l| l.ends_with(":/")), "{s}");
    });
}

/// A mount over a directory earlier entries made covers what they made,
/// and entries after it land on the new mount: PID 1 keeps the directory
/// of the last step open for the next one, and must let go of it when a
/// mount covers it (a kept descriptor would still name the directory
/// underneath, and `over` and `link` would vanish with it).
#[test]
fn entries_after_a_mount_land_on_it_not_under_it() {
    each_mode(|mode| {
        let dir = workdir(mode, "cover");
        let p = dir.join("cover.yaml");
        std::fs::write(
            &p,
            "version: 1\nextends: strict\nfilesystem:\n  - {dir: /work/under}\n  \
             - {tmpfs: /work, size: 1M}\n  - {dir: /work/over}\n  \
             - {symlink: /work/link, target: over}\n",
        )
        .unwrap();
        let out = stockade(mode, &dir)
            .args(["run", "-p", p.to_str().unwrap(), "--", "sh", "-c"])
            .arg("ls -A /work; stat -f -c %T /work/over")
            .output()
            .unwrap();
        assert_eq!(stdout(&out), "link\nover\ntmpfs\n", "{}", stderr(&out));
    });
}

#[test]
fn a_payload_that_jams_stderr_cannot_crash_the_launcher() {
    // The payload shares the launcher's stderr file description: it makes
    // it non-blocking, fills the pipe, then makes a call strict kills. The
    // launcher must still report the kill (status stream first, then
    // stderr once there is room), with the kill's exit code.
    if !have("/usr/bin/python3", "the payload is a python script") {
        return;
    }
    each_mode(|mode| {
        let dir = workdir(mode, "jam");
        let script = "import fcntl, os, socket\n\
                      fcntl.fcntl(2, fcntl.F_SETFL, fcntl.fcntl(2, fcntl.F_GETFL) | os.O_NONBLOCK)\n\
                      try:\n    while True: os.write(2, b'x' * 4096)\n\
                      except BlockingIOError: pass\n\
                      socket.socket(socket.AF_UNIX).listen()\n";
        let status = dir.join("status");
        let inner = stockade(mode, &dir);
        // The status stream goes to fd 3 of the launcher, a file.
        let mut launcher = std::process::Command::new("sh");
        launcher
            .arg("-c")
            .arg(format!("exec \"$@\" 3>{}", status.display()))
            .arg("sh")
            .arg(inner.get_program())
            .args(inner.get_args())
            .args(["run", "-p", "strict", "--status-fd", "3", "--"])
            .args(["python3", "-c", script])
            .current_dir(&dir)
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null());
        let mut child = launcher.spawn().unwrap();
        let mut err = child.stderr.take().unwrap();
        // Read nothing for a second: the pipe stays full while the launcher
        // wants to report.
        std::thread::sleep(std::time::Duration::from_secs(1));
        let mut all = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut all).unwrap();
        let code = child.wait().unwrap().code();
        let text = String::from_utf8_lossy(&all);
        assert_eq!(code, Some(159), "{}", text.trim_start_matches('x'));
        assert!(
            text.contains("stockade: payload killed by seccomp: listen"),
            "the report was lost: {}",
            text.trim_start_matches('x')
        );
        let s = std::fs::read_to_string(&status).unwrap();
        assert!(
            s.contains("\"event\":\"exited\"") && s.contains("seccomp-violation"),
            "{s}"
        );
    });
}

#[test]
fn init_runs_under_a_filter_of_its_own() {
    // PID 1 reaps and forwards under a filter that allows just that (as
    // bubblewrap's and nsjail's inits do), whatever the payload's profile.
    each_mode(|mode| {
        let dir = workdir(mode, "init-filter");
        for profile in ["default", "strict"] {
            let out = run_sh(
                mode,
                &dir,
                &["-p", profile],
                // Init installs its filter once the payload is forked,
                // alongside the payload's own start: wait for it (5 s).
                "n=0; while ! grep -q '^Seccomp:.2' /proc/1/status && [ $n -lt 50 ]; do \
                 sleep 0.1; n=$((n+1)); done; \
                 grep -E '^Seccomp(_filters)?:' /proc/1/status | tr -d '\\t'; \
                 sleep 0.1 & wait; exit 3",
            );
            assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
            assert_eq!(stdout(&out), "Seccomp:2\nSeccomp_filters:1\n", "{profile}");
        }
    });
}

#[test]
fn the_terminal_is_given_back_as_it_was() {
    // With --no-pty the payload shares the launcher's terminal: it switches it to the
    // N_NULL line discipline (a dead terminal) and raw mode. Without the
    // sandbox that outlives the program (the control); with it, stockade
    // puts the terminal back when the sandbox ends.
    if !have("/usr/bin/python3", "the payload is a python script") {
        return;
    }
    let script = "import fcntl, struct, termios, tty\n\
                  tty.setraw(1)\n\
                  fcntl.ioctl(0, termios.TIOCSETD, struct.pack('i', 27))\n";
    let ldisc = |fd: &std::os::fd::OwnedFd| -> i32 {
        let out = std::process::Command::new("/usr/bin/python3")
            .args([
                "-c",
                "import fcntl, struct, termios; print(struct.unpack('i', fcntl.ioctl(0, termios.TIOCGETD, b'0000'))[0])",
            ])
            .stdin(fd.try_clone().unwrap())
            .output()
            .unwrap();
        stdout(&out).trim().parse().unwrap()
    };
    // The control: the same program, straight on the terminal.
    let pty = nix::pty::openpty(None, None).unwrap();
    let status = std::process::Command::new("/usr/bin/python3")
        .args(["-c", script])
        .stdin(pty.slave.try_clone().unwrap())
        .stdout(pty.slave.try_clone().unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        ldisc(&pty.slave),
        27,
        "control: the attack must change the terminal"
    );
    each_mode(|mode| {
        let dir = workdir(mode, "tty");
        let pty = nix::pty::openpty(None, None).unwrap();
        let before = nix::sys::termios::tcgetattr(&pty.slave).unwrap();
        let out = stockade(mode, &dir)
            .args([
                "run", "-p", "default", "--no-pty", "--", "python3", "-c", script,
            ])
            .stdin(pty.slave.try_clone().unwrap())
            .stdout(pty.slave.try_clone().unwrap())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(ldisc(&pty.slave), 0, "the line discipline stayed changed");
        let after = nix::sys::termios::tcgetattr(&pty.slave).unwrap();
        assert_eq!(
            (after.local_flags, after.input_flags, after.output_flags),
            (before.local_flags, before.input_flags, before.output_flags),
            "the terminal stayed raw"
        );
    });
}

/// 100 MiB to stdout and 20 MiB to stderr at once, from eight processes
/// inside, through pipes: the launcher never stands between them and the
/// reader, so nothing can stall.
#[test]
fn a_hundred_megabytes_of_output_from_several_processes_never_stall() {
    each_mode(|mode| {
        let dir = workdir(mode, "bulk-output");
        let script = "for i in 1 2 3 4; do head -c 26214400 /dev/zero & head -c 5242880 /dev/zero >&2 & done; wait";
        let out = stockade(mode, &dir)
            .args(["run", "--", "sh", "-c", script])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            stderr(&out).chars().take(300).collect::<String>()
        );
        assert_eq!(out.stdout.len(), 100 << 20);
        assert_eq!(out.stderr.len(), 20 << 20);
    });
}

/// `stockade run ls -la` works: everything from the command's first word
/// on is the command's, options included.
#[test]
fn the_command_needs_no_double_dash_and_keeps_its_options() {
    each_mode(|mode| {
        let dir = workdir(mode, "no-dashes");
        let out = stockade(mode, &dir)
            .args([
                "run",
                "-p",
                "strict",
                "sh",
                "-c",
                "echo \"$@\"",
                "x",
                "-v",
                "--ro",
                "/",
            ])
            .output()
            .unwrap();
        assert_eq!(stdout(&out), "-v --ro /\n", "{}", stderr(&out));
        assert_eq!(out.status.code(), Some(0));
    });
}

/// `--timeout 1` is one second, as timeout(1) reads it.
#[test]
fn a_bare_timeout_is_seconds() {
    each_mode(|mode| {
        let dir = workdir(mode, "bare-timeout");
        let start = Instant::now();
        let out = stockade(mode, &dir)
            .args(["run", "-p", "strict", "--timeout", "1", "--", "sleep", "30"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
        assert!(start.elapsed() < Duration::from_secs(20));
        assert!(
            stderr(&out).contains("time limit of 1s reached"),
            "{}",
            stderr(&out)
        );
    });
}

/// The command line is the last layer: `--keep-env PATH` passes the
/// launcher's PATH although the profile sets one.
#[test]
fn keep_env_on_the_command_line_wins_over_the_profile() {
    each_mode(|mode| {
        let dir = workdir(mode, "keep-env");
        let out = stockade(mode, &dir)
            .env("PATH", "/opt/none:/usr/bin:/bin")
            .args([
                "run",
                "-p",
                "strict",
                "--keep-env",
                "PATH",
                "--",
                "sh",
                "-c",
                "echo $PATH",
            ])
            .output()
            .unwrap();
        assert_eq!(
            stdout(&out),
            "/opt/none:/usr/bin:/bin\n",
            "{}",
            stderr(&out)
        );
        // Control: without it, the profile's PATH.
        let out = stockade(mode, &dir)
            .env("PATH", "/opt/none:/usr/bin:/bin")
            .args(["run", "-p", "strict", "--", "sh", "-c", "echo $PATH"])
            .output()
            .unwrap();
        assert!(!stdout(&out).starts_with("/opt/none"), "{}", stdout(&out));
    });
}

/// `-q` silences warnings (here: the working directory `/` is never
/// bound), not errors.
#[test]
fn quiet_silences_warnings_but_not_errors() {
    each_mode(|mode| {
        let out = stockade(mode, Path::new("/"))
            .args(["run", "-p", "default", "--", "true"])
            .output()
            .unwrap();
        assert!(
            stderr(&out).contains("warning: the working directory / is not bound"),
            "{}",
            stderr(&out)
        );
        let out = stockade(mode, Path::new("/"))
            .args(["run", "-q", "-p", "default", "--", "true"])
            .output()
            .unwrap();
        assert_eq!(stderr(&out), "");
        assert_eq!(out.status.code(), Some(0));
        let out = stockade(mode, Path::new("/"))
            .args(["run", "-q", "-p", "default", "--", "no-such-program"])
            .output()
            .unwrap();
        assert!(
            stderr(&out).contains("command not found"),
            "{}",
            stderr(&out)
        );
    });
}

/// `-p NAME` finds `NAME.yaml` in `$XDG_CONFIG_HOME/stockade/profiles`
/// before the built-ins, and `stockade profiles` says where each is from.
#[test]
fn profiles_are_found_in_the_users_config_directory() {
    each_mode(|mode| {
        let dir = workdir(mode, "search-path");
        let profiles = dir.join("config/stockade/profiles");
        std::fs::create_dir_all(&profiles).unwrap();
        std::fs::write(
            profiles.join("mine.yaml"),
            "version: 1\ndescription: my own\nextends: strict\nhostname: mine\n",
        )
        .unwrap();
        // Shadows the built-in of the same name; extends the built-in.
        std::fs::write(
            profiles.join("strict.yaml"),
            "version: 1\ndescription: my strict\nextends: strict\nhostname: shadow\n",
        )
        .unwrap();
        for f in [&dir.join("config"), &dir.join("config/stockade"), &profiles] {
            give_to_sandbox(f);
        }
        for f in ["mine.yaml", "strict.yaml"] {
            give_to_sandbox(&profiles.join(f));
        }
        let run = |p: &str| {
            stockade(mode, &dir)
                .env("XDG_CONFIG_HOME", dir.join("config"))
                .args(["run", "-q", "-p", p, "--", "uname", "-n"])
                .output()
                .unwrap()
        };
        assert_eq!(stdout(&run("mine")), "mine\n", "{}", stderr(&run("mine")));
        assert_eq!(stdout(&run("strict")), "shadow\n");
        let out = stockade(mode, &dir)
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .arg("profiles")
            .output()
            .unwrap();
        let s = stdout(&out);
        assert!(
            s.lines().any(|l| l.starts_with("mine ")
                && l.contains("my own")
                && l.contains("mine.yaml]")),
            "{s}"
        );
        assert!(
            s.lines()
                .any(|l| l.starts_with("strict ") && l.contains("(shadowed by the file above)")),
            "{s}"
        );
    });
}

#[test]
fn name_resolution_follows_a_resolv_conf_symlink_when_the_network_is_shared() {
    // systemd-resolved makes /etc/resolv.conf a symlink into /run, which no
    // view holds: with the host's network shared, stockade binds the
    // link's target where the link points. Control: with a network
    // namespace of its own the sandbox gets no such bind, and the link
    // dangles.
    each_mode(|mode| {
        let dir = workdir(mode, "resolv");
        let etc = dir.join("etc");
        let run = dir.join("run/resolve");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::create_dir_all(&run).unwrap();
        std::fs::write(run.join("stub-resolv.conf"), "nameserver 127.0.0.53\n").unwrap();
        let _ = std::fs::remove_file(etc.join("resolv.conf"));
        std::os::unix::fs::symlink("../run/resolve/stub-resolv.conf", etc.join("resolv.conf"))
            .unwrap();
        let view_etc = format!("{}:/etc", etc.display());
        let shared = run_sh(
            mode,
            &dir,
            &["-q", "--net", "host", "--ro", &view_etc],
            "cat /etc/resolv.conf",
        );
        assert_eq!(
            stdout(&shared),
            "nameserver 127.0.0.53\n",
            "{}",
            stderr(&shared)
        );
        let own = run_sh(
            mode,
            &dir,
            &["-q", "--ro", &view_etc],
            "cat /etc/resolv.conf",
        );
        assert_ne!(own.status.code(), Some(0), "control: {}", stdout(&own));
    });
}

#[test]
fn timings_break_the_start_up_down_in_order() {
    each_mode(|mode| {
        let dir = workdir(mode, "timings");
        let out = run_sh(mode, &dir, &["-q", "-p", "strict", "--timings"], "true");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let err = stderr(&out);
        let lines: Vec<&str> = err
            .lines()
            .skip_while(|l| !l.contains("timings"))
            .skip(1)
            .collect();
        let offsets: Vec<f64> = lines
            .iter()
            .map(|l| {
                l.trim_start_matches("stockade:")
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert!(offsets.windows(2).all(|w| w[0] <= w[1]), "{err}");
        for want in [
            "launcher: read the command line, load and resolve the profile",
            "sandbox step  1: id maps",
            "sandbox step  8: filesystem",
            "sandbox step 26: seccomp",
            "sandbox step 27: exec",
            "payload: exec, run, exit",
            "PID 1: end the sandbox, report",
            "end",
        ] {
            assert!(
                lines.iter().any(|l| l.ends_with(want)),
                "{want:?} missing:\n{err}"
            );
        }
        // Without --trace-setup the steps are not also printed one by one.
        assert!(!err.contains("setup step"), "{err}");
    });
}
