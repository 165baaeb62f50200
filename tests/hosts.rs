//! What a plugin host relies on whatever it is doing: a plugin killed by
//! its filter, out of time or gone ends every pending channel operation at
//! once with the outcome; supervision needs no call from the host; a
//! sandbox outlives the thread that spawned it.

mod common;
use common::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};
use stockade::channel::ChannelError;
use stockade::policy::Warning;
use stockade::sandbox::Outcome;
use stockade::sandbox::{Limit, Network, Sandbox, Stdio};

#[test]
fn every_test_here_also_holds_rootless() {
    every_other_test_rootless(
        "every_test_here_also_holds_rootless",
        "STOCKADE_HOSTS_INNER",
    );
}

fn python() -> bool {
    have("/usr/bin/python3", "the plugins are python scripts")
}

/// A plugin under the shipped `plugin` profile (its directory: the
/// scratch directory), running `script` in python.
fn plugin(script: &str) -> Sandbox {
    Sandbox::from_profile("plugin")
        .unwrap()
        .bind_ro_at(scratch_root().to_string_lossy(), "/plugin")
        .args(["python3", "-c", script])
        .channel(None)
}

/// Reads one request from the channel (fd in STOCKADE_CHANNEL_FD), then
/// runs `then`.
fn after_request(then: &str) -> String {
    format!(
        "import os, socket\n\
         s = socket.socket(fileno=int(os.environ['STOCKADE_CHANNEL_FD']))\n\
         s.recv(100)\n\
         {then}\n"
    )
}

/// Runs `f` on a thread and fails if it has not returned within `limit`.
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("still blocked after {limit:?}"))
}

#[test]
fn a_plugin_killed_mid_request_ends_the_hosts_recv_with_the_violation() {
    if !all_modes_work() || !python() {
        return;
    }
    // The plugin takes the request, then makes a call the `plugin` profile kills
    // (listen, through ctypes) instead of replying.
    let script = after_request("import ctypes; ctypes.CDLL(None).syscall(50, 0, 1)");
    let child = plugin(&script).spawn().unwrap();
    let (child, err, waited) = within(Duration::from_secs(90), move || {
        let chan = child.channel().unwrap();
        chan.send(b"request", &[]).unwrap();
        let t = Instant::now();
        let e = chan.recv().unwrap_err();
        (child, e, t.elapsed())
    });
    let ChannelError::Ended(Outcome::SeccompViolation { nr, .. }) = err else {
        panic!("recv ended with {err:?}, not the violation");
    };
    assert_eq!(nr, libc::SYS_listen as i32);
    assert!(waited < Duration::from_secs(60), "recv took {waited:?}");
    let mut child = child;
    assert!(matches!(
        child.wait().unwrap(),
        Outcome::SeccompViolation { .. }
    ));
    // Every later operation says the same, at once.
    let chan = child.channel().unwrap();
    assert!(matches!(
        chan.send(b"more", &[]),
        Err(ChannelError::Ended(Outcome::SeccompViolation { .. }))
    ));
    assert!(matches!(
        chan.try_recv(),
        Err(ChannelError::Ended(Outcome::SeccompViolation { .. }))
    ));
}

#[test]
fn the_time_limit_holds_while_the_host_waits_on_the_channel() {
    if !all_modes_work() || !python() {
        return;
    }
    // The plugin spins forever without reading the request (so the host
    // sees a reset, not an end-of-file); nothing but the channel is
    // touched by the host, and PID 1 enforces the limit (SIGTERM, then
    // SIGKILL: the plugin ignores SIGTERM).
    let script = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True: pass";
    let child = plugin(script)
        .wall_time(Duration::from_secs(1))
        .spawn()
        .unwrap();
    let (err, waited) = within(Duration::from_secs(90), move || {
        let chan = child.channel().unwrap();
        chan.send(b"request", &[]).unwrap();
        let t = Instant::now();
        let e = chan.recv().unwrap_err();
        (e, t.elapsed())
    });
    assert_eq!(err, ChannelError::Ended(Outcome::TimedOut));
    // One second, then the two-second grace before SIGKILL.
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(60),
        "recv returned after {waited:?}"
    );
}

