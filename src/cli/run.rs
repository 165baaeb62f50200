//! `stockade run`: one sandbox from the command line, with signals
//! forwarded, the terminals put back, the channel socket served and the
//! status stream written.

use super::args::RunArgs;
use super::flags::{host, overrides};
use super::say::say;
use super::status::Stream;
use super::terminal::{self, Relay, Terminals};
use crate::error::Error;
use crate::policy::MountOp;
use crate::process::{self, Event};
use crate::profile;
use crate::sandbox::{Sandbox, Stdio, Wake};
use crate::sys;
use nix::errno::Errno;
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

/// Blocks the forwarded signals in this launcher (before its first spawn
/// starts stockade's supervisor thread, which blocks every signal anyway)
/// and returns a signalfd that delivers them to the wait loop.
fn forwarded_signals() -> Result<SignalFd, Error> {
    let mut set = SigSet::empty();
    for s in process::FORWARDED_SIGNALS {
        if let Ok(sig) = Signal::try_from(s) {
            set.add(sig);
        }
    }
    let io = |err: Errno| Error::Io {
        what: "cannot set up signal forwarding",
        err: err.into(),
    };
    nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None).map_err(io)?;
    SignalFd::with_flags(&set, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK).map_err(io)
}

pub(super) fn run_sandbox(args: RunArgs, started: std::time::Duration) -> Result<i32, Error> {
    if sys::started_privileged() {
        return Err(Error::Privileged);
    }
    // Opened first, so that a reader learns of errors before the launch
    // too (a bad profile, a flag, a missing directory).
    let mut status = match args.status_fd {
        None => None,
        Some(fd) => Some(Stream::open(fd).map_err(|err| Error::Io {
            what: "cannot open --status-fd",
            err,
        })?),
    };
    // The sandbox resolves the profile with the command line's settings
    // once; what this function reads of the policy is that resolution.
    let resolved = host().and_then(|host| {
        let layers = profile::load(&args.profile)?;
        let settings = overrides(&args, &host)?;
        let sandbox = Sandbox::with_settings(layers, host, settings);
        sandbox.policy()?;
        Ok(sandbox)
    });
    let sandbox = match resolved {
        Ok(s) => s,
        Err(e) => {
            if let Some(s) = &mut status {
                s.setup_error(&e.to_string());
            }
            return Err(e);
        }
    };
    let policy = sandbox.policy()?;
    let resolved_at = sys::monotonic_now();
    for w in &policy.warnings {
        if !args.quiet {
            say(&format!("warning: {w}"));
        }
    }
    if args.verbose {
        say(&format!("profile {}", args.profile));
        for line in policy.to_string().lines() {
            say(&format!("  {line}"));
        }
    }
    let signals = forwarded_signals()?;
    // Put back on every way out of this function (the sandbox is gone by
    // then): normal end, error, forwarded signal, time limit.
    let terminals = Terminals::save();
    let ttys = terminal::std_terminals();
    // Stops are followed only where someone can continue them (`fg`).
    let interactive = ttys[0];
    let pty = if args.no_pty {
        false
    } else {
        args.pty
            || (ttys[0]
                && ttys[1]
                && terminal::in_foreground()
                && policy
                    .mounts
                    .iter()
                    .any(|m| matches!(m.op, MountOp::Dev { .. })))
    };
    let refuses = policy
        .seccomp
        .as_ref()
        .is_some_and(|sc| !matches!(sc.default_action, crate::seccomp::Action::Log));
    // The main thread waits for the sandbox from start to end (the loop
    // below): it supervises it itself, without a supervisor thread.
    let mut sandbox = sandbox
        .args(args.command.iter().cloned())
        .supervise_inline()
        .last_in_process();
    if args.trace_setup || args.timings {
        sandbox = sandbox.trace_setup();
    }
    if interactive {
        sandbox = sandbox.report_stops();
    }
    if args.learn {
        sandbox = sandbox.learn();
        say(if refuses {
            "--learn: the seccomp allowlist is not enforced in this run (what it refuses is let through and listed at the end); never use it on untrusted code"
        } else {
            "--learn: the profile's seccomp section refuses nothing by default (no allowlist, or default_action: log): there is nothing to learn"
        });
    }
    let mut learned: Vec<&'static str> = Vec::new();
    if pty {
        // stdin and stdout through the terminal; stderr too unless it was
        // sent elsewhere (`2>log`).
        sandbox = sandbox.stdin(Stdio::Terminal).stdout(Stdio::Terminal);
        if ttys[2] {
            sandbox = sandbox.stderr(Stdio::Terminal);
        }
        let stdin = std::io::stdin();
        let stdout = std::io::stdout();
        sandbox = match ttys {
            [true, ..] => sandbox.terminal_like(std::os::fd::AsFd::as_fd(&stdin)),
            [_, true, _] => sandbox.terminal_like(std::os::fd::AsFd::as_fd(&stdout)),
            _ => sandbox.terminal_size(24, 80),
        };
    }
    let mut child = match sandbox.spawn() {
        Ok(c) => c,
        Err(e) => {
            if let Some(s) = &mut status {
                s.setup_error(&e.to_string());
            }
            return Err(e);
        }
    };
    // The relay owns the master; `master` is kept to resize it.
    let (relay, master) = match child.terminal.take() {
        Some(m) => {
            let io = |err| Error::Io {
                what: "cannot relay the sandbox's terminal",
                err,
            };
            let handle = m.try_clone().map_err(io)?;
            terminals.raw();
            (Some(Relay::start(m).map_err(io)?), Some(handle))
        }
        None => (None, None),
    };
    if args.verbose {
        // What the plan enforces (computed once, when the plan was built).
        say(&child.landlock_report().to_string());
        for line in &child.enforcement().lines {
            say(&format!("limit {line}"));
        }
    }
    // A profile's TCP port rules dropped on an older kernel leave TCP
    // unrestricted: said on every run (finer filesystem rights newer than
    // the kernel are shown with -v).
    let report = child.landlock_report();
    let net_dropped = report.dropped_network();
    if !net_dropped.is_empty() && !args.quiet && !args.verbose {
        say(&format!(
            "warning: landlock ABI {} cannot restrict TCP ports: dropped {}",
            report.abi,
            net_dropped.join(", ")
        ));
    }
    if let (Some(why), false) = (&child.enforcement().unavailable, args.quiet) {
        say(&format!("warning: no cgroup for the sandbox ({why}); memory is bounded per process by RLIMIT_DATA and cpu not at all"));
    }
    if let Some(s) = &mut status {
        s.started(child.pid(), child.socket().map(|s| s.path_in_sandbox()));
    }
    // The acceptor ends when `stop_tx` is dropped (its end of the pipe
    // hangs up).
    let (stop_rx, stop_tx) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| Error::Io {
            what: "cannot create a pipe",
            err: e.into(),
        })?;
    let acceptor = child.socket().map(|server| {
        let mut log = status.clone();
        std::thread::spawn(move || serve_socket(&server, &stop_rx, log.as_mut()))
    });
    let outcome = loop {
        match child.next_event_or_signal(&signals) {
            Ok(Wake::Signal(libc::SIGWINCH)) if master.is_some() => {
                // The kernel tells the payload (SIGWINCH) when the size of
                // its terminal changes.
                if let Some(m) = &master {
                    terminal::copy_window_size(std::os::fd::AsFd::as_fd(m));
                }
            }
            Ok(Wake::Signal(sig)) => child.signal(sig),
            Ok(Wake::Event(Event::Stopped(_))) if interactive => {
                // The payload stopped (Ctrl-Z in its terminal, or SIGTSTP
                // forwarded from ours): the launcher stops too, so the
                // shell that started it gets the terminal back; `fg`
                // continues both.
                terminals.restore();
                terminal::suspend_self();
                if let Some(m) = &master {
                    terminals.raw();
                    terminal::copy_window_size(std::os::fd::AsFd::as_fd(m));
                }
                child.signal(libc::SIGCONT);
            }
            Ok(Wake::Event(Event::Stopped(_))) => {}
            Ok(Wake::Event(Event::Learned { nr, arch })) => {
                let name = crate::sandbox::syscall_name(nr, arch);
                if let Some(s) = &mut status {
                    s.note("learned", serde_json::json!({"syscall": name, "nr": nr}));
                }
                learned.extend(name);
            }
            Ok(Wake::Event(Event::Applied)) => {
                if let (Some(s), Ok(policy)) = (&mut status, sandbox.policy()) {
                    s.applied(policy, child.landlock_report(), child.enforcement());
                }
            }
            Ok(Wake::Event(Event::Ended(o))) => break o,
            Ok(Wake::Event(Event::Step(stage))) => {
                if args.trace_setup {
                    say(&format!("setup step {}: {}", stage as u32, stage.name()))
                }
            }
            Err(err) => {
                return Err(Error::Io {
                    what: "waiting for the sandbox",
                    err,
                })
            }
        }
    };
    // Everything the payload wrote to its terminal, before any message.
    if let Some(r) = relay {
        r.finish();
    }
    drop(stop_tx);
    if let Some(t) = acceptor {
        let _ = t.join();
    }
    // The terminals first, so the last message reaches a working one.
    drop(terminals);
    if args.timings {
        for line in timings(started, resolved_at, &child.timeline()) {
            say(&line);
        }
    }
    // The status event first: it is what a supervising program reads, and
    // stderr may be slow (see `say`).
    let message = child.describe(outcome);
    if let Some(s) = &mut status {
        s.exited(outcome, message.as_deref());
    }
    if let Some(m) = &message {
        say(m);
    }
    if args.learn {
        say(&learned_profile(&args.profile, &learned));
    }
    // The process exits next: the policy, hundreds of small allocations,
    // is left to the exit rather than freed one by one.
    std::mem::forget(sandbox);
    Ok(outcome.exit_code())
}

