//! The syscall seam: thin, typed wrappers over the raw system calls the
//! launcher and the sandbox child make. This is the only module with `unsafe`.
//!
//! Every wrapper used after clone is async-signal-safe: it takes borrowed C
//! strings, integers and stack buffers, allocates nothing and cannot panic.
#![allow(unsafe_code)]

use libc::{c_char, c_int, c_long, c_uint, pid_t};
use nix::errno::Errno;
use std::ffi::CStr;
use std::os::fd::RawFd;

/// Result of a raw syscall.
pub type SysResult<T> = Result<T, Errno>;

fn check(rc: c_long) -> SysResult<c_long> {
    if rc == -1 {
        Err(Errno::last())
    } else {
        Ok(rc)
    }
}

fn check_int(rc: c_int) -> SysResult<c_int> {
    if rc == -1 {
        Err(Errno::last())
    } else {
        Ok(rc)
    }
}

fn fd_of(rc: c_long) -> SysResult<RawFd> {
    // File descriptors fit in c_int by the kernel's own definition.
    check(rc).map(|v| v as RawFd)
}

fn opt_ptr(s: Option<&CStr>) -> *const c_char {
    s.map_or(std::ptr::null(), CStr::as_ptr)
}

// Mount API constants from <linux/mount.h> (not all in the libc crate yet).
/// open_tree: clone the tree instead of opening it.
pub const OPEN_TREE_CLONE: c_uint = 1;
/// open_tree: close the returned fd on exec.
pub const OPEN_TREE_CLOEXEC: c_uint = libc::O_CLOEXEC as c_uint;
/// move_mount: the source is the fd itself.
pub const MOVE_MOUNT_F_EMPTY_PATH: c_uint = 0x04;
/// move_mount: the target is the fd itself.
pub const MOVE_MOUNT_T_EMPTY_PATH: c_uint = 0x40;
/// fsconfig: set a string parameter.
const FSCONFIG_SET_STRING: c_uint = 1;
/// fsconfig: create the superblock.
const FSCONFIG_CMD_CREATE: c_uint = 6;
/// fsopen/fsmount: close on exec.
const FS_CLOEXEC: c_uint = 1;
/// Mount attribute: read-only.
pub const MOUNT_ATTR_RDONLY: u64 = 0x01;
/// Mount attribute: ignore set-user-id and file capabilities.
pub const MOUNT_ATTR_NOSUID: u64 = 0x02;
/// Mount attribute: no device files.
pub const MOUNT_ATTR_NODEV: u64 = 0x04;
/// Mount attribute: no execution.
pub const MOUNT_ATTR_NOEXEC: u64 = 0x08;

/// `struct open_how` of openat2(2).
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// `clone3` with `CLONE_PIDFD`, behaving like fork (no shared memory, no new
/// stack). Returns `(0, -1)` in the child and `(pid, pidfd)` in the parent.
///
/// # Safety
/// The child runs on a copy of the caller's address space with only the
/// calling thread: it may only call async-signal-safe functions until it
/// execs or exits.
pub unsafe fn clone_pidfd(flags: u64) -> SysResult<(pid_t, RawFd)> {
    let mut pidfd: c_int = -1;
    let args = libc::clone_args {
        flags: flags | libc::CLONE_PIDFD as u64,
        pidfd: &mut pidfd as *mut c_int as u64,
        child_tid: 0,
        parent_tid: 0,
        exit_signal: libc::SIGCHLD as u64,
        stack: 0,
        stack_size: 0,
        tls: 0,
        set_tid: 0,
        set_tid_size: 0,
        cgroup: 0,
    };
    // SAFETY: args is a valid clone_args of the size passed; without
    // CLONE_VM and with no stack the child gets a private copy of memory,
    // which the caller's contract makes safe to run on.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const libc::clone_args,
            std::mem::size_of::<libc::clone_args>(),
        )
    };
    let pid = check(rc)? as pid_t;
    Ok((pid, pidfd))
}

/// A fork by the raw `clone` syscall with extra flags (`CLONE_VFORK`,
/// `CLONE_FILES`): the caller is suspended until the child execs or exits
/// with `CLONE_VFORK`, and shares its descriptor table until the child's
/// exec with `CLONE_FILES`. Returns 0 in the child.
pub fn fork_with(extra: c_long) -> SysResult<pid_t> {
    // SAFETY: without CLONE_VM the child still gets a private copy of
    // memory (CLONE_VFORK only suspends the parent); stack, tid and tls
    // arguments are null, as for fork.
    let rc = unsafe { libc::syscall(libc::SYS_clone, libc::SIGCHLD as c_long | extra, 0, 0, 0, 0) };
    check(rc).map(|p| p as pid_t)
}

/// Duplicates `fd` to the lowest free number at or above `min`, with
/// close-on-exec set.
pub fn dup_above(fd: RawFd, min: RawFd) -> SysResult<RawFd> {
    // SAFETY: F_DUPFD_CLOEXEC only creates a new descriptor.
    check_int(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, min) })
}

/// Writes `value` to the existing file `path` (a sysctl) in one write.
pub fn write_file(path: &CStr, value: &[u8]) -> SysResult<()> {
    let fd = openat(
        libc::AT_FDCWD,
        path,
        libc::O_WRONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW,
        0,
    )?;
    let r = write(fd, value);
    close(fd);
    match r {
        Ok(n) if n == value.len() => Ok(()),
        Ok(_) => Err(Errno::EIO),
        Err(e) => Err(e),
    }
}

