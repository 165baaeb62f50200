//! The library API for hosts that run untrusted plugins: build a sandbox
//! like a `std::process::Command`, spawn it, talk to it over a channel,
//! wait for a typed outcome.
//!
//! ```no_run
//! use stockade::sandbox::{Sandbox, Stdio};
//!
//! let mut child = Sandbox::from_profile("strict")?
//!     .args(["sh", "-c", "echo hello"])
//!     .stdout(Stdio::Piped)
//!     .spawn()?;
//! let mut out = String::new();
//! std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out)?;
//! let outcome = child.wait()?;
//! assert_eq!(outcome.exit_code(), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `spawn` is safe to call from several threads at once: after clone the
//! child only makes system calls. The sandbox lives until its [`Child`] is
//! dropped or the host process exits, whichever thread spawned it.

use crate::channel::{self, Channel, SocketServer};
use crate::error::Error;
pub use crate::landlock::{kernel_abi as landlock_abi, LandlockReport};
use crate::plan::{self, Plan};
use crate::policy::{ChannelLimits, Policy, Warning};
use crate::process::{self, KillSwitch, Supervisor};
pub use crate::process::{Event, Failure, Outcome, Stage, Timeline};
use crate::profile;
pub use crate::profile::ProfileError;
pub use crate::resolve::Limit;
use crate::resolve::{ChannelSetting, Host, Overrides};
use crate::watch::{Board, Drive};
use nix::errno::Errno;
use std::ffi::OsString;
use std::fs::File;
use std::future::Future;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

/// What a standard stream of the payload is connected to.
///
/// ```no_run
/// # use stockade::sandbox::*;
/// let child = Sandbox::from_profile("strict")?
///     .args(["./plugin"])
///     .stdin(Stdio::Null)
///     .stdout(Stdio::Piped)
///     .stderr(Stdio::Inherit)
///     .spawn()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Stdio {
    /// The host's own descriptor (default).
    #[default]
    Inherit,
    /// /dev/null.
    Null,
    /// A pipe; the host's end is in [`Child::stdin`] / `stdout` / `stderr`.
    Piped,
    /// The sandbox's own pseudo-terminal, made in its /dev/pts and the
    /// payload's controlling terminal; the host's end (the master) is in
    /// [`Child::terminal`]. Every stream set to `Terminal` shares it.
    Terminal,
}

/// A sandbox to spawn: a profile, settings made in code, a command.
///
/// Settings (`bind_ro`, `tmpfs`, `cwd`, `wall_time`, `limit`, ...) are a
/// layer on top of the profile, resolved by the same rules as the
/// command line's `--ro`, `--timeout`, ...: a bad one is reported with
/// its reason by [`Sandbox::policy`] or [`Sandbox::spawn`], and a bind
/// gets its Landlock rule.
#[derive(Debug, Clone)]
pub struct Sandbox {
    source: Source,
    settings: Overrides,
    /// The resolved policy, computed at most once per set of settings.
    resolved: std::sync::OnceLock<Result<Policy, ProfileError>>,
    argv: Vec<OsString>,
    stdio: [Stdio; 3],
    trace: bool,
    report_stops: bool,
    learn: bool,
    /// Supervised by the threads that wait, not the supervisor thread.
    inline: bool,
    /// The process ends with this sandbox: its plan is left to the exit.
    last_in_process: bool,
    terminal_mode: Option<crate::sys::KernelTermios>,
    terminal_size: Option<libc::winsize>,
}

/// What the settings are layered on.
#[derive(Debug, Clone)]
enum Source {
    /// Profile layers, resolved with the host's facts.
    Layers(Vec<profile::Layer>, Host),
    /// A policy resolved (or built) elsewhere; settings cannot apply.
    Policy(Box<Policy>),
}

/// Which network the sandbox has.
///
/// ```no_run
/// # use stockade::sandbox::*;
/// let isolated = Sandbox::from_profile("default")?.network(Network::None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    /// A new network namespace with only loopback.
    None,
    /// The host's network.
    Host,
}

/// What a finished sandbox wrote and how it ended ([`Sandbox::output`]).
///
/// ```no_run
/// # use stockade::sandbox::*;
/// let out = Sandbox::from_profile("strict")?.args(["uname", "-n"]).output()?;
/// println!("{} -> {:?}", String::from_utf8_lossy(&out.stdout), out.outcome);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// How the run ended.
    pub outcome: Outcome,
    /// Everything the payload wrote to stdout.
    pub stdout: Vec<u8>,
    /// Everything the payload wrote to stderr.
    pub stderr: Vec<u8>,
}

/// A running (or finished) sandbox. stockade's supervisor thread (one per
/// process, for every sandbox) reaps it and records its events from spawn
/// to end, whatever the host is doing; the methods here only read what
/// that thread learned.
///
/// ```no_run
/// # use stockade::sandbox::*;
/// let mut child = Sandbox::from_profile("strict")?.args(["sleep", "10"]).spawn()?;
/// if child.try_wait()?.is_none() {
///     child.kill();
/// }
/// let outcome = child.wait()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Child {
    shared: Arc<Shared>,
    pid: libc::pid_t,
    diagnostics: Diagnostics,
    /// Host end of the payload's stdin, when piped.
    pub stdin: Option<File>,
    /// Host end of the payload's stdout, when piped.
    pub stdout: Option<File>,
    /// Host end of the payload's stderr, when piped.
    pub stderr: Option<File>,
    /// The master of the payload's terminal, when a stream is
    /// [`Stdio::Terminal`]: what the host writes is the payload's input,
    /// what it reads the payload's output (EIO once every process holding
    /// the terminal is gone).
    pub terminal: Option<File>,
    channel: Option<Channel>,
    socket: Option<std::sync::Arc<SocketServer>>,
    landlock: crate::landlock::LandlockReport,
    enforcement: Enforcement,
}

/// Shared by a [`Child`] and its channels.
#[derive(Debug)]
struct Shared {
    /// What the supervisor thread learned.
    board: Arc<Board>,
    /// Readable while an event is waiting (an eventfd).
    ready: OwnedFd,
    switch: KillSwitch,
    /// The sandbox, when the threads that wait supervise it.
    inline: crate::watch::Inline,
}

/// How long a wait leaves an inline sandbox to another thread's wait
/// before it looks whether that thread still drives it.
const DRIVER_GONE: Duration = Duration::from_millis(10);

