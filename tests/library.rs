//! The library API and what plugin hosts rely on: descriptors, the
//! channel, typed outcomes, concurrency, no leaks.

mod common;
use common::*;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use stockade::channel::ChannelError;
use stockade::policy::ChannelLimits;
use stockade::sandbox::Outcome;
use stockade::sandbox::{Sandbox, Stdio};

/// The tests in this file count the process's descriptors: they run one
/// at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn python() -> bool {
    have("/usr/bin/python3", "the channel plugins are python scripts")
}

/// A `strict` sandbox whose payload may use the channel with python.
fn plugin(script: &str, limits: Option<ChannelLimits>) -> Sandbox {
    Sandbox::from_yaml(
        "version: 1\nextends: strict\nseccomp:\n  allow: [connect, sendmsg, recvmsg, sendto, recvfrom, getsockopt, getsockname, getpeername]\n",
    )
    .unwrap()
    .args(["python3", "-c", script])
    .channel(limits)
}

#[test]
fn only_declared_descriptors_reach_the_payload() {
    let _serial = serial();
    each_mode_cli(|mode, dir| {
        let secret = dir.join("secret");
        std::fs::write(&secret, "top secret").unwrap();
        give_to_sandbox(&secret);
        let a = dir.join("a");
        let b = dir.join("b");
        std::fs::write(&a, "A\n").unwrap();
        std::fs::write(&b, "B\n").unwrap();
        // The host shell leaks fds 7 and 9 (no CLOEXEC) and passes 3 and 4
        // swapped; the payload probes every number up to 1023.
        let script = format!(
            "exec 7<{s} 9<{s} 3<{a} 4<{b}; exec \"$0\" run -p strict --fd 3:4 --fd 4:3 -- sh -c '\
             n=0; while [ $n -lt 1024 ]; do if [ -e /proc/self/fd/$n ]; then printf \"$n \"; fi; n=$((n+1)); done; echo; \
             cat <&3; cat <&4'",
            s = secret.display(),
            a = a.display(),
            b = b.display(),
        );
        let out = shell_as(mode, &dir, &script);
        // `[ -e ]` runs in the shell itself: 0-2 plus the swapped pair.
        // (The number the probe loop's own /proc lookup uses is not kept open.)
        assert_eq!(stdout(&out), "0 1 2 3 4 \nB\nA\n", "{}", stderr(&out));
    });
}

/// Runs `script` with sh as the user of `mode`; `$0` is the stockade binary.
fn shell_as(mode: Mode, dir: &std::path::Path, script: &str) -> std::process::Output {
    let mut c = if mode == Mode::Rootless && is_root() {
        let mut c = std::process::Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "sh",
            "-c",
            script,
        ]);
        c
    } else {
        let mut c = std::process::Command::new("sh");
        c.args(["-c", script]);
        c
    };
    c.arg(binary()).current_dir(dir).output().unwrap()
}

fn each_mode_cli(test: impl Fn(Mode, std::path::PathBuf)) {
    each_mode(|mode| test(mode, workdir(mode, "lib-fds")));
}

#[test]
fn channel_round_trip_with_descriptors_both_ways() {
    let _serial = serial();
    if !all_modes_work() || !python() {
        return;
    }
    let child_script = r#"
import os, socket
s = socket.socket(fileno=int(os.environ["STOCKADE_CHANNEL_FD"]))
msg, fds, _, _ = socket.recv_fds(s, 1024, 4)
os.write(fds[0], b"written by the plugin\n")
f = os.open("/etc/hostname", os.O_RDONLY)
socket.send_fds(s, [b"pong:" + msg], [f])
"#;
    let mut child = plugin(child_script, None).spawn().unwrap();
    let (mut r, w) = std::io::pipe().unwrap();
    let chan = child.channel().unwrap();
    chan.send(b"ping", &[w.as_fd()]).unwrap();
    drop(w);
    let reply = chan.recv().unwrap();
    assert_eq!(reply.data, b"pong:ping");
    assert_eq!(reply.fds.len(), 1);
    let mut host_file = String::new();
    std::fs::File::from(reply.fds.into_iter().next().unwrap())
        .read_to_string(&mut host_file)
        .unwrap();
    assert_eq!(host_file, std::fs::read_to_string("/etc/hostname").unwrap());
    let mut written = String::new();
    r.read_to_string(&mut written).unwrap();
    assert_eq!(written, "written by the plugin\n");
    assert_eq!(child.wait().unwrap(), Outcome::Exited(0));
}

