//! The shipped profiles at work: each runs the workload it is meant for,
//! root and rootless, and refuses what it must forbid, with a control run
//! that shows the same attempt succeeding where that profile's layer is
//! absent.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

fn run(mode: Mode, dir: &Path, profile: &str, script: &str) -> Output {
    run_sh(mode, dir, &["-q", "-p", profile], script)
}

fn ok(out: &Output, what: &str) -> String {
    assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(out));
    stdout(out)
}

fn write_file(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    give_to_sandbox(path);
}

#[test]
fn shell_runs_scripts_on_the_working_directory() {
    each_mode(|mode| {
        let dir = workdir(mode, "p-shell");
        let script = "#!/bin/sh\nset -e\nmkdir -p d/e\nseq 1 100 > d/e/n\n\
                      find d -name n | xargs cat | awk '{s+=$1} END {print s}' | sed 's/5/five/' | grep five\n\
                      tar cf - d | gzip | gunzip | tar tf - | sort | head -1\n\
                      echo hi | xz | unxz\n\
                      printf 'a\\nb\\n' > x && printf 'a\\nc\\n' > y && ! diff x y > d.diff && patch -s x d.diff && cat x | tail -1\n";
        write_file(&dir.join("build.sh"), script, 0o755);
        let out = run(mode, &dir, "shell", "./build.sh");
        assert_eq!(ok(&out, "shell"), "five050\nd/\nhi\nc\n");
        // What it wrote in the working directory is the host's.
        let n = std::fs::read_to_string(dir.join("d/e/n")).unwrap();
        assert_eq!(n.lines().count(), 100);
    });
}

#[test]
fn the_offline_profiles_refuse_ip_sockets() {
    // Control: under `default` the socket is made (and the connection is
    // refused by the empty network namespace).
    let probe =
        "python3 -c 'import socket\ntry:\n  socket.create_connection((\"127.0.0.1\", 9), 2)\n\
                 except OSError as e: print(e.errno)'";
    each_mode(|mode| {
        if !have("/usr/bin/python3", "the probe is a python script") {
            return;
        }
        let dir = workdir(mode, "p-offline");
        let control = run(mode, &dir, "default", probe);
        assert_eq!(ok(&control, "control"), format!("{}\n", libc::ECONNREFUSED));
        for profile in ["shell", "python", "node", "build", "plugin"] {
            let out = run(mode, &dir, profile, probe);
            assert_eq!(
                ok(&out, profile),
                format!("{}\n", libc::EAFNOSUPPORT),
                "{profile}"
            );
        }
    });
}

#[test]
fn shell_keeps_written_files_outside_the_working_directory_private() {
    each_mode(|mode| {
        let dir = workdir(mode, "p-shell-private");
        let token = format!("stockade-shell-{}-{mode:?}", std::process::id());
        let host_tmp = Path::new("/tmp").join(&token);
        let _ = std::fs::remove_file(&host_tmp);
        let out = run(
            mode,
            &dir,
            "shell",
            &format!("echo x > /tmp/{token} && cat /tmp/{token} && touch /etc/{token} 2>&1 | grep -c 'Read-only'"),
        );
        assert_eq!(ok(&out, "shell"), "x\n1\n");
        assert!(!host_tmp.exists(), "the sandbox's /tmp reached the host");
        assert!(!Path::new("/etc").join(&token).exists());
    });
}

#[test]
fn executing_a_file_written_outside_the_working_directory_is_refused() {
    // shell and what extends it execute from the system and the working
    // directory only: a binary dropped into /tmp does not run (Landlock),
    // while the same copy in the working directory does (the control).
    each_mode(|mode| {
        let dir = workdir(mode, "p-noexec");
        for profile in ["shell", "python", "node", "build"] {
            let out = run(
                mode,
                &dir,
                profile,
                "cp /bin/true /tmp/t && cp /bin/true ./t && ./t && echo cwd-runs; /tmp/t 2>&1 | grep -c 'Permission denied'",
            );
            assert_eq!(ok(&out, profile), "cwd-runs\n1\n", "{profile}");
        }
    });
}

#[test]
fn python_makes_and_uses_a_venv_and_process_pools() {
    each_mode(|mode| {
        if !have("/usr/bin/python3", "the python profile runs python") {
            return;
        }
        let dir = workdir(mode, "p-python");
        let script = "python3 -m venv .venv && .venv/bin/pip --version | cut -d' ' -f1 && \
                      .venv/bin/python -c 'import multiprocessing as m, sys\n\
                      if __name__ == \"__main__\":\n  \
                      with m.Pool(4) as p: print(sum(p.map(abs, range(-1000, 0))), sys.prefix == sys.base_prefix)'";
        let out = run(mode, &dir, "python", script);
        assert_eq!(ok(&out, "python"), "pip\n500500 False\n");
        assert!(dir.join(".venv/bin/python").exists());
    });
}