impl Shared {
    /// Waits until `done` holds (or supervising failed), at most `wait`
    /// (forever with None), taking in what the sandbox says meanwhile
    /// when it is supervised inline and no other thread is.
    fn wait_until(
        &self,
        wait: Option<Duration>,
        done: impl Fn(&crate::watch::Progress) -> bool,
    ) -> std::sync::MutexGuard<'_, crate::watch::Progress> {
        let give_up = wait.map(|w| std::time::Instant::now() + w);
        loop {
            let p = self.board.lock();
            if done(&p) || p.failed.is_some() {
                return p;
            }
            drop(p);
            let left = give_up.map(|g| g.saturating_duration_since(std::time::Instant::now()));
            match self.inline.drive(left, None) {
                Drive::Drove { .. } if left.is_some_and(|l| l.is_zero()) => {
                    return self.board.lock()
                }
                Drive::Drove { .. } => {}
                // The supervisor thread posts to the board.
                Drive::Idle => return self.board.wait_until(left, done),
                // Another thread drives it and posts to the board; should
                // it stop waiting first, this one takes over.
                Drive::Busy => {
                    let slice = left.map_or(DRIVER_GONE, |l| l.min(DRIVER_GONE));
                    let p = self.board.wait_until(Some(slice), &done);
                    if done(&p) || p.failed.is_some() || left.is_some_and(|l| l <= DRIVER_GONE) {
                        return p;
                    }
                }
            }
        }
    }
}

impl channel::EndWatch for Shared {
    fn ended_fd(&self) -> BorrowedFd<'_> {
        self.switch.pidfd()
    }

    fn outcome_within(&self, wait: Duration) -> Option<Outcome> {
        self.wait_until(Some(wait), |p| p.outcome.is_some()).outcome
    }
}

