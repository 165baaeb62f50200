#!/usr/bin/env bash
# stockade's performance figures next to bubblewrap and the kernel's own
# floor, measured side by side in one run so that they share the machine's
# noise. Prints medians and ratios, and writes them with a description of
# the machine to benches/results/.
#
#   bash benches/compare.sh            # installs hyperfine and bubblewrap when missing
#   RUNS=100 bash benches/compare.sh   # fewer runs (default 300)
#
# Figures (as in issue "Speed" and README's Performance table):
#   start-up of /bin/true: floor (unshare, same namespaces), bwrap with the
#     equivalent view, stockade strict/default/minimal, as root and as
#     uid 65534 (rootless); the launcher is the static musl build README's
#     Install section gives, and strict is measured with the glibc build too
#   parallel start-ups, 2 and 8 at a time: stockade strict vs bwrap, and the floor
#   launcher peak RSS: stockade strict vs bwrap
#   syscall cost: argument-checked ioctl and unchecked getppid, unfiltered,
#     under a one-instruction allow-all filter, under a filter that only
#     loads an argument, under bwrap, under default
#   channel round trip (1 B, 4 KiB, with a descriptor) vs a raw
#     SOCK_SEQPACKET ping-pong
#   profile_parse fuzzing executions per second
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
runs=${RUNS:-300}

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v gcc >/dev/null || need+=(gcc)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "compare: missing ${need[*]}: apt-get install ${need[*]}" >&2
    exit 1
  fi
fi

# The launcher as installed (README, Install): static, against musl.
static=$(uname -m)-unknown-linux-musl
if ! rustup target list --installed 2>/dev/null | grep -qx "$static"; then
  rustup target add "$static"
fi
cargo build --release --quiet --target "$static"
cargo build --release --quiet
cargo build --release --quiet --example channel_rtt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
S=$work/stockade
G=$work/stockade-glibc
cp "target/$static/release/stockade" "$S"
# How much of benches/start-order.txt this build has (build.rs): names go
# stale with a compiler or dependency update (benches/order.sh rewrites it).
listed=$(grep -v '^#' benches/start-order.txt | sort -u)
order="$(nm --defined-only "$S" | awk '{print $3}' | sort -u | comm -12 - <(printf '%s\n' "$listed") | wc -l) of $(printf '%s\n' "$listed" | wc -l) functions of benches/start-order.txt placed together"
# And whether a start has a function the list lacks (new code on the
# start's path: the launcher's, traced, and PID 1's and the payload's,
# from the disassembly), which the linker leaves among the cold code:
# one traced start, about a minute.
unlisted=$(bash benches/order.sh --check "$S" 2>/dev/null | sed -n 's/^order: .*: //p' || true)
order+="; ${unlisted:-?} functions of a start of -p strict (traced, and PID 1's by disassembly) outside it"
cp target/release/stockade "$G"
cp target/release/examples/channel_rtt "$work/channel_rtt"
chmod 0755 "$S" "$G" "$work/channel_rtt"
cd "$work"
mkdir -p run && chmod 0777 run && cd run

. "$repo/benches/commands.sh"
# Binds only: no /proc, /dev, Landlock or seccomp.
cat > "$work/minimal.yaml" <<'YAML'
version: 1
description: binds only
filesystem:
  - {bind: /usr}
  - {bind: /bin, optional: true}
  - {bind: /lib, optional: true}
  - {bind: /lib64, optional: true}
YAML
rootless=(setpriv --reuid=65534 --regid=65534 --clear-groups)
have_rootless=0
if [ "$(id -u)" = 0 ] && "${rootless[@]}" "$S" run -q -p strict -- /bin/true 2>/dev/null; then
  have_rootless=1
fi

results=$(mktemp)
report() { printf '%s\n' "$*" | tee -a "$results"; }
# A over B as "1.23x".
ratio() { python3 -c "print(f'{$1/$2:.2f}x')"; }

# --- start-up -------------------------------------------------------------
# hyperfine runs one command's runs back to back, so a noisy minute of the
# machine lands on one command: the runs are split into rounds, each
# running every command in turn, and the medians are taken over all rounds.
rounds=5
cmds=(-n floor "$floor"
      -n bwrap "$bwrap_cmd /bin/true"
      -n stockade-strict "$S run -q -p strict -- /bin/true"
      -n stockade-strict-glibc "$G run -q -p strict -- /bin/true"
      -n stockade-default "$S run -q -p default -- /bin/true"
      -n stockade-minimal "$S run -q -p $work/minimal.yaml -- /bin/true")
if [ $have_rootless = 1 ]; then
  cmds+=(-n rootless-floor "${rootless[*]} $floor"
         -n rootless-bwrap "${rootless[*]} $bwrap_cmd /bin/true"
         -n rootless-stockade-strict "${rootless[*]} $S run -q -p strict -- /bin/true")
