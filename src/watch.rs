//! One thread supervises every sandbox a library host spawns: it waits on
//! all their pidfds and setup sockets at once (epoll) and publishes each
//! sandbox's events, so a sandbox is reaped and its outcome known whatever
//! its host is doing, at the cost of one thread per process rather than
//! one per sandbox.

use crate::process::{Event, Outcome, Supervisor, Timeline};
pub(crate) use nix::sys::epoll::EpollFlags;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollTimeout};
use std::collections::{HashMap, VecDeque};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::task::Waker;
use std::time::Duration;

/// What the supervisor thread learned about one sandbox, in order.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// Events not yet taken by `Child::next_event`.
    pub events: VecDeque<Event>,
    /// The outcome, once known.
    pub outcome: Option<Outcome>,
    /// Every layer was applied.
    pub applied: bool,
    /// Supervising failed; the sandbox was killed.
    pub failed: Option<std::io::ErrorKind>,
    /// Tasks awaiting the next event.
    pub wakers: Vec<Waker>,
    /// When things happened (complete once the sandbox has ended).
    pub timeline: Timeline,
}

/// Where the supervisor thread posts a sandbox's events. It holds no
/// descriptor: when the sandbox has ended, the thread has closed every
/// one of its own before it says so, and a host that counts its
/// descriptors then sees none of them.
#[derive(Debug, Default)]
pub(crate) struct Board {
    progress: Mutex<Progress>,
    changed: Condvar,
}

impl Board {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Progress> {
        // No holder of the lock panics while holding it; should one have,
        // the data is still consistent.
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Posts an event and marks `ready` readable, both under the lock
    /// that `Child::next_event` takes to pop it and drain `ready`, so the
    /// descriptor is readable exactly while an event waits.
    fn post(&self, e: Event, ready: &OwnedFd) {
        let mut p = self.lock();
        Board::record(&mut p, e);
        let _ = crate::sys::write(ready.as_fd(), &1u64.to_ne_bytes());
        self.changed.notify_all();
        p.wakers.drain(..).for_each(Waker::wake);
    }

    /// Posts the last event (or the failure) and closes the thread's copy
    /// of `ready` before anyone can see it.
    fn finish(&self, last: std::io::Result<Event>, ready: OwnedFd, timeline: Timeline) {
        let mut p = self.lock();
        p.timeline = timeline;
        match last {
            Ok(e) => Board::record(&mut p, e),
            Err(err) => p.failed = Some(err.kind()),
        }
        let _ = crate::sys::write(ready.as_fd(), &1u64.to_ne_bytes());
        drop(ready);
        self.changed.notify_all();
        p.wakers.drain(..).for_each(Waker::wake);
    }

    fn record(p: &mut Progress, e: Event) {
        match e {
            Event::Applied => p.applied = true,
            Event::Ended(o) => p.outcome = Some(o),
            Event::Step(_) | Event::Learned { .. } => {}
            // One waiting stop at a time (see `Supervisor`).
            Event::Stopped(_) if p.events.iter().any(|e| matches!(e, Event::Stopped(_))) => return,
            Event::Stopped(_) => {}
        }
        p.events.push_back(e);
    }

    /// Waits until `done` holds (or supervising failed), at most `wait`
    /// (forever with None).
    pub(crate) fn wait_until(
        &self,
        wait: Option<Duration>,
        done: impl Fn(&Progress) -> bool,
    ) -> MutexGuard<'_, Progress> {
        let guard = self.lock();
        let not_done = |p: &mut Progress| !done(p) && p.failed.is_none();
        match wait {
            None => self
                .changed
                .wait_while(guard, not_done)
                .unwrap_or_else(|e| e.into_inner()),
            Some(w) => {
                self.changed
                    .wait_timeout_while(guard, w, not_done)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
        }
    }
}

pub(crate) struct Watched {
    sup: Supervisor,
    board: Arc<Board>,
    /// Written once per event (the host's end is readable while events wait).
    ready: OwnedFd,
    /// The setup socket is still registered (with the supervisor thread).
    sock: bool,
    /// The host's end of the channel, shut down for reading at the end.
    channel: Option<OwnedFd>,
}

impl Watched {
    /// Posts whatever the sandbox has to say, without blocking; returns the
    /// last event (or why supervising failed) once it has ended.
    fn take_in(&mut self) -> Option<std::io::Result<Event>> {
        let mut errors = 0;
        loop {
            match self.sup.poll(Some(Duration::ZERO)) {
                Ok(Some(Event::Ended(o))) => return Some(Ok(Event::Ended(o))),
                Ok(Some(e)) => self.board.post(e, &self.ready),
                Ok(None) => return None,
                Err(err) => {
                    // A sandbox nobody can watch must not run on.
                    self.sup.kill();
                    errors += 1;
                    if errors == 100 {
                        return Some(Err(err));
                    }
                }
            }
        }
    }

