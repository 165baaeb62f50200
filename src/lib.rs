//! stockade: run a program inside a Linux sandbox built from kernel
//! primitives, as a YAML profile declares.
//!
//! Hosts use [`sandbox::Sandbox`] (build, spawn, wait) and
//! [`channel::Channel`] (talk to the payload):
//!
//! ```no_run
//! use stockade::sandbox::{Outcome, Sandbox};
//!
//! let out = Sandbox::from_profile("strict")?.args(["echo", "hi"]).output()?;
//! assert_eq!(out.outcome, Outcome::Exited(0));
//! # Ok::<(), stockade::Error>(())
//! ```
//!
//! Data flows one way:
//!
//! ```text
//! YAML ─profile::parse/load─▶ Profile ─profile::resolve─▶ Policy ─plan::build─▶ Plan
//!      ─process::spawn─▶ sandbox (child: mounts, pivot_root, PID 1, payload exec)
//!      ─watch (one supervisor thread)─▶ Outcome
//! ```
//!
//! Everything fallible and allocating happens while building the `Plan`
//! in the launcher; after clone the child only makes system calls (see
//! `process::child`). Everything but `sandbox`, `channel`, `policy` and
//! `error` is internal; `app` and `cli` are the command line's own.
#![deny(unsafe_code)]

/// Declares modules whose code runs after clone (or that it calls): they
/// must not panic, so indexing, `panic!`, `unwrap` and `expect` are
/// refused there at build time.
macro_rules! after_clone {
    ($($vis:vis mod $name:ident;)*) => {
        $(
            #[deny(
                clippy::indexing_slicing,
                clippy::panic,
                clippy::unwrap_used,
                clippy::expect_used
            )]
            $vis mod $name;
        )*
    };
}

// The modules in layer order, bottom first: each imports only modules
// listed before it (ARCHITECTURE.md, checked by tests/architecture.rs).

// Diagnostics and the system-call layer.
mod diag;
mod fnv;
after_clone! {
    mod sys;
}

// Pure rules: descriptors, Landlock, seccomp.
mod fds;
mod landlock;
mod seccomp;

// YAML → Profile → Policy.
pub mod policy;

mod profile;

mod resolve;

// Policy → Plan → processes.
mod plan;

mod process;

// Supervision and the host's API.
mod watch;

pub mod channel;

pub mod error;

pub mod sandbox;

// The command line; the fuzz targets' entry points.
mod cli;
#[doc(hidden)]
pub mod fuzzing;

pub use error::Error;
pub use policy::Policy;
pub use sandbox::{Child, Outcome, Sandbox};

/// The `stockade` command's entry point (for `src/main.rs`).
#[doc(hidden)]
pub use cli::main as command_main;
