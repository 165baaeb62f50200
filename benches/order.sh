#!/usr/bin/env bash
# Writes benches/start-order.txt: the functions of the static launcher
# that a start runs, which build.rs has lld place together (see
# `start_order` there). Traces starts of `-p strict` and `-p default`, as
# root and as uid 65534, instruction by instruction (ptrace), in the
# launcher's process; PID 1's and the payload's code, which runs in
# processes the trace does not follow, is listed whole (stockade's
# `process` and `sys` modules), with what it calls outside them. Run it
# after a compiler or dependency update, and whenever the code a start
# runs changes: a function the list lacks is placed among the cold code,
# and the launcher maps a window of code around it (its peak RSS shows
# it). `--check` computes the list from one traced start of `-p strict`
# (with PID 1's and the payload's code found as above) and prints the
# functions it has that benches/start-order.txt lacks, without writing
# anything; benches/compare.sh runs it on the launcher it measures.
#
#   bash benches/order.sh
#   bash benches/order.sh --check [LAUNCHER]   # default: a fresh build
set -euo pipefail
check=
if [ "${1:-}" = --check ]; then
  check=1
  # Named from the caller's directory, before the cd below.
  launcher=${2:+$(realpath "$2")}
fi
cd "$(dirname "$0")/.."
static=x86_64-unknown-linux-musl
[ "$(uname -m)" = x86_64 ] || { echo "order: the list is for $static" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
if [ -n "${launcher:-}" ]; then
  cp "$launcher" "$work/stockade"
else
  cargo build --release --quiet --target "$static"
  cp "target/$static/release/stockade" "$work/stockade"
fi
chmod 0755 "$work/stockade"
cat > "$work/trace.c" <<'C'
// trace OUT PROGRAM ARGS...: runs PROGRAM one instruction at a time and
// writes the offset, from the program's load address, of every
// instruction it ran (not of its children).
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 3) return 2;
  pid_t pid = fork();
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    execv(argv[2], argv + 2);
    _exit(127);
  }
  int st;
  if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st)) return 1;
  char path[64], line[4096];
  snprintf(path, sizeof path, "/proc/%d/maps", pid);
  FILE *m = fopen(path, "r");
  unsigned long base = 0, end = 0;
  while (m && fgets(line, sizeof line, m)) {
    unsigned long a, b, off;
    char perm[8];
    if (sscanf(line, "%lx-%lx %7s %lx", &a, &b, perm, &off) == 4 && strstr(line, argv[2])) {
      if (!base) base = a - off;
      if (b > end) end = b;
    }
  }
  if (m) fclose(m);
  if (!base) return 1;
  unsigned char *hit = calloc(end - base, 1);
  ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL);
  int sig = 0;
  while (ptrace(PTRACE_SINGLESTEP, pid, 0, sig) == 0) {
    if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st)) break;
    sig = WSTOPSIG(st) == SIGTRAP ? 0 : WSTOPSIG(st);
    struct user_regs_struct r;
    ptrace(PTRACE_GETREGS, pid, 0, &r);
    if (r.rip >= base && r.rip < end) hit[r.rip - base] = 1;
  }
  FILE *o = fopen(argv[1], "w");
  for (unsigned long i = 0; i < end - base; i++)
    if (hit[i]) fprintf(o, "%lx\n", i);
  fclose(o);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
C
gcc -O2 -o "$work/trace" "$work/trace.c"
chmod 0755 "$work/trace"
mkdir -m 0777 "$work/hits"
cd "$work"
if [ -n "$check" ]; then
  ./trace "hits/check" "$work/stockade" run -q -p strict -- /bin/true
else
  for p in strict default; do
    echo "order: tracing -p $p as root"
    ./trace "hits/root-$p" "$work/stockade" run -q -p "$p" -- /bin/true
    echo "order: tracing -p $p as uid 65534"
    setpriv --reuid=65534 --regid=65534 --clear-groups \
      ./trace "hits/user-$p" "$work/stockade" run -q -p "$p" -- /bin/true
  done