    /// Closes everything of the ended sandbox, then says it ended.
    fn finish(self, last: std::io::Result<Event>) {
        let Watched {
            sup,
            board,
            ready,
            channel,
            ..
        } = self;
        if let Some(c) = channel {
            let _ = crate::sys::shutdown(c.as_fd(), nix::sys::socket::Shutdown::Read);
        }
        let timeline = sup.timeline().clone();
        drop(sup);
        board.finish(last, ready, timeline);
    }
}

/// A sandbox supervised by the threads that wait for it instead of the
/// supervisor thread: for the command line, whose main thread waits for
/// its one sandbox from start to end, so no thread is started and no
/// wake-up relayed through one. A wait takes in what the sandbox says,
/// the same steps the supervisor thread takes; while one wait does, the
/// others wait on the board, and look again every few milliseconds in
/// case it stops. Someone must be waiting for events to be
/// taken in (`wait_async` alone does not).
#[derive(Default)]
pub(crate) struct Inline(Mutex<Option<Watched>>);

impl std::fmt::Debug for Inline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Inline")
    }
}

impl Inline {
    /// Supervises `sup` from now on, as [`watch`] would.
    pub(crate) fn start(
        &self,
        sup: Supervisor,
        board: Arc<Board>,
        ready: OwnedFd,
        channel: Option<OwnedFd>,
    ) {
        *self.lock() = Some(Watched {
            sup,
            board,
            ready,
            sock: false,
            channel,
        });
    }

    fn lock(&self) -> MutexGuard<'_, Option<Watched>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits up to `wait` (forever with None) until the sandbox or `also`
    /// has something to say, then posts what the sandbox said. A failed
    /// `poll` (ENOMEM) returns after a pause, to be tried again: as for
    /// the supervisor thread, supervising never gives up on a sandbox.
    pub(crate) fn drive(&self, wait: Option<Duration>, also: Option<BorrowedFd<'_>>) -> Drive {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        let mut guard = match self.0.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return Drive::Busy,
        };
        let Some(w) = guard.as_mut() else {
            return Drive::Idle;
        };
        let (pidfd, sock) = w.sup.fds();
        let mut fds: Vec<PollFd<'_>> = also
            .into_iter()
            .chain(Some(pidfd))
            .chain(sock)
            .map(|fd| PollFd::new(fd, PollFlags::POLLIN))
            .collect();
        let timeout = wait.map_or(PollTimeout::NONE, crate::sys::poll_timeout);
        match poll(&mut fds, timeout) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(_) => {
                std::thread::sleep(Duration::from_millis(1));
                return Drive::Drove { also: false };
            }
        }
        let also_ready = also.is_some() && fds.first().and_then(PollFd::any).unwrap_or(false);
        drop(fds);
        if let Some(last) = w.take_in() {
            if let Some(w) = guard.take() {
                drop(guard);
                w.finish(last);
            }
        }
        Drive::Drove { also: also_ready }
    }
}

/// What [`Inline::drive`] did.
pub(crate) enum Drive {
    /// Nothing to drive: supervised by the supervisor thread, or ended.
    Idle,
    /// Another thread is driving it and posts to the board.
    Busy,
    /// Took in what the sandbox said; `also` is whether the caller's own
    /// descriptor is readable.
    Drove { also: bool },
}

struct Watcher {
    epoll: Epoll,
    watched: Mutex<HashMap<u64, Watched>>,
    /// Tasks waiting for a descriptor to be ready, by token (high bit set).
    waiting: Mutex<HashMap<u64, Waker>>,
    next: AtomicU64,
}

/// Tokens of readiness waits, apart from the sandboxes'.
const WAIT_TOKEN: u64 = 1 << 63;

/// A task waiting, through the supervisor thread, for a descriptor to be
/// ready: registered on its own duplicate of the descriptor (so several
/// waits on one descriptor never clash), fired once, removed when dropped.
pub(crate) struct Readiness {
    fd: OwnedFd,
    token: u64,
}

impl Readiness {
    /// Wakes `waker` once `fd` is ready for `events` (or hung up).
    pub(crate) fn new(
        fd: BorrowedFd<'_>,
        events: EpollFlags,
        waker: Waker,
    ) -> std::io::Result<Readiness> {
        let w = watcher()?;
        let fd = fd.try_clone_to_owned()?;
        let token = WAIT_TOKEN | w.next.fetch_add(1, Ordering::Relaxed);
        w.lock_waiting().insert(token, waker);
        let flags = events | EpollFlags::EPOLLONESHOT;
        if let Err(e) = w.epoll.add(&fd, EpollEvent::new(flags, token)) {
            w.lock_waiting().remove(&token);
            return Err(e.into());
        }
        Ok(Readiness { fd, token })
    }
}

