//! The status stream (`--status-fd`): one JSON object per line, schema
//! version 1.
//!
//! ```text
//! {"v":1,"event":"started","pid":4242}
//! {"v":1,"event":"applied","namespaces":["user","pid",...],"landlock":{"abi":7,"status":"fully enforced","dropped":[]},"seccomp":{"filters":5,"default_action":"kill-process"}}
//! {"v":1,"event":"exited","outcome":"exited","code":0}
//! ```
//!
//! `outcome` is one of `exited` (`code`), `signaled` (`signal`), `timeout`,
//! `seccomp-violation` (`syscall`, `nr`), `setup-error` (`message`). Every
//! line also has `exit_code`, stockade's own exit status for the outcome.

use crate::policy::Policy;
use crate::process::{Outcome, Stage};
use serde_json::{json, Value};
use std::io::Write;

/// Schema version of the stream.
pub const VERSION: u32 = 1;

/// A status stream on a descriptor the caller passed.
#[derive(Debug)]
pub struct Stream {
    out: std::fs::File,
}

impl Stream {
    /// Writes to descriptor `fd` as the caller opened it (a duplicate,
    /// close-on-exec): a caller may hand over a file stockade itself could
    /// not open. It must be open for writing.
    pub fn open(fd: i32) -> std::io::Result<Stream> {
        let flags = crate::sys::fd_status_flags(fd).map_err(std::io::Error::from)?;
        let mode = flags & libc::O_ACCMODE;
        if mode != libc::O_WRONLY && mode != libc::O_RDWR {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("descriptor {fd} is not open for writing"),
            ));
        }
        let dup = crate::sys::dup_above(fd, 3).map_err(std::io::Error::from)?;
        Ok(Stream {
            out: std::fs::File::from(dup),
        })
    }

    fn emit(&mut self, mut v: Value) {
        v["v"] = json!(VERSION);
        // A reader that went away must not stop the sandbox.
        let _ = writeln!(self.out, "{v}");
    }

    /// The sandbox exists; `socket` is the channel socket's path inside it.
    pub fn started(&mut self, pid: i32, socket: Option<std::path::PathBuf>) {
        let mut v = json!({"event": "started", "pid": pid});
        if let Some(d) = socket {
            v["channel_socket"] = json!(d);
        }
        self.emit(v);
    }

    /// Something else worth recording (`connection`, `message`).
    pub fn note(&mut self, event: &str, mut details: Value) {
        details["event"] = json!(event);
        self.emit(details);
    }

    /// Every layer is in place; `ll` is what the plan enforces.
    pub fn applied(&mut self, policy: &Policy, ll: &crate::landlock::Prepared) {
        let landlock = json!({"abi": ll.abi, "status": ll.status(), "dropped": ll.dropped});
        let seccomp = match &policy.seccomp {
            None => json!({"mode": "side-doors-only"}),
            Some(sc) => json!({
                "mode": "allowlist",
                "default_action": sc.default_action.name(),
                "allowed": sc.allow.len(),
                "denied": sc.deny.len(),
            }),
        };
        let ns: Vec<&str> = policy.namespaces.iter().map(|n| n.name()).collect();
        self.emit(json!({
            "event": "applied",
            "namespaces": ns,
            "landlock": landlock,
            "seccomp": seccomp,
            "no_new_privs": true,
            "capabilities": [],
        }));
    }

    /// The launcher failed before the sandbox existed.
    pub fn setup_error(&mut self, message: &str) {
        self.emit(json!({
            "event": "exited", "outcome": "setup-error", "message": message, "exit_code": 125
        }));
    }

    /// The run is over.
    pub fn exited(&mut self, o: Outcome, message: Option<&str>) {
        self.emit(outcome_json(o, message));
    }
}

/// The `exited` event for an outcome.
pub fn outcome_json(o: Outcome, message: Option<&str>) -> Value {
    let mut v = match o {
        Outcome::Exited(c) => json!({"outcome": "exited", "code": c}),
        Outcome::Signaled(s) => json!({"outcome": "signaled", "signal": s}),
        Outcome::TimedOut => json!({"outcome": "timeout"}),
        Outcome::Killed => json!({"outcome": "killed"}),
        Outcome::SeccompViolation { nr, arch } => {
            let name = crate::seccomp::Arch::native()
                .syscall_name(i64::from(nr))
                .filter(|_| arch == crate::seccomp::Arch::native().audit());
            json!({"outcome": "seccomp-violation", "nr": nr, "syscall": name})
        }
        Outcome::SetupFailed(f) if f.stage == Stage::Exec => json!({
            "outcome": "setup-error", "stage": "exec", "errno": f.errno.0,
        }),
        Outcome::SetupFailed(f) => json!({
            "outcome": "setup-error", "stage": f.stage.name(), "errno": f.errno.0,
        }),
        Outcome::Vanished(st) => json!({"outcome": "setup-error", "wait_status": st}),
    };
    v["event"] = json!("exited");
    v["exit_code"] = json!(o.exit_code());
    if let Some(m) = message {
        v["message"] = json!(m);
    }
    v
}
