//! Unix sockets: descriptor passing, the channel socket's listener, the
//! peer's pidfd.

use super::check::*;
use std::os::fd::AsRawFd;

/// A connected pair of close-on-exec Unix `SOCK_SEQPACKET` sockets: the
/// setup socket and the channel.
pub(crate) fn seqpacket_pair() -> SysResult<(OwnedFd, OwnedFd)> {
    use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
    socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
}

/// Sends `bytes` on a connected socket; a peer that is gone is `EPIPE`,
/// never SIGPIPE (which the command line leaves at its default).
pub(crate) fn send(sock: BorrowedFd<'_>, bytes: &[u8]) -> SysResult<usize> {
    // SAFETY: the pointer and length describe `bytes`, only read.
    let rc = unsafe {
        libc::send(
            sock.as_raw_fd(),
            bytes.as_ptr().cast(),
            bytes.len(),
            libc::MSG_NOSIGNAL,
        )
    };
    check(rc as c_long).map(|n| n as usize)
}

/// Sends `bytes` with the descriptor `fd` attached (SCM_RIGHTS), from a
/// stack buffer.
pub(crate) fn send_fd(sock: BorrowedFd<'_>, bytes: &[u8], fd: BorrowedFd<'_>) -> SysResult<()> {
    #[repr(C)]
    struct Cmsg {
        hdr: libc::cmsghdr,
        fd: c_int,
        pad: c_int,
    }
    // SAFETY: cmsghdr is plain data; zeroed is valid.
    let mut cmsg: Cmsg = unsafe { std::mem::zeroed() };
    // size_t in glibc, socklen_t in musl.
    cmsg.hdr.cmsg_len = (std::mem::size_of::<libc::cmsghdr>() + std::mem::size_of::<c_int>()) as _;
    cmsg.hdr.cmsg_level = libc::SOL_SOCKET;
    cmsg.hdr.cmsg_type = libc::SCM_RIGHTS;
    cmsg.fd = fd.as_raw_fd();
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr() as *mut libc::c_void,
        iov_len: bytes.len(),
    };
    // SAFETY: msghdr is plain data; zeroed is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = (&mut cmsg as *mut Cmsg).cast();
    msg.msg_controllen = std::mem::size_of::<Cmsg>() as _;
    // SAFETY: msg points at a valid iovec and control buffer that outlive
    // the call; sendmsg only reads them.
    let rc = unsafe { libc::sendmsg(sock.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) };
    check(rc as c_long).map(drop)
}

/// A listening `SOCK_SEQPACKET` Unix socket bound at `addr` (close-on-exec,
/// backlog 16).
pub(crate) fn unix_listen(addr: &UnixPath) -> SysResult<OwnedFd> {
    // SAFETY: integer arguments only.
    let fd = new_fd(
        unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0) }.into(),
    )?;
    // SAFETY: addr.addr is a valid sockaddr_un and addr.len does not exceed
    // its size (checked when it was built).
    check_int(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&addr.addr as *const libc::sockaddr_un).cast(),
            addr.len,
        )
    })?;
    // SAFETY: integer arguments only.
    check_int(unsafe { libc::listen(fd.as_raw_fd(), 16) })?;
    Ok(fd)
}

/// A Unix socket address built before clone, so binding it allocates
/// nothing.
#[derive(Clone, Copy)]
pub(crate) struct UnixPath {
    addr: libc::sockaddr_un,
    len: libc::socklen_t,
}

impl std::fmt::Debug for UnixPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.len as usize - std::mem::size_of::<libc::sa_family_t>();
        let bytes: Vec<u8> = self
            .addr
            .sun_path
            .iter()
            .take(n)
            .map(|&c| c.to_ne_bytes()[0]) // c_char is i8 on x86_64, u8 on aarch64
            .collect();
        write!(f, "UnixPath({:?})", String::from_utf8_lossy(&bytes))
    }
}

