#!/usr/bin/env bash
# Where the CPU time of one start goes, for stockade -p strict, bubblewrap
# with the equivalent view and the floor (compare.sh's three commands):
# perf samples every CPU (cpu-clock, 4 kHz) over N sequential starts of
# each, interleaved, and charges each sample to the system call or fault
# it was taken in, to user space, or to a kernel worker. Parallel
# start-ups are bound by this figure (benches/README.md).
#
#   bash benches/cpu.sh            # 300 starts of each; installs linux-perf when missing
#   N=100 bash benches/cpu.sh
#   KEEP=/tmp/cpu bash benches/cpu.sh  # and keep the samples there
#
# Prints milliseconds of CPU per start in each bucket, side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-300}
need=()
command -v perf >/dev/null || need+=(linux-perf)
command -v bwrap >/dev/null || need+=(bubblewrap)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
static=$(uname -m)-unknown-linux-musl
cargo build --release --quiet --target "$static"
# KEEP=DIR keeps perf's samples (DIR/NAME.txt, perf script's text) for a
# closer look.
if [ -n "${KEEP:-}" ]; then
  work=$KEEP
  mkdir -p "$work"
  rm -f "$work"/*.txt
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
cp "target/$static/release/stockade" "$work/stockade"

. benches/commands.sh
names=(stockade bwrap floor)
cmds=("$work/stockade run -q -p strict -- /bin/true" "$bwrap_cmd /bin/true" "$floor")
# Interleaved: six rounds of n/6 starts of each, so that the three share
# the machine's drift.
rounds=6
for r in $(seq $rounds); do
  for i in 0 1 2; do
    perf record -q -a -g -F 4000 -o "$work/run.data" -- \
      sh -c "for i in \$(seq $((n / rounds))); do ${cmds[$i]}; done" >/dev/null 2>&1
    perf script -i "$work/run.data" 2>/dev/null >> "$work/${names[$i]}.txt"
  done
done
n=$((n / rounds * rounds))

python3 - "$n" "$work" "${names[@]}" <<'EOF'
import collections, re, sys
n, work, names = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
HZ = 4000.0
MOUNT = {"fsopen", "fsconfig", "fsmount", "move_mount", "open_tree", "mount_setattr", "mount",
         "umount", "pivot_root", "mkdir", "mkdirat", "symlink", "symlinkat", "mknodat", "chdir",
         "fchdir"}
# The commands' processes: the launchers, the payload, the loop around them.
OURS = {"stockade", "bwrap", "unshare", "true", "sh", "seq"}
LOOKUP = {"open", "openat", "openat2", "creat", "close", "close_range", "newstat", "newlstat",
          "newfstatat", "newfstat", "statx", "readlink", "readlinkat", "access", "faccessat2",
          "getdents64", "statfs"}

def syscall_of(fns):
    """The system call a kernel stack is in (fns: innermost first), or
    None when the sample was taken on the way back to user space."""
    i = fns.index("do_syscall_64")
    for f in reversed(fns[:i]):  # from the entry inwards
        if f == "x64_sys_call":
            continue
        if f == "exit_to_user_mode_loop":
            return None
        m = re.match(r"(?:__x64_sys_|__do_sys_|__se_sys_|ksys_|do_sys_)?(\w+?)(?:_pgoff)?$", f)
        s = m.group(1) if m else f
        return "seccomp" if s == "do_seccomp" else s
    return "?"

def bucket(comm, frames):
    """The bucket a sample goes to, and its system call when that bucket
    is "other system calls"; None for another program's or idle CPU."""
    if comm.startswith(("kworker", "ksoftirq", "rcu")):
        return "kernel workers (netns and mount teardown, RCU)", None
    if comm not in OURS:
        return None, None
    if frames and "kernel" not in frames[0]:
        return "user space", None
    fns = [f.split()[1].split("+")[0] for f in frames if len(f.split()) > 1]
    if "asm_exc_page_fault" in fns:
        return "page faults", None
    if "do_syscall_64" not in fns:
        return "kernel, other (interrupts)", None
    s = syscall_of(fns)
    for calls, b in GROUPS:
        if s in calls:
            return b, None
    if s is None:
        return "return to user: deferred work, signals", None
    return "other system calls", s

GROUPS = [
    ({"unshare", "clone", "clone3"}, "namespaces and processes: unshare, clone"),
    ({"execve", "execveat"}, "exec"),
    (MOUNT, "the view: mounts, pivot_root, mkdir, symlink"),
    (LOOKUP, "path lookups: open, stat, readlink, close"),
    ({"exit_group", "exit"}, "exit"),
    ({"seccomp"}, "seccomp program install"),
]

table, others = {}, {}
for name in names:
    cnt, other = collections.Counter(), collections.Counter()
    comm, frames = None, []
    def flush():
        if comm is not None:
            b, s = bucket(comm, frames)
            if b:
                cnt[b] += 1
            if s:
                other[s] += 1
    with open(f"{work}/{name}.txt", errors="replace") as f:  # perf script's blocks
        for line in f:
            if not line.strip():
                flush(); comm, frames = None, []
            elif not line.startswith((" ", "\t")):
                comm, frames = line.split()[0], []
            else:
                frames.append(line.strip())
    flush()
    table[name], others[name] = cnt, other

rows = sorted({b for c in table.values() for b in c}, key=lambda b: -table[names[0]][b])
ms = lambda c: c * 1000.0 / HZ / n
print(f"CPU per start, ms ({n} sequential starts each, interleaved, perf -a at {HZ:.0f} Hz)")
print("| bucket | " + " | ".join(names) + " |")
print("|---|" + "---|" * len(names))
for b in rows:
    print(f"| {b} | " + " | ".join(f"{ms(table[x][b]):.3f}" for x in names) + " |")
print("| total | " + " | ".join(f"{ms(sum(table[x].values())):.3f}" for x in names) + " |")
print()
for x in names:
    top = ", ".join(f"{c} {ms(k):.3f}" for c, k in others[x].most_common(6))
    print(f"{x}, other system calls, the largest: {top}")
EOF
