//! The cloned child: builds the sandbox from the Plan, then becomes PID 1
//! and forks the payload.
//!
//! Everything here runs after clone in a process that may have been cloned
//! from a multi-threaded host: it only reads the Plan, calls `sys`
//! wrappers, writes fixed-size records and ends in execve or `_exit`. No
//! allocation, no locks, no formatting, no panics.

use super::report::{Failure, Record, Stage};
use super::{init, warden, INIT_SIGNALS};
use crate::error::OsError;
use crate::plan::{Dest, Leaf, Plan, Step};
use crate::sys::{self, SigSet, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NOSUID};
use crate::sys::{MOUNT_ATTR_RDONLY, OPEN_TREE_CLOEXEC, OPEN_TREE_CLONE};
use libc::{c_int, c_uint, c_ulong};
use nix::errno::Errno;
use std::os::fd::{AsRawFd, RawFd};

/// Securebits of every process of the sandbox: no root privileges by uid,
/// no capability fix-ups on uid changes, no ambient raise, all locked.
pub const LOCKED_SECUREBITS: u32 = (libc::SECBIT_NOROOT
    | libc::SECBIT_NOROOT_LOCKED
    | libc::SECBIT_NO_SETUID_FIXUP
    | libc::SECBIT_NO_SETUID_FIXUP_LOCKED
    | libc::SECBIT_KEEP_CAPS_LOCKED
    | libc::SECBIT_NO_CAP_AMBIENT_RAISE
    | libc::SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) as u32;

/// Exit code of the child when setup failed (the record says why).
pub const SETUP_FAILED: c_int = 125;

type Step0<T> = Result<T, Failure>;

fn at<T>(stage: Stage, index: usize, r: sys::SysResult<T>) -> Step0<T> {
    r.map_err(|errno| Failure {
        stage,
        index: index as u32,
        errno: OsError::of(errno),
    })
}

/// Sends a record; failure to send is ignored (the launcher then reports
/// the exit status alone).
pub fn send(sock: RawFd, r: Record) {
    let _ = sys::write(sock, &r.encode());
}

/// Reports a failed step and ends the process.
pub fn fail_setup(sock: RawFd, stage: Stage, index: u32, errno: Errno) -> ! {
    send(
        sock,
        Record::Failed(Failure {
            stage,
            index,
            errno: OsError::of(errno),
        }),
    );
    sys::exit(SETUP_FAILED)
}

