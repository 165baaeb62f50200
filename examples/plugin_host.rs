//! A plugin host: runs an untrusted plugin under a tight profile, sends it
//! requests over the channel and reports the typed outcome.
//!
//! Run with `cargo run --example plugin_host`. The plugin is a small shell
//! script reading requests from the channel descriptor.

use stockade::process::Outcome;
use stockade::sandbox::{Sandbox, Stdio};

/// The plugin: answers `upper TEXT` with TEXT in capitals, and for
/// `escape` tries to open a network socket, which its profile forbids.
const PLUGIN: &str = r#"
import os, socket, sys
fd = int(os.environ["STOCKADE_CHANNEL_FD"])
chan = socket.socket(fileno=fd)
while True:
    msg = chan.recv(65536)
    if not msg:
        break
    cmd, _, arg = msg.decode().partition(" ")
    if cmd == "upper":
        chan.send(arg.upper().encode())
    elif cmd == "escape":
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(("127.0.0.1", 80))
"#;

fn run(request: &str) -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::from_yaml(
        "version: 1\nextends: strict\nseccomp:\n  allow: [sendto, recvfrom, sendmsg, recvmsg, getsockname, getsockopt, getpeername]\n",
    )?
    .args(["python3", "-c", PLUGIN])
    .stdout(Stdio::Null)
    .channel(None);
    let mut child = sandbox.spawn()?;
    let chan = child.channel().expect("channel enabled");
    println!("host: request  {request:?}");
    chan.send(request.as_bytes(), &[])?;
    if request.starts_with("upper") {
        let reply = chan.recv()?;
        println!("host: answer   {:?}", String::from_utf8_lossy(&reply.data));
        child.close_channel();
    }
    let outcome = child.wait()?;
    println!(
        "host: outcome  {}",
        stockade::status::outcome_json(outcome, child.describe(outcome).as_deref())
    );
    if let Outcome::SeccompViolation { .. } = outcome {
        println!("host: the plugin tried something forbidden and was stopped");
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    run("upper hello from the host")?;
    run("escape")?;
    Ok(())
}
