//! The top-level error: every module's typed error converted once, with
//! the launcher's exit code.

pub use crate::plan::PlanError;
pub use crate::process::SpawnError;
use crate::profile::ProfileError;

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
///         std::process::exit(e.exit_code());
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

/// An operating-system error number (`errno`); `Display` gives its name
/// and message, as `ENOENT: No such file or directory`.
///
/// ```no_run
/// let e = stockade::error::OsError(libc::ENOENT);
/// assert_eq!(e.desc(), "No such file or directory");
/// assert_eq!(e.to_io().kind(), std::io::ErrorKind::NotFound);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OsError(pub i32);

impl OsError {
    pub(crate) fn of(e: nix::errno::Errno) -> OsError {
        OsError(e as i32)
    }

    /// The message alone (`No such file or directory`).
    pub fn desc(self) -> &'static str {
        nix::errno::Errno::from_raw(self.0).desc()
    }

    /// The same error as a `std::io::Error`.
    pub fn to_io(self) -> std::io::Error {
        std::io::Error::from_raw_os_error(self.0)
    }
}

impl std::fmt::Display for OsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", nix::errno::Errno::from_raw(self.0))
    }
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        EXIT_LAUNCHER
    }
}
