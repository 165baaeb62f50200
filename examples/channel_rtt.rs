#![allow(unsafe_code)]
//! Channel round trips (1 byte, 4 KiB, 1 byte with a descriptor) between a
//! host and a payload sandboxed under `strict`, next to the same ping-pong
//! over a raw SOCK_SEQPACKET socketpair between two threads, and between
//! two processes (a fork, no sandbox): what the channel adds to the
//! kernel's own cost, and how much of that is the process boundary.
//! Prints medians in microseconds; the three take turns in blocks of
//! round trips, so that the machine's drift reaches them alike.
//!
//! Run with `cargo run --release --example channel_rtt` (benches/compare.sh
//! does).

use nix::sys::socket::{
    recvmsg, sendmsg, socketpair, AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags,
    SockFlag, SockType,
};
use std::io::IoSliceMut;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};
use stockade::channel::Client;
use stockade::sandbox::{Sandbox, Stdio};

const ROUNDS: usize = 20_000;

/// The payload: echoes every message with its descriptors.
fn echo() {
    let chan = Client::from_env().expect("STOCKADE_CHANNEL_FD");
    while let Ok(m) = chan.recv() {
        let fds: Vec<_> = m.fds.iter().map(|f| f.as_fd()).collect();
        if chan.send(&m.data, &fds).is_err() {
            break;
        }
    }
}

fn median(mut t: Vec<Duration>) -> f64 {
    t.sort();
    t[t.len() / 2].as_secs_f64() * 1e6
}

/// Echoes every message on `b`, with its descriptors, until the other
/// end closes.
fn echo_raw(b: OwnedFd) {
    let mut buf = vec![0u8; 65536];
    loop {
        let mut cmsg = nix::cmsg_space!([std::os::fd::RawFd; 1]);
        let mut iov = [IoSliceMut::new(&mut buf)];
        let Ok(m) = recvmsg::<()>(b.as_raw_fd(), &mut iov, Some(&mut cmsg), MsgFlags::empty())
        else {
            return;
        };
        let n = m.bytes;
        if n == 0 {
            return;
        }
        let fds: Vec<OwnedFd> = m
            .cmsgs()
            .unwrap()
            .flat_map(|c| match c {
                ControlMessageOwned::ScmRights(v) => v,
                _ => vec![],
            })
            .map(|fd| {
                // SAFETY: the kernel just gave this process the descriptor.
                unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) }
            })
            .collect();
        let raw: Vec<_> = fds.iter().map(|f| f.as_raw_fd()).collect();
        let cm = [ControlMessage::ScmRights(&raw)];
        let cms: &[ControlMessage] = if raw.is_empty() { &[] } else { &cm };
        let iov = [std::io::IoSlice::new(&buf[..n])];
        if sendmsg::<()>(b.as_raw_fd(), &iov, cms, MsgFlags::empty(), None).is_err() {
            return;
        }
    }
}

fn pair() -> (OwnedFd, OwnedFd) {
    socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .unwrap()
}

/// `n` raw round trips of `payload` (and a descriptor) on `a`, each timed.
fn raw_trips(a: &OwnedFd, payload: &[u8], with_fd: bool, n: usize, times: &mut Vec<Duration>) {
    let null = std::fs::File::open("/dev/null").unwrap();
    let fd = [null.as_raw_fd()];
    let mut buf = vec![0u8; 65536];
    for _ in 0..n {
        let start = Instant::now();
        let cm = [ControlMessage::ScmRights(&fd)];
        let cms: &[ControlMessage] = if with_fd { &cm } else { &[] };
        let iov = [std::io::IoSlice::new(payload)];
        sendmsg::<()>(a.as_raw_fd(), &iov, cms, MsgFlags::empty(), None).unwrap();
        let mut cmsg = nix::cmsg_space!([std::os::fd::RawFd; 1]);
        let mut iov = [IoSliceMut::new(&mut buf)];
        let m = recvmsg::<()>(a.as_raw_fd(), &mut iov, Some(&mut cmsg), MsgFlags::empty()).unwrap();
        for c in m.cmsgs().unwrap() {
            if let ControlMessageOwned::ScmRights(v) = c {
                for fd in v {
                    // SAFETY: received just now; closed at once.
                    drop(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) });
                }
            }
        }
        times.push(start.elapsed());
    }
}

/// The same through the sandboxed payload's channel.
fn channel_trips(
    chan: &stockade::channel::Channel,
    payload: &[u8],
    with_fd: bool,
    n: usize,
    times: &mut Vec<Duration>,
) {
    let null = std::fs::File::open("/dev/null").unwrap();
    for _ in 0..n {
        let start = Instant::now();
        let fds = if with_fd { vec![null.as_fd()] } else { vec![] };
        chan.send(payload, &fds).unwrap();
        let m = chan.recv().unwrap();
        assert_eq!(m.data.len(), payload.len());
        times.push(start.elapsed());
    }
}

/// Round trips measured in blocks of this many, the three ends taking
/// turns, so that the machine's drift reaches all three alike.
const BLOCK: usize = 500;

fn main() {
    if std::env::args().nth(1).as_deref() == Some("echo") {
        return echo();
    }
    // Every end exists before the measuring starts: the echoing process
    // is forked first, while no other thread exists (the first sandbox
    // starts stockade's watcher thread for the rest of the process).
    let (proc_end, theirs) = pair();
    // SAFETY: no other thread runs yet: the child may allocate, and
    // leaves with `_exit`.
    let child = match unsafe { nix::unistd::fork() }.unwrap() {
        nix::unistd::ForkResult::Child => {
            drop(proc_end);
            echo_raw(theirs);
            // SAFETY: ends the forked child without the parent's exit handlers.
            unsafe { libc::_exit(0) }
        }
        nix::unistd::ForkResult::Parent { child } => {
            drop(theirs);
            child
        }
    };
    let (thread_end, theirs) = pair();
    let thread = std::thread::spawn(move || echo_raw(theirs));
    let me = std::env::current_exe().unwrap();
    let mut sandbox = Sandbox::from_profile("strict")
        .unwrap()
        .bind_ro_at(me.to_str().unwrap(), "/rtt")
        .args(["/rtt", "echo"])
        .stdout(Stdio::Null)
        .channel(None)
        .spawn()
        .unwrap();

    let small = [7u8; 1];
    let page = [7u8; 4096];
    println!("| message | raw SOCK_SEQPACKET, threads | stockade channel | ratio | raw, processes | channel vs processes |");
    println!("|---|---|---|---|---|---|");
    let rows = [
        ("1 B", &small[..], false),
        ("4 KiB", &page[..], false),
        ("1 B + a descriptor", &small[..], true),
    ];
    for (what, data, fd) in rows {
        let chan = sandbox.channel().unwrap();
        let mut t = [Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..ROUNDS / BLOCK {
            raw_trips(&thread_end, data, fd, BLOCK, &mut t[0]);
            channel_trips(chan, data, fd, BLOCK, &mut t[1]);
            raw_trips(&proc_end, data, fd, BLOCK, &mut t[2]);
        }
        let [r, s, p] = t.map(median);
        println!(
            "| {what} | {r:.2} µs | {s:.2} µs | {:.2}x | {p:.2} µs | {:.2}x |",
            s / r,
            s / p
        );
    }
    sandbox.close_channel();
    let _ = sandbox.wait();
    drop((thread_end, proc_end));
    let _ = thread.join();
    let _ = nix::sys::wait::waitpid(child, None);
}
