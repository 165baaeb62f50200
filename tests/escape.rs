//! Escape tests: every invariant in DESIGN.md and every guarantee in
//! SECURITY.md attacked from inside the sandbox by `escape/attacker.c`, one
//! attack per sandbox, under `default` and `strict`, with a root launcher
//! and rootless, and checked from the host side where there is one.

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// The attacker, compiled with the host's gcc (None, loudly, without one).
fn attacker(dir: &Path) -> Option<PathBuf> {
    if !Path::new("/usr/bin/gcc").exists() {
        skip("gcc is missing: the escape probes are C programs");
        return None;
    }
    let bin = dir.join("attacker");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/escape/attacker.c");
    let ok = std::process::Command::new("gcc")
        .args(["-O1", "-o"])
        .arg(&bin)
        .arg(&src)
        .status()
        .unwrap()
        .success();
    assert!(ok, "attacker.c does not compile");
    Some(bin)
}

/// Extra profile settings some attacks are judged against.
const BOMB_LIMITS: &str = "limits: {processes: 64, address_space: 512M}\n";

struct Run {
    code: Option<i32>,
    out: String,
    err: String,
}

fn attack(
    mode: Mode,
    dir: &Path,
    bin: &Path,
    profile: &str,
    name: &str,
    arg: &str,
    net_host: bool,
) -> Run {
    let probe = format!("{}:/attacker", bin.display());
    let mut c = stockade(mode, dir);
    c.args(["run", "-p", profile, "--ro", &probe]);
    if net_host {
        c.args(["--net", "host"]);
    }
    let out = c.args(["--", "/attacker", name, arg]).output().unwrap();
    Run {
        code: out.status.code(),
        out: stdout(&out),
        err: stderr(&out),
    }
}

/// Held means: the attacker says so, or its sandbox was killed for it
/// (seccomp: 159; a kernel SIGSYS for other ABIs: 159 too).
fn assert_held(r: &Run, what: &str) {
    assert!(!r.out.contains("ESCAPED"), "{what}: {}{}", r.out, r.err);
    let killed = r.code == Some(128 + libc::SIGSYS);
    assert!(
        killed || (r.code == Some(0) && r.out.starts_with("blocked")),
        "{what}: unexpected result {:?}: {}{}",
        r.code,
        r.out,
        r.err
    );
}

fn profiles_for(dir: &Path) -> Vec<(String, &'static str)> {
    let mut v = Vec::new();
    for base in ["default", "strict"] {
        let p = dir.join(format!("{base}-bombs.yaml"));
        std::fs::write(&p, format!("version: 1\nextends: {base}\n{BOMB_LIMITS}")).unwrap();
        v.push((p.to_string_lossy().into_owned(), base));
    }
    v
}

#[test]
fn every_attack_is_held_under_both_profiles_root_and_rootless() {
    for mode in modes() {
        if !sandboxes_work(mode) {
            continue;
        }
        let dir = workdir(mode, "escape");
        let Some(bin) = attacker(&dir) else {
            return;
        };
        // Host-side targets.
        let outside = scratch_root().join(format!("outside-{mode:?}"));
        std::fs::write(&outside, "host secret").unwrap();
        give_to_sandbox(&outside);
        let abstract_name = format!("stockade-escape-{}-{mode:?}", std::process::id());
        use std::os::linux::net::SocketAddrExt;
        let addr =
            std::os::unix::net::SocketAddr::from_abstract_name(abstract_name.as_bytes()).unwrap();
        let _abstract = std::os::unix::net::UnixListener::bind_addr(&addr).unwrap();
        let sock_path = scratch_root().join(format!("host-{mode:?}.sock"));
        let _ = std::fs::remove_file(&sock_path);
        let _path_sock = std::os::unix::net::UnixListener::bind(&sock_path).unwrap();
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port().to_string();
        let host_pid = std::process::id().to_string();
        let hostname_before = nix::unistd::gethostname().unwrap();
        let outside_s = outside.to_string_lossy().into_owned();
        let sock_s = sock_path.to_string_lossy().into_owned();

        let mut attacks: Vec<(&str, &str)> = vec![
            ("read-outside", &outside_s),
            ("write-system", ""),
            ("dotdot", ""),
            ("fds", ""),
            ("open-by-handle", ""),
            ("proc-exe", ""),
            ("proc-root", ""),
            ("ptrace", ""),
            ("vm-read", ""),
            ("signal-host", &host_pid),
            ("abstract-socket", &abstract_name),
            ("path-socket", &sock_s),
            ("tcp-loopback", &port),
            ("tiocsti", ""),
            ("tioclinux", ""),
            ("userns", ""),
            ("mount", ""),
            ("io-uring", ""),
            ("bpf", ""),
            ("perf", ""),
            ("keyctl", ""),
            ("caps", ""),
            ("proc-sys", ""),
            ("sys", ""),
            ("devices", ""),
            ("hostname", ""),
            ("env", ""),
            ("fork-bomb", ""),
            ("memory-bomb", ""),
        ];
        if cfg!(target_arch = "x86_64") {
            attacks.push(("x32", ""));
            attacks.push(("int80", ""));
        }
        for (profile, base) in profiles_for(&dir) {
            for (name, arg) in &attacks {
                let r = attack(mode, &dir, &bin, &profile, name, arg, false);
                assert_held(&r, &format!("{name} under {base} ({mode:?})"));
            }
        }
        // Host side: nothing changed, nothing reached.
        assert_eq!(nix::unistd::gethostname().unwrap(), hostname_before);
        assert!(!Path::new("/usr/stockade-escape").exists());
        tcp.set_nonblocking(true).unwrap();
        assert!(
            tcp.accept().is_err(),
            "a sandbox reached the host's TCP listener"
        );
        _abstract.set_nonblocking(true).unwrap();
        assert!(
            _abstract.accept().is_err(),
            "a sandbox reached the host's abstract socket"
        );
        let _ = std::fs::remove_file(&sock_path);
    }
}

#[test]
fn the_escape_suite_can_fail() {
    // The harness must be able to see an escape: with the file bound in,
    // reading it is allowed, and the attacker says ESCAPED.
    let mode = modes()[0];
    if !sandboxes_work(mode) {
        return;
    }
    let dir = workdir(mode, "escape-control");
    let Some(bin) = attacker(&dir) else {
        return;
    };
    let file = dir.join("visible");
    std::fs::write(&file, "x").unwrap();
    give_to_sandbox(&file);
    let probe = format!("{}:/attacker", bin.display());
    let ro = format!("{}:/visible", file.display());
    let out = stockade(mode, &dir)
        .args([
            "run",
            "-p",
            "default",
            "--ro",
            &probe,
            "--ro",
            &ro,
            "--",
            "/attacker",
            "read-outside",
            "/visible",
        ])
        .output()
        .unwrap();
    assert!(
        stdout(&out).starts_with("ESCAPED"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}