#[test]
fn oversize_and_overfull_messages_are_rejected_and_the_host_survives() {
    let _serial = serial();
    if !all_modes_work() || !python() {
        return;
    }
    let script = r#"
import os, socket
s = socket.socket(fileno=int(os.environ["STOCKADE_CHANNEL_FD"]))
s.send(b"x" * 5000)
fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(3)]
socket.send_fds(s, [b"three fds"], fds)
s.send(b"still here")
"#;
    let limits = ChannelLimits {
        max_message: 1024,
        max_fds: 2,
        socket: false,
    };
    let mut child = plugin(script, Some(limits)).spawn().unwrap();
    let chan = child.channel().unwrap();
    assert_eq!(
        chan.recv().unwrap_err(),
        ChannelError::TooLarge {
            size: 5000,
            max: 1024
        }
    );
    assert_eq!(
        chan.recv().unwrap_err(),
        ChannelError::TooManyFds { max: 2 }
    );
    assert_eq!(chan.recv().unwrap().data, b"still here");
    assert_eq!(child.wait().unwrap(), Outcome::Exited(0));
}

#[test]
fn a_payload_that_never_reads_cannot_block_the_host() {
    let _serial = serial();
    if !all_modes_work() {
        return;
    }
    let mut child = Sandbox::from_profile("strict")
        .unwrap()
        .args(["sleep", "30"])
        .channel(None)
        .spawn()
        .unwrap();
    let chan = child.channel().unwrap();
    let start = std::time::Instant::now();
    let err = loop {
        if let Err(e) = chan.send(&[0u8; 60000], &[]) {
            break e;
        }
        assert!(start.elapsed().as_secs() < 10, "send never stopped");
    };
    assert_eq!(err, ChannelError::WouldBlock);
    child.kill();
    // The host's own kill, told apart from a signal from elsewhere.
    assert_eq!(child.wait().unwrap(), Outcome::Killed);
}

/// The process's open descriptors, counted after stockade's one-time
/// setup: the first spawn starts its supervisor thread, whose epoll
/// descriptor lives as long as the process.
fn open_fds() -> usize {
    static WARM: std::sync::Once = std::sync::Once::new();
    WARM.call_once(|| {
        let mut c = Sandbox::from_profile("strict")
            .unwrap()
            .args(["true"])
            .spawn()
            .unwrap();
        assert_eq!(c.wait().unwrap(), Outcome::Exited(0));
    });
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn fifty_sandboxes_from_four_threads() {
    let _serial = serial();
    if !all_modes_work() {
        return;
    }
    if is_root() && std::env::var("STOCKADE_LIB_INNER").is_err() {
        // Also run this test rootless: the same test binary as uid 65534.
        let out = rerun_rootless(
            "library-test",
            "STOCKADE_LIB_INNER",
            &[
                "--exact",
                "fifty_sandboxes_from_four_threads",
                "--nocapture",
            ],
        );
        assert!(out.contains("1 passed"), "{out}");
    }
    let before = open_fds();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let mut results = Vec::new();
                for i in 0..13 {
                    if t * 13 + i >= 50 {
                        break;
                    }
                    let code: i32 = t * 13 + i;
                    let mut child = Sandbox::from_profile("strict")
                        .unwrap()
                        .args(["sh", "-c", &format!("echo out-{code}; exit {code}")])
                        .stdout(Stdio::Piped)
                        .spawn()
                        .unwrap();
                    let mut out = String::new();
                    child
                        .stdout
                        .take()
                        .unwrap()
                        .read_to_string(&mut out)
                        .unwrap();
                    let outcome = child.wait().unwrap();
                    results.push((code, out, outcome, child.pid()));
                }
                results
            })
        })
        .collect();
    let mut n = 0;
    for t in threads {
        for (code, out, outcome, pid) in t.join().unwrap() {
            assert_eq!(out, format!("out-{code}\n"));
            assert_eq!(outcome, Outcome::Exited(code));
            // Reaped: no zombie is left under that pid.
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            assert!(
                !stat.contains(&format!("{pid} (")),
                "sandbox {pid} left behind: {stat}"
            );
            n += 1;
        }
    }
    assert_eq!(n, 50);
    assert_eq!(open_fds(), before, "descriptors leaked");
}