#[test]
fn node_runs_scripts_workers_and_npm() {
    each_mode(|mode| {
        if !have("/usr/bin/node", "the node profile runs node") {
            return;
        }
        let dir = workdir(mode, "p-node");
        write_file(
            &dir.join("app.js"),
            "const fs = require('fs'), cp = require('child_process'), w = require('worker_threads');\n\
             fs.writeFileSync('out.txt', 'x');\n\
             console.log(cp.execSync('echo sub').toString().trim(), fs.readFileSync('out.txt', 'utf8'));\n\
             new w.Worker('require(\"worker_threads\").parentPort.postMessage(6 * 7)', {eval: true})\n\
               .on('message', m => console.log('worker', m));\n",
            0o644,
        );
        let out = run(mode, &dir, "node", "node app.js");
        assert_eq!(ok(&out, "node"), "sub x\nworker 42\n");
        if have("/usr/bin/npm", "npm is part of the node workload") {
            let out = run(mode, &dir, "node", "npm --version >/dev/null && echo npm");
            assert_eq!(ok(&out, "npm"), "npm\n");
        }
    });
}

#[test]
fn build_compiles_with_make_cc_git_and_cargo() {
    each_mode(|mode| {
        if !have("/usr/bin/make", "the build profile runs make") {
            return;
        }
        let dir = workdir(mode, "p-build");
        write_file(
            &dir.join("hello.c"),
            "#include <stdio.h>\nint main(void){puts(\"built\");return 0;}\n",
            0o644,
        );
        write_file(
            &dir.join("Makefile"),
            "hello: hello.o\n\tcc -o hello hello.o\nhello.o: hello.c\n\tcc -O2 -c hello.c\n",
            0o644,
        );
        let out = run(
            mode,
            &dir,
            "build",
            "make -s -j2 && ./hello && git init -q r && cd r && git -c user.email=a@b -c user.name=a \
             commit -q --allow-empty -m m && git log --format=%s",
        );
        assert_eq!(ok(&out, "make"), "built\nm\n");
        // cargo from the launching user's ~/.cargo and ~/.rustup, read-only
        // (root's, where the test harness's HOME has none).
        if mode == Mode::Rootless && is_root() {
            // uid 65534 has no toolchain of its own.
            return;
        }
        let home = [std::env::var("HOME").unwrap_or_default(), "/root".into()]
            .into_iter()
            .find(|h| Path::new(h).join(".cargo/bin/cargo").exists())
            .unwrap_or_default();
        let cargo = Path::new(&home).join(".cargo/bin/cargo");
        if !have(&cargo.to_string_lossy(), "the build profile runs cargo") {
            return;
        }
        let krate = dir.join("crate");
        std::fs::create_dir_all(krate.join("src")).unwrap();
        give_to_sandbox(&krate);
        give_to_sandbox(&krate.join("src"));
        write_file(
            &krate.join("Cargo.toml"),
            "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
            0o644,
        );
        write_file(
            &krate.join("src/main.rs"),
            "fn main() { println!(\"cargo built\"); }\n",
            0o644,
        );
        let out = stockade(mode, &dir)
            .env("HOME", &home)
            .args(["run", "-q", "-p", "build", "--", "sh", "-c"])
            .arg("cd crate && cargo build -q && ./target/debug/hello && touch $CARGO_HOME/x 2>&1 | grep -c Read-only")
            .output()
            .unwrap();
        assert_eq!(ok(&out, "cargo"), "cargo built\n1\n");
    });
}

/// A DNS server for one name on 127.0.0.1:53 (UDP), answering `name`
/// with 10.53.0.1, until the returned guard is dropped.
struct Dns {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for Dns {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

fn dns_server() -> Option<Dns> {
    let sock = match UdpSocket::bind("127.0.0.1:53") {
        Ok(s) => s,
        Err(e) => {
            skip(&format!("cannot serve DNS on 127.0.0.1:53: {e}"));
            return None;
        }
    };
    sock.set_read_timeout(Some(std::time::Duration::from_millis(100)))
        .unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            let Ok((n, peer)) = sock.recv_from(&mut buf) else {
                continue;
            };
            if n < 17 {
                continue;
            }
            // The question ends at the zero label, then type and class.
            let Some(end) = buf[12..n].iter().position(|&b| b == 0) else {
                continue;
            };
            let q_end = 12 + end + 5;
            let qtype = u16::from_be_bytes([buf[12 + end + 1], buf[12 + end + 2]]);
            let mut r = buf[..q_end].to_vec();
            r[2] = 0x81; // response, recursion desired
            r[3] = 0x80; // recursion available, no error
            r[6..12].copy_from_slice(&[0, u8::from(qtype == 1), 0, 0, 0, 0]);
            if qtype == 1 {
                r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 53, 0, 1]);
            }
            let _ = sock.send_to(&r, peer);
        }
    });
    Some(Dns { stop })
}