fn winsize(rows: u16, cols: u16) -> libc::winsize {
    libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

/// What woke [`Child::next_event_or_signal`].
pub(crate) enum Wake {
    /// An event of the sandbox.
    Event(Event),
    /// A signal of the caller's.
    Signal(i32),
}

/// How long spawning waits for the sandbox's channel socket.
const SOCKET_WAIT: Duration = Duration::from_secs(30);

impl Sandbox {
    fn new(source: Source) -> Sandbox {
        Sandbox {
            source,
            settings: Overrides::from("Sandbox builder"),
            resolved: std::sync::OnceLock::new(),
            argv: Vec::new(),
            stdio: [Stdio::Inherit; 3],
            trace: false,
            report_stops: false,
            learn: false,
            inline: false,
            last_in_process: false,
            terminal_mode: None,
            terminal_size: None,
        }
    }

    /// A sandbox from profile layers and settings made elsewhere (the
    /// command line's).
    pub(crate) fn with_settings(
        layers: Vec<profile::Layer>,
        host: Host,
        settings: Overrides,
    ) -> Sandbox {
        let mut s = Sandbox::new(Source::Layers(layers, host));
        s.settings = settings;
        s
    }

    /// A sandbox with a policy resolved (or built) elsewhere. The builder's
    /// settings need a profile to resolve against: on such a sandbox they
    /// make [`Sandbox::spawn`] fail; use [`Sandbox::from_profile`] or
    /// [`Sandbox::from_yaml`] for them.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let policy = Sandbox::from_profile("strict")?.policy()?.clone();
    /// let child = Sandbox::with_policy(policy).args(["true"]).spawn()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_policy(policy: Policy) -> Sandbox {
        Sandbox::new(Source::Policy(Box::new(policy)))
    }

    /// A sandbox from a built-in profile name or a YAML file.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let sandbox = Sandbox::from_profile("default")?; // or a path to a YAML file
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_profile(spec: &str) -> Result<Sandbox, Error> {
        let layers = profile::load(spec)?;
        Sandbox::from_layers(layers)
    }

    /// A sandbox from YAML text (`extends` may name built-ins or absolute paths).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let sandbox = Sandbox::from_yaml("version: 1\nextends: strict\nhostname: box\n")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_yaml(yaml: &str) -> Result<Sandbox, Error> {
        let mut layers = Vec::new();
        let top = profile::parse(yaml, "<yaml>")?;
        if let Some(parent) = &top.extends {
            layers = profile::load(&parent.value)?;
        }
        layers.push(profile::Layer { profile: top });
        Sandbox::from_layers(layers)
    }

    fn from_layers(layers: Vec<profile::Layer>) -> Result<Sandbox, Error> {
        let host = Host::current().map_err(|err| Error::Io {
            what: "cannot read the current directory",
            err,
        })?;
        let sandbox = Sandbox::new(Source::Layers(layers, host));
        // The profile alone must resolve: its errors belong to the caller
        // that named it.
        sandbox.policy()?;
        Ok(sandbox)
    }

    /// The effective policy: the profile with this builder's settings,
    /// resolved and checked (as `stockade check` would).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let s = Sandbox::from_profile("strict")?.cwd("/nowhere");
    /// assert!(s.policy().is_err()); // "/nowhere is not part of the sandbox's view"
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn policy(&self) -> Result<&Policy, ProfileError> {
        let r = self.resolved.get_or_init(|| match &self.source {
            Source::Layers(layers, host) => crate::resolve::resolve(layers, &self.settings, host),
            Source::Policy(p) if self.settings.profile_is_empty() => {
                crate::resolve::finish(Policy::clone(p), &self.settings.launch)
            }
            Source::Policy(_) => Err(ProfileError::new(
                &crate::diag::Loc::cli(),
                "a Sandbox made with_policy has no profile to apply builder settings to; \
                 use Sandbox::from_profile or Sandbox::from_yaml",
            )),
        });
        r.as_ref().map_err(Clone::clone)
    }

    /// The policy's warnings (things that work but deserve attention).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// for w in Sandbox::from_profile("default")?.bind_rw("/tmp").warnings() {
    ///     eprintln!("warning: {w}");
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn warnings(&self) -> Vec<Warning> {
        self.policy()
            .map(|p| p.warnings.clone())
            .unwrap_or_default()
    }

    fn setting(mut self, change: impl FnOnce(&mut Overrides, &std::path::Path)) -> Sandbox {
        let cwd = match &self.source {
            Source::Layers(_, host) => host.cwd.clone(),
            Source::Policy(_) => std::path::PathBuf::from("/"),
        };
        change(&mut self.settings, &cwd);
        self.resolved = std::sync::OnceLock::new();
        self
    }

    /// Binds host path `src` (relative to the current directory) read-only
    /// at the same path.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let s = Sandbox::from_profile("strict")?.bind_ro("/etc/hostname");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bind_ro(self, src: impl AsRef<str>) -> Sandbox {
        self.setting(|s, cwd| s.bind(src.as_ref(), None, false, cwd))
    }

    /// Binds host path `src` read-only at `dest` in the sandbox.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let s = Sandbox::from_profile("strict")?.bind_ro_at("plugins/a.py", "/plugin.py");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bind_ro_at(self, src: impl AsRef<str>, dest: impl AsRef<str>) -> Sandbox {
        self.setting(|s, cwd| s.bind(src.as_ref(), Some(dest.as_ref()), false, cwd))
    }

    /// Binds host path `src` writable at the same path.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let s = Sandbox::from_profile("default")?.bind_rw("out");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bind_rw(self, src: impl AsRef<str>) -> Sandbox {
        self.setting(|s, cwd| s.bind(src.as_ref(), None, true, cwd))
    }

    /// Binds host path `src` writable at `dest` in the sandbox.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let s = Sandbox::from_profile("default")?.bind_rw_at("out", "/out");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bind_rw_at(self, src: impl AsRef<str>, dest: impl AsRef<str>) -> Sandbox {
        self.setting(|s, cwd| s.bind(src.as_ref(), Some(dest.as_ref()), true, cwd))
    }

    /// Mounts a fresh, writable tmpfs at `dest`.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let s = Sandbox::from_profile("strict")?.tmpfs("/scratch").cwd("/scratch");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tmpfs(self, dest: impl AsRef<str>) -> Sandbox {
        self.setting(|s, _| s.tmpfs(dest.as_ref()))
    }

    /// The payload's working directory (a path in the sandbox's view).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let s = Sandbox::from_profile("strict")?.tmpfs("/work").cwd("/work");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cwd(self, dir: impl AsRef<str>) -> Sandbox {
        self.setting(|s, _| s.cwd(dir.as_ref()))
    }

    /// The sandbox's hostname.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let s = Sandbox::from_profile("strict")?.hostname("plugin-1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hostname(self, name: impl AsRef<str>) -> Sandbox {
        self.setting(|s, _| s.hostname(name.as_ref()))
    }

    /// Runs the payload as `uid`/`gid` inside the sandbox (mapped to the
    /// launcher's own ids, or to nobody when root launches).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let s = Sandbox::from_profile("strict")?.user(1000, 1000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn user(self, uid: u32, gid: u32) -> Sandbox {
        self.setting(|s, _| {
            s.user(profile::model::UserSpec::Ids(profile::model::UserIds {
                uid,
                gid: Some(gid),
                host_uid: None,
                host_gid: None,
            }))
        })
    }

    /// The sandbox's network.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let s = Sandbox::from_profile("default")?.network(Network::None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn network(self, net: Network) -> Sandbox {
        self.setting(|s, _| s.network(net == Network::None))
    }

    /// Stops the sandbox after `limit` (SIGTERM, then SIGKILL after 2 s),
    /// whatever the host is doing meanwhile; the outcome is
    /// [`Outcome::TimedOut`].
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let s = Sandbox::from_profile("strict")?.wall_time(Duration::from_secs(30));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wall_time(self, limit: Duration) -> Sandbox {
        let text = format!("{}ms", limit.as_millis().max(1));
        self.setting(|s, _| s.wall_time(&text))
    }

    /// Sets a resource limit of the payload (replacing the profile's).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let s = Sandbox::from_profile("strict")?
    ///     .limit(Limit::Data(256 << 20))
    ///     .limit(Limit::OpenFiles(64));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn limit(self, limit: Limit) -> Sandbox {
        self.setting(|s, _| s.limit(limit))
    }

    /// Appends one argument (the first is the command).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let s = Sandbox::from_profile("strict")?.arg("echo").arg("hello");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn arg(mut self, a: impl Into<OsString>) -> Sandbox {
        self.argv.push(a.into());
        self
    }

    /// Appends arguments.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let s = Sandbox::from_profile("strict")?.args(["sh", "-c", "echo hello"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn args<I, S>(mut self, args: I) -> Sandbox
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.argv.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets (or replaces) an environment variable of the payload, as
    /// given (no `${VAR}` expansion).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let s = Sandbox::from_profile("strict")?.env("MODE", "fast");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn env(self, key: impl Into<OsString>, value: impl Into<OsString>) -> Sandbox {
        let (key, value) = (key.into(), value.into());
        self.setting(|s, _| s.set_env_literal(key, value))
    }

    /// Connects the payload's stdin.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let mut child = Sandbox::from_profile("strict")?.args(["cat"]).stdin(Stdio::Piped).spawn()?;
    /// std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"input")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stdin(mut self, s: Stdio) -> Sandbox {
        self.stdio[0] = s;
        self
    }

    /// Connects the payload's stdout.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let mut child = Sandbox::from_profile("strict")?.args(["ls"]).stdout(Stdio::Piped).spawn()?;
    /// let mut out = String::new();
    /// std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stdout(mut self, s: Stdio) -> Sandbox {
        self.stdio[1] = s;
        self
    }

    /// Connects the payload's stderr.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let s = Sandbox::from_profile("strict")?.stderr(Stdio::Null);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stderr(mut self, s: Stdio) -> Sandbox {
        self.stdio[2] = s;
        self
    }

    /// Passes the host's descriptor `fd` as the payload's `target`. The
    /// descriptor must stay open until `spawn` returns.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let file = std::fs::File::open("input.txt")?;
    /// let child = Sandbox::from_profile("strict")?
    ///     .pass_fd(std::os::fd::AsRawFd::as_raw_fd(&file), 3)
    ///     .args(["sh", "-c", "cat <&3"])
    ///     .spawn()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pass_fd(self, fd: RawFd, target: i32) -> Sandbox {
        self.setting(|s, _| s.pass_fd(fd, target))
    }

    /// Enables the channel (with `limits`, or the defaults).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let child = Sandbox::from_profile("strict")?.args(["./plugin"]).channel(None).spawn()?;
    /// child.channel().unwrap().send(b"hello", &[])?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn channel(self, limits: Option<ChannelLimits>) -> Sandbox {
        let setting = ChannelSetting::Limits(limits.unwrap_or_default());
        self.setting(|s, _| s.channel(setting))
    }

    /// Puts each sandbox's cgroup under `parent` (a cgroup v2 delegated to
    /// this process's user, as a path under the cgroup mount or relative
    /// to it); as root the default is `stockade` at the top. Only
    /// `memory` and `cpu` limits make a cgroup.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// let s = Sandbox::from_profile("strict")?
    ///     .cgroup_parent("/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice")
    ///     .limit(Limit::Memory(256 << 20));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cgroup_parent(self, parent: impl Into<std::path::PathBuf>) -> Sandbox {
        let parent = parent.into();
        self.setting(|s, _| s.cgroup_parent = Some(parent))
    }

    /// The CPUs the whole sandbox may use (0.5: half of one), through its
    /// cgroup's cpu.max; not enforced where no cgroup can be made.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// let s = Sandbox::from_profile("strict")?.cpus(0.5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cpus(self, cpus: f64) -> Sandbox {
        self.setting(|s, _| s.cpus(cpus))
    }

    /// Reports each setup step as it starts, as [`Event::Step`] (before
    /// [`Event::Applied`]): to see how far a sandbox that fails or hangs
    /// in its setup got. `stockade run --trace-setup` prints them.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// let mut child = Sandbox::from_profile("strict")?.args(["true"]).trace_setup().spawn()?;
    /// while let Some(e) = child.next_event(None)? {
    ///     match e {
    ///         Event::Step(stage) => println!("{}", stage.name()),
    ///         Event::Ended(_) => break,
    ///         _ => {}
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn trace_setup(mut self) -> Sandbox {
        self.trace = true;
        self
    }

    /// Reports each time the payload is stopped (SIGSTOP, or SIGTSTP,
    /// SIGTTIN, SIGTTOU from its terminal) as [`Event::Stopped`]; the host
    /// resumes it with `Child::signal(libc::SIGCONT)`. What an interactive
    /// launcher needs to suspend itself along with the sandbox.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// let mut child = Sandbox::from_profile("strict")?.args(["sh", "-c", "kill -STOP $$"])
    ///     .report_stops().spawn()?;
    /// while let Some(e) = child.next_event(None)? {
    ///     match e {
    ///         Event::Stopped(_) => child.signal(libc::SIGCONT),
    ///         Event::Ended(_) => break,
    ///         _ => {}
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn report_stops(mut self) -> Sandbox {
        self.report_stops = true;
        self
    }

    /// Supervises the sandbox on the threads that wait for it rather than
    /// on the process's supervisor thread (see `watch::Inline`): for a
    /// host whose one thread waits for its one sandbox from start to end,
    /// through [`Child::next_event`], [`Child::wait`] or
    /// `next_event_or_signal` (the command line).
    pub(crate) fn supervise_inline(mut self) -> Sandbox {
        self.inline = true;
        self
    }

    /// For a process that ends with this sandbox (the command line): the
    /// plan is not freed when the sandbox has started. Its memory is
    /// shared copy-on-write with the sandbox's init until the sandbox
    /// ends, so freeing it would copy every page a free writes to, on the
    /// launcher's CPU while the init's helper thread waits for it.
    pub(crate) fn last_in_process(mut self) -> Sandbox {
        self.last_in_process = true;
        self
    }

    /// Learning mode, for writing a profile: the calls the seccomp
    /// allowlist would refuse (its default action) are let through and
    /// each syscall is reported once as [`Event::Learned`]. Namespaces,
    /// the view, Landlock, limits and the deny list's errno answers still
    /// apply, but the allowlist does not: never for untrusted code.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// let mut child = Sandbox::from_profile("strict")?.args(["ss", "-l"]).learn().spawn()?;
    /// while let Some(e) = child.next_event(None)? {
    ///     match e {
    ///         Event::Learned { nr, arch } => println!("would refuse {nr} (arch {arch:#x})"),
    ///         Event::Ended(_) => break,
    ///         _ => {}
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn learn(mut self) -> Sandbox {
        self.learn = true;
        self
    }

    /// Gives the payload's terminal ([`Stdio::Terminal`]) the mode and the
    /// window size the host terminal `fd` has now (what it lacks is left
    /// at the kernel's defaults).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// use std::os::fd::AsFd;
    /// let child = Sandbox::from_profile("default")?.args(["bash", "-i"])
    ///     .stdin(Stdio::Terminal).stdout(Stdio::Terminal).stderr(Stdio::Terminal)
    ///     .terminal_like(std::io::stdin().as_fd())
    ///     .spawn()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn terminal_like(mut self, fd: BorrowedFd<'_>) -> Sandbox {
        self.terminal_mode = crate::sys::kernel_termios(fd).ok();
        self.terminal_size = crate::sys::window_size(fd).ok();
        self
    }

    /// Sets the window size of the payload's terminal ([`Stdio::Terminal`]).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// let s = Sandbox::from_profile("default")?.stdout(Stdio::Terminal).terminal_size(24, 80);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn terminal_size(mut self, rows: u16, cols: u16) -> Sandbox {
        self.terminal_size = Some(winsize(rows, cols));
        self
    }

    /// Runs the sandbox to its end with the standard streams as set
    /// (inherited by default), like `std::process::Command::status`.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let outcome = Sandbox::from_profile("strict")?.args(["true"]).status()?;
    /// assert_eq!(outcome, Outcome::Exited(0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status(&self) -> Result<Outcome, Error> {
        let mut child = self.spawn()?;
        child.wait().map_err(|err| Error::Io {
            what: "cannot wait for the sandbox",
            err,
        })
    }

    /// Runs the sandbox to its end and collects its stdout and stderr
    /// (read together, so neither pipe can fill up and stall the payload),
    /// like `std::process::Command::output`. Stdin is /dev/null unless set
    /// otherwise (a piped stdin is closed at once).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let out = Sandbox::from_profile("strict")?.args(["echo", "hi"]).output()?;
    /// assert_eq!(out.stdout, b"hi\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn output(&self) -> Result<Output, Error> {
        let mut s = self.clone();
        if s.stdio[0] == Stdio::Inherit {
            s.stdio[0] = Stdio::Null;
        }
        s.stdio[1] = Stdio::Piped;
        s.stdio[2] = Stdio::Piped;
        s.spawn()?.wait_with_output().map_err(|err| Error::Io {
            what: "cannot collect the sandbox's output",
            err,
        })
    }

    /// Starts the sandbox.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let mut child = Sandbox::from_profile("strict")?.args(["sleep", "1"]).spawn()?;
    /// let outcome = child.wait()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spawn(&self) -> Result<Child, Error> {
        let policy = self.policy()?;
        let mut keep_alive: Vec<OwnedFd> = Vec::new();
        let mut host_ends: [Option<File>; 3] = [None, None, None];
        // The policy's map (stdio and profile fds), with stdio replaced as asked.
        let mut map: Vec<(RawFd, i32)> = Vec::new();
        let mut terminal: Option<RawFd> = None;
        for (i, s) in self.stdio.iter().enumerate() {
            let target = i as i32;
            match s {
                Stdio::Inherit => {
                    if let Some(p) = policy.fds.iter().find(|p| p.1 == target) {
                        if crate::sys::fd_is_open(p.0) {
                            map.push(*p);
                        }
                    }
                }
                Stdio::Null => {
                    let f = File::options()
                        .read(true)
                        .write(true)
                        .open("/dev/null")
                        .map_err(|err| Error::Io {
                            what: "cannot open /dev/null",
                            err,
                        })?;
                    map.push((f.as_raw_fd(), target));
                    keep_alive.push(f.into());
                }
                Stdio::Terminal => {
                    // A stand-in the sandbox's init replaces with the
                    // terminal's peer (the terminal exists only in the view).
                    let at = match terminal {
                        Some(t) => t,
                        None => {
                            let f = File::open("/dev/null").map_err(|err| Error::Io {
                                what: "cannot open /dev/null",
                                err,
                            })?;
                            let at = f.as_raw_fd();
                            keep_alive.push(f.into());
                            terminal = Some(at);
                            at
                        }
                    };
                    map.push((at, target));
                }
                Stdio::Piped => {
                    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| {
                        Error::Io {
                            what: "cannot create a pipe",
                            err: e.into(),
                        }
                    })?;
                    let (child_end, host_end) = if i == 0 { (r, w) } else { (w, r) };
                    map.push((child_end.as_raw_fd(), target));
                    keep_alive.push(child_end);
                    host_ends[i] = Some(File::from(host_end));
                }
            }
        }
        map.extend(policy.fds.iter().filter(|p| p.1 > 2).copied());
        // The payload's end of the channel, at the number the policy's
        // environment names.
        // The supervisor gets a duplicate of the host's end (see `watch`).
        let (channel, channel_end) = match (policy.channel, policy.channel_fd()) {
            (Some(limits), Some(target)) => {
                let (mut host, payload) = Channel::pair(limits).map_err(|e| Error::Io {
                    what: "cannot create the channel",
                    err: std::io::Error::other(e.to_string()),
                })?;
                let end = host.reads_end_with_sandbox().map_err(|err| Error::Io {
                    what: "cannot duplicate the channel's socket",
                    err,
                })?;
                map.push((payload.as_raw_fd(), target));
                keep_alive.push(payload);
                (Some(host), Some(end))
            }
            _ => (None, None),
        };
        // The sandbox's own cgroup, before the plan: without one, `memory`
        // falls back to RLIMIT_DATA, which the plan then sets.
        let (cgroup, unavailable) = if policy.cgroup.wanted() {
            match process::cgroup::create(&policy.cgroup) {
                Ok(c) => (Some(c), None),
                Err(why) if policy.cgroup.required => {
                    return Err(process::SpawnError::Cgroup(why.0).into())
                }
                Err(why) => (None, Some(why.0)),
            }
        } else {
            (None, None)
        };
        let enforcement = Enforcement::of(policy, cgroup.as_ref(), unavailable);
        let by_cgroup = cgroup.is_some();
        let launch = plan::Launch {
            trace: self.trace,
            memory_by_cgroup: by_cgroup,
            report_stops: self.report_stops,
            learn: self.learn,
            terminal: terminal.map(|at| plan::TerminalSetup {
                at,
                mode: self.terminal_mode,
                size: self.terminal_size,
            }),
        };
        let plan = plan::build(policy, &self.argv, &map, &launch).map_err(|e| match e {
            plan::PlanError::Seccomp(e) => seccomp_error(policy, e, crate::seccomp::Arch::native()),
            e => e.into(),
        })?;
        let spawned = process::spawn(&plan, cgroup)?;
        drop(keep_alive);
        let pid = spawned.pid;
        let mut sup = Supervisor::new(spawned);
        let io = |what: &'static str| move |err: std::io::Error| Error::Io { what, err };
        let ready = crate::sys::eventfd().map_err(|e| io("cannot create an eventfd")(e.into()))?;
        let board = Arc::new(Board::default());
        let shared = Arc::new(Shared {
            board: board.clone(),
            ready: ready
                .try_clone()
                .map_err(io("cannot duplicate an eventfd"))?,
            switch: sup
                .kill_switch()
                .map_err(io("cannot duplicate the sandbox's pidfd"))?,
            inline: crate::watch::Inline::default(),
        });
        let watch: Arc<dyn channel::EndWatch> = shared.clone();
        // The sandbox's init binds the channel socket in its view and sends
        // the listener before the payload starts; a setup failure ends the
        // wait early (and the outcome says why).
        let socket = match policy.channel {
            Some(limits) if limits.socket => sup
                .take_channel_socket(SOCKET_WAIT)
                .map(|fd| {
                    let w = Some(watch.clone());
                    SocketServer::new(fd, limits, policy.identity.host_uid, pid, w)
                })
                .transpose()
                .map_err(|err| Error::Io {
                    what: "cannot use the channel socket",
                    err,
                })?,
            _ => None,
        };
        // Sent after the channel socket, before the payload starts.
        let terminal = match terminal {
            Some(_) => sup.take_terminal(SOCKET_WAIT).map(File::from),
            None => None,
        };
        if self.inline {
            shared.inline.start(sup, board, ready, channel_end);
        } else if let Err(failed) = crate::watch::watch(sup, board, ready, channel_end) {
            let (mut sup, err) = *failed;
            // Nobody would reap it: end it here.
            sup.kill();
            while !matches!(sup.poll(None), Ok(Some(Event::Ended(_))) | Err(_)) {}
            return Err(io("cannot supervise the sandbox")(err));
        }
        let [stdin, stdout, stderr] = host_ends;
        let child = Child {
            shared,
            pid,
            diagnostics: Diagnostics::from(&plan).with_memory(policy.cgroup.memory),
            enforcement,
            stdin,
            stdout,
            stderr,
            terminal,
            channel: channel.map(|c| c.watching(Some(watch))),
            socket: socket.map(std::sync::Arc::new),
            landlock: plan.landlock_report.clone(),
        };
        if self.last_in_process {
            plan.leave_to_exit();
        }
        Ok(child)
    }
}

