//! The `limits` section → resource limits.

use super::values::*;
use crate::diag::ProfileError;
use crate::policy::Rlimit;
use crate::profile::model::*;

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
