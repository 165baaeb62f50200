//! The payload's own terminal, driven the way a person at a terminal
//! drives it: the launcher (or a job-control shell that starts it) runs on
//! a pseudo-terminal this test holds, as root and as uid 65534.
#![allow(unsafe_code)]

mod common;

use common::*;
use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A pseudo-terminal this test holds the master of; its peer is the
/// controlling terminal of what runs on it.
struct Term {
    master: File,
    peer: OwnedFd,
    /// Everything read so far.
    seen: String,
}

impl Term {
    fn new(rows: u16, cols: u16) -> Term {
        let size = nix::pty::Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = nix::pty::openpty(Some(&size), None).unwrap();
        // Not inherited by what other tests spawn meanwhile: a copy of the
        // master elsewhere would keep the terminal from ever hanging up.
        for fd in [&pty.master, &pty.slave] {
            let cloexec = nix::fcntl::FdFlag::FD_CLOEXEC;
            nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_SETFD(cloexec)).unwrap();
        }
        if is_root() {
            // The rootless launcher must be able to use its terminal.
            nix::unistd::fchown(&pty.slave, Some(NOBODY.into()), Some(NOBODY.into())).unwrap();
        }
        let flags = nix::fcntl::fcntl(&pty.master, nix::fcntl::FcntlArg::F_GETFL).unwrap();
        let flags = nix::fcntl::OFlag::from_bits_retain(flags) | nix::fcntl::OFlag::O_NONBLOCK;
        nix::fcntl::fcntl(&pty.master, nix::fcntl::FcntlArg::F_SETFL(flags)).unwrap();
        Term {
            master: File::from(pty.master),
            peer: pty.slave,
            seen: String::new(),
        }
    }

    /// Runs `cmd` in a new session whose controlling terminal is this one
    /// (`setsid --ctty`), on all three standard streams.
    fn spawn(&self, cmd: &Command) -> Child {
        self.command(cmd).spawn().unwrap()
    }

    /// `cmd` in a new session whose controlling terminal is this one, with
    /// this terminal on its standard streams.
    fn command(&self, cmd: &Command) -> Command {
        let mut c = Command::new("setsid");
        c.arg("--ctty").arg(cmd.get_program()).args(cmd.get_args());
        if let Some(d) = cmd.get_current_dir() {
            c.current_dir(d);
        }
        for (k, v) in cmd.get_envs() {
            if let Some(v) = v {
                c.env(k, v);
            }
        }
        let io = || Stdio::from(self.peer.try_clone().unwrap());
        c.stdin(io()).stdout(io()).stderr(io());
        c
    }

    fn type_(&mut self, s: &str) {
        self.master.write_all(s.as_bytes()).unwrap();
    }

    /// Reads what is there now.
    fn pump(&mut self, wait: Duration) {
        use nix::poll::{poll, PollFd, PollFlags};
        let mut fds = [PollFd::new(self.master.as_fd(), PollFlags::POLLIN)];
        let ms = wait.as_millis().min(1000) as u16;
        if poll(&mut fds, ms).unwrap_or(0) == 0 {
            return;
        }
        let mut buf = [0u8; 8192];
        while let Ok(n) = nix::unistd::read(&self.master, &mut buf) {
            if n == 0 {
                break;
            }
            self.seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }

    /// Waits up to `secs` for `want` to appear after byte `from` of what
    /// was seen; the position just after it.
    fn expect_from(&mut self, from: usize, want: &str, secs: u64) -> usize {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(i) = self.seen.get(from..).and_then(|s| s.find(want)) {
                return from + i + want.len();
            }
            assert!(
                Instant::now() < end,
                "{want:?} did not appear within {secs} s; the terminal showed:\n{}\n{}",
                self.seen.get(from..).unwrap_or(""),
                self.processes()
            );
            self.pump(Duration::from_millis(100));
        }
    }

    fn expect(&mut self, want: &str, secs: u64) -> usize {
        self.expect_from(0, want, secs)
    }

    /// Sets this terminal's window size, as a terminal emulator does when
    /// its window is resized (the kernel sends SIGWINCH to the foreground).
    fn resize(&self, rows: u16, cols: u16) {
        let w = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ reads one winsize from the pointer given.
        let rc = unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &w) };
        assert_eq!(rc, 0);
    }

    /// The line discipline of this terminal.
    fn line_discipline(&self) -> i32 {
        let mut ld: libc::c_int = -1;
        // SAFETY: TIOCGETD writes one int to the pointer given.
        let rc = unsafe { libc::ioctl(self.peer.as_raw_fd(), libc::TIOCGETD, &mut ld) };
        assert_eq!(rc, 0);
        ld
    }

    /// For failure messages: each process whose controlling terminal this
    /// is, and everything under it, with its state and the kernel function
    /// it waits in.
    fn processes(&self) -> String {
        let Ok(st) = nix::sys::stat::fstat(&self.peer) else {
            return String::new();
        };
        let (major, minor) = (libc::major(st.st_rdev), libc::minor(st.st_rdev));
        let mut out = String::from("processes on this terminal:");
        let mut listed = Vec::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // The terminal's device number, as the kernel encodes it.
            let tty: u32 = stat
                .rsplit_once(") ")
                .and_then(|(_, r)| r.split_whitespace().nth(4)?.parse().ok())
                .unwrap_or(0);
            if (tty >> 8) & 0xfff != major
                || (tty & 0xff) | ((tty >> 12) & 0xfff00) != minor
                || listed.contains(&pid)
            {
                continue;
            }
            for p in std::iter::once(pid).chain(descendants(pid).into_iter().map(|d| d.0)) {
                listed.push(p);
                let read = |what| std::fs::read_to_string(format!("/proc/{p}/{what}"));
                let (comm, wchan) = (read("comm").unwrap_or_default(), read("wchan"));
                let state = job_state(p).map_or('?', |j| j.0);
                out.push_str(&format!(
                    "\n  {p} {} {state} {}",
                    comm.trim_end(),
                    wchan.unwrap_or_default()
                ));
            }
        }
        out
    }

    /// Bytes waiting to be read by what runs on this terminal (input that
    /// TIOCSTI pushed lands here); None when its discipline cannot say.
    fn pending_input(&self) -> Option<i32> {
        let mut n: libc::c_int = -1;
        // SAFETY: FIONREAD writes one int to the pointer given.
        let rc = unsafe { libc::ioctl(self.peer.as_raw_fd(), libc::FIONREAD, &mut n) };
        (rc == 0).then_some(n)
    }

    /// The terminal's mode flags and control characters: the kernel's
    /// 19 (its NCCS on x86_64 and aarch64); musl's tcgetattr leaves the
    /// rest of the C library's 32 as they were.
    fn mode(&self) -> Option<(u32, u32, u32, u32, Vec<u8>)> {
        let t = nix::sys::termios::tcgetattr(&self.peer).ok()?;
        Some((
            t.input_flags.bits() as u32,
            t.output_flags.bits() as u32,
            t.control_flags.bits() as u32,
            t.local_flags.bits() as u32,
            t.control_chars[..19].to_vec(),
        ))
    }
}

