//! Command-line definitions (clap derive). Definitions only: the doc
//! comments are the help text; `app` does the work.

use clap::{Parser, Subcommand, ValueEnum};

use std::ffi::OsString;

/// Run a program in a Linux sandbox built from namespaces, a private
/// filesystem view and a PID-1 init, as a YAML profile declares.
#[derive(Debug, Parser)]
#[command(name = "stockade", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run COMMAND in a sandbox.
    ///
    /// Exit status: the command's own; 124 when the time limit stopped it;
    /// 125 for a stockade or profile error; 126 when the command cannot be
    /// executed; 127 when it is not found; 128+N when signal N killed it.
    Run(Box<RunArgs>),
    /// Validate profiles on this machine and print "ok" or the errors.
    Check(CheckArgs),
    /// List the built-in profiles.
    Profiles,
    /// Print the effective policy of a profile: the view, Landlock, limits,
    /// the seccomp allowlist with where each entry came from, and the
    /// compiled filters.
    Explain(ExplainArgs),
    /// Print a shell completion script (`stockade completions bash >
    /// /etc/bash_completion.d/stockade`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff: `stockade man | man -l -`).
    Man,
    /// Check what this machine gives stockade (user namespaces, seccomp,
    /// Landlock, cgroup v2, a real sandbox) and say how to fix what is
    /// missing. Exit status 1 when something is.
    Doctor,
}

/// `stockade explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// Profile: a built-in name or a YAML file.
    #[arg(short, long, value_name = "NAME|FILE", default_value = crate::profile::DEFAULT_PROFILE)]
    pub profile: String,
    /// Print only the seccomp allowlist and deny list (groups expanded),
    /// leaving out the view, the environment, the limits and Landlock.
    #[arg(long, conflicts_with = "json")]
    pub seccomp: bool,
    /// Add the compiled seccomp filter, instruction by instruction, to
    /// what is printed.
    #[arg(long, conflicts_with = "json")]
    pub bpf: bool,
    /// Print the whole effective policy as one JSON object, each entry
    /// with the profile line it came from.
    #[arg(long)]
    pub json: bool,
    /// Architecture to compile the filters for (x86_64 or aarch64).
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
}