/// The terminal attributes of `fd` (tcgetattr); ENOTTY when it is no
/// terminal.
pub fn tcgetattr(fd: RawFd) -> SysResult<libc::termios> {
    // SAFETY: termios is plain data; zeroed is valid, and tcgetattr fills it.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: t is a valid termios for tcgetattr to write.
    check_int(unsafe { libc::tcgetattr(fd, &mut t) })?;
    Ok(t)
}

/// Sets the terminal attributes of `fd` now (tcsetattr TCSANOW).
pub fn tcsetattr_now(fd: RawFd, t: &libc::termios) -> SysResult<()> {
    // SAFETY: t is a valid termios, only read.
    check_int(unsafe { libc::tcsetattr(fd, libc::TCSANOW, t) }).map(drop)
}

/// The line discipline of terminal `fd` (TIOCGETD).
pub fn line_discipline(fd: RawFd) -> SysResult<c_int> {
    let mut ld: c_int = 0;
    // SAFETY: TIOCGETD writes one int to the pointer given.
    check_int(unsafe { libc::ioctl(fd, libc::TIOCGETD, &mut ld as *mut c_int) })?;
    Ok(ld)
}

/// Sets the line discipline of terminal `fd` (TIOCSETD).
pub fn set_line_discipline(fd: RawFd, ld: c_int) -> SysResult<()> {
    // SAFETY: TIOCSETD reads one int from the pointer given.
    check_int(unsafe { libc::ioctl(fd, libc::TIOCSETD, &ld as *const c_int) }).map(drop)
}

/// The file status flags of `fd` (F_GETFL): access mode, O_APPEND, ...
pub fn fd_status_flags(fd: RawFd) -> SysResult<c_int> {
    // SAFETY: F_GETFL only reads the descriptor's file status flags.
    check_int(unsafe { libc::fcntl(fd, libc::F_GETFL) })
}

/// dup3(2) without flags: `new` is open on exec.
pub fn dup3(old: RawFd, new: RawFd) -> SysResult<()> {
    // SAFETY: plain integer arguments; replacing `new` is the intent.
    check_int(unsafe { libc::dup3(old, new, 0) }).map(drop)
}

/// Whether `fd` is an open descriptor.
pub fn fd_is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only reads the descriptor flags.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

/// Installs a seccomp filter on the calling thread (with `tsync`, on every
/// thread of the process). With `listener`, the filter's user
/// notifications go to the returned fd (close-on-exec).
pub fn seccomp_install(
    prog: &[seccompiler::sock_filter],
    listener: bool,
    tsync: bool,
) -> SysResult<RawFd> {
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
        fd_of(rc)
    };
    if !listener {
        return install(if tsync { SECCOMP_FILTER_FLAG_TSYNC } else { 0 });
    }
    match install(SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) {
        Err(Errno::EINVAL) => install(SECCOMP_FILTER_FLAG_NEW_LISTENER),
        r => r,
    }
}

/// Sends `bytes` with the descriptor `fd` attached (SCM_RIGHTS), from a
/// stack buffer.
pub fn send_fd(sock: RawFd, bytes: &[u8], fd: RawFd) -> SysResult<()> {
    #[repr(C)]
    struct Cmsg {
        hdr: libc::cmsghdr,
        fd: c_int,
        pad: c_int,
    }
    // SAFETY: cmsghdr is plain data; zeroed is valid.
    let mut cmsg: Cmsg = unsafe { std::mem::zeroed() };
    cmsg.hdr.cmsg_len = std::mem::size_of::<libc::cmsghdr>() + std::mem::size_of::<c_int>();
    cmsg.hdr.cmsg_level = libc::SOL_SOCKET;
    cmsg.hdr.cmsg_type = libc::SCM_RIGHTS;
    cmsg.fd = fd;
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr() as *mut libc::c_void,
        iov_len: bytes.len(),
    };
    // SAFETY: msghdr is plain data; zeroed is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = (&mut cmsg as *mut Cmsg).cast();
    msg.msg_controllen = std::mem::size_of::<Cmsg>();
    // SAFETY: msg points at a valid iovec and control buffer that outlive
    // the call; sendmsg only reads them.
    let rc = unsafe { libc::sendmsg(sock, &msg, libc::MSG_NOSIGNAL) };
    check(rc as c_long).map(drop)
}

/// A listening `SOCK_SEQPACKET` Unix socket bound at `addr` (close-on-exec,
/// backlog 16).
pub fn unix_listen(addr: &UnixPath) -> SysResult<RawFd> {
    // SAFETY: integer arguments only.
    let fd = check_int(unsafe {
        libc::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0)
    })?;
    // SAFETY: addr.addr is a valid sockaddr_un and addr.len does not exceed
    // its size (checked when it was built).
    let bound = check_int(unsafe {
        libc::bind(
            fd,
            (&addr.addr as *const libc::sockaddr_un).cast(),
            addr.len,
        )
    });
    // SAFETY: integer arguments only.
    let r = bound.and_then(|_| check_int(unsafe { libc::listen(fd, 16) }));
    match r {
        Ok(_) => Ok(fd),
        Err(e) => {
            close(fd);
            Err(e)
        }
    }
}

/// A Unix socket address built before clone, so binding it allocates
/// nothing.
#[derive(Clone, Copy)]
pub struct UnixPath {
    addr: libc::sockaddr_un,
    len: libc::socklen_t,
}

