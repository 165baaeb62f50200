//! The top-level error: every module's typed error converted once, with
//! the launcher's exit code.

pub use crate::diag::OsError;
use crate::diag::ProfileError;
pub use crate::plan::PlanError;
pub use crate::process::SpawnError;

/// Exit code for a launcher or profile error (as `env` and container runtimes use).
pub const EXIT_LAUNCHER: i32 = 125;

/// Anything that stops stockade before or while starting a sandbox.
///
/// ```no_run
/// # use stockade::sandbox::*;
/// match Sandbox::from_profile("strict")?.bind_ro("/missing").args(["true"]).spawn() {
///     Ok(child) => drop(child),
///     Err(e) => {
///         eprintln!("stockade: {e}");
///         std::process::exit(stockade::error::EXIT_LAUNCHER);
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A profile or command-line setting is invalid.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The policy could not be compiled into a plan.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The sandbox could not be started.
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    /// A command-line value is malformed.
    #[error("{0}")]
    Usage(String),
    /// stockade was started setuid, setgid or with file capabilities.
    #[error(
        "refusing to run with elevated privileges (installed setuid, setgid or with file capabilities)\n  \
         hint: stockade needs no privilege: remove the bit (chmod u-s,g-s) or the capabilities (setcap -r)"
    )]
    Privileged,
    /// An operating-system call of the launcher failed.
    #[error("{what}: {err}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// Why it failed.
        err: std::io::Error,
    },
}
