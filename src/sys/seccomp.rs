//! seccomp: installing a filter (the notification calls are the warden's,
//! in `raw`).

use super::check::*;
use libc::c_uint;

/// Installs a seccomp filter on the calling thread (with `tsync`, on every
/// thread of the process). With `listener`, the filter's user
/// notifications go to the returned fd (close-on-exec).
pub(crate) fn seccomp_install(
    prog: &[seccompiler::sock_filter],
    listener: bool,
    tsync: bool,
) -> SysResult<Option<OwnedFd>> {
    #[repr(C)]
    struct SockFprog {
        len: libc::c_ushort,
        filter: *const seccompiler::sock_filter,
    }
    const SECCOMP_SET_MODE_FILTER: c_uint = 1;
    const SECCOMP_FILTER_FLAG_TSYNC: c_uint = 1;
    const SECCOMP_FILTER_FLAG_NEW_LISTENER: c_uint = 1 << 3;
    let fprog = SockFprog {
        // Programs are checked against the kernel's 4096-instruction limit
        // when compiled, so the length fits.
        len: prog.len() as libc::c_ushort,
        filter: prog.as_ptr(),
    };
    // Once the launcher has received a notification, only a fatal signal
    // may end the payload's wait (Linux 5.19); without it a signal could
    // withdraw the notification and the forbidden call would just fail.
    const SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: c_uint = 1 << 5;
    let install = |flags: c_uint| {
        // SAFETY: fprog points at `prog`, alive for the call; the kernel
        // copies the program before returning.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                SECCOMP_SET_MODE_FILTER,
                flags,
                &fprog as *const SockFprog,
            )
        };
        check(rc)
    };
    if !listener {
        return install(if tsync { SECCOMP_FILTER_FLAG_TSYNC } else { 0 }).map(|_| None);
    }
    let rc =
        match install(SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) {
            Err(Errno::EINVAL) => install(SECCOMP_FILTER_FLAG_NEW_LISTENER),
            r => r,
        };
    new_fd(rc?).map(Some)
}

/// struct seccomp_notif, which SECCOMP_IOCTL_NOTIF_RECV fills (and
/// requires zeroed).
#[repr(C)]
#[derive(Default)]
pub(super) struct SeccompNotif {
    pub(super) id: u64,
    pub(super) pid: u32,
    pub(super) flags: u32,
    pub(super) nr: i32,
    pub(super) arch: u32,
    pub(super) ip: u64,
    pub(super) args: [u64; 6],
}

pub(super) const SECCOMP_IOCTL_NOTIF_RECV: libc::c_ulong = 0xc050_2100;