/// Waits for `child` to exit, reading `term` meanwhile.
fn wait_exit(child: &mut Child, secs: u64, term: &mut Term) -> std::process::ExitStatus {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            term.pump(Duration::from_millis(50));
            return s;
        }
        if Instant::now() > end {
            let _ = child.kill();
            panic!(
                "{} did not exit within {secs} s; the terminal showed:\n{}\n{}",
                child.id(),
                term.seen,
                term.processes()
            );
        }
        term.pump(Duration::from_millis(20));
    }
}

/// `stockade run -q [extra] -- PROGRAM ARGS` as the user of `mode`, in `dir`.
fn run_cmd(mode: Mode, dir: &std::path::Path, extra: &[&str], program: &[&str]) -> Command {
    let mut cmd = stockade(mode, dir);
    cmd.args(["run", "-q"]).args(extra).arg("--").args(program);
    cmd
}

/// The `stockade run ...` command line for `mode`, as a shell would type it.
fn command_line(mode: Mode, run_args: &str) -> String {
    let bin = binary().display().to_string();
    match (mode, is_root()) {
        (Mode::Rootless, true) => {
            format!("setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups {bin} run {run_args}")
        }
        _ => format!("{bin} run {run_args}"),
    }
}

/// An interactive bash with job control on `term`, at its first prompt.
fn shell(term: &mut Term, cwd: &std::path::Path) -> Child {
    let mut c = Command::new("bash");
    c.args(["--norc", "--noprofile", "-i"])
        .current_dir(cwd)
        .env("PS1", "PROMPT> ")
        .env("TERM", "dumb");
    let child = term.spawn(&c);
    term.expect("PROMPT> ", 30);
    child
}

