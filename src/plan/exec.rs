//! The command: its argv and environment as C strings, and the paths to
//! try, found in the sandbox's PATH as execvp would.

use super::error::{cstring, PlanError};
use crate::policy::Policy;
use crate::sys::ExecStrings;
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// The command to execute, with every string pre-built.
#[derive(Debug)]
pub(crate) struct Exec {
    /// Paths to try in order (`argv[0]` looked up in the sandbox's PATH).
    pub(crate) candidates: Vec<CString>,
    /// Arguments.
    pub(crate) argv: ExecStrings,
    /// Environment entries `NAME=value`.
    pub(crate) env: ExecStrings,
}

/// The paths execve will try for `cmd`, as execvp would search them.
pub fn exec_candidates(cmd: &OsStr, path_var: Option<&OsStr>) -> Vec<OsString> {
    if cmd.as_bytes().contains(&b'/') {
        return vec![cmd.to_owned()];
    }
    let path = path_var.unwrap_or(OsStr::new("/usr/bin:/bin"));
    path.as_bytes()
        .split(|&b| b == b':')
        .map(|dir| {
            let dir = if dir.is_empty() { &b"."[..] } else { dir };
            let mut full = dir.to_vec();
            full.push(b'/');
            full.extend_from_slice(cmd.as_bytes());
            OsString::from_vec(full)
        })
        .collect()
}

/// The command's strings, built before clone.
pub(super) fn exec(policy: &Policy, cmd: &OsStr, argv: &[OsString]) -> Result<Exec, PlanError> {
    let argv_c = argv
        .iter()
        .map(|a| cstring(a.as_bytes(), "command argument"))
        .collect::<Result<Vec<_>, _>>()?;
    let env_c = policy
        .env
        .iter()
        .map(|(k, v)| {
            let mut e = k.as_bytes().to_vec();
            e.push(b'=');
            e.extend_from_slice(v.as_bytes());
            cstring(&e, "environment variable")
        })
        .collect::<Result<Vec<_>, _>>()?;
    let path_var = policy
        .env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.as_os_str());
    let candidates = exec_candidates(cmd, path_var)
        .iter()
        .map(|c| cstring(c.as_bytes(), "command"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Exec {
        candidates,
        argv: ExecStrings::new(argv_c),
        env: ExecStrings::new(env_c),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_follow_execvp_rules() {
        let c = exec_candidates(OsStr::new("sh"), Some(OsStr::new("/a:/b/c::")));
        assert_eq!(c, ["/a/sh", "/b/c/sh", "./sh", "./sh"].map(OsString::from));
        let c = exec_candidates(OsStr::new("./x"), Some(OsStr::new("/a")));
        assert_eq!(c, [OsString::from("./x")]);
    }
}
