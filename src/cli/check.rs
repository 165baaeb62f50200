//! `stockade check`: does each profile resolve and compile on this
//! machine? Every error resolution finds is reported, not only the first
//! (a YAML syntax or type error ends the reading of its file).

use super::args::CheckArgs;
use super::flags::host;
use super::say::say;
use crate::diag::ProfileError;
use crate::error::Error;
use crate::policy::Policy;
use crate::profile;
use crate::resolve::Overrides;
use crate::sys;
use serde_json::{json, Value};

pub(super) fn check(args: CheckArgs) -> Result<i32, Error> {
    let host = host()?;
    let mut failed = false;
    let mut report = Vec::new();
    for name in &args.profiles {
        let result = profile::load(name)
            .map_err(|e| vec![Error::from(e)])
            .and_then(|layers| {
                crate::resolve::resolve_all(&layers, &Overrides::default(), &host)
                    .map_err(|all| all.into_iter().map(Error::from).collect())
            })
            .and_then(|policy| compiles(&policy).map(|()| policy).map_err(|e| vec![e]))
            .map_err(by_position);
        failed |= result.is_err();
        if args.json {
            report.push(entry(name, &result));
            continue;
        }
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
            Err(errors) => {
                for e in errors {
                    say(&e.to_string());
                }
            }
        }
    }
    if args.json {
        println!("{}", Value::Array(report));
    }
    Ok(if failed {
        crate::error::EXIT_LAUNCHER
    } else {
        0
    })
}

/// Errors in the order of the files, lines and columns they point at
/// (resolution meets them section by section).
fn by_position(mut errors: Vec<Error>) -> Vec<Error> {
    // Those without a position (the command line, the machine) last.
    errors.sort_by_cached_key(|e| match e {
        Error::Profile(p) if p.loc.line > 0 => (0, p.loc.file.to_string(), p.loc.line, p.loc.col),
        _ => (1, String::new(), 0, 0),
    });
    errors
}

/// One profile's verdict as JSON.
fn entry(name: &str, result: &Result<Policy, Vec<Error>>) -> Value {
    match result {
        Ok(policy) => json!({
            "profile": name,
            "ok": true,
            "errors": [],
            "warnings": policy.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
        }),
        Err(errors) => json!({
            "profile": name,
            "ok": false,
            "errors": errors.iter().map(error_json).collect::<Vec<_>>(),
            "warnings": [],
        }),
    }
}

/// An error as JSON: a profile error with its position (line and column
/// 0 when it has none, as for the command line), others with the message.
fn error_json(e: &Error) -> Value {
    match e {
        Error::Profile(ProfileError { loc, msg, hint }) => json!({
            "file": &*loc.file,
            "line": loc.line,
            "column": loc.col,
            "message": msg,
            "hint": hint,
        }),
        other => json!({
            "file": null,
            "line": 0,
            "column": 0,
            "message": other.to_string(),
            "hint": null,
        }),
    }
}

/// What `run` would find only when building the plan: seccomp programs
/// over the kernel's limit (for every architecture stockade supports), and
/// Landlock controls this kernel cannot enforce.
fn compiles(policy: &Policy) -> Result<(), Error> {
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
