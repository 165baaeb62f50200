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
/// by unsetting these bits. Raw capset, not the `caps` crate, which
/// allocates.
pub(crate) fn drop_privileges_from_child(last_cap: u32) -> SysResult<()> {
    // Setting securebits and dropping the bounding set need CAP_SETPCAP,
    // so both come before the capability sets are emptied.
    sys::set_securebits(LOCKED_SECUREBITS)?;
    sys::raw::empty_bounding_set(last_cap)?;
    sys::clear_ambient_caps()?;
    sys::capset_clear()
}
