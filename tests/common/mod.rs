//! Test harness: runs the real `stockade` binary as root and, rootless, as
//! uid 65534 (when the tests themselves run as root, as in CI).
#![allow(dead_code)]

use std::os::unix::fs::{chown, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The start of a stand-alone profile with just enough of a view to run
/// `sh` and C probes, and nothing that needs a Landlock ABI or a seccomp
/// section: append sections to it.
pub const BARE_VIEW: &str =
    "version: 1\nfilesystem:\n  - {bind: /usr}\n  - {bind: /bin, optional: true}\n  \
     - {bind: /lib, optional: true}\n  - {bind: /lib64, optional: true}\n  - {tmpfs: /tmp}\n";

/// uid/gid the rootless runs use when the tests run as root.
pub const NOBODY: u32 = 65534;

/// Who launches stockade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The launcher runs as root.
    Root,
    /// The launcher runs as an unprivileged user.
    Rootless,
}

/// Whether a check that cannot run must fail instead of skipping (CI sets
/// STOCKADE_TEST_MUST_WORK=1).
pub fn must_work() -> bool {
    std::env::var("STOCKADE_TEST_MUST_WORK").as_deref() == Ok("1")
}

/// Says loudly that a check was skipped and why. Written straight to the
/// process's stderr so the test harness's output capture cannot hide it.
/// With STOCKADE_TEST_MUST_WORK=1 (CI) a skip is a failure.
pub fn skip(why: &str) {
    use std::io::Write;
    if must_work() {
        panic!("skipped: {why} (STOCKADE_TEST_MUST_WORK=1: a skip is a failure)");
    }
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}

/// Whether the program at `path` exists; a loud skip naming `why` if not.
pub fn have(path: &str, why: &str) -> bool {
    let ok = Path::new(path).exists();
    if !ok {
        skip(&format!("{path} is missing: {why}"));
    }
    ok
}

/// Compiles the C program `src` once per test binary into the scratch
/// directory (readable by the rootless user) and returns the executable.
/// Static, so it also runs in a chroot with nothing else in it. None,
/// after a loud skip, without gcc.
pub fn compile_c(name: &str, src: &str) -> Option<PathBuf> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let built = built.get_or_insert_with(HashMap::new);
    if let Some(p) = built.get(name) {
        return Some(p.clone());
    }
    if !have("/usr/bin/gcc", "the probes are C programs") {
        return None;
    }
    let dir = scratch_root().join("probes");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let c = dir.join(format!("{name}.c"));
    let bin = dir.join(name);
    std::fs::write(&c, src).unwrap();
    let out = Command::new("gcc")
        .args(["-O1", "-static", "-o"])
        .arg(&bin)
        .arg(&c)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "probe {name} does not compile: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    built.insert(name.to_owned(), bin.clone());
    Some(bin)
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The modes this machine can test. Says so loudly when one is skipped.
pub fn modes() -> Vec<Mode> {
    if is_root() {
        vec![Mode::Root, Mode::Rootless]
    } else if std::env::var_os("STOCKADE_TEST_ROOTLESS_RUN").is_some() {
        // A root test run re-executed this binary as uid 65534 on purpose.
        vec![Mode::Rootless]
    } else {
        skip("root mode (the tests are not running as root)");
        vec![Mode::Rootless]
    }
}

/// A directory for this test run, readable by the rootless user.
pub fn scratch_root() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // Test binaries run one after another: remove what earlier runs,
        // whose processes are gone, left in the temporary directory.
        for e in std::fs::read_dir(std::env::temp_dir())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("stockade-tests-") {
                if !Path::new(&format!("/proc/{pid}")).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let d = std::env::temp_dir().join(format!("stockade-tests-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        d
    })
}

/// The stockade binary, copied where the rootless user can execute it.
pub fn binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // Copied by another process: a process another test forks while
        // this one writes would inherit the descriptor the copy writes
        // through (until its exec), and exec of a file open for writing
        // fails with ETXTBSY. `cp` holds that descriptor in its own
        // process only, and has closed it when it exits.
        let dst = scratch_root().join("stockade");
        let copied = Command::new("cp")
            .arg(env!("CARGO_BIN_EXE_stockade"))
            .arg(&dst)
            .status()
            .unwrap();
        assert!(copied.success(), "cp of the stockade binary failed");
        std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o755)).unwrap();
        dst
    })
}

