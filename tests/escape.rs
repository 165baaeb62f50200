//! Escape tests: every invariant in DESIGN.md and every guarantee in
//! SECURITY.md attacked from inside the sandbox by `escape/attacker.c`, one
//! attack per sandbox, under `default` and `strict`, with a root launcher
//! and rootless, and checked from the host side where there is one.
//!
//! Each attack also runs as a control, without the sandbox (or with the
//! guarding layer off), where the same probe must print ESCAPED: an attack
//! counts as held only when the sandbox's own answer differs from what the
//! host gives the same call, never because the call failed for an
//! unrelated reason.

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The attacker, compiled once (static, so it also runs in a bare chroot).
fn attacker() -> Option<PathBuf> {
    let src = include_str!("escape/attacker.c");
    compile_c("attacker", src)
}

/// Processes the fork bomb wants and MiB the memory bomb touches: above
/// the limits every shipped profile sets (at most 1,024 processes, 1 GiB
/// of data per process), so the bombs run against the profiles as shipped.
const FORKS: &str = "2000";
const MEGS: &str = "1536";

/// How the control run escapes.
#[derive(Clone, Copy, Debug)]
enum Control {
    /// Straight on the host, as the test's user (root in CI).
    Host,
    /// On the host in new namespaces (`unshare` flags), as root.
    Unshare(&'static [&'static str]),
    /// chroot'ed (not pivoted) into a directory holding only the attacker,
    /// with the working directory left outside and /proc bound in.
    Chroot,
    /// Inside a sandbox of the base profile without the bomb limits.
    SandboxNoLimits,
}

struct Attack {
    name: &'static str,
    /// Argument inside the sandbox.
    arg: String,
    /// Argument of the control run.
    control_arg: String,
    control: Control,
}

fn attack(name: &'static str, arg: &str, control: Control, control_arg: &str) -> Attack {
    Attack {
        name,
        arg: arg.into(),
        control_arg: control_arg.into(),
        control,
    }
}

#[derive(Debug)]
struct Run {
    code: Option<i32>,
    out: String,
    err: String,
}

fn finish(mut c: Command) -> Run {
    let out = c.output().unwrap();
    Run {
        code: out.status.code(),
        out: stdout(&out),
        err: stderr(&out),
    }
}

/// Every command of this file runs through this wrapper: it leaks fd 7
/// (not close-on-exec) into what it starts, the way a careless host
/// would, so the `fds` attack has something to find.
fn leaking(program: &Path) -> Command {
    let mut c = Command::new("sh");
    c.args(["-c", "exec 7</dev/null; exec \"$@\"", "sh"]);
    c.arg(program);
    c
}

/// The host's (same user's) pseudo-terminal, as the payload's stdin.
fn terminal() -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
    let pty = nix::pty::openpty(None, None).unwrap();
    (pty.master, pty.slave)
}

fn in_sandbox(mode: Mode, dir: &Path, bin: &Path, profile: &str, a: &Attack, arg: &str) -> Run {
    let probe = format!("{}:/attacker", bin.display());
    let mut c = stockade(mode, dir);
    let mut wrapped = leaking(Path::new(c.get_program()));
    wrapped.args(c.get_args());
    wrapped.current_dir(dir);
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            wrapped.env(k, v);
        }
    }
    c = wrapped;
    c.args(["run", "-p", profile, "--ro", &probe]);
    c.args(["--", "/attacker", a.name, arg]);
    let _pty;
    if a.name == "tiocsti" {
        let (master, slave) = terminal();
        _pty = master;
        c.stdin(Stdio::from(slave));
    }
    finish(c)
}