#[test]
fn a_plugin_that_hands_the_host_its_own_end_still_ends_the_hosts_recv() {
    if !all_modes_work() || !python() {
        return;
    }
    // The plugin sends its end of the channel to the host and exits: the
    // host then holds both ends, so no end-of-file will ever come from the
    // peer. A receive blocked on the socket must still return with the
    // outcome once the sandbox is over.
    let script = after_request("socket.send_fds(s, [b'mine'], [s.fileno()])");
    let child = plugin(&script).spawn().unwrap();
    let (err, fds) = within(Duration::from_secs(90), move || {
        let chan = child.channel().unwrap();
        chan.send(b"request", &[]).unwrap();
        let mine = chan.recv().unwrap();
        assert_eq!(mine.data, b"mine");
        let e = chan.recv().unwrap_err();
        (e, mine.fds.len())
    });
    assert_eq!(fds, 1);
    assert_eq!(err, ChannelError::Ended(Outcome::Exited(0)));
    // Control: a channel whose peer end is held the same way, with no
    // sandbox to end it, receives nothing and does not end.
    let (chan, peer) = stockade::channel::Channel::pair(Default::default()).unwrap();
    let (_chan2, carrier) = stockade::channel::Channel::pair(Default::default()).unwrap();
    let holder = stockade::channel::Channel::from_fd(carrier, Default::default());
    holder
        .send(b"", &[std::os::fd::AsFd::as_fd(&peer)])
        .unwrap();
    drop(peer);
    assert_eq!(
        chan.recv_timeout(Duration::from_millis(300)).unwrap_err(),
        ChannelError::TimedOut
    );
}

#[test]
fn closing_the_channel_is_end_of_file_for_the_plugin() {
    if !all_modes_work() || !python() {
        return;
    }
    // The plugin counts messages until end-of-file and exits with the
    // count: the host's close must reach it although the supervisor holds
    // a duplicate of the host's end.
    let script = "import os, socket, sys\n\
                  s = socket.socket(fileno=int(os.environ['STOCKADE_CHANNEL_FD']))\n\
                  n = 0\n\
                  while s.recv(100):\n    n += 1\n\
                  sys.exit(10 + n)\n";
    let child = plugin(script).spawn().unwrap();
    let outcome = within(Duration::from_secs(90), move || {
        let mut child = child;
        let chan = child.channel().unwrap();
        chan.send(b"one", &[]).unwrap();
        chan.send(b"two", &[]).unwrap();
        child.close_channel();
        child.wait().unwrap()
    });
    assert_eq!(outcome, Outcome::Exited(12));
}

#[test]
fn a_plugin_s_last_message_arrives_though_it_left_one_of_the_host_s_unread() {
    if !all_modes_work() || !python() {
        return;
    }
    // The plugin answers without reading the host's message, and exits.
    // The kernel reports the unread message to the host as a reset, ahead
    // of the answer, which is still queued: the host must get the answer,
    // then the end.
    let script = "import os, socket\n\
                  s = socket.socket(fileno=int(os.environ['STOCKADE_CHANNEL_FD']))\n\
                  while s.recv(100, socket.MSG_PEEK) != b'never read':\n    pass\n\
                  s.send(b'last words')\n";
    let child = plugin(script).spawn().unwrap();
    let (outcome, first, then) = within(Duration::from_secs(90), move || {
        let mut child = child;
        child.channel().unwrap().send(b"never read", &[]).unwrap();
        // The plugin has sent its answer and ended before the host looks.
        let outcome = child.wait().unwrap();
        let chan = child.channel().unwrap();
        let first = chan.recv_timeout(Duration::from_secs(10));
        let then = chan.recv_timeout(Duration::from_secs(10));
        (outcome, first, then)
    });
    assert_eq!(outcome, Outcome::Exited(0));
    assert_eq!(first.unwrap().data, b"last words");
    assert!(then.is_err(), "{then:?}");
}

#[test]
fn a_plugin_that_exits_ends_a_pending_send() {
    if !all_modes_work() || !python() {
        return;
    }
    // The plugin never reads; the host fills its buffer, then waits for
    // room that never comes: the plugin's exit ends the wait.
    let script = "import time; time.sleep(1)";
    let child = plugin(script).spawn().unwrap();
    let (err, filled) = within(Duration::from_secs(90), move || {
        let chan = child.channel().unwrap();
        let mut filled = 0;
        while chan.send(&[0u8; 60000], &[]).is_ok() {
            filled += 1;
        }
        let e = chan
            .send_timeout(&[0u8; 60000], &[], Duration::from_secs(60))
            .unwrap_err();
        (e, filled)
    });
    assert!(filled > 0);
    assert_eq!(err, ChannelError::Ended(Outcome::Exited(0)));
}

