//! The seccomp layer against the kernel: allowlists, errno answers, kills
//! reported by name, argument rules at their boundaries, and the side
//! doors every sandbox closes (other ABIs, TIOCSTI, namespaces, io_uring).

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// Compiles `src` (C) once per test binary; None (with a loud skip, a
/// failure in CI) when there is no compiler.
fn probe(_dir: &Path, name: &str, src: &str) -> Option<PathBuf> {
    compile_c(name, src)
}

fn profile(dir: &Path, name: &str, yaml: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, format!("version: 1\nextends: strict\n{yaml}")).unwrap();
    p.to_string_lossy().into_owned()
}

/// Everyday programs, each (where installed) with the output it must
/// print: (what, the program it needs, script run in /tmp, stdout).
const EVERYDAY: &[(&str, &str, &str, &str)] = &[
    ("a shell pipeline", "/bin/sh", "echo b a b | tr ' ' '\\n' | sort | uniq -c | wc -l", "2\n"),
    ("coreutils", "/bin/ls", "ls / >/dev/null && date >/dev/null && du -s /usr/share/doc >/dev/null && echo ok", "ok\n"),
    // The name-service lookups try nscd's socket first.
    ("id", "/usr/bin/id", "id -un >/dev/null && id -u", "65534\n"),
    ("ls -l", "/bin/ls", "ls -l /etc/passwd | cut -c1", "-\n"),
    ("getent", "/usr/bin/getent", "getent passwd root | cut -d: -f1", "root\n"),
    ("chmod and chown of one's own file", "/bin/chown", "echo x > f && chmod 600 f && chown $(id -u):$(id -g) f && stat -c %a f", "600\n"),
    ("tar, gzip, xz", "/usr/bin/xz", "mkdir d && echo hi > d/f && tar czf d.tgz d && tar tzf d.tgz | head -1 && echo hi | xz | unxz", "d/\nhi\n"),
    ("git", "/usr/bin/git", "git init -q r && cd r && git -c user.email=a@b -c user.name=a commit -q --allow-empty -m m && git log --format=%s", "m\n"),
    ("make -j2 with gcc", "/usr/bin/make", "printf 'int main(void){return 0;}\\n' > h.c && printf 'all: a.o b.o\\na.o:\\n\\tgcc -O2 -c -o a.o h.c\\nb.o:\\n\\tgcc -O2 -c -o b.o h.c\\n' > Makefile && make -s -j2 && echo made", "made\n"),
    ("perl", "/usr/bin/perl", "perl -e 'print 6*7, qq(\\n)'", "42\n"),
    ("sqlite", "/usr/bin/sqlite3", "sqlite3 x.db 'create table t(a); insert into t values(7); select a from t'", "7\n"),
    ("python", "/usr/bin/python3", "python3 -c 'import subprocess, threading, json; print(subprocess.run([\"echo\", \"py\"], capture_output=True).stdout.decode().strip())'", "py\n"),
    // A process pool: semaphores in /dev/shm.
    ("python multiprocessing", "/usr/bin/python3", "python3 -c 'import multiprocessing as m\nif __name__ == \"__main__\":\n  with m.Pool(4) as p: print(sum(p.map(abs, range(-1000, 0))))'", "500500\n"),
    // Within the bomb limits: a 160 MiB heap and 16 threads, with its
    // maximum heap declared, as a JVM under any memory limit needs (its
    // default initial heap is 1/64 of the machine's memory: 380 MiB here,
    // 720-800 MiB of data in all, more on larger machines).
    ("java", "/usr/bin/java", "printf 'public class M { public static void main(String[] a) throws Exception { java.util.List<byte[]> l = new java.util.ArrayList<>(); for (int i = 0; i < 40; i++) l.add(new byte[4 << 20]); Thread[] t = new Thread[16]; for (int i = 0; i < 16; i++) { t[i] = new Thread(() -> {}); t[i].start(); } for (Thread x : t) x.join(); System.out.println(\"java \" + l.size()); } }\\n' > M.java && java -Xmx512m M.java", "java 40\n"),
    ("node", "/usr/bin/node", "node -e 'const a = []; for (let i = 0; i < 50; i++) a.push(Buffer.alloc(4 << 20, 1)); console.log(\"node\", a.length)'", "node 50\n"),
];

