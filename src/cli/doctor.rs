//! `stockade doctor`: what this machine gives stockade, what a missing
//! piece breaks, and the exact fix.

use crate::sandbox::{Outcome, Sandbox};
use crate::sys;

/// One finding.
struct Finding {
    ok: bool,
    what: String,
    /// What it breaks and how to fix it (problems only).
    fix: String,
}

fn ok(what: impl Into<String>) -> Finding {
    Finding {
        ok: true,
        what: what.into(),
        fix: String::new(),
    }
}

fn problem(what: impl Into<String>, fix: impl Into<String>) -> Finding {
    Finding {
        ok: false,
        what: what.into(),
        fix: fix.into(),
    }
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// The kernel release as (major, minor).
fn kernel() -> (u32, u32, String) {
    let release = read("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|p| p.parse().ok());
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        release,
    )
}

fn user_namespaces() -> Finding {
    if read("/proc/sys/user/max_user_namespaces").as_deref() == Some("0") {
        return problem(
            "user namespaces: user.max_user_namespaces is 0",
            "no sandbox can start; fix: sysctl -w user.max_user_namespaces=15000",
        );
    }
    if read("/proc/sys/kernel/unprivileged_userns_clone").as_deref() == Some("0")
        && !nix::unistd::geteuid().is_root()
    {
        return problem(
            "user namespaces: kernel.unprivileged_userns_clone is 0",
            "rootless sandboxes cannot start; fix: sysctl -w kernel.unprivileged_userns_clone=1",
        );
    }
    if read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").as_deref() == Some("1")
        && !nix::unistd::geteuid().is_root()
    {
        return problem(
            "user namespaces: AppArmor restricts unprivileged user namespaces",
            "rootless sandboxes cannot start; fix: sysctl -w \
             kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile for \
             stockade with 'userns,'",
        );
    }
    ok("user namespaces: available")
}

fn kernel_calls() -> Finding {
    let (major, minor, release) = kernel();
    if (major, minor) >= (5, 12) {
        ok(format!(
            "kernel {release}: clone3, pidfds, openat2, close_range, mount_setattr"
        ))
    } else {
        problem(
            format!("kernel {release} is older than 5.12"),
            "stockade needs clone3, pidfds, openat2, close_range and mount_setattr (Linux 5.12); \
             fix: a newer kernel",
        )
    }
}

fn landlock() -> Finding {
    match sys::landlock_abi() {
        0 => problem(
            "landlock: unavailable",
            "profiles with filesystem rules are refused unless they say best-effort; fix: boot \
             with landlock in the lsm= list (e.g. lsm=landlock,lockdown,yama,apparmor,bpf)",
        ),
        abi if abi < 4 => problem(
            format!("landlock: ABI {abi}"),
            "no TCP port rules (ABI 4) and no signal or abstract-socket scoping (ABI 6): \
             profiles requiring them are refused; fix: Linux 6.7 or newer",
        ),
        abi if abi < 6 => problem(
            format!("landlock: ABI {abi}"),
            "no signal or abstract-socket scoping (ABI 6): profiles requiring it are refused; \
             fix: Linux 6.12 or newer",
        ),
        abi => ok(format!("landlock: ABI {abi}")),
    }
}

fn seccomp() -> Finding {
    let actions = read("/proc/sys/kernel/seccomp/actions_avail").unwrap_or_default();
    let has = |a: &str| actions.split_whitespace().any(|x| x == a);
    if has("user_notif") && has("kill_process") {
        ok("seccomp: filters with user notification")
    } else {
        problem(
            format!("seccomp: actions available: {actions:?}"),
            "a forbidden syscall cannot be reported and killed as stockade does; fix: a kernel \
             with CONFIG_SECCOMP_FILTER (Linux 5.0 or newer)",
        )
    }
}

/// Other system call ABIs are no problem: every filter stockade installs
/// kills calls of any architecture but the native one, and x32 calls
/// (numbers with bit 30 set) on x86_64.
fn other_abis() -> Finding {
    let x32 = if sys::x32_syscalls_work() {
        "x32 is enabled in this kernel"
    } else {
        "x32 is not enabled in this kernel"
    };
    ok(format!(
        "other syscall ABIs ({x32}; 32-bit compat and x32 calls are killed by every sandbox's filter)"
    ))
}

fn cgroups() -> Finding {
    let Some(mount) = crate::process::cgroup::cgroup2_mount() else {
        return problem(
            "cgroup v2: not mounted",
            "limits.memory falls back to RLIMIT_DATA per process and limits.cpu is not \
             enforced; fix: mount cgroup2 (systemd does with unified_cgroup_hierarchy=1)",
        );
    };
    let mount = mount.display();
    let controllers = read(&format!("{mount}/cgroup.controllers")).unwrap_or_default();
    let missing: Vec<&str> = ["memory", "pids", "cpu"]
        .into_iter()
        .filter(|c| !controllers.split_whitespace().any(|x| x == *c))
        .collect();
    if !missing.is_empty() {
        return problem(
            format!("cgroup v2 at {mount}: no {} controller", missing.join(", ")),
            "limits.memory falls back to RLIMIT_DATA per process and limits.cpu is not \
             enforced; fix: boot with systemd.unified_cgroup_hierarchy=1 (the controllers are \
             held by a cgroup v1 hierarchy)",
        );
    }
    if nix::unistd::geteuid().is_root() {
        ok(format!("cgroup v2 at {mount}: memory, pids, cpu"))
    } else {
        ok(format!(
            "cgroup v2 at {mount}: memory, pids, cpu (rootless: limits.memory and limits.cpu \
             need --cgroup-parent with a cgroup delegated to you)"
        ))
    }
}

fn a_sandbox() -> Finding {
    let started = Sandbox::from_profile("strict").map(|s| s.args(["true"]).status());
    match started {
        Ok(Ok(Outcome::Exited(0))) => ok("a sandbox: `run -p strict -- true` exits 0"),
        Ok(Ok(o)) => problem(
            format!("a sandbox ended as {o:?}"),
            "see the message of `stockade run -p strict -- true`",
        ),
        Ok(Err(e)) | Err(e) => problem(format!("a sandbox cannot start: {e}"), "see above"),
    }
}

/// Prints every finding; exit code 0 when there is no problem, 1 else.
pub(super) fn doctor() -> i32 {
    let findings = [
        kernel_calls(),
        user_namespaces(),
        seccomp(),
        landlock(),
        other_abis(),
        cgroups(),
        a_sandbox(),
    ];
    for f in &findings {
        if f.ok {
            println!("ok       {}", f.what);
        } else {
            println!("problem  {}\n         {}", f.what, f.fix);
        }
    }
    let problems = findings.iter().filter(|f| !f.ok).count();
    println!("{problems} problem(s)");
    i32::from(problems > 0)
}