impl Child {
    /// PID of the sandbox's init (PID 1 inside) in the host's PID namespace.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let child = Sandbox::from_profile("strict")?.args(["sleep", "1"]).spawn()?;
    /// println!("init is host pid {}", child.pid());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pid(&self) -> libc::pid_t {
        self.pid
    }

    /// Kills the whole sandbox; unless it had already ended, the outcome is
    /// [`Outcome::Killed`].
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let mut child = Sandbox::from_profile("strict")?.args(["sleep", "60"]).spawn()?;
    /// child.kill();
    /// assert_eq!(child.wait()?, Outcome::Killed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kill(&self) {
        self.shared.switch.kill();
    }

    /// The filesystem socket's server, when enabled (`channel: {socket: true}`).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let yaml = "version: 1\nextends: strict\nchannel: {socket: true}\n";
    /// let child = Sandbox::from_yaml(yaml)?.args(["./plugin"]).spawn()?;
    /// println!("{:?}", child.socket().map(|s| s.path_in_sandbox()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn socket(&self) -> Option<std::sync::Arc<SocketServer>> {
        self.socket.clone()
    }

    /// Accepts one connection on the filesystem socket, waiting at most
    /// `wait`; connections from outside the sandbox are refused.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let yaml = "version: 1\nextends: strict\nchannel: {socket: true}\n";
    /// let child = Sandbox::from_yaml(yaml)?.args(["./plugin"]).spawn()?;
    /// if let Some(chan) = child.accept_channel(Some(Duration::from_secs(5)))? {
    ///     chan.send(b"hello", &[])?;
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accept_channel(
        &self,
        wait: Option<Duration>,
    ) -> Result<Option<Channel>, channel::ChannelError> {
        match &self.socket {
            Some(s) => s.accept(wait),
            None => Ok(None),
        }
    }

    /// Closes the host's end of the channel: the payload reads end-of-file.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let mut child = Sandbox::from_profile("strict")?.args(["./plugin"]).channel(None).spawn()?;
    /// child.close_channel(); // the plugin reads end-of-file
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn close_channel(&mut self) {
        self.channel = None;
    }

    /// Sends a signal to the payload (through PID 1, which forwards
    /// SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let mut child = Sandbox::from_profile("strict")?.args(["sleep", "60"]).spawn()?;
    /// child.signal(libc::SIGTERM);
    /// assert_eq!(child.wait()?, Outcome::Signaled(libc::SIGTERM));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn signal(&self, sig: i32) {
        self.shared.switch.signal(sig);
    }

    /// The channel, when enabled. Once the sandbox has ended, its
    /// operations fail with [`channel::ChannelError::Ended`].
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let child = Sandbox::from_profile("strict")?.args(["./plugin"]).channel(None).spawn()?;
    /// let reply = child.channel().unwrap().recv_timeout(Duration::from_secs(5))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn channel(&self) -> Option<&Channel> {
        self.channel.as_ref()
    }

    /// Waits for the sandbox to end.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let mut child = Sandbox::from_profile("strict")?.args(["true"]).spawn()?;
    /// assert_eq!(child.wait()?, Outcome::Exited(0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait(&mut self) -> std::io::Result<Outcome> {
        let p = self.shared.wait_until(None, |p| p.outcome.is_some());
        match (p.outcome, p.failed) {
            (Some(o), _) => Ok(o),
            (None, kind) => Err(supervision_failed(kind)),
        }
    }

    /// Waits for the sandbox to end, as a future: any executor can await
    /// it (stockade's supervisor thread wakes the task), so an async host
    /// needs no thread of its own per sandbox.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let child = Sandbox::from_profile("strict")?.args(["true"]).spawn()?;
    /// let outcome = async { child.wait_async().await }; // poll it with any executor
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_async(&self) -> impl Future<Output = std::io::Result<Outcome>> + '_ {
        std::future::poll_fn(move |cx| {
            let mut p = self.shared.board.lock();
            match (p.outcome, p.failed) {
                (Some(o), _) => Poll::Ready(Ok(o)),
                (None, Some(kind)) => Poll::Ready(Err(supervision_failed(Some(kind)))),
                (None, None) => {
                    if !p.wakers.iter().any(|w| w.will_wake(cx.waker())) {
                        p.wakers.push(cx.waker().clone());
                    }
                    Poll::Pending
                }
            }
        })
    }

    /// Closes stdin, reads stdout and stderr (where piped) together until
    /// both end, then waits, like `std::process::Child::wait_with_output`.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let child = Sandbox::from_profile("strict")?
    ///     .args(["sh", "-c", "echo out; echo err >&2"])
    ///     .stdout(Stdio::Piped)
    ///     .stderr(Stdio::Piped)
    ///     .spawn()?;
    /// let out = child.wait_with_output()?;
    /// assert_eq!(out.stderr, b"err\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_with_output(mut self) -> std::io::Result<Output> {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        use std::io::Read;
        drop(self.stdin.take());
        let mut pipes = [self.stdout.take(), self.stderr.take()];
        let mut bufs = [Vec::new(), Vec::new()];
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let open: Vec<usize> = (0..2).filter(|&i| pipes[i].is_some()).collect();
            if open.is_empty() {
                break;
            }
            let mut fds: Vec<PollFd<'_>> = open
                .iter()
                .map(|&i| PollFd::new(pipes[i].as_ref().unwrap().as_fd(), PollFlags::POLLIN))
                .collect();
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
            let ready: Vec<bool> = fds.iter().map(|f| f.any().unwrap_or(false)).collect();
            drop(fds);
            for (k, &i) in open.iter().enumerate() {
                if !ready[k] {
                    continue;
                }
                let Some(pipe) = pipes[i].as_mut() else {
                    continue;
                };
                match pipe.read(&mut chunk) {
                    Ok(0) => pipes[i] = None,
                    Ok(n) => bufs[i].extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let outcome = self.wait()?;
        let [stdout, stderr] = bufs;
        Ok(Output {
            outcome,
            stdout,
            stderr,
        })
    }

    /// The next event (every layer applied; ended), waiting at most `wait`
    /// (forever with None). Each event is returned once.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let mut child = Sandbox::from_profile("strict")?.args(["true"]).spawn()?;
    /// while let Some(e) = child.next_event(None)? {
    ///     if let Event::Ended(o) = e {
    ///         println!("{o:?}");
    ///         break;
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_event(&mut self, wait: Option<Duration>) -> std::io::Result<Option<Event>> {
        let mut p = self.shared.wait_until(wait, |p| !p.events.is_empty());
        match p.events.pop_front() {
            Some(e) => {
                if p.events.is_empty() {
                    // Nothing waits any more: the eventfd reads as idle.
                    let mut buf = [0u8; 8];
                    let _ = crate::sys::read(self.shared.ready.as_fd(), &mut buf);
                }
                Ok(Some(e))
            }
            None if p.failed.is_some() => Err(supervision_failed(p.failed)),
            None => Ok(None),
        }
    }

    /// The next event, or a signal that arrived on `signals` (a signalfd
    /// of the caller's) first.
    pub(crate) fn next_event_or_signal(
        &mut self,
        signals: &nix::sys::signalfd::SignalFd,
    ) -> std::io::Result<Wake> {
        loop {
            if let Some(e) = self.next_event(Some(Duration::ZERO))? {
                return Ok(Wake::Event(e));
            }
            // Inline, the sandbox's own descriptors are watched here.
            let signalled = match self.shared.inline.drive(None, Some(signals.as_fd())) {
                Drive::Drove { also } => also,
                Drive::Idle => self.wait_ready_or(signals, None)?,
                // Should the other thread stop driving, this one takes over.
                Drive::Busy => self.wait_ready_or(signals, Some(DRIVER_GONE))?,
            };
            if signalled {
                if let Ok(Some(info)) = signals.read_signal() {
                    return Ok(Wake::Signal(info.ssi_signo as i32));
                }
            }
        }
    }

    /// Waits until an event waits on the board or `signals` is readable,
    /// at most `wait` (forever with None); returns whether `signals` is.
    fn wait_ready_or(
        &self,
        signals: &nix::sys::signalfd::SignalFd,
        wait: Option<Duration>,
    ) -> std::io::Result<bool> {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        let mut fds = [
            PollFd::new(signals.as_fd(), PollFlags::POLLIN),
            PollFd::new(self.shared.ready.as_fd(), PollFlags::POLLIN),
        ];
        match poll(
            &mut fds,
            wait.map_or(PollTimeout::NONE, crate::sys::poll_timeout),
        ) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(fds[0].any().unwrap_or(false))
    }

    /// When the sandbox's setup steps started (with
    /// [`Sandbox::trace_setup`]), its layers were in place, its payload
    /// ended and everything of it was cleaned up; complete once the
    /// sandbox has ended (empty before).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// let mut child = Sandbox::from_profile("strict")?.args(["true"]).trace_setup().spawn()?;
    /// child.wait()?;
    /// for (stage, at) in child.timeline().steps {
    ///     println!("{at:?} {}", stage.name());
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn timeline(&self) -> Timeline {
        self.shared.board.lock().timeline.clone()
    }

    /// The outcome if the sandbox has ended, without waiting.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let mut child = Sandbox::from_profile("strict")?.args(["sleep", "1"]).spawn()?;
    /// assert_eq!(child.try_wait()?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_wait(&mut self) -> std::io::Result<Option<Outcome>> {
        let p = self.shared.board.lock();
        match (p.outcome, p.failed) {
            (Some(o), _) => Ok(Some(o)),
            (None, None) => Ok(None),
            (None, kind) => Err(supervision_failed(kind)),
        }
    }

    /// The outcome, once known.
    fn outcome(&self) -> Option<Outcome> {
        self.shared.board.lock().outcome
    }

    /// How this sandbox's `memory`, `cpu` and `processes` limits are
    /// enforced (its cgroup, or the rlimit fallbacks).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// let child = Sandbox::from_profile("strict")?.args(["true"]).spawn()?;
    /// println!("{:?}", child.enforcement().cgroup);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn enforcement(&self) -> &Enforcement {
        &self.enforcement
    }

    /// What Landlock enforces in this sandbox (ABI, status, dropped rights).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let child = Sandbox::from_profile("strict")?.args(["true"]).spawn()?;
    /// println!("{}", child.landlock_report());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn landlock_report(&self) -> &crate::landlock::LandlockReport {
        &self.landlock
    }

    /// Whether every layer was applied and the payload exec'd (or tried to).
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let mut child = Sandbox::from_profile("strict")?.args(["true"]).spawn()?;
    /// child.wait()?;
    /// assert!(child.applied());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn applied(&self) -> bool {
        self.shared.board.lock().applied
    }

    /// A one-line description of an outcome, as the CLI prints it.
    ///
    /// ```no_run
    /// # use stockade::sandbox::*;
    /// # use std::time::Duration;
    /// let mut child = Sandbox::from_profile("strict")?.args(["no-such-program"]).spawn()?;
    /// let o = child.wait()?;
    /// println!("stockade: {}", child.describe(o).unwrap()); // command not found in the sandbox ...
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn describe(&self, o: Outcome) -> Option<String> {
        self.diagnostics.describe(o)
    }
}