/// The shipped profiles meant for general programs run them all; the
/// ones made for one kind of workload run the programs of that kind (an
/// empty list: all of them). `network-client` is `default` with the host's
/// network, and `plugin` has tests of its own.
const EVERYDAY_UNDER: &[(&str, &[&str])] = &[
    ("default", &[]),
    ("strict", &[]),
    (
        "shell",
        &[
            "a shell pipeline",
            "coreutils",
            "id",
            "ls -l",
            "getent",
            "chmod and chown of one's own file",
            "tar, gzip, xz",
        ],
    ),
    (
        "python",
        &["coreutils", "python", "python multiprocessing", "sqlite"],
    ),
    ("node", &["coreutils", "node"]),
    (
        "build",
        &[
            "coreutils",
            "git",
            "make -j2 with gcc",
            "perl",
            "tar, gzip, xz",
        ],
    ),
];

#[test]
fn everyday_programs_run_under_every_shipped_profile() {
    each_mode(|mode| {
        let dir = workdir(mode, "sc-everyday");
        for (profile, meant) in EVERYDAY_UNDER {
            for (what, needs, script, want) in EVERYDAY {
                if !meant.is_empty() && !meant.contains(what) {
                    continue;
                }
                if !have(needs, &format!("{what} is one of the everyday programs")) {
                    continue;
                }
                let out = run_sh(
                    mode,
                    &dir,
                    &["-q", "-p", profile],
                    &format!("cd /tmp && {script}"),
                );
                assert_eq!(
                    (out.status.code(), stdout(&out).as_str()),
                    (Some(0), *want),
                    "{what} under {profile} ({mode:?}): {}",
                    stderr(&out)
                );
            }
        }
        // Building in the working directory, which default binds writable.
        std::fs::write(
            dir.join("hello.c"),
            "#include <stdio.h>\nint main(void){puts(\"compiled\");return 0;}\n",
        )
        .unwrap();
        give_to_sandbox(&dir.join("hello.c"));
        if have("/usr/bin/gcc", "gcc is one of the everyday programs") {
            let out = run_sh(mode, &dir, &[], "gcc hello.c -o hello && ./hello");
            assert_eq!(stdout(&out), "compiled\n", "{}", stderr(&out));
        }
    });
}

#[test]
fn unlisted_syscall_kills_and_is_named() {
    each_mode(|mode| {
        let dir = workdir(mode, "sc-kill");
        // strict allows no network syscalls but AF_UNIX sockets.
        let Some(bin) = probe(
            &dir,
            "listen",
            "#include <sys/socket.h>\n#include <stdio.h>\nint main(void){int s=socket(AF_UNIX,SOCK_STREAM,0);\
             printf(\"socket %d\\n\", s>=0); fflush(stdout); listen(s, 1); puts(\"survived\"); return 0;}\n",
        ) else {
            return;
        };
        let out = run_probe(mode, &dir, "strict", &bin, &[], &[]);
        assert_eq!(out.status.code(), Some(159), "{}", stderr(&out));
        assert_eq!(stdout(&out), "socket 1\n");
        assert_eq!(
            stderr(&out),
            format!(
                "stockade: payload killed by seccomp: listen (syscall {})\n  hint: if the program \
                 needs it, allow it in a profile that extends this one: seccomp: {{allow: [listen]}}\n",
                libc::SYS_listen
            )
        );
    });
}

/// The dodge: a thread signals the caller while it is inside a forbidden
/// call, so the kernel withdraws the user notification and the call fails
/// with EINTR instead of running. With the argument "control" the probe
/// installs its own notifying filter that nobody answers, which shows the
/// attack works when no warden receives every notification.
const DODGE: &str = r#"#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
static pthread_t caller;
static volatile int stop;
static void on_signal(int s) { (void)s; }
static void *pester(void *a) { (void)a; while (!stop) pthread_kill(caller, SIGUSR1); return 0; }
static int notify_on_listen(void) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_listen, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog p = { 4, f };
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &p);
}
int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1 && notify_on_listen() < 0) { perror("seccomp"); return 2; }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: the call returns EINTR */
    sigaction(SIGUSR1, &sa, 0);
    caller = pthread_self();
    pthread_t t;
    pthread_create(&t, 0, pester, 0);
    int dodged = 0;
    for (int i = 0; i < 20000 && dodged < 3; i++)
        if (syscall(SYS_listen, 0, 1) == -1 && errno == EINTR) dodged++;
    /* Run on, quietly, for a second: a killer has every chance to act. */
    stop = 1;
    pthread_join(t, 0);
    struct timespec pause = { 1, 0 };
    while (nanosleep(&pause, &pause) == -1 && errno == EINTR) {}
    printf("survived, dodged %d\n", dodged);
    fflush(stdout);
    _exit(0);
}
"#;