/// The child's entry point. `fds` has one slot per `plan.sources` followed
/// by one per `plan.trees`.
pub fn run(plan: &Plan, fds: &mut [RawFd], sock_in: RawFd, parent_sock: RawFd) -> ! {
    sys::close(parent_sock);
    let sock = sock_in;
    let old_umask = match setup(plan, fds, sock) {
        Ok(m) => m,
        Err(f) => {
            send(sock, Record::Failed(f));
            sys::exit(SETUP_FAILED);
        }
    };
    // /proc/1/cmdline is readable by the payload: it must not show the
    // launcher's command line (`--env TOKEN=...`) or a host application's.
    // Done before the payload exists, so it never sees them.
    if let Some(s) = &plan.process_strings {
        s.overwrite(b"stockade-init");
    }
    // The channel socket is bound here, in the view, and only its listening
    // descriptor goes to the launcher: the payload never gets a host
    // directory, and no host process can reach the socket by a path.
    if let Some(addr) = &plan.channel_socket {
        match sys::unix_listen(addr) {
            Ok(fd) => {
                let sent = sys::send_fd(sock, &Record::ChannelSocket.encode(), fd);
                sys::close(fd);
                if let Err(errno) = sent {
                    fail_setup(sock, Stage::ChannelSocket, 0, errno);
                }
            }
            Err(errno) => fail_setup(sock, Stage::ChannelSocket, 0, errno),
        }
    }
    // With a seccomp listener the payload shares PID 1's descriptor table
    // until its exec (CLONE_FILES) and PID 1 waits for that exec
    // (CLONE_VFORK): the listener fd the payload's filter creates, at the
    // lowest free number, is then in PID 1's table, where PID 1's warden
    // thread receives its notifications (see `warden`); a notification
    // queued before the warden starts waits for it.
    // Park the setup socket and the Landlock ruleset above every number the
    // payload's descriptor map uses, so placing the payload's descriptors
    // cannot clobber them.
    let sock = match sys::dup_above(sock_in, plan.fds.base) {
        Ok(fd) => {
            sys::close(sock_in);
            fd
        }
        Err(errno) => fail_setup(sock_in, Stage::Fds, 0, errno),
    };
    let ruleset = match &plan.landlock {
        Some(ll) => match sys::dup_above(ll.ruleset.as_raw_fd(), plan.fds.base) {
            Ok(fd) => {
                sys::close(ll.ruleset.as_raw_fd());
                fd
            }
            Err(errno) => fail_setup(sock, Stage::Fds, 0, errno),
        },
        None => -1,
    };
    // The payload keeps exactly its targets plus these two; the listener
    // its filter creates then takes the lowest other number.
    let slot = if plan.has_listener() {
        let mut n = plan.fds.first_free;
        while n == sock || n == ruleset || plan.fds.targets.contains(&n) {
            n += 1;
        }
        n
    } else {
        -1
    };
    // The warden must be receiving before the payload runs (see `warden`);
    // a sandbox without it would let violations hang, so none starts.
    if slot >= 0 {
        if let Err(errno) = warden::start(slot, sock, plan.last_cap) {
            fail_setup(sock, Stage::Warden, 0, errno);
        }
    }
    let flags = if slot >= 0 {
        (libc::CLONE_VFORK | libc::CLONE_FILES) as libc::c_long
    } else {
        0
    };
    let payload = match sys::fork_with(flags) {
        Ok(p) => p,
        Err(errno) => fail_setup(sock, Stage::ForkPayload, 0, errno),
    };
    if payload == 0 {
        payload_main(plan, sock, ruleset, old_umask)
    }
    let listener = (slot >= 0 && sys::fd_is_open(slot)).then_some(slot);
    init::run(payload, sock, listener, plan)
}