/// The highest `tick N` printed after byte `from` of what was seen.
fn last_tick(seen: &str, from: usize) -> u32 {
    seen.get(from..)
        .unwrap_or("")
        .split("tick ")
        .skip(1)
        .filter_map(|s| {
            let n: String = s.chars().take_while(char::is_ascii_digit).collect();
            (s.len() > n.len() && s[n.len()..].starts_with('\r'))
                .then(|| n.parse().ok())
                .flatten()
        })
        .max()
        .unwrap_or(0)
}

/// Whether process `pid` runs the program named `comm`.
fn named(pid: u32, comm: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim_end() == comm)
}

/// A process's state, its process group and the foreground process group
/// of its terminal (host pids), from `/proc/PID/stat`.
fn job_state(pid: u32) -> Option<(char, i64, i64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name's closing parenthesis: state,
    // parent, group, session, terminal, the terminal's foreground group.
    let f: Vec<&str> = stat.rsplit_once(") ")?.1.split_whitespace().collect();
    Some((
        f.first()?.chars().next()?,
        f.get(2)?.parse().ok()?,
        f.get(5)?.parse().ok()?,
    ))
}

/// Waits up to `secs` for a process named `comm` under `root` of which
/// `ready` holds (`what` says what that is, for the failure message),
/// reading `term` meanwhile; its pid.
fn wait_process(
    term: &mut Term,
    root: u32,
    comm: &str,
    secs: u64,
    what: &str,
    ready: impl Fn(u32) -> bool,
) -> u32 {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        let found = descendants(root)
            .into_iter()
            .find(|d| named(d.0, comm) && ready(d.0));
        if let Some(d) = found {
            return d.0;
        }
        assert!(
            Instant::now() < end,
            "no {comm}{what} under {root} within {secs} s:\n{}\n{}",
            term.seen,
            term.processes()
        );
        term.pump(Duration::from_millis(50));
    }
}

/// The pid of a process named `comm` under `root` that runs (is not
/// stopped) in the foreground of its terminal, once there is one. A
/// job-control shell hands a job its terminal in the job's own process
/// after the fork: a key typed before that signals the shell, which
/// ignores it, on any terminal.
fn wait_foreground(term: &mut Term, root: u32, comm: &str, secs: u64) -> u32 {
    let running_in_front =
        |pid| job_state(pid).is_some_and(|(state, group, fg)| state != 'T' && group == fg);
    let what = " running in the foreground of its terminal";
    wait_process(term, root, comm, secs, what, running_in_front)
}

/// The process tree under `pid` as (pid, parent, state).
fn descendants(pid: u32) -> Vec<(u32, u32, char)> {
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        let kids =
            std::fs::read_to_string(format!("/proc/{p}/task/{p}/children")).unwrap_or_default();
        for k in kids
            .split_whitespace()
            .filter_map(|k| k.parse::<u32>().ok())
        {
            let stat = std::fs::read_to_string(format!("/proc/{k}/stat")).unwrap_or_default();
            // The state follows the command name's closing parenthesis.
            let state = stat.rsplit_once(") ").and_then(|(_, r)| r.chars().next());
            out.push((k, p, state.unwrap_or('?')));
            todo.push(k);
        }
    }
    out
}