fn control(dir: &Path, bin: &Path, a: &Attack) -> Run {
    let args = [a.name, a.control_arg.as_str()];
    match a.control {
        Control::Host => {
            let mut c = leaking(bin);
            c.args(args).env("STOCKADE_TEST_SECRET", "hunter2");
            let _pty;
            if a.name == "tiocsti" {
                // A controlling terminal of its own: setsid -c.
                let (master, slave) = terminal();
                _pty = master;
                c = Command::new("setsid");
                c.arg("-c").arg(bin).args(args);
                c.stdin(Stdio::from(slave));
            }
            finish(c)
        }
        Control::Unshare(flags) => {
            let mut c = Command::new("unshare");
            c.args(flags).arg(bin).args(args);
            finish(c)
        }
        Control::Chroot => {
            let root = dir.join(format!("chroot-{}", a.name));
            let _ = std::fs::create_dir_all(root.join("proc"));
            std::fs::copy(bin, root.join("attacker")).unwrap();
            let script = format!(
                "mount --bind /proc {r}/proc && cd / && exec python3 -c \
                 'import os, sys; os.chroot(sys.argv[1]); os.execv(\"/attacker\", [\"/attacker\"] + sys.argv[2:])' \
                 {r} {a} {arg}",
                r = root.display(),
                a = a.name,
                arg = a.control_arg
            );
            let mut c = Command::new("unshare");
            c.args(["--mount", "--propagation", "private", "sh", "-c", &script]);
            finish(c)
        }
        Control::SandboxNoLimits => {
            let profile = unlimited_profile(dir);
            in_sandbox(modes()[0], dir, bin, &profile, a, &a.control_arg)
        }
    }
}

/// Held means: the attacker says "blocked" (an answer the sandbox gives),
/// or its sandbox was killed for the attempt (seccomp: 159; the kernel's
/// SIGSYS for the other ABIs: 159 too).
fn assert_held(r: &Run, what: &str) {
    let killed = r.code == Some(128 + libc::SIGSYS);
    assert!(
        killed || (r.code == Some(0) && r.out.starts_with("blocked")),
        "{what}: not held: exit {:?}: {}{}",
        r.code,
        r.out,
        r.err
    );
}

fn assert_escaped(r: &Run, what: &str) {
    assert!(
        r.code == Some(0) && r.out.starts_with("ESCAPED"),
        "control {what}: the probe does not see this attack succeed outside the sandbox, \
         so its verdict inside proves nothing: exit {:?}: {}{}",
        r.code,
        r.out,
        r.err
    );
}

/// The shipped profiles the attacks run under, as shipped.
fn profiles_for(_dir: &Path) -> Vec<(String, &'static str)> {
    ["default", "strict"]
        .into_iter()
        .map(|base| (base.to_string(), base))
        .collect()
}

/// `default` with its bomb limits raised as far as this launcher may
/// (the hard process limit it has; 64 GiB of data), for the bombs'
/// control run.
fn unlimited_profile(dir: &Path) -> String {
    use nix::sys::resource::{getrlimit, Resource};
    let (_, hard) = getrlimit(Resource::RLIMIT_NPROC).unwrap();
    let processes = hard.min(1 << 20);
    assert!(
        processes > FORKS.parse().unwrap(),
        "the launcher's hard process limit ({processes}) is below the fork bomb's {FORKS}"
    );
    let p = dir.join("default-unlimited.yaml");
    let yaml =
        format!("version: 1\nextends: default\nlimits: {{processes: {processes}, data: 64G}}\n");
    std::fs::write(&p, yaml).unwrap();
    p.to_string_lossy().into_owned()
}

/// Host-side targets the attacks aim at; they live as long as the test.
struct Targets {
    outside: String,
    abstract_name: String,
    _abstract: std::os::unix::net::UnixListener,
    sock_path: PathBuf,
    _path_sock: std::os::unix::net::UnixListener,
    tcp: std::net::TcpListener,
    sleeper: std::process::Child,
}

impl Drop for Targets {
    fn drop(&mut self) {
        let _ = self.sleeper.kill();
        let _ = self.sleeper.wait();
        let _ = std::fs::remove_file(&self.sock_path);
    }
}

