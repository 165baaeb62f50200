//! The launcher's terminal: its modes saved and put back on every way
//! out, raw while it relays the payload's own pseudo-terminal, and the
//! relay itself (host stdin → the terminal's master → host stdout).

use crate::sys;
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// Runs `f` on each standard stream of the launcher with its index.
fn each_std_stream(mut f: impl FnMut(usize, BorrowedFd<'_>)) {
    let (i, o, e) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    for (n, fd) in [i.as_fd(), o.as_fd(), e.as_fd()].into_iter().enumerate() {
        f(n, fd);
    }
}

/// Which of stdin, stdout and stderr are terminals.
pub(super) fn std_terminals() -> [bool; 3] {
    let mut t = [false; 3];
    each_std_stream(|n, fd| t[n] = sys::tcgetattr(fd).is_ok());
    t
}

/// Whether this process runs in the foreground of the terminal on stdin
/// (a background job that changed the terminal's mode would be stopped).
pub(super) fn in_foreground() -> bool {
    let stdin = std::io::stdin();
    sys::foreground_group(stdin.as_fd()).is_ok_and(|g| g == nix::unistd::getpgrp().as_raw())
}

/// The state of the terminals among the launcher's standard streams, put
/// back when the run ends however it ends (normal end, error, forwarded
/// signal, time limit, and before the launcher suspends itself): the
/// payload may share them and change their modes or line discipline
/// (N_NULL leaves a dead terminal behind), and the relay makes stdin raw.
pub(super) struct Terminals {
    /// Stream index (0–2), attributes, line discipline.
    saved: Vec<(usize, libc::termios, libc::c_int)>,
}

impl Terminals {
    /// Records the modes now.
    pub(super) fn save() -> Terminals {
        let mut saved = Vec::new();
        each_std_stream(|n, fd| {
            let Ok(attrs) = sys::tcgetattr(fd) else {
                return;
            };
            if let Ok(ld) = sys::line_discipline(fd) {
                saved.push((n, attrs, ld));
            }
        });
        Terminals { saved }
    }

    /// Puts back what changed since `save`.
    pub(super) fn restore(&self) {
        each_std_stream(|n, fd| {
            let Some((_, attrs, ld)) = self.saved.iter().find(|s| s.0 == n) else {
                return;
            };
            // Only what changed is set back: a launcher in a background
            // job that touched the terminal would be stopped by SIGTTOU.
            if sys::line_discipline(fd).is_ok_and(|now| now != *ld) {
                let _ = sys::set_line_discipline(fd, *ld);
            }
            if sys::tcgetattr(fd).is_ok_and(|now| !same_mode(&now, attrs)) {
                let _ = sys::tcsetattr_now(fd, attrs);
            }
        });
    }

    /// Makes stdin's terminal raw (no echo, no line editing, no signals
    /// from keys): every key goes to the payload's terminal, whose own
    /// line discipline then acts on it (Ctrl-C, Ctrl-Z included).
    pub(super) fn raw(&self) {
        let Some((_, attrs, _)) = self.saved.iter().find(|s| s.0 == 0) else {
            return;
        };
        let _ = sys::tcsetattr_now(std::io::stdin().as_fd(), &sys::raw_mode(attrs));
    }
}

impl Drop for Terminals {
    fn drop(&mut self) {
        self.restore();
    }
}

fn same_mode(a: &libc::termios, b: &libc::termios) -> bool {
    (a.c_iflag, a.c_oflag, a.c_cflag, a.c_lflag, a.c_cc)
        == (b.c_iflag, b.c_oflag, b.c_cflag, b.c_lflag, b.c_cc)
}

/// Gives the payload's terminal the window size of the launcher's.
pub(super) fn copy_window_size(master: BorrowedFd<'_>) {
    let (stdin, stdout) = (std::io::stdin(), std::io::stdout());
    let size = sys::window_size(stdout.as_fd()).or_else(|_| sys::window_size(stdin.as_fd()));
    if let Ok(size) = size {
        let _ = sys::set_window_size(master, &size);
    }
}

/// Stops this process as a terminal's Ctrl-Z would (SIGTSTP, which the
/// launcher otherwise takes through its signalfd), and returns once it is
/// continued (`fg`). In an orphaned process group the kernel discards the
/// signal and this returns at once: nobody could continue it.
pub(super) fn suspend_self() {
    use nix::sys::signal::{pthread_sigmask, SigSet, SigmaskHow, Signal};
    let tstp = SigSet::from(Signal::SIGTSTP);
    // Directed at this thread, the only one that unblocks it.
    let _ = sys::signal_this_thread(libc::SIGTSTP);
    let _ = pthread_sigmask(SigmaskHow::SIG_UNBLOCK, Some(&tstp), None);
    let _ = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&tstp), None);
}