#[test]
fn typed_outcomes_and_try_wait() {
    let _serial = serial();
    if !all_modes_work() {
        return;
    }
    let mut child = Sandbox::from_profile("strict")
        .unwrap()
        .args(["sleep", "0.3"])
        .spawn()
        .unwrap();
    assert_eq!(child.try_wait().unwrap(), None);
    assert_eq!(child.wait().unwrap(), Outcome::Exited(0));
    assert_eq!(child.try_wait().unwrap(), Some(Outcome::Exited(0)));
    let mut child = Sandbox::from_profile("strict")
        .unwrap()
        .args(["sh", "-c", "kill -TERM $$"])
        .spawn()
        .unwrap();
    assert_eq!(child.wait().unwrap(), Outcome::Signaled(libc::SIGTERM));
    let mut child = Sandbox::from_profile("strict")
        .unwrap()
        .args(["no-such-program"])
        .spawn()
        .unwrap();
    let o = child.wait().unwrap();
    assert_eq!(o.exit_code(), 127);
    assert!(child.describe(o).unwrap().contains("command not found"));
    let mut child = Sandbox::from_profile("strict")
        .unwrap()
        .args(["sh", "-c", "cat > /dev/null; echo done"])
        .stdin(Stdio::Piped)
        .stdout(Stdio::Piped)
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"data").unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out, "done\n");
    assert_eq!(child.wait().unwrap(), Outcome::Exited(0));
}

#[test]
fn status_stream_reports_the_typed_outcome() {
    let _serial = serial();
    if !all_modes_work() {
        return;
    }
    let dir = workdir(Mode::Root, "status");
    let out = std::process::Command::new("sh")
        .args([
            "-c",
            "\"$0\" run -p strict --status-fd 3 -- sh -c 'exit 7' 3>&1 1>/dev/null",
        ])
        .arg(binary())
        .current_dir(&dir)
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["started", "applied", "exited"]);
    assert!(lines.iter().all(|l| l["v"] == 1));
    assert!(lines[0]["pid"].as_i64().unwrap() > 0);
    assert_eq!(lines[1]["seccomp"]["mode"], "allowlist");
    assert_eq!(lines[2]["outcome"], "exited");
    assert_eq!(lines[2]["code"], 7);
    assert_eq!(lines[2]["exit_code"], 7);
}

/// Entries named `stockade-*` in the directories a launcher could use on
/// the host for sockets.
fn host_socket_dirs() -> Vec<std::path::PathBuf> {
    let mut v = Vec::new();
    let mut bases = vec![std::env::temp_dir()];
    bases.extend(std::env::var_os("XDG_RUNTIME_DIR").map(std::path::PathBuf::from));
    for base in bases {
        for e in std::fs::read_dir(base).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("stockade-") && !name.starts_with("stockade-tests-") {
                v.push(e.path());
            }
        }
    }
    v.sort();
    v
}