impl std::fmt::Debug for UnixPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.len as usize - std::mem::size_of::<libc::sa_family_t>();
        let bytes: Vec<u8> = self.addr.sun_path[..n].iter().map(|&c| c as u8).collect();
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
pub fn peer_pidfd(sock: RawFd) -> SysResult<std::os::fd::OwnedFd> {
    const SO_PEERPIDFD: c_int = 77;
    let mut fd: c_int = -1;
    let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: fd and len are valid for writes of the sizes given.
    check_int(unsafe {
        libc::getsockopt(
            sock,
            libc::SOL_SOCKET,
            SO_PEERPIDFD,
            (&mut fd as *mut c_int).cast(),
            &mut len,
        )
    })?;
    Ok(owned(fd))
}

/// struct seccomp_notif, which SECCOMP_IOCTL_NOTIF_RECV fills (and
/// requires zeroed).
#[repr(C)]
#[derive(Default)]
struct SeccompNotif {
    id: u64,
    pid: u32,
    flags: u32,
    nr: i32,
    arch: u32,
    ip: u64,
    args: [u64; 6],
}

const SECCOMP_IOCTL_NOTIF_RECV: libc::c_ulong = 0xc050_2100;

/// mount(2).
pub fn mount(
    src: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: libc::c_ulong,
    data: Option<&CStr>,
) -> SysResult<()> {
    // SAFETY: every pointer is a NUL-terminated string or null, as mount(2)
    // accepts; the kernel does not keep them.
    let rc = unsafe {
        libc::mount(
            opt_ptr(src),
            target.as_ptr(),
            opt_ptr(fstype),
            flags,
            opt_ptr(data).cast(),
        )
    };
    check_int(rc).map(drop)
}

/// umount2(2).
pub fn umount2(target: &CStr, flags: c_int) -> SysResult<()> {
    // SAFETY: target is NUL-terminated.
    check_int(unsafe { libc::umount2(target.as_ptr(), flags) }).map(drop)
}

/// openat2(2) with a `resolve` mask.
pub fn openat2(
    dirfd: RawFd,
    path: &CStr,
    flags: c_int,
    mode: u32,
    resolve: u64,
) -> SysResult<RawFd> {
    let how = OpenHow {
        flags: flags as u64,
        mode: mode as u64,
        resolve,
    };
    // SAFETY: how is a valid open_how of the size passed and path is
    // NUL-terminated; the returned fd is owned by the caller.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dirfd,
            path.as_ptr(),
            &how as *const OpenHow,
            std::mem::size_of::<OpenHow>(),
        )
    };
    fd_of(rc)
}

/// openat(2).
pub fn openat(dirfd: RawFd, path: &CStr, flags: c_int, mode: u32) -> SysResult<RawFd> {
    // SAFETY: path is NUL-terminated; mode is only read with O_CREAT.
    check_int(unsafe { libc::openat(dirfd, path.as_ptr(), flags, mode) })
}

/// open_tree(2).
pub fn open_tree(dirfd: RawFd, path: &CStr, flags: c_uint) -> SysResult<RawFd> {
    // SAFETY: path is NUL-terminated; the returned fd is owned by the caller.
    fd_of(unsafe { libc::syscall(libc::SYS_open_tree, dirfd, path.as_ptr(), flags) })
}

/// move_mount(2) from one fd onto another (both with empty paths).
pub fn move_mount_fd(from: RawFd, to: RawFd) -> SysResult<()> {
    // SAFETY: both paths are the empty C string; flags say to use the fds.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            from,
            c"".as_ptr(),
            to,
            c"".as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH,
        )
    };
    check(rc).map(drop)
}

/// mount_setattr(2) on `path` relative to `dirfd` (empty path: the fd).
pub fn mount_setattr(
    dirfd: RawFd,
    path: &CStr,
    flags: c_uint,
    set: u64,
    clr: u64,
) -> SysResult<()> {
    let attr = MountAttr {
        attr_set: set,
        attr_clr: clr,
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: attr is a valid mount_attr of the size passed; path is
    // NUL-terminated.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            dirfd,
            path.as_ptr(),
            flags,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    check(rc).map(drop)
}

/// fsopen(2) with close-on-exec.
pub fn fsopen(fstype: &CStr) -> SysResult<RawFd> {
    // SAFETY: fstype is NUL-terminated.
    fd_of(unsafe { libc::syscall(libc::SYS_fsopen, fstype.as_ptr(), FS_CLOEXEC) })
}

/// fsconfig(FSCONFIG_SET_STRING).
pub fn fsconfig_string(fd: RawFd, key: &CStr, value: &CStr) -> SysResult<()> {
    // SAFETY: key and value are NUL-terminated; aux is 0 as required.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            fd,
            FSCONFIG_SET_STRING,
            key.as_ptr(),
            value.as_ptr(),
            0,
        )
    };
    check(rc).map(drop)
}

/// fsconfig(FSCONFIG_CMD_CREATE).
pub fn fsconfig_create(fd: RawFd) -> SysResult<()> {
    // SAFETY: key and value must be null for this command.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            fd,
            FSCONFIG_CMD_CREATE,
            std::ptr::null::<c_char>(),
            std::ptr::null::<c_char>(),
            0,
        )
    };
    check(rc).map(drop)
}

/// fsmount(2) with close-on-exec and the given mount attributes.
pub fn fsmount(fd: RawFd, attrs: u64) -> SysResult<RawFd> {
    // SAFETY: plain integer arguments.
    fd_of(unsafe { libc::syscall(libc::SYS_fsmount, fd, FS_CLOEXEC, attrs) })
}

/// pivot_root(2).
pub fn pivot_root(new_root: &CStr, put_old: &CStr) -> SysResult<()> {
    // SAFETY: both paths are NUL-terminated.
    let rc = unsafe { libc::syscall(libc::SYS_pivot_root, new_root.as_ptr(), put_old.as_ptr()) };
    check(rc).map(drop)
}

