//! Descriptors: duplicate, place, close, read and write, poll for a
//! hang-up.

use super::check::*;
use libc::c_uint;
use std::os::fd::AsRawFd;

/// Duplicates descriptor number `fd` to the lowest free number at or above
/// `min`, close-on-exec. By number, since the descriptors duplicated this
/// way were given to the process by number (`--status-fd`, an inherited
/// channel); only a new descriptor is created, nothing is replaced.
pub(crate) fn dup_above(fd: RawFd, min: RawFd) -> SysResult<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC only creates a new descriptor.
    new_fd(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, min) }.into())
}

/// The file status flags of descriptor number `fd` (F_GETFL): access
/// mode, O_APPEND, ...
pub(crate) fn fd_status_flags(fd: RawFd) -> SysResult<c_int> {
    // SAFETY: F_GETFL only reads the descriptor's file status flags.
    check_int(unsafe { libc::fcntl(fd, libc::F_GETFL) })
}

/// Whether `fd` is an open descriptor.
pub(crate) fn fd_is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only reads the descriptor flags.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

/// Makes `new` a copy of `old`, open on exec (dup3 without flags).
///
/// # Safety
/// Whatever `new` referred to is closed: nothing in the process may own
/// or use that number afterwards (the payload's descriptor layout, just
/// before exec).
pub(crate) unsafe fn dup_onto(old: BorrowedFd<'_>, new: RawFd) -> SysResult<()> {
    // SAFETY: plain integer arguments; replacing `new` is the caller's
    // documented intent.
    check_int(unsafe { libc::dup3(old.as_raw_fd(), new, 0) }).map(drop)
}

/// Closes every descriptor but `keep`, given in ascending order (negative
/// numbers are skipped), with close_range(2).
///
/// # Safety
/// Every descriptor not kept is closed whoever owns it: the caller must
/// be about to exec or exit, or own every other descriptor of the
/// process and never use them again (the sandbox's PID 1 and payload).
pub(crate) unsafe fn close_all_but(keep: impl Iterator<Item = RawFd>) -> SysResult<()> {
    let close_range = |first: u32, last: u32| {
        // SAFETY: only affects this process's descriptor table, which the
        // caller's contract allows.
        check(unsafe { libc::syscall(libc::SYS_close_range, first, last, 0 as c_uint) })
    };
    let mut next: u32 = 0;
    for k in keep.filter(|k| *k >= 0) {
        let k = k as u32;
        if k > next {
            close_range(next, k - 1)?;
        }
        next = next.max(k.saturating_add(1));
    }
    close_range(next, c_uint::MAX).map(drop)
}

/// Takes ownership of a descriptor that arrived by number from a library
/// call (an `SCM_RIGHTS` message, `accept4`).
///
/// # Safety
/// `fd` must be open, just created for this process and owned by nothing
/// else: the returned OwnedFd closes it.
pub(crate) unsafe fn adopt(fd: RawFd) -> OwnedFd {
    // SAFETY: the caller's contract.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// write(2) of a whole buffer in one call (for datagram sockets).
pub(crate) fn write(fd: BorrowedFd<'_>, buf: &[u8]) -> SysResult<usize> {
    // SAFETY: the pointer and length describe `buf`.
    let rc = unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) };
    check(rc as c_long).map(|n| n as usize)
}

/// read(2) into `buf`.
pub(crate) fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> SysResult<usize> {
    // SAFETY: the pointer and length describe `buf`, which read may fill.
    let rc = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    check(rc as c_long).map(|n| n as usize)
}

/// Whether the other end of the stream or datagram socket `fd` is closed
/// (poll(2) reports a hang-up), without blocking.
pub(crate) fn peer_closed(fd: BorrowedFd<'_>) -> bool {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: p is one valid pollfd; a zero timeout never blocks; a null
    // mask keeps the current one. ppoll, not poll: it is the one call both
    // architectures have, and the one PID 1's filter allows.
    let rc = unsafe { libc::ppoll(&mut p, 1, &zero, std::ptr::null()) };
    rc == 1 && p.revents & (libc::POLLHUP | libc::POLLRDHUP | libc::POLLERR) != 0
}

/// Asks for SIGIO to the calling process when `fd` becomes readable or its
/// peer hangs up (`F_SETOWN`, `O_ASYNC`). The kernel records the caller's
/// credentials, so call it with the identity that will receive the signal.
pub(crate) fn signal_on_io(fd: BorrowedFd<'_>) -> SysResult<()> {
    let fd = fd.as_raw_fd();
    // SAFETY: getpid takes no arguments; the raw call bypasses any cache.
    let me = unsafe { libc::syscall(libc::SYS_getpid) } as c_int;
    // SAFETY: fcntl with integer arguments on a descriptor we own.
    check_int(unsafe { libc::fcntl(fd, libc::F_SETOWN, me) })?;
    // SAFETY: as above.
    let flags = check_int(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    // SAFETY: as above.
    check_int(unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_ASYNC) }).map(drop)
}

/// A non-blocking, close-on-exec eventfd (the launcher's "something
/// happened" flag for event loops).
pub(crate) fn eventfd() -> SysResult<OwnedFd> {
    // SAFETY: integer arguments; the result is a new descriptor.
    new_fd(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) }.into())
}

/// The poll(2) timeout for waiting `d`: whole milliseconds rounded up, so
/// a wait shorter than one never turns into a busy zero-timeout poll.
pub(crate) fn poll_timeout(d: std::time::Duration) -> nix::poll::PollTimeout {
    let ms = d.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32;
    nix::poll::PollTimeout::try_from(ms).unwrap_or(nix::poll::PollTimeout::MAX)
}

/// Reads a kernel-generated text file (procfs) whole. Such files report a
/// size of 0, so `fs::read_to_string` reads them with a stat and a
/// growing series of small reads (six system calls for `/proc/self/stat`
/// at every start-up); page-sized reads get the text in one and see the
/// end in the next.
pub(crate) fn read_proc(path: &str) -> Option<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).ok()?;
    let mut text = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match f.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => text.extend_from_slice(chunk.get(..n)?),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    String::from_utf8(text).ok()
}