/// Whether this test, which needs root, can run: a loud skip naming `why`
/// when not root; false too when sandboxes cannot start here (which
/// `all_modes_work` reports).
fn root_and_sandboxes(why: &str) -> bool {
    if !is_root() {
        skip(why);
        return false;
    }
    all_modes_work()
}

/// The payload's host pid: the one child of the sandbox's init.
fn payload_pid(init: i32) -> i32 {
    for _ in 0..500 {
        let c = std::fs::read_to_string(format!("/proc/{init}/task/{init}/children"))
            .unwrap_or_default();
        if let Some(p) = c.split_whitespace().next() {
            return p.parse().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the sandbox's init has no child");
}

#[test]
fn channel_socket_lives_in_the_sandbox_and_refuses_everyone_else() {
    let _serial = serial();
    if !all_modes_work() || !python() {
        return;
    }
    // The payload connects, then tries to use the socket's directory as a
    // host directory: plant a file, fill it up.
    let script = r#"
import os, socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(os.environ["STOCKADE_CHANNEL_SOCKET"])
s.send(b"hello over the socket")
for name in ("planted", "big"):
    try:
        with open("/run/stockade/" + name, "wb") as f:
            f.write(b"x" * (1 << 20))
    except OSError:
        pass
time.sleep(3)
"#;
    let before = host_socket_dirs();
    let limits = ChannelLimits {
        socket: true,
        ..ChannelLimits::default()
    };
    let mut child = plugin(script, Some(limits)).spawn().unwrap();
    let server = child.socket().unwrap();
    assert_eq!(
        server.path_in_sandbox(),
        std::path::Path::new("/run/stockade/channel.sock")
    );
    // Nothing of the socket exists on the host.
    assert_eq!(
        host_socket_dirs(),
        before,
        "a socket directory appeared on the host"
    );
    // From inside: accepted.
    let chan = child
        .accept_channel(Some(std::time::Duration::from_secs(10)))
        .unwrap()
        .expect("the plugin connected");
    assert_eq!(chan.recv().unwrap().data, b"hello over the socket");
    // From outside: the only path to the socket is through the payload's
    // /proc/PID/root, which needs CAP_SYS_PTRACE in the sandbox's user
    // namespace: a host process with the sandbox's host uid (as root
    // launches, every `nobody` daemon's) cannot follow it...
    let dir_via_proc = format!("/proc/{}/root/run/stockade", payload_pid(child.pid()));
    if is_root() {
        let out = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "ls"])
            .arg(&dir_via_proc)
            .output()
            .unwrap();
        assert!(!out.status.success(), "uid 65534 reached {dir_via_proc}");
    }
    // ...and when one does hold a path (here: handed over by root, or the
    // rootless launcher's own user, who owns the namespace), the launcher
    // refuses the connection: the peer is not in the sandbox.
    let hijack = r#"
import os, socket, sys, time
fd = os.open(sys.argv[1], os.O_PATH)
if os.getuid() == 0:
    os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("/proc/self/fd/%d/channel.sock" % fd)
print("connected", flush=True)
time.sleep(2)
"#;
    let mut intruder = std::process::Command::new("/usr/bin/python3")
        .args(["-c", hijack, &dir_via_proc])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // It stays connected (and alive) while the launcher judges it.
    let mut said = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(intruder.stdout.take().unwrap()),
        &mut said,
    )
    .unwrap();
    assert_eq!(said, "connected\n", "the intruder must reach the socket");
    match child.accept_channel(Some(std::time::Duration::from_secs(10))) {
        Err(ChannelError::Rejected { why, .. }) => {
            assert!(why.contains("not a process of the sandbox"), "{why}")
        }
        other => panic!("a host process's connection was not refused: {other:?}"),
    }
    intruder.wait().unwrap();
    drop(chan);
    assert_eq!(child.wait().unwrap(), Outcome::Exited(0));
    drop(server);
    drop(child);
    assert_eq!(
        host_socket_dirs(),
        before,
        "the sandbox left something on the host"
    );
}

