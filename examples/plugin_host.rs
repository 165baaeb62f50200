//! A plugin host: a pool of sandboxed python plugins serves requests from
//! several client threads, while some requests make a plugin misbehave
//! (a forbidden syscall mid-request, an infinite loop, a memory hog, a
//! flood of messages). The host replaces each broken plugin and stays
//! responsive: it prints what happened to every misbehaving request and
//! the latency of the good ones.
//!
//! Run with `cargo run --release --example plugin_host`.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use stockade::channel::ChannelError;
use stockade::sandbox::{Child, Limit, Sandbox, Stdio};

/// The plugin: answers `ID upper TEXT` with `ID TEXT-IN-CAPITALS`; the
/// other commands misbehave.
const PLUGIN: &str = r#"
import os, socket
chan = socket.socket(fileno=int(os.environ["STOCKADE_CHANNEL_FD"]))
while True:
    msg = chan.recv(65536)
    if not msg:
        break
    rid, cmd, arg = (msg.decode().split(" ", 2) + [""])[:3]
    if cmd == "upper":
        chan.send(f"{rid} {arg.upper()}".encode())
    elif cmd == "escape":        # a forbidden syscall (listen), mid-request
        socket.socket(socket.AF_UNIX).listen()
    elif cmd == "spin":          # never answers
        while True:
            pass
    elif cmd == "hog":           # eats memory until the limit says no
        try:
            hog = []
            while True:
                hog.append(bytearray(1 << 20))
        except MemoryError:
            hog = None
            chan.send(f"{rid} out of memory".encode())
    elif cmd == "flood":         # sends as much as the channel takes
        try:
            while True:
                chan.send(b"spam", socket.MSG_DONTWAIT)
        except BlockingIOError:
            pass
"#;

const WORKERS: usize = 4;
const CLIENTS: usize = 3;
const REQUESTS_PER_CLIENT: usize = 40;
/// How long the host waits for an answer before it gives up on a plugin.
const PATIENCE: Duration = Duration::from_secs(2);

fn plugin() -> Result<Child, stockade::Error> {
    Sandbox::from_yaml(
        "version: 1\nextends: strict\nseccomp:\n  allow: [sendto, recvfrom, sendmsg, recvmsg, getsockname, getsockopt, getpeername]\n",
    )?
    .args(["python3", "-c", PLUGIN])
    .stdout(Stdio::Null)
    .stderr(Stdio::Null)
    .limit(Limit::Data(256 << 20))
    .channel(None)
    .spawn()
}

/// One request and where its answer goes.
struct Job {
    id: u64,
    command: String,
    reply: mpsc::Sender<Result<(String, Duration), String>>,
}

/// Serves jobs with one plugin, replacing it whenever it breaks.
fn worker(jobs: Arc<Mutex<mpsc::Receiver<Job>>>) -> Result<usize, stockade::Error> {
    let mut child = plugin()?;
    let mut replaced = 0;
    loop {
        let Ok(job) = jobs.lock().unwrap().recv() else {
            return Ok(replaced);
        };
        let t0 = Instant::now();
        let answer = ask(&child, &job);
        let broken = answer.is_err();
        let _ = job.reply.send(answer.map(|a| (a, t0.elapsed())));
        if broken {
            child.kill();
            child = plugin()?;
            replaced += 1;
        }
    }
}

/// Sends a job and reads the plugin's answer to it, skipping stale
/// messages; an error says why the plugin is no use any more.
fn ask(child: &Child, job: &Job) -> Result<String, String> {
    let chan = child.channel().expect("channel enabled");
    let request = format!("{} {}", job.id, job.command);
    chan.send(request.as_bytes(), &[])
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + PATIENCE;
    for _ in 0..1000 {
        let left = deadline.saturating_duration_since(Instant::now());
        match chan.recv_timeout(left) {
            Ok(m) => {
                let text = String::from_utf8_lossy(&m.data).into_owned();
                if let Some(answer) = text.strip_prefix(&format!("{} ", job.id)) {
                    return Ok(answer.to_owned());
                }
            }
            Err(ChannelError::Ended(o)) => {
                // The first line: what happened (a second may say how to allow it).
                let what = child.describe(o).unwrap_or_else(|| format!("{o:?}"));
                return Err(what.lines().next().unwrap_or_default().to_string());
            }
            Err(ChannelError::TimedOut) => return Err(format!("no answer within {PATIENCE:?}")),
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("flooded the channel with messages that answer nothing".into())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let rx = rx.clone();
            std::thread::spawn(move || worker(rx))
        })
        .collect();
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut good = Vec::new();
                for i in 0..REQUESTS_PER_CLIENT {
                    let id = (c * REQUESTS_PER_CLIENT + i) as u64;
                    // One request in eight misbehaves, in turn.
                    let command = match (id % 8, id / 8 % 4) {
                        (7, 0) => "escape".to_string(),
                        (7, 1) => "spin".to_string(),
                        (7, 2) => "hog".to_string(),
                        (7, 3) => "flood".to_string(),
                        _ => format!("upper request {id}"),
                    };
                    let (reply, answer) = mpsc::channel();
                    tx.send(Job {
                        id,
                        command: command.clone(),
                        reply,
                    })
                    .unwrap();
                    match answer.recv().unwrap() {
                        Ok((a, t)) if command.starts_with("upper") => {
                            assert_eq!(a, command["upper ".len()..].to_uppercase());
                            good.push(t);
                        }
                        Ok((a, _)) => println!("host: {command:<6} -> answered {a:?}"),
                        Err(why) => println!("host: {command:<6} -> plugin replaced: {why}"),
                    }
                }
                good
            })
        })
        .collect();
    drop(tx);
    let mut good: Vec<Duration> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    let replaced: usize = workers
        .into_iter()
        .map(|w| w.join().unwrap())
        .sum::<Result<usize, _>>()?;
    good.sort();
    println!(
        "host: {} good requests answered, median {:?}, slowest {:?}; {replaced} plugins replaced; {:?} in all",
        good.len(),
        good[good.len() / 2],
        good[good.len() - 1],
        started.elapsed()
    );
    Ok(())
}
