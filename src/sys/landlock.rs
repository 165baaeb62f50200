//! Landlock: the ABI version, rulesets, rules, enforcement.

use super::check::*;
use libc::c_uint;
use std::os::fd::AsRawFd;

/// The kernel's Landlock ABI version, 0 when Landlock is unavailable.
pub(crate) fn landlock_abi() -> i32 {
    const LANDLOCK_CREATE_RULESET_VERSION: c_uint = 1;
    // SAFETY: with a null attr and size 0 this flag only queries the version.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if rc < 0 {
        0
    } else {
        rc as i32
    }
}

/// `struct landlock_ruleset_attr` (ABI 6 layout; older kernels accept it
/// while the fields they do not know are zero).
#[repr(C)]
struct RulesetAttr {
    handled_access_fs: u64,
    handled_access_net: u64,
    scoped: u64,
}

/// landlock_create_ruleset(2). The fd is close-on-exec.
pub(crate) fn landlock_create_ruleset(fs: u64, net: u64, scoped: u64) -> SysResult<OwnedFd> {
    let attr = RulesetAttr {
        handled_access_fs: fs,
        handled_access_net: net,
        scoped,
    };
    // SAFETY: attr is a valid ruleset_attr of the size passed.
    new_fd(unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            &attr as *const RulesetAttr,
            std::mem::size_of::<RulesetAttr>(),
            0,
        )
    })
}

/// landlock_add_rule(2) for a path: `allowed` beneath the directory or on
/// the file `parent_fd`.
pub(crate) fn landlock_add_path_rule(
    ruleset: BorrowedFd<'_>,
    parent: BorrowedFd<'_>,
    allowed: u64,
) -> SysResult<()> {
    #[repr(C, packed)]
    struct PathBeneath {
        allowed_access: u64,
        parent_fd: i32,
    }
    let attr = PathBeneath {
        allowed_access: allowed,
        parent_fd: parent.as_raw_fd(),
    };
    // SAFETY: attr is the packed landlock_path_beneath_attr the kernel reads.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_landlock_add_rule,
            ruleset.as_raw_fd(),
            1 as c_int, // LANDLOCK_RULE_PATH_BENEATH
            &attr as *const PathBeneath,
            0 as c_uint,
        )
    };
    check(rc).map(drop)
}

/// landlock_add_rule(2) for a TCP port.
pub(crate) fn landlock_add_port_rule(
    ruleset: BorrowedFd<'_>,
    port: u64,
    allowed: u64,
) -> SysResult<()> {
    #[repr(C)]
    struct NetPort {
        allowed_access: u64,
        port: u64,
    }
    let attr = NetPort {
        allowed_access: allowed,
        port,
    };
    // SAFETY: attr is the landlock_net_port_attr the kernel reads.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_landlock_add_rule,
            ruleset.as_raw_fd(),
            2 as c_int, // LANDLOCK_RULE_NET_PORT
            &attr as *const NetPort,
            0 as c_uint,
        )
    };
    check(rc).map(drop)
}

/// landlock_restrict_self(2).
pub(crate) fn landlock_restrict_self(ruleset: BorrowedFd<'_>) -> SysResult<()> {
    // SAFETY: plain integer arguments.
    check(unsafe {
        libc::syscall(
            libc::SYS_landlock_restrict_self,
            ruleset.as_raw_fd(),
            0 as c_uint,
        )
    })
    .map(drop)
}
