//! The `limits` section → resource limits.

use super::values::*;
use crate::diag::ProfileError;
use crate::policy::{CgroupLimits, Rlimit};
use crate::profile::model::*;
use std::path::PathBuf;

/// Resource limits, soft = hard. `core` is 0 unless set; `nice` must lie
/// in 0..40.
pub(super) fn resolve_rlimits(l: &Limits) -> Result<Vec<Rlimit>, ProfileError> {
    let mut out = Vec::new();
    for (name, resource, value) in l.rlimits() {
        let value = match value {
            None if name == "core" => 0,
            None => continue,
            Some(LimitValue::Duration(d)) => duration(d, name)?.as_secs().max(1),
            Some(LimitValue::Size(s)) => parse_size(&s.value, &s.loc)?,
            Some(LimitValue::Count(n)) if name == "nice" && n.value > 40 => {
                return Err(ProfileError::new(
                    &n.loc,
                    "nice must be 0..40 (20 - nice value)",
                ));
            }
            Some(LimitValue::Count(n)) => n.value,
        };
        out.push(Rlimit {
            name,
            resource,
            value,
        });
    }
    Ok(out)
}

/// The limits of the whole sandbox: `memory`, `cpu`, and `processes` as
/// pids.max.
pub(super) fn resolve_cgroup(
    l: &Limits,
    rlimits: &[Rlimit],
    parent: Option<PathBuf>,
) -> Result<CgroupLimits, ProfileError> {
    let memory = match &l.memory {
        Some(m) => Some(parse_size(&m.value, &m.loc)?),
        None => None,
    };
    let cpu = match &l.cpu {
        Some(c) if !(c.value.is_finite() && c.value >= 0.01 && c.value <= 4096.0) => {
            return Err(ProfileError::new(
                &c.loc,
                format!(
                    "cpu must be a number of CPUs from 0.01 to 4096, not {}",
                    c.value
                ),
            ))
        }
        Some(c) => Some(c.value),
        None => None,
    };
    if let (Some(m), Some(at)) = (memory, &l.memory) {
        if m < 4 << 20 {
            return Err(ProfileError::new(&at.loc, "memory must be at least 4M")
                .hint("the sandbox's own processes need a few MiB"));
        }
    }
    let pids = rlimits
        .iter()
        .find(|r| r.name == "processes")
        .map(|r| r.value);
    Ok(CgroupLimits {
        memory,
        cpu,
        pids,
        required: l.require_cgroup.as_ref().is_some_and(|r| r.value),
        parent,
    })
}