#[test]
fn an_interrupted_forbidden_call_still_ends_the_sandbox() {
    let Some(bin) = probe(Path::new("/"), "dodge", DODGE) else {
        return;
    };
    // Control: a notification that a signal withdraws before anyone reads
    // it leaves the caller running, the call failed with EINTR.
    let out = std::process::Command::new(&bin)
        .arg("control")
        .output()
        .unwrap();
    assert!(
        out.status.success() && stdout(&out).starts_with("survived, dodged 3"),
        "the control must dodge: {} {}",
        stdout(&out),
        stderr(&out)
    );
    each_mode(|mode| {
        let dir = workdir(mode, "sc-dodge");
        // Every run ends as a violation: the warden receives every
        // notification, withdrawn ones included, and kills at once.
        for run in 0..25 {
            let out = run_probe(mode, &dir, "strict", &bin, &[], &[]);
            assert_eq!(
                out.status.code(),
                Some(159),
                "run {run}: {} {}",
                stdout(&out),
                stderr(&out)
            );
            assert!(!stdout(&out).contains("survived"), "run {run}");
            let e = stderr(&out);
            assert!(
                e.starts_with("stockade: payload killed by seccomp: listen")
                    || e.contains("interrupted"),
                "run {run}: {e}"
            );
        }
    });
}

#[test]
fn deny_entries_answer_with_their_errno_and_rules_hold_at_boundaries() {
    each_mode(|mode| {
        let dir = workdir(mode, "sc-deny");
        let Some(bin) = probe(
            &dir,
            "calls",
            r#"#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/socket.h>
int main(void) {
    long r = syscall(SYS_getpriority, 0, 0); printf("getpriority %s\n", r == -1 ? (errno == EROFS ? "EROFS" : "other") : "ok");
    r = syscall(SYS_dup3, 1, 20, 0); printf("dup3 %s\n", r >= 0 ? "ok" : "err");
    return 0;
}
"#,
        ) else {
            return;
        };
        let p = profile(
            &dir,
            "deny.yaml",
            "seccomp:\n  deny:\n    - {syscall: getpriority, errno: EROFS}\n",
        );
        let out = run_probe(mode, &dir, &p, &bin, &[], &[]);
        let s = stdout(&out);
        assert_eq!(s, "getpriority EROFS\ndup3 ok\n", "{}", stderr(&out));
        // Argument rules at their boundary, in a profile of its own.
        let own = dir.join("own.yaml");
        std::fs::write(
            &own,
            "version: 1\nnamespaces: [user, pid, mount, net, ipc, uts]\nfilesystem:\n  - {bind: /usr}\n  \
             - {bind: /lib, optional: true}\n  - {bind: /lib64, optional: true}\n  - {bind: /bin, optional: true}\n\
             seccomp:\n  allow:\n    - \"@default\"\n    - \"@basic-io\"\n    - \"@file-system\"\n    - \"@signal\"\n    \
             - {syscall: getpriority, args: [{arg: 0, op: le, value: 1}]}\n  default_action: errno(EPERM)\n",
        )
        .unwrap();
        let boundary = probe(
            &dir,
            "prio",
            r#"#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(void) {
    for (int which = 0; which <= 2; which++) {
        errno = 0; long r = syscall(SYS_getpriority, which, 0);
        printf("%d:%s\n", which, (r == -1 && errno == EPERM) ? "filtered" : "passed");
    }
    return 0;
}
"#,
        )
        .unwrap();
        let arg = format!("{}:/prio", boundary.display());
        let out = stockade(mode, &dir)
            .args([
                "run",
                "-p",
                own.to_str().unwrap(),
                "--ro",
                &arg,
                "--",
                "/prio",
            ])
            .output()
            .unwrap();
        // `le 1` (unsigned 64-bit): 0 and 1 pass; 2 is past the boundary.
        assert_eq!(
            stdout(&out),
            "0:passed\n1:passed\n2:filtered\n",
            "{}",
            stderr(&out)
        );
    });
}

