//! stockade: run a program inside a Linux sandbox built from kernel
//! primitives, as a YAML profile declares.
//!
//! Data flows one way:
//!
//! ```text
//! YAML ─profile::parse/load─▶ Profile ─profile::resolve─▶ Policy ─plan::build─▶ Plan
//!      ─process::spawn─▶ sandbox (child: mounts, pivot_root, PID 1, payload exec)
//!      ─process::supervise─▶ Outcome
//! ```
//!
//! Everything fallible and allocating happens while building the [`plan::Plan`]
//! in the launcher; after clone the child only makes system calls (see
//! [`process::child`]).
#![deny(unsafe_code)]

pub mod app;
pub mod channel;
pub mod cli;
pub mod error;
pub mod fds;
#[doc(hidden)]
pub mod fuzzing;
pub mod landlock;
pub mod plan;
pub mod policy;
pub mod process;
pub mod profile;
pub mod sandbox;
pub mod seccomp;
pub mod status;
pub mod sys;
mod watch;

pub use error::Error;
pub use policy::Policy;