#[test]
fn timeouts_on_the_channel_leave_the_sandbox_running() {
    if !all_modes_work() || !python() {
        return;
    }
    let script = after_request("import time; time.sleep(30)");
    let mut child = plugin(&script).spawn().unwrap();
    let chan = child.channel().unwrap();
    let t = Instant::now();
    assert_eq!(
        chan.recv_timeout(Duration::from_millis(300)).unwrap_err(),
        ChannelError::TimedOut
    );
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(30),
        "{waited:?}"
    );
    assert_eq!(child.try_wait().unwrap(), None);
    child.kill();
    assert_eq!(child.wait().unwrap(), Outcome::Killed);
    assert_eq!(
        child.channel().unwrap().recv().unwrap_err(),
        ChannelError::Ended(Outcome::Killed)
    );
}

#[test]
fn a_sandbox_outlives_the_thread_that_spawned_it() {
    if !all_modes_work() {
        return;
    }
    // Control: the kernel's parent-death signal follows the thread that
    // created the child, so a child that asks for it dies when a thread
    // pool retires that thread.
    let mut control = std::thread::spawn(|| {
        let c = std::process::Command::new("setpriv")
            .args(["--pdeathsig", "KILL", "sleep", "30"])
            .spawn()
            .unwrap();
        // Long enough for setpriv to ask while this thread still lives.
        std::thread::sleep(Duration::from_secs(2));
        c
    })
    .join()
    .unwrap();
    let status = within(Duration::from_secs(20), move || control.wait().unwrap());
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGKILL),
        "the control should die with its thread"
    );
    // A sandbox spawned from a thread that ends at once lives on until it
    // is done.
    let mut child = std::thread::spawn(|| {
        Sandbox::from_profile("strict")
            .unwrap()
            .args(["sh", "-c", "sleep 1; echo alive"])
            .stdout(Stdio::Piped)
            .spawn()
            .unwrap()
    })
    .join()
    .unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert_eq!(out, "alive\n");
    assert_eq!(child.wait().unwrap(), Outcome::Exited(0));
}

fn mode() -> Mode {
    if is_root() {
        Mode::Root
    } else {
        Mode::Rootless
    }
}

/// Runs `script` with sh under `strict` plus the builder's settings.
fn sh(sandbox: Sandbox, script: &str) -> stockade::sandbox::Output {
    sandbox.args(["sh", "-c", script]).output().unwrap()
}

#[test]
fn the_builder_goes_through_the_profiles_checks() {
    if !all_modes_work() {
        return;
    }
    let dir = workdir(mode(), "builder");
    let data = dir.join("data.txt");
    std::fs::write(&data, "from the host\n").unwrap();
    give_to_sandbox(&data);
    let strict = || Sandbox::from_profile("strict").unwrap();
    // A bind made in code gets its Landlock rule: readable, like --ro.
    let out = sh(
        strict().bind_ro_at(data.to_str().unwrap(), "/data.txt"),
        "cat /data.txt",
    );
    assert_eq!(out.outcome, Outcome::Exited(0), "{out:?}");
    assert_eq!(out.stdout, b"from the host\n");
    // A tmpfs is writable; cwd, hostname, user, limits and the network
    // reach the payload.
    let out = sh(
        strict()
            .tmpfs("/scratch")
            .cwd("/scratch")
            .hostname("plugin-7")
            .user(1000, 1000)
            .limit(Limit::OpenFiles(37))
            .network(Network::None),
        "echo x > f && cat f && pwd && hostname && id -u && id -g && ulimit -n && grep -c : /proc/net/dev",
    );
    assert_eq!(out.outcome, Outcome::Exited(0), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "x\n/scratch\nplugin-7\n1000\n1000\n37\n1\n"
    );
    // Errors say what is wrong and that the builder said it.
    let missing = dir.join("missing");
    let err = strict()
        .bind_ro(missing.to_str().unwrap())
        .args(["true"])
        .spawn()
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("Sandbox builder:") && err.contains("missing"),
        "{err}"
    );
    let err = strict().cwd("/nowhere").policy().unwrap_err().to_string();
    assert!(
        err.contains("/nowhere is not part of the sandbox's view"),
        "{err}"
    );
    // Warnings are values.
    let warnings = strict().bind_rw("/tmp").warnings();
    assert!(
        warnings.iter().any(|w| matches!(
            w,
            Warning::SharedDirectoryBound { path } if path == std::path::Path::new("/tmp")
        )),
        "{warnings:?}"
    );
    // A policy made elsewhere cannot take builder settings: said, not ignored.
    let policy = strict().policy().unwrap().clone();
    let err = Sandbox::with_policy(policy)
        .tmpfs("/x")
        .args(["true"])
        .spawn()
        .unwrap_err()
        .to_string();
    assert!(err.contains("with_policy"), "{err}");
}