/// Copies host stdin to the payload's terminal and the terminal to host
/// stdout, on its own thread, until the terminal reports that every
/// process holding it is gone (then everything it wrote has been read).
pub(super) struct Relay {
    stop: Option<OwnedFd>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Input held for the terminal at most (stdin is not read while full).
const INPUT_BUFFER: usize = 64 * 1024;

impl Relay {
    /// Starts relaying `master`.
    pub(super) fn start(master: File) -> std::io::Result<Relay> {
        let (stop_rx, stop_tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
        // The master is this launcher's alone: non-blocking, so neither
        // direction can hold the other up.
        let flags = nix::fcntl::fcntl(&master, nix::fcntl::FcntlArg::F_GETFL)?;
        let flags = nix::fcntl::OFlag::from_bits_retain(flags) | nix::fcntl::OFlag::O_NONBLOCK;
        nix::fcntl::fcntl(&master, nix::fcntl::FcntlArg::F_SETFL(flags))?;
        let thread = std::thread::Builder::new()
            .name("stockade-pty".into())
            .spawn(move || relay(&master, &stop_rx))?;
        Ok(Relay {
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Ends the relay once the terminal is drained (the sandbox is over).
    pub(super) fn finish(mut self) {
        self.end();
    }

    fn end(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.end();
    }
}

/// The launcher's terminal went away (its emulator closed, the connection
/// dropped): the payload hears SIGHUP, as it would on that terminal. The
/// signal goes to this process, whose wait loop forwards it.
fn hang_up() {
    let _ = nix::sys::signal::kill(nix::unistd::getpid(), nix::sys::signal::Signal::SIGHUP);
}

/// What reading the master gave.
enum Drained {
    /// Nothing more for now.
    Later,
    /// Every process holding the terminal is gone, or stdout is.
    Done,
}

/// Copies what the terminal has to stdout.
fn drain(master: &File, out: &mut std::io::StdoutLock<'_>, buf: &mut [u8]) -> Drained {
    loop {
        match nix::unistd::read(master, buf) {
            Ok(0) | Err(Errno::EIO) => return Drained::Done,
            Ok(n) => {
                if out.write_all(&buf[..n]).and_then(|()| out.flush()).is_err() {
                    return Drained::Done;
                }
            }
            Err(Errno::EINTR) => {}
            Err(_) => return Drained::Later,
        }
    }
}

fn relay(master: &File, stop: &OwnedFd) {
    let stdin = std::io::stdin();
    let input = stdin.as_fd();
    let mut out = std::io::stdout().lock();
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    let mut input_open = true;
    let is_terminal = sys::tcgetattr(input).is_ok();
    loop {
        let mut want = PollFlags::POLLIN;
        if !pending.is_empty() {
            want |= PollFlags::POLLOUT;
        }
        let mut fds = vec![
            PollFd::new(stop.as_fd(), PollFlags::POLLIN),
            PollFd::new(master.as_fd(), want),
        ];
        let reading = input_open && pending.len() < INPUT_BUFFER;
        if reading {
            fds.push(PollFd::new(input, PollFlags::POLLIN));
        }
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(_) => return,
        }
        let ready = |i: usize| {
            fds.get(i)
                .and_then(|f| f.revents())
                .unwrap_or(PollFlags::empty())
        };
        let (stopped, term, typed) = (ready(0), ready(1), ready(2));
        drop(fds);
        if !term.is_empty() && matches!(drain(master, &mut out, &mut buf), Drained::Done) {
            return;
        }
        if term.contains(PollFlags::POLLOUT) && !pending.is_empty() {
            match nix::unistd::write(master, &pending) {
                Ok(n) => drop(pending.drain(..n)),
                Err(Errno::EAGAIN | Errno::EINTR) => {}
                Err(_) => pending.clear(),
            }
        }
        // stdin is shared with the shell that started the launcher, so it
        // stays blocking: read only what is there. A readiness seen before
        // the launcher was suspended may be stale (the shell read the
        // input meanwhile); a read would then block the relay.
        let waiting = match sys::bytes_to_read(input) {
            Ok(n) => n > 0 || !is_terminal,
            Err(_) => true,
        };
        let hung_up = typed.intersects(PollFlags::POLLHUP | PollFlags::POLLERR);
        if reading && !typed.is_empty() && (waiting || hung_up) {
            match nix::unistd::read(input, &mut buf) {
                Ok(0) if is_terminal => {
                    input_open = false;
                    hang_up();
                }
                Ok(0) => {
                    // End of input: the terminal's end-of-file character,
                    // as if typed (stdin was a file or a pipe).
                    input_open = false;
                    pending.push(0x04);
                }
                Ok(n) => pending.extend_from_slice(&buf[..n]),
                Err(Errno::EINTR | Errno::EAGAIN) => {}
                Err(_) => {
                    input_open = false;
                    if is_terminal {
                        hang_up();
                    }
                }
            }
        }
        if !stopped.is_empty() {
            // The sandbox is over: what its processes wrote is in the
            // master, to be read before the launcher reports the end.
            let _ = drain(master, &mut out, &mut buf);
            return;
        }
    }
}