/// Steps 1–10: everything PID 1 does before it forks the payload. Returns
/// the launcher's umask, which the payload gets back.
fn setup(plan: &Plan, fds: &mut [RawFd], sock: RawFd) -> Step0<libc::mode_t> {
    // PID 1 takes its signals with sigtimedwait; the payload unblocks them
    // before exec.
    at(
        Stage::AwaitIdMaps,
        0,
        sys::sigmask(libc::SIG_BLOCK, &SigSet::of(&INIT_SIGNALS)),
    )?;
    // Wait for the id maps. A launcher that dies meanwhile closes its end
    // of the socket (the child closed its copy first), which reads as EOF.
    let mut go = [0u8; 1];
    match sys::read(sock, &mut go) {
        Ok(1) => {}
        _ => sys::exit(SETUP_FAILED),
    }

    // Nothing done in this mount namespace may propagate back to the host.
    at(
        Stage::PrivateMounts,
        0,
        sys::mount(None, c"/", None, libc::MS_REC | libc::MS_PRIVATE, None),
    )?;

    // Bind sources are opened with the launcher's identity (so a root
    // launcher can reach root-only directories on the way) and by path
    // without following any symlink: the parent canonicalized them, so a
    // link here means the host changed under us.
    let (fds, trees) = fds.split_at_mut(plan.sources.len());
    for (i, src) in plan.sources.iter().enumerate() {
        fds[i] = at(
            Stage::OpenSources,
            i,
            sys::openat2(
                libc::AT_FDCWD,
                src,
                libc::O_PATH | libc::O_CLOEXEC,
                0,
                libc::RESOLVE_NO_SYMLINKS,
            ),
        )?;
    }
    // Each bind gets its own detached copy of its source tree now, before
    // the staging root exists: a tree cloned later would contain the view
    // under construction whenever a source is an ancestor of /tmp.
    for (i, step) in plan.steps.iter().enumerate() {
        if let Step::Bind {
            source,
            tree,
            attrs,
            ..
        } = step
        {
            trees[*tree] = at(Stage::CloneSources, i, clone_tree(fds[*source], *attrs))?;
        }
    }
    for fd in fds.iter() {
        sys::close(*fd);
    }

    // Sysctls of this sandbox's namespaces (each follows the writer's
    // namespace, so the host's /proc serves), written while the child
    // still has the launcher's identity: the quotas need the namespace's
    // CAP_SYS_RESOURCE, memfd_noexec a global-root writer (so it takes
    // effect only when root launches). Files an older kernel lacks, and
    // sysctls this launcher may not write, are skipped.
    for (i, (path, value, required)) in plan.namespace_sysctls.iter().enumerate() {
        match sys::write_file(path, value.to_bytes()) {
            Ok(()) | Err(Errno::ENOENT) => {}
            Err(Errno::EACCES | Errno::EPERM) if !required => {}
            Err(e) => {
                return Err(Failure {
                    stage: Stage::NamespaceSysctls,
                    index: i as u32,
                    errno: OsError::of(e),
                })
            }
        }
    }

    // Become the sandbox user now, so everything created in the new
    // filesystems is owned by a uid mapped in the namespace. NO_SETUID_FIXUP
    // keeps the namespace capabilities needed to finish the setup.
    at(
        Stage::SwitchIds,
        0,
        sys::prctl(
            libc::PR_SET_SECUREBITS,
            libc::SECBIT_NO_SETUID_FIXUP as c_ulong,
            0,
        ),
    )?;
    if plan.clear_groups {
        at(Stage::SwitchIds, 0, sys::clear_groups())?;
    }
    at(Stage::SwitchIds, 0, sys::setresgid(plan.gid))?;
    at(Stage::SwitchIds, 0, sys::setresuid(plan.uid))?;
    // The sandbox must not outlive the launcher's process. Not the
    // parent-death signal: it follows the thread that cloned us, and a
    // library host's worker thread may end long before the host does. The
    // launcher's end of the setup socket closes when its process is gone
    // (or its `Child` dropped); PID 1 asks for SIGIO then. Armed with the
    // final identity, which the kernel checks when it sends the signal; a
    // launcher that died before this point is seen by the hang-up check.
    at(Stage::SwitchIds, 0, sys::signal_on_io(sock))?;
    if sys::peer_closed(sock) {
        sys::exit(SETUP_FAILED);
    }
    let old_umask = sys::umask(0);
    // An empty tmpfs becomes the root. It is mounted over /tmp only as a
    // staging point: pivot_root moves it to / and the host tree is detached.
    at(
        Stage::RootTmpfs,
        0,
        sys::mount(
            Some(c"tmpfs"),
            c"/tmp",
            Some(c"tmpfs"),
            libc::MS_NOSUID | libc::MS_NODEV,
            Some(c"mode=0755,size=1m"),
        ),
    )?;
    let root = at(
        Stage::RootTmpfs,
        0,
        sys::openat(
            libc::AT_FDCWD,
            c"/tmp",
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            0,
        ),
    )?;

    for (i, step) in plan.steps.iter().enumerate() {
        at(Stage::Mounts, i, apply(step, root, trees))?;
    }

    // pivot_root(".", ".") stacks the old root on top of the new one; the
    // detach then removes it, leaving no path back to the host tree. There
    // is no chroot fallback: a chroot is escapable.
    at(Stage::PivotRoot, 0, sys::fchdir(root))?;
    at(Stage::PivotRoot, 0, sys::pivot_root(c".", c"."))?;
    at(Stage::PivotRoot, 0, sys::umount2(c".", libc::MNT_DETACH))?;
    at(Stage::PivotRoot, 0, sys::chdir(c"/"))?;
    // The root only holds mount points: nothing may be created in it.
    at(
        Stage::SealRoot,
        0,
        sys::mount_setattr(
            root,
            c"",
            libc::AT_EMPTY_PATH as c_uint,
            MOUNT_ATTR_RDONLY,
            0,
        ),
    )?;
    sys::close(root);

    if let Some(h) = &plan.hostname {
        at(Stage::Hostname, 0, sys::sethostname(h))?;
    }
    if plan.loopback {
        at(Stage::Loopback, 0, sys::loopback_up())?;
    }
    // Path rules name inodes in the view (tmpfs mounts made above have no
    // host path), so they are added here, after pivot_root.
    if let Some(ll) = &plan.landlock {
        for (i, (path, access)) in ll.fs_rules.iter().enumerate() {
            at(
                Stage::LandlockRules,
                i,
                add_path_rule(ll.ruleset.as_raw_fd(), path, *access),
            )?;
        }
    }
    Ok(old_umask)
}