#[test]
fn the_payload_gets_a_terminal_of_its_own() {
    each_mode(|mode| {
        let dir = workdir(mode, "pty-own");
        let mut term = Term::new(33, 101);
        let before = term.mode();
        let script =
            "tty; stty size; echo via-dev-tty > /dev/tty; test -t 0 && echo stdin-is-a-terminal";
        let cmd = run_cmd(mode, &dir, &[], &["sh", "-c", script]);
        let mut child = term.spawn(&cmd);
        let status = wait_exit(&mut child, 30, &mut term);
        let shown = term.seen.clone();
        eprintln!("[{mode:?}] {status:?}\n{shown}");
        assert_eq!(status.code(), Some(0), "{shown}");
        for want in ["/dev/pts/0", "33 101", "via-dev-tty", "stdin-is-a-terminal"] {
            assert!(shown.contains(want), "{want:?} missing:\n{shown}");
        }
        assert_eq!(term.mode(), before, "the launcher's terminal mode changed");

        // Control: without a terminal of its own the payload has the
        // launcher's descriptors and no terminal it can name.
        let mut term = Term::new(33, 101);
        let cmd = run_cmd(
            mode,
            &dir,
            &["--no-pty"],
            &["sh", "-c", "tty; echo /dev/tty: ; echo x > /dev/tty"],
        );
        let mut child = term.spawn(&cmd);
        let status = wait_exit(&mut child, 30, &mut term);
        eprintln!("[{mode:?}] --no-pty {status:?}\n{}", term.seen);
        assert!(term.seen.contains("not a tty"), "{}", term.seen);
        assert!(!term.seen.contains("/dev/pts/0"), "{}", term.seen);
    });
}

#[test]
fn job_control_works_in_a_shell_inside() {
    if !have("/bin/bash", "the payload is an interactive bash") {
        return;
    }
    each_mode(|mode| {
        let dir = workdir(mode, "pty-jobs");
        let mut term = Term::new(24, 80);
        let cmd = run_cmd(
            mode,
            &dir,
            &["--env", "PS1=INNER> "],
            &["bash", "--norc", "--noprofile", "-i"],
        );
        let mut child = term.spawn(&cmd);
        let at = term.expect("INNER> ", 60);
        term.type_("sleep 60\n");
        wait_foreground(&mut term, child.id(), "sleep", 60);
        // Ctrl-Z: the sandbox's terminal stops the shell's job, not the shell.
        term.type_("\x1a");
        let at = term.expect_from(at, "Stopped", 30);
        let at = term.expect_from(at, "INNER> ", 30);
        // Markers are computed, so the echo of the typed line cannot match.
        term.type_("jobs; echo jobs-$((6*7))\n");
        let at = term.expect_from(at, "jobs-42", 30);
        assert!(term.seen[..at].contains("[1]+  Stopped"), "{}", term.seen);
        // fg brings the job back to the foreground; Ctrl-C ends it there.
        term.type_("fg\n");
        wait_foreground(&mut term, child.id(), "sleep", 30);
        term.type_("\x03");
        let at = term.expect_from(at, "INNER> ", 30);
        term.type_("echo fg-rc=$?; exit 0\n");
        term.expect_from(at, "fg-rc=130", 30);
        let status = wait_exit(&mut child, 30, &mut term);
        eprintln!("[{mode:?}] {status:?}\n{}", term.seen);
        assert_eq!(status.code(), Some(0), "{}", term.seen);
        assert!(!term.seen.contains("no job control"), "{}", term.seen);
        assert!(
            !term.seen.contains("cannot set terminal process group"),
            "{}",
            term.seen
        );
    });
}