fi
for r in $(seq "$rounds"); do
  hyperfine -N --warmup 10 --runs $(( (runs + rounds - 1) / rounds )) \
    --export-json "$work/startup-$r.json" "${cmds[@]}" >/dev/null 2>&1
done
report "## start-up of /bin/true ($runs runs each in $rounds interleaved rounds; medians)"
report ""
python3 - "$work"/startup-*.json <<'PY' | tee -a "$results"
import json, statistics, sys
times = {}
for f in sys.argv[1:]:
    for x in json.load(open(f))["results"]:
        times.setdefault(x["command"], []).extend(x["times"])
r = {name: statistics.median(t) for name, t in times.items()}
print(f"| command | median | vs floor | vs bwrap |\n|---|---|---|---|")
for name, m in r.items():
    prefix = "rootless-" if name.startswith("rootless-") else ""
    floor, bwrap = r[prefix + "floor"], r[prefix + "bwrap"]
    print(f"| {name} | {m*1000:.2f} ms | {m/floor:.2f}x | {m/bwrap:.2f}x |")
PY
report ""

# --- parallel start-ups ---------------------------------------------------
rate() { # $1 = parallelism, rest = command; prints start-ups per second
  local p=$1; shift
  local n=$((runs * 2)) t0 t1
  t0=$(date +%s.%N)
  seq "$n" | xargs -P "$p" -I{} "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  python3 -c "print(f'{$n / ($t1 - $t0):.0f}')"
}
report "## parallel start-ups of /bin/true (start-ups per second, median of 3)"
report ""
# The floor's rate is the ceiling: namespaces made and torn down, no view.
report "| at a time | stockade strict | bwrap | ratio | floor | floor vs bwrap |"
report "|---|---|---|---|---|---|"
for p in 2 8; do
  s=(); b=(); f=()
  for _ in 1 2 3; do
    s+=("$(rate "$p" "$S" run -q -p strict -- /bin/true)")
    b+=("$(rate "$p" $bwrap_cmd /bin/true)")
    f+=("$(rate "$p" $floor)")
  done
  sm=$(printf '%s\n' "${s[@]}" | sort -n | sed -n 2p)
  bm=$(printf '%s\n' "${b[@]}" | sort -n | sed -n 2p)
  fm=$(printf '%s\n' "${f[@]}" | sort -n | sed -n 2p)
  report "| $p | $sm/s | $bm/s | $(ratio "$sm" "$bm") | $fm/s | $(ratio "$fm" "$bm") |"
done
report ""

# --- launcher peak RSS ----------------------------------------------------
rss() { # median of 15 peak RSS readings (KiB) of the launcher process
  for _ in $(seq 15); do /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1; done | sort -n | sed -n 8p
}
srss=$(rss "$S" run -q -p strict -- /bin/true)
grss=$(rss "$G" run -q -p strict -- /bin/true)
brss=$(rss $bwrap_cmd /bin/true)
report "## launcher peak RSS (median of 15)"
report ""
report "| stockade strict | bwrap | ratio | glibc build | ratio |"
report "|---|---|---|---|---|"
report "| ${srss} KiB | ${brss} KiB | $(ratio "$srss" "$brss") | ${grss} KiB | $(ratio "$grss" "$brss") |"
report ""

# --- syscall cost ---------------------------------------------------------
cat > "$work/sys.c" <<'C'
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
/* ns per call of getppid (no argument rule) and ioctl(FIONREAD on a bad fd,
   argument-checked by default's filter), median of 9 rounds; with "allow-all",
   under a one-instruction filter of its own first (the kernel's action
   cache answers every call without running it); with "arg-load", under a
   filter that loads an argument and allows (the least any filter that
   checks an argument runs, on every call). */
static double per_call(int which) {
  const long n = 200000;
  double best[9];
  for (int r = 0; r < 9; r++) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) {
      if (which) syscall(SYS_ioctl, -1, FIONREAD, 0);
      else syscall(SYS_getppid);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    best[r] = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
  }
  for (int i = 0; i < 9; i++) for (int j = i + 1; j < 9; j++)
    if (best[j] < best[i]) { double t = best[i]; best[i] = best[j]; best[j] = t; }
  return best[4];
}
int main(int argc, char **argv) {
  struct sock_filter allow_all[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_filter arg_load[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
                                   BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_fprog p = {0, 0};
  if (argc > 1 && !strcmp(argv[1], "allow-all")) p = (struct sock_fprog){1, allow_all};
  if (argc > 1 && !strcmp(argv[1], "arg-load")) p = (struct sock_fprog){2, arg_load};
  if (p.len && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p))) {
    perror("seccomp");
    return 1;
  }
  printf("%.1f %.1f\n", per_call(0), per_call(1));
  return 0;
}
C
gcc -O2 -static -o "$work/sys" "$work/sys.c"
read -r plain_get plain_ioctl < <("$work/sys")
read -r allow_get allow_ioctl < <("$work/sys" allow-all)
read -r load_get load_ioctl < <("$work/sys" arg-load)
read -r bw_get bw_ioctl < <($bwrap_cmd --ro-bind "$work/sys" /sys-bench /sys-bench)
read -r def_get def_ioctl < <("$S" run -q -p default --ro "$work/sys:/sys-bench" -- /sys-bench)
report "## syscall cost (ns per call, median of 9 rounds of 200,000)"
report ""
report "| | unfiltered | allow-all filter | argument-load filter | bwrap | stockade default | default vs unfiltered | default vs allow-all | argument-load vs unfiltered |"
report "|---|---|---|---|---|---|---|---|---|"
report "| getppid (no argument rule) | $plain_get | $allow_get | $load_get | $bw_get | $def_get | $(ratio "$def_get" "$plain_get") | $(ratio "$def_get" "$allow_get") | $(ratio "$load_get" "$plain_get") |"
report "| ioctl (argument-checked) | $plain_ioctl | $allow_ioctl | $load_ioctl | $bw_ioctl | $def_ioctl | $(ratio "$def_ioctl" "$plain_ioctl") | $(ratio "$def_ioctl" "$allow_ioctl") | $(ratio "$load_ioctl" "$plain_ioctl") |"
report ""