impl UnixPath {
    /// The address of `path`; None when it does not fit (108 bytes) or
    /// holds a NUL byte.
    pub fn new(path: &[u8]) -> Option<UnixPath> {
        // SAFETY: sockaddr_un is plain data; zeroed is valid.
        let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
        if path.len() >= addr.sun_path.len() || path.contains(&0) {
            return None;
        }
        addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
        for (d, s) in addr.sun_path.iter_mut().zip(path) {
            *d = *s as c_char;
        }
        let len = std::mem::size_of::<libc::sa_family_t>() + path.len() + 1;
        Some(UnixPath {
            addr,
            len: len as libc::socklen_t,
        })
    }
}

/// A pidfd for the process at the other end of a Unix socket, pinned when
/// it connected (SO_PEERPIDFD, Linux 6.5); ENOPROTOOPT on older kernels.
pub(crate) fn peer_pidfd(sock: BorrowedFd<'_>) -> SysResult<OwnedFd> {
    const SO_PEERPIDFD: c_int = 77;
    let mut fd: c_int = -1;
    let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: fd and len are valid for writes of the sizes given.
    check_int(unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            SO_PEERPIDFD,
            (&mut fd as *mut c_int).cast(),
            &mut len,
        )
    })?;
    new_fd(fd.into())
}

/// One message received with [`recv_with_fds`].
#[derive(Debug)]
pub(crate) struct Received {
    /// Bytes of the message (more than the buffer with `MSG_TRUNC`).
    pub(crate) len: usize,
    /// The message was longer than the buffer.
    pub(crate) truncated: bool,
    /// Descriptors were dropped for lack of control-buffer room.
    pub(crate) fds_truncated: bool,
    /// The descriptors that came with it, close-on-exec, now owned here.
    pub(crate) fds: Vec<OwnedFd>,
}

/// recvmsg(2) of one message into `buf` with room for `N` descriptors,
/// which arrive close-on-exec (`MSG_CMSG_CLOEXEC` is always added to
/// `flags`).
pub(crate) fn recv_with_fds<const N: usize>(
    sock: BorrowedFd<'_>,
    buf: &mut [u8],
    flags: nix::sys::socket::MsgFlags,
) -> SysResult<Received> {
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
    let mut space = nix::cmsg_space!([RawFd; N]);
    let mut iov = [std::io::IoSliceMut::new(buf)];
    let flags = flags | MsgFlags::MSG_CMSG_CLOEXEC;
    // A peer that closed with a message of ours unread makes the kernel
    // report ECONNRESET once, ahead of what the peer sent before it closed
    // (a child's failure record, a plugin's last message), which is still
    // queued; end-of-file follows.
    let mut reset = false;
    let msg = loop {
        match recvmsg::<()>(sock.as_raw_fd(), &mut iov, Some(&mut space), flags) {
            Err(nix::errno::Errno::ECONNRESET) if !reset => reset = true,
            r => break r?,
        }
    };
    let mut fds = Vec::new();
    if let Ok(cmsgs) = msg.cmsgs() {
        for c in cmsgs {
            if let ControlMessageOwned::ScmRights(raw) = c {
                // SAFETY: SCM_RIGHTS descriptors are installed by the
                // kernel for this call; nothing else knows their numbers.
                fds.extend(raw.into_iter().map(|fd| unsafe { super::fd::adopt(fd) }));
            }
        }
    }
    Ok(Received {
        len: msg.bytes,
        truncated: msg.flags.contains(MsgFlags::MSG_TRUNC),
        fds_truncated: msg.flags.contains(MsgFlags::MSG_CTRUNC),
        fds,
    })
}

/// accept4(2) with close-on-exec.
pub(crate) fn accept(listener: BorrowedFd<'_>) -> SysResult<OwnedFd> {
    // SAFETY: null address pointers ask for no peer address.
    new_fd(
        unsafe {
            libc::accept4(
                listener.as_raw_fd(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                libc::SOCK_CLOEXEC,
            )
        }
        .into(),
    )
}

/// shutdown(2): for reading, a receive blocked on the socket through any
/// descriptor returns what is queued and then end-of-file; for both, the
/// peer reads end-of-file too, whoever else holds a descriptor of it.
pub(crate) fn shutdown(sock: BorrowedFd<'_>, how: nix::sys::socket::Shutdown) -> SysResult<()> {
    nix::sys::socket::shutdown(sock.as_raw_fd(), how)
}
