//! Mounts and paths: the mount API (open_tree, fsopen, move_mount,
//! mount_setattr), pivot_root, and the `*at` calls the view is built with.

use super::check::*;
use libc::c_uint;
use std::os::fd::AsRawFd;

// Mount API constants from <linux/mount.h> (not all in the libc crate yet).
/// open_tree: clone the tree instead of opening it.
pub(crate) const OPEN_TREE_CLONE: c_uint = 1;
/// open_tree: close the returned fd on exec.
pub(crate) const OPEN_TREE_CLOEXEC: c_uint = libc::O_CLOEXEC as c_uint;
/// move_mount: the source is the fd itself.
pub(crate) const MOVE_MOUNT_F_EMPTY_PATH: c_uint = 0x04;
/// move_mount: the target is the fd itself.
pub(crate) const MOVE_MOUNT_T_EMPTY_PATH: c_uint = 0x40;
/// fsconfig: set a string parameter.
const FSCONFIG_SET_STRING: c_uint = 1;
/// fsconfig: create the superblock.
const FSCONFIG_CMD_CREATE: c_uint = 6;
/// fsopen/fsmount: close on exec.
const FS_CLOEXEC: c_uint = 1;
/// Mount attribute: read-only.
pub(crate) const MOUNT_ATTR_RDONLY: u64 = 0x01;
/// Mount attribute: ignore set-user-id and file capabilities.
pub(crate) const MOUNT_ATTR_NOSUID: u64 = 0x02;
/// Mount attribute: no device files.
pub(crate) const MOUNT_ATTR_NODEV: u64 = 0x04;
/// Mount attribute: no execution.
pub(crate) const MOUNT_ATTR_NOEXEC: u64 = 0x08;

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

/// mount(2).
pub(crate) fn mount(
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

/// openat2(2) with a `resolve` mask.
pub(crate) fn openat2(
    dirfd: BorrowedFd<'_>,
    path: &CStr,
    flags: c_int,
    mode: u32,
    resolve: u64,
) -> SysResult<OwnedFd> {
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
            dirfd.as_raw_fd(),
            path.as_ptr(),
            &how as *const OpenHow,
            std::mem::size_of::<OpenHow>(),
        )
    };
    new_fd(rc)
}

/// openat(2).
pub(crate) fn openat(
    dirfd: BorrowedFd<'_>,
    path: &CStr,
    flags: c_int,
    mode: u32,
) -> SysResult<OwnedFd> {
    // SAFETY: path is NUL-terminated; mode is only read with O_CREAT.
    new_fd(unsafe { libc::openat(dirfd.as_raw_fd(), path.as_ptr(), flags, mode) }.into())
}

/// open_tree(2).
pub(crate) fn open_tree(dirfd: BorrowedFd<'_>, path: &CStr, flags: c_uint) -> SysResult<OwnedFd> {
    // SAFETY: path is NUL-terminated; the returned fd is owned by the caller.
    new_fd(unsafe { libc::syscall(libc::SYS_open_tree, dirfd.as_raw_fd(), path.as_ptr(), flags) })
}

/// move_mount(2) from one fd onto another (both with empty paths).
pub(crate) fn move_mount_fd(from: BorrowedFd<'_>, to: BorrowedFd<'_>) -> SysResult<()> {
    // SAFETY: both paths are the empty C string; flags say to use the fds.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            from.as_raw_fd(),
            c"".as_ptr(),
            to.as_raw_fd(),
            c"".as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH,
        )
    };
    check(rc).map(drop)
}

/// mount_setattr(2) on `path` relative to `dirfd` (empty path: the fd).
pub(crate) fn mount_setattr(
    dirfd: BorrowedFd<'_>,
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
            dirfd.as_raw_fd(),
            path.as_ptr(),
            flags,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    check(rc).map(drop)
}

/// fsopen(2) with close-on-exec.
pub(crate) fn fsopen(fstype: &CStr) -> SysResult<OwnedFd> {
    // SAFETY: fstype is NUL-terminated.
    new_fd(unsafe { libc::syscall(libc::SYS_fsopen, fstype.as_ptr(), FS_CLOEXEC) })
}