impl Drop for Readiness {
    fn drop(&mut self) {
        if let Ok(w) = watcher() {
            let _ = w.epoll.delete(&self.fd);
            w.lock_waiting().remove(&self.token);
        }
    }
}

static WATCHER: OnceLock<Result<&'static Watcher, std::io::ErrorKind>> = OnceLock::new();

fn watcher() -> std::io::Result<&'static Watcher> {
    let w = WATCHER.get_or_init(|| {
        let start = || -> std::io::Result<&'static Watcher> {
            let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
            // Lives as long as the process, like its thread.
            let w: &'static Watcher = Box::leak(Box::new(Watcher {
                epoll,
                watched: Mutex::new(HashMap::new()),
                waiting: Mutex::new(HashMap::new()),
                next: AtomicU64::new(0),
            }));
            std::thread::Builder::new()
                .name("stockade-watch".into())
                .spawn(move || {
                    // Never take a signal meant for the host's own threads.
                    // pthread_sigmask, not the raw call: glibc keeps the
                    // signals its set*id broadcast needs unblocked.
                    let all = nix::sys::signal::SigSet::all();
                    let how = nix::sys::signal::SigmaskHow::SIG_SETMASK;
                    let _ = nix::sys::signal::pthread_sigmask(how, Some(&all), None);
                    w.run()
                })?;
            Ok(w)
        };
        start().map_err(|e| e.kind())
    });
    w.map_err(|kind| std::io::Error::new(kind, "cannot start stockade's supervisor thread"))
}

/// Hands `sup` to the process's supervisor thread, which posts its events
/// on `board` and signals each on the eventfd `ready` until the sandbox
/// has ended.
///
/// `channel` is a duplicate of the host's end of the sandbox's channel:
/// shut down for reading once the sandbox has ended, so a receive blocked
/// on it returns (the payload's end may outlive the sandbox, passed in a
/// message).
pub(crate) fn watch(
    sup: Supervisor,
    board: Arc<Board>,
    ready: OwnedFd,
    channel: Option<OwnedFd>,
) -> Result<(), Box<(Supervisor, std::io::Error)>> {
    let w = match watcher() {
        Ok(w) => w,
        Err(e) => return Err(Box::new((sup, e))),
    };
    let token = w.next.fetch_add(1, Ordering::Relaxed);
    let mut watched = w.lock();
    let (pidfd, sock) = sup.fds();
    let add = |fd: BorrowedFd<'_>| w.epoll.add(fd, EpollEvent::new(EpollFlags::EPOLLIN, token));
    if let Err(e) = add(pidfd) {
        return Err(Box::new((sup, e.into())));
    }
    let sock = match sock {
        Some(fd) => match add(fd) {
            Ok(()) => true,
            Err(e) => {
                let _ = w.epoll.delete(pidfd);
                return Err(Box::new((sup, e.into())));
            }
        },
        None => false,
    };
    watched.insert(
        token,
        Watched {
            sup,
            board,
            ready,
            sock,
            channel,
        },
    );
    Ok(())
}

impl Watcher {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Watched>> {
        self.watched.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_waiting(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Waker>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(&self) {
        let mut events = [EpollEvent::empty(); 64];
        loop {
            let n = match self.epoll.wait(&mut events, EpollTimeout::NONE) {
                Ok(n) => n,
                Err(_) => {
                    // EINTR, or something worse: never spin.
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                }
            };
            for e in &events[..n] {
                if e.data() & WAIT_TOKEN != 0 {
                    if let Some(waker) = self.lock_waiting().remove(&e.data()) {
                        waker.wake();
                    }
                } else {
                    self.step(e.data());
                }
            }
        }
    }

    /// Takes in whatever sandbox `token` has to say, without blocking.
    fn step(&self, token: u64) {
        let mut watched = self.lock();
        let Some(w) = watched.get_mut(&token) else {
            return;
        };
        let end = w.take_in();
        let (pidfd, open) = w.sup.fds();
        let sock = w.sup.setup_socket();
        match end {
            Some(last) => {
                let _ = self.epoll.delete(pidfd);
                if w.sock {
                    let _ = self.epoll.delete(sock);
                }
                // Close everything of this sandbox before saying it ended.
                let Some(w) = watched.remove(&token) else {
                    return;
                };
                drop(watched);
                w.finish(last);
            }
            None if w.sock && open.is_none() => {
                // The socket is closed and read to its end: its hang-up
                // would wake this thread forever. The pidfd says the rest.
                w.sock = false;
                let _ = self.epoll.delete(sock);
            }
            None => {}
        }
    }
}