fi
cd - >/dev/null
python3 - "$work/stockade" "$work"/hits/* > "$work/list" <<'PY'
import bisect, re, subprocess, sys
binary, hits = sys.argv[1], sys.argv[2:]
nm = subprocess.run(["nm", "-n", "--defined-only", binary], capture_output=True, text=True, check=True)
funcs = [(int(a, 16), n) for a, t, n in (l.split(" ", 2) for l in nm.stdout.splitlines() if l.count(" ") >= 2) if t in "tTwW"]
starts = [a for a, _ in funcs]
order, seen = [], set()
def add(name):
    if name not in seen:
        seen.add(name)
        order.append(name)
for h in hits:
    for line in open(h):
        i = bisect.bisect_right(starts, int(line, 16)) - 1
        if i >= 0:
            add(funcs[i][1])
for _, name in funcs:
    if re.search(r"8stockade(7process|3sys)", name):
        add(name)
# And what PID 1's and the payload's code calls outside those modules (C
# library wrappers, nix's errno, drops), found in the disassembly: direct
# calls and jumps, and calls through the GOT, whose slots the RELATIVE
# relocations fill. The cold paths (panics, formatting, unwinding) stay
# where they are.
relative = {}
for line in subprocess.run(["readelf", "-rW", binary], capture_output=True, text=True, check=True).stdout.splitlines():
    p = line.split()
    if len(p) >= 4 and p[2] == "R_X86_64_RELATIVE":
        relative[int(p[0], 16)] = int(p[3], 16)
at = dict(funcs[::-1])
calls = {}
dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", binary], capture_output=True, text=True, check=True).stdout
for block in dis.split("\n\n"):
    head = re.match(r"[0-9a-f]+ <(.+)>:\n", block.strip() + "\n")
    if not head:
        continue
    targets = set(re.findall(r"\b(?:call|jmp)\s+[0-9a-f]+ <([^>+]+)>", block))
    for slot in re.findall(r"\b(?:call|jmp)\s+\*0x[0-9a-f]+\(%rip\)\s+# ([0-9a-f]+)", block):
        target = relative.get(int(slot, 16))
        if target in at:
            targets.add(at[target])
    calls[head.group(1)] = targets
after_clone = re.compile(r"8stockade(7process(5child|4view|7payload|4init|6warden|6helper|4caps|6report|7signals)|3sys)")
cold = re.compile(r"unwind|unw_|_Unwind|panic|fmt|printf|alloc_error|handle_error|backtrace|fflush|fwrite|frexp|wcrtomb|pad\.part|^abort|slice_error|slice_index|assert_failed|expect_failed|dl_iterate|join_generic|RwLock|Mutex")
stack = sorted(n for n in calls if after_clone.search(n))
reached = set(stack)
while stack:
    for t in sorted(calls.get(stack.pop(), ())):
        if t not in reached and not cold.search(t):
            reached.add(t)
            stack.append(t)
            add(t)
print("# The functions of the static launcher (x86_64-unknown-linux-musl) that")
print("# a start runs, placed together by lld: written by benches/order.sh,")
print("# read by build.rs. Names the build lacks are skipped.")
print("\n".join(order))
PY
if [ -n "$check" ]; then
  missing=$(comm -23 <(grep -v '^#' "$work/list" | sort -u) <(grep -v '^#' benches/start-order.txt | sort -u))
  echo "order: functions of a start of -p strict (traced, and PID 1's by disassembly) that benches/start-order.txt lacks: $(printf '%s' "$missing" | grep -c .)"
  [ -z "$missing" ] || printf '  %s\n' $missing
  exit 0
fi
cp "$work/list" benches/start-order.txt
echo "order: $(grep -vc '^#' benches/start-order.txt) functions in benches/start-order.txt"