#[test]
fn nothing_of_the_channel_socket_outlives_the_sandbox() {
    let _serial = serial();
    if !all_modes_work() {
        return;
    }
    let dir = workdir(Mode::Root, "sock-cleanup");
    let before = host_socket_dirs();
    for (script, signal) in [
        ("cp /usr/bin/id /run/stockade/ 2>/dev/null; exit 0", false),
        ("exit 3", false),
        ("sleep 30", true),
    ] {
        let (mut r, w) = std::io::pipe().unwrap();
        // The status stream goes to fd 3 of the launcher.
        let w = std::os::fd::OwnedFd::from(w);
        let raw = std::os::fd::AsRawFd::as_raw_fd(&w);
        let mut cmd = std::process::Command::new("sh");
        cmd.args(["-c", &format!("exec \"$@\" 3>&{raw}"), "sh"])
            .arg(binary())
            .args([
                "run",
                "-p",
                "strict",
                "--channel-socket",
                "--status-fd",
                "3",
                "--",
                "sh",
                "-c",
                script,
            ])
            .current_dir(&dir);
        // Let the shell see the pipe's write end.
        nix::fcntl::fcntl(
            &w,
            nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
        )
        .unwrap();
        let mut launcher = cmd.spawn().unwrap();
        drop(w);
        let mut first = Vec::new();
        let mut byte = [0u8; 1];
        while r.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
            first.push(byte[0]);
        }
        let started: serde_json::Value = serde_json::from_slice(&first).unwrap();
        assert_eq!(started["channel_socket"], "/run/stockade/channel.sock");
        assert_eq!(
            host_socket_dirs(),
            before,
            "{script}: a host directory appeared"
        );
        if signal {
            nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(launcher.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            )
            .unwrap();
        }
        launcher.wait().unwrap();
        assert_eq!(
            host_socket_dirs(),
            before,
            "{script}: left behind on the host"
        );
    }
}

#[test]
fn a_connection_flood_costs_the_launcher_nothing() {
    // The payload opens as many connections as it can and holds them; the
    // launcher keeps at most 16, and sleeps while nothing happens.
    let _serial = serial();
    if !all_modes_work() || !python() {
        return;
    }
    let dir = workdir(Mode::Root, "sock-flood");
    let p = dir.join("flood.yaml");
    std::fs::write(
        &p,
        "version: 1\nextends: strict\nseccomp:\n  allow: [connect, getsockname, getpeername, getsockopt]\n",
    )
    .unwrap();
    let script = r#"
import os, socket, sys, time
held = []
for i in range(1000):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.connect(os.environ["STOCKADE_CHANNEL_SOCKET"])
    except OSError as e:
        break
    held.append(s)
print(len(held), flush=True)
time.sleep(4)
"#;
    let mut launcher = std::process::Command::new(binary())
        .args(["run", "-p", p.to_str().unwrap(), "--channel-socket", "--"])
        .args(["python3", "-c", script])
        .current_dir(&dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = launcher.id();
    let mut out = launcher.stdout.take().unwrap();
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while out.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    let opened: usize = String::from_utf8_lossy(&line).trim().parse().unwrap();
    assert!(opened >= 100, "the flood opened only {opened} connections");
    let cpu = || -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<&str> = after.split_whitespace().collect();
        f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
    };
    std::thread::sleep(std::time::Duration::from_millis(500));
    let (c0, t0) = (cpu(), std::time::Instant::now());
    std::thread::sleep(std::time::Duration::from_secs(2));
    let ticks = cpu() - c0;
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .unwrap()
        .unwrap() as u64;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count();
    launcher.wait().unwrap();
    assert!(
        fds < 48,
        "the launcher holds {fds} descriptors after {opened} connections"
    );
    assert!(
        ticks * 1000 / hz < 100,
        "the launcher used {} ms of CPU in {:?} while the flood sat idle",
        ticks * 1000 / hz,
        t0.elapsed()
    );
}