/// fsconfig(FSCONFIG_SET_STRING).
pub(crate) fn fsconfig_string(fd: BorrowedFd<'_>, key: &CStr, value: &CStr) -> SysResult<()> {
    // SAFETY: key and value are NUL-terminated; aux is 0 as required.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            fd.as_raw_fd(),
            FSCONFIG_SET_STRING,
            key.as_ptr(),
            value.as_ptr(),
            0,
        )
    };
    check(rc).map(drop)
}

/// fsconfig(FSCONFIG_CMD_CREATE).
pub(crate) fn fsconfig_create(fd: BorrowedFd<'_>) -> SysResult<()> {
    // SAFETY: key and value must be null for this command.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            fd.as_raw_fd(),
            FSCONFIG_CMD_CREATE,
            std::ptr::null::<c_char>(),
            std::ptr::null::<c_char>(),
            0,
        )
    };
    check(rc).map(drop)
}

/// fsmount(2) with close-on-exec and the given mount attributes.
pub(crate) fn fsmount(fd: BorrowedFd<'_>, attrs: u64) -> SysResult<OwnedFd> {
    // SAFETY: plain integer arguments.
    new_fd(unsafe { libc::syscall(libc::SYS_fsmount, fd.as_raw_fd(), FS_CLOEXEC, attrs) })
}

/// pivot_root(2).
pub(crate) fn pivot_root(new_root: &CStr, put_old: &CStr) -> SysResult<()> {
    // SAFETY: both paths are NUL-terminated.
    let rc = unsafe { libc::syscall(libc::SYS_pivot_root, new_root.as_ptr(), put_old.as_ptr()) };
    check(rc).map(drop)
}

/// mkdirat(2).
pub(crate) fn mkdirat(dirfd: BorrowedFd<'_>, name: &CStr, mode: u32) -> SysResult<()> {
    // SAFETY: name is NUL-terminated.
    check_int(unsafe { libc::mkdirat(dirfd.as_raw_fd(), name.as_ptr(), mode) }).map(drop)
}

/// symlinkat(2).
pub(crate) fn symlinkat(target: &CStr, dirfd: BorrowedFd<'_>, name: &CStr) -> SysResult<()> {
    // SAFETY: both strings are NUL-terminated.
    check_int(unsafe { libc::symlinkat(target.as_ptr(), dirfd.as_raw_fd(), name.as_ptr()) })
        .map(drop)
}

/// fchdir(2).
pub(crate) fn fchdir(fd: BorrowedFd<'_>) -> SysResult<()> {
    // SAFETY: plain integer argument.
    check_int(unsafe { libc::fchdir(fd.as_raw_fd()) }).map(drop)
}

/// chdir(2).
pub(crate) fn chdir(path: &CStr) -> SysResult<()> {
    // SAFETY: path is NUL-terminated.
    check_int(unsafe { libc::chdir(path.as_ptr()) }).map(drop)
}

/// Whether `fd` refers to a directory.
pub(crate) fn is_dir(fd: BorrowedFd<'_>) -> SysResult<bool> {
    // SAFETY: stat is plain data, filled by the kernel.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: st is a valid out-pointer; an O_PATH fd is accepted by fstat.
    check_int(unsafe { libc::fstat(fd.as_raw_fd(), &mut st) })?;
    Ok(st.st_mode & libc::S_IFMT == libc::S_IFDIR)
}

/// unlinkat(2) of the directory `name` in `dirfd` (AT_REMOVEDIR).
pub(crate) fn rmdirat(dirfd: BorrowedFd<'_>, name: &CStr) -> SysResult<()> {
    // SAFETY: name is NUL-terminated.
    check_int(unsafe { libc::unlinkat(dirfd.as_raw_fd(), name.as_ptr(), libc::AT_REMOVEDIR) })
        .map(drop)
}