# --- channel round trip ---------------------------------------------------
report "## channel round trip (µs, median of 20,000; both ends pinned to one CPU)"
report ""
# Pinned: on a virtual machine a wake-up across idle CPUs costs tens of
# microseconds and would swamp the difference being measured.
taskset -c 0 "$work/channel_rtt" | tee -a "$results"
report ""

# --- fuzzing --------------------------------------------------------------
if command -v cargo-fuzz >/dev/null; then
  # The scratch corpus lives in memory when /dev/shm is a tmpfs: what is
  # timed is the target, not the file system. The first minute writes
  # thousands of new inputs and deletes the ones it reduces; on ext4 a
  # file created among just-deleted ones cost about 350 us here (the
  # inode allocator steps over recently deleted inodes), 13 us on tmpfs:
  # a fifth of the run's CPU (benches/README.md).
  scratch=/tmp
  [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && scratch=/dev/shm
  # A minute: the first seconds grow the corpus from seven seeds (every
  # new input written out and weighed into the schedule); the running
  # rate read 8,192/s at 2 s, 13,107 at 20 s and 13,916 at 60 s. Three
  # minutes, each from the seeds: one minute's rate moves by a fifth
  # between runs on a virtual machine.
  secs=60
  # Alternated with yaml_baseline, the YAML library alone on the same
  # inputs (no model, no resolution): the rate profile_parse would have
  # if stockade added nothing to the parse.
  declare -A rates=()
  minute() {
    local fz line execs
    fz=$(mktemp -d -p "$scratch")
    cp "$repo"/fuzz/corpus/profile_parse/* "$fz/"
    # -O as README's fuzzing command: overflow checks everywhere, no debug
    # assertions in the dependencies (fuzz/Cargo.toml).
    line=$(cd "$repo/fuzz" && RUSTC_BOOTSTRAP=1 cargo fuzz run -O -s none --no-trace-compares "$1" "$fz" -- \
      -max_total_time=$secs -dict=profile.dict -print_final_stats=1 2>&1 | grep -a 'stat::number_of_executed_units' || true)
    rm -rf "$fz"
    execs=${line##* }
    rates[$1]+="$((${execs:-0} / secs)) "
  }
  for _ in 1 2 3; do
    minute profile_parse
    minute yaml_baseline
  done
  median() { printf '%s\n' $1 | sort -n | sed -n 2p; }
  p=$(median "${rates[profile_parse]}")
  y=$(median "${rates[yaml_baseline]}")
  report "## profile_parse fuzzing: $p executions per second (median of three minutes: ${rates[profile_parse]% }; one core, -O, no sanitizer, no comparison tracing, with the dictionary, scratch corpus in $scratch)"
  report "## the YAML library alone (yaml_baseline), alternated: $y per second (${rates[yaml_baseline]% }); profile_parse at $(ratio "$p" "$y") its rate"
else
  report "## profile_parse fuzzing: cargo-fuzz not installed (cargo install cargo-fuzz)"
fi
report ""

# --- the machine ----------------------------------------------------------
mkdir -p "$repo/benches/results"
out=$repo/benches/results/$(date -u +%Y-%m-%d)-$(hostname).md
n=2
while [ -e "$out" ]; do # a second run that day does not replace the first
  out=$repo/benches/results/$(date -u +%Y-%m-%d)-$(hostname)-$n.md
  n=$((n + 1))
done
{
  echo "# benches/compare.sh, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "- kernel: $(uname -r); stockade $(git -C "$repo" describe --always --dirty); $(bwrap --version); $(hyperfine --version)"
  echo "- launcher: $(id -un) (rootless rows: uid 65534 via setpriv); built for $static (static) unless a row says glibc; $order"
  echo
  cat "$results"
} > "$out"
rm -f "$results"
echo "compare: written to ${out#$repo/}"
