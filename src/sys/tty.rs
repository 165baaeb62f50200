//! The host terminal: attributes and line discipline, kept or put back
//! by the command line.

use super::check::*;
use std::os::fd::AsRawFd;

/// The terminal attributes of `fd` (tcgetattr); ENOTTY when it is no
/// terminal.
pub(crate) fn tcgetattr(fd: BorrowedFd<'_>) -> SysResult<libc::termios> {
    // SAFETY: termios is plain data; zeroed is valid, and tcgetattr fills it.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: t is a valid termios for tcgetattr to write.
    check_int(unsafe { libc::tcgetattr(fd.as_raw_fd(), &mut t) })?;
    Ok(t)
}

/// Sets the terminal attributes of `fd` now (tcsetattr TCSANOW).
pub(crate) fn tcsetattr_now(fd: BorrowedFd<'_>, t: &libc::termios) -> SysResult<()> {
    // SAFETY: t is a valid termios, only read.
    check_int(unsafe { libc::tcsetattr(fd.as_raw_fd(), libc::TCSANOW, t) }).map(drop)
}

/// The line discipline of terminal `fd` (TIOCGETD).
pub(crate) fn line_discipline(fd: BorrowedFd<'_>) -> SysResult<c_int> {
    let mut ld: c_int = 0;
    // SAFETY: TIOCGETD writes one int to the pointer given.
    check_int(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGETD, &mut ld as *mut c_int) })?;
    Ok(ld)
}

/// Sets the line discipline of terminal `fd` (TIOCSETD).
pub(crate) fn set_line_discipline(fd: BorrowedFd<'_>, ld: c_int) -> SysResult<()> {
    // SAFETY: TIOCSETD reads one int from the pointer given.
    check_int(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCSETD, &ld as *const c_int) }).map(drop)
}