/// Children of this process that still exist (any state, zombies included).
fn own_children() -> Vec<String> {
    let mut v = Vec::new();
    for t in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let c = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
        v.extend(c.split_whitespace().map(str::to_owned));
    }
    v
}

#[test]
fn spawns_never_hang_while_host_threads_come_and_go() {
    // glibc's set*id wrappers in a cloned child wait for every thread the
    // parent had; a thread being created at the moment of the clone then
    // hangs the child forever. The child makes raw calls only, so 1,000
    // spawns next to threads created and joined in a loop all finish.
    let _serial = serial();
    if !all_modes_work() {
        return;
    }
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    let done = Arc::new(AtomicBool::new(false));
    let progress = Arc::new(AtomicU64::new(0));
    // A hang, not slowness (the second-kernel run is emulated): no spawn
    // may take a minute.
    let watchdog = {
        let (done, progress) = (done.clone(), progress.clone());
        std::thread::spawn(move || {
            let mut last = (u64::MAX, std::time::Instant::now());
            while !done.load(Ordering::Relaxed) {
                let now = progress.load(Ordering::Relaxed);
                if now != last.0 {
                    last = (now, std::time::Instant::now());
                } else if last.1.elapsed() > std::time::Duration::from_secs(60) {
                    eprintln!("spawn {now} hung for a minute: the child deadlocked after clone");
                    std::process::abort();
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        })
    };
    let churn: Vec<_> = (0..2)
        .map(|_| {
            let done = done.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !done.load(Ordering::Relaxed) {
                    std::thread::spawn(|| std::hint::black_box(1))
                        .join()
                        .unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    let before = open_fds();
    let sandbox = Sandbox::from_profile("strict").unwrap().args(["true"]);
    for i in 0..1000u64 {
        let mut child = sandbox.spawn().unwrap();
        assert_eq!(child.wait().unwrap(), Outcome::Exited(0), "spawn {i}");
        progress.store(i + 1, Ordering::Relaxed);
    }
    done.store(true, Ordering::Relaxed);
    let churned: u64 = churn.into_iter().map(|t| t.join().unwrap()).sum();
    watchdog.join().unwrap();
    assert!(
        churned > 1000,
        "only {churned} threads were created meanwhile"
    );
    assert_eq!(open_fds(), before, "descriptors leaked");
    assert!(
        own_children().is_empty(),
        "left behind: {:?}",
        own_children()
    );
}

#[test]
fn a_local_user_racing_the_launchers_directories_gets_nothing() {
    // Root launches with TMPDIR and XDG_RUNTIME_DIR in a directory another
    // user (65534) controls, while that user swaps every stockade-* entry
    // that appears there for a symlink to a root-owned directory. The
    // launcher makes nothing there (the channel socket lives in the
    // sandbox), so the victim keeps its owner and mode.
    let _serial = serial();
    if !root_and_sandboxes("racing a root launcher needs root") {
        return;
    }
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let base = workdir(Mode::Root, "race");
    let shared = base.join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    give_to_sandbox(&shared);
    let victim = base.join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o700)).unwrap();
    let racer = std::process::Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "sh",
            "-c",
        ])
        .arg(format!(
            "while :; do for e in {s}/stockade-*; do [ -e \"$e\" ] && [ ! -L \"$e\" ] && \
             mv \"$e\" \"$e.moved\" && ln -s {v} \"$e\"; done; done",
            s = shared.display(),
            v = victim.display()
        ))
        .spawn();
    let mut racer = racer.unwrap();
    for _ in 0..30 {
        let out = std::process::Command::new(binary())
            .args(["run", "-p", "strict", "--channel-socket", "--", "true"])
            .env("TMPDIR", &shared)
            .env("XDG_RUNTIME_DIR", &shared)
            .current_dir(&base)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    racer.kill().unwrap();
    racer.wait().unwrap();
    let m = std::fs::metadata(&victim).unwrap();
    assert_eq!(
        (m.uid(), m.mode() & 0o7777),
        (0, 0o700),
        "the victim was changed"
    );
    let left: Vec<_> = std::fs::read_dir(&shared)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "the launcher made {left:?}");
}

/// A plugin that serves requests on its channel and misbehaves on demand.
const MISBEHAVING_PLUGIN: &str = r#"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
int main(void) {
    int fd = atoi(getenv("STOCKADE_CHANNEL_FD"));
    char buf[256];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        if (n <= 0) return 0;
        buf[n] = 0;
        if (!strncmp(buf, "upper ", 6)) {
            for (char *p = buf + 6; *p; p++) *p = toupper((unsigned char)*p);
            send(fd, buf + 6, n - 6, 0);
        } else if (!strcmp(buf, "syscall")) {
            syscall(SYS_listen, 0, 1);                 /* killed by strict */
        } else if (!strcmp(buf, "loop")) {
            for (;;) {}                                /* spins until stopped */
        } else if (!strcmp(buf, "hog")) {
            for (;;) {                                 /* until the limit says no */
                char *p = malloc(1 << 20);
                if (!p) { send(fd, "no memory", 9, 0); break; }
                memset(p, 1, 1 << 20);
            }
        } else if (!strcmp(buf, "flood")) {
            while (send(fd, "spam", 4, MSG_DONTWAIT) > 0) {}  /* fills the host's buffer */
            send(fd, "flooded", 7, MSG_DONTWAIT);
            return 0;
        }
    }
}
"#;

