//! The channel between the launcher and the payload: a SOCK_SEQPACKET
//! socket pair, so every message arrives whole; messages are bounded in
//! size and in the descriptors they carry (SCM_RIGHTS). Nothing the payload
//! sends can block, crash or confuse the launcher: oversize messages and
//! messages with too many descriptors are discarded (their descriptors
//! closed) and reported as errors, and sends never block.
//!
//! A message carries at least one byte or one descriptor: a zero-length
//! read is how a SOCK_SEQPACKET socket says the other side closed, so an
//! empty message would arrive as the end of the channel. Sending one is
//! refused ([`ChannelError::Empty`]) on both sides.

use crate::diag::OsError;
use crate::policy::ChannelLimits;
use crate::process::Outcome;
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags};
use std::future::Future;
use std::io::IoSlice;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

pub use crate::policy::{
    socket_path_in_view, ENV_FD, ENV_MAX_FDS, ENV_MAX_MESSAGE, ENV_SOCKET, SOCKET_DIR_IN_VIEW,
    SOCKET_NAME,
};
/// Hard ceiling on descriptors per message.
pub const FD_CEILING: usize = 64;

/// A received message.
///
/// ```no_run
/// # use stockade::sandbox::Sandbox;
/// let child = Sandbox::from_profile("strict")?.args(["./plugin"]).channel(None).spawn()?;
/// let m = child.channel().unwrap().recv()?;
/// let files: Vec<std::fs::File> = m.fds.into_iter().map(Into::into).collect();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Message {
    /// The bytes.
    pub data: Vec<u8>,
    /// Descriptors that came with it (close-on-exec).
    pub fds: Vec<OwnedFd>,
}

/// Channel errors. The channel stays usable after all but `Closed`.
///
/// ```no_run
/// # use stockade::sandbox::Sandbox;
/// # use stockade::channel::ChannelError;
/// let child = Sandbox::from_profile("strict")?.args(["./plugin"]).channel(None).spawn()?;
/// match child.channel().unwrap().recv_timeout(std::time::Duration::from_secs(1)) {
///     Ok(m) => println!("{:?}", m.data),
///     Err(ChannelError::TimedOut) => child.kill(),
///     Err(ChannelError::Ended(outcome)) => println!("gone: {outcome:?}"),
///     Err(e) => eprintln!("{e}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChannelError {
    /// The message is larger than the limit (it was discarded).
    #[error("message of {size} bytes is larger than the channel's limit of {max}")]
    TooLarge {
        /// Its size (at least `max + 1`).
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The message carries more descriptors than the limit (it was
    /// discarded and the descriptors closed).
    #[error("message carries more than {max} file descriptors")]
    TooManyFds {
        /// The limit.
        max: usize,
    },
    /// The other side is gone.
    #[error("the channel is closed")]
    Closed,
    /// The message has no bytes and no descriptors: the other side would
    /// read it as the end of the channel (nothing was sent).
    #[error("an empty message cannot be sent: the other side would read it as the end of the channel (send at least one byte or one descriptor)")]
    Empty,
    /// Sending would block: the other side is not reading.
    #[error("the other side is not reading (channel buffer full)")]
    WouldBlock,
    /// A connection to the filesystem socket came from outside the
    /// sandbox or from another user; it was closed.
    #[error("refused a channel connection from pid {pid} uid {uid}: {why}")]
    Rejected {
        /// Peer pid, in the launcher's PID namespace.
        pid: i32,
        /// Peer uid, as the launcher sees it.
        uid: u32,
        /// Why.
        why: &'static str,
    },
    /// The sandbox ended (killed by its filter, out of time, exited, ...);
    /// every pending and later operation of a host's channel says so.
    #[error("the sandbox ended ({0:?})")]
    Ended(Outcome),
    /// The time given to `recv_timeout` or `send_timeout` ran out.
    #[error("timed out waiting on the channel")]
    TimedOut,
    /// Anything else.
    #[error("channel: {0}")]
    Io(OsError),
}

/// Has stockade's supervisor thread wake the task once `fd` is ready for
/// `events`; the registration lives in `armed`.
fn arm<T>(
    fd: BorrowedFd<'_>,
    events: crate::watch::EpollFlags,
    cx: &mut std::task::Context<'_>,
    armed: &mut Option<crate::watch::Readiness>,
) -> Poll<Result<T, ChannelError>> {
    match crate::watch::Readiness::new(fd, events, cx.waker().clone()) {
        Ok(r) => {
            *armed = Some(r);
            Poll::Pending
        }
        Err(e) => Poll::Ready(Err(io(io_errno(e)))),
    }
}

fn io(e: Errno) -> ChannelError {
    ChannelError::Io(OsError::of(e))
}

fn io_errno(e: std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}

/// What a host's channel watches besides its socket: the sandbox's end.
pub(crate) trait EndWatch: std::fmt::Debug + Send + Sync {
    /// Readable once the sandbox is over (its init's pidfd).
    fn ended_fd(&self) -> BorrowedFd<'_>;
    /// The outcome, waiting at most `wait` for it to be known.
    fn outcome_within(&self, wait: Duration) -> Option<Outcome>;
}

/// How long the outcome may take once the sandbox's init has exited.
const OUTCOME_WAIT: Duration = Duration::from_secs(5);

/// One end of the channel. A host's end (from [`crate::sandbox::Child`])
/// also watches the sandbox: once it has ended, every operation returns
/// [`ChannelError::Ended`] with the outcome, at once, whatever the payload
/// left unsaid.
///
/// ```no_run
/// # use stockade::sandbox::Sandbox;
/// let child = Sandbox::from_profile("strict")?.args(["./plugin"]).channel(None).spawn()?;
/// let chan = child.channel().unwrap();
/// chan.send(b"ping", &[])?;
/// let pong = chan.recv()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Channel {
    fd: OwnedFd,
    limits: ChannelLimits,
    watch: Option<Arc<dyn EndWatch>>,
    /// The supervisor shuts this socket down for reading once the sandbox
    /// is over, which ends a receive blocked in `recvmsg`.
    reads_end_with_sandbox: bool,
}