#[test]
fn ctrl_z_suspends_the_whole_sandbox_and_fg_resumes_it() {
    if !have(
        "/bin/bash",
        "the launcher is started from an interactive bash",
    ) || !have("/usr/bin/python3", "the payload is a python loop")
    {
        return;
    }
    each_mode(|mode| {
        for pty in ["", "--no-pty"] {
            let dir = workdir(mode, "pty-suspend");
            let mut term = Term::new(24, 80);
            let mut bash = shell(&mut term, &dir);
            let at = term.seen.len();
            // Markers are computed, so the echo of the typed line cannot match.
            term.type_("stty -g; echo modes-$((1+1))\n");
            let before_end = term.expect_from(at, "modes-2", 30);
            let modes_before = term.seen[at..before_end]
                .lines()
                .nth(1)
                .unwrap_or("")
                .to_string();
            // One process (a shell would vfork `sleep`, and a vfork parent
            // cannot stop while its stopped child has not exec'd: Ctrl-Z
            // in that instant hangs any terminal, stockade or not).
            let loop_ = "\"import time, itertools; [(print('tick', i, flush=True), time.sleep(0.1)) for i in itertools.count(1)]\"";
            let line = command_line(mode, &format!("-q {pty} -- python3 -c {loop_}"));
            let at = term.seen.len();
            term.type_(&format!("{line}\n"));
            term.expect_from(at, "tick 3\r", 60);
            term.type_("\x1a");
            let stopped_at = term.expect_from(at, "Stopped", 30);
            term.expect_from(stopped_at, "PROMPT> ", 30);
            // Every process of the sandbox but its init (which only waits)
            // is stopped, the launcher too: nothing runs behind the shell.
            // The shell says Stopped once the launcher has stopped; every
            // other process of the payload's group got the same signal and
            // stops as soon as it is scheduled (on a slow machine, a
            // moment later).
            let stopped = |tree: &[(u32, u32, char)]| -> Result<(), String> {
                let launcher = tree
                    .iter()
                    .find(|t| t.1 == bash.id())
                    .ok_or("no launcher")?
                    .0;
                let init = tree.iter().find(|t| t.1 == launcher).ok_or("no init")?.0;
                match tree.iter().find(|t| t.0 != init && t.2 != 'T') {
                    Some((pid, parent, _)) => Err(format!(
                        "[{mode:?} {pty}] pid {pid} (child of {parent}) runs: {tree:?}"
                    )),
                    None => Ok(()),
                }
            };
            let end = Instant::now() + Duration::from_secs(30);
            let tree = loop {
                let tree = descendants(bash.id());
                match stopped(&tree) {
                    Ok(()) => break tree,
                    Err(why) if Instant::now() > end => panic!("{why}"),
                    Err(_) => std::thread::sleep(Duration::from_millis(50)),
                }
            };
            assert!(tree.len() >= 3, "{tree:?}");
            let frozen = last_tick(&term.seen, 0);
            std::thread::sleep(Duration::from_millis(800));
            term.pump(Duration::from_millis(100));
            assert_eq!(
                last_tick(&term.seen, 0),
                frozen,
                "ticks went on while suspended:\n{}",
                term.seen
            );
            // fg: the sandbox goes on where it stopped.
            let at = term.seen.len();
            term.type_("fg\n");
            term.expect_from(at, &format!("tick {}\r", frozen + 3), 30);
            term.type_("\x03");
            let at = term.expect_from(at, "PROMPT> ", 30);
            term.type_("echo rc=$?; stty -g; echo modes-$((2+1))\n");
            let after_end = term.expect_from(at, "modes-3", 30);
            let shown = term.seen[at..after_end].to_string();
            assert!(shown.contains("rc=130"), "[{mode:?} {pty}] {shown}");
            assert!(shown.contains(&modes_before), "[{mode:?} {pty}] the terminal's mode was not put back: before {modes_before}, after:\n{shown}");
            term.type_("exit\n");
            wait_exit(&mut bash, 30, &mut term);
            eprintln!("[{mode:?} {pty}] suspended at tick {frozen}, resumed, ended with rc=130");
        }
    });
}