#[test]
fn eight_threads_of_misbehaving_plugins_never_hang_the_host_or_leak() {
    // 8 threads × 100 sandboxes; each takes one request and answers it,
    // or dies by its filter, spins until the host gives up, hits its
    // memory limit, or floods the channel. The host stays in charge of
    // every one, and nothing is left behind.
    let _serial = serial();
    if !all_modes_work() {
        return;
    }
    let Some(bin) = compile_c("misbehaving_plugin", MISBEHAVING_PLUGIN) else {
        return;
    };
    use std::time::{Duration, Instant};
    let sandbox =
        Sandbox::from_yaml("version: 1\nextends: strict\nseccomp:\n  allow: [sendto, recvfrom]\n")
            .unwrap()
            .bind_ro_at(bin.to_str().unwrap(), "/plugin")
            .limit(stockade::sandbox::Limit::Data(64 << 20))
            .wall_time(Duration::from_secs(60))
            .args(["/plugin"])
            .channel(None);
    let before = open_fds();
    let started = Instant::now();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let sandbox = sandbox.clone();
            std::thread::spawn(move || {
                let mut slowest = Duration::ZERO;
                for i in 0..100 {
                    let kind = ["upper", "syscall", "loop", "hog", "flood"][(t + i) % 5];
                    let t0 = Instant::now();
                    let child = sandbox.spawn().unwrap();
                    let chan = child.channel().unwrap();
                    let request = if kind == "upper" { "upper abc" } else { kind };
                    chan.send(request.as_bytes(), &[]).unwrap();
                    // The host waits half a second for a spinning plugin,
                    // generously for the rest (the second kernel is emulated).
                    let patience = if kind == "loop" { 500 } else { 30_000 };
                    let reply = chan.recv_timeout(Duration::from_millis(patience));
                    match kind {
                        "upper" => assert_eq!(reply.unwrap().data, b"ABC"),
                        "syscall" => assert!(
                            matches!(
                                reply,
                                Err(ChannelError::Ended(Outcome::SeccompViolation { .. }))
                            ),
                            "{reply:?}"
                        ),
                        "loop" => {
                            assert_eq!(reply.unwrap_err(), ChannelError::TimedOut);
                            child.kill();
                        }
                        "hog" => assert_eq!(reply.unwrap().data, b"no memory"),
                        _ => {
                            // The flood is in the host's buffer, bounded by
                            // it; the host reads a little and moves on.
                            assert_eq!(reply.unwrap().data, b"spam");
                        }
                    }
                    drop(child);
                    slowest = slowest.max(t0.elapsed());
                }
                slowest
            })
        })
        .collect();
    let slowest = threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .max()
        .unwrap();
    eprintln!(
        "800 misbehaving plugins in {:?}; slowest request {slowest:?}",
        started.elapsed()
    );
    assert_eq!(open_fds(), before, "descriptors leaked");
    assert!(
        own_children().is_empty(),
        "left behind: {:?}",
        own_children()
    );
}