fn targets(tag: &str) -> Targets {
    use std::os::linux::net::SocketAddrExt;
    let outside = scratch_root().join(format!("outside-{tag}"));
    std::fs::write(&outside, "host secret").unwrap();
    give_to_sandbox(&outside);
    let abstract_name = format!("stockade-escape-{}-{tag}", std::process::id());
    let addr =
        std::os::unix::net::SocketAddr::from_abstract_name(abstract_name.as_bytes()).unwrap();
    let sock_path = scratch_root().join(format!("host-{tag}.sock"));
    let _ = std::fs::remove_file(&sock_path);
    Targets {
        outside: outside.to_string_lossy().into_owned(),
        abstract_name,
        _abstract: std::os::unix::net::UnixListener::bind_addr(&addr).unwrap(),
        _path_sock: std::os::unix::net::UnixListener::bind(&sock_path).unwrap(),
        sock_path,
        tcp: std::net::TcpListener::bind("127.0.0.1:0").unwrap(),
        sleeper: Command::new("sleep").arg("600").spawn().unwrap(),
    }
}

fn attacks(t: &Targets, scratch: &Path, mode: Mode) -> Vec<Attack> {
    use Control::*;
    let me = std::process::id().to_string();
    let sleeper = t.sleeper.id().to_string();
    let port = t.tcp.local_addr().unwrap().port().to_string();
    let sock = t.sock_path.to_string_lossy().into_owned();
    let scratch_file = scratch.join("created-by-control");
    let _ = std::fs::remove_file(&scratch_file);
    let scratch_file = scratch_file.to_string_lossy().into_owned();
    let suid_file = scratch.join("suid-probe").to_string_lossy().into_owned();
    let mut v = vec![
        attack("read-outside", &t.outside, Host, &t.outside),
        attack("write-system", "/usr/stockade-escape", Host, &scratch_file),
        attack("dotdot", "", Chroot, ""),
        attack("fds", "", Host, ""),
        attack("open-by-handle", "", Host, ""),
        attack("proc-exe", "1", Host, &me),
        attack("proc-root", "1", Chroot, &sleeper),
        attack("proc-cmdline", "1:--ro", Host, &format!("{sleeper}:600")),
        attack("ptrace", "1", Host, &sleeper),
        attack("vm-read", "1", Host, &me),
        attack("signal-host", &me, Host, &me),
        attack("abstract-socket", &t.abstract_name, Host, &t.abstract_name),
        attack("path-socket", &sock, Host, &sock),
        attack("tcp-loopback", &port, Host, &port),
        attack("tiocsti", "", Host, ""),
        attack("tioclinux", "", Host, ""),
        attack("userns", "", Host, ""),
        attack(
            "mount",
            "",
            Unshare(&["--mount", "--propagation", "private"]),
            "",
        ),
        attack("io-uring", "", Host, ""),
        attack("bpf", "", Host, ""),
        attack("perf", "", Host, ""),
        attack("keyctl", "", Host, ""),
        attack("caps", "", Host, ""),
        attack("proc-sys", "", Host, ""),
        attack("sys", "", Host, ""),
        attack("devices", "", Host, ""),
        attack("hostname", "", Unshare(&["--uts"]), ""),
        attack("env", "", Host, ""),
        attack("vsock", "", Host, ""),
        attack("vsock-high", "", Host, ""),
        attack("packet", "", Host, ""),
        attack("stack-filter", "", Host, ""),
        attack("personality", "", Host, ""),
        attack("setuid-file", "suid-probe", Host, &suid_file),
        // Shares of per-user kernel quotas: more than a sandbox may take,
        // less than the host's default (128 inotify instances; tens of
        // thousands of queued signals), so the control leaves some over.
        attack("inotify-flood", "24", Host, "24"),
        attack("sigqueue-flood", "2048", Host, "2048"),
        attack("fork-bomb", FORKS, SandboxNoLimits, FORKS),
        attack("memory-bomb", MEGS, SandboxNoLimits, MEGS),
    ];
    // Kernels without sysrq have no trigger to attack (this is checked on
    // Debian's kernel by the second-kernel run, which has one).
    if Path::new("/proc/sysrq-trigger").exists() {
        v.push(attack("sysrq", "", Host, ""));
    }
    // vm.memfd_noexec is Linux 6.3 and writable by root only: older
    // kernels (the second-kernel run's 6.1) and rootless launches have
    // nothing that refuses an executable memfd (SECURITY.md).
    if mode == Mode::Root && Path::new("/proc/sys/vm/memfd_noexec").exists() {
        v.push(attack("memfd-exec", "", Host, ""));
    }
    if cfg!(target_arch = "x86_64") {
        v.push(attack("x32", "", Host, ""));
        v.push(attack("int80", "", Host, ""));
    }
    v
}

