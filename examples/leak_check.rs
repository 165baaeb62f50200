//! Runs many sandboxes from one process and prints what the process holds
//! before and after (descriptors, threads, children, zombies): a library
//! host must end where it started. `tests/leaks.sh` runs it.
//!
//! ```text
//! cargo run --release --example leak_check -- 1000
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use stockade::sandbox::{Outcome, Sandbox, Stdio};

/// What this process holds right now.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Held {
    fds: usize,
    threads: usize,
    children: usize,
    zombies: usize,
}

fn held() -> Held {
    let count = |dir: &str| std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
    let me = std::process::id().to_string();
    let (mut children, mut zombies) = (0, 0);
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // Fields after the command name: state, ppid, ...
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let (state, ppid) = (f.next(), f.next());
        if ppid == Some(me.as_str()) {
            children += 1;
            zombies += usize::from(state == Some("Z"));
        }
    }
    Held {
        fds: count("/proc/self/fd"),
        threads: count("/proc/self/task"),
        children,
        zombies,
    }
}

fn run(sandbox: &Sandbox, runs: usize, at_once: usize) -> usize {
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..at_once {
            s.spawn(|| {
                while next.fetch_add(1, Ordering::Relaxed) < runs {
                    if sandbox.status().ok() != Some(Outcome::Exited(0)) {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    failed.into_inner()
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let sandbox = Sandbox::from_profile("strict")
        .expect("the strict profile resolves")
        .args(["true"])
        .stdin(Stdio::Null);
    // The first spawn starts stockade's supervisor thread, which stays:
    // measure from after it.
    assert_eq!(sandbox.status().ok(), Some(Outcome::Exited(0)));
    let before = held();
    let mut leaked = false;
    for at_once in [1, 2, 8] {
        let failed = run(&sandbox, runs, at_once);
        // Reaping is the supervisor thread's: give it a moment to finish.
        let mut after = held();
        for _ in 0..100 {
            if after == before {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            after = held();
        }
        println!(
            "library, {runs} runs, {at_once} at a time: {failed} failed; fds {} -> {}, threads {} -> {}, children {} -> {}, zombies {} -> {}",
            before.fds, after.fds, before.threads, after.threads, before.children, after.children, before.zombies, after.zombies
        );
        leaked |= failed > 0 || after != before;
    }
    if leaked {
        println!("library: LEAK");
        std::process::exit(1);
    }
    println!("library: nothing left behind");
}