#[test]
fn window_size_changes_reach_the_payload() {
    each_mode(|mode| {
        let dir = workdir(mode, "pty-winch");
        let mut term = Term::new(24, 80);
        let cmd = run_cmd(
            mode,
            &dir,
            &[],
            &["sh", "-c", "echo ready; while read x; do stty size; done"],
        );
        let mut child = term.spawn(&cmd);
        let at = term.expect("ready", 60);
        term.resize(40, 120);
        let end = Instant::now() + Duration::from_secs(30);
        // A line every 200 ms, not one per read: each line runs `stty`,
        // and on a slow machine lines typed as fast as their echoes come
        // back queue more `stty` runs than the exit below waits for.
        let mut next_line = Instant::now();
        while !term.seen[at..].contains("40 120") {
            assert!(
                Instant::now() < end,
                "the new size never reached the payload:\n{}",
                term.seen
            );
            if Instant::now() >= next_line {
                term.type_("\n");
                next_line = Instant::now() + Duration::from_millis(200);
            }
            term.pump(Duration::from_millis(50));
        }
        term.type_("\x04");
        let status = wait_exit(&mut child, 30, &mut term);
        assert_eq!(status.code(), Some(0), "{}", term.seen);
    });
}

/// Pushes input into its terminal (TIOCSTI), switches its line discipline
/// to N_NULL and its mode to raw, then says what it got and waits for a
/// line (or gives up after 20 s).
const ATTACK: &str = r#"
import fcntl, os, struct, sys, termios, select, tty
out = []
try:
    fcntl.ioctl(0, termios.TIOCSTI, b"X")
    out.append("tiocsti=ok")
except OSError as e:
    out.append("tiocsti=" + os.strerror(e.errno))
try:
    tty.setraw(0)
    out.append("raw=ok")
except OSError as e:
    out.append("raw=" + os.strerror(e.errno))
try:
    fcntl.ioctl(0, termios.TIOCSETD, struct.pack("i", 27))
    out.append("ldisc=ok")
except OSError as e:
    out.append("ldisc=" + os.strerror(e.errno))
os.write(2, (" ".join(out) + " attacked\n").encode())
select.select([], [], [], 20)
"#;

/// Runs `cmd` on `term` (in a new session, the terminal its controlling
/// one) with stderr on a pipe, until it wrote "attacked" there.
fn attack(term: &Term, cmd: &Command) -> (Child, String) {
    let mut child = term.command(cmd).stderr(Stdio::piped()).spawn().unwrap();
    let mut err = child.stderr.take().unwrap();
    let mut said = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&said).contains("attacked") {
        let n = std::io::Read::read(&mut err, &mut buf).unwrap();
        assert!(
            n > 0,
            "the attack ended early: {}",
            String::from_utf8_lossy(&said)
        );
        said.extend_from_slice(&buf[..n]);
    }
    (child, String::from_utf8_lossy(&said).into_owned())
}

#[test]
fn what_the_payload_does_to_its_terminal_stays_inside() {
    if !have("/usr/bin/python3", "the attacks are written in python") {
        return;
    }
    each_mode(|mode| {
        let dir = workdir(mode, "pty-attack");
        let mut term = Term::new(24, 80);
        let (mode_before, ld_before) = (term.mode(), term.line_discipline());
        let cmd = run_cmd(mode, &dir, &[], &["python3", "-c", ATTACK]);
        let (mut child, said) = attack(&term, &cmd);
        // While the payload still runs: no input was pushed into the
        // launcher's terminal and its discipline is its own.
        let (pushed, ld) = (term.pending_input(), term.line_discipline());
        // Ended by a signal to the launcher: its terminal's mode comes back.
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let status = wait_exit(&mut child, 20, &mut term);
        eprintln!("[{mode:?}] payload: {said} pushed={pushed:?} ldisc={ld} {status:?}");
        // TIOCSTI is refused by the filter (its side door), with EPERM.
        assert!(said.contains("tiocsti=Operation not permitted"), "{said}");
        // The payload changed the mode of its own terminal.
        assert!(said.contains("raw=ok"), "{said}");
        assert_eq!(pushed, Some(0), "input reached the launcher's terminal");
        assert_eq!(
            ld, ld_before,
            "the launcher's terminal lost its line discipline"
        );
        assert_eq!(status.code(), Some(128 + libc::SIGTERM), "{said}");
        assert_eq!(
            term.mode(),
            mode_before,
            "the launcher's terminal mode was not put back"
        );
        assert_eq!(term.line_discipline(), ld_before);
    });

    // Control: the same program on the terminal, as its controlling
    // terminal, without stockade: the pushed input lands in the terminal,
    // its mode and discipline change.
    let term = Term::new(24, 80);
    let (mode_before, ld_before) = (term.mode(), term.line_discipline());
    let mut cmd = Command::new("python3");
    cmd.args(["-c", ATTACK]);
    let (mut child, said) = attack(&term, &cmd);
    let (pushed, ld, mode_now) = (term.pending_input(), term.line_discipline(), term.mode());
    let _ = child.kill();
    let _ = child.wait();
    eprintln!("control: {said} pushed={pushed:?} ldisc={ld}");
    assert!(said.contains("raw=ok"), "{said}");
    assert_ne!(mode_now, mode_before, "control: the mode did not change");
    let legacy = std::fs::read_to_string("/proc/sys/dev/tty/legacy_tiocsti")
        .map_or(true, |v| v.trim() == "1");
    if legacy {
        assert!(said.contains("tiocsti=ok"), "{said}");
    }
    if said.contains("ldisc=ok") {
        assert_ne!(ld, ld_before, "control: the discipline did not change");
    } else if legacy {
        // Pushed input stays queued only while the discipline is N_TTY.
        assert!(pushed > Some(0), "control: no input was pushed: {said}");
    }
}

