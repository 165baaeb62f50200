//! The cloned child, PID 1 of its new PID namespace, from the clone to
//! the payload's fork: it builds the view from the Plan and prepares the
//! fork (steps 1–18 of [`Stage`]), then forks the payload (`payload`) and
//! runs init's loop (`init`).
//!
//! Everything here runs after clone in a process that may have been cloned
//! from a multi-threaded host: it only reads the Plan, calls `sys`
//! wrappers, writes fixed-size records and ends in execve or `_exit`. No
//! allocation, no locks, no formatting, no panics: `after_clone!` (in
//! lib.rs) refuses indexing, unwrap and panic here at build time, every lookup into the Plan reports a
//! failure record instead, and [`run_from_child`] aborts rather than
//! unwind should anything panic anyway.
#![allow(unsafe_code)]

use super::report::SETUP_FAILED;
use super::report::{at, enter, fail_from_child, send_from_child, Record, Setup, Stage};
use super::signals::INIT_SIGNALS;
use super::{helper, init, payload, view, warden};
use crate::plan::{NetworkSetup, Plan};
use crate::sys::{self, SigSet, CWD};
use nix::errno::Errno;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

/// Aborts the process if dropped during an unwind: a panic in the child
/// must never unwind into the frames of the host it was cloned from.
struct AbortOnUnwind;

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        // Only reached while unwinding: every way out of the child ends in
        // exec or _exit, which run no destructor.
        sys::exit(SETUP_FAILED);
    }
}

/// The child's entry point. `slots` has one empty slot per
/// `plan.sources` followed by one per bind tree (allocated by the parent:
/// the child may not allocate); `parent_sock` is the launcher's end of the
/// setup socket, which the child closes first.
pub(super) fn run_from_child(
    plan: &Plan,
    slots: &mut [Option<OwnedFd>],
    sock: BorrowedFd<'_>,
    parent_sock: OwnedFd,
) -> ! {
    let _guard = AbortOnUnwind;
    // The launcher's end must be open only in the launcher, so that its
    // death reads as EOF or a hang-up here.
    drop(parent_sock);
    let old_umask = match setup(plan, slots, sock) {
        Ok(m) => m,
        Err(f) => {
            send_from_child(sock, Record::Failed(f));
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
        enter(plan, sock, Stage::ChannelSocket);
        let sent = sys::unix_listen(addr)
            .and_then(|fd| sys::send_fd(sock, &Record::ChannelSocket.encode(), fd.as_fd()));
        if let Err(errno) = sent {
            fail_from_child(sock, Stage::ChannelSocket, 0, errno);
        }
    }
    // The payload's terminal comes from the view's own devpts: the payload
    // sees no host terminal, only this one, and its master goes to the
    // launcher, which relays it. The peer replaces the placeholder the
    // launcher put in the descriptor map, so placing the map puts it on
    // every stream that asked for a terminal.
    if let Some(t) = &plan.terminal {
        enter(plan, sock, Stage::Terminal);
        if let Err(errno) = open_terminal(t, sock) {
            fail_from_child(sock, Stage::Terminal, 0, errno);
        }
    }
    // Park the setup socket and the Landlock ruleset above every number the
    // payload's descriptor map uses, so placing the payload's descriptors
    // cannot clobber them. The originals are closed with everything else
    // the payload and PID 1 do not keep.
    enter(plan, sock, Stage::ParkFds);
    let parked = sys::dup_above(sock.as_raw_fd(), plan.fds.base);
    let sock = match &parked {
        Ok(fd) => fd.as_fd(),
        Err(errno) => fail_from_child(sock, Stage::ParkFds, 0, *errno),
    };
    let ruleset = match &plan.landlock {
        Some(ll) => match sys::dup_above(ll.ruleset.as_raw_fd(), plan.fds.base) {
            Ok(fd) => Some(fd),
            Err(errno) => fail_from_child(sock, Stage::ParkFds, 1, errno),
        },
        None => None,
    };
    // With a seccomp listener the payload also shares PID 1's descriptor
    // table until its exec (CLONE_FILES): the listener fd the payload's
    // filter creates, at the lowest free number, is then in PID 1's
    // table, where PID 1's warden thread receives its notifications (see
    // `warden`); a notification queued before the warden starts waits for
    // it. The payload keeps exactly its targets plus the two parked
    // descriptors; the listener then takes the lowest other number.
    let ruleset_fd = ruleset.as_ref().map_or(-1, |r| r.as_raw_fd());
    let slot: Option<RawFd> = plan.has_listener().then(|| {
        let mut n = plan.fds.first_free;
        while n == sock.as_raw_fd() || n == ruleset_fd || plan.fds.targets.contains(&n) {
            n += 1;
        }
        n
    });
    // The warden must be receiving before the payload runs (see `warden`);
    // a sandbox without it would let violations hang, so none starts.
    if let Some(slot) = slot {
        enter(plan, sock, Stage::Warden);
        if let Err(errno) = warden::start_from_child(slot, sock.as_raw_fd(), plan.learn) {
            fail_from_child(sock, Stage::Warden, 0, errno);
        }
    }
    // The payload starts in PID 1's memory, on its own stack, and PID 1
    // waits until it execs (see `sys::vfork_on`): nothing is copied.
    let flags = match slot {
        Some(_) => libc::CLONE_FILES,
        None => 0,
    };
    enter(plan, sock, Stage::ForkPayload);
    let args = PayloadArgs {
        plan,
        sock,
        ruleset: ruleset.as_ref().map(|r| r.as_fd()),
        umask: old_umask,
    };
    let arg = std::ptr::from_ref(&args).cast_mut().cast();
    // SAFETY: PAYLOAD_STACK is used by this one payload (PID 1 starts one);
    // `payload_entry` only makes async-signal-safe calls until its exec
    // or exit, touches no memory of the warden's but the statics it is
    // told of, and `args` outlives it (this thread waits for its exec).
    // With CLONE_FILES it changes PID 1's table only by what `payload`
    // documents: the listener its filter creates at `slot`, and the
    // descriptors it places and closes, none of which PID 1 uses but the
    // parked two, which it keeps.
    let pid = match unsafe { sys::vfork_on(&PAYLOAD_STACK, flags, payload_entry, arg) } {
        Ok(p) => p,
        Err(errno) => fail_from_child(sock, Stage::ForkPayload, 0, errno),
    };
    let listener = slot.filter(|s| sys::fd_is_open(*s));
    init::run_from_child(pid, sock, listener, plan)
}

/// The payload's stack: it runs in PID 1's memory until its exec.
static PAYLOAD_STACK: sys::ThreadStack = sys::ThreadStack::new();

/// What the payload's entry needs, on PID 1's stack while it waits.
struct PayloadArgs<'a> {
    plan: &'a Plan,
    sock: BorrowedFd<'a>,
    ruleset: Option<BorrowedFd<'a>>,
    umask: libc::mode_t,
}

