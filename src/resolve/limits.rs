//! The `limits` section → resource limits.

use super::values::*;
use crate::diag::ProfileError;
use crate::policy::Rlimit;
use crate::profile::model::*;

/// Resource limits, soft = hard. `core` is 0 unless set.
pub(super) fn resolve_rlimits(l: &Limits) -> Result<Vec<Rlimit>, ProfileError> {
    let mut out = Vec::new();
    let mut push = |name: &'static str, resource: libc::__rlimit_resource_t, value: u64| {
        out.push(Rlimit {
            name,
            resource: resource as i32,
            value,
        })
    };
    if let Some(c) = &l.cpu_time {
        push(
            "cpu_time",
            libc::RLIMIT_CPU,
            duration(c, "cpu_time")?.as_secs().max(1),
        );
    }
    let sizes = [
        ("address_space", libc::RLIMIT_AS, &l.address_space),
        ("data", libc::RLIMIT_DATA, &l.data),
        ("file_size", libc::RLIMIT_FSIZE, &l.file_size),
        ("stack", libc::RLIMIT_STACK, &l.stack),
        ("memlock", libc::RLIMIT_MEMLOCK, &l.memlock),
        ("msgqueue", libc::RLIMIT_MSGQUEUE, &l.msgqueue),
    ];
    for (name, res, v) in sizes {
        if let Some(v) = v {
            push(name, res, parse_size(&v.value, &v.loc)?);
        }
    }
    let core = match &l.core {
        Some(v) => parse_size(&v.value, &v.loc)?,
        None => 0,
    };
    push("core", libc::RLIMIT_CORE, core);
    let counts = [
        ("open_files", libc::RLIMIT_NOFILE, &l.open_files),
        ("processes", libc::RLIMIT_NPROC, &l.processes),
        ("locks", libc::RLIMIT_LOCKS, &l.locks),
        ("sigpending", libc::RLIMIT_SIGPENDING, &l.sigpending),
        ("nice", libc::RLIMIT_NICE, &l.nice),
        ("rtprio", libc::RLIMIT_RTPRIO, &l.rtprio),
    ];
    for (name, res, v) in counts {
        if let Some(v) = v {
            if name == "nice" && v.value > 40 {
                return Err(ProfileError::new(
                    &v.loc,
                    "nice must be 0..40 (20 - nice value)",
                ));
            }
            push(name, res, v.value);
        }
    }
    Ok(out)
}