/// Runs `jobs` on three threads (every job is a sandbox or a process of its
/// own, mostly waiting on the kernel).
fn parallel<T: Send>(jobs: Vec<Box<dyn FnOnce() -> T + Send + '_>>) -> Vec<T> {
    let jobs = std::sync::Mutex::new(jobs.into_iter().enumerate().collect::<Vec<_>>());
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| loop {
                let Some((i, job)) = jobs.lock().unwrap().pop() else {
                    return;
                };
                let r = job();
                results.lock().unwrap().push((i, r));
            });
        }
    });
    let mut r = results.into_inner().unwrap();
    r.sort_by_key(|(i, _)| *i);
    r.into_iter().map(|(_, r)| r).collect()
}

#[test]
fn every_control_escapes_without_the_sandbox() {
    if !is_root() {
        skip("the controls need root (unshare, chroot, capabilities)");
        return;
    }
    let mode = modes()[0];
    if !sandboxes_work(mode) {
        return;
    }
    let Some(bin) = attacker() else {
        return;
    };
    let dir = workdir(mode, "escape-control");
    let t = targets("control");
    let all = attacks(&t, &dir, mode);
    let results = parallel(
        all.iter()
            .map(|a| Box::new(|| control(&dir, &bin, a)) as Box<dyn FnOnce() -> Run + Send>)
            .collect(),
    );
    for (a, r) in all.iter().zip(&results) {
        eprintln!("control {}: {}", a.name, r.out.trim());
        assert_escaped(r, a.name);
    }
}

#[test]
fn every_attack_is_held_under_both_profiles_root_and_rootless() {
    let Some(bin) = attacker() else {
        return;
    };
    for mode in modes() {
        if !sandboxes_work(mode) {
            continue;
        }
        let dir = workdir(mode, "escape");
        let t = targets(&format!("{mode:?}"));
        let hostname_before = nix::unistd::gethostname().unwrap();
        let all = attacks(&t, &dir, mode);
        let profiles = profiles_for(&dir);
        let mut jobs: Vec<Box<dyn FnOnce() -> (String, Run) + Send>> = Vec::new();
        for (profile, base) in &profiles {
            for a in &all {
                let (dir, bin) = (&dir, &bin);
                jobs.push(Box::new(move || {
                    let what = format!("{} under {base} ({mode:?})", a.name);
                    (what, in_sandbox(mode, dir, bin, profile, a, &a.arg))
                }));
            }
        }
        for (what, r) in parallel(jobs) {
            eprintln!("{what}: exit {:?} {}", r.code, r.out.trim());
            assert_held(&r, &what);
        }
        // Host side: nothing changed, nothing reached.
        assert_eq!(nix::unistd::gethostname().unwrap(), hostname_before);
        assert!(!Path::new("/usr/stockade-escape").exists());
        t.tcp.set_nonblocking(true).unwrap();
        assert!(
            t.tcp.accept().is_err(),
            "a sandbox reached the host's TCP listener"
        );
        t._abstract.set_nonblocking(true).unwrap();
        assert!(
            t._abstract.accept().is_err(),
            "a sandbox reached the host's abstract socket"
        );
        assert!(
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(t.sleeper.id() as i32), None).is_ok(),
            "the host's sleeper is gone"
        );
    }
}