/// mkdirat(2).
pub fn mkdirat(dirfd: RawFd, name: &CStr, mode: u32) -> SysResult<()> {
    // SAFETY: name is NUL-terminated.
    check_int(unsafe { libc::mkdirat(dirfd, name.as_ptr(), mode) }).map(drop)
}

/// symlinkat(2).
pub fn symlinkat(target: &CStr, dirfd: RawFd, name: &CStr) -> SysResult<()> {
    // SAFETY: both strings are NUL-terminated.
    check_int(unsafe { libc::symlinkat(target.as_ptr(), dirfd, name.as_ptr()) }).map(drop)
}

/// close(2). Errors are ignored: the fd is gone either way.
pub fn close(fd: RawFd) {
    // SAFETY: the caller owns fd and does not use it afterwards.
    unsafe { libc::close(fd) };
}

/// close_range(2).
pub fn close_range(first: c_uint, last: c_uint, flags: c_uint) -> SysResult<()> {
    // SAFETY: only affects this process's fd table.
    check(unsafe { libc::syscall(libc::SYS_close_range, first, last, flags) }).map(drop)
}

/// fchdir(2).
pub fn fchdir(fd: RawFd) -> SysResult<()> {
    // SAFETY: plain integer argument.
    check_int(unsafe { libc::fchdir(fd) }).map(drop)
}

/// chdir(2).
pub fn chdir(path: &CStr) -> SysResult<()> {
    // SAFETY: path is NUL-terminated.
    check_int(unsafe { libc::chdir(path.as_ptr()) }).map(drop)
}

/// sethostname(2).
pub fn sethostname(name: &CStr) -> SysResult<()> {
    let bytes = name.to_bytes();
    // SAFETY: the pointer and length describe the bytes of `name`.
    check_int(unsafe { libc::sethostname(bytes.as_ptr().cast(), bytes.len()) }).map(drop)
}

// The identity calls below are raw system calls, never glibc's wrappers:
// in a process that glibc believes multi-threaded, setresuid, setresgid
// and setgroups broadcast the change to every thread (__nptl_setxid) and
// wait for threads that do not exist in a cloned child, which then hangs
// on a futex forever. The raw calls change this thread only, which in the
// child is the whole process.

/// setresuid(2) with all three ids equal (raw; this thread only).
pub fn setresuid(uid: u32) -> SysResult<()> {
    // SAFETY: plain integer arguments.
    check(unsafe { libc::syscall(libc::SYS_setresuid, uid, uid, uid) }).map(drop)
}

/// setresgid(2) with all three ids equal (raw; this thread only).
pub fn setresgid(gid: u32) -> SysResult<()> {
    // SAFETY: plain integer arguments.
    check(unsafe { libc::syscall(libc::SYS_setresgid, gid, gid, gid) }).map(drop)
}

/// setgroups(2) with an empty list (raw; this thread only).
pub fn clear_groups() -> SysResult<()> {
    // SAFETY: a zero-length list is not dereferenced.
    check(unsafe { libc::syscall(libc::SYS_setgroups, 0usize, std::ptr::null::<libc::gid_t>()) })
        .map(drop)
}

/// prctl(2) with integer arguments.
pub fn prctl(option: c_int, a2: libc::c_ulong, a3: libc::c_ulong) -> SysResult<c_int> {
    // SAFETY: every option stockade uses takes integer arguments only.
    check_int(unsafe { libc::prctl(option, a2, a3, 0 as libc::c_ulong, 0 as libc::c_ulong) })
}

/// capset(2) clearing the effective, permitted and inheritable sets.
pub fn capset_clear() -> SysResult<()> {
    let (header, data) = cleared_caps();
    // SAFETY: header and data are the v3 layout the kernel reads (two data
    // elements for 64 capability bits); nothing is written back.
    check(unsafe { libc::syscall(libc::SYS_capset, &header as *const CapHeader, data.as_ptr()) })
        .map(drop)
}

/// A signal set, built without allocation.
#[derive(Clone, Copy)]
pub struct SigSet(libc::sigset_t);

impl std::fmt::Debug for SigSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigSet")
    }
}

impl SigSet {
    /// The set of the given signals.
    pub fn of(signals: &[c_int]) -> SigSet {
        // SAFETY: sigset_t is plain data; sigemptyset initializes it.
        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: set is a valid sigset_t.
        unsafe { libc::sigemptyset(&mut set) };
        for &s in signals {
            // SAFETY: set is a valid, initialized sigset_t.
            unsafe { libc::sigaddset(&mut set, s) };
        }
        SigSet(set)
    }
}

/// sigprocmask(2) on the calling thread.
pub fn sigmask(how: c_int, set: &SigSet) -> SysResult<()> {
    // SAFETY: set points to an initialized sigset_t; the old set is not read.
    match unsafe { libc::pthread_sigmask(how, &set.0, std::ptr::null_mut()) } {
        0 => Ok(()),
        // pthread_sigmask returns the error number instead of setting errno.
        e => Err(Errno::from_raw(e)),
    }
}

