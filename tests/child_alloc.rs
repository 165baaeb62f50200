//! The sandbox child allocates nothing between clone and exec: this test
//! binary's global allocator counts every allocation made by a process
//! other than the test's own (the sandbox's PID 1, its warden thread and
//! the payload before exec are all copies of this binary) and ends that
//! process at once with a distinctive status, so a child that allocates
//! fails its sandbox instead of passing by luck.

#![allow(unsafe_code)]

mod common;
use common::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI32, Ordering};
use stockade::sandbox::{Outcome, Sandbox, Stdio};

/// Exit status of a process that allocated outside the test's own.
const ALLOCATED: i32 = 97;

/// The test process's pid, recorded before any sandbox exists.
static HOST_PID: AtomicI32 = AtomicI32::new(0);

struct Counting;

impl Counting {
    fn check(&self) {
        let host = HOST_PID.load(Ordering::Relaxed);
        if host == 0 {
            return;
        }
        // SAFETY: getpid takes no arguments and touches no memory; the raw
        // call reads the kernel's answer, not a cache a fork could leave
        // stale.
        let me = unsafe { libc::syscall(libc::SYS_getpid) } as i32;
        if me != host {
            let msg = b"child_alloc: allocation after clone\n";
            // SAFETY: writes a static buffer to stderr.
            unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
            // SAFETY: ends the process without running anything else.
            unsafe { libc::syscall(libc::SYS_exit_group, ALLOCATED) };
        }
    }
}

// SAFETY: delegates every call to the system allocator unchanged; the
// check only makes system calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.check();
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.check();
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        self.check();
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The rootless setup path (setgroups denied, sources opened as the
/// user) allocates nothing either.
#[test]
fn every_test_here_also_holds_rootless() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    every_other_test_rootless(
        "every_test_here_also_holds_rootless",
        "STOCKADE_CHILD_ALLOC_INNER",
    );
}

/// Runs `f` with the detector armed. One test at a time: while armed, a
/// process another test forks (to run a command) would count too.
fn armed<T>(f: impl FnOnce() -> T) -> T {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    HOST_PID.store(std::process::id() as i32, Ordering::Relaxed);
    let r = f();
    HOST_PID.store(0, Ordering::Relaxed);
    r
}

static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn the_detector_catches_an_allocation_in_a_forked_child() {
    // Control: a plain fork that allocates is caught and ends with the
    // detector's status.
    let status = armed(|| {
        // SAFETY: the child only allocates (which the allocator turns into
        // exit_group) and never returns into the test harness.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let v: Vec<u8> = Vec::with_capacity(64);
            std::hint::black_box(&v);
            // SAFETY: ends the child without running the harness.
            unsafe { libc::_exit(0) };
        }
        let mut status = 0;
        // SAFETY: status is a valid out-pointer.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        status
    });
    assert!(libc::WIFEXITED(status), "status {status:#x}");
    assert_eq!(libc::WEXITSTATUS(status), ALLOCATED);
}

#[test]
fn the_sandbox_child_never_allocates_from_clone_to_exec() {
    if !have(
        "/usr/bin/python3",
        "the payload checks its descriptors in python",
    ) {
        return;
    }
    // Every setup step a profile can ask for: binds (read-only and
    // writable), tmpfs, proc, dev, hostname, loopback, Landlock (paths and
    // scopes), a seccomp filter that kills (so the warden thread runs),
    // rlimits, the wall-time limit, a passed descriptor, the channel and
    // its socket, a terminal (stdin), stops reported, and the setup trace.
    let dir = scratch_root().join(format!("child-alloc-{}", nix::unistd::getuid()));
    std::fs::create_dir_all(&dir).unwrap();
    let yaml = "version: 1\nextends: strict\nhostname: noalloc\n\
                channel: {socket: true}\n\
                limits: {wall_time: 60s, open_files: 64, processes: 64}\n";
    let (r, w) = nix::unistd::pipe().unwrap();
    use std::os::fd::AsRawFd;
    let sandbox = Sandbox::from_yaml(yaml)
        .unwrap()
        .bind_rw(dir.to_str().unwrap())
        .tmpfs("/scratch")
        .pass_fd(w.as_raw_fd(), 7)
        .channel(None)
        .trace_setup()
        .report_stops()
        .stdin(Stdio::Terminal)
        .terminal_size(24, 80)
        .stdout(Stdio::Piped)
        .args([
            "python3",
            "-c",
            "import os; os.write(7, b'x'); print('ran', os.environ['STOCKADE_CHANNEL_FD'])",
        ]);
    armed(|| run_twenty(&sandbox));
    drop(w);
    let mut got = Vec::new();
    std::io::Read::read_to_end(&mut std::fs::File::from(r), &mut got).unwrap();
    assert_eq!(got, vec![b'x'; 20]);
}

/// Spawns `sandbox` twenty times; each must run its payload to the end.
fn run_twenty(sandbox: &Sandbox) {
    for _ in 0..20 {
        let mut child = sandbox.spawn().unwrap();
        let mut steps = 0;
        let outcome = loop {
            match child.next_event(None).unwrap() {
                Some(stockade::sandbox::Event::Step(_)) => steps += 1,
                Some(stockade::sandbox::Event::Ended(o)) => break o,
                Some(_) => {}
                None => panic!("no outcome"),
            }
        };
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            outcome,
            Outcome::Exited(0),
            "{}: {}",
            child_describe(outcome),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("ran "));
        // Every step but the ones this profile cannot have ran.
        assert!(steps >= 25, "only {steps} setup steps were traced");
    }
}

fn child_describe(o: Outcome) -> String {
    match o {
        Outcome::Vanished(s) if libc::WIFEXITED(s) && libc::WEXITSTATUS(s) == ALLOCATED => {
            "the sandbox child allocated after clone".into()
        }
        o => format!("{o:?}"),
    }
}

#[test]
fn learning_mode_never_allocates_either() {
    if !have("/usr/bin/python3", "the payload is a python script") {
        return;
    }
    // The warden answers each refused call (listen, twice) and reports
    // the syscall once, with the init's filter that allows that answer.
    let sandbox = Sandbox::from_profile("strict")
        .unwrap()
        .learn()
        .stdout(Stdio::Piped)
        .args([
            "python3",
            "-c",
            "import ctypes; l = ctypes.CDLL(None).syscall; l(50, 0, 1); l(50, 0, 1); print('ran')",
        ]);
    armed(|| {
        for _ in 0..20 {
            let mut child = sandbox.spawn().unwrap();
            let mut learned = Vec::new();
            let outcome = loop {
                match child.next_event(None).unwrap() {
                    Some(stockade::sandbox::Event::Learned { nr, .. }) => learned.push(nr),
                    Some(stockade::sandbox::Event::Ended(o)) => break o,
                    Some(_) => {}
                    None => panic!("no outcome"),
                }
            };
            let out = child.wait_with_output().unwrap();
            assert_eq!(outcome, Outcome::Exited(0), "{}", child_describe(outcome));
            assert_eq!(String::from_utf8_lossy(&out.stdout), "ran\n");
            assert_eq!(learned, [libc::SYS_listen as i32]);
        }
    });
}