/// What `--learn` prints at the end: the calls let through, as a profile
/// that extends the one used.
fn learned_profile(profile: &str, learned: &[&str]) -> String {
    if learned.is_empty() {
        return "--learn: the program made no call the profile refuses".to_string();
    }
    let mut names = learned.to_vec();
    names.sort_unstable();
    names.dedup();
    format!(
        "--learn: the profile refuses {} the program made; to allow {}, extend it:\n\
         version: 1\nextends: {profile}\nseccomp:\n  allow: [{}]",
        if names.len() == 1 {
            "1 call".to_string()
        } else {
            format!("{} calls", names.len())
        },
        if names.len() == 1 { "it" } else { "them" },
        names.join(", ")
    )
}

/// The start-up breakdown `--timings` prints: each event's time since the
/// launcher started and how long until the next one (the init's own
/// filter, step 28, runs alongside the payload's steps).
fn timings(
    started: std::time::Duration,
    resolved: std::time::Duration,
    t: &crate::sandbox::Timeline,
) -> Vec<String> {
    let mut marks: Vec<(std::time::Duration, String)> = vec![
        (
            started,
            "launcher: read the command line, load and resolve the profile".into(),
        ),
        (
            resolved,
            "launcher: build the plan, clone, write the id maps".into(),
        ),
    ];
    for (stage, at) in &t.steps {
        marks.push((
            *at,
            format!("sandbox step {:>2}: {}", *stage as u32, stage.name()),
        ));
    }
    let mut push = |at: Option<std::time::Duration>, what: &str| {
        if let Some(at) = at {
            marks.push((at, what.to_string()));
        }
    };
    push(t.applied, "payload: exec, run, exit");
    push(t.payload_ended, "PID 1: end the sandbox, report");
    push(t.init_reaped, "launcher: reap, remove the cgroup");
    push(t.cleaned_up, "end");
    marks.sort_by_key(|m| m.0);
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let mut out =
        vec!["timings (ms since the launcher started, then until the next line):".to_string()];
    for (i, (at, what)) in marks.iter().enumerate() {
        let since = ms(at.saturating_sub(started));
        match marks.get(i + 1) {
            Some((next, _)) => out.push(format!(
                "  {since:8.3}  {:7.3}  {what}",
                ms(next.saturating_sub(*at))
            )),
            None => out.push(format!("  {since:8.3}           {what}")),
        }
    }
    out
}

