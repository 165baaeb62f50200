//! The top level of the CLI: load → resolve → plan → spawn → supervise,
//! and turning the outcome into messages and an exit code.

use crate::cli::{CheckArgs, Cli, Command, ExplainArgs, NetMode, RunArgs};
use crate::error::Error;
use crate::process::{self, Event};
use crate::profile::model::{UserIds, UserSpec};
use crate::profile::{self, Host, Overrides};
use crate::sandbox::Sandbox;
use crate::sys;
use clap::Parser;
use nix::errno::Errno;
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use std::collections::BTreeMap;
use std::process::ExitCode;

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    match cli.command {
        Command::Run(args) => run_sandbox(*args),
        Command::Check(args) => check(args),
        Command::Explain(args) => explain(args),
        Command::Profiles => {
            for b in profile::BUILTINS {
                let desc = profile::parse(b.yaml, b.name)
                    .ok()
                    .and_then(|p| p.description)
                    .unwrap_or_default();
                println!("{:<10} {desc}", b.name);
            }
            Ok(0)
        }
    }
}

fn host() -> Result<Host, Error> {
    Host::current().map_err(|err| Error::Io {
        what: "cannot read the current directory",
        err,
    })
}

fn check(args: CheckArgs) -> Result<i32, Error> {
    let host = host()?;
    let mut failed = false;
    for name in &args.profiles {
        let result = profile::load(name)
            .and_then(|layers| profile::resolve(&layers, &Overrides::default(), &host))
            .map_err(Error::from)
            .and_then(|policy| compiles(&policy).map(|()| policy));
        match result {
            Ok(policy) => {
                println!("{name}: ok");
                for w in &policy.warnings {
                    println!("{name}: warning: {w}");
                }
                if args.verbose {
                    print!("{policy}");
                }
            }
            Err(e) => {
                failed = true;
                say(&e.to_string());
            }
        }
    }
    Ok(if failed {
        crate::error::EXIT_LAUNCHER
    } else {
        0
    })
}

/// What `run` would find only when building the plan: seccomp programs
/// over the kernel's limit (for every architecture stockade supports), and
/// Landlock controls this kernel cannot enforce.
fn compiles(policy: &crate::policy::Policy) -> Result<(), Error> {
    use crate::seccomp::Arch;
    for arch in [Arch::X86_64, Arch::Aarch64] {
        if let Err(e) = crate::seccomp::compile(policy.seccomp.as_ref(), arch) {
            return Err(crate::sandbox::seccomp_error(policy, e, arch));
        }
    }
    crate::landlock::prepare(&policy.landlock, sys::landlock_abi())
        .map_err(|e| Error::Plan(crate::plan::PlanError::Landlock(e)))?;
    Ok(())
}

fn explain(args: ExplainArgs) -> Result<i32, Error> {
    use crate::seccomp::{self, Arch};
    let host = host()?;
    let layers = profile::load(&args.profile)?;
    let policy = profile::resolve(&layers, &Overrides::default(), &host)?;
    let arch = match &args.arch {
        None => Arch::native(),
        Some(a) => Arch::from_name(a)
            .ok_or_else(|| Error::Usage(format!("--arch {a}: expected x86_64 or aarch64")))?,
    };
    let all = !args.seccomp && !args.bpf;
    if all {
        print!("{policy}");
        let ll = crate::landlock::prepare(&policy.landlock, sys::landlock_abi());
        match ll {
            Ok(p) => println!("{p}"),
            Err(e) => println!("{e}"),
        }
        for w in &policy.warnings {
            println!("warning: {w}");
        }
    }
    if all || args.seccomp {
        match &policy.seccomp {
            None => println!(
                "seccomp: no allowlist; built-in side-door filter only (dangerous syscalls get EPERM)"
            ),
            Some(sc) => {
                println!("seccomp: default action {}", sc.default_action.name());
                let mut allow: BTreeMap<&str, Vec<String>> = BTreeMap::new();
                for e in &sc.allow {
                    let mut from = if e.via.is_empty() { String::new() } else { format!("{} ", e.via) };
                    from.push_str(&format!("({})", e.loc));
                    if !e.conds.is_empty() {
                        from = format!("if {} {from}", describe_conds(&e.conds));
                    }
                    allow.entry(e.name.as_str()).or_default().push(from);
                }
                println!("seccomp allow ({} syscalls):", allow.len());
                for (name, from) in &allow {
                    println!("  {name:<24} {}", from.join("; "));
                }
                if !sc.deny.is_empty() {
                    println!("seccomp deny:");
                    for (e, errno) in &sc.deny {
                        let cond = if e.conds.is_empty() { String::new() } else { format!(" if {}", describe_conds(&e.conds)) };
                        println!(
                            "  {:<24} errno {}{cond} ({})",
                            e.name,
                            Errno::from_raw(*errno as i32),
                            e.loc
                        );
                    }
                }
            }
        }
    }
    if args.bpf {
        let filters = seccomp::compile(policy.seccomp.as_ref(), arch)
            .map_err(|e| Error::Plan(crate::plan::PlanError::Seccomp(e)))?;
        for (i, f) in filters.iter().enumerate() {
            println!(
                "filter {}/{}: {} ({} instructions{}) for {}",
                i + 1,
                filters.len(),
                f.what,
                f.prog.len(),
                if f.listener { ", reports kills" } else { "" },
                arch.name()
            );
            print!("{}", seccomp::bpf::disassemble(&f.prog));
        }
    }
    Ok(0)
}

