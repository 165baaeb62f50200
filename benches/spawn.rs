//! `cargo bench`: how long a plugin host waits for one sandbox, from
//! `Sandbox::spawn` to the reaped outcome, with `strict` and `default`.
//! Reports the median and the 90th percentile of many runs (machines are
//! noisy; single times mean little).

use std::time::{Duration, Instant};
use stockade::sandbox::{Sandbox, Stdio};

fn measure(profile: &str, runs: usize) -> Vec<Duration> {
    let sandbox = Sandbox::from_profile(profile)
        .expect("profile")
        .args(["/bin/true"])
        .stdout(Stdio::Null);
    // Warm the page cache and the kernel's slab caches first.
    for _ in 0..10 {
        sandbox.spawn().unwrap().wait().unwrap();
    }
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let outcome = sandbox.spawn().unwrap().wait().unwrap();
            let t = start.elapsed();
            assert_eq!(outcome.exit_code(), 0);
            t
        })
        .collect();
    times.sort();
    times
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass none
    // and should stay quick.
    let runs = if std::env::args().any(|a| a == "--bench") {
        300
    } else {
        5
    };
    println!("spawn to reaped outcome of /bin/true ({runs} runs each)");
    for profile in ["strict", "default"] {
        let t = measure(profile, runs);
        let median = t[t.len() / 2];
        let p90 = t[t.len() * 9 / 10];
        println!(
            "  {profile:<8} median {:>6.2} ms   p90 {:>6.2} ms",
            ms(median),
            ms(p90)
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