#[test]
fn output_reads_both_streams_without_stalling_the_payload() {
    if !all_modes_work() {
        return;
    }
    // 4 MiB to each stream, alternating: far beyond a pipe's buffer, so a
    // host that read one stream to its end first would stall the payload.
    let script = "i=0; while [ $i -lt 64 ]; do head -c 65536 /dev/zero; head -c 65536 /dev/zero >&2; i=$((i+1)); done";
    let out = within(Duration::from_secs(120), move || {
        Sandbox::from_profile("strict")
            .unwrap()
            .args(["sh", "-c", script])
            .output()
            .unwrap()
    });
    assert_eq!(out.outcome, Outcome::Exited(0));
    assert_eq!(out.stdout.len(), 4 << 20);
    assert_eq!(out.stderr.len(), 4 << 20);
    let status = Sandbox::from_profile("strict")
        .unwrap()
        .args(["sh", "-c", "exit 3"])
        .stdout(Stdio::Null)
        .status()
        .unwrap();
    assert_eq!(status, Outcome::Exited(3));
}

/// Polls every future to completion on the calling thread, which sleeps
/// until one of them is woken: the smallest executor there is.
fn block_on_all<T>(mut futures: Vec<Pin<Box<dyn Future<Output = T> + Send>>>) -> Vec<T> {
    struct Unpark(std::thread::Thread, AtomicBool);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.1.store(true, Ordering::SeqCst);
            self.0.unpark();
        }
    }
    let flag = Arc::new(Unpark(std::thread::current(), AtomicBool::new(true)));
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    let mut out: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    while out.iter().any(Option::is_none) {
        if !flag.1.swap(false, Ordering::SeqCst) {
            std::thread::park();
            continue;
        }
        for (i, f) in futures.iter_mut().enumerate() {
            if out[i].is_none() {
                if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                    out[i] = Some(v);
                }
            }
        }
    }
    out.into_iter().map(Option::unwrap).collect()
}

/// Threads of this process that stockade started (other tests run in
/// parallel and start their own).
fn stockade_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.starts_with("stockade"))
        })
        .count()
}

#[test]
fn one_thread_awaits_many_sandboxes() {
    if !all_modes_work() || !python() {
        return;
    }
    // Twelve plugins awaited together from one thread with no runtime of
    // stockade's own: ten answer, one is killed by its filter mid-request,
    // one runs out of time. stockade adds no thread per sandbox.
    let answer = after_request("import time; time.sleep(0.3); s.send(b'done')");
    let killed = after_request("import ctypes; ctypes.CDLL(None).syscall(50, 0, 1)");
    let spins = after_request("while True: pass");
    let results = within(Duration::from_secs(120), move || {
        let before = stockade_threads();
        let mut children = Vec::new();
        for i in 0..12 {
            let s = match i {
                10 => plugin(&killed),
                11 => plugin(&spins).wall_time(Duration::from_secs(1)),
                _ => plugin(&answer),
            };
            children.push(Arc::new(s.spawn().unwrap()));
        }
        // At most the supervisor thread, started by the first spawn.
        let added = stockade_threads() - before;
        type Run = (Result<Vec<u8>, ChannelError>, Outcome);
        let futures: Vec<Pin<Box<dyn Future<Output = Run> + Send>>> = children
            .iter()
            .map(|c| {
                let c = c.clone();
                Box::pin(async move {
                    let chan = c.channel().unwrap();
                    chan.send_async(b"request", &[]).await.unwrap();
                    let reply = chan.recv_async().await.map(|m| m.data);
                    (reply, c.wait_async().await.unwrap())
                }) as Pin<Box<dyn Future<Output = Run> + Send>>
            })
            .collect();
        (added, block_on_all(futures))
    });
    let (added, results) = results;
    assert!(added <= 1, "{added} threads for 12 sandboxes");
    for (reply, outcome) in &results[..10] {
        assert_eq!(reply.as_deref(), Ok(&b"done"[..]));
        assert_eq!(*outcome, Outcome::Exited(0));
    }
    assert!(matches!(
        results[10],
        (
            Err(ChannelError::Ended(Outcome::SeccompViolation { .. })),
            Outcome::SeccompViolation { .. }
        )
    ));
    assert_eq!(
        results[11],
        (
            Err(ChannelError::Ended(Outcome::TimedOut)),
            Outcome::TimedOut
        )
    );
}