fn add_path_rule(ruleset: RawFd, path: &std::ffi::CStr, access: u64) -> sys::SysResult<()> {
    let fd = sys::openat(libc::AT_FDCWD, path, libc::O_PATH | libc::O_CLOEXEC, 0)?;
    // The kernel refuses directory-only rights on a file.
    let allowed = match sys::is_dir(fd) {
        Ok(true) => access,
        Ok(false) => access & crate::landlock::file_rights(),
        Err(e) => {
            sys::close(fd);
            return Err(e);
        }
    };
    // A file rule with only directory rights grants nothing.
    let r = if allowed == 0 {
        Ok(())
    } else {
        sys::landlock_add_path_rule(ruleset, fd, allowed)
    };
    sys::close(fd);
    r
}

const RESOLVE_IN_VIEW: u64 =
    libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;

/// Opens (creating where the plan allows) the path `d` below `root`,
/// following no symlink and never leaving `root`. With `parent_only`, stops
/// at the parent of the last component and returns it instead.
fn walk(root: RawFd, d: &Dest, parent_only: bool) -> sys::SysResult<Option<RawFd>> {
    let n = d.comps.len();
    // Plans never hold an empty destination ("/" is refused when
    // resolving); refuse one here too rather than index out of bounds.
    if n == 0 {
        return Err(Errno::EINVAL);
    }
    let upto = if parent_only { n - 1 } else { n };
    let mut dir = root;
    for (i, c) in d.comps[..upto].iter().enumerate() {
        let last = i + 1 == n;
        let leaf = if last { d.leaf } else { Leaf::Dir };
        let flags = libc::O_PATH
            | libc::O_CLOEXEC
            | if leaf == Leaf::Dir {
                libc::O_DIRECTORY
            } else {
                0
            };
        let mut r = sys::openat2(dir, c, flags, 0, RESOLVE_IN_VIEW);
        let creatable = leaf != Leaf::Existing && !d.optional && i >= d.create_from;
        if r == Err(Errno::ENOENT) && creatable {
            let made = if leaf == Leaf::File {
                sys::openat(
                    dir,
                    c,
                    libc::O_CREAT
                        | libc::O_EXCL
                        | libc::O_WRONLY
                        | libc::O_NOFOLLOW
                        | libc::O_CLOEXEC,
                    0o644,
                )
                .map(sys::close)
            } else {
                sys::mkdirat(dir, c, 0o755)
            };
            match made {
                Ok(()) | Err(Errno::EEXIST) => {}
                Err(e) => r = Err(e),
            }
            if r == Err(Errno::ENOENT) {
                r = sys::openat2(dir, c, flags, 0, RESOLVE_IN_VIEW);
            }
        }
        if dir != root {
            sys::close(dir);
        }
        match r {
            Ok(fd) => dir = fd,
            Err(Errno::ENOENT) if d.optional => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Ok(Some(dir))
}

fn attach(tree: RawFd, root: RawFd, d: &Dest) -> sys::SysResult<()> {
    let target = walk(root, d, false);
    let r = match target {
        Ok(Some(t)) => {
            let r = sys::move_mount_fd(tree, t);
            if t != root {
                sys::close(t);
            }
            r
        }
        Ok(None) => Ok(()),
        Err(e) => Err(e),
    };
    sys::close(tree);
    r
}

const AT_RECURSIVE: c_uint = 0x8000;

/// A detached, recursive copy of the tree at `src` with `attrs` applied to
/// every mount in it, so a read-only bind is read-only all the way down.
fn clone_tree(src: RawFd, attrs: u64) -> sys::SysResult<RawFd> {
    let flags = libc::AT_EMPTY_PATH as c_uint | AT_RECURSIVE;
    let tree = sys::open_tree(src, c"", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | flags)?;
    match sys::mount_setattr(tree, c"", flags, attrs, 0) {
        Ok(()) => Ok(tree),
        Err(e) => {
            sys::close(tree);
            Err(e)
        }
    }
}

fn apply(step: &Step, root: RawFd, trees: &[RawFd]) -> sys::SysResult<()> {
    match step {
        Step::Bind { tree, dest, .. } => attach(trees[*tree], root, dest),
        Step::Fresh {
            fstype,
            options,
            attrs,
            dest,
        } => {
            if dest.optional && walk(root, dest, false)?.map(sys::close).is_none() {
                return Ok(());
            }
            let fs = sys::fsopen(fstype)?;
            let mut r = Ok(());
            for (k, v) in options {
                r = r.and_then(|()| sys::fsconfig_string(fs, k, v));
            }
            let mnt = r
                .and_then(|()| sys::fsconfig_create(fs))
                .and_then(|()| sys::fsmount(fs, *attrs));
            sys::close(fs);
            attach(mnt?, root, dest)
        }
        Step::ReadOnly { dest } => {
            let Some(t) = walk(root, dest, false)? else {
                return Ok(());
            };
            let tree = clone_tree(
                t,
                MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
            );
            sys::close(t);
            attach(tree?, root, dest)
        }
        Step::Seal { dest } => {
            let Some(t) = walk(root, dest, false)? else {
                return Ok(());
            };
            let r = sys::mount_setattr(t, c"", libc::AT_EMPTY_PATH as c_uint, MOUNT_ATTR_RDONLY, 0);
            sys::close(t);
            r
        }
        Step::Dir { dest, mode } => {
            let Some(p) = walk(root, dest, true)? else {
                return Ok(());
            };
            let last = &dest.comps[dest.comps.len() - 1];
            // An existing directory is kept as it is; a new one gets `mode`
            // exactly (the umask is 0 during setup).
            let mut r = if dest.comps.len() > dest.create_from {
                match sys::mkdirat(p, last, *mode) {
                    Ok(()) | Err(Errno::EEXIST) => Ok(()),
                    Err(e) => Err(e),
                }
            } else {
                Ok(())
            };
            if r.is_ok() {
                r = sys::openat2(
                    p,
                    last,
                    libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
                    0,
                    RESOLVE_IN_VIEW,
                )
                .map(sys::close);
            }
            if p != root {
                sys::close(p);
            }
            r
        }
        Step::Symlink { dest, target } => {
            let Some(p) = walk(root, dest, true)? else {
                return Ok(());
            };
            let r = sys::symlinkat(target, p, &dest.comps[dest.comps.len() - 1]);
            if p != root {
                sys::close(p);
            }
            r
        }
    }
}

/// Steps 11–17 in the payload (PID 2, or 3 after the warden thread): lose
/// the terminal, enter the working directory, close descriptors, shed
/// every privilege, exec.
fn payload_main(plan: &Plan, sock: RawFd, ruleset: RawFd, umask: libc::mode_t) -> ! {
    let fail = |stage: Stage, errno: Errno| -> ! { fail_setup(sock, stage, 0, errno) };
    // A new session has no controlling terminal, so the payload cannot push
    // input into the launcher's terminal with TIOCSTI (CVE-2017-5226).
    if let Err(e) = sys::setsid() {
        fail(Stage::NewSession, e);
    }
    if let Err(e) = sys::chdir(&plan.cwd) {
        fail(Stage::Chdir, e);
    }
    sys::umask(umask);
    // Dispositions set to "ignore" survive exec (Rust ignores SIGPIPE, for
    // one): give the payload the defaults and an empty mask.
    for sig in 1..=libc::SIGRTMAX() {
        let _ = sys::signal_default(sig);
    }
    if let Err(e) = sys::sigmask(libc::SIG_SETMASK, &SigSet::of(&[])) {
        fail(Stage::NewSession, e);
    }
    for &(resource, value) in &plan.rlimits {
        if let Err(e) = sys::setrlimit(resource, value) {
            fail(Stage::Rlimits, e);
        }
    }
    // Exactly the mapped descriptors survive, whatever the launcher's host
    // left open; the setup socket and the ruleset (close-on-exec) live
    // until exec.
    if let Err((i, e)) = place_fds(plan, sock, ruleset) {
        fail_setup(sock, Stage::Fds, i, e);
    }
    if let Err(e) = drop_privileges(plan.last_cap) {
        fail(Stage::DropCaps, e);
    }
    if let Err(e) = sys::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0) {
        fail(Stage::NoNewPrivs, e);
    }
    // After the mounts (a Landlock domain may not mount), after
    // no_new_privs (required), and as late as possible before exec.
    if plan.landlock.is_some() {
        if let Err(e) = sys::landlock_restrict_self(ruleset) {
            fail(Stage::Landlock, e);
        }
    }
    // Last: from here on the payload's own filter judges every syscall, and
    // stockade makes only execve (and, on failure, write and exit_group).
    for f in &plan.seccomp {
        if let Err(e) = sys::seccomp_install(&f.prog, f.listener, false) {
            fail(Stage::Seccomp, e);
        }
        // Wait, inside the filter's first notification, until the warden
        // answers: from here on it receives every one (see `warden`).
        if f.listener {
            let (nr, args) = warden::HANDSHAKE;
            if let Err(e) = sys::syscall2(nr, args) {
                fail(Stage::Warden, e);
            }
        }
    }
    // write is on every allowlist that kills (checked when resolving).
    send(sock, Record::Applied);
    let mut errno = Errno::ENOENT;
    for (i, path) in plan.exec.candidates.iter().enumerate() {
        let e = sys::execve_plan(path, &plan.exec);
        match e {
            Errno::ENOENT | Errno::ENOTDIR => {}
            Errno::EACCES => errno = Errno::EACCES,
            // The launcher maps the record to 126/127; the exit code of
            // this process is not what it reports.
            other => fail_setup(sock, Stage::Exec, i as u32, other),
        }
    }
    fail_setup(sock, Stage::Exec, 0, errno)
}

/// Duplicates every source above everything in use, places the copies at
/// their targets (which handles overlaps such as 4→3 with 3→4), then closes
/// every number that is not a target, the socket or the ruleset.
fn place_fds(plan: &Plan, sock: RawFd, ruleset: RawFd) -> Result<(), (u32, Errno)> {
    let pairs = &plan.fds.pairs;
    let high = sock.max(ruleset) + 1;
    let mut temps = [-1 as RawFd; crate::plan::MAX_FDS];
    for (i, &(src, _)) in pairs.iter().enumerate() {
        temps[i] = sys::dup_above(src, high).map_err(|e| (i as u32, e))?;
    }
    for (i, &(_, dst)) in pairs.iter().enumerate() {
        sys::dup3(temps[i], dst).map_err(|e| (i as u32, e))?;
    }
    // Keep: the sorted targets, then the socket and the ruleset (both
    // above every target).
    let (lo, hi) = (sock.min(ruleset), sock.max(ruleset));
    close_all_but(plan.fds.targets.iter().copied().chain([lo, hi])).map_err(|e| (0, e))
}

/// Closes every descriptor but `keep`, given in ascending order (negative
/// numbers are skipped).
pub fn close_all_but(keep: impl Iterator<Item = RawFd>) -> sys::SysResult<()> {
    let mut next: u32 = 0;
    for k in keep.filter(|k| *k >= 0) {
        let k = k as u32;
        if k > next {
            sys::close_range(next, k - 1, 0)?;
        }
        next = next.max(k + 1);
    }
    sys::close_range(next, c_uint::MAX, 0)
}

/// Empties every capability set and locks the securebits so none can be
/// regained: not by setuid to 0 (NOROOT), not through ambient raising, not
/// by unsetting these bits.
pub fn drop_privileges(last_cap: u32) -> sys::SysResult<()> {
    let locked = LOCKED_SECUREBITS;
    // Setting securebits and dropping the bounding set need CAP_SETPCAP,
    // so both come before the capability sets are emptied.
    sys::prctl(libc::PR_SET_SECUREBITS, locked as c_ulong, 0)?;
    for cap in 0..=last_cap {
        match sys::prctl(libc::PR_CAPBSET_DROP, cap as c_ulong, 0) {
            Ok(_) | Err(Errno::EINVAL) => {}
            Err(e) => return Err(e),
        }
    }
    sys::prctl(
        libc::PR_CAP_AMBIENT,
        libc::PR_CAP_AMBIENT_CLEAR_ALL as c_ulong,
        0,
    )?;
    sys::capset_clear()
}
