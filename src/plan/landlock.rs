//! The Landlock ruleset, created (with its port rules) by the launcher.

use super::error::PlanError;
use std::ffi::CString;

/// The Landlock ruleset: created (with its port rules) by the launcher; the
/// child adds the path rules once it is inside its view, and the payload
/// restricts itself with it just before exec.
#[derive(Debug)]
pub struct Ruleset {
    /// The ruleset fd (close-on-exec).
    pub ruleset: std::os::fd::OwnedFd,
    /// Path rules: view path and allowed rights.
    pub fs_rules: Vec<(CString, u64)>,
}

/// Creates the ruleset and adds the port rules.
pub(super) fn landlock_plan(
    p: &crate::landlock::LandlockReport,
) -> Result<Option<Ruleset>, PlanError> {
    use std::os::fd::AsFd;
    if !p.enforces_anything() {
        return Ok(None);
    }
    let ruleset = crate::sys::landlock_create_ruleset(p.handled_fs, p.handled_net, p.scoped)
        .map_err(|errno| PlanError::Ruleset {
            what: "create the ruleset".into(),
            errno: crate::diag::OsError::of(errno),
        })?;
    for (port, access) in &p.net_rules {
        crate::sys::landlock_add_port_rule(ruleset.as_fd(), *port, *access).map_err(|errno| {
            PlanError::Ruleset {
                what: format!("add the rule for TCP port {port}"),
                errno: crate::diag::OsError::of(errno),
            }
        })?;
    }
    Ok(Some(Ruleset {
        ruleset,
        fs_rules: p.fs_rules.clone(),
    }))
}
