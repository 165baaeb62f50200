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

pub mod channel;
mod cli;
mod diag;
pub mod error;
mod fds;
#[doc(hidden)]
pub mod fuzzing;
mod landlock;
mod plan;
pub mod policy;
mod process;
mod profile;
mod resolve;
pub mod sandbox;
mod seccomp;
mod sys;
mod watch;

pub use error::Error;
pub use policy::Policy;
pub use sandbox::{Child, Outcome, Sandbox};

/// The `stockade` command's entry point (for `src/main.rs`).
#[doc(hidden)]
pub use cli::main as command_main;
