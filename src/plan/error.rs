//! What can stop a policy from becoming a plan.

use std::ffi::CString;

/// Errors found while compiling a policy and a command into a plan.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A string that must become a C string contains a NUL byte.
    #[error("{what} contains a NUL byte")]
    Nul {
        /// Which value.
        what: String,
    },
    /// A plan the child could not carry out (a bug in `build`).
    #[error("internal error: inconsistent plan: {0}")]
    Inconsistent(&'static str),
    /// No command was given.
    #[error("no command given")]
    NoCommand,
    /// A declared Landlock control cannot be enforced by this kernel.
    #[error(transparent)]
    Landlock(#[from] crate::landlock::LandlockError),
    /// The seccomp filters cannot be compiled.
    #[error(transparent)]
    Seccomp(#[from] crate::seccomp::SeccompError),
    /// The descriptor map is invalid.
    #[error(transparent)]
    Fds(#[from] crate::fds::FdError),
    /// The channel socket's directory cannot be made in the view.
    #[error("the channel socket needs {0}, which lies inside a host bind or /proc of the view")]
    ChannelSocketDir(String),
    /// A terminal was asked for, but the view has no /dev with its devpts.
    #[error("a terminal needs the sandbox's own devpts, and the profile mounts no /dev (add `- {{dev: /dev}}` to its filesystem, or run with --no-pty)")]
    NoDevForTerminal,
    /// More descriptors than the payload can receive.
    #[error("at most {0} file descriptors can be passed")]
    TooManyFds(usize),
    /// Building the Landlock ruleset failed.
    #[error("landlock: cannot {what}: {errno}")]
    Ruleset {
        /// What was being done.
        what: String,
        /// Why.
        errno: crate::diag::OsError,
    },
}

pub(super) fn cstring(bytes: &[u8], what: &str) -> Result<CString, PlanError> {
    CString::new(bytes).map_err(|_| PlanError::Nul { what: what.into() })
}