/// sigtimedwait(2): the next pending signal of `set` and its `si_code`
/// (which says who sent it), waiting at most `wait` (forever with None);
/// None when the time ran out.
pub fn sigtimedwait(
    set: &SigSet,
    wait: Option<std::time::Duration>,
) -> SysResult<Option<(c_int, c_int)>> {
    // SAFETY: siginfo_t is plain data; zeroed is valid.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let t = wait.map(|w| libc::timespec {
        tv_sec: w.as_secs().min(i64::MAX as u64) as libc::time_t,
        tv_nsec: w.subsec_nanos() as libc::c_long,
    });
    let tp = t
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: set is initialized; info is a valid siginfo_t to fill; tp is
    // null (no limit) or points at `t`, alive for the call.
    match check_int(unsafe { libc::sigtimedwait(&set.0, &mut info, tp) }) {
        Ok(sig) => Ok(Some((sig, info.si_code))),
        Err(Errno::EAGAIN) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Resets `sig` to its default disposition.
pub fn signal_default(sig: c_int) -> SysResult<()> {
    // SAFETY: SIG_DFL is a valid disposition for every catchable signal.
    let rc = unsafe { libc::signal(sig, libc::SIG_DFL) };
    if rc == libc::SIG_ERR {
        Err(Errno::last())
    } else {
        Ok(())
    }
}

/// waitpid(2). Returns `(pid, raw status)`; pid 0 with WNOHANG means none.
pub fn waitpid(pid: pid_t, flags: c_int) -> SysResult<(pid_t, c_int)> {
    let mut status: c_int = 0;
    // SAFETY: status is a valid out-pointer.
    let rc = unsafe { libc::waitpid(pid, &mut status, flags) };
    check_int(rc).map(|p| (p, status))
}

/// kill(2).
pub fn kill(pid: pid_t, sig: c_int) -> SysResult<()> {
    // SAFETY: plain integer arguments.
    check_int(unsafe { libc::kill(pid, sig) }).map(drop)
}

/// pidfd_send_signal(2).
pub fn pidfd_kill(pidfd: RawFd, sig: c_int) -> SysResult<()> {
    // SAFETY: a null siginfo means "as kill(2) would"; flags must be 0.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd,
            sig,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    check(rc).map(drop)
}

/// Reaps the process behind `pidfd`. Returns the raw wait status, or `None`
/// with `nohang` when it has not exited yet.
pub fn wait_pidfd(pidfd: RawFd, nohang: bool) -> SysResult<Option<c_int>> {
    // SAFETY: siginfo_t is plain data, filled by the kernel.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let flags = libc::WEXITED | if nohang { libc::WNOHANG } else { 0 };
    loop {
        // SAFETY: info is a valid out-pointer; P_PIDFD takes the fd as id.
        let rc = unsafe { libc::waitid(libc::P_PIDFD, pidfd as libc::id_t, &mut info, flags) };
        match check_int(rc) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(_) => break,
        }
    }
    // SAFETY: after a successful waitid the pid field is valid.
    let pid = unsafe { info.si_pid() };
    // SAFETY: likewise the status field.
    let status = unsafe { info.si_status() };
    if pid == 0 {
        return Ok(None);
    }
    let raw = match info.si_code {
        libc::CLD_EXITED => (status & 0xff) << 8,
        libc::CLD_DUMPED => (status & 0x7f) | 0x80,
        _ => status & 0x7f,
    };
    Ok(Some(raw))
}

/// execve(2) of `path` with a plan's argv and environment. Returns only on
/// failure.
pub fn execve_plan(path: &CStr, exec: &crate::plan::Exec) -> Errno {
    // SAFETY: Exec builds its pointer arrays from its own CStrings, ends
    // each with a null pointer and never mutates either after building, so
    // both arrays are valid for the duration of the call.
    unsafe { libc::execve(path.as_ptr(), exec.argv_ptr(), exec.env_ptr()) };
    Errno::last()
}

/// umask(2). Returns the previous mask.
pub fn umask(mask: libc::mode_t) -> libc::mode_t {
    // SAFETY: plain integer argument.
    unsafe { libc::umask(mask) }
}

/// _exit(2): ends the process without running any user-space cleanup.
pub fn exit(code: c_int) -> ! {
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(code) }
}

/// write(2) of a whole buffer in one call (for datagram sockets).
pub fn write(fd: RawFd, buf: &[u8]) -> SysResult<usize> {
    // SAFETY: the pointer and length describe `buf`.
    let rc = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
    check(rc as c_long).map(|n| n as usize)
}

/// read(2) into `buf`.
pub fn read(fd: RawFd, buf: &mut [u8]) -> SysResult<usize> {
    // SAFETY: the pointer and length describe `buf`, which read may fill.
    let rc = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    check(rc as c_long).map(|n| n as usize)
}

/// Whether the other end of the stream or datagram socket `fd` is closed
/// (poll(2) reports a hang-up), without blocking.
pub fn peer_closed(fd: RawFd) -> bool {
    let mut p = libc::pollfd {
        fd,
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
pub fn signal_on_io(fd: RawFd) -> SysResult<()> {
    // SAFETY: getpid takes no arguments; the raw call bypasses any cache.
    let me = unsafe { libc::syscall(libc::SYS_getpid) } as c_int;
    // SAFETY: fcntl with integer arguments on a descriptor we own.
    check_int(unsafe { libc::fcntl(fd, libc::F_SETOWN, me) })?;
    // SAFETY: as above.
    let flags = check_int(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    // SAFETY: as above.
    check_int(unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_ASYNC) }).map(drop)
}

/// CLOCK_MONOTONIC, as a duration since an arbitrary start.
pub fn monotonic_now() -> std::time::Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: t is a valid timespec to fill; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
    std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// A non-blocking, close-on-exec eventfd (the launcher's "something
/// happened" flag for event loops).
pub fn eventfd() -> SysResult<std::os::fd::OwnedFd> {
    // SAFETY: integer arguments; the result is a new descriptor we own.
    let fd = check_int(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) })?;
    Ok(owned(fd))
}

