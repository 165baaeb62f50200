//! What every wrapper shares: results, errno, adopting a new descriptor.

pub(super) use libc::{c_char, c_int, c_long};
pub(super) use nix::errno::Errno;
pub(super) use std::ffi::CStr;
pub(super) use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// Result of a raw syscall.
pub(crate) type SysResult<T> = Result<T, Errno>;

/// The working directory, for the `*at` calls (`AT_FDCWD`).
// SAFETY: AT_FDCWD is not a descriptor but a value every `*at` call
// accepts in its place, valid for the whole process lifetime; it is never
// closed (it is not -1, the one value BorrowedFd may not hold).
pub(crate) const CWD: BorrowedFd<'static> = unsafe { BorrowedFd::borrow_raw(libc::AT_FDCWD) };

pub(super) fn check(rc: c_long) -> SysResult<c_long> {
    if rc == -1 {
        Err(Errno::last())
    } else {
        Ok(rc)
    }
}

pub(super) fn check_int(rc: c_int) -> SysResult<c_int> {
    if rc == -1 {
        Err(Errno::last())
    } else {
        Ok(rc)
    }
}

/// Takes ownership of the descriptor a successful system call returned.
pub(super) fn new_fd(rc: c_long) -> SysResult<OwnedFd> {
    // File descriptors fit in c_int by the kernel's own definition.
    let fd = check(rc)? as RawFd;
    // SAFETY: the kernel just created `fd` for this call; nothing else in
    // the process knows its number, so the OwnedFd is its only owner.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

pub(super) fn opt_ptr(s: Option<&CStr>) -> *const c_char {
    s.map_or(std::ptr::null(), CStr::as_ptr)
}