/// `stockade run`.
#[derive(Debug, clap::Args)]
#[cfg_attr(test, derive(PartialEq))]
pub struct RunArgs {
    /// Profile: a built-in name (see `stockade profiles`) or a YAML file.
    #[arg(short, long, value_name = "NAME|FILE", default_value = crate::profile::DEFAULT_PROFILE)]
    pub profile: String,
    /// Bind PATH read-only (at DEST, default the same path). Repeatable.
    #[arg(long = "ro", value_name = "PATH[:DEST]")]
    pub ro: Vec<String>,
    /// Bind PATH writable (at DEST, default the same path). Repeatable.
    #[arg(long = "rw", value_name = "PATH[:DEST]")]
    pub rw: Vec<String>,
    /// Mount a private tmpfs at PATH. Repeatable.
    #[arg(long = "tmpfs", value_name = "PATH")]
    pub tmpfs: Vec<String>,
    /// Working directory inside the sandbox.
    #[arg(long = "chdir", value_name = "DIR")]
    pub chdir: Option<String>,
    /// Network: `none` (a new namespace with loopback only, up where the
    /// profile allows a socket that could use it) or `host`.
    #[arg(long = "net", value_enum, value_name = "MODE")]
    pub net: Option<NetMode>,
    /// Hostname inside the sandbox.
    #[arg(long = "hostname", value_name = "NAME")]
    pub hostname: Option<String>,
    /// Set an environment variable. Repeatable.
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// Pass a variable of stockade's environment through. Repeatable.
    #[arg(long = "keep-env", value_name = "NAME")]
    pub keep_env: Vec<String>,
    /// Wall-clock limit (e.g. 30s, 5m). The command gets SIGTERM, then
    /// SIGKILL 2 s later; exit status 124.
    #[arg(long = "timeout", value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Memory of the whole sandbox (e.g. 512M): cgroup v2 memory.max when
    /// a cgroup can be made (root, or --cgroup-parent), else RLIMIT_DATA
    /// per process.
    #[arg(long = "memory", value_name = "SIZE")]
    pub memory: Option<String>,
    /// Processes and threads of the whole sandbox (RLIMIT_NPROC, and
    /// pids.max in the sandbox's cgroup).
    #[arg(long = "pids", value_name = "N")]
    pub pids: Option<u64>,
    /// CPUs the sandbox may use (e.g. 0.5): cgroup v2 cpu.max.
    #[arg(long = "cpus", value_name = "N")]
    pub cpus: Option<f64>,
    /// Put each sandbox's cgroup under this cgroup v2 (one delegated to
    /// you; default as root: `stockade` at the top).
    #[arg(long = "cgroup-parent", value_name = "PATH")]
    pub cgroup_parent: Option<std::path::PathBuf>,
    /// Identity inside the sandbox: `root`, or `UID[:GID]`.
    #[arg(long = "user", value_name = "root|UID[:GID]")]
    pub user: Option<String>,
    /// Pass host descriptor N to the payload (as M). Repeatable; stdio
    /// (0, 1, 2) is passed by default, everything else is closed.
    #[arg(long = "fd", value_name = "N[:M]")]
    pub fd: Vec<String>,
    /// Open a SOCK_SEQPACKET channel to the payload (fd in STOCKADE_CHANNEL_FD).
    #[arg(long)]
    pub channel: bool,
    /// Also listen on /run/stockade/channel.sock inside the sandbox
    /// (`STOCKADE_CHANNEL_SOCKET`); it exists only in the sandbox's view.
    /// stockade accepts and checks each connection (at most 16 at once)
    /// and reports its messages in the status stream.
    #[arg(long = "channel-socket")]
    pub channel_socket: bool,
    /// Write JSON lines about the run (started, applied, exited) to FD.
    #[arg(long = "status-fd", value_name = "FD")]
    pub status_fd: Option<i32>,
    /// Print the effective policy before running.
    #[arg(short, long)]
    pub verbose: bool,
    /// Print no warnings (the policy's, and a missing cgroup's): for a
    /// setup you have reviewed, such as a root launch from a root-owned
    /// working directory. Errors are still printed.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print where the time went once the sandbox has ended: loading the
    /// profile, each setup step, the payload, the teardown.
    #[arg(long)]
    pub timings: bool,
    /// Learn what the program needs: the calls the profile's seccomp
    /// allowlist refuses are let through, and at the end stockade prints
    /// the profile lines that would allow them. Everything else of the
    /// sandbox applies; never use it on untrusted code.
    #[arg(long)]
    pub learn: bool,
    /// Run the payload on its own pseudo-terminal, relayed by stockade
    /// (the default when stdin and stdout are terminals and stockade runs
    /// in the foreground): job control, /dev/tty and window sizes work
    /// inside, and nothing the payload does to its terminal reaches yours.
    #[arg(long, overrides_with = "no_pty")]
    pub pty: bool,
    /// Give the payload your terminal's descriptors as they are, without a
    /// terminal of its own (it still runs in a new session).
    #[arg(long = "no-pty", overrides_with = "pty")]
    pub no_pty: bool,
    /// Print each setup step (numbered as in ARCHITECTURE.md) as the
    /// sandbox starts it: to see where a failing or hanging setup stops.
    #[arg(long = "trace-setup")]
    pub trace_setup: bool,
    /// The command and its arguments (after `--`, or simply after the
    /// options: everything from the first word that is not an option on
    /// belongs to the command).
    #[arg(required = true, trailing_var_arg = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

/// `--net` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum NetMode {
    /// New network namespace with only loopback.
    None,
    /// Share the host's network namespace.
    Host,
}

/// `stockade check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Profiles: built-in names or YAML files.
    #[arg(required = true, value_name = "PROFILE")]
    pub profiles: Vec<String>,
    /// Also print the effective policy.
    #[arg(short, long, conflicts_with = "json")]
    pub verbose: bool,
    /// Print one JSON array: for each profile, whether it is ok, every
    /// error with file, line, column and hint, and the warnings.
    #[arg(long)]
    pub json: bool,
}