/// Most channel-socket connections the CLI serves at once; more are
/// closed as they arrive, so a payload cannot make the launcher hold
/// descriptors or spend CPU without bound.
const MAX_CONNECTIONS: usize = 16;

/// Accepts connections on the channel socket until `stop` hangs up,
/// reporting each connection and message in the status stream. It sleeps
/// in one poll over everything it serves: no busy loop.
fn serve_socket(
    server: &crate::channel::SocketServer,
    stop: &std::os::fd::OwnedFd,
    mut log: Option<&mut Stream>,
) {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use serde_json::json;
    use std::os::fd::AsFd;
    let mut conns: Vec<crate::channel::Channel> = Vec::new();
    let mut refused: u64 = 0;
    loop {
        let mut fds = vec![
            PollFd::new(stop.as_fd(), PollFlags::POLLIN),
            PollFd::new(server.as_fd(), PollFlags::POLLIN),
        ];
        fds.extend(
            conns
                .iter()
                .map(|c| PollFd::new(c.as_fd(), PollFlags::POLLIN)),
        );
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(_) => return,
        }
        let ready: Vec<bool> = fds
            .iter()
            .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
            .collect();
        drop(fds);
        if ready[0] {
            return;
        }
        // Connections polled this round (an accepted one joins the next).
        let polled = conns.len();
        if ready[1] {
            match server.accept_ready() {
                Ok(Some(c)) if conns.len() < MAX_CONNECTIONS => {
                    if let Some(l) = log.as_deref_mut() {
                        l.note("connection", json!({"accepted": true}));
                    }
                    conns.push(c);
                }
                Ok(Some(_)) => {
                    // Closed on drop. Reported at 1, 2, 4, 8, ... refusals.
                    refused += 1;
                    if let (Some(l), true) = (log.as_deref_mut(), refused.is_power_of_two()) {
                        l.note(
                            "connection",
                            json!({"accepted": false, "error": format!("more than {MAX_CONNECTIONS} connections"), "refused": refused}),
                        );
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    if let Some(l) = log.as_deref_mut() {
                        l.note(
                            "connection",
                            json!({"accepted": false, "error": e.to_string()}),
                        );
                    }
                }
            }
        }
        for i in (0..polled).rev() {
            if !ready[i + 2] {
                continue;
            }
            let open = loop {
                match conns[i].try_recv() {
                    Ok(Some(m)) => {
                        if let Some(l) = log.as_deref_mut() {
                            l.note(
                                "message",
                                json!({"bytes": m.data.len(), "fds": m.fds.len()}),
                            );
                        }
                    }
                    Ok(None) => break true,
                    Err(crate::channel::ChannelError::Closed) => break false,
                    Err(e) => {
                        if let Some(l) = log.as_deref_mut() {
                            l.note("message", json!({"error": e.to_string()}));
                        }
                        break false;
                    }
                }
            };
            if !open {
                conns.swap_remove(i);
            }
        }
    }
}