#[test]
fn other_abis_are_killed() {
    if !cfg!(target_arch = "x86_64") {
        skip("the i386 and x32 entry points exist only on x86_64");
        return;
    }
    each_mode(|mode| {
        let dir = workdir(mode, "sc-abi");
        let Some(int80) = probe(
            &dir,
            "int80",
            "int main(void){long r; __asm__ volatile(\"int $0x80\" : \"=a\"(r) : \"a\"(20L)); return 3;}\n",
        ) else {
            return;
        };
        let x32 = probe(
            &dir,
            "x32",
            "#include <unistd.h>\n#include <sys/syscall.h>\nint main(void){syscall(0x40000000L | 39); return 3;}\n",
        )
        .unwrap();
        for (bin, what) in [(int80, "int 0x80"), (x32, "x32")] {
            for profile in ["default", "strict"] {
                let out = run_probe(mode, &dir, profile, &bin, &[], &[]);
                assert_eq!(
                    out.status.code(),
                    Some(128 + libc::SIGSYS),
                    "{what} under {profile}: {}",
                    stderr(&out)
                );
            }
        }
    });
}

#[test]
fn tiocsti_is_refused_even_with_high_bits_set() {
    each_mode(|mode| {
        let dir = workdir(mode, "sc-tiocsti");
        let Some(bin) = probe(
            &dir,
            "tiocsti",
            r#"#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
int main(void) {
    char c = 'x';
    unsigned long reqs[] = { TIOCSTI, TIOCSTI | 0xffffffff00000000UL, TIOCLINUX | 0x100000000UL };
    for (int i = 0; i < 3; i++) {
        errno = 0; long r = syscall(SYS_ioctl, 0, reqs[i], &c);
        printf("%s\n", (r == -1 && errno == EPERM) ? "EPERM" : "not-blocked");
    }
    return 0;
}
"#,
        ) else {
            return;
        };
        for profile in ["default", "strict"] {
            let out = run_probe(mode, &dir, profile, &bin, &[], &[]);
            assert_eq!(
                stdout(&out),
                "EPERM\nEPERM\nEPERM\n",
                "{profile}: {}",
                stderr(&out)
            );
        }
    });
}

#[test]
fn namespaces_io_uring_and_kernel_interfaces_are_closed() {
    each_mode(|mode| {
        let dir = workdir(mode, "sc-doors");
        let Some(bin) = probe(
            &dir,
            "doors",
            r#"#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
static void show(const char *what, long r) { printf("%s %s\n", what, r == -1 ? strerrorname_np(errno) : "OK"); }
int main(void) {
    show("unshare", syscall(SYS_unshare, CLONE_NEWUSER));
    show("clone-newns", syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0));
    char args[88] = {0};
    show("clone3", syscall(SYS_clone3, args, sizeof args));
    char params[120] = {0};
    show("io_uring_setup", syscall(SYS_io_uring_setup, 1, params));
    show("bpf", syscall(SYS_bpf, 0, 0, 0));
    show("keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0));
    show("ptrace", syscall(SYS_ptrace, 0, 0, 0, 0));
    show("mount", syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, 0));
    return 0;
}
"#,
        ) else {
            return;
        };
        let out = run_probe(mode, &dir, "default", &bin, &[], &[]);
        assert_eq!(
            stdout(&out),
            "unshare EPERM\nclone-newns EPERM\nclone3 ENOSYS\nio_uring_setup ENOSYS\nbpf EPERM\n\
             keyctl ENOSYS\nptrace EPERM\nmount EPERM\n",
            "{}",
            stderr(&out)
        );
    });
}