/// Readable while an event waits for [`Child::next_event`]: an event loop
/// can wait on it (and on the channel's descriptor) instead of a thread.
impl AsFd for Child {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.shared.ready.as_fd()
    }
}

fn supervision_failed(kind: Option<std::io::ErrorKind>) -> std::io::Error {
    std::io::Error::new(
        kind.unwrap_or(std::io::ErrorKind::Other),
        "stockade could not supervise the sandbox; it was killed",
    )
}

impl Drop for Child {
    /// A sandbox never outlives its handle: an unfinished one is killed
    /// and reaped, so no process or zombie is left behind.
    fn drop(&mut self) {
        if self.outcome().is_none() {
            self.kill();
            let _ = self.wait();
        }
    }
}

/// The name of syscall `nr` of the architecture `arch` (an `AUDIT_ARCH_*`).
pub(crate) fn syscall_name(nr: i32, arch: u32) -> Option<&'static str> {
    use crate::seccomp::Arch;
    [Arch::X86_64, Arch::Aarch64]
        .into_iter()
        .find(|a| a.audit() == arch)
        .and_then(|a| a.syscall_name(i64::from(nr)))
}

/// `512M` for 512 MiB: the largest binary unit that divides the size.
fn human_size(n: u64) -> String {
    for (shift, unit) in [(40, "T"), (30, "G"), (20, "M"), (10, "K")] {
        if n >= 1 << shift && n % (1 << shift) == 0 {
            return format!("{}{unit}", n >> shift);
        }
    }
    n.to_string()
}