/// setsid(2).
pub fn setsid() -> SysResult<()> {
    // SAFETY: no arguments.
    check_int(unsafe { libc::setsid() }).map(drop)
}

/// Brings the loopback interface up (SIOCSIFFLAGS on "lo").
pub fn loopback_up() -> SysResult<()> {
    // SAFETY: creating a socket has no memory-safety preconditions.
    let fd = check_int(unsafe {
        libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0)
    })?;
    // SAFETY: ifreq is plain data; zeroed is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in req.ifr_name.iter_mut().zip(b"lo\0") {
        *d = *s as c_char;
    }
    req.ifr_ifru.ifru_flags = (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
    // SAFETY: req is a valid ifreq naming "lo"; the kernel reads the flags.
    let rc = unsafe { libc::ioctl(fd, libc::SIOCSIFFLAGS, &req as *const libc::ifreq) };
    close(fd);
    check_int(rc).map(drop)
}

/// Where this process's argument and environment strings live (what
/// `/proc/PID/cmdline` and `/proc/PID/environ` show). Only
/// [`ProcessStrings::of_self`] makes one, so the ranges are always this
/// process's own (or, after a fork, its private copy's).
#[derive(Clone, Copy, Debug)]
pub struct ProcessStrings {
    args: (usize, usize),
    env: (usize, usize),
}

impl ProcessStrings {
    /// The areas from `/proc/self/stat` (fields 48 to 51, counted after
    /// the command name, which may hold spaces and parentheses).
    pub fn of_self() -> Option<ProcessStrings> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let after = stat.get(stat.rfind(')')? + 2..)?;
        let f: Vec<usize> = after
            .split_whitespace()
            .skip(45)
            .take(4)
            .map(|v| v.parse().ok())
            .collect::<Option<_>>()?;
        match f[..] {
            [a, b, c, d] if a < b && c <= d => Some(ProcessStrings {
                args: (a, b),
                env: (c, d),
            }),
            _ => None,
        }
    }

    /// Overwrites both areas with `title` and zeros. Rust holds no
    /// reference into them (std reads argv through raw pointers, on
    /// demand), so the only effect on this program is that later
    /// `std::env::args()` or `getenv` calls see the new bytes; the sandbox's
    /// init makes neither.
    pub fn overwrite(&self, title: &[u8]) {
        // The title goes into the argument area, NUL-terminated within it;
        // everything else becomes zeros.
        for ((start, end), text) in [(self.args, title), (self.env, &[][..])] {
            for p in start..end {
                let i = p - start;
                let b = match text.get(i) {
                    Some(&c) if i + 1 < end - start => c,
                    _ => 0,
                };
                // SAFETY: p lies in this process's argv or environ string
                // area (read from /proc/self/stat by of_self), which is
                // mapped and writable for the process's lifetime.
                unsafe { std::ptr::write_volatile(p as *mut u8, b) };
            }
        }
    }
}

/// The poll(2) timeout for waiting `d`: whole milliseconds rounded up, so
/// a wait shorter than one never turns into a busy zero-timeout poll.
pub fn poll_timeout(d: std::time::Duration) -> nix::poll::PollTimeout {
    let ms = d.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32;
    nix::poll::PollTimeout::try_from(ms).unwrap_or(nix::poll::PollTimeout::MAX)
}

/// Takes ownership of a file descriptor the caller just created.
pub(crate) fn owned(fd: RawFd) -> std::os::fd::OwnedFd {
    use std::os::fd::FromRawFd;
    // SAFETY: callers pass an fd that a syscall has just returned to them
    // and that nothing else owns or closes.
    unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) }
}

/// The kernel's Landlock ABI version, 0 when Landlock is unavailable.
pub fn landlock_abi() -> i32 {
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
pub fn landlock_create_ruleset(fs: u64, net: u64, scoped: u64) -> SysResult<RawFd> {
    let attr = RulesetAttr {
        handled_access_fs: fs,
        handled_access_net: net,
        scoped,
    };
    // SAFETY: attr is a valid ruleset_attr of the size passed.
    fd_of(unsafe {
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
pub fn landlock_add_path_rule(ruleset: RawFd, parent_fd: RawFd, allowed: u64) -> SysResult<()> {
    #[repr(C, packed)]
    struct PathBeneath {
        allowed_access: u64,
        parent_fd: i32,
    }
    let attr = PathBeneath {
        allowed_access: allowed,
        parent_fd,
    };
    // SAFETY: attr is the packed landlock_path_beneath_attr the kernel reads.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_landlock_add_rule,
            ruleset,
            1 as c_int, // LANDLOCK_RULE_PATH_BENEATH
            &attr as *const PathBeneath,
            0 as c_uint,
        )
    };
    check(rc).map(drop)
}

/// landlock_add_rule(2) for a TCP port.
pub fn landlock_add_port_rule(ruleset: RawFd, port: u64, allowed: u64) -> SysResult<()> {
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
            ruleset,
            2 as c_int, // LANDLOCK_RULE_NET_PORT
            &attr as *const NetPort,
            0 as c_uint,
        )
    };
    check(rc).map(drop)
}

/// landlock_restrict_self(2).
pub fn landlock_restrict_self(ruleset: RawFd) -> SysResult<()> {
    // SAFETY: plain integer arguments.
    check(unsafe { libc::syscall(libc::SYS_landlock_restrict_self, ruleset, 0 as c_uint) })
        .map(drop)
}

/// Whether `fd` refers to a directory.
pub fn is_dir(fd: RawFd) -> SysResult<bool> {
    // SAFETY: stat is plain data, filled by the kernel.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: st is a valid out-pointer; an O_PATH fd is accepted by fstat.
    check_int(unsafe { libc::fstat(fd, &mut st) })?;
    Ok(st.st_mode & libc::S_IFMT == libc::S_IFDIR)
}

