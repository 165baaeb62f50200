//! The top level of the CLI: load → resolve → plan → spawn → supervise,
//! and turning the outcome into messages and an exit code.

mod args;
mod check;
mod doctor;
mod explain;
mod fastpath;
mod flags;
mod run;
mod say;
mod status;
mod terminal;

use crate::error::Error;
use crate::profile;
use crate::sys;
use args::{Cli, Command};
use say::say;
use std::process::ExitCode;

/// Runs a parsed command line; returns the exit code. `started` is when
/// `main` began (the start of `run --timings`).
pub fn run(cli: Cli, started: std::time::Duration) -> Result<i32, Error> {
    match cli.command {
        Command::Run(args) => run::run_sandbox(*args, started),
        Command::Check(args) => check::check(args),
        Command::Explain(args) => explain::explain(args),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "stockade", &mut std::io::stdout());
            Ok(0)
        }
        Command::Doctor => Ok(doctor::doctor()),
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd)
                .render(&mut std::io::stdout())
                .map_err(|err| Error::Io {
                    what: "cannot write the manual page",
                    err,
                })?;
            Ok(0)
        }
        Command::Profiles => {
            // The search path first (its files win over built-ins of the
            // same name), then the built-ins.
            let mut shown = std::collections::BTreeSet::new();
            for dir in profile::search_path() {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
                files.sort();
                for path in files {
                    let Some(name) = path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .and_then(|n| n.strip_suffix(".yaml"))
                        .map(str::to_owned)
                    else {
                        continue;
                    };
                    if !shown.insert(name.clone()) {
                        continue;
                    }
                    let desc = match profile::load(&path.display().to_string()) {
                        Ok(l) => l
                            .last()
                            .and_then(|l| l.profile.description.clone())
                            .unwrap_or_default(),
                        Err(e) => format!("(broken: {})", e.msg),
                    };
                    println!("{name:<14} {desc} [{}]", path.display());
                }
            }
            for b in profile::BUILTINS {
                let desc = profile::parse(b.yaml, b.name)
                    .ok()
                    .and_then(|p| p.description)
                    .unwrap_or_default();
                let shadowed = if shown.contains(b.name) {
                    " (shadowed by the file above)"
                } else {
                    ""
                };
                println!("{:<14} {desc} [built-in]{shadowed}", b.name);
            }
            Ok(0)
        }
    }
}

/// `--version`: the version, then what this kernel and build give.
fn long_version() -> String {
    let abi = sys::landlock_abi();
    let arch = crate::seccomp::Arch::native().name();
    format!(
        "{}\nlandlock ABI on this kernel: {}\nseccomp filters for: x86_64, aarch64 (running: {arch})\n\
         features: cgroup v2 limits, seccomp user notification, channel socket",
        env!("CARGO_PKG_VERSION"),
        if abi > 0 { abi.to_string() } else { "none (Landlock unavailable)".into() },
    )
}

/// The `stockade` command: parses the command line, runs it, and maps
/// the result to the process exit code.
pub fn main() -> ExitCode {
    let started = sys::monotonic_now();
    // Rust ignores SIGPIPE; a command-line tool whose reader went away
    // (`stockade explain | head`) should end quietly instead.
    let _ = sys::signal_default(libc::SIGPIPE);
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(args) = fastpath::run_args(&argv) {
        let cli = Cli {
            command: Command::Run(Box::new(args)),
        };
        return exit_code(run(cli, started));
    }
    use clap::{CommandFactory, FromArgMatches};
    let mut command = Cli::command();
    // The long version probes the kernel: only for `--version`.
    if argv.iter().skip(1).any(|a| a == "--version") {
        command = command.long_version(long_version());
    }
    let parsed = command.try_get_matches_from_mut(argv).and_then(|m| {
        let cli = Cli::from_arg_matches(&m);
        std::mem::forget(m);
        cli
    });
    // The process ends with the command: the parser's tree of every
    // subcommand and argument, and the matches, are left to the kernel,
    // not freed item by item before the sandbox starts (a twentieth of
    // the launcher's instructions).
    std::mem::forget(command);
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version are successes; usage errors are launcher errors.
            return ExitCode::from(if e.use_stderr() { 125 } else { 0 });
        }
    };
    exit_code(run(cli, started))
}

/// A command's result as the process's exit code, its error said first.
fn exit_code(result: Result<i32, Error>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(125)),
        Err(e) => {
            say(&e.to_string());
            ExitCode::from(125)
        }
    }
}
