//! Privileges of the calling thread: securebits, the capability sets,
//! no_new_privs, dumpability. Each prctl option has its own function, so
//! no caller can pass an option that writes through a pointer.

use super::check::*;
use libc::c_ulong;

fn prctl(option: c_int, arg: c_ulong) -> SysResult<()> {
    // SAFETY: the options passed by this module's functions take one
    // integer argument and read or write no memory.
    check_int(unsafe { libc::prctl(option, arg, 0 as c_ulong, 0 as c_ulong, 0 as c_ulong) })
        .map(drop)
}

/// PR_SET_SECUREBITS.
pub(crate) fn set_securebits(bits: u32) -> SysResult<()> {
    prctl(libc::PR_SET_SECUREBITS, bits as c_ulong)
}

/// PR_CAP_AMBIENT_CLEAR_ALL.
pub(crate) fn clear_ambient_caps() -> SysResult<()> {
    // SAFETY: integer arguments only; the remaining ones must be 0.
    check_int(unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL as c_ulong,
            0 as c_ulong,
            0 as c_ulong,
            0 as c_ulong,
        )
    })
    .map(drop)
}

/// PR_SET_NO_NEW_PRIVS: exec can never grant privileges again.
pub(crate) fn set_no_new_privs() -> SysResult<()> {
    prctl(libc::PR_SET_NO_NEW_PRIVS, 1)
}

/// PR_SET_DUMPABLE 0: no ptrace, no core, /proc entries owned by root.
pub(crate) fn set_undumpable() -> SysResult<()> {
    prctl(libc::PR_SET_DUMPABLE, 0)
}

/// capset(2) clearing the effective, permitted and inheritable sets.
pub(crate) fn capset_clear() -> SysResult<()> {
    let (header, data) = cleared_caps();
    // SAFETY: header and data are the v3 layout the kernel reads (two data
    // elements for 64 capability bits); nothing is written back.
    check(unsafe { libc::syscall(libc::SYS_capset, &header as *const CapHeader, data.as_ptr()) })
        .map(drop)
}

#[repr(C)]
pub(super) struct CapHeader {
    version: u32,
    pid: c_int,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub(super) struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// capset(2) arguments that empty every set of the calling thread.
pub(super) fn cleared_caps() -> (CapHeader, [CapData; 2]) {
    let header = CapHeader {
        version: 0x2008_0522, // _LINUX_CAPABILITY_VERSION_3
        pid: 0,
    };
    let none = CapData {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    };
    (header, [none; 2])
}

/// The highest capability number this kernel knows, what
/// `/proc/sys/kernel/cap_last_cap` says, without a file: PR_CAPBSET_READ
/// answers EINVAL above it. Six of those cost less than the file's path
/// lookup in procfs alone.
pub(crate) fn last_cap() -> u32 {
    let known = |cap: u32| prctl(libc::PR_CAPBSET_READ, cap as c_ulong).is_ok();
    if !known(0) {
        return 63;
    }
    // The highest known number in lo..=hi, where lo is known.
    let (mut lo, mut hi): (u32, u32) = (0, 63);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if known(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_last_capability_is_the_one_procfs_names() {
        let text = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap");
        let named = text.ok().and_then(|t| t.trim().parse::<u32>().ok());
        assert_eq!(Some(super::last_cap()), named);
    }
}
