//! The payload's descriptor map, checked against what the launcher has
//! open.

use super::error::PlanError;

/// Most descriptors one payload can receive (the child remaps them with a
/// fixed-size stack array).
pub(crate) const MAX_FDS: usize = 64;

/// Checks that every source is open here and the map can be applied.
pub(super) fn probe(fds: &[(i32, i32)]) -> Result<crate::fds::FdMap, PlanError> {
    if fds.len() > MAX_FDS {
        return Err(PlanError::TooManyFds(MAX_FDS));
    }
    for &(src, _) in fds {
        if !crate::sys::fd_is_open(src) {
            return Err(crate::fds::FdError::NotOpen(src).into());
        }
    }
    Ok(crate::fds::plan(fds.to_vec())?)
}
