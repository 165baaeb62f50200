//! `stockade check`: does each profile resolve and compile on this
//! machine?

use super::args::CheckArgs;
use super::flags::host;
use super::say::say;
use crate::error::Error;
use crate::profile;
use crate::resolve::Overrides;
use crate::sys;

pub(super) fn check(args: CheckArgs) -> Result<i32, Error> {
    let host = host()?;
    let mut failed = false;
    for name in &args.profiles {
        let result = profile::load(name)
            .and_then(|layers| crate::resolve::resolve(&layers, &Overrides::default(), &host))
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