#[test]
fn a_payload_that_closes_its_end_and_lives_on_is_told_apart_from_an_ended_one() {
    if !all_modes_work() || !python() {
        return;
    }
    let script =
        "import os, time\nos.close(int(os.environ['STOCKADE_CHANNEL_FD']))\ntime.sleep(30)";
    let mut child = plugin(script).spawn().unwrap();
    let chan = child.channel().unwrap();
    // Once the plugin has closed its end (python takes a moment to start)...
    let t = Instant::now();
    while chan.try_recv().map(|m| m.is_none()).unwrap_or(false) {
        assert!(t.elapsed() < Duration::from_secs(60), "never closed");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(chan.try_recv().unwrap_err(), ChannelError::Closed);
    // ... a wait with a timeout takes all the time given, then says Closed.
    let t = Instant::now();
    assert_eq!(
        chan.recv_timeout(Duration::from_secs(1)).unwrap_err(),
        ChannelError::Closed
    );
    assert!(t.elapsed() >= Duration::from_secs(1), "{:?}", t.elapsed());
    assert_eq!(child.try_wait().unwrap(), None);
    // Once it is over, the outcome.
    child.kill();
    assert_eq!(
        child.channel().unwrap().recv().unwrap_err(),
        ChannelError::Ended(Outcome::Killed)
    );
}

#[test]
fn the_time_limit_holds_against_a_payload_that_signals_pid_1() {
    if !all_modes_work() {
        return;
    }
    // A payload that keeps signals of its own pending in PID 1 (SIGALRM,
    // SIGIO, SIGCHLD, SIGUSR1, which PID 1 forwards back) and ignores
    // SIGTERM and SIGUSR1: the deadline is on PID 1's clock, so the limit
    // holds.
    let script =
        "trap '' TERM USR1; while :; do kill -ALRM 1; kill -IO 1; kill -CHLD 1; kill -USR1 1; done";
    let t = Instant::now();
    let out = within(Duration::from_secs(120), move || {
        Sandbox::from_profile("strict")
            .unwrap()
            .wall_time(Duration::from_secs(1))
            .args(["sh", "-c", script])
            .output()
            .unwrap()
    });
    assert_eq!(out.outcome, Outcome::TimedOut, "{out:?}");
    assert!(t.elapsed() < Duration::from_secs(60), "{:?}", t.elapsed());
}

#[test]
fn stockades_thread_takes_no_signal_of_the_hosts_and_blocks_none_of_glibcs() {
    if !all_modes_work() {
        return;
    }
    let mut c = Sandbox::from_profile("strict")
        .unwrap()
        .args(["true"])
        .spawn()
        .unwrap();
    c.wait().unwrap();
    let watcher = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .find(|t| {
            std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c == "stockade-watch\n")
        })
        .expect("the supervisor thread runs");
    let status = std::fs::read_to_string(watcher.path().join("status")).unwrap();
    let blocked = status
        .lines()
        .find_map(|l| l.strip_prefix("SigBlk:"))
        .map(|h| u64::from_str_radix(h.trim(), 16).unwrap())
        .unwrap();
    let bit = |sig: i32| 1u64 << (sig - 1);
    // Process-directed signals go to the host's threads...
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGCHLD, libc::SIGUSR1] {
        assert!(
            blocked & bit(sig) != 0,
            "signal {sig} not blocked: {blocked:#x}"
        );
    }
    // ... but glibc's set*id broadcast (signals 32 and 33) still reaches
    // it, or a host's setuid() would wait for it forever.
    assert_eq!(blocked & (bit(32) | bit(33)), 0, "{blocked:#x}");
}