/// setrlimit(2) with soft = hard = `value`.
pub fn setrlimit(resource: c_int, value: u64) -> SysResult<()> {
    let lim = libc::rlimit {
        rlim_cur: value,
        rlim_max: value,
    };
    // SAFETY: lim is a valid rlimit; the resource number was validated when
    // the plan was built (an unknown one fails with EINVAL).
    check_int(unsafe { libc::setrlimit(resource as libc::__rlimit_resource_t, &lim) }).map(drop)
}

/// Whether the process was started with elevated privileges (setuid,
/// setgid or file capabilities): the kernel's AT_SECURE flag.
pub fn started_privileged() -> bool {
    // SAFETY: getauxval has no preconditions.
    unsafe { libc::getauxval(libc::AT_SECURE) != 0 }
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: c_int,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// capset(2) arguments that empty every set of the calling thread.
fn cleared_caps() -> (CapHeader, [CapData; 2]) {
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

/// A system call with two integer arguments that touches no memory.
pub fn syscall2(nr: c_long, args: [u64; 2]) -> SysResult<c_long> {
    // SAFETY: the arguments are integers; the calls made this way (the
    // warden handshake) read no memory.
    check(unsafe { libc::syscall(nr, args[0], args[1]) })
}

/// Memory for a thread started with [`start_thread`]: a fixed stack that
/// exists before the clone, since the child may not allocate.
#[repr(C, align(16))]
pub struct ThreadStack(std::cell::UnsafeCell<[u8; THREAD_STACK_LEN]>);

const THREAD_STACK_LEN: usize = 64 * 1024;

// SAFETY: the stack is only ever used by the one thread `start_thread`
// runs on it; nothing else reads or writes the bytes.
unsafe impl Sync for ThreadStack {}

impl ThreadStack {
    /// A zeroed stack, for a `static`.
    pub const fn new() -> ThreadStack {
        ThreadStack(std::cell::UnsafeCell::new([0; THREAD_STACK_LEN]))
    }
}

impl Default for ThreadStack {
    fn default() -> ThreadStack {
        ThreadStack::new()
    }
}

/// Starts `f(arg)` as a new thread of this process on `stack` (with
/// `CLONE_THREAD`: it shares PID 1's immunity to signals from inside the
/// namespace). The thread shares this thread's TLS, so it must only make
/// system calls through [`raw`], which never touch `errno`. Call once per
/// stack: a second thread on the same stack would corrupt the first.
pub fn start_thread(
    stack: &'static ThreadStack,
    f: extern "C" fn(*mut libc::c_void) -> c_int,
    arg: usize,
) -> SysResult<pid_t> {
    let flags = libc::CLONE_VM
        | libc::CLONE_FS
        | libc::CLONE_FILES
        | libc::CLONE_SIGHAND
        | libc::CLONE_THREAD
        | libc::CLONE_SYSVSEM;
    // The stack grows down from its end, which the type aligns to 16.
    let top = stack.0.get().cast::<u8>().wrapping_add(THREAD_STACK_LEN);
    // SAFETY: `top` is the end of a 64 KiB static buffer no other thread
    // uses; clone(3) runs `f` there and ends the thread when it returns;
    // `arg` is passed through as an integer.
    let rc = unsafe { libc::clone(f, top.cast(), flags, arg as *mut libc::c_void) };
    check_int(rc)
}

/// Blocks every signal in the calling thread, including the two glibc
/// reserves, and returns the previous mask. Threads inherit the mask.
pub fn block_all_signals() -> SysResult<[u64; 1]> {
    let all = [u64::MAX; 1];
    let mut old = [0u64; 1];
    // SAFETY: both sets are 8-byte buffers, the kernel's sigset size.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            all.as_ptr(),
            old.as_mut_ptr(),
            8usize,
        )
    };
    check(rc).map(|_| old)
}

/// Restores a mask returned by [`block_all_signals`].
pub fn set_signal_mask(mask: &[u64; 1]) -> SysResult<()> {
    // SAFETY: `mask` is an 8-byte set, only read.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            mask.as_ptr(),
            std::ptr::null_mut::<u64>(),
            8usize,
        )
    };
    check(rc).map(drop)
}

/// System calls by inline assembly: no libc, no `errno` (the return value
/// carries it), for a thread that shares its TLS with another.
pub mod raw {
    use super::SysResult;
    use libc::{c_int, c_long, pid_t};
    use nix::errno::Errno;
    use std::os::fd::RawFd;

    #[cfg(target_arch = "x86_64")]
    fn syscall6(nr: c_long, a: [usize; 6]) -> isize {
        let ret: isize;
        // SAFETY: a bare `syscall` instruction with the x86_64 calling
        // convention (it clobbers rcx and r11); the callers pass pointers
        // only to live buffers of the sizes the kernel expects.
        unsafe {
            std::arch::asm!(
                "syscall",
                inlateout("rax") nr as isize => ret,
                in("rdi") a[0],
                in("rsi") a[1],
                in("rdx") a[2],
                in("r10") a[3],
                in("r8") a[4],
                in("r9") a[5],
                lateout("rcx") _,
                lateout("r11") _,
                options(nostack)
            );
        }
        ret
    }