extern "C" fn payload_entry(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the `PayloadArgs` PID 1 keeps alive, unchanged,
    // while it waits for this process's exec or exit.
    let a = unsafe { &*arg.cast_const().cast::<PayloadArgs<'_>>() };
    payload::run_from_child(a.plan, a.sock, a.ruleset, a.umask)
}

/// Steps 1–13: everything PID 1 does to build the view. Returns the
/// launcher's umask, which the payload gets back.
fn setup(plan: &Plan, slots: &mut [Option<OwnedFd>], sock: BorrowedFd<'_>) -> Setup<libc::mode_t> {
    // PID 1 takes its signals with sigtimedwait; the payload unblocks them
    // before exec.
    at(
        Stage::AwaitIdMaps,
        0,
        sys::sigmask(libc::SIG_BLOCK, &SigSet::of(&INIT_SIGNALS)),
    )?;
    // The namespace sysctls are written and the network namespace made
    // meanwhile, and the old root detached later, by a thread (see
    // `helper`).
    at(
        Stage::AwaitIdMaps,
        0,
        helper::start_from_child(plan.network),
    )?;
    // Wait for the id maps. A launcher that dies meanwhile closes its end
    // of the socket (the child closed its copy first), which reads as EOF.
    let mut go = [0u8; 1];
    match sys::read(sock, &mut go) {
        Ok(1) => {}
        _ => sys::exit(SETUP_FAILED),
    }
    enter(plan, sock, Stage::AwaitIdMaps);

    // Nothing done in this mount namespace may propagate back to the host.
    enter(plan, sock, Stage::PrivateMounts);
    at(
        Stage::PrivateMounts,
        0,
        sys::mount(None, c"/", None, libc::MS_REC | libc::MS_PRIVATE, None),
    )?;

    // Bind sources are opened with the launcher's identity (so a root
    // launcher can reach root-only directories on the way) and by path
    // without following any symlink: the parent canonicalized them, so a
    // link here means the host changed under us.
    let (sources, trees) = slots.split_at_mut(plan.sources.len().min(slots.len()));
    if !plan.sources.is_empty() {
        enter(plan, sock, Stage::OpenSources);
    }
    for (i, (src, slot)) in plan.sources.iter().zip(sources.iter_mut()).enumerate() {
        let fd = sys::openat2(
            CWD,
            src,
            libc::O_PATH | libc::O_CLOEXEC,
            0,
            libc::RESOLVE_NO_SYMLINKS,
        );
        *slot = Some(at(Stage::OpenSources, i, fd)?);
    }
    // Each bind gets its own detached copy of its source tree now, before
    // the staging root exists: a tree cloned later would contain the view
    // under construction whenever a source is an ancestor of /tmp.
    if !trees.is_empty() {
        enter(plan, sock, Stage::CloneSources);
    }
    for (i, source, tree, attrs) in plan.clones() {
        let src = sources.get(source).and_then(Option::as_ref);
        let slot = trees.get_mut(tree);
        let (Some(src), Some(slot)) = (src, slot) else {
            return at(Stage::CloneSources, i, Err(Errno::EINVAL));
        };
        *slot = Some(at(
            Stage::CloneSources,
            i,
            view::clone_tree(src.as_fd(), attrs),
        )?);
    }
    sources.iter_mut().for_each(|s| drop(s.take()));

    // Become the sandbox user now, so everything created in the new
    // filesystems is owned by a uid mapped in the namespace. NO_SETUID_FIXUP
    // keeps the namespace capabilities needed to finish the setup.
    enter(plan, sock, Stage::SwitchIds);
    let no_fixup = libc::SECBIT_NO_SETUID_FIXUP as u32;
    at(Stage::SwitchIds, 0, sys::set_securebits(no_fixup))?;
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
    enter(plan, sock, Stage::RootTmpfs);
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
            CWD,
            c"/tmp",
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            0,
        ),
    )?;

    enter(plan, sock, Stage::Mounts);
    let mut last_mask = None;
    let mut walker = view::Walker::new(root.as_fd());
    for (i, step) in plan.steps.iter().enumerate() {
        let r = view::apply(step, &mut walker, trees, &mut last_mask);
        at(Stage::Mounts, i, r)?;
    }
    drop((walker, last_mask));

    // pivot_root(".", ".") stacks the old root on top of the new one; the
    // detach then removes it, leaving no path back to the host tree. It is
    // the helper thread's (an RCU grace period and freeing the host's
    // mounts), confirmed at the end of step 13. There is no chroot
    // fallback: a chroot is escapable.
    enter(plan, sock, Stage::PivotRoot);
    // The helper thread writes the namespace sysctls (step 5) through the
    // host's /proc, which the view is about to replace.
    if let Err((i, errno)) = helper::sysctls_written_from_child() {
        return at(Stage::NamespaceSysctls, i, Err(errno));
    }
    at(Stage::PivotRoot, 0, sys::fchdir(root.as_fd()))?;
    at(Stage::PivotRoot, 0, sys::pivot_root(c".", c"."))?;
    at(Stage::PivotRoot, 0, sys::chdir(c"/"))?;
    helper::detach_old_root_from_child();
    // The root only holds mount points: nothing may be created in it.
    enter(plan, sock, Stage::SealRoot);
    at(Stage::SealRoot, 0, view::seal(root.as_fd()))?;
    drop(root);

    if let Some(h) = &plan.hostname {
        enter(plan, sock, Stage::Hostname);
        at(Stage::Hostname, 0, sys::sethostname(h))?;
    }
    if plan.network != NetworkSetup::Kept {
        enter(plan, sock, Stage::Network);
        at(Stage::Network, 0, helper::join_network_from_child())?;
    }
    // Path rules name inodes in the view (tmpfs mounts made above have no
    // host path), so they are added here, after pivot_root.
    if let Some(ll) = &plan.landlock {
        enter(plan, sock, Stage::LandlockRules);
        for (i, (path, access)) in ll.fs_rules.iter().enumerate() {
            at(
                Stage::LandlockRules,
                i,
                view::add_landlock_rule(ll.ruleset.as_fd(), path, *access),
            )?;
        }
    }
    // While the helper thread detaches the old root: the bounding set,
    // emptied once for every process of the sandbox (the warden and the
    // payload inherit it; each drop copies the credentials). A failure is
    // the sandbox user's step: PID 1's identity.
    at(Stage::SwitchIds, 0, sys::raw::empty_bounding_set(plan.last_cap))?;
    // No process but PID 1 may start before the host tree is gone.
    at(Stage::PivotRoot, 0, helper::old_root_detached_from_child())?;
    Ok(old_umask)
}