/// How a sandbox's limits of the whole sandbox (`memory`, `cpu`,
/// `processes`) are enforced: by its own cgroup v2, or by the rlimit
/// fallbacks when none could be made.
///
/// ```no_run
/// # use stockade::sandbox::*;
/// let child = Sandbox::from_profile("strict")?.limit(Limit::Memory(256 << 20)).args(["true"]).spawn()?;
/// for line in &child.enforcement().lines {
///     println!("{line}"); // memory 256M: cgroup memory.max (/sys/fs/cgroup/stockade/...)
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Enforcement {
    /// The sandbox's own cgroup, when one was made.
    pub cgroup: Option<std::path::PathBuf>,
    /// Why none was made although the policy wanted one.
    pub unavailable: Option<String>,
    /// One line per limit and what enforces it.
    pub lines: Vec<String>,
}

impl Enforcement {
    fn of(
        policy: &Policy,
        cgroup: Option<&process::cgroup::SandboxCgroup>,
        unavailable: Option<String>,
    ) -> Enforcement {
        let c = &policy.cgroup;
        let mut lines = Vec::new();
        let path = cgroup.map(|g| g.path.clone());
        let at = path
            .as_ref()
            .map(|p| format!(" ({})", p.display()))
            .unwrap_or_default();
        if let Some(m) = c.memory {
            lines.push(match cgroup {
                Some(_) => format!("memory {}: cgroup memory.max{at}", human_size(m)),
                None => format!(
                    "memory {}: RLIMIT_DATA per process (no cgroup)",
                    human_size(m)
                ),
            });
        }
        if let Some(cpus) = c.cpu {
            lines.push(match cgroup {
                Some(_) => format!("cpu {cpus}: cgroup cpu.max{at}"),
                None => format!("cpu {cpus}: not enforced (no cgroup)"),
            });
        }
        if let Some(p) = c.pids {
            lines.push(match cgroup {
                Some(_) => format!("processes {p}: RLIMIT_NPROC and cgroup pids.max{at}"),
                None => format!("processes {p}: RLIMIT_NPROC (per user namespace: the sandbox)"),
            });
        }
        Enforcement {
            cgroup: path,
            unavailable,
            lines,
        }
    }
}