/// An /etc for the view whose resolver is the test's DNS server.
fn etc_with_resolver(dir: &Path) -> String {
    let etc = dir.join("etc");
    std::fs::create_dir_all(&etc).unwrap();
    for f in ["passwd", "group", "nsswitch.conf", "hosts"] {
        let _ = std::fs::copy(Path::new("/etc").join(f), etc.join(f));
    }
    std::fs::write(etc.join("resolv.conf"), "nameserver 127.0.0.1\n").unwrap();
    std::fs::write(
        etc.join("nsswitch.conf"),
        "passwd: files\ngroup: files\nhosts: files dns\n",
    )
    .unwrap();
    format!("{}:/etc", etc.display())
}

fn serve_http(listener: TcpListener) {
    std::thread::spawn(move || {
        for mut c in listener.incoming().flatten() {
            let mut buf = [0u8; 1024];
            let _ = c.read(&mut buf);
            let _ = c.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 7\r\n\r\nfetched");
        }
    });
}

#[test]
fn network_client_fetches_and_resolves_but_reaches_no_other_port() {
    let version = std::process::Command::new(binary())
        .arg("--version")
        .output()
        .unwrap();
    let abi: i32 = stdout(&version)
        .lines()
        .find_map(|l| l.strip_prefix("landlock ABI on this kernel: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Landlock ABI in --version: {}", stdout(&version)));
    if !have("/usr/bin/python3", "the client is a python script") {
        return;
    }
    let Ok(http) = TcpListener::bind("127.0.0.1:80") else {
        skip("port 80 of 127.0.0.1 is taken");
        return;
    };
    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = other.local_addr().unwrap().port();
    serve_http(http);
    serve_http(other);
    let Some(_dns) = dns_server() else { return };
    each_mode(|mode| {
        let dir = workdir(mode, "p-net");
        let etc = etc_with_resolver(&dir);
        let client = format!(
            "python3 -c 'import socket, urllib.request as u\n\
             print(socket.gethostbyname(\"plugins.stockade.test\"))\n\
             print(u.urlopen(\"http://127.0.0.1/\").read().decode())\n\
             try:\n  print(u.urlopen(\"http://127.0.0.1:{port}/\").read().decode())\n\
             except OSError as e: print(\"refused\")\n\
             s = socket.socket()\n\
             try:\n  s.bind((\"127.0.0.1\", 0)); s.listen(); print(\"listening\")\n\
             except OSError as e: print(\"no server\")'"
        );
        let out = run_sh(mode, &dir, &["-p", "network-client", "--ro", &etc], &client);
        let text = ok(&out, "network-client");
        if abi >= 4 {
            assert_eq!(text, "10.53.0.1\nfetched\nrefused\nno server\n");
        } else {
            // Port rules need Landlock ABI 4: dropped, and said so.
            assert!(stderr(&out).contains("needs ABI 4"), "{}", stderr(&out));
            assert_eq!(text, "10.53.0.1\nfetched\nfetched\nno server\n");
        }
        // Control: default with the host's network reaches the other port
        // and may listen.
        let out = run_sh(mode, &dir, &["-q", "--net", "host", "--ro", &etc], &client);
        assert_eq!(
            ok(&out, "control"),
            "10.53.0.1\nfetched\nfetched\nlistening\n"
        );
    });
}

#[test]
fn plugin_sees_its_directory_read_only_and_nothing_else() {
    each_mode(|mode| {
        let dir = workdir(mode, "p-plugin");
        write_file(
            &dir.join("plugin.sh"),
            "#!/bin/sh\necho plugin runs in $PWD\n",
            0o755,
        );
        let probe = "./plugin.sh; touch x 2>&1 | grep -c Read-only; \
                     test -e /etc/passwd && echo passwd visible; \
                     test -n \"$STOCKADE_CHANNEL_FD\" && echo channel; \
                     i=0; while [ $i -lt 80 ]; do sleep 60 & i=$((i+1)); done 2>&1 | grep -q fork && echo fork-limited";
        let out = run(mode, &dir, "plugin", probe);
        assert_eq!(
            ok(&out, "plugin"),
            "plugin runs in /plugin\n1\nchannel\nfork-limited\n"
        );
        // Control: default shows /etc/passwd, the directory is writable and
        // the 80 processes start. (The sleeps outlast any machine's fork
        // loop, so the limit is reached however slowly processes start;
        // they end with the sandbox.)
        let out = run(
            mode,
            &dir,
            "default",
            "touch x && echo writable; test -e /etc/passwd && echo passwd visible; \
             i=0; while [ $i -lt 80 ]; do sleep 60 & i=$((i+1)); done; echo started",
        );
        assert_eq!(ok(&out, "control"), "writable\npasswd visible\nstarted\n");
    });
}