/// A fresh directory owned by the sandbox user (when the tests run as
/// root, the payload is uid 65534 in both modes).
pub fn workdir(mode: Mode, name: &str) -> PathBuf {
    let d = scratch_root().join(format!("{name}-{mode:?}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
    give_to_sandbox(&d);
    d
}

/// Hands a host path to the sandbox user.
pub fn give_to_sandbox(p: &Path) {
    if is_root() {
        chown(p, Some(NOBODY), Some(NOBODY)).unwrap();
    }
}

/// `stockade ARGS` as the user of `mode`, in `cwd`.
pub fn stockade(mode: Mode, cwd: &Path) -> Command {
    let mut c = if mode == Mode::Rootless && is_root() {
        let mut c = Command::new("setpriv");
        c.args([
            format!("--reuid={NOBODY}"),
            format!("--regid={NOBODY}"),
            "--clear-groups".into(),
        ]);
        c.arg(binary());
        c
    } else {
        Command::new(binary())
    };
    c.current_dir(cwd);
    c.env("STOCKADE_TEST_SECRET", "hunter2");
    c
}

/// Runs `stockade run [extra] -- sh -c SCRIPT` and returns its output.
pub fn run_sh(mode: Mode, cwd: &Path, extra: &[&str], script: &str) -> Output {
    let out = stockade(mode, cwd)
        .arg("run")
        .args(extra)
        .args(["--", "sh", "-c", script])
        .output()
        .unwrap();
    eprintln!(
        "[{mode:?}] {extra:?} {script:?} -> {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// PIDs of host processes whose command line contains `token`.
pub fn host_processes_with(token: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(token) && !cmd.contains("stockade") {
                found.push(pid);
            }
        }
    }
    found
}

/// Waits up to `secs` for no host process to carry `token`.
pub fn gone_within(token: &str, secs: u64) -> bool {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < end {
        if host_processes_with(token).is_empty() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    host_processes_with(token).is_empty()
}

/// Makes sure sandboxes can be created here (checked once per mode and
/// test binary); in CI (STOCKADE_TEST_MUST_WORK=1) a failure is an error,
/// elsewhere it is a loud skip.
pub fn sandboxes_work(mode: Mode) -> bool {
    static CHECKED: [OnceLock<Result<(), String>>; 2] = [OnceLock::new(), OnceLock::new()];
    let r = CHECKED[mode as usize].get_or_init(|| {
        let out = stockade(mode, scratch_root())
            .args(["run", "-p", "strict", "--", "true"])
            .output()
            .unwrap();
        if out.status.success() {
            Ok(())
        } else {
            Err(stderr(&out))
        }
    });
    match r {
        Ok(()) => true,
        Err(why) => {
            if must_work() {
                panic!("sandboxes do not work here ({mode:?}): {why}");
            }
            skip(&format!(
                "sandboxes cannot be created here ({mode:?}): {why}"
            ));
            false
        }
    }
}

/// `stockade run -p PROFILE --ro BIN:/probe [extra] -- /probe ARGS`.
pub fn run_probe(
    mode: Mode,
    dir: &Path,
    profile: &str,
    bin: &Path,
    extra: &[&str],
    args: &[&str],
) -> Output {
    let probe = format!("{}:/probe", bin.display());
    stockade(mode, dir)
        .args(["run", "-p", profile, "--ro", &probe])
        .args(extra)
        .arg("--")
        .arg("/probe")
        .args(args)
        .output()
        .unwrap()
}

/// Whether sandboxes work in every mode this machine can test (a loud skip
/// says why not).
pub fn all_modes_work() -> bool {
    modes().into_iter().all(sandboxes_work)
}

/// Runs `test` once per mode this machine can test and where sandboxes work.
pub fn each_mode(test: impl Fn(Mode)) {
    for mode in modes() {
        if sandboxes_work(mode) {
            test(mode);
        }
    }
}

/// Runs this test binary again as uid 65534 (copied where that user can
/// read it) with `args` and `STOCKADE_TEST_ROOTLESS_RUN` plus `inner` set,
/// and returns its standard output; fails the test if that run failed.
pub fn rerun_rootless(name: &str, inner: &str, args: &[&str]) -> String {
    let copy = scratch_root().join(name);
    std::fs::copy(std::env::current_exe().unwrap(), &copy).unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&copy)
        .args(args)
        .env(inner, "1")
        .env("STOCKADE_TEST_ROOTLESS_RUN", "1")
        .current_dir(scratch_root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rootless run failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// The body of a test named `wrapper` that reruns every other test of
/// this binary as uid 65534 (when the tests run as root and both modes
/// work) and checks that each of them passed there; `inner` marks the
/// rerun, which skips this wrapper.
pub fn every_other_test_rootless(wrapper: &str, inner: &str) {
    if !is_root() || std::env::var(inner).is_ok() || !all_modes_work() {
        return;
    }
    let skip = ["--skip", wrapper];
    let name = format!("{}-rootless", wrapper.replace('_', "-"));
    let out = rerun_rootless(&name, inner, &skip);
    // Every other test of this binary ran there (and none was skipped:
    // the must-work setting is inherited).
    let listed = Command::new(std::env::current_exe().unwrap())
        .args(["--list", "--skip", wrapper])
        .output()
        .unwrap();
    let n = stdout(&listed)
        .lines()
        .filter(|l| l.ends_with(": test"))
        .count();
    assert!(n >= 1, "{}", stdout(&listed));
    assert!(
        out.contains(&format!("test result: ok. {n} passed")),
        "{out}"
    );
}