fn describe_conds(conds: &[crate::seccomp::Cond]) -> String {
    use crate::seccomp::Op;
    conds
        .iter()
        .map(|c| match c.op {
            Op::MaskedEq(m) => format!("args[{}] & {m:#x} == {:#x}", c.arg, c.value),
            op => {
                let sym = match op {
                    Op::Eq => "==",
                    Op::Ne => "!=",
                    Op::Lt => "<",
                    Op::Le => "<=",
                    Op::Gt => ">",
                    _ => ">=",
                };
                format!("args[{}] {sym} {:#x}", c.arg, c.value)
            }
        })
        .collect::<Vec<_>>()
        .join(" && ")
}

/// Command-line flags as a profile layer on top of the chosen profile.
fn overrides(args: &RunArgs, host: &Host) -> Result<Overrides, Error> {
    let mut ov = Overrides::default();
    for (spec, writable) in args
        .ro
        .iter()
        .map(|s| (s, false))
        .chain(args.rw.iter().map(|s| (s, true)))
    {
        let (src, dest) = match spec.split_once(':') {
            Some((s, d)) => (s, Some(d)),
            None => (spec.as_str(), None),
        };
        ov.bind(src, dest, writable, &host.cwd);
    }
    for t in &args.tmpfs {
        ov.tmpfs(t);
    }
    for e in &args.env {
        let (k, v) = e
            .split_once('=')
            .ok_or_else(|| Error::Usage(format!("--env {e}: expected NAME=VALUE")))?;
        ov.set_env(k, v);
    }
    for k in &args.keep_env {
        ov.keep_env(k);
    }
    match args.user.as_deref() {
        None => {}
        Some("root") => ov.user(UserSpec::Name("root".into())),
        Some(s) => {
            let bad = || Error::Usage(format!("--user {s}: expected root or UID[:GID]"));
            let (u, g) = match s.split_once(':') {
                Some((u, g)) => (u, Some(g)),
                None => (s, None),
            };
            ov.user(UserSpec::Ids(UserIds {
                uid: u.parse().map_err(|_| bad())?,
                gid: g.map(|g| g.parse().map_err(|_| bad())).transpose()?,
                host_uid: None,
                host_gid: None,
            }));
        }
    }
    if let Some(h) = &args.hostname {
        ov.hostname(h);
    }
    if let Some(d) = &args.chdir {
        ov.cwd(d);
    }
    if let Some(t) = &args.timeout {
        ov.wall_time(t);
    }
    if let Some(n) = args.net {
        ov.network(n == NetMode::None);
    }
    Ok(ov)
}

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

fn run_sandbox(args: RunArgs) -> Result<i32, Error> {
    if sys::started_privileged() {
        return Err(Error::Privileged);
    }
    let host = host()?;
    let layers = profile::load(&args.profile)?;
    let mut policy = profile::resolve(&layers, &overrides(&args, &host)?, &host)?;
    for spec in &args.fd {
        let pair = crate::fds::parse_spec(spec)
            .ok_or_else(|| Error::Usage(format!("--fd {spec}: expected N or N:M")))?;
        policy.fds.retain(|p| p.1 != pair.1);
        policy.fds.push(pair);
    }
    if args.channel || args.channel_socket {
        let c = policy.channel.get_or_insert_with(Default::default);
        c.socket |= args.channel_socket;
    }
    for w in &policy.warnings {
        say(&format!("warning: {w}"));
    }
    if args.verbose {
        say(&format!("profile {}", args.profile));
        for line in policy.to_string().lines() {
            say(&format!("  {line}"));
        }
    }
    let mut status = match args.status_fd {
        None => None,
        Some(fd) => Some(crate::status::Stream::open(fd).map_err(|err| Error::Io {
            what: "cannot open --status-fd",
            err,
        })?),
    };
    let signals = forwarded_signals()?;
    // Put back on every way out of this function (the sandbox is gone by
    // then): normal end, error, forwarded signal, time limit.
    let terminals = Terminals::save();
    let mut sandbox = Sandbox::with_policy(policy.clone()).args(args.command.iter().cloned());
    if args.trace_setup {
        sandbox = sandbox.trace_setup();
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
    if args.verbose {
        // What the plan enforces (computed once, when the plan was built).
        say(&child.landlock_report().to_string());
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
        let mut log = match args.status_fd {
            Some(fd) => crate::status::Stream::open(fd).ok(),
            None => None,
        };
        std::thread::spawn(move || serve_socket(&server, &stop_rx, log.as_mut()))
    });
    let outcome = loop {
        match child.next_event_with(&signals) {
            Ok(Event::Applied) => {
                if let Some(s) = &mut status {
                    s.applied(&policy, child.landlock_report());
                }
            }
            Ok(Event::Ended(o)) => break o,
            Ok(Event::Step(stage)) => {
                say(&format!("setup step {}: {}", stage as u32, stage.name()))
            }
            Err(err) => {
                return Err(Error::Io {
                    what: "waiting for the sandbox",
                    err,
                })
            }
        }
    };
    drop(stop_tx);
    if let Some(t) = acceptor {
        let _ = t.join();
    }
    // The terminals first, so the last message reaches a working one.
    drop(terminals);
    // The status event first: it is what a supervising program reads, and
    // stderr may be slow (see `say`).
    let message = child.describe(outcome);
    if let Some(s) = &mut status {
        s.exited(outcome, message.as_deref());
    }
    if let Some(m) = &message {
        say(m);
    }
    Ok(outcome.exit_code())
}