/// What is needed to explain a failure after the plan is gone.
#[derive(Debug, Clone)]
pub(crate) struct Diagnostics {
    memory_max: Option<u64>,
    cmd: String,
    candidates: Vec<String>,
    sources: Vec<String>,
    steps: Vec<String>,
    landlock_rules: Vec<String>,
    cwd: String,
    wall_time: Option<Duration>,
}

impl From<&Plan> for Diagnostics {
    fn from(p: &Plan) -> Diagnostics {
        let s = |c: &std::ffi::CString| c.to_string_lossy().into_owned();
        Diagnostics {
            cmd: p.exec.argv.strings().first().map(s).unwrap_or_default(),
            candidates: p.exec.candidates.iter().map(s).collect(),
            sources: p.sources.iter().map(s).collect(),
            steps: p.descriptions.clone(),
            landlock_rules: p
                .landlock
                .as_ref()
                .map(|l| l.fs_rules.iter().map(|(c, _)| s(c)).collect())
                .unwrap_or_default(),
            cwd: s(&p.cwd),
            wall_time: p.wall_time,
            memory_max: None,
        }
    }
}

impl Diagnostics {
    fn with_memory(mut self, memory_max: Option<u64>) -> Diagnostics {
        self.memory_max = memory_max;
        self
    }

