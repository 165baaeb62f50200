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

/// A terminal's attributes in the kernel's own layout (TCGETS2/TCSETS2),
/// which the child can set without the C library's conversion.
pub(crate) type KernelTermios = libc::termios2;

/// The attributes of terminal `fd` in the kernel's layout (TCGETS2).
pub(crate) fn kernel_termios(fd: BorrowedFd<'_>) -> SysResult<KernelTermios> {
    // SAFETY: termios2 is plain data; zeroed is valid.
    let mut t: KernelTermios = unsafe { std::mem::zeroed() };
    // SAFETY: TCGETS2 writes one termios2 to the pointer given.
    check_int(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TCGETS2, &mut t as *mut KernelTermios) })?;
    Ok(t)
}

/// Sets the attributes of terminal `fd` now (TCSETS2).
pub(crate) fn set_kernel_termios(fd: BorrowedFd<'_>, t: &KernelTermios) -> SysResult<()> {
    // SAFETY: TCSETS2 reads one termios2 from the pointer given.
    check_int(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TCSETS2, t as *const KernelTermios) })
        .map(drop)
}

/// The window size of terminal `fd` (TIOCGWINSZ).
pub(crate) fn window_size(fd: BorrowedFd<'_>) -> SysResult<libc::winsize> {
    let mut w = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize to the pointer given.
    check_int(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut w as *mut libc::winsize) })?;
    Ok(w)
}

/// Sets the window size of terminal `fd` (TIOCSWINSZ); on a pseudo-terminal
/// the kernel then sends SIGWINCH to the foreground process group.
pub(crate) fn set_window_size(fd: BorrowedFd<'_>, w: &libc::winsize) -> SysResult<()> {
    // SAFETY: TIOCSWINSZ reads one winsize from the pointer given.
    check_int(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCSWINSZ, w as *const libc::winsize) })
        .map(drop)
}

/// Unlocks the peer of pseudo-terminal master `master` (TIOCSPTLCK 0).
pub(crate) fn unlock_pty(master: BorrowedFd<'_>) -> SysResult<()> {
    let unlock: c_int = 0;
    // SAFETY: TIOCSPTLCK reads one int from the pointer given.
    check_int(unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSPTLCK, &unlock as *const c_int) })
        .map(drop)
}

/// Opens the peer of pseudo-terminal master `master` through the master
/// itself (TIOCGPTPEER): no path, so nothing can swap the node.
pub(crate) fn open_pty_peer(master: BorrowedFd<'_>) -> SysResult<OwnedFd> {
    let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC;
    // SAFETY: TIOCGPTPEER takes its open flags by value and returns a new
    // descriptor, which `new_fd` adopts.
    new_fd(unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCGPTPEER, flags) }.into())
}

/// Makes terminal `fd` the controlling terminal of this process, which
/// must lead a session without one (TIOCSCTTY, never stealing).
pub(crate) fn set_controlling_terminal(fd: RawFd) -> SysResult<()> {
    // SAFETY: TIOCSCTTY takes an int by value (0: do not steal).
    check_int(unsafe { libc::ioctl(fd, libc::TIOCSCTTY, 0 as c_int) }).map(drop)
}

/// Makes this process's group the foreground one of its controlling
/// terminal `fd` (TIOCSPGRP); the caller blocks SIGTTOU, which a
/// background group would otherwise get.
pub(crate) fn take_foreground(fd: RawFd) -> SysResult<()> {
    // SAFETY: getpgrp has no preconditions.
    let pgrp: libc::pid_t = unsafe { libc::getpgrp() };
    // SAFETY: TIOCSPGRP reads one pid_t from the pointer given.
    check_int(unsafe { libc::ioctl(fd, libc::TIOCSPGRP, &pgrp as *const libc::pid_t) }).map(drop)
}

/// The foreground process group of terminal `fd` (TIOCGPGRP).
pub(crate) fn foreground_group(fd: BorrowedFd<'_>) -> SysResult<libc::pid_t> {
    let mut pgrp: libc::pid_t = 0;
    // SAFETY: TIOCGPGRP writes one pid_t to the pointer given.
    check_int(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGPGRP, &mut pgrp as *mut libc::pid_t) })?;
    Ok(pgrp)
}

/// `t` made raw (cfmakeraw): no echo, no line editing, no signals from
/// keys, no output processing.
pub(crate) fn raw_mode(t: &libc::termios) -> libc::termios {
    let mut raw = *t;
    // SAFETY: cfmakeraw only edits the termios it is given.
    unsafe { libc::cfmakeraw(&mut raw) };
    raw
}

/// How many bytes wait to be read on `fd` (FIONREAD).
pub(crate) fn bytes_to_read(fd: BorrowedFd<'_>) -> SysResult<c_int> {
    let mut n: c_int = 0;
    // SAFETY: FIONREAD writes one int to the pointer given.
    check_int(unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut n as *mut c_int) })?;
    Ok(n)
}
