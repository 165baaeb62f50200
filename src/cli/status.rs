//! The status stream (`--status-fd`): one JSON object per line, schema
//! version 1.
//!
//! ```text
//! {"v":1,"event":"started","pid":4242}
//! {"v":1,"event":"applied","namespaces":["user","pid",...],"landlock":{"abi":7,"status":"fully enforced","dropped":[]},"seccomp":{"mode":"allowlist","default_action":"kill-process","allowed":297,"denied":27}}
//! {"v":1,"event":"exited","outcome":"exited","code":0}
//! ```
//!
//! `outcome` is one of `exited` (`code`), `signaled` (`signal`), `timeout`,
//! `seccomp-violation` (`syscall`, `nr`), `setup-error` (`message`). Every
//! line also has `exit_code`, stockade's own exit status for the outcome.
//!
//! One writer: every clone of a [`Stream`] shares one descriptor behind a
//! lock, and each line goes out in a single write, so lines from the
//! main loop and the channel socket's thread never interleave.

use crate::policy::Policy;
use crate::process::{Outcome, Stage};
use serde_json::{json, Value};
use std::io::Write;

/// Schema version of the stream.
pub const VERSION: u32 = 1;

/// A status stream on a descriptor the caller passed.
#[derive(Debug, Clone)]
pub struct Stream {
    out: std::sync::Arc<std::sync::Mutex<std::fs::File>>,
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
            out: std::sync::Arc::new(std::sync::Mutex::new(std::fs::File::from(dup))),
        })
    }

    fn emit(&mut self, mut v: Value) {
        v["v"] = json!(VERSION);
        let line = format!("{v}\n");
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        // A reader that went away must not stop the sandbox.
        let _ = out.write_all(line.as_bytes());
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
    pub fn applied(
        &mut self,
        policy: &Policy,
        ll: &crate::landlock::LandlockReport,
        limits: &crate::sandbox::Enforcement,
    ) {
        let landlock = json!({"abi": ll.abi, "status": ll.status(), "dropped": ll.dropped});
        let seccomp = match &policy.seccomp {
            None => json!({"mode": "side-doors-only"}),
            Some(sc) => json!({
                "mode": "allowlist",
                "default_action": sc.default_action.name(),
                "allowed": sc.allowed_names().len(),
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
            "limits": {
                "cgroup": limits.cgroup,
                "cgroup_unavailable": limits.unavailable,
                "enforced": limits.lines,
            },
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
        Outcome::OutOfMemory => json!({"outcome": "oom"}),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn lines_from_two_threads_never_interleave() {
        let (r, w) = nix::unistd::pipe().unwrap();
        let stream = Stream::open(w.as_raw_fd()).unwrap();
        drop(w);
        let reader = std::thread::spawn(move || {
            let mut all = String::new();
            std::io::Read::read_to_string(&mut std::fs::File::from(r), &mut all).unwrap();
            all
        });
        let big = "x".repeat(3000);
        let writers: Vec<_> = (0..2)
            .map(|t| {
                let mut s = stream.clone();
                let big = big.clone();
                std::thread::spawn(move || {
                    for i in 0..500 {
                        s.note("message", json!({"thread": t, "i": i, "data": big}));
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        drop(stream);
        let all = reader.join().unwrap();
        let lines: Vec<&str> = all.lines().collect();
        assert_eq!(lines.len(), 1000);
        for l in lines {
            let v: Value = serde_json::from_str(l).expect("a whole JSON line");
            assert_eq!(v["data"].as_str().map(str::len), Some(3000));
        }
    }
}