#[test]
fn profile_errors_name_the_place_and_suggest() {
    let dir = workdir(Mode::Rootless, "sc-errors");
    let cases = [
        (
            "seccomp:\n  allow: [opne]\n",
            "unknown syscall 'opne' on",
            "did you mean 'open'?",
        ),
        (
            "seccomp:\n  allow: [\"@basic-oi\"]\n",
            "unknown syscall group",
            "did you mean '@basic-io'",
        ),
        (
            "seccomp:\n  allow: [{syscall: socket, args: [{arg: 0, op: eq, value: AF_UNX}]}]\n",
            "unknown constant 'AF_UNX'",
            "did you mean 'AF_UNIX'",
        ),
        (
            "seccomp:\n  allow: [{syscall: socket, args: [{arg: 7, op: eq, value: 1}]}]\n",
            "argument index 7 is impossible",
            "",
        ),
    ];
    for (i, (yaml, what, hint)) in cases.iter().enumerate() {
        let p = dir.join(format!("e{i}.yaml"));
        std::fs::write(&p, format!("version: 1\n{yaml}")).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_stockade"))
            .args(["check", p.to_str().unwrap()])
            .output()
            .unwrap();
        let e = stderr(&out);
        assert_eq!(out.status.code(), Some(125), "{e}");
        assert!(e.contains(&format!("e{i}.yaml:3:")), "{e}");
        assert!(e.contains(what) && e.contains(hint), "{e}");
    }
    let p = dir.join("empty.yaml");
    std::fs::write(&p, "version: 1\nseccomp:\n  default_action: kill-process\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stockade"))
        .args(["check", p.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("allowlist is empty"),
        "{}",
        stderr(&out)
    );
    let p = dir.join("risky.yaml");
    std::fs::write(
        &p,
        "version: 1\nseccomp:\n  allow: [\"@default\", \"@basic-io\", ptrace]\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stockade"))
        .args(["check", p.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("warning:") && stdout(&out).contains("allows ptrace"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn oversize_filter_is_a_positioned_profile_error() {
    let dir = workdir(Mode::Rootless, "sc-big");
    let rules: String = (0..2500)
        .map(|i| format!("    - {{syscall: kill, args: [{{arg: 1, op: eq, value: {i}}}]}}\n"))
        .collect();
    let p = dir.join("big.yaml");
    std::fs::write(
        &p,
        format!("version: 1\nseccomp:\n  allow:\n    - \"@default\"\n    - \"@basic-io\"\n{rules}"),
    )
    .unwrap();
    for cmd in [
        &["check", p.to_str().unwrap()][..],
        &["run", "-p", p.to_str().unwrap(), "--", "true"][..],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_stockade"))
            .args(cmd)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(125));
        let e = stderr(&out);
        assert!(
            e.contains(&format!("{}:4:", p.display()))
                && e.contains("the kernel accepts at most 4096"),
            "{e}"
        );
    }
}

#[test]
fn argument_rules_read_32_bit_arguments_as_the_kernel_does() {
    // The kernel reads getpriority's `which` and socket's `family` as int:
    // bits above 32 must not change a rule's verdict, for any operator.
    each_mode(|mode| {
        let dir = workdir(mode, "sc-width");
        let Some(bin) = probe(
            &dir,
            "width",
            r#"#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
int main(void) {
    for (long which = 0; which <= 2; which++) {
        errno = 0; long r = syscall(SYS_getpriority, (1L << 32) | which, 0);
        printf("%s ", (r == -1 && errno == EPERM) ? "filtered" : "passed");
    }
    long s = syscall(SYS_socket, (1L << 32) | 17 /* AF_PACKET */, SOCK_RAW, 0);
    printf("packet:%s\n", s >= 0 ? "created" : errno == EACCES ? "EACCES" : "other");
    return 0;
}
"#,
        ) else {
            return;
        };
        // (low 32 bits) 0, 1, 2 against value 1, per operator.
        let cases = [
            ("eq", "filtered passed filtered"),
            ("ne", "passed filtered passed"),
            ("lt", "passed filtered filtered"),
            ("le", "passed passed filtered"),
            ("gt", "filtered filtered passed"),
            ("ge", "filtered passed passed"),
            ("masked_eq(1)", "filtered passed filtered"),
        ];
        for (op, expected) in cases {
            let own = dir.join("width.yaml");
            std::fs::write(
                &own,
                format!(
                    "{BARE_VIEW}seccomp:\n  default_action: errno(EPERM)\n  allow:\n    - \"@default\"\n    \
                     - \"@basic-io\"\n    - \"@file-system\"\n    - \"@signal\"\n    - socket\n    \
                     - {{syscall: getpriority, args: [{{arg: 0, op: \"{op}\", value: 1}}]}}\n  \
                     deny:\n    - {{syscall: socket, errno: EACCES, args: [{{arg: 0, op: eq, value: 17}}]}}\n"
                ),
            )
            .unwrap();
            let out = run_probe(mode, &dir, own.to_str().unwrap(), &bin, &[], &[]);
            assert_eq!(
                stdout(&out),
                format!("{expected} packet:EACCES\n"),
                "op {op}: {}",
                stderr(&out)
            );
        }
    });
}

#[test]
fn rules_that_could_be_bypassed_are_refused_with_their_position() {
    let dir = scratch_root().join("sc-width-bad");
    let _ = std::fs::create_dir_all(&dir);
    for (rule, message) in [
        (
            "{syscall: openat, args: [{arg: 3, op: eq, value: 0o4755}]}",
            "openat argument 3 is a file mode (16 bits): use masked_eq(MASK)",
        ),
        (
            "{syscall: socket, args: [{arg: 0, op: eq, value: 0x100000001}]}",
            "socket argument 0 is 32 bits wide; 0x100000001 does not fit",
        ),
        (
            "{syscall: sendfile, args: [{arg: 0, op: eq, value: 1}]}",
            "argument rules on sendfile argument 0 are not supported",
        ),
    ] {
        let p = dir.join("bad.yaml");
        std::fs::write(
            &p,
            format!("version: 1\nseccomp:\n  allow:\n    - \"@default\"\n    - {rule}\n"),
        )
        .unwrap();
        let out = std::process::Command::new(binary())
            .args(["check", p.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(125), "{rule}");
        let e = stderr(&out);
        assert!(
            e.contains("bad.yaml:5:7") && e.contains(message),
            "{rule}: {e}"
        );
    }
}

#[test]
fn the_payload_runs_under_one_filter() {
    // One program per sandbox, whatever the profile: the kernel runs one
    // filter per syscall, not a stack of them.
    each_mode(|mode| {
        let dir = workdir(mode, "sc-one");
        for profile in ["default", "strict"] {
            let out = run_sh(
                mode,
                &dir,
                &["-q", "-p", profile],
                "grep -E '^Seccomp(_filters)?:' /proc/self/status | tr -d '\\t'",
            );
            assert_eq!(
                stdout(&out),
                "Seccomp:2\nSeccomp_filters:1\n",
                "{profile}: {}",
                stderr(&out)
            );
        }
    });
}

#[test]
fn learning_lists_the_refused_calls_as_a_profile_that_then_runs() {
    each_mode(|mode| {
        let dir = workdir(mode, "sc-learn");
        let Some(bin) = probe(
            &dir,
            "listen-twice",
            "#include <sys/socket.h>\n#include <stdio.h>\n#include <unistd.h>\nint main(void){int s=socket(AF_UNIX,SOCK_STREAM,0);\
             listen(s, 1); listen(s, 1); printf(\"survived %d\\n\", getpid() > 0); return 0;}\n",
        ) else {
            return;
        };
        // Control: strict kills it at the first listen.
        let out = run_probe(mode, &dir, "strict", &bin, &[], &[]);
        assert_eq!(out.status.code(), Some(159), "{}", stderr(&out));
        // The status stream names it too (fd 1: stdout carries both).
        let out = run_probe(
            mode,
            &dir,
            "strict",
            &bin,
            &["--learn", "--status-fd", "1"],
            &[],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let learned: Vec<String> = stdout(&out)
            .lines()
            .filter(|l| l.contains("\"event\":\"learned\""))
            .map(str::to_string)
            .collect();
        assert_eq!(learned.len(), 1, "{}", stdout(&out));
        assert!(
            learned[0].contains("\"syscall\":\"listen\""),
            "{}",
            learned[0]
        );
        assert!(stdout(&out).contains("survived 1\n"));
        let err = stderr(&out);
        let yaml = err
            .split_once("extend it:\n")
            .unwrap_or_else(|| panic!("no profile in: {err}"))
            .1;
        assert_eq!(
            yaml,
            "version: 1\nextends: strict\nseccomp:\n  allow: [listen]\n"
        );
        // What it printed is a profile under which the program runs.
        let learned = dir.join("learned.yaml");
        std::fs::write(&learned, yaml).unwrap();
        let out = run_probe(mode, &dir, learned.to_str().unwrap(), &bin, &[], &[]);
        assert_eq!(
            (out.status.code(), stdout(&out).as_str()),
            (Some(0), "survived 1\n"),
            "{}",
            stderr(&out)
        );
    });
}