/// The library's `output()` reads stdout and stderr together: 100 MiB and
/// 20 MiB written at once by eight processes arrive whole.
#[test]
fn output_collects_a_hundred_megabytes_from_both_streams_at_once() {
    let _serial = serial();
    if !all_modes_work() {
        return;
    }
    let script = "for i in 1 2 3 4; do head -c 26214400 /dev/zero & head -c 5242880 /dev/zero >&2 & done; wait";
    let out = Sandbox::from_profile("default")
        .unwrap()
        .args(["sh", "-c", script])
        .output()
        .unwrap();
    assert_eq!(out.outcome, Outcome::Exited(0));
    assert_eq!(out.stdout.len(), 100 << 20);
    assert_eq!(out.stderr.len(), 20 << 20);
}

/// The network namespace of every task of a sandbox, seen from the host:
/// PID 1's threads and the payload.
fn sandbox_network_namespaces(init: i32) -> Vec<String> {
    let payload = payload_pid(init);
    // The payload's exec has happened once it runs `sleep`.
    for _ in 0..500 {
        let comm = std::fs::read_to_string(format!("/proc/{payload}/comm")).unwrap_or_default();
        if comm.trim() == "sleep" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let mut tasks: Vec<String> = std::fs::read_dir(format!("/proc/{init}/task"))
        .unwrap()
        .flatten()
        .map(|t| format!("/proc/{init}/task/{}", t.file_name().to_string_lossy()))
        .collect();
    tasks.push(format!("/proc/{payload}"));
    tasks
        .iter()
        .map(|t| {
            let link = std::fs::read_link(format!("{t}/ns/net")).unwrap();
            link.to_string_lossy().into_owned()
        })
        .collect()
}

#[test]
fn every_task_of_the_sandbox_is_in_its_own_network_namespace() {
    // PID 1 is cloned in the launcher's network namespace and joins the one
    // its thread made at step 12, before the warden and the payload start:
    // once the payload runs, no task of the sandbox may be in the host's.
    let _serial = serial();
    if !root_and_sandboxes("reading the namespaces of another user namespace's tasks needs root") {
        return;
    }
    let host = std::fs::read_link("/proc/self/ns/net").unwrap();
    let host = host.to_string_lossy().into_owned();
    let spawn = |net| {
        Sandbox::from_profile("strict")
            .unwrap()
            .network(net)
            .args(["sleep", "10"])
            .spawn()
            .unwrap()
    };
    let mut child = spawn(stockade::sandbox::Network::None);
    let seen = sandbox_network_namespaces(child.pid());
    child.kill();
    child.wait().unwrap();
    // PID 1, its warden thread and the payload.
    assert!(seen.len() >= 3, "tasks seen: {seen:?}");
    assert!(seen.iter().all(|n| *n == seen[0]), "{seen:?}");
    assert_ne!(
        seen[0], host,
        "the sandbox is in the host's network namespace"
    );
    // Control: the same reading of a sandbox on the host's network finds
    // the host's namespace.
    let mut child = spawn(stockade::sandbox::Network::Host);
    let seen = sandbox_network_namespaces(child.pid());
    child.kill();
    child.wait().unwrap();
    assert!(seen.iter().all(|n| *n == host), "{seen:?} vs {host}");
}
