//! The capability drop shared by PID 1 and the payload (the warden thread
//! makes the same calls through `sys::raw`).

use crate::sys::{self, SysResult};

/// Securebits of every process of the sandbox: no root privileges by uid,
/// no capability fix-ups on uid changes, no ambient raise, all locked.
pub(crate) const LOCKED_SECUREBITS: u32 = (libc::SECBIT_NOROOT
    | libc::SECBIT_NOROOT_LOCKED
    | libc::SECBIT_NO_SETUID_FIXUP
    | libc::SECBIT_NO_SETUID_FIXUP_LOCKED
    | libc::SECBIT_KEEP_CAPS_LOCKED
    | libc::SECBIT_NO_CAP_AMBIENT_RAISE
    | libc::SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) as u32;

/// Empties every capability set and locks the securebits so none can be
/// regained: not by setuid to 0 (NOROOT), not through ambient raising, not
/// by unsetting these bits. The bounding set is already empty: PID 1
/// emptied it at step 13, before the payload existed, and both inherit
/// it from there. Raw capset, not the `caps` crate, which allocates.
pub(crate) fn drop_privileges_from_child() -> SysResult<()> {
    // Setting securebits needs CAP_SETPCAP, so it comes before the
    // capability sets are emptied.
    sys::set_securebits(LOCKED_SECUREBITS)?;
    sys::clear_ambient_caps()?;
    sys::capset_clear()
}