/// Waits up to `secs` for process `pid` to have ended (a zombie has: its
/// reaping is up to whoever is its parent now).
fn wait_gone(pid: u32, secs: u64) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while job_state(pid).is_some_and(|j| j.0 != 'Z') {
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

#[test]
fn a_terminal_that_goes_away_ends_the_sandbox() {
    // The terminal's emulator closes (its master goes): the payload hears
    // SIGHUP as it would on that terminal, and nothing of the sandbox is
    // left.
    each_mode(|mode| {
        let dir = workdir(mode, "pty-hangup");
        let mut term = Term::new(24, 80);
        let cmd = run_cmd(mode, &dir, &[], &["sh", "-c", "sleep 60; echo never"]);
        let mut child = term.spawn(&cmd);
        let sleep = wait_process(&mut term, child.id(), "sleep", 60, "", |_| true);
        drop(term);
        let end = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < end, "the launcher outlived its terminal");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(status.code(), Some(128 + libc::SIGHUP), "[{mode:?}]");
        assert!(
            wait_gone(sleep, 30),
            "[{mode:?}] the payload's {sleep} is left"
        );
    });
}

#[test]
fn a_terminal_that_goes_away_ends_a_suspended_sandbox() {
    // Ctrl-Z stopped the sandbox and the launcher, then the terminal's
    // emulator closes. The shell hears SIGHUP and passes it on to its
    // stopped jobs with SIGCONT; the launcher passes it on to the stopped
    // payload the same way, so nothing of the sandbox is left.
    if !have(
        "/bin/bash",
        "the launcher is started from an interactive bash",
    ) {
        return;
    }
    each_mode(|mode| {
        let dir = workdir(mode, "pty-hangup-stopped");
        let mut term = Term::new(24, 80);
        let mut bash = shell(&mut term, &dir);
        let at = term.seen.len();
        term.type_(&format!("{}\n", command_line(mode, "-q -- sleep 600")));
        let sleep = wait_foreground(&mut term, bash.id(), "sleep", 60);
        term.type_("\x1a");
        term.expect_from(at, "Stopped", 30);
        let tree = descendants(bash.id());
        let launcher = tree.iter().find(|t| t.1 == bash.id()).expect("launcher").0;
        for (what, pid) in [("launcher", launcher), ("payload", sleep)] {
            assert!(
                tree.iter().any(|&(p, _, state)| p == pid && state == 'T'),
                "[{mode:?}] the {what} is not stopped: {tree:?}"
            );
        }
        drop(term);
        let end = Instant::now() + Duration::from_secs(30);
        while bash.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < end,
                "[{mode:?}] the shell outlived its terminal"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        for (what, pid) in [("launcher", launcher), ("payload", sleep)] {
            assert!(
                wait_gone(pid, 30),
                "[{mode:?}] the {what} ({pid}) outlived its terminal: {:?}",
                descendants(pid)
            );
        }
    });
}
