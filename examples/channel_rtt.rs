#![allow(unsafe_code)]
//! Channel round trips (1 byte, 4 KiB, 1 byte with a descriptor) between a
//! host and a payload sandboxed under `strict`, next to the same ping-pong
//! over a raw SOCK_SEQPACKET socketpair between two threads, and between
//! two processes (a fork, no sandbox): what the channel adds to the
//! kernel's own cost, and how much of that is the process boundary.
//! Prints medians in microseconds.
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

/// Raw ping-pong over a socketpair with an echoing thread, or with an
/// echoing child process (`process`).
fn raw(payload: &[u8], with_fd: bool, process: bool) -> f64 {
    let (a, b) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .unwrap();
    let echo = move || {
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
    };
    let (child, thread) = if process {
        // SAFETY: no other thread runs here (main measures every baseline
        // before the first sandbox; the thread rows joined theirs): the
        // child may allocate, and leaves with `_exit`.
        match unsafe { nix::unistd::fork() }.unwrap() {
            nix::unistd::ForkResult::Child => {
                drop(a);
                echo();
                // SAFETY: ends the forked child without the parent's exit handlers.
                unsafe { libc::_exit(0) }
            }
            nix::unistd::ForkResult::Parent { child } => {
                // The child's end, closed here so the child sees the end.
                drop(echo);
                (Some(child), None)
            }
        }
    } else {
        (None, Some(std::thread::spawn(echo)))
    };
    let null = std::fs::File::open("/dev/null").unwrap();
    let fd = [null.as_raw_fd()];
    let mut buf = vec![0u8; 65536];
    let mut times = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
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
    drop(a);
    if let Some(t) = thread {
        let _ = t.join();
    }
    if let Some(pid) = child {
        let _ = nix::sys::wait::waitpid(pid, None);
    }
    median(times)
}

/// The same through a sandboxed payload's channel.
fn sandboxed(payload: &[u8], with_fd: bool) -> f64 {
    let me = std::env::current_exe().unwrap();
    let mut child = Sandbox::from_profile("strict")
        .unwrap()
        .bind_ro_at(me.to_str().unwrap(), "/rtt")
        .args(["/rtt", "echo"])
        .stdout(Stdio::Null)
        .channel(None)
        .spawn()
        .unwrap();
    let chan = child.channel().unwrap();
    let null = std::fs::File::open("/dev/null").unwrap();
    let mut times = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let fds = if with_fd { vec![null.as_fd()] } else { vec![] };
        chan.send(payload, &fds).unwrap();
        let m = chan.recv().unwrap();
        assert_eq!(m.data.len(), payload.len());
        times.push(start.elapsed());
    }
    child.close_channel();
    let _ = child.wait();
    median(times)
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("echo") {
        return echo();
    }
    let small = [7u8; 1];
    let page = [7u8; 4096];
    println!("| message | raw SOCK_SEQPACKET, threads | stockade channel | ratio | raw, processes | channel vs processes |");
    println!("|---|---|---|---|---|---|");
    let rows = [
        ("1 B", &small[..], false),
        ("4 KiB", &page[..], false),
        ("1 B + a descriptor", &small[..], true),
    ];
    // Every raw baseline first: the process rows fork, which they may do
    // only while no other thread exists, and the first sandbox starts
    // stockade's watcher thread for the rest of the process.
    let baselines: Vec<(f64, f64)> = rows
        .iter()
        .map(|&(_, data, fd)| (raw(data, fd, false), raw(data, fd, true)))
        .collect();
    for ((what, data, fd), (r, p)) in rows.into_iter().zip(baselines) {
        let s = sandboxed(data, fd);
        println!(
            "| {what} | {r:.2} µs | {s:.2} µs | {:.2}x | {p:.2} µs | {:.2}x |",
            s / r,
            s / p
        );
    }
}