impl Channel {
    /// A connected pair: the launcher's end and the payload's descriptor.
    ///
    /// ```no_run
    /// # use stockade::channel::*;
    /// # use stockade::sandbox::Sandbox;
    /// # use std::time::Duration;
    /// let (host, payload_end) = Channel::pair(Default::default())?;
    /// let child = Sandbox::from_profile("strict")?
    ///     .pass_fd(std::os::fd::AsRawFd::as_raw_fd(&payload_end), 3)
    ///     .args(["./plugin"])
    ///     .spawn()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pair(limits: ChannelLimits) -> Result<(Channel, OwnedFd), ChannelError> {
        let (a, b) = crate::sys::seqpacket_pair().map_err(io)?;
        Ok((Channel::from_fd(a, limits), b))
    }

    /// Wraps a connected SOCK_SEQPACKET socket.
    ///
    /// ```no_run
    /// # use stockade::channel::*;
    /// # use stockade::sandbox::Sandbox;
    /// # use std::time::Duration;
    /// // e.g. a descriptor that arrived in a message, or the payload's end
    /// let (_host, theirs) = Channel::pair(Default::default())?;
    /// let chan = Channel::from_fd(theirs, Default::default());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_fd(fd: OwnedFd, limits: ChannelLimits) -> Channel {
        Channel {
            fd,
            limits,
            watch: None,
            reads_end_with_sandbox: false,
        }
    }

    pub(crate) fn watching(mut self, watch: Option<Arc<dyn EndWatch>>) -> Channel {
        self.watch = watch;
        self
    }

    /// A duplicate of the socket for the supervisor, which shuts it down
    /// for reading once the sandbox is over (see `watch::watch`): from then
    /// on a receive returns what was sent before the end, then the end, so
    /// one without a deadline may block in `recvmsg` instead of polling the
    /// sandbox's end beside the socket.
    pub(crate) fn reads_end_with_sandbox(&mut self) -> std::io::Result<OwnedFd> {
        let dup = self.fd.try_clone()?;
        self.reads_end_with_sandbox = true;
        Ok(dup)
    }

    /// The limits in force.
    ///
    /// ```no_run
    /// # use stockade::channel::*;
    /// # use stockade::sandbox::Sandbox;
    /// # use std::time::Duration;
    /// let child = Sandbox::from_profile("strict")?.args(["./plugin"]).channel(None).spawn()?;
    /// println!("{:?}", child.channel().unwrap().limits());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn limits(&self) -> ChannelLimits {
        self.limits
    }

    /// Sends one message, never blocking: [`ChannelError::WouldBlock`]
    /// when the other side is not reading.
    ///
    /// ```no_run
    /// # use stockade::channel::*;
    /// # use stockade::sandbox::Sandbox;
    /// # use std::time::Duration;
    /// let child = Sandbox::from_profile("strict")?.args(["./plugin"]).channel(None).spawn()?;
    /// let file = std::fs::File::open("data.bin")?;
    /// child.channel().unwrap().send(b"here is a file", &[std::os::fd::AsFd::as_fd(&file)])?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send(&self, data: &[u8], fds: &[BorrowedFd<'_>]) -> Result<(), ChannelError> {
        match self.send_now(data, fds) {
            Err(ChannelError::Closed) => Err(self.closed(Some(Instant::now()))),
            r => r,
        }
    }

    /// Sends one message, waiting at most `wait` for room in the other
    /// side's buffer.
    ///
    /// ```no_run
    /// # use stockade::channel::*;
    /// # use stockade::sandbox::Sandbox;
    /// # use std::time::Duration;
    /// let child = Sandbox::from_profile("strict")?.args(["./plugin"]).channel(None).spawn()?;
    /// child.channel().unwrap().send_timeout(b"request", &[], Duration::from_secs(1))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_timeout(
        &self,
        data: &[u8],
        fds: &[BorrowedFd<'_>],
        wait: Duration,
    ) -> Result<(), ChannelError> {
        let deadline = Instant::now() + wait;
        loop {
            match self.send_now(data, fds) {
                Err(ChannelError::WouldBlock) => {
                    self.wait_for(PollFlags::POLLOUT, Some(deadline))?
                }
                Err(ChannelError::Closed) => return Err(self.closed(Some(deadline))),
                r => return r,
            }
        }
    }

    fn send_now(&self, data: &[u8], fds: &[BorrowedFd<'_>]) -> Result<(), ChannelError> {
        if data.is_empty() && fds.is_empty() {
            return Err(ChannelError::Empty);
        }
        if data.len() > self.limits.max_message {
            return Err(ChannelError::TooLarge {
                size: data.len(),
                max: self.limits.max_message,
            });
        }
        if fds.len() > self.limits.max_fds.min(FD_CEILING) {
            return Err(ChannelError::TooManyFds {
                max: self.limits.max_fds,
            });
        }
        let mut numbers = [0; FD_CEILING];
        for (n, f) in numbers.iter_mut().zip(fds) {
            *n = f.as_raw_fd();
        }
        let raw = numbers.get(..fds.len()).unwrap_or_default();
        let cmsg = [ControlMessage::ScmRights(raw)];
        let cmsgs: &[ControlMessage<'_>] = if raw.is_empty() { &[] } else { &cmsg };
        match sendmsg::<()>(
            self.fd.as_raw_fd(),
            &[IoSlice::new(data)],
            cmsgs,
            MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL,
            None,
        ) {
            Ok(_) => Ok(()),
            Err(Errno::EAGAIN) => Err(ChannelError::WouldBlock),
            Err(Errno::EPIPE | Errno::ECONNRESET | Errno::ENOTCONN) => Err(ChannelError::Closed),
            Err(e) => Err(io(e)),
        }
    }

    /// Receives one message, waiting for it (on a host's end, until the
    /// sandbox ends).
    ///
    /// ```no_run
    /// # use stockade::channel::*;
    /// # use stockade::sandbox::Sandbox;
    /// # use std::time::Duration;
    /// let child = Sandbox::from_profile("strict")?.args(["./plugin"]).channel(None).spawn()?;
    /// match child.channel().unwrap().recv() {
    ///     Ok(m) => println!("{} bytes, {} fds", m.data.len(), m.fds.len()),
    ///     Err(ChannelError::Ended(o)) => println!("the plugin ended: {o:?}"),
    ///     Err(e) => return Err(e.into()),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv(&self) -> Result<Message, ChannelError> {
        self.recv_until(None)
    }

    /// Receives one message, waiting at most `wait`.
    ///
    /// ```no_run
    /// # use stockade::channel::*;
    /// # use stockade::sandbox::Sandbox;
    /// # use std::time::Duration;
    /// let child = Sandbox::from_profile("strict")?.args(["./plugin"]).channel(None).spawn()?;
    /// match child.channel().unwrap().recv_timeout(Duration::from_secs(2)) {
    ///     Err(ChannelError::TimedOut) => child.kill(),
    ///     other => println!("{other:?}"),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv_timeout(&self, wait: Duration) -> Result<Message, ChannelError> {
        self.recv_until(Some(Instant::now() + wait))
    }

    /// Receives one message, as a future any executor can await (stockade's
    /// supervisor thread wakes the task when the socket is ready). Ends
    /// like [`Channel::recv`]: with the outcome once the sandbox is over.
    ///
    /// ```no_run
    /// # use stockade::channel::*;
    /// # use stockade::sandbox::Sandbox;
    /// # use std::time::Duration;
    /// let child = Sandbox::from_profile("strict")?.args(["./plugin"]).channel(None).spawn()?;
    /// let reply = async { child.channel().unwrap().recv_async().await }; // poll it with any executor
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv_async(&self) -> impl Future<Output = Result<Message, ChannelError>> + '_ {
        // The registration lives until the next poll or the future's drop.
        let mut armed: Option<crate::watch::Readiness> = None;
        std::future::poll_fn(move |cx| {
            drop(armed.take());
            match self.try_recv() {
                Ok(Some(m)) => return Poll::Ready(Ok(m)),
                Ok(None) | Err(ChannelError::Io(OsError(libc::EINTR))) => {}
                // Closed, the sandbox not over yet: wait for its end.
                Err(ChannelError::Closed) if self.watch.is_some() => {
                    return self.arm_end(cx, &mut armed)
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
            self.arm(crate::watch::EpollFlags::EPOLLIN, cx, &mut armed)
        })
    }

    /// Sends one message, as a future that waits for room in the other
    /// side's buffer.
    ///
    /// ```no_run
    /// # use stockade::channel::*;
    /// # use stockade::sandbox::Sandbox;
    /// # use std::time::Duration;
    /// let child = Sandbox::from_profile("strict")?.args(["./plugin"]).channel(None).spawn()?;
    /// let sent = async { child.channel().unwrap().send_async(b"request", &[]).await };
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_async<'a>(
        &'a self,
        data: &'a [u8],
        fds: &'a [BorrowedFd<'a>],
    ) -> impl Future<Output = Result<(), ChannelError>> + 'a {
        let mut armed: Option<crate::watch::Readiness> = None;
        std::future::poll_fn(move |cx| {
            drop(armed.take());
            match self.send(data, fds) {
                Err(ChannelError::WouldBlock) => {}
                Err(ChannelError::Closed) if self.watch.is_some() => {
                    return self.arm_end(cx, &mut armed)
                }
                r => return Poll::Ready(r),
            }
            self.arm(crate::watch::EpollFlags::EPOLLOUT, cx, &mut armed)
        })
    }

    /// Asks stockade's supervisor thread to wake the task once the sandbox
    /// is over (its init's pidfd is readable).
    fn arm_end<T>(
        &self,
        cx: &mut std::task::Context<'_>,
        armed: &mut Option<crate::watch::Readiness>,
    ) -> Poll<Result<T, ChannelError>> {
        match &self.watch {
            Some(w) => arm(w.ended_fd(), crate::watch::EpollFlags::EPOLLIN, cx, armed),
            None => Poll::Ready(Err(ChannelError::Closed)),
        }
    }

    /// Asks stockade's supervisor thread to wake the task once the socket
    /// is ready for `events`.
    fn arm<T>(
        &self,
        events: crate::watch::EpollFlags,
        cx: &mut std::task::Context<'_>,
        armed: &mut Option<crate::watch::Readiness>,
    ) -> Poll<Result<T, ChannelError>> {
        arm(self.fd.as_fd(), events, cx, armed)
    }

    /// Receives one message if one is waiting.
    ///
    /// ```no_run
    /// # use stockade::channel::*;
    /// # use stockade::sandbox::Sandbox;
    /// # use std::time::Duration;
    /// let child = Sandbox::from_profile("strict")?.args(["./plugin"]).channel(None).spawn()?;
    /// if let Some(m) = child.channel().unwrap().try_recv()? {
    ///     println!("{:?}", m.data);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_recv(&self) -> Result<Option<Message>, ChannelError> {
        match self.receive(MsgFlags::MSG_DONTWAIT) {
            Err(ChannelError::Closed) => Err(self.closed(Some(Instant::now()))),
            r => r,
        }
    }

    fn recv_until(&self, deadline: Option<Instant>) -> Result<Message, ChannelError> {
        // With nothing but the socket to wait for (no deadline, and no end
        // to watch or one that shuts the socket down) a blocking receive is
        // the wait: one system call per message instead of a receive, a
        // poll and a receive again.
        let block = deadline.is_none() && (self.watch.is_none() || self.reads_end_with_sandbox);
        let flags = if block {
            MsgFlags::empty()
        } else {
            MsgFlags::MSG_DONTWAIT
        };
        loop {
            // Messages sent before the end are delivered first.
            match self.receive(flags) {
                Ok(Some(m)) => return Ok(m),
                Ok(None) | Err(ChannelError::Io(OsError(libc::EINTR))) => {}
                Err(ChannelError::Closed) => return Err(self.closed(deadline)),
                Err(e) => return Err(e),
            }
            self.wait_for(PollFlags::POLLIN, deadline)?;
        }
    }

    /// Waits until the socket is ready for `events` (or hung up), the
    /// sandbox ends, or the deadline passes.
    fn wait_for(&self, events: PollFlags, deadline: Option<Instant>) -> Result<(), ChannelError> {
        loop {
            let timeout = match deadline {
                None => PollTimeout::NONE,
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(ChannelError::TimedOut);
                    }
                    crate::sys::poll_timeout(left)
                }
            };
            let socket = PollFd::new(self.fd.as_fd(), events);
            let (mut fds, n) = match &self.watch {
                Some(w) => ([socket, PollFd::new(w.ended_fd(), PollFlags::POLLIN)], 2),
                None => ([socket.clone(), socket], 1),
            };
            match poll(&mut fds[..n], timeout) {
                Ok(0) | Err(Errno::EINTR) => continue,
                Ok(_) => {}
                Err(e) => return Err(io(e)),
            }
            if fds[0].any().unwrap_or(false) {
                return Ok(());
            }
            if let Some(w) = &self.watch {
                return Err(w
                    .outcome_within(OUTCOME_WAIT)
                    .map_or(ChannelError::Closed, ChannelError::Ended));
            }
        }
    }

    /// The error for a closed channel. On a host's end the payload's side
    /// closes when it dies, a moment before the sandbox is over: wait for
    /// the end until `deadline` (None: as long as it takes) and report the
    /// outcome; [`ChannelError::Closed`] means the payload closed its end
    /// and the sandbox was still running at the deadline.
    fn closed(&self, deadline: Option<Instant>) -> ChannelError {
        let Some(w) = &self.watch else {
            return ChannelError::Closed;
        };
        loop {
            let timeout = match deadline {
                None => PollTimeout::NONE,
                Some(d) => crate::sys::poll_timeout(d.saturating_duration_since(Instant::now())),
            };
            let mut fds = [PollFd::new(w.ended_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, timeout) {
                Ok(n) if n > 0 => {
                    return w
                        .outcome_within(OUTCOME_WAIT)
                        .map_or(ChannelError::Closed, ChannelError::Ended)
                }
                Err(Errno::EINTR) => continue,
                _ => return ChannelError::Closed,
            }
        }
    }

    fn receive(&self, extra: MsgFlags) -> Result<Option<Message>, ChannelError> {
        let max = self.limits.max_message;
        // Received into this thread's scratch buffer, then copied out at
        // the message's size: one zeroed buffer of the largest size per
        // thread, not one per call (a round trip otherwise zeroes 64 KiB
        // twice). Buffers above 1 MiB are not kept.
        thread_local! {
            static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        const KEEP: usize = 1 << 20;
        SCRATCH.with_borrow_mut(|scratch| {
            let mut own = Vec::new();
            let buf = if max < KEEP { scratch } else { &mut own };
            if buf.len() <= max {
                buf.resize(max + 1, 0);
            }
            self.receive_into(&mut buf[..=max], extra)
        })
    }

    fn receive_into(
        &self,
        buf: &mut [u8],
        extra: MsgFlags,
    ) -> Result<Option<Message>, ChannelError> {
        let max = self.limits.max_message;
        let flags = MsgFlags::MSG_TRUNC | extra;
        // A reset from a peer that closed with our message unread is read
        // past (`recv_with_fds`): what it sent before comes first.
        let (n, truncated, ctrunc, fds) =
            match crate::sys::recv_with_fds::<FD_CEILING>(self.fd.as_fd(), buf, flags) {
                Ok(m) => (m.len, m.truncated, m.fds_truncated, m.fds),
                Err(Errno::EAGAIN) => return Ok(None),
                Err(Errno::ECONNRESET) => return Err(ChannelError::Closed),
                Err(e) => return Err(io(e)),
            };
        if n == 0 && fds.is_empty() && !truncated {
            return Err(ChannelError::Closed);
        }
        if n > max || truncated {
            return Err(ChannelError::TooLarge {
                size: n.max(max + 1),
                max,
            });
        }
        if ctrunc || fds.len() > self.limits.max_fds {
            // The received descriptors are closed as `fds` drops.
            return Err(ChannelError::TooManyFds {
                max: self.limits.max_fds,
            });
        }
        Ok(Some(Message {
            data: buf[..n].to_vec(),
            fds,
        }))
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        // The supervisor holds a duplicate of this socket (see
        // `reads_end_with_sandbox`): closing this descriptor alone would
        // not close the channel, and the payload must read end-of-file.
        if self.reads_end_with_sandbox {
            let _ = crate::sys::shutdown(self.fd.as_fd(), nix::sys::socket::Shutdown::Both);
        }
    }
}

impl AsFd for Channel {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// The launcher's end of the channel socket. The sandbox's init binds the
/// listening socket at [`SOCKET_DIR_IN_VIEW`]/[`SOCKET_NAME`] on a private
/// tmpfs of the view (a directory only the sandbox user may enter) and
/// hands the listening descriptor to the launcher: nothing exists on the
/// host, no host path leads to it, and it ends with the sandbox. Every
/// connection's peer is checked against the sandbox's PID namespace,
/// through a pidfd pinned at connect time where the kernel has
/// `SO_PEERPIDFD` (Linux 6.5).
#[derive(Debug)]
pub struct SocketServer {
    listener: OwnedFd,
    limits: ChannelLimits,
    peer_uid: u32,
    pidns: Option<std::path::PathBuf>,
    watch: Option<Arc<dyn EndWatch>>,
}

impl SocketServer {
    /// Wraps the listening socket the sandbox whose init has host pid
    /// `init` sent; only its processes, running as host uid `peer_uid`,
    /// are accepted.
    pub(crate) fn new(
        listener: OwnedFd,
        limits: ChannelLimits,
        peer_uid: u32,
        init: i32,
        watch: Option<Arc<dyn EndWatch>>,
    ) -> std::io::Result<SocketServer> {
        use nix::fcntl::{fcntl, FcntlArg, OFlag};
        // A connection that vanishes between poll and accept must not block.
        fcntl(&listener, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
        Ok(SocketServer {
            listener,
            limits,
            peer_uid,
            pidns: std::fs::read_link(format!("/proc/{init}/ns/pid")).ok(),
            watch,
        })
    }

    /// The socket's path inside the sandbox (also in the payload's
    /// [`ENV_SOCKET`]).
    ///
    /// ```no_run
    /// # use stockade::channel::*;
    /// # use stockade::sandbox::Sandbox;
    /// # use std::time::Duration;
    /// let yaml = "version: 1\nextends: strict\nchannel: {socket: true}\n";
    /// let child = Sandbox::from_yaml(yaml)?.args(["./plugin"]).spawn()?;
    /// let path = child.socket().unwrap().path_in_sandbox();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path_in_sandbox(&self) -> std::path::PathBuf {
        socket_path_in_view()
    }

    /// Accepts one connection, waiting at most `wait`. A connection from
    /// outside the sandbox or from another uid is closed and reported as
    /// [`ChannelError::Rejected`].
    ///
    /// ```no_run
    /// # use stockade::channel::*;
    /// # use stockade::sandbox::Sandbox;
    /// # use std::time::Duration;
    /// let yaml = "version: 1\nextends: strict\nchannel: {socket: true}\n";
    /// let child = Sandbox::from_yaml(yaml)?.args(["./plugin"]).spawn()?;
    /// let server = child.socket().unwrap();
    /// while let Ok(Some(chan)) = server.accept(Some(Duration::from_secs(1))) {
    ///     chan.send(b"welcome", &[])?;
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accept(
        &self,
        wait: Option<std::time::Duration>,
    ) -> Result<Option<Channel>, ChannelError> {
        let timeout = match wait {
            None => PollTimeout::NONE,
            Some(d) => crate::sys::poll_timeout(d),
        };
        let mut fds = [PollFd::new(self.listener.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, timeout) {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(e) => return Err(io(e)),
        }
        self.accept_ready()
    }

    /// Accepts a connection that poll reported, without waiting.
    ///
    /// ```no_run
    /// # use stockade::channel::*;
    /// # use stockade::sandbox::Sandbox;
    /// # use std::time::Duration;
    /// let yaml = "version: 1\nextends: strict\nchannel: {socket: true}\n";
    /// let child = Sandbox::from_yaml(yaml)?.args(["./plugin"]).spawn()?;
    /// // after poll(2) reported the server's descriptor readable:
    /// if let Some(chan) = child.socket().unwrap().accept_ready()? {
    ///     chan.send(b"welcome", &[])?;
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accept_ready(&self) -> Result<Option<Channel>, ChannelError> {
        let raw = match crate::sys::accept(self.listener.as_fd()) {
            Ok(fd) => fd,
            Err(Errno::EAGAIN | Errno::ECONNABORTED) => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let cred = nix::sys::socket::getsockopt(&raw, nix::sys::socket::sockopt::PeerCredentials)
            .map_err(io)?;
        let (pid, uid) = (cred.pid(), cred.uid());
        let reject = |why| Err(ChannelError::Rejected { pid, uid, why });
        if uid != self.peer_uid {
            return reject("not the sandbox's user");
        }
        // The pidfd pins the process that connected: its pid cannot be
        // reused while it is alive, so a namespace read while it still is
        // belongs to it. Without SO_PEERPIDFD the pid alone is checked.
        let pidfd = match crate::sys::peer_pidfd(raw.as_fd()) {
            Ok(fd) => Some(fd),
            Err(Errno::ENOPROTOOPT | Errno::EINVAL) => None,
            Err(e) => return Err(io(e)),
        };
        let theirs = std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok();
        if let Some(p) = &pidfd {
            if crate::sys::pidfd_kill(p.as_fd(), 0).is_err() {
                return reject("the connecting process is gone");
            }
        }
        if self.pidns.is_none() || theirs != self.pidns {
            return reject("not a process of the sandbox");
        }
        Ok(Some(
            Channel::from_fd(raw, self.limits).watching(self.watch.clone()),
        ))
    }
}

impl AsFd for SocketServer {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.listener.as_fd()
    }
}

/// The payload's side: `Client::from_env()` inside the sandbox.
///
/// ```no_run
/// // a plugin written in Rust, run by a host with `.channel(None)`:
/// let chan = stockade::channel::Client::from_env()?;
/// while let Ok(m) = chan.recv() {
///     chan.send(&m.data, &[])?; // echo
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Client;

impl Client {
    /// The channel stockade passed to this process (`STOCKADE_CHANNEL_FD`),
    /// with the limits it announced. Takes ownership of the descriptor:
    /// call once.
    ///
    /// ```no_run
    /// # use stockade::channel::*;
    /// # use stockade::sandbox::Sandbox;
    /// # use std::time::Duration;
    /// // inside the sandbox, in a plugin written in Rust:
    /// let chan = Client::from_env()?;
    /// let request = chan.recv()?;
    /// chan.send(b"answer", &[])?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_env() -> Result<Channel, ChannelError> {
        let n: RawFd = std::env::var(ENV_FD)
            .ok()
            .and_then(|v| v.parse().ok())
            .ok_or(io(Errno::EBADF))?;
        let num = |k: &str, d: usize| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(d)
        };
        let d = ChannelLimits::default();
        let limits = ChannelLimits {
            max_message: num(ENV_MAX_MESSAGE, d.max_message),
            max_fds: num(ENV_MAX_FDS, d.max_fds),
            socket: false,
        };
        // Re-open through /proc so the process owns a descriptor it created
        // (and sets close-on-exec on it).
        let f = std::fs::File::open(format!("/proc/self/fd/{n}"));
        let fd = match f {
            Ok(f) => OwnedFd::from(f),
            Err(_) => crate::sys::dup_above(n, 3).map_err(io)?,
        };
        Ok(Channel::from_fd(fd, limits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(max_message: usize, max_fds: usize) -> (Channel, Channel) {
        let limits = ChannelLimits {
            max_message,
            max_fds,
            socket: false,
        };
        let (a, b) = Channel::pair(limits).unwrap();
        (a, Channel::from_fd(b, limits))
    }

    #[test]
    fn round_trip_with_descriptors() {
        let (a, b) = pair(64, 2);
        let f = std::fs::File::open("/proc/self/status").unwrap();
        a.send(b"hello", &[f.as_fd()]).unwrap();
        let m = b.recv().unwrap();
        assert_eq!(m.data, b"hello");
        assert_eq!(m.fds.len(), 1);
        let mut s = String::new();
        use std::io::Read;
        std::fs::File::from(m.fds.into_iter().next().unwrap())
            .read_to_string(&mut s)
            .unwrap();
        assert!(s.contains("Name:"));
    }

    #[test]
    fn limits_are_enforced_on_both_sides() {
        let (a, b) = pair(8, 1);
        assert_eq!(
            a.send(&[0; 9], &[]),
            Err(ChannelError::TooLarge { size: 9, max: 8 })
        );
        // A peer with looser limits sends something too big: discarded,
        // reported, and the next message still arrives.
        let (loose, strict_end) = Channel::pair(ChannelLimits {
            max_message: 1024,
            max_fds: 8,
            socket: false,
        })
        .unwrap();
        let strict = Channel::from_fd(
            strict_end,
            ChannelLimits {
                max_message: 8,
                max_fds: 1,
                socket: false,
            },
        );
        loose.send(&[1; 100], &[]).unwrap();
        assert!(matches!(
            strict.recv(),
            Err(ChannelError::TooLarge { max: 8, .. })
        ));
        let f1 = std::fs::File::open("/dev/null").unwrap();
        let f2 = std::fs::File::open("/dev/null").unwrap();
        loose.send(b"two", &[f1.as_fd(), f2.as_fd()]).unwrap();
        assert_eq!(
            strict.recv().unwrap_err(),
            ChannelError::TooManyFds { max: 1 }
        );
        loose.send(b"ok", &[]).unwrap();
        assert_eq!(strict.recv().unwrap().data, b"ok");
        let _ = (a, b);
    }

    #[test]
    fn a_reader_that_never_reads_makes_sends_fail_not_block() {
        let (a, _b) = pair(4096, 0);
        let mut sent = 0;
        let err = loop {
            match a.send(&[7; 4096], &[]) {
                Ok(()) => sent += 1,
                Err(e) => break e,
            }
            assert!(sent < 100_000, "the buffer never filled");
        };
        assert_eq!(err, ChannelError::WouldBlock);
    }

    #[test]
    fn a_receive_waits_for_the_message_then_for_the_close() {
        let (a, b) = pair(16, 0);
        let peer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            a.send(b"late", &[]).unwrap();
            std::thread::sleep(Duration::from_millis(50));
            drop(a);
        });
        assert_eq!(b.recv().unwrap().data, b"late");
        assert_eq!(b.recv().unwrap_err(), ChannelError::Closed);
        peer.join().unwrap();
    }

    #[test]
    fn an_empty_message_is_refused_not_read_as_the_end() {
        let (a, b) = pair(16, 1);
        assert_eq!(a.send(b"", &[]), Err(ChannelError::Empty));
        assert!(matches!(b.try_recv(), Ok(None)), "nothing was sent");
        // Descriptors alone are a message.
        let f = std::fs::File::open("/dev/null").unwrap();
        a.send(b"", &[f.as_fd()]).unwrap();
        let m = b.recv().unwrap();
        assert_eq!((m.data.len(), m.fds.len()), (0, 1));
        // Control: the raw socket's empty record reads as end-of-file.
        nix::sys::socket::send(a.as_fd().as_raw_fd(), b"", MsgFlags::empty()).unwrap();
        assert_eq!(b.recv().unwrap_err(), ChannelError::Closed);
    }

    #[test]
    fn closed_peer_is_reported() {
        let (a, b) = pair(16, 0);
        drop(b);
        assert_eq!(a.recv().unwrap_err(), ChannelError::Closed);
        assert_eq!(a.send(b"x", &[]), Err(ChannelError::Closed));
    }
}
