#!/usr/bin/env bash
# Runs stockade thousands of times and checks that nothing is left behind
# on the host: processes, zombies, mounts, cgroups, socket files, user
# namespaces; then the same from one library host process (descriptors,
# threads, children, zombies), via examples/leak_check.rs.
#
#   bash tests/leaks.sh            # 1,000 runs sequential, 2 and 8 at a time
#   STOCKADE_LEAK_RUNS=200 bash tests/leaks.sh
#
# As root it also runs the command-line rounds rootless (uid 65534).
# Exits 1 if any count differs after the runs. The counts are the
# machine's (stockade processes, cgroups, user namespaces): run it where
# no other sandbox starts or ends meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${STOCKADE_LEAK_RUNS:-1000}

# The command-line rounds run the launcher as README's Install section
# builds it: static, against musl, with its release link (build.rs).
static=$(uname -m)-unknown-linux-musl
rustup target list --installed | grep -qx "$static" || rustup target add "$static"
cargo build --release -q --target "$static" --bin stockade
cargo build --release -q --example leak_check
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
cp "target/$static/release/stockade" "$work/stockade"
chmod 755 "$work/stockade"

# One line of counts for the whole host.
snapshot() {
  local procs zombies mounts cgroups sockets userns
  procs=$(ps -eo comm= | grep -c '^stockade' || true)
  zombies=$(ps -eo stat=,comm= | awk '$1 ~ /^Z/ && $2 ~ /^(stockade|true)/' | wc -l)
  mounts=$(wc -l < /proc/self/mountinfo)
  cgroups=$(find /sys/fs/cgroup -type d 2>/dev/null | wc -l)
  sockets=$(find /tmp /run /dev/shm -xdev -type s 2>/dev/null | wc -l)
  userns=$(find /proc/[0-9]*/ns/user -maxdepth 0 -printf '%l\n' 2>/dev/null | sort -u | wc -l)
  echo "processes=$procs zombies=$zombies mounts=$mounts cgroups=$cgroups sockets=$sockets user_namespaces=$userns"
}

# Waits up to 10 s for the counts to settle back to $1 (teardown of a
# PID namespace finishes after the launcher has exited).
settled() {
  local want=$1 now
  for _ in $(seq 100); do
    now=$(snapshot)
    [ "$now" = "$want" ] && break
    sleep 0.1
  done
  echo "$now"
}

as_user() {
  if [ "$1" = rootless ]; then
    setpriv --reuid=65534 --regid=65534 --clear-groups "$work/stockade" run -p strict -- true
  else
    "$work/stockade" run -p strict -- true
  fi
}
export -f as_user
export work

modes=(root)
[ "$(id -u)" = 0 ] && modes+=(rootless)
status=0
for mode in "${modes[@]}"; do
  for at_once in 1 2 8; do
    before=$(snapshot)
    failed=$(seq "$runs" | xargs -P "$at_once" -I{} bash -c "as_user $mode >/dev/null 2>&1 || echo x" | wc -l)
    after=$(settled "$before")
    echo "cli ($mode), $runs runs, $at_once at a time: $failed failed"
    echo "  before: $before"
    echo "  after:  $after"
    if [ "$failed" != 0 ] || [ "$before" != "$after" ]; then
      echo "  LEAK"
      status=1
    fi
  done
done

target/release/examples/leak_check "$runs" || status=1
[ "$status" = 0 ] && echo "leaks: nothing left behind"
exit "$status"