#[test]
fn the_escape_verdict_sees_a_real_escape_through_the_sandbox() {
    // The harness must see an escape made through stockade itself: with the
    // file bound in, reading it works, and the attacker says ESCAPED.
    let mode = modes()[0];
    if !sandboxes_work(mode) {
        return;
    }
    let Some(bin) = attacker() else {
        return;
    };
    let dir = workdir(mode, "escape-through");
    let file = dir.join("visible");
    std::fs::write(&file, "x").unwrap();
    give_to_sandbox(&file);
    let probe = format!("{}:/attacker", bin.display());
    let ro = format!("{}:/visible", file.display());
    let out = stockade(mode, &dir)
        .args(["run", "-p", "default", "--ro", &probe, "--ro", &ro])
        .args(["--", "/attacker", "read-outside", "/visible"])
        .output()
        .unwrap();
    assert!(
        stdout(&out).starts_with("ESCAPED"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn the_working_directory_never_exposes_host_sockets() {
    // Run from a shared directory (/tmp, or $HOME) that holds a listening
    // socket, as a tmux server's would be: the payload must not reach it.
    // The control binds the directory explicitly, reaches it, and is warned.
    let Some(bin) = attacker() else {
        return;
    };
    for mode in modes() {
        if !sandboxes_work(mode) {
            continue;
        }
        let tmp = std::env::temp_dir();
        let home = workdir(mode, "shared-home");
        for (shared, home_var) in [(tmp.clone(), None), (home.clone(), Some(&home))] {
            let sock_dir = shared.join(format!("stockade-sock-{}-{mode:?}", std::process::id()));
            let _ = std::fs::remove_dir_all(&sock_dir);
            std::fs::create_dir(&sock_dir).unwrap();
            std::fs::set_permissions(&sock_dir, PermissionsExt::from_mode(0o777)).unwrap();
            let sock = sock_dir.join("agent.sock");
            let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
            std::fs::set_permissions(&sock, PermissionsExt::from_mode(0o777)).unwrap();
            let sock_s = sock.to_string_lossy().into_owned();
            let probe = format!("{}:/attacker", bin.display());
            let run = |extra: &[&str]| {
                let mut c = stockade(mode, &shared);
                if let Some(h) = home_var {
                    c.env("HOME", h);
                }
                c.args(["run", "--ro", &probe]).args(extra);
                c.args(["--", "/attacker", "path-socket", &sock_s]);
                finish(c)
            };
            for profile in ["default", "strict"] {
                let r = run(&["-p", profile]);
                assert_held(
                    &r,
                    &format!(
                        "socket in the working directory {} under {profile} ({mode:?})",
                        shared.display()
                    ),
                );
                // strict binds no working directory at all.
                if profile == "default" {
                    assert!(r.err.contains("is not bound into the sandbox"), "{}", r.err);
                }
            }
            let rw = format!("{}", shared.display());
            let r = run(&["-p", "default", "--rw", &rw]);
            assert!(
                r.out.starts_with("ESCAPED"),
                "control: an explicit bind must reach the socket: {}{}",
                r.out,
                r.err
            );
            assert!(r.err.contains("sockets in it"), "{}", r.err);
            drop(listener);
            let _ = std::fs::remove_dir_all(&sock_dir);
        }
    }
}

#[test]
fn a_profile_without_seccomp_still_closes_the_side_doors() {
    // No `seccomp` section: no allowlist, but the side doors every sandbox
    // gets hold (the controls of these attacks escape on the host).
    let Some(bin) = attacker() else {
        return;
    };
    for mode in modes() {
        if !sandboxes_work(mode) {
            continue;
        }
        let dir = workdir(mode, "escape-noseccomp");
        let p = dir.join("bare.yaml");
        std::fs::write(&p, BARE_VIEW).unwrap();
        let p = p.to_string_lossy().into_owned();
        for name in ["personality", "vsock", "vsock-high", "userns", "tioclinux"] {
            let a = attack(name, "", Control::Host, "");
            let r = in_sandbox(mode, &dir, &bin, &p, &a, "");
            assert_held(&r, &format!("{name} without a seccomp section ({mode:?})"));
        }
    }
}