    /// The line stockade prints for `o`, if any.
    pub fn describe(&self, o: Outcome) -> Option<String> {
        match o {
            Outcome::SetupFailed(f) => Some(self.failure(f)),
            Outcome::TimedOut => Some(format!(
                "time limit of {} reached; the sandbox was stopped",
                humantime::format_duration(self.wall_time.unwrap_or_default())
            )),
            Outcome::Vanished(st) => Some(format!(
                "the sandbox's init ended without reporting (wait status {st:#x})"
            )),
            Outcome::SeccompViolation { nr, arch } => {
                let mut m = format!("payload killed by seccomp: {}", describe_syscall(nr, arch));
                // How to allow it: the line a profile that extends this one adds.
                if let Some(name) = syscall_name(nr, arch) {
                    m.push_str(&format!(
                        "\n  hint: if the program needs it, allow it in a profile that extends \
                         this one: seccomp: {{allow: [{name}]}}"
                    ));
                }
                Some(m)
            }
            Outcome::Killed => Some("the sandbox was killed by its host".to_string()),
            Outcome::OutOfMemory => Some(match self.memory_max {
                Some(m) => format!(
                    "payload killed: out of memory (memory.max={})",
                    human_size(m)
                ),
                None => "payload killed: out of memory".to_string(),
            }),
            Outcome::Exited(_) | Outcome::Signaled(_) => None,
        }
    }

    fn failure(&self, f: Failure) -> String {
        let i = f.index as usize;
        if f.stage == Stage::Exec {
            return match f.errno.0 {
                libc::ENOENT => format!(
                    "{}: command not found in the sandbox (searched: {})",
                    self.cmd,
                    self.candidates.join(", ")
                ),
                _ => format!(
                    "{}: cannot execute: {} (stage: exec)",
                    self.cmd,
                    f.errno.desc()
                ),
            };
        }
        let what = match f.stage {
            Stage::OpenSources => self.sources.get(i).map(|s| format!("open {s}")),
            Stage::CloneSources | Stage::Mounts => self.steps.get(i).cloned(),
            Stage::Chdir => Some(format!("chdir {}", self.cwd)),
            Stage::LandlockRules => self
                .landlock_rules
                .get(i)
                .map(|p| format!("landlock rule on {p}")),
            _ => None,
        }
        .unwrap_or_else(|| f.stage.name().to_string());
        let hint = match (f.stage, f.errno.0) {
            (Stage::Mounts, libc::EPERM) if what.starts_with("proc") => {
                "\n  hint: the kernel refuses a new /proc while the host's /proc is partly hidden \
                 (as inside many containers); run stockade on a host with a fully visible /proc"
            }
            (Stage::OpenSources, libc::EACCES) => {
                "\n  hint: the launcher's user cannot reach this path on the host"
            }
            (Stage::Network, libc::ENOSPC) => {
                "\n  hint: user.max_net_namespaces is exhausted (or 0); or pass --net host"
            }
            (Stage::Network, libc::EPERM | libc::EACCES) => {
                "\n  hint: this host refuses network namespaces in user namespaces; or pass \
                 --net host"
            }
            _ => "",
        };
        format!(
            "{what}: {} (stage: {}){hint}",
            f.errno.desc(),
            f.stage.name()
        )
    }
}

/// A seccomp compile error, pointed at the profile's allowlist (its size is
/// the sum of its entries) when there is one.
pub(crate) fn seccomp_error(
    policy: &Policy,
    e: crate::seccomp::SeccompError,
    arch: crate::seccomp::Arch,
) -> Error {
    let at = policy
        .seccomp
        .as_ref()
        .and_then(|s| s.allow.first())
        .map(|e| e.loc.clone());
    match at {
        Some(loc) => Error::Profile(
            crate::profile::ProfileError::new(&loc, format!("{e} (on {})", arch.name()))
                .hint("allow whole groups instead of many argument rules"),
        ),
        None => Error::Plan(plan::PlanError::Seccomp(e)),
    }
}

/// `bpf (syscall 321)`, or the number and architecture when unknown.
///
/// ```no_run
/// # use stockade::sandbox::*;
/// let mut child = Sandbox::from_profile("strict")?.args(["./plugin"]).spawn()?;
/// if let Outcome::SeccompViolation { nr, arch } = child.wait()? {
///     eprintln!("the plugin called {}", describe_syscall(nr, arch));
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn describe_syscall(nr: i32, arch: u32) -> String {
    if nr == crate::process::WITHDRAWN {
        return "a syscall whose report a signal interrupted".into();
    }
    match syscall_name(nr, arch) {
        Some(name) => format!("{name} (syscall {nr})"),
        None => format!("syscall {nr} (arch {arch:#x})"),
    }
}