    #[cfg(target_arch = "aarch64")]
    fn syscall6(nr: c_long, a: [usize; 6]) -> isize {
        let ret: isize;
        // SAFETY: a bare `svc 0` with the aarch64 calling convention; the
        // callers pass pointers only to live buffers of the sizes the
        // kernel expects.
        unsafe {
            std::arch::asm!(
                "svc 0",
                in("x8") nr,
                inlateout("x0") a[0] as isize => ret,
                in("x1") a[1],
                in("x2") a[2],
                in("x3") a[3],
                in("x4") a[4],
                in("x5") a[5],
                options(nostack)
            );
        }
        ret
    }

    fn check(ret: isize) -> SysResult<usize> {
        if (-4095..0).contains(&ret) {
            Err(Errno::from_raw(-ret as i32))
        } else {
            Ok(ret as usize)
        }
    }

    fn call(nr: c_long, a: usize, b: usize, c: usize) -> SysResult<usize> {
        check(syscall6(nr, [a, b, c, 0, 0, 0]))
    }

    /// One seccomp user notification: `(id, syscall nr, audit arch, first
    /// two arguments)`.
    pub fn seccomp_notif_recv(fd: RawFd) -> SysResult<(u64, i32, u32, [u64; 2])> {
        let mut n = super::SeccompNotif::default();
        let p = &mut n as *mut super::SeccompNotif as usize;
        call(
            libc::SYS_ioctl,
            fd as usize,
            super::SECCOMP_IOCTL_NOTIF_RECV as usize,
            p,
        )?;
        Ok((n.id, n.nr, n.arch, [n.args[0], n.args[1]]))
    }

    /// Asks the kernel to hand each new notification to the receiver on
    /// the notifying thread's CPU at once (Linux 6.6); older kernels
    /// refuse the request, which changes nothing but timing.
    pub fn seccomp_notif_sync_wake_up(fd: RawFd) -> SysResult<()> {
        const SECCOMP_IOCTL_NOTIF_SET_FLAGS: usize = 0x4008_2104;
        const SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: usize = 1;
        let flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
        call(
            libc::SYS_ioctl,
            fd as usize,
            SECCOMP_IOCTL_NOTIF_SET_FLAGS,
            flags,
        )
        .map(drop)
    }

    /// Lets notification `id`'s call return 0 without running it.
    pub fn seccomp_notif_answer(fd: RawFd, id: u64) -> SysResult<()> {
        #[repr(C)]
        struct Resp {
            id: u64,
            val: i64,
            error: i32,
            flags: u32,
        }
        const SECCOMP_IOCTL_NOTIF_SEND: usize = 0xc018_2101;
        let r = Resp {
            id,
            val: 0,
            error: 0,
            flags: 0,
        };
        let p = &r as *const Resp as usize;
        call(libc::SYS_ioctl, fd as usize, SECCOMP_IOCTL_NOTIF_SEND, p).map(drop)
    }

    /// write(2).
    pub fn write(fd: RawFd, buf: &[u8]) -> SysResult<usize> {
        call(
            libc::SYS_write,
            fd as usize,
            buf.as_ptr() as usize,
            buf.len(),
        )
    }

    /// kill(2).
    pub fn kill(pid: pid_t, sig: c_int) -> SysResult<()> {
        call(libc::SYS_kill, pid as usize, sig as usize, 0).map(drop)
    }

    /// ppoll(2) of one descriptor for `POLLIN`, or a sleep without one;
    /// returns the events seen.
    fn ppoll(fd: Option<RawFd>, ns: i64) -> SysResult<i16> {
        let mut p = libc::pollfd {
            fd: fd.unwrap_or(-1),
            events: libc::POLLIN,
            revents: 0,
        };
        let t = libc::timespec {
            tv_sec: 0,
            tv_nsec: ns as _,
        };
        let fds = if fd.is_some() {
            &mut p as *mut libc::pollfd as usize
        } else {
            0
        };
        let t = &t as *const libc::timespec as usize;
        check(syscall6(
            libc::SYS_ppoll,
            [fds, fd.is_some() as usize, t, 0, 8, 0],
        ))?;
        Ok(p.revents)
    }

    /// Whether `fd` reports a hang-up now.
    pub fn hung_up(fd: RawFd) -> bool {
        matches!(ppoll(Some(fd), 0), Ok(ev) if ev & libc::POLLHUP != 0)
    }

    /// Sleeps for `ns` nanoseconds (under a second).
    pub fn nap(ns: i64) {
        let _ = ppoll(None, ns);
    }

    /// Drops every capability of the calling thread: locks `securebits`,
    /// empties the bounding set, then the effective, permitted and
    /// inheritable sets (ambient ones follow), and sets no_new_privs.
    pub fn drop_privileges(last_cap: u32, securebits: u32) -> SysResult<()> {
        let set_bits = libc::PR_SET_SECUREBITS as usize;
        call(libc::SYS_prctl, set_bits, securebits as usize, 0)?;
        for cap in 0..=last_cap {
            match call(
                libc::SYS_prctl,
                libc::PR_CAPBSET_DROP as usize,
                cap as usize,
                0,
            ) {
                Ok(_) | Err(Errno::EINVAL) => {}
                Err(e) => return Err(e),
            }
        }
        let (hdr, data) = super::cleared_caps();
        let (h, d) = (
            &hdr as *const super::CapHeader as usize,
            data.as_ptr() as usize,
        );
        call(libc::SYS_capset, h, d, 0)?;
        call(libc::SYS_prctl, libc::PR_SET_NO_NEW_PRIVS as usize, 1, 0).map(drop)
    }

    /// Ends the calling thread only (exit(2), not exit_group).
    pub fn exit_thread() -> ! {
        loop {
            syscall6(libc::SYS_exit, [0; 6]);
        }
    }
}