/// Step 15: a new pseudo-terminal in the view's devpts, set up as the plan
/// says, its peer at the placeholder's number and its master sent to the
/// launcher.
fn open_terminal(t: &crate::plan::Terminal, sock: BorrowedFd<'_>) -> sys::SysResult<()> {
    let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC;
    let master = sys::openat2(CWD, &t.ptmx, flags, 0, libc::RESOLVE_NO_SYMLINKS)?;
    sys::unlock_pty(master.as_fd())?;
    let peer = sys::open_pty_peer(master.as_fd())?;
    if let Some(mode) = &t.setup.mode {
        sys::set_kernel_termios(peer.as_fd(), mode)?;
    }
    if let Some(size) = &t.setup.size {
        sys::set_window_size(peer.as_fd(), size)?;
    }
    // SAFETY: the placeholder's number holds the launcher's stand-in,
    // inherited at clone, which nothing in the sandbox uses: replacing it
    // is the point. The original peer is closed when dropped here.
    unsafe { sys::dup_onto(peer.as_fd(), t.setup.at) }?;
    // PID 1 leads the terminal's session and the payload gets a process
    // group of its own in it: a group whose parent is in another session
    // is orphaned, and the kernel drops the terminal's SIGTSTP for those
    // (Ctrl-Z would do nothing). PID 1 takes no other part: it holds no
    // descriptor of the terminal once the payload has its own.
    sys::setsid()?;
    sys::set_controlling_terminal(t.setup.at)?;
    sys::send_fd(sock, &Record::Terminal.encode(), master.as_fd())
}