/// The state of the terminals the payload inherits (stdin, stdout, stderr
/// when they are terminals), put back when the run ends however it ends:
/// the payload shares them and may change their modes or line discipline
/// (N_NULL leaves a dead terminal behind).
struct Terminals {
    /// Stream index (0–2), attributes, line discipline.
    saved: Vec<(usize, libc::termios, libc::c_int)>,
}

/// Runs `f` on each standard stream of the launcher with its index.
fn each_std_stream(mut f: impl FnMut(usize, std::os::fd::BorrowedFd<'_>)) {
    use std::os::fd::AsFd;
    let (i, o, e) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    for (n, fd) in [i.as_fd(), o.as_fd(), e.as_fd()].into_iter().enumerate() {
        f(n, fd);
    }
}

impl Terminals {
    fn save() -> Terminals {
        let mut saved = Vec::new();
        each_std_stream(|n, fd| {
            let Ok(attrs) = crate::sys::tcgetattr(fd) else {
                return;
            };
            if let Ok(ld) = crate::sys::line_discipline(fd) {
                saved.push((n, attrs, ld));
            }
        });
        Terminals { saved }
    }
}

impl Drop for Terminals {
    fn drop(&mut self) {
        each_std_stream(|n, fd| {
            let Some((_, attrs, ld)) = self.saved.iter().find(|s| s.0 == n) else {
                return;
            };
            // Only what changed is set back: a launcher in a background
            // job that touched the terminal would be stopped by SIGTTOU.
            if crate::sys::line_discipline(fd).is_ok_and(|now| now != *ld) {
                let _ = crate::sys::set_line_discipline(fd, *ld);
            }
            let changed = crate::sys::tcgetattr(fd).is_ok_and(|now| {
                (now.c_iflag, now.c_oflag, now.c_cflag, now.c_lflag, now.c_cc)
                    != (
                        attrs.c_iflag,
                        attrs.c_oflag,
                        attrs.c_cflag,
                        attrs.c_lflag,
                        attrs.c_cc,
                    )
            });
            if changed {
                let _ = crate::sys::tcsetattr_now(fd, attrs);
            }
        });
    }
}

/// Writes `stockade: LINE` to stderr and never panics. The payload shares
/// the launcher's stderr file description: it may have made it
/// non-blocking and filled it. Then the launcher waits for room (2 s at
/// most in all) instead of aborting or dropping the message at once.
pub fn say(line: &str) {
    use nix::poll::{poll, PollFd, PollFlags};
    use std::os::fd::AsFd;
    let msg = format!("stockade: {line}\n");
    let mut rest = msg.as_bytes();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let stderr = std::io::stderr();
    while !rest.is_empty() {
        match nix::unistd::write(stderr.as_fd(), rest) {
            Ok(n) => rest = &rest[n..],
            Err(Errno::EINTR) => {}
            Err(Errno::EAGAIN) => {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    return;
                }
                let mut fds = [PollFd::new(stderr.as_fd(), PollFlags::POLLOUT)];
                let _ = poll(&mut fds, crate::sys::poll_timeout(left));
            }
            Err(_) => return,
        }
    }
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
    mut log: Option<&mut crate::status::Stream>,
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

/// The `stockade` command: parses the command line, runs it, and maps
/// the result to the process exit code.
pub fn main() -> ExitCode {
    // Rust ignores SIGPIPE; a command-line tool whose reader went away
    // (`stockade explain | head`) should end quietly instead.
    let _ = sys::signal_default(libc::SIGPIPE);
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version are successes; usage errors are launcher errors.
            return ExitCode::from(if e.use_stderr() { 125 } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(125)),
        Err(e) => {
            say(&e.to_string());
            ExitCode::from(125)
        }
    }
}
